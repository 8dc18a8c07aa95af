package main

import (
	"fmt"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/spf13/cobra"
)

// hashJSON is one line of `hash --json`, part of the CLI contract. pdq is
// the reference PDQ of the picture exactly as decoded (after EXIF
// orientation, before any trimming); pdq_dihedral lists its eight variants
// in the reference's order. phash and dhash are goimagehash's, of the
// picture scaled to hashing's working size. For a video (kind "video")
// the picture fields stay empty and duration_seconds, frame_count and
// frames give its sampled frames: time in seconds, PDQ of the frame (its
// borders trimmed) and of the frame mirrored, and the PDQ quality.
type hashJSON struct {
	Path        string   `json:"path"`
	Kind        string   `json:"kind"`
	Width       int      `json:"width"`
	Height      int      `json:"height"`
	PDQ         string   `json:"pdq"`
	PDQQuality  int      `json:"pdq_quality"`
	PDQDihedral []string `json:"pdq_dihedral"`
	PHash       string   `json:"phash"`
	DHash       string   `json:"dhash"`
	// Videos only.
	DurationSeconds float64     `json:"duration_seconds,omitempty"`
	FrameCount      int         `json:"frame_count,omitempty"`
	Frames          []frameJSON `json:"frames,omitempty"`
	Error           *string     `json:"error"`
}

// frameJSON is one sampled video frame in `hash --json`.
type frameJSON struct {
	Seconds     float64 `json:"t"`
	PDQ         string  `json:"pdq"`
	PDQMirrored string  `json:"pdq_mirrored,omitempty"`
	Quality     int     `json:"quality"`
}

func (a *app) hashCommand() *cobra.Command {
	var asJSON bool
	var vcfg video.Config
	cmd := &cobra.Command{
		Use:   "hash [--json] PATH...",
		Short: "Print fingerprints of files without registering anything",
		Example: `  hashwatch hash --json photo.jpg
  hashwatch hash --json clip.mp4`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			hasher := newMedia(a.stderr, vcfg)
			out := newJSONLines(a.stdout)
			failed := 0
			for _, in := range a.expandPaths(paths) {
				res := hashJSON{Path: in.path, Kind: string(hashing.KindImage), PDQDihedral: []string{}}
				fp, err := fingerprintFile(cmd.Context(), hasher, in, hashing.ForInspection)
				if err != nil {
					failed++
					res.Error = errString(err)
				} else if fp.Kind == hashing.KindVideo {
					res.Kind, res.Width, res.Height = string(fp.Kind), fp.Width, fp.Height
					res.DurationSeconds = float64(fp.Duration.Milliseconds()) / 1000
					res.FrameCount = len(fp.Frames)
					for _, f := range fp.Frames {
						fj := frameJSON{Seconds: float64(f.At.Milliseconds()) / 1000}
						if h, ok := video.FramePDQ(f.Hashes); ok {
							fj.PDQ, fj.Quality = h.Hex(), h.Quality
						}
						if h, ok := video.FramePDQ(f.Mirrored); ok {
							fj.PDQMirrored = h.Hex()
						}
						res.Frames = append(res.Frames, fj)
					}
				} else if v, ok := fp.View(hashing.ViewOriginal); ok {
					res.Width, res.Height = fp.Width, fp.Height
					for i, h := range fp.Reference {
						if i == 0 {
							res.PDQ, res.PDQQuality = h.Hex(), h.Quality
						}
						res.PDQDihedral = append(res.PDQDihedral, h.Hex())
					}
					if h, ok := v.Hash(hashing.PHash); ok {
						res.PHash = h.Hex()
					}
					if h, ok := v.Hash(hashing.DHash); ok {
						res.DHash = h.Hex()
					}
				}
				switch {
				case asJSON:
					if err := out.write(res); err != nil {
						return err
					}
				case res.Error != nil:
					fail(a.stderr, "hash: %s", *res.Error)
				case res.Kind == string(hashing.KindVideo):
					fmt.Fprintf(a.stdout, "%s\tvideo %dx%d\t%.1f s\t%d frames\n", safe(res.Path), res.Width, res.Height, res.DurationSeconds, res.FrameCount)
				default:
					fmt.Fprintf(a.stdout, "%s\t%dx%d\tpdq %s (quality %d)\tphash %s\tdhash %s\n", safe(res.Path), res.Width, res.Height, res.PDQ, res.PDQQuality, res.PHash, res.DHash)
				}
			}
			if failed > 0 {
				return errSomeFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per file")
	videoFlags(cmd, &vcfg)
	return cmd
}
