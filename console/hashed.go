package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
)

// The browser registration (issue 16): the registration page hashes
// pictures, and the videos the browser can decode, on the device that
// holds them, with hashwatch's own hashing compiled to WebAssembly
// (cmd/hashwasm, served from Config.Wasm under /wasm/), and posts only
// the fingerprints here. Files the browser cannot decode are uploaded as
// before (registerCase).

// hashedPath is the route that takes fingerprints computed in the
// browser; its JSON body may be larger than a form (Limits.HashedBytes).
const hashedPath = "/api/cases/fingerprints"

// Files served under /wasm/ from Config.Wasm.
const (
	wasmModule = "hashwatch.wasm"
	wasmExec   = "wasm_exec.js"
)

// hashedJSON is the body of a browser registration.
type hashedJSON struct {
	Case  string           `json:"case"`
	Label string           `json:"label"`
	Files []hashedFileJSON `json:"files"`
}

type hashedFileJSON struct {
	Name        string       `json:"name"`
	Fingerprint hashing.Sent `json:"fingerprint"`
}

// hashedResultJSON is the answer: what was registered, per file.
type hashedResultJSON struct {
	Case       string                 `json:"case"`
	Registered int                    `json:"registered"`
	Files      []hashedFileResultJSON `json:"files"`
}

type hashedFileResultJSON struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Fingerprint uint64 `json:"fingerprint"`
}

// registerHashed stores fingerprints a browser computed: it re-checks
// each one's shape, quality range and counts (hashing.Sent.Picture,
// video.Limits.Received) — refusing the whole request if one is wrong,
// since a page of ours never sends such a thing — and registers them as
// an upload's would be, under the same case and centre rules, in one
// transaction with an audit entry saying the media never reached the
// server.
func (s *Server) registerHashed(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body hashedJSON
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	caseID, err := registrationCase(body.Case)
	if err != nil {
		return err
	}
	if len(body.Label) > smallField {
		return refuse(http.StatusRequestEntityTooLarge, "err.label_too_long", smallField)
	}
	regs, files, err := s.receivedFiles(body.Label, body.Files)
	if err != nil {
		return err
	}
	res := hashedResultJSON{Case: caseID, Files: files}
	// The registration and its audit record commit together. Staff
	// register into their own centre's cases.
	added, err := s.db.Index.RegisterIn(r.Context(), rq.user.Centre, caseID, body.Label, regs, rq.actor())
	if err != nil {
		return err
	}
	for k, f := range added {
		res.Files[k].Fingerprint = f.ID
	}
	res.Registered = len(added)
	writeJSON(w, http.StatusOK, res)
	return nil
}

// receivedFiles re-checks fingerprints a browser computed — each one's
// shape, quality range and counts (hashing.Sent.Picture,
// video.Limits.Received) — and makes them registrations marked as hashed
// on the device, for a staff registration (registerHashed) and a victim's
// self-submission (selfSubmit) alike. One wrong fingerprint refuses the
// whole request, since a page of ours never sends such a thing.
func (s *Server) receivedFiles(label string, files []hashedFileJSON) ([]index.Registration, []hashedFileResultJSON, error) {
	if len(files) == 0 {
		return nil, nil, refuse(400, "cases.need_files")
	}
	if len(files) > s.limits.UploadFiles {
		return nil, nil, refuse(http.StatusRequestEntityTooLarge, "err.too_many_files", s.limits.UploadFiles)
	}
	var vl video.Limits
	if s.cfg.Video != nil {
		vl = s.cfg.Video.Limits()
	}
	regs := make([]index.Registration, len(files))
	res := make([]hashedFileResultJSON, len(files))
	for i, f := range files {
		name := truncate(f.Name, 200)
		var fp hashing.Fingerprint
		var err error
		switch f.Fingerprint.Kind {
		case hashing.KindVideo:
			fp, err = vl.Received(f.Fingerprint)
		default:
			fp, err = f.Fingerprint.Picture(s.hasher.Limits())
		}
		if err != nil {
			if errors.Is(err, hashing.ErrTooLarge) {
				return nil, nil, refuseWith(http.StatusRequestEntityTooLarge, err, "err.file_refused", i+1, name)
			}
			return nil, nil, refuseWith(http.StatusBadRequest, err, "err.file_bad", i+1, name)
		}
		regs[i] = index.Registration{Label: label, Source: name, Print: fp, OnDevice: true}
		res[i] = hashedFileResultJSON{Name: name, Kind: string(fp.Kind)}
	}
	return regs, res, nil
}

// registrationCase checks the case ID of a registration, uploaded or
// hashed in the browser.
func registrationCase(id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", refuse(400, "cases.need_id")
	}
	if id == "." || id == ".." {
		// A dot segment cannot be a path segment of /cases/ID/withdraw:
		// such a case could never be withdrawn from the browser.
		return "", refuse(400, "err.bad_case_id", id)
	}
	return id, nil
}

// wasmFile is one file under /wasm/, read once: its bytes, gzipped copy
// and ETag.
type wasmFile struct {
	once      sync.Once
	raw, gzip []byte
	etag      string
	err       error
}

// load reads name from fsys, gzips it and names its content, once: the
// module is some 9 MB, 2.5 MB gzipped, and the registration page loads it
// on every visit, so it is sent compressed and revalidated (304) rather
// than sent again.
func (f *wasmFile) load(fsys fs.FS, name string) error {
	f.once.Do(func() {
		if f.raw, f.err = fs.ReadFile(fsys, name); f.err != nil {
			return
		}
		sum := sha256.Sum256(f.raw)
		f.etag = `"` + hex.EncodeToString(sum[:16]) + `"`
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, f.err = zw.Write(f.raw); f.err == nil {
			f.err = zw.Close()
		}
		f.gzip = buf.Bytes()
	})
	return f.err
}

// wasmHandler serves the hashing module and Go's loader for it from
// Config.Wasm, or 404 when the console was built without them (a plain
// `go build`; `make build` builds them): the registration page then
// uploads files instead.
func (s *Server) wasmHandler() http.Handler {
	files := map[string]*wasmFile{wasmModule: {}, wasmExec: {}}
	types := map[string]string{wasmModule: "application/wasm", wasmExec: "text/javascript; charset=utf-8"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		f := files[name]
		if s.cfg.Wasm == nil || f == nil || f.load(s.cfg.Wasm, name) != nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", types[name]) // instantiateStreaming wants application/wasm
		h.Set("Cache-Control", "no-cache")
		h.Add("Vary", "Accept-Encoding")
		body, etag := f.raw, f.etag
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.Set("Content-Encoding", "gzip")
			body, etag = f.gzip, f.etag[:len(f.etag)-1]+`-gzip"`
		}
		h.Set("ETag", etag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	})
}

// hashingInBrowser reports whether the registration page can hash in
// the browser: the console has the hashing module to serve.
func (s *Server) hashingInBrowser() bool {
	if s.cfg.Wasm == nil {
		return false
	}
	_, err := fs.Stat(s.cfg.Wasm, wasmModule)
	return err == nil
}
