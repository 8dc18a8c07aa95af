package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/store"
	"github.com/spf13/cobra"
)

// mediaExtensions are the file name endings taken from folders; files named
// explicitly on the command line are tried whatever their name.
var mediaExtensions = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".png": true, ".gif": true,
	".webp": true, ".bmp": true, ".tif": true, ".tiff": true,
	".mp4": true, ".m4v": true, ".mov": true, ".webm": true, ".mkv": true, ".avi": true,
}

// input is one file to process, or a path that could not be read (err set).
type input struct {
	path string // as the user named it (or as found below a folder they named)
	file string // where to read it: path resolved against the invoker's working directory
	err  error
}

// expandPaths turns files and folders (walked recursively for media files,
// in sorted order) into inputs. Unreadable paths become inputs with an error,
// so they are reported in place and counted as failed. Relative paths mean
// paths below the invoker's working directory, and are shown as given.
func (a *app) expandPaths(paths []string) []input {
	var out []input
	for _, p := range paths {
		root := a.localPath(p)
		info, err := os.Stat(root)
		if err != nil || !info.IsDir() {
			out = append(out, input{path: p, file: root, err: shownAs(err, root, p)})
			continue
		}
		var found []input
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			shown := p
			if rel, rerr := filepath.Rel(root, path); rerr == nil && rel != "." {
				shown = filepath.Join(p, rel)
			}
			switch {
			case err != nil:
				found = append(found, input{path: shown, file: path, err: shownAs(err, path, shown)})
			case d.Type().IsRegular() && mediaExtensions[strings.ToLower(filepath.Ext(path))]:
				found = append(found, input{path: shown, file: path})
			}
			return nil
		})
		sort.Slice(found, func(i, j int) bool { return found[i].path < found[j].path })
		out = append(out, found...)
	}
	return out
}

// localPath resolves a path the invoker named against their working
// directory: the same file the command would use in their own process.
func (a *app) localPath(p string) string {
	if a.dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(a.dir, p)
}

// openFile opens a file the invoker named; errors name it as they did.
func (a *app) openFile(p string) (*os.File, error) {
	f, err := os.Open(a.localPath(p))
	return f, shownAs(err, a.localPath(p), p)
}

// shownAs rewrites a file error about resolved so that it names the path
// as the user gave it, which is what a command run in their own process
// would print.
func shownAs(err error, resolved, given string) error {
	var pe *fs.PathError
	if resolved == given || !errors.As(err, &pe) || pe.Path != resolved {
		return err
	}
	return &fs.PathError{Op: pe.Op, Path: given, Err: pe.Err}
}

// media fingerprints pictures and videos (animated GIFs included), telling
// them apart by their bytes, never by file name.
type media struct {
	image *hashing.Hasher
	video *video.Hasher
}

// videoFlags adds the video options of commands that hash files.
func videoFlags(cmd *cobra.Command, cfg *video.Config) {
	cmd.Flags().StringVar(&cfg.FFmpeg, "ffmpeg", "", "ffmpeg executable for videos (default: ffmpeg from PATH)")
}

// newMedia returns the hashers for a command, saying once on w when
// ffmpeg is missing: pictures still work, videos then fail.
func newMedia(w io.Writer, cfg video.Config) media {
	m := media{image: hashing.NewHasher(hashing.Limits{}), video: video.New(cfg)}
	if _, err := m.video.FFmpeg(); err != nil {
		fail(w, "warning: %v", err)
	} else if !m.video.InMemory() {
		fail(w, "warning: no in-memory files (memfd) here: an MP4 whose index follows its media is written to a temporary file while it is hashed")
	}
	return m
}

// fingerprintFile reads a local file under the hashers' byte limits and
// fingerprints it as a video or a picture. The bytes are dropped when it
// returns.
func fingerprintFile(ctx context.Context, m media, in input, purpose hashing.Purpose) (hashing.Fingerprint, error) {
	if in.err != nil {
		return hashing.Fingerprint{}, in.err
	}
	data, err := readMedia(in.file, max(m.image.Limits().MaxBytes, m.video.Limits().MaxBytes))
	if err != nil {
		err = shownAs(err, in.file, in.path)
		return hashing.Fingerprint{}, fmt.Errorf("%s: %w", in.path, err)
	}
	var fp hashing.Fingerprint
	if video.Sniff(data) != "" {
		fp, err = m.video.Fingerprint(ctx, data, purpose)
	} else {
		fp, err = m.image.Image(ctx, data, purpose)
	}
	if err != nil {
		return hashing.Fingerprint{}, fmt.Errorf("%s: %w", in.path, err)
	}
	return fp, nil
}

// readMedia reads a local file of at most max bytes. The bytes are held
// only until the caller has hashed them.
func readMedia(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return hashing.ReadLimited(f, max)
}

// jsonLines writes one JSON object per line.
type jsonLines struct{ enc *json.Encoder }

func newJSONLines(w io.Writer) jsonLines {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return jsonLines{enc}
}

func (j jsonLines) write(v any) error { return j.enc.Encode(v) }

// writeEach writes every item as one JSON line.
func writeEach[T any](w io.Writer, items []T) error {
	out := newJSONLines(w)
	for _, it := range items {
		if err := out.write(it); err != nil {
			return err
		}
	}
	return nil
}

// openDB opens the database named by --db, or, when the command runs
// inside the process that holds it, borrows that process's (Close then
// leaves it open). Every command gets its database here or from
// openForInspection.
func (a *app) openDB() (*database.DB, error) {
	if a.held != nil {
		return a.held.db.Borrow(), nil
	}
	if !createsDatabase(a.command) {
		// A mistyped --db must not become a new, empty database that
		// answers "no alerts".
		if _, err := os.Stat(a.dbPath); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s; `register` or `crawl` creates one", a.dbPath)
		}
	}
	return database.Open(a.dbPath, store.Options{})
}

// createsDatabase reports whether a command may create the database file:
// those that put something in it. Every other command reads the database
// or acts on what it holds, so a missing file is a mistake.
func createsDatabase(command string) bool {
	switch command {
	case "register", "import", "crawl", "serve", "user add", "centre add", "debug write-loop":
		return true
	}
	return false
}

// errString is the JSON form of an optional error: null when there is none.
func errString(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

func fail(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, "hashwatch: "+safe(fmt.Sprintf(format, args...)))
}
