package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/webhook"
)

// webhookOptions are serve's webhook settings: one receiver per
// deployment.
type webhookOptions struct {
	url, secretFile, queueFile string
	// poll is how often the store is looked at for events; retry the
	// wait before a failed delivery's first retry (doubling after).
	poll, retry time.Duration
}

func webhookFlags(cmd *cobra.Command, o *webhookOptions) {
	f := cmd.Flags()
	f.StringVar(&o.url, "webhook-url", "", "POST signed events (new alerts, overdue notices, removals) to this URL; see README")
	f.StringVar(&o.secretFile, "webhook-secret-file", "", "file holding the webhook's HMAC-SHA256 secret (first line, at least 16 bytes); required with --webhook-url")
	f.StringVar(&o.queueFile, "webhook-queue", "", "the durable queue of undelivered events (default: the database's path + .webhooks)")
	f.DurationVar(&o.poll, "webhook-poll", webhook.DefaultPoll, "how often the database is looked at for new events")
	f.DurationVar(&o.retry, "webhook-retry", webhook.DefaultBackoff, "wait before retrying a failed delivery, doubling on each failure up to an hour")
}

// startWebhooks opens the queue and starts its delivery and the watcher
// that fills it, owned by wg; close closes the queue after wg is done. It
// does nothing without --webhook-url. The watcher's first poll runs before
// it returns: on a new queue it notes where the database stands, so it
// must come before anything (a crawl, a request) can change it — else an
// alert raised in between would never be announced.
func (a *app) startWebhooks(ctx context.Context, wg *sync.WaitGroup, o webhookOptions, db *database.DB, dbPath string) (close func(), err error) {
	if o.url == "" {
		return func() {}, nil
	}
	if o.secretFile == "" {
		return nil, usagef("serve: --webhook-url needs --webhook-secret-file")
	}
	b, err := os.ReadFile(o.secretFile)
	if err != nil {
		return nil, fmt.Errorf("serve: --webhook-secret-file: %w", err)
	}
	secret, _, _ := strings.Cut(string(b), "\n")
	secret = strings.TrimRight(secret, "\r")
	path := o.queueFile
	if path == "" {
		path = dbPath + ".webhooks"
	}
	if o.poll < 0 || o.retry < 0 {
		return nil, usagef("serve: --webhook-poll and --webhook-retry must not be negative")
	}
	q, err := webhook.Open(path, webhook.Config{URL: o.url, Secret: []byte(secret), Backoff: o.retry, Logger: a.log.With("webhook", o.url)})
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	w := &webhook.Watcher{Queue: q, Alerts: db.Alerts, Takedown: db.Takedown, Audit: db.Store, Every: o.poll}
	if _, err := w.Poll(ctx); err != nil {
		q.Close()
		return nil, fmt.Errorf("serve: webhook: %w", err)
	}
	wg.Go(func() {
		if err := q.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("webhook delivery stopped", "err", err)
		}
	})
	wg.Go(func() { _ = w.Run(ctx) })
	return func() { q.Close() }, nil
}
