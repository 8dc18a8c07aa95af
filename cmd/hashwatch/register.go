package main

import (
	"fmt"
	"path/filepath"

	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
	"github.com/spf13/cobra"
)

func (a *app) registerCommand() *cobra.Command {
	var caseID, label, centre string
	var asJSON bool
	var vcfg video.Config
	cmd := &cobra.Command{
		Use:   "register --case ID [--centre ID] [--label TEXT] [--json] PATH...",
		Short: "Register fingerprints of a case's images and videos (the media are not kept)",
		Long: `register fingerprints each file (folders are walked recursively for image and video
files) and stores the fingerprints under the case, creating it if needed. The files are read
into memory, hashed and discarded: hashwatch never stores registered media or thumbnails.
A video (MP4, MOV, WebM, MKV, AVI, animated GIF) is stored as the PDQ hashes of frames
sampled every half second, with their times; videos need ffmpeg (--ffmpeg).
All fingerprints of one run are stored in one transaction.

Cases belong to a centre, and case IDs are unique per centre: --centre names it,
and is required once the database has more than one centre (hashwatch centre list).`,
		Example: `  hashwatch register --case 2026-0042 --label "reported by victim" ./case-0042/
  hashwatch register --centre busan --case 2026-0042 ./case-0042/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if caseID == "" {
				return usagef("register: --case is required")
			}
			hasher := newMedia(a.stderr, vcfg)
			inputs := a.expandPaths(paths)
			if len(inputs) == 0 {
				fail(a.stderr, "register: no image or video files found in %v", paths)
				return errSomeFailed
			}
			type result struct {
				Path        string  `json:"path"`
				Centre      string  `json:"centre"`
				Case        string  `json:"case"`
				Fingerprint uint64  `json:"fingerprint,omitempty"`
				Error       *string `json:"error"`
			}
			results := make([]result, len(inputs))
			var regs []index.Registration
			var regIdx []int
			failed := 0
			for i, in := range inputs {
				results[i] = result{Path: in.path, Centre: centre, Case: caseID}
				fp, err := fingerprintFile(cmd.Context(), hasher, in, hashing.ForRegistration)
				if err != nil {
					results[i].Error = errString(err)
					failed++
					continue
				}
				regs = append(regs, index.Registration{Label: label, Source: filepath.Base(in.path), Print: fp})
				regIdx = append(regIdx, i)
			}
			if len(regs) > 0 {
				db, err := a.openDB()
				if err != nil {
					return err
				}
				defer db.Close()
				cs, err := db.Centres.List()
				if err != nil {
					return err
				}
				in, err := centreFlag(cs, centre, "register")
				if err != nil {
					return err
				}
				for i := range results {
					results[i].Centre = in
				}
				added, err := db.Index.RegisterIn(cmd.Context(), in, caseID, label, regs, a.actor())
				if err != nil {
					return err
				}
				for k, f := range added {
					results[regIdx[k]].Fingerprint = f.ID
				}
			}
			if asJSON {
				if err := writeEach(a.stdout, results); err != nil {
					return err
				}
			} else {
				tw := termtable.New(a.stdout)
				for _, r := range results {
					if r.Error != nil {
						fail(a.stderr, "register: %s", *r.Error)
						continue
					}
					fmt.Fprintf(tw, "%s\tfingerprint %d\n", safe(r.Path), r.Fingerprint)
				}
				tw.Flush()
				fmt.Fprintf(a.stdout, "registered %d fingerprint(s) under case %s; %d failed; no media was stored\n", len(regs), safe(caseID), failed)
			}
			if failed > 0 {
				return errSomeFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&caseID, "case", "", "case ID to register under (required)")
	cmd.Flags().StringVar(&label, "label", "", "label for the case and its fingerprints")
	cmd.Flags().StringVar(&centre, "centre", "", "the case's centre (default national; required once there are several)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per file")
	videoFlags(cmd, &vcfg)
	return cmd
}
