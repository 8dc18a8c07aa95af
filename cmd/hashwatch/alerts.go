package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/console"
	"github.com/spf13/cobra"
)

// alertJSON is one line of `alerts list --json`, part of the CLI contract.
type alertJSON struct {
	ID          uint64    `json:"id"`
	Status      string    `json:"status"`
	Centre      string    `json:"centre"`
	Case        string    `json:"case"`
	Site        string    `json:"site"`
	PageURL     string    `json:"page_url"`
	MediaURL    string    `json:"media_url"`
	MediaSHA256 string    `json:"media_sha256"`
	Algorithm   string    `json:"algorithm"`
	Distance    int       `json:"distance"`
	CreatedAt   time.Time `json:"created_at"`
}

func (a *app) alertsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "List, show, confirm, dismiss and undo decisions on match alerts",
		Args:  cobra.NoArgs,
	}
	var status, site, caseID, centre string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--status S] [--site NAME] [--centre ID] [--case ID] [--json]",
		Short: "List alerts, oldest first",
		Long: `list prints alerts, oldest first. The command line acts as the national operator
of the machine: it lists every centre's alerts unless --centre names one.`,
		Example: `  hashwatch alerts list --status new
  hashwatch alerts list --centre busan --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" && !alerts.Status(status).Valid() {
				return usagef("alerts list: unknown status %q (new, confirmed, dismissed, notice_sent, removed, withdrawn, quarantined)", status)
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			alerts, err := db.Alerts.Alerts(alerts.AlertFilter{Status: alerts.Status(status), Site: site, Centre: centre, Case: caseID})
			if err != nil {
				return err
			}
			if asJSON {
				out := newJSONLines(a.stdout)
				for _, al := range alerts {
					if err := out.write(alertJSON{ID: al.ID, Status: string(al.Status), Centre: al.Centre, Case: al.Case, Site: al.Site,
						PageURL: al.PageURL, MediaURL: al.MediaURL, MediaSHA256: al.MediaSHA256,
						Algorithm: al.Algorithm, Distance: al.Distance, CreatedAt: al.CreatedAt}); err != nil {
						return err
					}
				}
				return nil
			}
			printAlerts(a, alerts)
			return nil
		},
	}
	list.Flags().StringVar(&status, "status", "", "only alerts with this status")
	list.Flags().StringVar(&site, "site", "", "only alerts from this site")
	list.Flags().StringVar(&caseID, "case", "", "only alerts of this case")
	list.Flags().StringVar(&centre, "centre", "", "only alerts of this centre")
	list.Flags().BoolVar(&asJSON, "json", false, "one JSON object per alert")

	var showJSON bool
	show := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "Show one alert with its evidence and every URL it was seen at",
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
			al, err := db.Alerts.Alert(id)
			if err != nil {
				return err
			}
			if showJSON {
				return a.writeAlertJSON(al)
			}
			b, _ := json.MarshalIndent(console.NewAlertJSON(al), "", "  ")
			_, err = fmt.Fprintln(a.stdout, string(b))
			return err
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "one JSON object")

	var confirmJSON bool
	confirm := &cobra.Command{
		Use:   "confirm ID [--json]",
		Short: "Confirm an alert as a re-upload to take down",
		Example: `  hashwatch alerts confirm 12
  hashwatch alerts confirm 12 --json   # the updated alert, as alerts show --json prints it`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.setStatus(cmd, args[0], alerts.StatusConfirmed, "", confirmJSON)
		},
	}
	confirm.Flags().BoolVar(&confirmJSON, "json", false, "print the updated alert as one JSON object (the shape of alerts show --json)")
	var reason string
	var dismissJSON bool
	dismiss := &cobra.Command{
		Use:   "dismiss ID --reason TEXT [--json]",
		Short: "Dismiss an alert; the same media and fingerprint never alert again",
		Example: `  hashwatch alerts dismiss 12 --reason "a different person"
  hashwatch alerts dismiss 12 --reason "site logo" --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return usagef("alerts dismiss: --reason is required")
			}
			return a.setStatus(cmd, args[0], alerts.StatusDismissed, reason, dismissJSON)
		},
	}
	dismiss.Flags().StringVar(&reason, "reason", "", "why the alert is not a re-upload (required)")
	dismiss.Flags().BoolVar(&dismissJSON, "json", false, "print the updated alert as one JSON object (the shape of alerts show --json)")
	var undoJSON bool
	undo := &cobra.Command{
		Use:   "undo ID... [--json]",
		Short: "Undo the last confirm or dismiss of alerts, all or nothing",
		Long: `undo puts each alert back as it was before its last decision (confirm or
dismiss), as the console's Undo button does, and records "alert.undo" in the
audit log. It is refused — and then nothing is undone — for an alert whose
decision is older than the undo window (serve's --undo-window while serve
runs, else 10 minutes), after which something that cannot be taken back
followed (a notice sent, removal found, the case withdrawn), that someone
else decided (the command line acts as cli:$USER, no admin), that another
operator holds in the console (a claim), or that has no decision to undo.
Each refusal is said on stderr, and the exit status is 1. With --json each
restored alert is printed as one JSON object, in the order named, in the
shape of alerts show --json.`,
		Example: `  hashwatch alerts confirm 12
  hashwatch alerts undo 12
  hashwatch alerts undo 12 13 14 --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.undoDecisions(cmd, args, undoJSON)
		},
	}
	undo.Flags().BoolVar(&undoJSON, "json", false, "print each restored alert as one JSON object (the shape of alerts show --json)")
	cmd.AddCommand(list, show, confirm, dismiss, undo)
	return cmd
}

// undoDecisions undoes the last decision on each alert of args, all or
// nothing, saying a refusal in the console's words.
func (a *app) undoDecisions(cmd *cobra.Command, args []string, asJSON bool) error {
	if len(args) > alerts.MaxBulk {
		return usagef("alerts undo: %d alerts named; at most %d at a time", len(args), alerts.MaxBulk)
	}
	ids := make([]uint64, len(args))
	for i, arg := range args {
		id, err := parseID(arg)
		if err != nil {
			return err
		}
		ids[i] = id
	}
	db, err := a.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	window := alerts.DefaultUndoWindow
	if a.held != nil && a.held.undoWindow > 0 {
		window = a.held.undoWindow
	}
	done, err := db.Alerts.UndoDecisions(cmd.Context(), ids, a.actor(), alerts.Undo{Window: window})
	var re *alerts.BulkRefusedError
	if errors.As(err, &re) {
		if len(re.Refusals) == 1 && re.Of == 1 {
			return console.UndoRefusal(re.Refusals[0].Err, window)
		}
		for _, rf := range re.Refusals {
			fmt.Fprintf(a.stderr, "hashwatch: %v\n", console.UndoRefusal(rf.Err, window))
		}
		return console.UndoRefusedMany(len(re.Refusals), re.Of)
	}
	if err != nil {
		return err
	}
	for _, al := range done {
		if err := a.printDecided(al, asJSON); err != nil {
			return err
		}
	}
	return nil
}

// writeAlertJSON prints al as one JSON line in the form the CLI and the
// API share (console.NewAlertJSON): alerts show --json, and the decisions'
// and undo's --json.
func (a *app) writeAlertJSON(al alerts.Alert) error {
	return newJSONLines(a.stdout).write(console.NewAlertJSON(al))
}

// printDecided says what a decision or an undo left an alert as: a line
// for people, or with asJSON the whole alert as alerts show --json prints it.
func (a *app) printDecided(al alerts.Alert, asJSON bool) error {
	if asJSON {
		return a.writeAlertJSON(al)
	}
	_, err := fmt.Fprintf(a.stdout, "alert %d is now %s\n", al.ID, al.Status)
	return err
}

func (a *app) setStatus(cmd *cobra.Command, arg string, s alerts.Status, reason string, asJSON bool) error {
	id, err := parseID(arg)
	if err != nil {
		return err
	}
	db, err := a.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	al, err := db.Alerts.DecideAlert(cmd.Context(), id, s, reason, a.actor())
	if err != nil {
		return err
	}
	return a.printDecided(al, asJSON)
}

func parseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, usagef("%q is not an ID (a positive whole number)", s)
	}
	return id, nil
}

func printAlerts(a *app, alerts []alerts.Alert) {
	if len(alerts) == 0 {
		fmt.Fprintln(a.stdout, "no alerts")
		return
	}
	tw := termtable.New(a.stdout)
	fmt.Fprintln(tw, "ID\tSTATUS\tCENTRE\tCASE\tSITE\tMATCH\tPAGE\tMEDIA\tSEEN AT\tCREATED")
	for _, al := range alerts {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s %d\t%s\t%s\t%d URL(s)\t%s\n", al.ID, al.Status, safe(al.Centre), safe(al.Case), safe(al.Site),
			al.Algorithm, al.Distance, safe(al.PageURL), safe(al.MediaURL), len(al.Sightings), a.when(al.CreatedAt))
	}
	tw.Flush()
}
