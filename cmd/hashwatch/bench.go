package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/hashwatch/hashwatch/eval"
	"github.com/hashwatch/hashwatch/index/hamming"
	"github.com/spf13/cobra"
)

func (a *app) benchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure hashing and index speed",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(a.benchHashCommand(), a.benchIndexCommand(), a.benchVideoCommand())
	return cmd
}

func (a *app) benchHashCommand() *cobra.Command {
	var rounds int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "hash [--rounds N] [--json] DIR",
		Short: "Crawl-time fingerprint + match speed against image decode + goimagehash pHash",
		Long: `bench hash reads every image in DIR into memory, registers one in eight of them in a
throw-away database, then on one core times, side by side in one run and image by image,
(a) the yardstick — image.Decode plus goimagehash.PerceptionHash — and (b) everything
hashwatch does with a crawled image: decode (JPEG at reduced scale), border trim, every
crawl-time view with its PDQ, pHash and dHash, and the lookup in the index. The clock is
the process's CPU time, so other work on the machine does not count. It prints images per
CPU-second of each and the ratio.`,
		Example: `  hashwatch bench hash ../shared/datasets/dev`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var files [][]byte
			for _, in := range a.expandPaths(args) {
				if in.err != nil {
					return in.err
				}
				b, err := os.ReadFile(in.file)
				if err != nil {
					return err
				}
				files = append(files, b)
			}
			if len(files) == 0 {
				return fmt.Errorf("bench hash: no images in %s", args[0])
			}
			res, err := eval.MeasureHashSpeed(cmd.Context(), files, rounds)
			if err != nil {
				return err
			}
			if asJSON {
				return newJSONLines(a.stdout).write(res)
			}
			clock := "CPU"
			if !res.CPU {
				clock = "wall-clock"
			}
			fmt.Fprintf(a.stdout, "%d images x %d rounds, one core, %s time; %d registered\n", res.Images, res.Rounds, clock, res.Registered)
			fmt.Fprintf(a.stdout, "baseline (image.Decode + goimagehash pHash): %7.1f images/s\n", res.BaselinePerS)
			fmt.Fprintf(a.stdout, "hashwatch fingerprint + match:               %7.1f images/s (median %.2f ms)\n", res.HashwatchPerS, res.MedianMS)
			fmt.Fprintf(a.stdout, "ratio: %.2fx\n", res.Ratio)
			return nil
		},
	}
	cmd.Flags().IntVar(&rounds, "rounds", 1, "passes over the folder")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

func (a *app) benchIndexCommand() *cobra.Command {
	var cfg hamming.BenchConfig
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "index --n N --bits 256|64 --radius R --data uniform|clustered [--json]",
		Short: "Build a synthetic Hamming index and time exact radius queries on one core",
		Long: `bench index builds an index of N synthetic codes (uniform random, or noisy copies of 100
centres with 10% of bits flipped) with planted near-duplicates, runs the queries on one
core and prints build time, median and p99 query time, heap bytes per code and recall
against a linear scan (always 1.0: the index is exact).`,
		Example: `  hashwatch bench index --n 1000000 --bits 256 --radius 31 --data uniform`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Bits != 64 && cfg.Bits != 256 {
				return usagef("bench index: --bits must be 64 or 256")
			}
			if cfg.Data != "uniform" && cfg.Data != "clustered" {
				return usagef("bench index: --data must be uniform or clustered")
			}
			prev := runtime.GOMAXPROCS(1)
			defer runtime.GOMAXPROCS(prev)
			res, err := hamming.RunBench(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return newJSONLines(a.stdout).write(res)
			}
			fmt.Fprintf(a.stdout, "%d x %d-bit codes (%s), radius %d\n", res.N, res.Bits, res.Data, res.Radius)
			fmt.Fprintf(a.stdout, "build %.2f s; query median %.1f us, p99 %.1f us; %.1f bytes/code; recall %.3f\n",
				res.BuildS, res.MedianUS, res.P99US, res.BytesPerCode, res.Recall)
			return nil
		},
	}
	cmd.Flags().IntVar(&cfg.N, "n", 1_000_000, "number of codes")
	cmd.Flags().IntVar(&cfg.Bits, "bits", 256, "code width: 256 (PDQ) or 64 (pHash, dHash)")
	cmd.Flags().IntVar(&cfg.Radius, "radius", 31, "query radius in bits")
	cmd.Flags().StringVar(&cfg.Data, "data", "uniform", "uniform or clustered")
	cmd.Flags().IntVar(&cfg.Queries, "queries", 1000, "number of queries")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}
