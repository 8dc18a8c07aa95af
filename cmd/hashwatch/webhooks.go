package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/webhook"
)

// webhookOptions are serve's webhook settings: one receiver per
// deployment.
type webhookOptions struct {
	url, secretFile, queueFile string
}

func webhookFlags(cmd *cobra.Command, o *webhookOptions) {
	f := cmd.Flags()
	f.StringVar(&o.url, "webhook-url", "", "POST signed events (new alerts, overdue notices, removals) to this URL; see README")
	f.StringVar(&o.secretFile, "webhook-secret-file", "", "file holding the webhook's HMAC-SHA256 secret (first line, at least 16 bytes); required with --webhook-url")
	f.StringVar(&o.queueFile, "webhook-queue", "", "the durable queue of undelivered events (default: the database's path + .webhooks)")
}

// startWebhooks opens the queue and starts its delivery and the watcher
// that fills it, owned by wg; close closes the queue after wg is done. It
// does nothing without --webhook-url.
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
	q, err := webhook.Open(path, webhook.Config{URL: o.url, Secret: []byte(secret), Logger: a.log.With("webhook", o.url)})
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	w := &webhook.Watcher{Queue: q, Alerts: db.Alerts, Takedown: db.Takedown}
	wg.Go(func() {
		if err := q.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("webhook delivery stopped", "err", err)
		}
	})
	wg.Go(func() { _ = w.Run(ctx) })
	return func() { q.Close() }, nil
}
