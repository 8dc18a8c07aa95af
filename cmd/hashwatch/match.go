package main

import (
	"fmt"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/spf13/cobra"
)

// matchJSON is one line of `match --json`, part of the CLI contract.
type matchJSON struct {
	Path    string         `json:"path"`
	Kind    string         `json:"kind"`
	Matches []matchHitJSON `json:"matches"`
	Error   *string        `json:"error"`
}

type matchHitJSON struct {
	Case        string `json:"case"`
	Fingerprint uint64 `json:"fingerprint"`
	Algorithm   string `json:"algorithm"`
	Distance    int    `json:"distance"`
}

func (a *app) matchCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "match [--json] PATH...",
		Short: "Match local files against registered fingerprints (creates no alerts)",
		Long: `match fingerprints each file (folders are walked recursively for image files) and
lists the registered fingerprints it matches under the default rule (` + hashing.DefaultRule().String() + `).
It records nothing.`,
		Example: `  hashwatch match --json suspicious.jpg downloads/`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			hasher := hashing.NewHasher(hashing.Limits{})
			rule := hashing.DefaultRule()
			out := newJSONLines(a.stdout)
			failed := 0
			for _, in := range expandPaths(paths) {
				res := matchJSON{Path: in.path, Kind: string(hashing.KindImage), Matches: []matchHitJSON{}}
				fp, err := fingerprintFile(cmd.Context(), hasher, in, hashing.ForQuery)
				if err == nil {
					res.Kind = string(fp.Kind)
					ms, merr := db.Match(cmd.Context(), fp, rule)
					err = merr
					for _, m := range ms {
						res.Matches = append(res.Matches, matchHitJSON{Case: m.Case, Fingerprint: m.Fingerprint,
							Algorithm: string(m.Evidence.Algorithm), Distance: m.Evidence.Distance})
					}
				}
				if err != nil {
					failed++
					res.Error = errString(err)
				}
				switch {
				case asJSON:
					if err := out.write(res); err != nil {
						return err
					}
				case res.Error != nil:
					fail(a.stderr, "match: %s", *res.Error)
				case len(res.Matches) == 0:
					fmt.Fprintf(a.stdout, "%s: no match\n", res.Path)
				default:
					for _, m := range res.Matches {
						fmt.Fprintf(a.stdout, "%s: MATCH case %s fingerprint %d (%s distance %d)\n", res.Path, m.Case, m.Fingerprint, m.Algorithm, m.Distance)
					}
				}
			}
			if failed > 0 {
				return errSomeFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per file")
	return cmd
}
