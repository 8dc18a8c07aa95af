package main

import (
	"context"
	"fmt"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
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
	// For videos: the share of the file's time that shows the registered
	// video, the share of the registered video found, and which seconds
	// of the registered video were found at which seconds of the file.
	QueryShare      *float64           `json:"query_share,omitempty"`
	RegisteredShare *float64           `json:"registered_share,omitempty"`
	Ranges          []index.VideoRange `json:"ranges,omitempty"`
}

func (a *app) matchCommand() *cobra.Command {
	var asJSON bool
	var vcfg video.Config
	cmd := &cobra.Command{
		Use:   "match [--json] PATH...",
		Short: "Match local files against registered fingerprints (creates no alerts)",
		Long: `match fingerprints each file (folders are walked recursively for image and video files)
and lists the registered fingerprints it matches under the default rule (` + hashing.DefaultRule().String() + `).
A video matches a registered video when enough of its frames match and line up in time
(one offset, playback rate within 10%); --json then gives query_share (of the file's time),
registered_share (of the registered video's) and the matched ranges in seconds.
It records nothing.`,
		Example: `  hashwatch match --json suspicious.jpg downloads/
  hashwatch match --json clip.mp4`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			hasher := newMedia(a.stderr, vcfg)
			rule := hashing.DefaultRule()
			out := newJSONLines(a.stdout)
			failed := 0
			for _, in := range a.expandPaths(paths) {
				res := matchJSON{Path: in.path, Kind: string(hashing.KindImage), Matches: []matchHitJSON{}}
				fp, err := fingerprintFile(cmd.Context(), hasher, in, hashing.ForQuery)
				if err == nil {
					res.Kind = string(fp.Kind)
					// The geometric verifier's corner set, for a candidate
					// beyond PDQ 31: the file is read again only then.
					corners := func(ctx context.Context, cfg features.Config) (*features.Set, error) {
						data, err := readMedia(in.file, hasher.image.Limits().MaxBytes)
						if err != nil {
							return nil, err
						}
						return hasher.image.LazyFeatures(data)(ctx, cfg)
					}
					ms, merr := db.Index.MatchVerified(cmd.Context(), fp, rule, corners)
					err = merr
					for _, m := range ms {
						hit := matchHitJSON{Case: m.Case, Fingerprint: m.Fingerprint,
							Algorithm: string(m.Evidence.Algorithm), Distance: m.Evidence.Distance}
						if v := m.Video; v != nil {
							hit.QueryShare, hit.RegisteredShare, hit.Ranges = &v.QueryShare, &v.RegisteredShare, v.Ranges
						}
						res.Matches = append(res.Matches, hit)
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
					fmt.Fprintf(a.stdout, "%s: no match\n", safe(res.Path))
				default:
					for _, m := range res.Matches {
						fmt.Fprintf(a.stdout, "%s: MATCH case %s fingerprint %d (%s distance %d)", safe(res.Path), safe(m.Case), m.Fingerprint, m.Algorithm, m.Distance)
						if m.QueryShare != nil {
							fmt.Fprintf(a.stdout, " query share %.2f, registered share %.2f", *m.QueryShare, *m.RegisteredShare)
							for _, r := range m.Ranges {
								fmt.Fprintf(a.stdout, "; registered %.1f–%.1f s at %.1f–%.1f s", r.RegisteredStart, r.RegisteredEnd, r.QueryStart, r.QueryEnd)
							}
						}
						fmt.Fprintln(a.stdout)
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
	videoFlags(cmd, &vcfg)
	return cmd
}
