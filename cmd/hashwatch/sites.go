package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/console"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/database"
	"github.com/spf13/cobra"
)

func (a *app) sitesCommand() *cobra.Command {
	var asJSON bool
	var sitesFile, lang string
	cmd := &cobra.Command{
		Use:   "sites [--json]",
		Short: "Show each watched site's last crawl pass",
		Long: `sites shows, for every site crawled with this database, its last pass: when it
started and ended (or that it was interrupted and resumes on the next crawl), pages
and media checked, media decoded (HASHED) versus answered 304 Not Modified, new
alerts, media skipped for a limit, videos found (not fetched yet), and errors by
kind. Below the table it lists the media recently skipped, with URL and size,
items parked (they killed or stalled crawl workers on every delivery), and, for
sites crawled by workers over NATS (serve), the work queue and each worker's
results and last-seen time as of the pass's last checkpoint.

--json prints, one line per site, the very object the console's Sites page
shows and GET /api/sites sends (README, "sites --json"): stored status, and,
for the sites configured in --sites FILE, the interval and the next pass; error kinds, latest errors and
limits reached carry a machine code and words in --lang (en or ko).

While serve or a crawl holds the database, sites runs inside that process and a
pass marked running is in progress there; otherwise it was interrupted and resumes
on the next crawl. The console's Sites page and crawl's --metrics-addr show more of
a running crawl.`,
		Example: `  hashwatch sites
  hashwatch sites --json | jq '.errors'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			statuses, err := db.Crawl.SiteStatuses()
			if err != nil {
				return err
			}
			if asJSON {
				rows, err := a.siteList(db, sitesFile, lang)
				if err != nil {
					return err
				}
				out := newJSONLines(a.stdout)
				for _, r := range rows {
					if err := out.write(r); err != nil {
						return err
					}
				}
				return nil
			}
			return printSites(a, statuses)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per site, as GET /api/sites sends")
	cmd.Flags().StringVar(&sitesFile, "sites", "", "sites.yaml, for each site's interval and next pass")
	cmd.Flags().StringVar(&lang, "lang", "en", "language of the messages in --json: en or ko")
	return cmd
}

// siteList is the console's list of sites (console.Sites), built from the
// database and --sites. It is the same inside a running serve as on a
// closed database: which sites serve watches is read from --sites, not
// from serve, and "running" (a pass in this process) is false here.
func (a *app) siteList(db *database.DB, sitesFile, lang string) ([]console.SiteJSON, error) {
	if lang != "en" && lang != "ko" {
		return nil, usagef("sites: --lang %q: want en or ko", lang)
	}
	src := console.SiteSource{DB: db, Now: time.Now()}
	if sitesFile != "" {
		cfg, err := crawler.LoadConfig(a.localPath(sitesFile))
		if err != nil {
			return nil, err
		}
		for i := range cfg.Sites {
			src.Watched = append(src.Watched, &cfg.Sites[i])
		}
	}
	return console.Sites(src, lang)
}

func printSites(a *app, statuses []crawlstate.SiteStatus) error {
	tw := termtable.New(a.stdout)
	fmt.Fprintln(tw, "SITE\tPASSES\tLAST PASS\tSTATE\tDURATION\tPAGES\tMEDIA\tHASHED\t304\tNEW ALERTS\tSKIPPED\tVIDEOS\tROBOTS\tERRORS")
	for _, s := range statuses {
		// A crawl holds the database while it runs, so outside a holder a
		// pass still marked running was stopped (cleanly, or by a crash
		// before its last checkpoint) and resumes on the next crawl; inside
		// one it is that process's pass in progress (or about to resume).
		state, end := "finished", s.PassEnd
		if s.Running {
			state = fmt.Sprintf("interrupted, %d queued", s.Queued)
			if a.held != nil {
				state = fmt.Sprintf("in %s, %d queued", a.held.name, s.Queued)
			}
			if end.IsZero() {
				end = s.PassStart
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", safe(s.Name), s.TotalPass,
			a.when(s.PassStart), state, end.Sub(s.PassStart).Round(time.Millisecond),
			s.Pages, s.Media, s.Hashed, s.NotModified, s.NewAlerts, s.Skipped, s.Videos, s.Robots, formatErrors(s.Errors))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range statuses {
		if len(s.Bounds) > 0 {
			fmt.Fprintf(a.stdout, "\n%s: the last pass reached a bound: %s\n", safe(s.Name), formatBounds(s.Bounds))
		}
		if len(s.Recovered) > 0 {
			fmt.Fprintf(a.stdout, "\n%s: requests that succeeded on a retry, by first failure: %s\n", safe(s.Name), formatErrors(s.Recovered))
		}
		if q := s.Queue; q != nil {
			fmt.Fprintf(a.stdout, "\n%s: work queue at %s: %d waiting, %d in flight, %d redelivered, %d of this site's dispatched, %d duplicate results dropped\n",
				safe(s.Name), a.when(q.At), q.Depth, q.InFlight, q.Redelivered, q.Dispatched, q.DuplicateResults)
			for _, w := range q.Workers {
				fmt.Fprintf(a.stdout, "  worker %s: %d results, %.1f/s, last seen %s\n", safe(w.Name), w.Results, w.PerSecond, a.when(w.LastSeen))
			}
		}
	}
	for _, s := range statuses {
		if len(s.RecentParked) == 0 {
			continue
		}
		fmt.Fprintf(a.stdout, "\n%s: %d items parked in the last pass (they killed or stalled crawl workers on every delivery; newest last)\n", safe(s.Name), s.Parked)
		for _, k := range s.RecentParked {
			fmt.Fprintf(a.stdout, "  %s %s on %s: %s\n", k.Kind, safe(k.URL), safe(k.Page), k.Reason)
		}
	}
	for _, s := range statuses {
		if len(s.RecentSkipped) == 0 {
			continue
		}
		fmt.Fprintf(a.stdout, "\n%s: media recently skipped for a limit (newest last)\n", safe(s.Name))
		for _, k := range s.RecentSkipped {
			size := "size unknown"
			if k.Size > 0 {
				size = fmt.Sprintf("%d bytes", k.Size)
			}
			fmt.Fprintf(a.stdout, "  %s  %s (limit %d) on %s\n", safe(k.URL), size, k.Limit, safe(k.Page))
		}
	}
	return nil
}

// formatBounds says which site bounds a pass reached.
func formatBounds(b map[string]int) string {
	var parts []string
	for _, k := range []string{"max_pages", "max_pass_duration", "max_links_per_page"} {
		switch n := b[k]; {
		case n == 0:
		case k == "max_links_per_page":
			parts = append(parts, fmt.Sprintf("%s (%d pages cut short)", k, n))
		default:
			parts = append(parts, k+" (the rest of the queue was dropped)")
		}
	}
	return strings.Join(parts, ", ")
}
