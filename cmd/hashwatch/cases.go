package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) caseCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case",
		Short: "List cases, or withdraw one at the victim's request",
		Args:  cobra.NoArgs,
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List cases with their fingerprint counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			cases, err := db.Index.Cases()
			if err != nil {
				return err
			}
			if asJSON {
				return writeEach(a.stdout, cases)
			}
			tw := newTable(a.stdout)
			fmt.Fprintln(tw, "CASE\tLABEL\tFINGERPRINTS\tCREATED\tWITHDRAWN")
			for _, c := range cases {
				w := ""
				if c.Withdrawn() {
					w = a.when(c.WithdrawnAt)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", safe(c.ID), safe(c.Label), c.Fingerprints, a.when(c.CreatedAt), w)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "one JSON object per case")
	withdraw := &cobra.Command{
		Use:   "withdraw ID",
		Short: "Withdraw a case: delete its fingerprints and close its open alerts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			fps, alerts, err := db.Index.Withdraw(cmd.Context(), args[0], a.actor())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "case %s withdrawn: %d fingerprint(s) deleted, %d open alert(s) closed\n", safe(args[0]), fps, alerts)
			return nil
		},
	}
	cmd.AddCommand(list, withdraw)
	return cmd
}
