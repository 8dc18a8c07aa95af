package main

import (
	"fmt"
	"path/filepath"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/spf13/cobra"
)

func (a *app) importCommand() *cobra.Command {
	var caseID, label string
	cmd := &cobra.Command{
		Use:   "import --case ID FILE",
		Short: "Register PDQ hashes from a partner's hash list",
		Long: `import reads a hash list — one PDQ hash per line as 64 hex digits, optionally followed
by ",quality" and ",label"; blank lines and lines starting with # are skipped — and
registers each hash as a fingerprint of the case, all in one transaction. Bad lines are
reported with their line numbers and the rest are imported (exit status 1 if any were bad).`,
		Example: `  hashwatch import --case partner-2026-11 stopncii-export.txt`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if caseID == "" {
				return usagef("import: --case is required")
			}
			f, err := a.openFile(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			entries, bad, err := hashing.ReadHashList(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			for _, b := range bad {
				fail(a.stderr, "import: %s:%d: %v", args[0], b.Line, b.Err)
			}
			regs := make([]index.Registration, len(entries))
			for i, e := range entries {
				l := e.Label
				if l == "" {
					l = label
				}
				regs[i] = index.Registration{
					Label:  l,
					Source: fmt.Sprintf("%s:%d", filepath.Base(args[0]), e.Line),
					Print: hashing.Fingerprint{Kind: hashing.KindImage, Views: []hashing.View{
						{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{e.Hash}},
					}},
				}
			}
			if len(regs) > 0 {
				db, err := a.openDB()
				if err != nil {
					return err
				}
				defer db.Close()
				if _, err := db.Index.Register(cmd.Context(), caseID, label, regs, a.actor()); err != nil {
					return err
				}
			}
			fmt.Fprintf(a.stdout, "imported %d PDQ hash(es) into case %s; %d bad line(s)\n", len(regs), caseID, len(bad))
			if len(bad) > 0 {
				return errSomeFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&caseID, "case", "", "case to register the hashes under (required)")
	cmd.Flags().StringVar(&label, "label", "", "label for the case, and for hashes whose line has none")
	return cmd
}

func (a *app) exportCommand() *cobra.Command {
	var caseID string
	cmd := &cobra.Command{
		Use:   "export [--case ID]",
		Short: "Print registered PDQ hashes as a hash list partners can import",
		Long: `export prints the PDQ hash of each registered fingerprint — the reference PDQ of the
picture as registered (as partners compute it), not of the derived views — as
"hex,quality,label", one per line, for the case or for all cases. The label is the
fingerprint's label, or its case ID when it has none.`,
		Example: `  hashwatch export --case 2026-0042 > case-0042.pdq.txt`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			fps, err := db.Index.Fingerprints(caseID)
			if err != nil {
				return err
			}
			var entries []hashing.ListEntry
			for _, f := range fps {
				h, ok := exportedPDQ(f.Print)
				if !ok {
					continue
				}
				l := f.Label
				if l == "" {
					l = f.Case
				}
				entries = append(entries, hashing.ListEntry{Hash: h, Quality: h.Quality, Label: l})
			}
			return hashing.WriteHashList(a.stdout, entries)
		},
	}
	cmd.Flags().StringVar(&caseID, "case", "", "only this case's fingerprints")
	return cmd
}

// exportedPDQ is the hash export shares: the reference PDQ of the picture as
// registered, or for imported fingerprints the PDQ they were imported with.
func exportedPDQ(fp hashing.Fingerprint) (hashing.Hash, bool) {
	if len(fp.Reference) > 0 {
		return fp.Reference[0], true
	}
	if v, ok := fp.View(hashing.ViewOriginal); ok {
		return v.Hash(hashing.PDQ)
	}
	return hashing.Hash{}, false
}
