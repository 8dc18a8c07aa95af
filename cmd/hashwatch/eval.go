package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/eval"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/spf13/cobra"
)

// defaultDataset is where the development photo set lives beside a checkout.
const defaultDataset = "../shared/datasets/dev"

func (a *app) evalCommand() *cobra.Command {
	var cfg eval.Config
	var asJSON bool
	var dumpPath, judgedPath string
	var videoSuite, stress bool
	var pool eval.PoolConfig
	var ratio float64
	var clauses string
	var background string
	var colour, grey string
	var strict string
	var verify string
	cmd := &cobra.Command{
		Use:   "eval [--dataset DIR] [--swap] [--limit N] [--json] | eval --video [--limit N] [--swap] [--json] | eval --pool DIR [--split tune|holdout|all] [--register N] [--query N] [--cache DIR] [--dump FILE]",
		Short: "Measure detection: recall per edit and false alerts on a photo folder",
		Long: `eval registers every other photo of DIR, applies a fixed suite of re-uploader edits
(re-encode, resize, mirror, rotations, tone, blur, noise, bars, padding, crops, captions,
watermarks, stretch, combinations) to every photo, matches everything with the default rule
and prints recall per edit for the registered half, false alerts for the unregistered half
and its edits, and the distance distributions of true and false pairs.

--swap registers the other half, to check on held-out photos what was tuned on the first.
The default dataset is ` + defaultDataset + ` (the development photo set beside a checkout).
--video runs the same for videos made from the photos with ffmpeg.

--pool DIR measures false alerts at scale instead, on a pool of unrelated images built by
scripts/build-pool.sh: it registers --register images of the --split (default: half, at
most 10,000), queries --query others (default: all the rest) through the crawler's path,
and reports false alerts per comparison with a 95% upper bound, per rule clause, per
family pair, the busiest fingerprints, and how close the nearest unrelated pair comes to
each clause. Matches whose thumbnails correlate >= 0.9 are counted as duplicates apart.
--cache DIR keeps fingerprints between runs; --dump writes every view pair within
PDQ <= 90 or pHash <= 14 as CSV (gzipped when FILE ends in .gz).

--local T adds the local feature matcher (package hashing/features/lfindex, a measured
prototype) beside the rule, for the photo eval and --pool: a query also matches a registered
picture whose corners agree with its own by T or more RANSAC inliers (mirror included).

The pool is built once, and rebuilt the same way, with 'make pool' (POOL=DIR, default
~/.cache/hashwatch-pool) or scripts/build-pool.sh DIR: Debian packages of permissively
licensed pictures, downloaded and kept in ~/.cache/hashwatch-pool-debs, and DIR/MANIFEST.tsv
with each file's split. scripts/build-pool.sh --add DIR adds the families added later
without changing the split; scripts/build-pool.sh --help says more. Tune on tune; look at
holdout only to check.`,
		Example: `  hashwatch eval --limit 40
  hashwatch eval --dataset ~/photos --json
  hashwatch eval --video --limit 5
  make pool && hashwatch eval --pool ~/.cache/hashwatch-pool --cache ~/.cache/hashwatch-pool-fp --dump tune.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rule, err := eval.Rule(clauses, ratio, background, colour, grey)
			if err != nil {
				return err
			}
			if strict != "" {
				if rule.Strict, err = eval.StrictRatio(strict); err != nil {
					return err
				}
			}
			if verify != "" {
				if rule.Verify, err = eval.VerifyTest(verify); err != nil {
					return err
				}
			}
			cfg.Rule, pool.Rule = rule, rule
			if cfg.Local < 0 {
				return usagef("eval: --local takes a number of inliers, at least 3")
			}
			if cfg.Local > 0 && cfg.Local < 3 {
				return usagef("eval: --local %d: an affine transform needs at least 3 inliers", cfg.Local)
			}
			pool.Local = cfg.Local
			if pool.Pool != "" {
				pool.Workers = cfg.Workers
				if pool.Judgements, err = judgements(judgedPath); err != nil {
					return err
				}
				return a.evalPool(cmd, pool, asJSON, dumpPath)
			}
			if cfg.Dataset == "" {
				cfg.Dataset = defaultDataset
			}
			if _, err := os.Stat(cfg.Dataset); err != nil {
				return fmt.Errorf("eval: dataset %s not found; pass --dataset DIR with a folder of JPEG or PNG photos (the development set lives in ../shared/datasets/dev beside a checkout)", cfg.Dataset)
			}
			if stress && !videoSuite {
				return fmt.Errorf("eval: --stress is a video suite: pass --video --stress")
			}
			if videoSuite {
				return a.evalVideo(cmd, cfg, stress, asJSON)
			}
			if !asJSON {
				cfg.Progress = func(done, total int) {
					fmt.Fprintf(a.stderr, "\r%d/%d photos", done, total)
					if done == total {
						fmt.Fprintln(a.stderr)
					}
				}
			}
			if dumpPath != "" {
				f, err := os.Create(dumpPath)
				if err != nil {
					return err
				}
				defer f.Close()
				fmt.Fprintln(f, "query,edit,registered,same,query_view,registered_view,pdq,phash,dhash,pdq_quality")
				cfg.Dump = f
			}
			res, err := eval.Run(cmd.Context(), cfg)
			if errors.Is(err, eval.ErrNoDataset) {
				return fmt.Errorf("eval: %w", err)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return newJSONLines(a.stdout).write(res)
			}
			printEval(a, res)
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Dataset, "dataset", "", "folder of photos (default "+defaultDataset+")")
	cmd.Flags().BoolVar(&cfg.Swap, "swap", false, "register the other half of the photos")
	cmd.Flags().IntVar(&cfg.Limit, "limit", 0, "use only the first N photos")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	cmd.Flags().StringVar(&dumpPath, "dump", "", "write candidate view pairs with all distances as CSV, for rule design")
	cmd.Flags().IntVar(&cfg.Workers, "workers", 0, "hash in parallel on N goroutines (default: one per CPU)")
	cmd.Flags().StringVar(&pool.Pool, "pool", "", "measure false alerts on a pool built by scripts/build-pool.sh instead")
	cmd.Flags().StringVar(&pool.Split, "split", "tune", "with --pool: tune, holdout or all")
	cmd.Flags().IntVar(&pool.Register, "register", 0, "with --pool: images to register (default half the split, at most 10,000)")
	cmd.Flags().IntVar(&pool.Query, "query", 0, "with --pool: images to query (default all the others)")
	cmd.Flags().StringVar(&judgedPath, "judged", "", `with --pool: pairs a person judged (path, path, same-design|different, note; tab-separated), or "none" (default: those kept with hashwatch, eval/pooljudged.tsv)`)
	cmd.Flags().StringVar(&pool.Cache, "cache", "", "with --pool: folder caching fingerprints between runs")
	cmd.Flags().BoolVar(&pool.NoScan, "no-scan", false, "with --pool: skip the exhaustive comparison of every view pair (no index check, nearest misses or dump)")
	cmd.Flags().StringVar(&clauses, "rule", "", `the rule's clauses, e.g. "(phash<=6 & dhash<=8 & pdq<=52) | (pdq<=31)" (default: the default rule's)`)
	cmd.Flags().StringVar(&grey, "grey", "", `the rule's grey test: "none" to switch it off, or MAXRATIO[,MAXDISTANCE[,MINCHROMA[,ABOVEPDQ]]] (default: the default rule's)`)
	cmd.Flags().Float64Var(&ratio, "ratio", 0, "the rule's background ratio test factor (default: the default rule's)")
	cmd.Flags().StringVar(&colour, "colour", "", `the rule's colour test: "none" to switch it off, or MAXDISTANCE[,MINCHROMA[,ABOVEPDQ]] (default: the default rule's)`)
	cmd.Flags().StringVar(&strict, "strict", "", `the rule's stricter ratio test beyond a PDQ distance: "none" to switch it off, or RATIO[,ABOVEPDQ] (default: the default rule's)`)
	cmd.Flags().IntVar(&cfg.Local, "local", 0, "also match by local features (package hashing/features/lfindex) at this many RANSAC inliers, beside the rule: a measured prototype for heavy crops and turns (0: off)")
	cmd.Flags().StringVar(&verify, "verify", "", `the rule's geometric verifier (corner matches one transform explains, package hashing/features) for matches beyond a PDQ distance: "none" to switch it off, or MININLIERS[,ABOVEPDQ[,MINPOINTS[,NEARMININLIERS[,NEARMINDISTINCT[,CROPMINDISTINCT]]]]] (default: the default rule's)`)
	cmd.Flags().StringVar(&background, "background", "", `background file for the ratio test (hashing/internal/mkbackground), or "none" to switch the test off (default: the embedded one)`)
	cmd.Flags().BoolVar(&videoSuite, "video", false, "run the video suite instead: --limit registered videos (default 20) made from the photos with ffmpeg")
	cmd.Flags().BoolVar(&stress, "stress", false, "with --video: the stress set instead, footage and edits the method was not designed around (--limit clips, default 3; an audit, not a target)")
	return cmd
}

func printEval(a *app, r *eval.Result) {
	fmt.Fprintf(a.stdout, "dataset %s: %d photos registered, %d unregistered, %d queries; rule %s\n\n",
		r.Dataset, r.Registered, r.Unregistered, r.Queries, r.Rule)
	tw := termtable.New(a.stdout)
	fmt.Fprintln(tw, "GROUP\tEDIT\tRECALL\tFOUND\tTARGET\t")
	groupMin := map[string]float64{}
	var groups []string
	for _, e := range r.Edits {
		mark, target := "", "-" // a group without a target (the unseen edits) is measured only
		if e.Target > 0 {
			target = fmt.Sprintf("%.2f", e.Target)
			if e.Recall < e.Target {
				mark = "below target"
			}
		}
		if e.Errors > 0 {
			mark += fmt.Sprintf(" (%d errors)", e.Errors)
		}
		if e.LocalFound > 0 {
			mark += fmt.Sprintf(" (%d by local features)", e.LocalFound)
		}
		if len(e.Refused) > 0 {
			mark += fmt.Sprintf(" (%d turned down by the verifier)", len(e.Refused))
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%d/%d\t%s\t%s\n", e.Group, e.Edit, e.Recall, e.Found, e.Total, target, mark)
		if v, ok := groupMin[e.Group]; !ok || e.Recall < v {
			if !ok {
				groups = append(groups, e.Group)
			}
			groupMin[e.Group] = e.Recall
		}
	}
	tw.Flush()
	fmt.Fprintln(a.stdout, "\nlowest recall per group:")
	for _, g := range groups {
		fmt.Fprintf(a.stdout, "  %-45s %.3f\n", g, groupMin[g])
	}
	fmt.Fprintf(a.stdout, "\nfalse alerts: %d", len(r.FalseAlerts))
	if len(r.FalseAlerts) > 0 {
		fmt.Fprintln(a.stdout, ":")
		for i, f := range r.FalseAlerts {
			if i == 20 {
				fmt.Fprintf(a.stdout, "  … %d more\n", len(r.FalseAlerts)-20)
				break
			}
			if f.Distance < 0 {
				fmt.Fprintf(a.stdout, "  %s (%s) matched %s by local features, %d inliers\n", f.Query, f.Edit, f.Matched, f.Inliers)
				continue
			}
			fmt.Fprintf(a.stdout, "  %s (%s) matched %s at distance %d\n", f.Query, f.Edit, f.Matched, f.Distance)
		}
	} else {
		fmt.Fprintln(a.stdout)
	}
	fmt.Fprintln(a.stdout, "\nnearest PDQ distance of each query: true pairs vs nearest other photo")
	fmt.Fprintf(a.stdout, "  true:  %s\n  false: %s\n", histogram(r.TrueDistances), histogram(r.FalseDistances))
	if len(r.NearestFalse) > 0 {
		fmt.Fprintf(a.stdout, "\nnearest unrelated view pair (hashes the rule uses): pdq %d, phash %d, dhash %d\n",
			r.NearestFalse[hashing.PDQ], r.NearestFalse[hashing.PHash], r.NearestFalse[hashing.DHash])
		fmt.Fprintf(a.stdout, "rule margin: %d bits (%s)\n", r.FalseMargin, r.MarginPair)
	}
}

// histogram prints counts in distance bins of 8, e.g. "0-7:812 8-15:95 …".
func histogram(h []int) string {
	var parts []string
	for lo := 0; lo < len(h); lo += 8 {
		n := 0
		for d := lo; d < lo+8 && d < len(h); d++ {
			n += h[d]
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d-%d:%d", lo, lo+7, n))
		}
	}
	return strings.Join(parts, " ")
}
