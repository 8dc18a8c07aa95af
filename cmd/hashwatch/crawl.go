package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/mattn/go-runewidth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// passJSON is one line of `crawl --json`: what one pass of one site did.
type passJSON struct {
	Site        string    `json:"site"`
	Pass        uint64    `json:"pass"`
	Resumed     bool      `json:"resumed"`
	Interrupted bool      `json:"interrupted"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	crawlstate.Counts
	Errors    map[string]int `json:"errors"`
	Bounds    map[string]int `json:"bounds,omitempty"`
	Recovered map[string]int `json:"recovered,omitempty"`
}

func toPassJSON(s crawler.PassStats) passJSON {
	errs := s.Errors
	if errs == nil {
		errs = map[string]int{}
	}
	return passJSON{Site: s.Site, Pass: s.Number, Resumed: s.Resumed, Interrupted: s.Interrupted, Start: s.Start, End: s.End,
		Counts: s.Counts, Errors: errs, Bounds: s.Bounds, Recovered: s.Recovered}
}

// newMetricsRegistry is the one place a process's Prometheus registry is
// set up: the crawler's metrics, plus the Go runtime's and the process's
// (memory, CPU).
func newMetricsRegistry() (*prometheus.Registry, *crawler.Metrics, error) {
	reg := prometheus.NewRegistry()
	m, err := crawler.NewMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, nil, fmt.Errorf("register Go metrics: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, nil, fmt.Errorf("register process metrics: %w", err)
	}
	return reg, m, nil
}

// progressLogEvery is how often a crawl whose stderr is not a terminal logs
// each running pass's counts.
const progressLogEvery = 10 * time.Second

func (a *app) crawlCommand() *cobra.Command {
	var vcfg video.Config
	var sitesFile, only, metricsAddr string
	var once, asJSON bool
	var flood alerts.FloodLimit
	cmd := &cobra.Command{
		Use:   "crawl --sites FILE [--once] [--site NAME] [--json] [--metrics-addr HOST:PORT]",
		Short: "Crawl watched sites and raise alerts for matching images",
		Long: `crawl reads the watched sites from FILE (see README: sites.yaml) and crawls them.

Without --once it crawls every site on its interval until interrupted (Ctrl-C or
SIGTERM); a pass in progress then puts its unfinished pages and media back in the
frontier, which lives in the database. With --once it does one pass of every site
(or of --site NAME) and exits. Either way, a pass that was interrupted (even by
kill -9) resumes where it stopped instead of starting over.

On a terminal --once shows a live progress line per site; otherwise progress is
logged every 10 seconds. Errors on single pages or files are logged and counted;
the crawl carries on. --metrics-addr serves Prometheus metrics at /metrics while
crawling (e.g. 127.0.0.1:9464; off by default).`,
		Example: `  hashwatch crawl --sites sites.yaml --once
  hashwatch crawl --sites sites.yaml --metrics-addr 127.0.0.1:9464`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sitesFile == "" {
				return usagef("crawl: --sites FILE is required")
			}
			cfg, err := siteconfig.Load(sitesFile)
			if err != nil {
				return err
			}
			var sites []*siteconfig.Site
			for i := range cfg.Sites {
				if only == "" || cfg.Sites[i].Name == only {
					sites = append(sites, &cfg.Sites[i])
				}
			}
			if len(sites) == 0 {
				return usagef("crawl: no site named %q in %s", only, sitesFile)
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if err := applyFlood(db, flood); err != nil {
				return err
			}
			// Other hashwatch commands run in this process meanwhile,
			// since bbolt's lock keeps them out of the file.
			defer a.answerCLI(cmd.Context(), db, "crawl", 0)()
			ctx := cmd.Context()

			log := a.log
			var bars *progressBars
			if once && isTerminal(a.stderr) {
				bars = newProgressBars(ctx, a.stderr, sites, 0)
				// Failed fetches are counted on each bar and summarised
				// after them, not logged one line each among them.
				log = slog.New(bars.failures(slog.NewTextHandler(bars.p, &slog.HandlerOptions{Level: a.logLevel()})))
			}
			vh := video.New(vcfg)
			if _, err := vh.FFmpeg(); err == nil && !vh.InMemory() {
				log.Warn("no in-memory files (memfd) here: an MP4 whose index follows its media is written to a temporary file while it is hashed")
			}
			c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule(), UserAgent: cfg.UserAgent, Logger: log, Video: vh}
			if bars != nil {
				c.Progress = bars.update
			} else {
				c.Progress = newProgressLog(log, progressLogEvery).update
			}
			if metricsAddr != "" {
				stop, err := serveMetrics(ctx, c, metricsAddr, log)
				if err != nil {
					return err
				}
				defer stop()
			}
			if !once {
				log.Info("crawling until interrupted", "sites", len(sites), "db", a.dbPath)
				return c.Run(ctx, sites)
			}
			stats, err := c.RunOnce(ctx, sites)
			if bars != nil {
				bars.finish(stats)
			}
			if asJSON {
				out := newJSONLines(a.stdout)
				for _, s := range stats {
					if werr := out.write(toPassJSON(s)); werr != nil {
						return werr
					}
				}
			} else {
				printPasses(a, stats)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&sitesFile, "sites", "", "watched-site configuration (YAML)")
	cmd.Flags().BoolVar(&once, "once", false, "one pass of each site, then exit")
	cmd.Flags().StringVar(&only, "site", "", "crawl only the site with this name")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each pass's counts as one JSON object per line")
	videoFlags(cmd, &vcfg)
	floodFlags(cmd, &flood)
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://`HOST:PORT`/metrics while crawling (off when empty)")
	return cmd
}

// logLevel is the level main chose for a.log.
func (a *app) logLevel() slog.Level {
	if a.verbose || a.getenv(envLogLevel) == "debug" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// serveMetrics registers the crawler's metrics (and the Go runtime's and the
// process's, for memory and CPU) on a fresh registry and serves them at
// addr/metrics until stop is called.
func serveMetrics(ctx context.Context, c *crawler.Crawler, addr string, log *slog.Logger) (stop func(), err error) {
	reg, m, err := newMetricsRegistry()
	if err != nil {
		return nil, err
	}
	c.Metrics = m
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server failed", "addr", addr, "err", err)
		}
	})
	log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		wg.Wait()
	}, nil
}

// progressBars is one live line per site on a terminal.
type progressBars struct {
	p     *mpb.Progress
	w     io.Writer
	width int // fixed terminal width (tests); 0 asks the terminal
	mu    sync.Mutex
	bars  map[string]*mpb.Bar
	last  map[string]crawler.PassStats
	fails *fetchFailures
}

// newProgressBars draws a bar per site on w, a terminal; width fixes the
// terminal's width (for tests; 0 asks the terminal each frame).
func newProgressBars(ctx context.Context, w io.Writer, sites []*siteconfig.Site, width int) *progressBars {
	opts := []mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(24), mpb.WithRefreshRate(200 * time.Millisecond)}
	if width > 0 {
		// mpb takes a writer that is not a terminal to be WithWidth
		// wide, and draws on it only when told to.
		opts = append(opts, mpb.WithWidth(width), mpb.WithAutoRefresh())
	}
	pb := &progressBars{
		p:     mpb.NewWithContext(context.WithoutCancel(ctx), opts...),
		w:     w,
		width: width,
		bars:  map[string]*mpb.Bar{},
		last:  map[string]crawler.PassStats{},
	}
	nameWidth := 0
	for _, s := range sites {
		nameWidth = max(nameWidth, runewidth.StringWidth(safe(s.Name)))
	}
	for _, s := range sites {
		name := s.Name
		pb.bars[name] = pb.p.AddBar(0,
			mpb.PrependDecorators(decor.Name(safe(name), decor.WC{W: nameWidth + 1, C: decor.DindentRight}), decor.Elapsed(decor.ET_STYLE_MMSS)),
			// The counts take what the name and time leave, less room
			// for the bar and the spaces around it.
			mpb.AppendDecorators(decor.Any(func(st decor.Statistics) string {
				return pb.line(name, st.AvailableWidth-minBarColumns-2)
			})),
		)
	}
	return pb
}

// failures wraps the bars' log handler so failed fetches are summarised
// (finish prints the summary).
func (pb *progressBars) failures(next slog.Handler) slog.Handler {
	pb.fails = newFetchFailures(next)
	return pb.fails
}

// line is the counts shown after a site's bar, in at most width columns.
func (pb *progressBars) line(site string, width int) string {
	pb.mu.Lock()
	s := pb.last[site]
	pb.mu.Unlock()
	return progressLine(s, width)
}

func (pb *progressBars) update(s crawler.PassStats) {
	pb.mu.Lock()
	pb.last[s.Site] = s
	b := pb.bars[s.Site]
	pb.mu.Unlock()
	if b == nil {
		return
	}
	done := int64(s.Pages + s.Media + s.Skipped + s.Robots + sumErrors(s.Errors))
	b.SetTotal(done+int64(s.Queued), false)
	b.SetCurrent(done)
}

// finish completes every bar, waits for the last frame to be drawn and
// summarises the failed fetches.
func (pb *progressBars) finish(stats []crawler.PassStats) {
	for _, s := range stats {
		pb.update(s)
	}
	for _, b := range pb.bars {
		b.SetTotal(-1, true)
	}
	pb.p.Wait()
	if pb.fails != nil {
		width := pb.width
		if width == 0 {
			if f, ok := pb.w.(*os.File); ok {
				width, _, _ = term.GetSize(int(f.Fd()))
			}
		}
		pb.fails.summary(pb.w, width)
	}
}

// progressLog logs each running pass's counts at most once per interval:
// the structured replacement for progress bars in logs.
type progressLog struct {
	log   *slog.Logger
	every time.Duration
	mu    sync.Mutex
	next  map[string]time.Time
}

func newProgressLog(log *slog.Logger, every time.Duration) *progressLog {
	return &progressLog{log: log, every: every, next: map[string]time.Time{}}
}

func (pl *progressLog) update(s crawler.PassStats) {
	now := time.Now()
	pl.mu.Lock()
	due := now.After(pl.next[s.Site])
	if due {
		pl.next[s.Site] = now.Add(pl.every)
	}
	pl.mu.Unlock()
	if !due {
		return
	}
	pl.log.Info("pass progress", "site", s.Site, "pass", s.Number, "pages", s.Pages, "media", s.Media, "hashed", s.Hashed,
		"not_modified", s.NotModified, "queued", s.Queued, "new_alerts", s.NewAlerts, "skipped", s.Skipped,
		"videos", s.Videos, "errors", sumErrors(s.Errors), "elapsed", now.Sub(s.Start).Round(time.Second))
}

func sumErrors(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func printPasses(a *app, stats []crawler.PassStats) {
	tw := termtable.New(a.stdout)
	fmt.Fprintln(tw, "SITE\tPASS\tPAGES\tMEDIA\tHASHED\t304\tMATCHED\tNEW ALERTS\tSKIPPED\tVIDEOS\tERRORS\tTIME")
	for _, s := range stats {
		state := ""
		if s.Interrupted {
			state = " (interrupted)"
		} else if s.Resumed {
			state = " (resumed)"
		}
		fmt.Fprintf(tw, "%s\t%d%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", safe(s.Site), s.Number, state, s.Pages, s.Media, s.Hashed,
			s.NotModified, s.Matches, s.NewAlerts, s.Skipped, s.Videos, formatErrors(s.Errors), s.End.Sub(s.Start).Round(time.Millisecond))
	}
	tw.Flush()
}

// formatErrors prints error counts by kind, e.g. "corrupt=1 http_status=2".
func formatErrors(m map[string]int) string {
	if len(m) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
