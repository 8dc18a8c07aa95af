package main

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/spf13/cobra"
)

// maxListBytes bounds a hash list import reads: a signed list is verified
// whole before anything is imported. A million PDQ lines take some 70 MB.
const maxListBytes = 256 << 20

func (a *app) importCommand() *cobra.Command {
	var caseID, label, centre, verify string
	cmd := &cobra.Command{
		Use:   "import --case ID [--centre ID] [--label TEXT] [--verify PUBKEY] FILE",
		Short: "Register PDQ hashes or vPDQ video fingerprints from a partner's list",
		Long: `import reads a hash list and registers what it holds under the case, all in one
transaction. It tells the two kinds apart by the list's header line (export writes one)
or, without one, by the first hash line:

  pictures: one PDQ hash per line as 64 hex digits, optionally followed by ",quality"
            and ",label";
  videos:   vPDQ frame lines "frame,quality,pdq-hex,timestamp" (Meta's vPDQ output), in
            sections starting "# video N" — one registered video each; a plain vPDQ
            file without sections is one video.

Blank lines and other lines starting with # are skipped. Bad lines are reported with
their line numbers and the rest are imported (exit status 1 if any were bad); a list
whose header counts more or fewer hashes than it holds is refused whole.

With --verify PUBKEY the list must end in an Ed25519 signature by that key (export
--sign): a list changed after signing, signed by another key or not signed at all is
refused and nothing is imported.`,
		Example: `  hashwatch import --case partner-2026-11 stopncii-export.txt
  hashwatch import --case national-2026-12 --verify national.pub national-list.txt
  hashwatch import --case partner-videos clip.vpdq.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if caseID == "" {
				return usagef("import: --case is required")
			}
			data, err := a.readListFile(args[0])
			if err != nil {
				return err
			}
			if verify != "" {
				pub, err := readKey(a, verify, hashing.ParsePublicKey)
				if err != nil {
					return err
				}
				if data, err = hashing.VerifyList(data, pub); err != nil {
					return fmt.Errorf("import: %s: refused, nothing imported: %w", args[0], err)
				}
			}
			var regs []index.Registration
			var bad []hashing.LineError
			kind, what := hashing.DetectListFormat(data), ""
			src := filepath.Base(args[0])
			switch kind {
			case hashing.FormatVPDQList:
				var videos []hashing.VideoEntry
				if videos, bad, err = hashing.ReadVideoList(bytes.NewReader(data)); err != nil {
					return fmt.Errorf("import: %s: refused, nothing imported: %w", args[0], err)
				}
				frames := 0
				for _, v := range videos {
					regs = append(regs, index.Registration{Label: cmp.Or(v.Label, label), Source: fmt.Sprintf("%s:%d", src, v.Line), Print: v.Fingerprint()})
					frames += len(v.Frames)
				}
				what = fmt.Sprintf("%d video(s) of %d vPDQ frame(s)", len(videos), frames)
			default:
				var entries []hashing.ListEntry
				if entries, bad, err = hashing.ReadHashList(bytes.NewReader(data)); err != nil {
					return fmt.Errorf("import: %s: refused, nothing imported: %w", args[0], err)
				}
				for _, e := range entries {
					regs = append(regs, index.Registration{
						Label:  cmp.Or(e.Label, label),
						Source: fmt.Sprintf("%s:%d", src, e.Line),
						Print: hashing.Fingerprint{Kind: hashing.KindImage, Views: []hashing.View{
							{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{e.Hash}},
						}},
					})
				}
				what = fmt.Sprintf("%d PDQ hash(es)", len(regs))
			}
			for _, b := range bad {
				fail(a.stderr, "import: %s:%d: %v", args[0], b.Line, b.Err)
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
				in, err := centreFlag(cs, centre, "import")
				if err != nil {
					return err
				}
				if _, err := db.Index.RegisterIn(cmd.Context(), in, caseID, label, regs, a.actor()); err != nil {
					return err
				}
			}
			signed := ""
			if verify != "" {
				signed = " (signature verified)"
			}
			fmt.Fprintf(a.stdout, "imported %s into case %s%s; %d bad line(s)\n", what, caseID, signed, len(bad))
			if len(bad) > 0 {
				return errSomeFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&caseID, "case", "", "case to register the hashes under (required)")
	cmd.Flags().StringVar(&label, "label", "", "label for the case, and for hashes whose line has none")
	cmd.Flags().StringVar(&centre, "centre", "", "the case's centre (default national; required once there are several)")
	cmd.Flags().StringVar(&verify, "verify", "", "refuse the list unless it is signed by this Ed25519 public key (PEM)")
	return cmd
}

// readListFile reads a hash list whole, within maxListBytes.
func (a *app) readListFile(p string) ([]byte, error) {
	f, err := a.openFile(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if len(data) > maxListBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB; split the list", p, maxListBytes>>20)
	}
	return data, nil
}

// readKey reads a PEM key file the invoker named.
func readKey[K any](a *app, p string, parse func([]byte) (K, error)) (K, error) {
	var zero K
	f, err := a.openFile(p)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return zero, fmt.Errorf("%s: %w", p, err)
	}
	k, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", p, err)
	}
	return k, nil
}

func (a *app) exportCommand() *cobra.Command {
	var caseID, centre, sign string
	var withLabels, videos bool
	cmd := &cobra.Command{
		Use:   "export [--centre ID] [--case ID] [--videos] [--with-labels] [--sign KEYFILE]",
		Short: "Print registered fingerprints as a hash list partners can import",
		Long: `export prints the registered fingerprints of the case, the centre or all cases as a
hash list, starting with a header line that states the format, its version, the
algorithm and the count:

  # hashwatch-list format=pdq version=2 algorithm=pdq count=8

Pictures (the default): the PDQ hash of each registered picture — the reference PDQ
of the picture as registered (as partners compute it), not of the derived views — as
"hex,quality", one per line.

Videos (--videos): each registered video's sampled frames as vPDQ lines
"frame,quality,pdq-hex,timestamp" (the format of Meta's vPDQ, so hash-sharing
programmes can use them), each video in a section starting
"# video N frames=F duration=SECONDS".

A list shared with partners carries no labels: only with --with-labels does each line
(each video's section line) end in the fingerprint's label, or its case ID when it has
none. With --sign KEYFILE the list ends in an Ed25519 signature line (key from
"hashwatch key generate"); import --verify checks it.`,
		Example: `  hashwatch export --centre busan --case 2026-0042 > case-0042.pdq.txt
  hashwatch export --with-labels > all-labelled.pdq.txt
  hashwatch export --videos --sign national.key > videos.vpdq.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var key ed25519.PrivateKey
			if sign != "" {
				var err error
				if key, err = readKey(a, sign, hashing.ParsePrivateKey); err != nil {
					return err
				}
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			in := centre
			if caseID != "" && in == "" {
				cs, err := db.Centres.List()
				if err != nil {
					return err
				}
				if in, err = centreFlag(cs, centre, "export --case"); err != nil {
					return err
				}
			}
			fps, err := db.Index.FingerprintsOf(in, caseID)
			if err != nil {
				return err
			}
			labelOf := func(f *index.Fingerprint) string {
				if !withLabels {
					return ""
				}
				return cmp.Or(f.Label, f.Case)
			}
			var buf bytes.Buffer
			left := 0 // fingerprints of the other kind
			if videos {
				var vs []hashing.VideoEntry
				for _, f := range fps {
					if f.Print.Kind != hashing.KindVideo || len(f.Print.Frames) == 0 {
						left++
						continue
					}
					vs = append(vs, hashing.VideoEntryOf(f.Print, labelOf(f)))
				}
				err = hashing.WriteVideoList(&buf, vs)
			} else {
				var entries []hashing.ListEntry
				for _, f := range fps {
					h, ok := f.Print.SharedPDQ()
					if !ok {
						left++
						continue
					}
					entries = append(entries, hashing.ListEntry{Hash: h, Quality: h.Quality, Label: labelOf(f)})
				}
				err = hashing.WriteHashList(&buf, entries)
			}
			if err != nil {
				return err
			}
			out := buf.Bytes()
			if key != nil {
				out = hashing.SignList(out, key)
			}
			if _, err := a.stdout.Write(out); err != nil {
				return err
			}
			if left > 0 && !videos {
				fmt.Fprintf(a.stderr, "export: %d video(s) not in this list of pictures; export them with --videos\n", left)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&caseID, "case", "", "only this case's fingerprints")
	cmd.Flags().StringVar(&centre, "centre", "", "only this centre's fingerprints (with --case: the case's centre)")
	cmd.Flags().BoolVar(&withLabels, "with-labels", false, "end each line with the fingerprint's label (or case ID)")
	cmd.Flags().BoolVar(&videos, "videos", false, "export registered videos as vPDQ frame lines instead of pictures")
	cmd.Flags().StringVar(&sign, "sign", "", "sign the list with this Ed25519 private key (PEM, from `hashwatch key generate`)")
	return cmd
}

func (a *app) keyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage the Ed25519 keys that sign exported hash lists",
		Args:  cobra.NoArgs,
	}
	gen := &cobra.Command{
		Use:   "generate FILE",
		Short: "Make a signing key pair: FILE (private, mode 0600) and FILE.pub",
		Long: `generate makes a new Ed25519 key pair for signing hash lists (export --sign FILE).
The private key goes to FILE, readable by its owner only; keep it on the machine that
exports. The public key goes to FILE.pub: give it to the centres and partners that
import your lists (import --verify FILE.pub). Both are PEM files as OpenSSL writes
them. Existing files are never overwritten. The key's ID, printed here, is named in
every signature line it makes.`,
		Example: `  hashwatch key generate /etc/hashwatch/national.key`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			priv, pub, err := hashing.GenerateKey()
			if err != nil {
				return err
			}
			p := a.localPath(args[0])
			if err := writeNew(p+".pub", pub, 0o644); err != nil {
				return shownAs(err, p+".pub", args[0]+".pub")
			}
			if err := writeNew(p, priv, 0o600); err != nil {
				os.Remove(p + ".pub")
				return shownAs(err, p, args[0])
			}
			k, err := hashing.ParsePublicKey(pub)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote private key %s and public key %s.pub (key %s)\n", args[0], args[0], hashing.KeyID(k))
			return nil
		},
	}
	cmd.AddCommand(gen)
	return cmd
}

// writeNew writes a file that must not exist yet, durably.
func writeNew(p string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(p)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(p)
		return err
	}
	return f.Close()
}
