package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/hashwatch/hashwatch/cputime"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/spf13/cobra"
)

// benchVideoJSON is the result of `bench video --json`.
type benchVideoJSON struct {
	File            string  `json:"file"`
	Rounds          int     `json:"rounds"`
	Mode            string  `json:"decode"`
	DurationSeconds float64 `json:"duration_seconds"`
	Frames          int     `json:"frames"`
	WallMS          float64 `json:"wall_ms"`
	FFmpegCPUMS     float64 `json:"ffmpeg_cpu_ms"`
	HashwatchCPUMS  float64 `json:"hashwatch_cpu_ms"`
	CPUMS           float64 `json:"cpu_ms"`
	TimesRealTime   float64 `json:"times_real_time"`
	// BaselineCPUMS is the CPU (user+sys) of a full single-threaded
	// ffmpeg decode of the same file (ffmpeg -threads 1 -i FILE -f null -),
	// measured in the same run; Ratio is CPUMS over it.
	BaselineCPUMS float64 `json:"baseline_cpu_ms"`
	Ratio         float64 `json:"ratio"`
}

var decodeModes = map[string]video.Decode{
	"auto": video.DecodeAuto, "fast": video.DecodeFast, "full": video.DecodeFull, "keyframes": video.DecodeKeyframes,
}

func (a *app) benchVideoCommand() *cobra.Command {
	var rounds int
	var asJSON bool
	var mode string
	var cfg video.Config
	cmd := &cobra.Command{
		Use:   "video [--rounds N] [--decode auto|fast|full|keyframes] [--json] FILE",
		Short: "CPU time to fingerprint one video, ffmpeg included",
		Long: `bench video fingerprints FILE as a crawled video, --rounds times, and prints per round
the wall time, the CPU time of the ffmpeg child (user+sys), this process's CPU time and
their sum, and how many times faster than real time the CPU sum is. As a baseline it
also runs a full single-threaded decode of the file (ffmpeg -threads 1 -i FILE -f null -)
in the same run and prints the ratio of the two CPU times; the target for a 60-s 720p
H.264 video with x264's default keyframe spacing is at most 0.30.`,
		Example: `  hashwatch bench video clip-720p.mp4`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, ok := decodeModes[mode]
			if !ok {
				return usagef("bench video: --decode must be auto, fast, full or keyframes")
			}
			cfg.Decode = d
			h := video.New(cfg)
			if _, err := h.FFmpeg(); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			res := benchVideoJSON{File: args[0], Rounds: rounds, Mode: mode}
			var child time.Duration
			start := time.Now()
			self, _ := cputime.Process() // 0 and 0 where it cannot be read
			for range rounds {
				fp, u, err := h.FingerprintUsage(cmd.Context(), data, hashing.ForQuery)
				if err != nil {
					return err
				}
				child += u.FFmpegUser + u.FFmpegSys
				res.Frames, res.DurationSeconds = len(fp.Frames), fp.Duration.Seconds()
			}
			after, _ := cputime.Process()
			wall, own := time.Since(start), after-self
			path, _ := h.FFmpeg()
			var base time.Duration
			for range rounds {
				d, err := fullDecodeCPU(cmd.Context(), path, args[0])
				if err != nil {
					return err
				}
				base += d
			}
			n := float64(rounds)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
			res.WallMS, res.FFmpegCPUMS, res.HashwatchCPUMS, res.CPUMS = ms(wall), ms(child), ms(own), ms(child+own)
			res.BaselineCPUMS = ms(base)
			if res.BaselineCPUMS > 0 {
				res.Ratio = res.CPUMS / res.BaselineCPUMS
			}
			if res.CPUMS > 0 {
				res.TimesRealTime = res.DurationSeconds * 1000 / res.CPUMS
			}
			if asJSON {
				return newJSONLines(a.stdout).write(res)
			}
			fmt.Fprintf(a.stdout, "%s: %.1f s of video, %d frames, decode %s, %d round(s)\n", res.File, res.DurationSeconds, res.Frames, mode, rounds)
			fmt.Fprintf(a.stdout, "per round: wall %.0f ms; CPU %.0f ms = ffmpeg %.0f ms + hashwatch %.0f ms (%.0fx real time)\n",
				res.WallMS, res.CPUMS, res.FFmpegCPUMS, res.HashwatchCPUMS, res.TimesRealTime)
			fmt.Fprintf(a.stdout, "baseline (ffmpeg -threads 1 full decode to null): CPU %.0f ms; fingerprint/baseline = %.2f\n", res.BaselineCPUMS, res.Ratio)
			return nil
		},
	}
	cmd.Flags().IntVar(&rounds, "rounds", 3, "fingerprints to average over")
	cmd.Flags().StringVar(&mode, "decode", "auto", "decoding: auto, fast, full or keyframes")
	cmd.Flags().IntVar(&cfg.Threads, "threads", 1, "ffmpeg decoding threads")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	videoFlags(cmd, &cfg)
	return cmd
}

// fullDecodeCPU returns the CPU time (user+sys) ffmpeg takes to decode
// every frame of file on one thread, the baseline of bench video.
func fullDecodeCPU(ctx context.Context, ffmpeg, file string) (time.Duration, error) {
	c := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1", "-i", file, "-map", "0:v:0", "-f", "null", "-")
	if out, err := c.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("baseline decode of %s: %v: %s", file, err, out)
	}
	return c.ProcessState.UserTime() + c.ProcessState.SystemTime(), nil
}
