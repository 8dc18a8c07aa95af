package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/index"
	"github.com/spf13/cobra"
)

func (a *app) caseCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case",
		Short: "List cases, withdraw one at the victim's request, move one to another centre, or issue a PIN",
		Long: `Cases belong to a centre, and case IDs are unique per centre. The command line acts
as the national operator of the machine: it sees every centre's cases, but shows a
case's label only for the national centre's cases (a label is its centre's alone).`,
		Args: cobra.NoArgs,
	}
	var asJSON bool
	var listCentre string
	list := &cobra.Command{
		Use:     "list [--centre ID] [--json]",
		Short:   "List cases with their fingerprint counts",
		Example: `  hashwatch case list --centre busan --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			cases, err := db.Index.CasesOf(listCentre)
			if err != nil {
				return err
			}
			for i := range cases {
				if cases[i].Centre != centres.National {
					cases[i].Label = ""
				}
			}
			if asJSON {
				return writeEach(a.stdout, cases)
			}
			tw := termtable.New(a.stdout)
			fmt.Fprintln(tw, "CENTRE\tCASE\tLABEL\tFINGERPRINTS\tCREATED\tWITHDRAWN")
			for _, c := range cases {
				w := ""
				if c.Withdrawn() {
					w = a.when(c.WithdrawnAt)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", safe(c.Centre), safe(c.ID), safe(c.Label), c.Fingerprints, a.when(c.CreatedAt), w)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "one JSON object per case")
	list.Flags().StringVar(&listCentre, "centre", "", "only this centre's cases")
	var centre string
	withdraw := &cobra.Command{
		Use:     "withdraw ID [--centre ID]",
		Short:   "Withdraw a case: delete its fingerprints and close its open alerts",
		Example: `  hashwatch case withdraw 2026-0042 --centre busan`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			cs, err := db.Centres.List()
			if err != nil {
				return err
			}
			in, err := centreFlag(cs, centre, "case withdraw")
			if err != nil {
				return err
			}
			fps, alerts, err := db.Index.WithdrawIn(cmd.Context(), in, args[0], a.actor())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "case %s of centre %s withdrawn: %d fingerprint(s) deleted, %d open alert(s) closed\n", safe(args[0]), safe(in), fps, alerts)
			return nil
		},
	}
	withdraw.Flags().StringVar(&centre, "centre", "", "the case's centre (default national; required once there are several)")
	var to string
	move := &cobra.Command{
		Use:   "move ID --centre FROM --to CENTRE",
		Short: "Move a case, its fingerprints and its alerts to another centre (audited)",
		Long: `move hands a case to another centre: its fingerprints, its alerts (which leave the
old centre's queue and join the new one's) and the alerts it raises from then on.
The new centre must not have a case of the same ID. The move is recorded in the
audit log as case.move.`,
		Example: `  hashwatch case move 2026-0042 --centre national --to busan`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usagef("case move: --to is required")
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			cs, err := db.Centres.List()
			if err != nil {
				return err
			}
			from, err := centreFlag(cs, centre, "case move")
			if err != nil {
				return err
			}
			if _, err := centreFlag(cs, to, "case move"); err != nil {
				return err
			}
			fps, alerts, err := db.Index.MoveCase(cmd.Context(), from, args[0], to, a.actor())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "case %s moved from centre %s to centre %s: %d fingerprint(s), %d alert(s)\n", safe(args[0]), safe(from), safe(to), fps, alerts)
			return nil
		},
	}
	move.Flags().StringVar(&centre, "centre", "", "the case's centre now (default national; required once there are several)")
	move.Flags().StringVar(&to, "to", "", "the centre to move it to (required)")
	var pinCentre string
	var days int
	var revoke bool
	pin := &cobra.Command{
		Use:   "pin ID [--centre ID] [--days N] [--revoke]",
		Short: "Issue a case a one-time PIN for the victim's self-submission (shown once)",
		Long: `pin gives a case a new PIN, replacing any earlier one, for the victim to add
fingerprints hashed in their own browser on the console's /submit page, and to
withdraw the case, with the case number and the PIN. The centre must have
self-submission on ('hashwatch centre self-submit ID on'). A case that does not
exist yet is created, empty. The PIN is printed once and kept only as a bcrypt
hash; it is valid for --days (default 14, at most 90), until revoked
(--revoke) or replaced, and locks after 5 wrong tries. Audited.`,
		Example: `  hashwatch case pin 2026-0042 --centre busan
  hashwatch case pin 2026-0042 --centre busan --revoke`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if days < 0 || days > int(index.MaxPINTTL/(24*time.Hour)) {
				return usagef("case pin: --days %d: want 1 to %d", days, int(index.MaxPINTTL/(24*time.Hour)))
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			cs, err := db.Centres.List()
			if err != nil {
				return err
			}
			in, err := centreFlag(cs, pinCentre, "case pin")
			if err != nil {
				return err
			}
			if revoke {
				if err := db.Index.RevokePIN(cmd.Context(), in, args[0], a.actor()); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "the PIN of case %s of centre %s is revoked\n", safe(args[0]), safe(in))
				return nil
			}
			p, exp, err := db.Index.IssuePIN(cmd.Context(), in, args[0], time.Duration(days)*24*time.Hour, a.actor())
			if err != nil {
				if errors.Is(err, index.ErrSelfSubmitOff) {
					return usagef("case pin: centre %s has self-submission off (hashwatch centre self-submit %s on)", in, in)
				}
				return err
			}
			fmt.Fprintf(a.stdout, "PIN for case %s of centre %s: %s\nvalid until %s; shown only now: give it to the victim with the case number (page /submit)\n",
				safe(args[0]), safe(in), p, exp.In(a.loc).Format(time.DateTime))
			return nil
		},
	}
	pin.Flags().StringVar(&pinCentre, "centre", "", "the case's centre (default national; required once there are several)")
	pin.Flags().IntVar(&days, "days", 0, "days the PIN stays valid (default 14)")
	pin.Flags().BoolVar(&revoke, "revoke", false, "revoke the case's PIN instead of issuing one")
	cmd.AddCommand(list, withdraw, move, pin)
	return cmd
}
