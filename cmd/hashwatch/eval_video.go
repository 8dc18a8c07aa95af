package main

import (
	"fmt"

	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/eval"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/spf13/cobra"
)

// evalVideo runs `eval --video`: slideshow videos made from the photos
// with ffmpeg, the video edit family, hard negatives and unrelated videos.
//
// With stress it runs the stress set (eval.RunVideoStress) instead.
func (a *app) evalVideo(cmd *cobra.Command, cfg eval.Config, stress, asJSON bool) error {
	vcfg := eval.VideoConfig{Dataset: cfg.Dataset, Videos: cfg.Limit, Cameras: cfg.Limit, Swap: cfg.Swap}
	run, what := eval.RunVideo, "videos"
	if stress {
		run, what = eval.RunVideoStress, "stress clips"
	}
	if !asJSON {
		vcfg.Progress = func(done, total int) {
			fmt.Fprintf(a.stderr, "\r%d/%d %s", done, total, what)
			if done == total {
				fmt.Fprintln(a.stderr)
			}
		}
	}
	res, err := run(cmd.Context(), vcfg)
	if err != nil {
		return fmt.Errorf("eval --video: %w", err)
	}
	if asJSON {
		return newJSONLines(a.stdout).write(res)
	}
	if stress {
		fmt.Fprintf(a.stdout, "dataset %s: STRESS SET (an audit, not a design target): %d registered near-static 16:9 clips; %d negatives (%d hard: another photo of the same kind)\n\n",
			res.Dataset, res.Registered, res.Negatives, res.HardNegatives)
	} else {
		fmt.Fprintf(a.stdout, "dataset %s: %d registered videos (%d slideshows, %d fixed-camera clips); %d negatives (%d hard: same photos, other order and rhythm)\n\n",
			res.Dataset, res.Registered, res.Registered-res.Cameras, res.Cameras, res.Negatives, res.HardNegatives)
	}
	tw := termtable.New(a.stdout)
	fmt.Fprintln(tw, "EDIT\tRECALL\tFOUND\tTARGET\t")
	for _, e := range res.Edits {
		mark, target := "", "-" // the stress set has no target
		if e.Target > 0 {
			target = fmt.Sprintf("%.2f", e.Target)
			if e.Recall < e.Target {
				mark = "below target"
			}
		}
		if e.Errors > 0 {
			mark += fmt.Sprintf(" (%d errors)", e.Errors)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%d/%d\t%s\t%s\n", e.Edit, e.Recall, e.Found, e.Total, target, mark)
	}
	tw.Flush()
	fmt.Fprintf(a.stdout, "\nfalse alerts: %d\n", len(res.FalseAlerts))
	for _, f := range res.FalseAlerts {
		fmt.Fprintf(a.stdout, "  %s (%s) matched %s at distance %d\n", f.Query, f.Edit, f.Matched, f.Distance)
	}
	if len(res.Misses) > 0 {
		fmt.Fprintln(a.stdout, "misses (frames sampled/decisive; best alignment with the original: frames, query and registered share, rate; nearest frame PDQ):")
		for _, m := range res.Misses {
			fmt.Fprintf(a.stdout, "  %s (%s): %d/%d frames; %d aligned, shares %.2f/%.2f, rate %.2f; nearest %d\n",
				m.Query, m.Edit, m.Frames, m.Decisive, m.AlignFrames, m.QueryShare, m.RegisteredShare, m.Rate, m.NearestFrame)
		}
	}
	vm := video.DefaultMatching()
	fmt.Fprintf(a.stdout, "margins (frames match at PDQ <= %d; a video match needs >= %d frames on one line and a share >= %.2f):\n",
		vm.MaxDistance, vm.Align.MinFrames, vm.Align.MinShare)
	for _, kind := range []string{"unrelated", "hard-negative"} {
		if mg := res.Margins[kind]; mg != nil {
			fmt.Fprintf(a.stdout, "  %s: nearest frame at PDQ %d (%s; strips alone %d); best alignment %d frames, share %.2f (%s)\n",
				kind, mg.NearestFrameDistance, mg.NearestFrameQuery, mg.NearestStripDistance, mg.BestAlignFrames, mg.BestAlignShare, mg.BestAlignQuery)
		}
	}
	fmt.Fprintf(a.stdout, "fingerprinting: %.0f ms CPU per minute of video (ffmpeg included)\n", res.FingerprintMSPerMinute)
	return nil
}
