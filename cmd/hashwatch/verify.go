package main

import (
	"fmt"
	"io"

	"github.com/hashwatch/hashwatch/store"
	"github.com/spf13/cobra"
)

// verifyJSON is the line `verify --json` prints: the report and whether it
// found nothing wrong.
type verifyJSON struct {
	OK bool `json:"ok"`
	store.Report
}

func (a *app) verifyCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify [--json]",
		Short: "Check the database file and its contents; exit 1 listing any problems",
		Long: `verify checks the database without changing it:

  - the file: not truncated, and bbolt's page consistency check (every page
    reachable or free, exactly once, keys in order);
  - the schema version, and that every bucket is there;
  - every case, fingerprint, alert and site status decodes at its current
    encoding version, under the key it claims;
  - every fingerprint's case exists and is not withdrawn; every alert's case exists;
  - every alert has its de-duplication key, and every key points at its alert.

It prints a summary and every problem on stdout and exits 1 if there is any. Like
backup it opens the database read-only; while serve or a crawl holds the database it
runs inside that process, its page check and value checks each in one read
transaction while the writes go on. Verify a backup with --db BACKUP.`,
		Example: `  hashwatch --db /backups/hashwatch-2026-05-01.db verify`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openForInspection("verify")
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := db.Verify(cmd.Context())
			if err != nil {
				return err
			}
			// Named as the user named it, also when the process holding
			// the database opened it under another path.
			r.Path = a.dbPath
			if asJSON {
				if err := newJSONLines(a.stdout).write(verifyJSON{OK: r.OK(), Report: r}); err != nil {
					return err
				}
			} else {
				printVerify(a.stdout, r)
			}
			if !r.OK() {
				fail(a.stderr, "verify: %d problem(s) in %s", len(r.Problems)+r.Omitted, r.Path)
				return errSomeFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the report as one JSON object: {"ok", "path", "schema", "bytes", "cases", "fingerprints", "alerts", "alert_keys", "sites", "problems":[{"where", "what"}], "omitted", "damaged"}`)
	return cmd
}

// printVerify prints a verify report for people. A damaged file's counts
// were never taken, so they are not printed: zeros would read as an empty
// database.
func printVerify(w io.Writer, r store.Report) {
	if r.Damaged {
		fmt.Fprintf(w, "%s: DAMAGED (%d bytes): the page structure is broken, so its contents were not read or counted; restore from a backup\n", safe(r.Path), r.Bytes)
	} else {
		fmt.Fprintf(w, "%s: schema %d, %d bytes, %d case(s), %d fingerprint(s), %d alert(s), %d alert key(s), %d site(s)\n",
			safe(r.Path), r.Schema, r.Bytes, r.Cases, r.Fingerprints, r.Alerts, r.AlertKeys, r.Sites)
	}
	if r.OK() {
		fmt.Fprintln(w, "ok: pages consistent, every value readable, every alert with its key")
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "PROBLEM %s\n", safe(p.String()))
	}
	if r.Omitted > 0 {
		fmt.Fprintf(w, "PROBLEM and %d more not listed\n", r.Omitted)
	}
}
