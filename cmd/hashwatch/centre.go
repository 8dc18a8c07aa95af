package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	"github.com/spf13/cobra"
)

// centreJSON is one line of `centre list --json`.
type centreJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	National  bool      `json:"national"`
	CreatedAt time.Time `json:"created_at"`
	// SelfSubmit: victims may submit with a PIN (centre self-submit).
	SelfSubmit bool `json:"self_submit"`
}

func (a *app) centreCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "centre",
		Short: "Manage the support centres that share the national index",
		Long: `Every user, case, alert, notice and reported URL belongs to one centre. The
national centre ("national") exists in every database and sees every centre's
work; each regional centre sees only its own.`,
		Args: cobra.NoArgs,
	}
	var name string
	add := &cobra.Command{
		Use:   "add ID --name NAME",
		Short: "Add a regional centre",
		Long: `add creates a centre. ID is 1–32 lower-case letters, digits or '-' and never
changes; NAME is what people see. Then add its staff with
'hashwatch user add NAME --role R --centre ID'.`,
		Example: `  hashwatch centre add busan --name "Busan support centre"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return usagef("centre add: --name is required")
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := db.Centres.Add(cmd.Context(), args[0], name, a.actor())
			if err != nil {
				if errors.Is(err, store.ErrInvalid) {
					return usageError{err}
				}
				return err
			}
			fmt.Fprintf(a.stdout, "added centre %s (%s)\n", safe(c.ID), safe(c.Name))
			return nil
		},
	}
	add.Flags().StringVar(&name, "name", "", "the centre's name (required)")
	var asJSON bool
	list := &cobra.Command{
		Use:     "list [--json]",
		Short:   "List the centres, the national one first",
		Example: `  hashwatch centre list --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			cs, err := db.Centres.List()
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]centreJSON, len(cs))
				for i, c := range cs {
					out[i] = centreJSON{ID: c.ID, Name: c.Name, National: c.National(), CreatedAt: c.CreatedAt, SelfSubmit: c.SelfSubmit}
				}
				return writeEach(a.stdout, out)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CENTRE\tNAME\tCREATED")
			for _, c := range cs {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", safe(c.ID), safe(c.Name), c.CreatedAt.In(a.loc).Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "one JSON object per centre")
	selfSubmit := &cobra.Command{
		Use:   "self-submit ID on|off",
		Short: "Let victims add fingerprints to their case themselves, with a PIN (off by default)",
		Long: `self-submit turns a centre's self-submission by victims on or off (audited).
When on, the centre's staff issue a case a one-time PIN ('hashwatch case pin',
or the cases page), and the victim, with no account, opens /submit on the
console, enters the case number and PIN, and adds fingerprints of pictures and
videos hashed in their own browser; only fingerprints are accepted. With the
same case number and PIN they may withdraw the case. Off refuses every
submission and withdrawal by PIN at once; issued PINs work again if it is
turned back on before they expire.`,
		Example: `  hashwatch centre self-submit busan on`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			on := args[1] == "on"
			if !on && args[1] != "off" {
				return usagef("centre self-submit: want on or off, not %q", args[1])
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Centres.SetSelfSubmit(cmd.Context(), args[0], on, a.actor()); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return usageError{err}
				}
				return err
			}
			fmt.Fprintf(a.stdout, "self-submission of centre %s: %s\n", safe(args[0]), args[1])
			return nil
		},
	}
	cmd.AddCommand(add, list, selfSubmit)
	return cmd
}

// centreFlag resolves a --centre flag for a command that acts in one
// centre (register, import): the flag's centre, which must exist; without
// the flag the national centre while it is the only one, and a usage
// error once there are others, so that nothing lands in the wrong centre
// by default.
func centreFlag(cs []centres.Centre, flag, command string) (string, error) {
	if flag == "" {
		if len(cs) > 1 {
			return "", usagef("%s: --centre is required once there is more than one centre (hashwatch centre list)", command)
		}
		return centres.National, nil
	}
	for _, c := range cs {
		if c.ID == flag {
			return flag, nil
		}
	}
	return "", usagef("%s: no centre %q (hashwatch centre list)", command, flag)
}
