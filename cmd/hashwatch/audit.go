package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/store/auditexport"
)

func (a *app) auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log",
		Args:  cobra.NoArgs,
	}
	var format, action, user, since, until, centre string
	export := &cobra.Command{
		Use:   "export [--format csv|jsonl] [--since DATE] [--until DATE] [--action PREFIX.] [--user NAME] [--centre ID]",
		Short: "Write the audit log, oldest first, as CSV or JSON lines",
		Long: `export writes every audit record (who did what to which target, when and from where)
oldest first to standard output: CSV with a header row, or one JSON object per line.
Times are RFC 3339 in the deployment's zone (--tz, $TZ, else Asia/Seoul). A CSV cell
that a spreadsheet would run as a formula (starting with = + - @) is prefixed with '.

--since and --until take a date (2026-12-01, midnight in the zone) or an RFC 3339
time; --action an exact action or a prefix ending in "." (alert.).

Each record names the centre it is on record for: the centre of what was
changed (a case, an alert, a notice, a user or their token), else the
actor's; the command line acts with national scope, so its changes to a
regional centre's things are that centre's records. --centre keeps one
centre's (national: also those naming none).`,
		Example: `  hashwatch audit export --format csv > audit.csv
  hashwatch audit export --format jsonl --since 2026-12-01 --action notice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "csv" && format != "jsonl" {
				return usagef("audit export: --format must be csv or jsonl (got %q)", format)
			}
			f := store.AuditFilter{Action: action, User: user, Centre: centre}
			var err error
			if f.Since, err = a.parseWhen("--since", since); err != nil {
				return err
			}
			if f.Until, err = a.parseWhen("--until", until); err != nil {
				return err
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			all, err := auditexport.ReadAll(cmd.Context(), db.Store, f)
			if err != nil {
				return err
			}
			if format == "jsonl" {
				return auditexport.WriteJSONL(a.stdout, all, a.loc)
			}
			return auditexport.WriteCSV(a.stdout, all, a.loc)
		},
	}
	export.Flags().StringVar(&format, "format", "csv", "csv or jsonl")
	export.Flags().StringVar(&action, "action", "", "only this action, or actions under a prefix ending in \".\"")
	export.Flags().StringVar(&user, "user", "", "only records by this user (cli:NAME for the command line)")
	export.Flags().StringVar(&centre, "centre", "", "only this centre's records")
	export.Flags().StringVar(&since, "since", "", "only records at or after this date or time")
	export.Flags().StringVar(&until, "until", "", "only records before this date or time")
	cmd.AddCommand(export)
	return cmd
}

// parseWhen reads a date (midnight in the deployment's zone) or an RFC
// 3339 time; empty is the zero time.
func (a *app) parseWhen(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, a.loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("audit export: %s %q: want a date (2026-12-01) or an RFC 3339 time", flag, s)
}
