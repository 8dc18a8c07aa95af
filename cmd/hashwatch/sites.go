package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) sitesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sites [--json]",
		Short: "Show each watched site's last crawl pass",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			statuses, err := db.SiteStatuses()
			if err != nil {
				return err
			}
			if asJSON {
				out := newJSONLines(a.stdout)
				for _, s := range statuses {
					if err := out.write(s); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SITE\tPASSES\tLAST PASS\tDURATION\tPAGES\tMEDIA\tNEW ALERTS\tERRORS")
			for _, s := range statuses {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%d\t%d\t%s\n", s.Name, s.TotalPass, s.PassEnd.Local().Format(time.DateTime),
					s.PassEnd.Sub(s.PassStart).Round(time.Millisecond), s.Pages, s.Media, s.NewAlerts, formatErrors(s.Errors))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per site")
	return cmd
}
