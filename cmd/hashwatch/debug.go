//go:build hashwatch_debug

package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/spf13/cobra"
)

// debugCommands are the tools for testing hashwatch itself: only in a
// binary built with -tags hashwatch_debug (the end-to-end tests build one),
// never in the operator's, and not part of the CLI contract.
func (a *app) debugCommands() []*cobra.Command { return []*cobra.Command{a.debugCommand()} }

// debugCommand holds tools for testing hashwatch itself. It is hidden and
// not part of the CLI contract.
func (a *app) debugCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "debug",
		Short:  "Tools for testing hashwatch itself (not part of the CLI contract)",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	var n, perCase, withdrawEvery int
	loop := &cobra.Command{
		Use:   "write-loop [--n N] [--fingerprints K] [--withdraw-every M]",
		Short: "Register synthetic cases, record alerts and withdraw cases in a loop",
		Long: `write-loop makes the writes hashwatch makes, as fast as the disk allows, with
synthetic fingerprints (no media): each round registers a new case with K fingerprints,
records an alert on its first fingerprint, and every M rounds withdraws the previous
round's case. Before each change it prints a JSON line with "state":"begin", and after
the change is committed and fsynced one with "state":"ack". SIGINT or SIGTERM stops it
cleanly between changes. The crash test runs it and kills it with SIGKILL.`,
		Example: `  hashwatch --db /tmp/crash.db debug write-loop --n 100`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if perCase < 1 {
				return usagef("debug write-loop: --fingerprints must be at least 1")
			}
			ctx := cmd.Context()
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			defer a.answerCLI(ctx, db, "debug write-loop", 0)()
			out := newJSONLines(a.stdout)
			run := hex.EncodeToString(randomBytes(4)) // case IDs unique across runs
			prev := ""
			for i := 1; n == 0 || i <= n; i++ {
				if ctx.Err() != nil {
					return nil // interrupted between changes: a clean stop
				}
				c := fmt.Sprintf("loop-%s-%d", run, i)
				if err := out.write(loopLine{Op: "register", State: "begin", Case: c, Count: perCase}); err != nil {
					return err
				}
				regs := make([]index.Registration, perCase)
				for k := range regs {
					regs[k] = index.Registration{Source: fmt.Sprintf("synthetic-%d.jpg", k), Print: syntheticPrint()}
				}
				fps, err := db.Index.Register(ctx, c, "write-loop", regs, a.actor())
				if err != nil {
					return stopped(ctx, err)
				}
				ids := make([]uint64, len(fps))
				for k, f := range fps {
					ids[k] = f.ID
				}
				if err := out.write(loopLine{Op: "register", State: "ack", Case: c, Count: len(fps), Fingerprints: ids}); err != nil {
					return err
				}

				var sha [32]byte
				copy(sha[:], randomBytes(32))
				line := loopLine{Op: "alert", Case: c, Fingerprint: ids[0], MediaSHA256: hex.EncodeToString(sha[:])}
				line.State = "begin"
				if err := out.write(line); err != nil {
					return err
				}
				al, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{
					Site: "write-loop", MediaSHA256: sha,
					Match:    index.Match{Fingerprint: ids[0], Case: c, Evidence: hashing.Evidence{Algorithm: hashing.PHash, Distance: 1}},
					Sighting: alerts.Sighting{PageURL: fmt.Sprintf("http://write-loop.invalid/page/%d", i), MediaURL: fmt.Sprintf("http://write-loop.invalid/media/%d.jpg", i)},
				})
				if err != nil {
					return stopped(ctx, err)
				}
				line.State, line.Alert = "ack", al.ID
				if err := out.write(line); err != nil {
					return err
				}

				if withdrawEvery > 0 && i%withdrawEvery == 0 && prev != "" {
					if err := out.write(loopLine{Op: "withdraw", State: "begin", Case: prev}); err != nil {
						return err
					}
					deleted, _, err := db.Index.Withdraw(ctx, prev, a.actor())
					if err != nil {
						return stopped(ctx, err)
					}
					if err := out.write(loopLine{Op: "withdraw", State: "ack", Case: prev, Count: deleted}); err != nil {
						return err
					}
				}
				prev = c
			}
			return nil
		},
	}
	loop.Flags().IntVar(&n, "n", 0, "rounds to run; 0 runs until interrupted")
	loop.Flags().IntVar(&perCase, "fingerprints", 3, "fingerprints registered per case (one transaction)")
	loop.Flags().IntVar(&withdrawEvery, "withdraw-every", 5, "withdraw the previous case every M rounds; 0 never")
	cmd.AddCommand(loop)
	return cmd
}

// stopped turns an error caused by an interrupt into a clean stop.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// syntheticPrint is a fingerprint of no real picture: random pHash and
// dHash codes, which no other synthetic print is near.
func syntheticPrint() hashing.Fingerprint {
	var sha [32]byte
	copy(sha[:], randomBytes(32))
	return hashing.Fingerprint{
		Kind: hashing.KindImage, Width: 640, Height: 480, SHA256: sha,
		Views: []hashing.View{{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{
			{Algorithm: hashing.PHash, Code: hashing.Code{rand.Uint64()}, Quality: 100},
			{Algorithm: hashing.DHash, Code: hashing.Code{rand.Uint64()}, Quality: 100},
		}}},
	}
}
