package main

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/eval"
	"github.com/spf13/cobra"
)

// evalPool runs `hashwatch eval --pool`.
func (a *app) evalPool(cmd *cobra.Command, cfg eval.PoolConfig, asJSON bool, dumpPath string) error {
	switch cfg.Split {
	case "tune", "holdout", "all":
	default:
		return usagef("eval: --split %q: want tune, holdout or all", cfg.Split)
	}
	if cfg.Register < 0 || cfg.Query < 0 {
		return usagef("eval: --register and --query take a positive count")
	}
	if _, err := os.Stat(cfg.Pool); err != nil {
		return fmt.Errorf("eval: pool %s not found; build it with scripts/build-pool.sh %s", cfg.Pool, cfg.Pool)
	}
	last := ""
	cfg.Progress = func(stage string, done, total int) {
		if stage != last && last != "" {
			fmt.Fprintln(a.stderr)
		}
		last = stage
		fmt.Fprintf(a.stderr, "\r%s: %d/%d", stage, done, total)
	}
	var dump *os.File
	var zw *gzip.Writer
	if dumpPath != "" {
		var err error
		if dump, err = os.Create(dumpPath); err != nil {
			return err
		}
		defer dump.Close()
		cfg.Dump = dump
		if strings.HasSuffix(dumpPath, ".gz") {
			// A dump of a large pool runs to millions of rows.
			zw = gzip.NewWriter(dump)
			cfg.Dump = zw
		}
	}
	res, err := eval.RunPool(cmd.Context(), cfg)
	fmt.Fprintln(a.stderr)
	if err == nil && zw != nil {
		err = zw.Close()
	}
	if err == nil && dump != nil {
		err = dump.Close()
	}
	if errors.Is(err, eval.ErrNoDataset) {
		return fmt.Errorf("eval: %w", err)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return newJSONLines(a.stdout).write(res)
	}
	printPool(a, res)
	return nil
}

func printPool(a *app, r *eval.PoolResult) {
	w := a.stdout
	fmt.Fprintf(w, "pool %s, split %s: %d registered × %d queried = %d comparisons (%d files failed, %d hashed, the rest cached)\nrule %s\n\n",
		r.Pool, r.Split, r.Registered, r.Queried, r.Comparisons, r.Errors, r.Hashed, r.Rule)
	fmt.Fprintf(w, "matches between different images: %d = %d duplicates (thumbnails correlate >= %.1f) + %d false alerts (%d within one family)\n",
		r.Matches, r.Duplicates, eval.DuplicateCorrelation, r.FalseAlerts, r.SameFamily)
	fmt.Fprintf(w, "false alerts per comparison: %.3g (95%% upper bound %.3g)\n", r.Rate, r.Upper)
	fmt.Fprintf(w, "  between families only:     %.3g (95%% upper bound %.3g) over %d comparisons\n", r.CrossRate, r.CrossUpper, r.CrossComparisons)
	if cross := r.FalseAlerts - r.SameFamily; cross > 0 {
		fmt.Fprintf(w, "  of the %d between families, a person judged %d one design drawn twice and %d different pictures; %d are unjudged\n",
			cross, r.JudgedSameDesign, r.JudgedDifferent, r.Unjudged)
		fmt.Fprintf(w, "  between different pictures: %.3g (95%% upper bound %.3g), the unjudged counted in\n", r.DifferentRate, r.DifferentUpper)
	}
	if r.Disagreements > 0 {
		fmt.Fprintf(w, "WARNING: the index and an exhaustive comparison disagree on %d image pairs\n", r.Disagreements)
	}
	if len(r.RejectedList) > 0 {
		fmt.Fprintf(w, "the geometric verifier turned down %d more false alerts (%d between families) and %d duplicates\n",
			r.VerifierRejected, r.VerifierRejectedCross, r.VerifierRejectedDuplicates)
	}

	fmt.Fprintln(w, "\nper clause (alerts by the clause of their evidence; passing: image pairs some view pair of which passes the clause alone)")
	if !r.Scanned {
		fmt.Fprintln(w, "(--no-scan: passing pairs, their rates, nearest misses and the index check were not measured)")
	}
	tw := termtable.New(w)
	fmt.Fprintln(tw, "CLAUSE\tFALSE ALERTS\tDUPLICATES\tPASSING\tRATE\tUPPER 95%\tNEAREST MISS\t")
	for _, c := range r.Clauses {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.3g\t%.3g\t+%d bits: %s\t\n", c.Clause, c.FalseAlerts, c.Duplicates, c.Passing, c.Rate, c.Upper, c.NearestExcess, c.NearestPair)
	}
	tw.Flush()

	if len(r.FamilyPairs) > 0 {
		fmt.Fprintln(w, "\nfalse alerts by family pair (query family → registered family)")
		tw = termtable.New(w)
		fmt.Fprintln(tw, "QUERY FAMILY\tREGISTERED FAMILY\tFALSE ALERTS\tCOMPARISONS\tRATE\t")
		for i, f := range r.FamilyPairs {
			if i == 15 {
				fmt.Fprintf(tw, "… %d more pairs\t\t\t\t\t\n", len(r.FamilyPairs)-15)
				break
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.3g\t\n", f.Query, f.Registered, f.FalseAlerts, f.Comparisons, f.Rate)
		}
		tw.Flush()
	}
	for _, b := range []struct {
		title string
		list  []eval.Busy
	}{{"busiest registered images (distinct queries falsely matched)", r.BusiestRegistered},
		{"busiest queries (registered images falsely matched)", r.BusiestQueries}} {
		if len(b.list) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", b.title)
		for _, x := range b.list {
			fmt.Fprintf(w, "  %4d  %s\n", x.Count, x.Path)
		}
	}
	var cross []eval.PoolAlert
	for _, x := range r.Alerts {
		if x.QueryFamily != x.RegisteredFamily {
			cross = append(cross, x)
		}
	}
	for _, l := range []struct {
		title string
		list  []eval.PoolAlert
	}{{"false alerts between families, nearest by PDQ first", cross},
		{"false alerts, nearest by PDQ first", r.Alerts}, {"duplicates set aside", r.DuplicateList},
		{"turned down by the geometric verifier, nearest by PDQ first", r.RejectedList}} {
		if len(l.list) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", l.title)
		for i, x := range l.list {
			if i == 15 {
				fmt.Fprintf(w, "  … %d more (see --json)\n", len(l.list)-15)
				break
			}
			inliers := ""
			if x.Inliers >= 0 {
				inliers = fmt.Sprintf(", %d inliers", x.Inliers)
			}
			judged := ""
			if x.Judged != "" {
				judged = "; judged " + x.Judged
			}
			fmt.Fprintf(w, "  %s (%s) ~ %s (%s): clause %d, pdq %d phash %d dhash %d, correlation %.2f%s%s\n",
				x.Query, x.QueryView, x.Registered, x.RegisteredView, x.Clause, x.PDQ, x.PHash, x.DHash, x.Correlation, inliers, judged)
		}
	}
	if r.Local != nil {
		printPoolLocal(w, r.Local)
	}
}

// printPoolLocal prints the local feature matcher's part of a pool run.
func printPoolLocal(w io.Writer, l *eval.PoolLocal) {
	fmt.Fprintf(w, "\nlocal features (--local %d): %d registered points, index %.1f MB; extraction %.0f s, build %.1f s, queries %.1f s (wall)\n",
		l.MinInliers, l.Points, float64(l.IndexBytes)/1e6, l.ExtractSeconds, l.BuildSeconds, l.QuerySeconds)
	tw := termtable.New(w)
	fmt.Fprintln(tw, "MIN INLIERS\tFALSE ALERTS ADDED\tDUPLICATES ADDED\t")
	for _, c := range l.ByThreshold {
		fmt.Fprintf(tw, "%d\t%d\t%d\t\n", c.MinInliers, c.FalseAlerts, c.Duplicates)
	}
	tw.Flush()
	if len(l.Pairs) > 0 {
		fmt.Fprintln(w, "\nlocal feature pairs, most inliers first:")
	}
	for i, p := range l.Pairs {
		if i == 30 {
			fmt.Fprintf(w, "  … %d more (see --json)\n", len(l.Pairs)-30)
			break
		}
		fmt.Fprintf(w, "  %s ~ %s: %d inliers, %d votes, mirrored %v, hash matched %v, correlation %.2f\n",
			p.Query, p.Registered, p.Inliers, p.Votes, p.Mirrored, p.HashMatched, p.Correlation)
	}
}

// judgements reads the --judged file: "" for the judgements kept with
// hashwatch, "none" for none.
func judgements(path string) ([]eval.Judgement, error) {
	switch path {
	case "":
		return eval.DefaultJudgements(), nil
	case "none":
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: --judged: %w", err)
	}
	defer f.Close()
	js, err := eval.ReadJudgements(f)
	if err != nil {
		return nil, fmt.Errorf("eval: --judged %s: %w", path, err)
	}
	return js, nil
}
