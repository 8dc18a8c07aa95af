package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/spf13/cobra"
)

// passJSON is one line of `crawl --json`: what one pass of one site did.
type passJSON struct {
	Site      string         `json:"site"`
	Start     time.Time      `json:"start"`
	End       time.Time      `json:"end"`
	Pages     int            `json:"pages"`
	Media     int            `json:"media"`
	Bytes     int64          `json:"bytes"`
	Matches   int            `json:"matches"`
	NewAlerts int            `json:"new_alerts"`
	Skipped   int            `json:"skipped"`
	Errors    map[string]int `json:"errors"`
}

func (a *app) crawlCommand() *cobra.Command {
	var sitesFile, only string
	var once, asJSON bool
	cmd := &cobra.Command{
		Use:   "crawl --sites FILE [--once] [--site NAME] [--json]",
		Short: "Crawl watched sites and raise alerts for matching images",
		Long: `crawl reads the watched sites from FILE (see README: sites.yaml) and crawls them.
With --once it does one pass of every site (or of --site NAME) and exits; without it,
it crawls every site on its interval until interrupted (Ctrl-C or SIGTERM).
Errors on single pages or files are logged and counted; the crawl carries on.`,
		Example: `  hashwatch crawl --sites sites.yaml --once`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sitesFile == "" {
				return usagef("crawl: --sites FILE is required")
			}
			cfg, err := crawler.LoadConfig(sitesFile)
			if err != nil {
				return err
			}
			var sites []*crawler.Site
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
			c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule(), UserAgent: cfg.UserAgent, Logger: a.log}
			if !once {
				a.log.Info("crawling until interrupted", "sites", len(sites), "db", a.dbPath)
				return c.Run(cmd.Context(), sites)
			}
			stats, err := c.RunOnce(cmd.Context(), sites)
			if asJSON {
				out := newJSONLines(a.stdout)
				for _, s := range stats {
					if werr := out.write(passJSON(s)); werr != nil {
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
	return cmd
}

func printPasses(a *app, stats []crawler.PassStats) {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tPAGES\tMEDIA\tMATCHED\tNEW ALERTS\tSKIPPED\tERRORS\tTIME")
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", s.Site, s.Pages, s.Media, s.Matches, s.NewAlerts, s.Skipped,
			formatErrors(s.Errors), s.End.Sub(s.Start).Round(time.Millisecond))
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
