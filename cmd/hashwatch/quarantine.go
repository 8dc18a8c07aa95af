package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/database"
	"github.com/spf13/cobra"
)

// floodFlags adds the flood quarantine's limit to a command that records
// alerts (crawl, serve).
func floodFlags(cmd *cobra.Command, l *alerts.FloodLimit) {
	*l = alerts.DefaultFloodLimit()
	cmd.Flags().IntVar(&l.Media, "flood-media", l.Media, "quarantine a fingerprint that alerts on more than this many distinct media within --flood-window (0: never)")
	cmd.Flags().DurationVar(&l.Window, "flood-window", l.Window, "the window of --flood-media")
}

// applyFlood puts the flags' limit in force on db.
func applyFlood(db *database.DB, l alerts.FloodLimit) error {
	if err := db.Alerts.SetFloodLimit(l); err != nil {
		return usageError{fmt.Errorf("--flood-media/--flood-window: %w", err)}
	}
	return nil
}

// quarantineJSON is one line of `quarantine list --json`.
type quarantineJSON struct {
	Fingerprint uint64               `json:"fingerprint"`
	Case        string               `json:"case"`
	Label       string               `json:"label,omitempty"`
	State       string               `json:"state"`
	Since       time.Time            `json:"since"`
	Floods      int                  `json:"floods"`
	Limit       string               `json:"limit"`
	DecidedAt   *time.Time           `json:"decided_at,omitempty"`
	DecidedBy   string               `json:"decided_by,omitempty"`
	Reason      string               `json:"reason,omitempty"`
	History     *alerts.MatchHistory `json:"history"`
}

func toQuarantineJSON(q alerts.Quarantine) quarantineJSON {
	out := quarantineJSON{Fingerprint: q.Fingerprint, Case: q.Case, Label: q.Label, State: string(q.State),
		Since: q.Since, Floods: q.Floods, Limit: q.Limit.String(), DecidedBy: q.DecidedBy, Reason: q.Reason, History: q.History}
	if !q.DecidedAt.IsZero() {
		t := q.DecidedAt
		out.DecidedAt = &t
	}
	return out
}

func (a *app) quarantineCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quarantine",
		Short: "Fingerprints held for matching too many distinct media: list, release, retire",
		Long: `A registered fingerprint that raises alerts for more than --flood-media distinct
media within --flood-window (crawl and serve flags; default more than 10 in 24h) is
quarantined: its alerts are held as "quarantined" instead of going to the operators'
queue. Staff look at its match history and either release it (its alerts go to the
queue as new, and the count starts again) or retire it (the fingerprint is deleted
and stops matching at once; its held alerts are dismissed with the reason).
Decisions are recorded in the audit log as cli:$USER.`,
		Args: cobra.NoArgs,
	}
	var asJSON bool
	list := &cobra.Command{
		Use:     "list [--json]",
		Short:   "List quarantined fingerprints (then released and retired ones) with their match history",
		Example: `  hashwatch quarantine list --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			qs, err := db.Alerts.Quarantines(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				out := newJSONLines(a.stdout)
				for _, q := range qs {
					if err := out.write(toQuarantineJSON(q)); err != nil {
						return err
					}
				}
				return nil
			}
			if len(qs) == 0 {
				fmt.Fprintln(a.stdout, "no quarantined fingerprints")
				return nil
			}
			tw := termtable.New(a.stdout)
			fmt.Fprintln(tw, "FINGERPRINT\tCASE\tSTATE\tSINCE\tMEDIA\tHELD\tSITES\tDISTANCES")
			for _, q := range qs {
				h := q.History
				var sites, dists []string
				for _, s := range h.Sites {
					sites = append(sites, fmt.Sprintf("%s:%d", s.Site, s.Media))
				}
				for _, d := range h.Distances {
					if d.Media > 0 {
						dists = append(dists, fmt.Sprintf("%d-%d:%d", d.From, d.To, d.Media))
					}
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", q.Fingerprint, q.Case, q.State,
					a.when(q.Since), h.Media, h.Held, orDash(strings.Join(sites, " ")), orDash(strings.Join(dists, " ")))
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "one JSON object per fingerprint")

	release := &cobra.Command{
		Use:     "release FINGERPRINT",
		Short:   "Release a quarantined fingerprint: its held alerts go to the operators' queue",
		Example: `  hashwatch quarantine release 42`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			q, n, err := db.Alerts.ReleaseQuarantine(cmd.Context(), id, a.actor())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "fingerprint %d (case %s) released: %d alert(s) to the queue\n", q.Fingerprint, q.Case, n)
			return nil
		},
	}
	var reason string
	retire := &cobra.Command{
		Use:     "retire FINGERPRINT --reason TEXT",
		Short:   "Retire a quarantined fingerprint: it stops matching, its held alerts are dismissed",
		Example: `  hashwatch quarantine retire 42 --reason "matches every plain frame"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usagef("quarantine retire: --reason is required")
			}
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			q, n, err := db.Alerts.RetireQuarantine(cmd.Context(), id, strings.TrimSpace(reason), a.actor())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "fingerprint %d (case %s) retired: it no longer matches; %d alert(s) dismissed\n", q.Fingerprint, q.Case, n)
			return nil
		},
	}
	retire.Flags().StringVar(&reason, "reason", "", "why the fingerprint is retired (required)")
	cmd.AddCommand(list, release, retire)
	return cmd
}

func (a *app) negativeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "negative",
		Short: "The negative bank: media dismissed as not this content, which never alert again",
		Long: `The negative bank holds pictures an operator dismissed as "not this content" (a site
logo, a banner, a stock picture): their SHA-256 and the PDQ hash of the picture as
crawled, never the picture. A crawled picture with the same SHA-256, or a PDQ within
16 bits of an entry's, raises no alert on any site for any case. Changes are
recorded in the audit log as cli:$USER.`,
		Args: cobra.NoArgs,
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the negative bank",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			es, err := db.Alerts.Negatives()
			if err != nil {
				return err
			}
			if asJSON {
				return writeEach(a.stdout, es)
			}
			if len(es) == 0 {
				fmt.Fprintln(a.stdout, "the negative bank is empty")
				return nil
			}
			tw := termtable.New(a.stdout)
			fmt.Fprintln(tw, "ID\tALERT\tSITE\tSHA-256\tPDQ\tADDED BY\tADDED\tREASON")
			for _, e := range es {
				fmt.Fprintf(tw, "%d\t%d\t%s\t%.16s…\t%s\t%s\t%s\t%s\n", e.ID, e.AlertID, orDash(e.Site), e.SHA256,
					orDash(shortHex(e.PDQ)), e.AddedBy, a.when(e.AddedAt), e.Reason)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "one JSON object per entry")
	var reason string
	add := &cobra.Command{
		Use:     "add ALERT-ID --reason TEXT",
		Short:   "Dismiss an alert (if it is not yet) and add its media to the negative bank",
		Example: `  hashwatch negative add 17 --reason "the forum's logo"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usagef("negative add: --reason is required")
			}
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			e, al, err := db.Alerts.AddNegative(cmd.Context(), id, strings.TrimSpace(reason), a.actor())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "alert %d is %s; its media is negative bank entry %d\n", al.ID, al.Status, e.ID)
			return nil
		},
	}
	add.Flags().StringVar(&reason, "reason", "", "why the media is not the registered content (required)")
	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove an entry from the negative bank; the picture may alert again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			e, err := db.Alerts.RemoveNegative(cmd.Context(), id, a.actor())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "negative bank entry %d (media %s) removed\n", e.ID, e.SHA256)
			return nil
		},
	}
	cmd.AddCommand(list, add, remove)
	return cmd
}

// shortHex shortens a long hash for a table.
func shortHex(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
