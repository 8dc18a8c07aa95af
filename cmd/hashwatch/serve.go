package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // user time zones (Asia/Seoul by default) on hosts without zoneinfo

	"golang.org/x/net/netutil"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/console"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/store"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
)

// serveOptions are serve's flags.
type serveOptions struct {
	flood         alerts.FloodLimit
	sitesFile     string
	addr          string
	public        bool
	secureCookies bool
	trustProxy    bool
	noCrawl       bool
	recheckEvery  time.Duration
	undoWindow    time.Duration
	noticeFrom    string
	noticeSender  string
	smtp          smtpOptions
	webhook       webhookOptions
	allowPrivate  bool
	maxConns      int
	video         video.Config
	cluster       clusterOptions
	cpuProfile    string
}

// defaultMaxConns bounds the console's open connections: far more than a
// centre's staff use, few enough that a flood of slow clients cannot take
// every file descriptor and goroutine.
const defaultMaxConns = 256

// listen opens the console's listener, accepting at most maxConns
// connections at once; further clients wait in the kernel's backlog until
// one closes, and the server's header, form-body and idle timeouts make
// sure one does.
func listen(addr string, maxConns int) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return netutil.LimitListener(ln, max(maxConns, 1)), nil
}

func (a *app) serveCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve --sites FILE [--addr 127.0.0.1:8080] [--public] [--secure-cookies] [--trust-proxy] [--no-crawl]",
		Short: "Run the web console, the JSON API, /metrics and the round-the-clock crawler",
		Long: `serve runs hashwatch as one long-lived process: the web console (operators review
alerts, staff register and withdraw cases, analysts steer crawls, admins manage users),
the JSON API under /api/, Prometheus metrics at /metrics, and the crawl scheduler that
crawls every site of FILE on its interval (pausable and startable from the console).

serve is the crawl coordinator: the passes' items go to crawl workers over NATS
JetStream — --workers N inside serve (default one per core) and 'hashwatch worker'
processes on any machine, which connect to the embedded NATS server (--nats-listen,
credentials in worker.creds beside the database) or to your cluster (--nats). Off
loopback (--public) the embedded server speaks TLS: --nats-tls-cert/--nats-tls-key, or
a self-signed certificate it makes beside the database and whose SHA-256 fingerprint
it logs for workers' --nats-pin; plaintext only with --nats-insecure. See README:
Scale out.

It listens on loopback by default. Listening on any other address needs --public,
and then TLS in front (a reverse proxy such as Caddy or nginx, see README) with
--secure-cookies so session cookies are never sent in clear. Create accounts
first with 'hashwatch user add'. SIGINT or SIGTERM stops it gracefully: requests
in flight finish and running passes store where they were.`,
		Example: `  hashwatch user add kim --role operator
  hashwatch serve --sites sites.yaml
  hashwatch serve --sites sites.yaml --addr 0.0.0.0:8080 --public --secure-cookies --trust-proxy
  HASHWATCH_SMTP_PASSWORD=… hashwatch serve --sites sites.yaml --notice-from 'Centre <takedown@centre.example>' \
      --smtp-addr mail.centre.example:587 --smtp-user takedown`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cluster.listenSet = cmd.Flags().Changed("nats-listen")
			return a.serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.sitesFile, "sites", "", "watched-site configuration (YAML; required)")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	f.BoolVar(&o.public, "public", false, "allow listening on a non-loopback address (put TLS in front)")
	f.BoolVar(&o.secureCookies, "secure-cookies", false, "mark cookies Secure (behind a TLS-terminating proxy)")
	f.BoolVar(&o.trustProxy, "trust-proxy", false, "take client addresses from X-Forwarded-For (only behind your proxy)")
	f.BoolVar(&o.noCrawl, "no-crawl", false, "serve the console without running the crawl scheduler or removal re-checks (no NATS server or workers start, so no worker.creds is written)")
	f.DurationVar(&o.undoWindow, "undo-window", alerts.DefaultUndoWindow, "how long an operator's decision can be undone (by them or an admin, until a notice is sent), in the console and by alerts undo")
	f.DurationVar(&o.recheckEvery, "recheck-interval", crawler.DefaultRecheckInterval, "how often each confirmed or notice-sent alert's URLs are re-fetched to verify removal (jittered ±10%)")
	f.StringVar(&o.noticeFrom, "notice-from", "", "From address of exported .eml notices, e.g. 'Centre <takedown@centre.example>'")
	f.StringVar(&o.noticeSender, "notice-sender", "", "the centre's name as written in notices")
	smtpFlags(cmd, &o.smtp)
	webhookFlags(cmd, &o.webhook)
	videoFlags(cmd, &o.video)
	clusterFlags(cmd, &o.cluster)
	floodFlags(cmd, &o.flood)
	f.IntVar(&o.maxConns, "max-connections", defaultMaxConns, "most client connections open at once")
	f.StringVar(&o.cpuProfile, "cpu-profile", "", "write a CPU profile of the whole run to FILE (go tool pprof), for measuring the coordinator")
	_ = f.MarkHidden("cpu-profile")
	f.BoolVar(&o.allowPrivate, "allow-private", false, "let reported URLs and re-checks of hosts not in --sites reach private addresses (tests and demos only)")
	return cmd
}

// checkListenAddr refuses a non-loopback address unless public is set.
func checkListenAddr(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("serve: --addr %q: %v", addr, err)
	}
	if public {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	// An empty host (":8080") is every interface; so are "0.0.0.0" and
	// "[::]". Host names other than localhost are refused without
	// resolving them: what they resolve to can change.
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return usagef("serve: --addr %s is not a loopback address; pass --public to listen there (and put TLS in front, see README)", addr)
	}
	return nil
}

// checkBoundAddr checks the address the listener really got: "localhost"
// is whatever the resolver says (an edited /etc/hosts can make it a public
// address), so without --public the bound address itself must be loopback.
func checkBoundAddr(a net.Addr, public bool) error {
	if public {
		return nil
	}
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		return nil
	}
	return usagef("serve: the listener is bound to %s, which is not a loopback address; pass --public to listen there (and put TLS in front, see README)", a)
}

// cookiesInClear reports whether the console at a may send session
// cookies without Secure to other machines: it listens off loopback
// (which --public allows) without --secure-cookies. --public given only
// for --nats-listen, with the console on loopback, is not that.
func cookiesInClear(a net.Addr, public, secureCookies bool) bool {
	if !public || secureCookies {
		return false
	}
	ta, ok := a.(*net.TCPAddr)
	return !ok || !ta.IP.IsLoopback()
}

func (a *app) serve(ctx context.Context, o serveOptions) error {
	if o.sitesFile == "" {
		return usagef("serve: --sites FILE is required")
	}
	if err := checkListenAddr(o.addr, o.public); err != nil {
		return err
	}
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	cfg, err := siteconfig.Load(o.sitesFile)
	if err != nil {
		return err
	}
	sites := make([]*siteconfig.Site, len(cfg.Sites))
	for i := range cfg.Sites {
		sites[i] = &cfg.Sites[i]
	}
	db, err := a.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	if err := applyFlood(db, o.flood); err != nil {
		return err
	}
	defer a.answerCLI(ctx, db, "serve", o.undoWindow)()

	reg, metrics, err := newMetricsRegistry()
	if err != nil {
		return err
	}
	vh := video.New(o.video)
	if _, err := vh.FFmpeg(); err != nil {
		a.log.Warn("videos are neither crawled nor registered; pictures work", "err", err)
		vh = nil
	}
	c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule(), UserAgent: cfg.UserAgent, Logger: a.log, Metrics: metrics, Video: vh}
	// A victim's video registered in the browser must never touch disk, but
	// an MP4 whose index follows its media cannot be streamed to ffmpeg and
	// goes through a temporary file: keep that file in memory (tmpfs).
	var regVideo *video.Hasher
	if vh != nil {
		rcfg := o.video
		if rcfg.TempDir == "" {
			if dir, ok := memoryTempDir(); ok {
				rcfg.TempDir = dir
			} else {
				a.log.Warn("no memory-backed temporary directory (/dev/shm): a registered MP4 with its index at the end is briefly written to the default temporary directory")
			}
		}
		regVideo = video.New(rcfg)
	}
	c.Progress = newProgressLog(a.log, progressLogEvery).update
	var sched *crawler.Scheduler
	if !o.noCrawl {
		cl, err := a.startCluster(ctx, o.cluster, o.public, c, reg)
		if err != nil {
			return err
		}
		defer cl.Close()
		sched = crawler.NewScheduler(c, sites)
	}
	mailer, err := o.smtp.mailer(o.noticeFrom)
	if err != nil {
		return err
	}
	inspector := &crawler.Inspector{DB: db, Rule: hashing.DefaultRule(), Sites: sites, AllowPrivate: o.allowPrivate, Video: vh, UserAgent: cfg.UserAgent, Logger: a.log}
	srv, err := console.New(console.Config{
		DB: db, Scheduler: sched, Sites: sites, SitesFile: o.sitesFile, Inspector: inspector, Video: regVideo, Wasm: browserHashing(), NoticeFrom: o.noticeFrom, NoticeSender: o.noticeSender, Mailer: mailer,
		Metrics:       promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		SecureCookies: o.secureCookies, TrustProxy: o.trustProxy, Logger: a.log, UndoWindow: o.undoWindow,
		Rule: c.Rule, // partners' lookups match as crawled media do
	})
	if err != nil {
		return err
	}
	// Reported URLs follow sites.yaml as edited or reloaded (set before
	// the console serves its first request).
	inspector.Watched = srv.WatchedSites
	ln, err := listen(o.addr, o.maxConns)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", o.addr, err)
	}
	if err := checkBoundAddr(ln.Addr(), o.public); err != nil {
		ln.Close()
		return err
	}
	if cookiesInClear(ln.Addr(), o.public, o.secureCookies) {
		a.log.Warn("listening on a public address without --secure-cookies: unless TLS terminates in front of this process, session cookies travel in clear", "addr", ln.Addr().String())
	}
	// Requests run under their own context, not the signal's, so a
	// shutdown lets them finish; once the grace period is over it is
	// cancelled, so no handler (a reported URL being fetched, a backup
	// being streamed) outlives serve and the database it uses.
	reqCtx, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Minute, IdleTimeout: time.Minute,
		MaxHeaderBytes: 64 << 10, BaseContext: func(net.Listener) context.Context { return reqCtx }}

	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	// Webhooks first: their first poll notes where the database stands
	// before a request or a crawl can change it.
	closeWebhooks, err := a.startWebhooks(workCtx, &wg, o.webhook, db, a.dbPath)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeWebhooks() // after wg.Wait: deferred calls run last-in first-out
	errc := make(chan error, 1)
	wg.Go(func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	})
	if sched != nil {
		wg.Go(func() { _ = sched.Run(workCtx) })
	}
	if !o.noCrawl {
		rc := &crawler.Rechecker{DB: db, Rule: hashing.DefaultRule(), Sites: sites, Watched: srv.WatchedSites, AllowPrivate: o.allowPrivate,
			Interval: o.recheckEvery, Video: vh, UserAgent: cfg.UserAgent, Logger: a.log}
		defer rc.Close()
		wg.Go(func() {
			if err := rc.Run(workCtx); err != nil && workCtx.Err() == nil {
				a.log.Error("removal re-checks stopped", "err", err)
			}
		})
	}
	// SIGHUP reloads sites.yaml, as the sites page's button does; a file
	// that does not validate is logged and changes nothing. Registered
	// before the URL is printed, so a signal after it is never fatal.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	wg.Go(func() {
		for {
			select {
			case <-workCtx.Done():
				return
			case <-hup:
				if err := srv.ReloadSites(workCtx, store.Actor{User: "signal:SIGHUP"}); err != nil {
					a.log.Error("sites.yaml not reloaded; the watched sites stay as they were", "file", o.sitesFile, "err", err)
				} else {
					a.log.Info("sites.yaml reloaded on SIGHUP", "file", o.sitesFile)
				}
			}
		}
	})
	a.log.Info("console listening", "url", "http://"+ln.Addr().String()+"/", "sites", len(sites), "crawl", sched != nil)
	fmt.Fprintf(a.stdout, "hashwatch console: http://%s/\n", ln.Addr())

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.log.Info("shutting down")
	stopWork()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if serr := hs.Shutdown(shutdownCtx); serr != nil {
		a.log.Warn("requests still running at the end of the grace period are cancelled", "err", serr)
	}
	cancelRequests()
	wg.Wait()
	return err
}

// memoryTempDir returns a writable memory-backed directory (Linux's
// /dev/shm tmpfs), if there is one.
func memoryTempDir() (string, bool) {
	const dir = "/dev/shm"
	f, err := os.CreateTemp(dir, "hashwatch-probe-*")
	if err != nil {
		return "", false
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return dir, true
}
