package main

import (
	"fmt"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/spf13/cobra"
)

// hashJSON is one line of `hash --json`, part of the CLI contract. pdq is
// the reference PDQ of the picture exactly as decoded (after EXIF
// orientation, before any trimming); pdq_dihedral lists its eight variants
// in the reference's order. phash and dhash are goimagehash's, of the
// picture scaled to hashing's working size.
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
	Error       *string  `json:"error"`
}

func (a *app) hashCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "hash [--json] PATH...",
		Short:   "Print fingerprints of files without registering anything",
		Example: `  hashwatch hash --json photo.jpg`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			hasher := hashing.NewHasher(hashing.Limits{})
			out := newJSONLines(a.stdout)
			failed := 0
			for _, in := range expandPaths(paths) {
				res := hashJSON{Path: in.path, Kind: string(hashing.KindImage), PDQDihedral: []string{}}
				fp, err := fingerprintFile(cmd.Context(), hasher, in, hashing.ForInspection)
				if err != nil {
					failed++
					res.Error = errString(err)
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
				default:
					fmt.Fprintf(a.stdout, "%s\t%dx%d\tpdq %s (quality %d)\tphash %s\tdhash %s\n", res.Path, res.Width, res.Height, res.PDQ, res.PDQQuality, res.PHash, res.DHash)
				}
			}
			if failed > 0 {
				return errSomeFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per file")
	return cmd
}
