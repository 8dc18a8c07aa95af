package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hashwatch/hashwatch/store"
)

// auditPage is how many entries one read of the log takes.
const auditPage = 1000

func (a *app) auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log",
		Args:  cobra.NoArgs,
	}
	var format, action, user, since, until string
	export := &cobra.Command{
		Use:   "export [--format csv|jsonl] [--since DATE] [--until DATE] [--action PREFIX.] [--user NAME]",
		Short: "Write the audit log, oldest first, as CSV or JSON lines",
		Long: `export writes every audit record (who did what to which target, when and from where)
oldest first to standard output: CSV with a header row, or one JSON object per line.
Times are RFC 3339 in the deployment's zone (--tz, $TZ, else Asia/Seoul). A CSV cell
that a spreadsheet would run as a formula (starting with = + - @) is prefixed with '.

--since and --until take a date (2026-12-01, midnight in the zone) or an RFC 3339
time; --action an exact action or a prefix ending in "." (alert.).`,
		Example: `  hashwatch audit export --format csv > audit.csv
  hashwatch audit export --format jsonl --since 2026-12-01 --action notice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "csv" && format != "jsonl" {
				return usagef("audit export: --format must be csv or jsonl (got %q)", format)
			}
			f := store.AuditFilter{Action: action, User: user, Limit: auditPage}
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
			// The log reads newest first, a page at a time; an export
			// reads oldest first.
			var all []store.AuditEntry
			for {
				page, err := db.Store.AuditLog(f)
				if err != nil {
					return err
				}
				all = append(all, page...)
				if len(page) < auditPage {
					break
				}
				f.Before = page[len(page)-1].Seq
				if err := cmd.Context().Err(); err != nil {
					return err
				}
			}
			slices.Reverse(all)
			return a.writeAudit(format, all)
		},
	}
	export.Flags().StringVar(&format, "format", "csv", "csv or jsonl")
	export.Flags().StringVar(&action, "action", "", "only this action, or actions under a prefix ending in \".\"")
	export.Flags().StringVar(&user, "user", "", "only records by this user (cli:NAME for the command line)")
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

// auditRecord is an audit entry as exported.
type auditRecord struct {
	Seq    uint64 `json:"seq"`
	At     string `json:"at"`
	User   string `json:"user"`
	Remote string `json:"remote,omitempty"`
	Token  string `json:"token,omitempty"`
	Action string `json:"action"`
	Target string `json:"target,omitempty"`
	Detail string `json:"detail,omitempty"`
}

func (a *app) writeAudit(format string, entries []store.AuditEntry) error {
	if format == "jsonl" {
		enc := json.NewEncoder(a.stdout)
		for _, e := range entries {
			if err := enc.Encode(auditRecord{Seq: e.Seq, At: e.At.In(a.loc).Format(time.RFC3339), User: e.User, Remote: e.Remote,
				Token: e.Token, Action: e.Action, Target: e.Target, Detail: e.Detail}); err != nil {
				return err
			}
		}
		return nil
	}
	w := csv.NewWriter(a.stdout)
	if err := w.Write([]string{"seq", "at", "user", "remote", "token", "action", "target", "detail"}); err != nil {
		return err
	}
	for _, e := range entries {
		row := []string{strconv.FormatUint(e.Seq, 10), e.At.In(a.loc).Format(time.RFC3339)}
		for _, v := range []string{e.User, e.Remote, e.Token, e.Action, e.Target, e.Detail} {
			row = append(row, noFormula(v))
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	return nil
}

// noFormula keeps a spreadsheet from running a cell as a formula: a
// detail may quote a URL or a name someone else chose.
func noFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
