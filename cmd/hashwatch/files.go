package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
)

// mediaExtensions are the file name endings taken from folders; files named
// explicitly on the command line are tried whatever their name.
var mediaExtensions = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".png": true, ".gif": true,
	".webp": true, ".bmp": true, ".tif": true, ".tiff": true,
}

// input is one file to process, or a path that could not be read (err set).
type input struct {
	path string
	err  error
}

// expandPaths turns files and folders (walked recursively for media files,
// in sorted order) into inputs. Unreadable paths become inputs with an error,
// so they are reported in place and counted as failed.
func expandPaths(paths []string) []input {
	var out []input
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil || !info.IsDir() {
			out = append(out, input{path: p, err: err})
			continue
		}
		var found []input
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				found = append(found, input{path: path, err: err})
			case d.Type().IsRegular() && mediaExtensions[strings.ToLower(filepath.Ext(path))]:
				found = append(found, input{path: path})
			}
			return nil
		})
		sort.Slice(found, func(i, j int) bool { return found[i].path < found[j].path })
		out = append(out, found...)
	}
	return out
}

// fingerprintFile reads a local file under the hasher's limits and
// fingerprints it. The bytes are dropped when it returns.
func fingerprintFile(ctx context.Context, h *hashing.Hasher, in input, purpose hashing.Purpose) (hashing.Fingerprint, error) {
	if in.err != nil {
		return hashing.Fingerprint{}, in.err
	}
	data, err := readMedia(in.path, h.Limits())
	if err != nil {
		return hashing.Fingerprint{}, fmt.Errorf("%s: %w", in.path, err)
	}
	fp, err := h.Image(ctx, data, purpose)
	if err != nil {
		return hashing.Fingerprint{}, fmt.Errorf("%s: %w", in.path, err)
	}
	return fp, nil
}

// readMedia reads a local file under the hasher's byte limit. The bytes are
// held only until the caller has hashed them.
func readMedia(path string, limits hashing.Limits) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return hashing.ReadLimited(f, limits.MaxBytes)
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

// openDB opens the database named by --db.
func (a *app) openDB() (*index.DB, error) {
	return index.Open(a.dbPath, index.Options{})
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
	fmt.Fprintf(w, "hashwatch: "+format+"\n", args...)
}
