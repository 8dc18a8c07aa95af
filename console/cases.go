package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
)

type casesData struct {
	Cases       []index.Case
	MaxFileMB   int64
	MaxUploadMB int64
	MaxFiles    int
	Result      *registerResult
	// InBrowser: the page hashes files in the browser (hashed.go), with
	// the picture limit, the side of sampled video frames and their
	// interval the server uses.
	InBrowser  bool
	MaxPixels  int64
	FrameSize  int
	IntervalMS int64
	// SelfSubmit: the user's centre lets victims submit with a PIN
	// (selfsubmit.go), so the page offers to issue one; PIN is one just
	// issued, shown once.
	SelfSubmit bool
	PIN        *pinIssued
}

// casesData lists the cases rq's user sees (centre: see request.scope),
// with the labels of their own centre's cases only: a label is its
// centre's alone, so national views show other centres' case IDs.
func (s *Server) casesData(rq *request, centre string) (casesData, error) {
	cases, err := s.db.Index.CasesOf(centre)
	for i := range cases {
		if cases[i].Centre != rq.user.Centre {
			cases[i].Label = ""
		}
	}
	d := casesData{Cases: cases, MaxFileMB: min(s.uploadFileLimit(), s.limits.UploadBytes) >> 20, MaxUploadMB: s.limits.UploadBytes >> 20, MaxFiles: s.limits.UploadFiles,
		InBrowser: s.hashingInBrowser(), MaxPixels: s.hasher.Limits().MaxPixels, FrameSize: video.FrameSize, IntervalMS: video.RegistrationInterval.Milliseconds()}
	if err == nil && rq.user.Centre != "" {
		var c centres.Centre
		c, err = s.db.Centres.Centre(rq.user.Centre)
		d.SelfSubmit = c.SelfSubmit
	}
	return d, err
}

// cases lists the cases: the page with the registration form, or JSON.
func (s *Server) cases(w http.ResponseWriter, r *http.Request, rq *request) error {
	centre, err := rq.scope(r)
	if err != nil {
		return err
	}
	d, err := s.casesData(rq, centre)
	if err != nil {
		return err
	}
	if d.Cases == nil {
		d.Cases = []index.Case{}
	}
	return s.respond(w, r, rq, reply{page: "cases", title: rq.loc.T("cases.title"), html: d, json: convert(d.Cases, NewCaseJSON)})
}

// registerResult is what a browser registration did, per file.
type registerResult struct {
	Case       string
	Registered int
	Files      []fileResult
}

type fileResult struct {
	Name        string
	Fingerprint uint64
	Error       string
}

// registerCase reads a multipart upload part by part — the CSRF token
// first, then the case ID, label and files in any order — hashing each
// file in a bounded memory buffer and dropping its bytes before the next
// part is read. Nothing touches the disk. All fingerprints are stored in
// one transaction.
func (s *Server) registerCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	r.Body = http.MaxBytesReader(w, r.Body, s.limits.UploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return refuseWith(http.StatusBadRequest, err, "err.want_multipart")
	}
	res, err := s.readRegistration(r.Context(), mr, rq)
	if err != nil {
		return err
	}
	d, err := s.casesData(rq, rq.user.Centre)
	if err != nil {
		return err
	}
	d.Result = res
	status := http.StatusOK
	if res.Registered == 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, rq, status, "cases", rq.loc.T("cases.title"), d)
}

// smallField bounds the text fields of a registration.
const smallField = 1024

func (s *Server) readRegistration(ctx context.Context, mr *multipart.Reader, rq *request) (*registerResult, error) {
	res := &registerResult{}
	var caseID, label string
	var regs []index.Registration
	var regIdx []int
	first := true
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, badRequest(err)
		}
		name := part.FormName()
		if first {
			// The CSRF check comes before anything is read or hashed.
			first = false
			tok, err := readField(part)
			if name != "csrf" || err != nil || rq.session == nil || subtle.ConstantTimeCompare([]byte(tok), []byte(rq.session.CSRF)) != 1 {
				return nil, refuse(http.StatusForbidden, "err.csrf")
			}
			continue
		}
		switch name {
		case "case":
			if caseID, err = readField(part); err != nil {
				return nil, err
			}
		case "label":
			if label, err = readField(part); err != nil {
				return nil, err
			}
		case "files":
			if part.FileName() == "" {
				continue // the empty file input of a form sent without files
			}
			if len(res.Files) >= s.limits.UploadFiles {
				return nil, refuse(http.StatusRequestEntityTooLarge, "err.too_many_files", s.limits.UploadFiles)
			}
			fr := fileResult{Name: truncate(part.FileName(), 200)}
			fp, err := s.hashPart(ctx, part)
			if err != nil {
				if st, _ := statusOf(err); st == http.StatusInternalServerError || st == http.StatusServiceUnavailable {
					return nil, err
				}
				fr.Error = explain(rq.loc, err).Text()
			} else {
				regs = append(regs, index.Registration{Label: label, Source: fr.Name, Print: fp})
				regIdx = append(regIdx, len(res.Files))
			}
			res.Files = append(res.Files, fr)
		default:
			if _, err := io.Copy(io.Discard, io.LimitReader(part, smallField)); err != nil {
				return nil, badRequest(err)
			}
		}
		part.Close()
	}
	if first {
		// No part at all, so no CSRF token either.
		return nil, refuse(http.StatusForbidden, "err.csrf")
	}
	caseID, err := registrationCase(caseID)
	if err != nil {
		return nil, err
	}
	if len(res.Files) == 0 {
		return nil, refuse(400, "cases.need_files")
	}
	res.Case = caseID
	if len(regs) == 0 {
		return res, nil
	}
	// The registration and its audit record commit together.
	// Staff register into their own centre's cases.
	added, err := s.db.Index.RegisterIn(ctx, rq.user.Centre, caseID, label, regs, rq.actor())
	if err != nil {
		return nil, err
	}
	for k, f := range added {
		res.Files[regIdx[k]].Fingerprint = f.ID
	}
	res.Registered = len(added)
	return res, nil
}

// uploadFileLimit is the most one uploaded file may hold: the picture
// limit, or the video limit when videos are taken and it is larger.
func (s *Server) uploadFileLimit() int64 {
	limit := s.hasher.Limits().MaxBytes
	if s.cfg.Video != nil {
		limit = max(limit, s.cfg.Video.Limits().MaxBytes)
	}
	return limit
}

// hashPart reads one uploaded file into memory under the hashers' byte
// limits, fingerprints it for registration — as a video when it is one —
// and lets the bytes go.
func (s *Server) hashPart(ctx context.Context, part *multipart.Part) (hashing.Fingerprint, error) {
	// Look at the first bytes before buffering anything: a file that is
	// no picture or video is refused at once, and the rest of it is
	// skipped in small chunks by the multipart reader, never held.
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(part, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return hashing.Fingerprint{}, badRequest(mbe)
		}
		return hashing.Fingerprint{}, badRequest(err)
	}
	head = head[:n]
	if hashing.Sniff(head) == "" && video.Sniff(head) == "" {
		return hashing.Fingerprint{}, refuseWith(http.StatusUnprocessableEntity, hashing.ErrUnsupported, "err.not_media")
	}
	data, err := hashing.ReadLimited(io.MultiReader(bytes.NewReader(head), part), s.uploadFileLimit())
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return hashing.Fingerprint{}, badRequest(mbe)
		}
		if errors.Is(err, hashing.ErrTooLarge) {
			// Drain the rest of the part so the next one can be read.
			if _, derr := io.Copy(io.Discard, part); derr != nil {
				return hashing.Fingerprint{}, badRequest(derr)
			}
			return hashing.Fingerprint{}, err
		}
		return hashing.Fingerprint{}, badRequest(err)
	}
	if video.Sniff(data) != "" {
		if s.cfg.Video == nil {
			return hashing.Fingerprint{}, refuseWith(http.StatusUnprocessableEntity, hashing.ErrUnsupported, "err.no_ffmpeg")
		}
		return s.cfg.Video.Fingerprint(ctx, data, hashing.ForRegistration)
	}
	if int64(len(data)) > s.hasher.Limits().MaxBytes {
		return hashing.Fingerprint{}, refuseWith(http.StatusRequestEntityTooLarge, hashing.ErrTooLarge, "err.picture_too_large", len(data), s.hasher.Limits().MaxBytes)
	}
	return s.hasher.Image(ctx, data, hashing.ForRegistration)
}

// sniffBytes is how much of an uploaded file is read to tell whether it is
// media at all: enough for every magic number Sniff knows (MPEG-TS needs
// three 188-byte packets).
const sniffBytes = 512

// readField reads a small text part.
func readField(p *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(p, smallField+1))
	if err != nil {
		return "", badRequest(err)
	}
	if len(b) > smallField {
		return "", refuse(http.StatusRequestEntityTooLarge, "err.field_too_large", p.FormName(), smallField)
	}
	return string(b), nil
}

// withdraw honours a victim's withdrawal, after the person typed the case
// ID again to confirm it.
func (s *Server) withdraw(ctx context.Context, rq *request, id, confirm string) (fingerprints, alerts int, err error) {
	// A centre's staff withdraw their own centre's cases only: another
	// centre's case does not exist for them, whatever was typed.
	centre := rq.user.Centre
	c, err := s.db.Index.CaseOf(centre, id)
	if err != nil {
		return 0, 0, err
	}
	if confirm != id {
		return 0, 0, refuse(400, "cases.confirm_mismatch")
	}
	if c.Withdrawn() {
		return 0, 0, refuse(http.StatusConflict, "err.case_withdrawn", id)
	}
	// The withdrawal and its audit record commit together.
	return s.db.Index.WithdrawIn(ctx, centre, id, rq.actor())
}

// withdrawCase withdraws a case: a form post that returns to the cases
// page with a flash message, or an API call answered with what was undone.
func (s *Server) withdrawCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body struct {
		Confirm string `json:"confirm"`
	}
	if err := input(r, rq, &body, func(f url.Values) { body.Confirm = f.Get("confirm") }); err != nil {
		return err
	}
	id := r.PathValue("id")
	fps, alerts, err := s.withdraw(r.Context(), rq, id, body.Confirm)
	if err != nil {
		return err
	}
	return s.respond(w, r, rq, reply{redirect: "/cases?done=withdrawn&case=" + url.QueryEscape(id),
		json: map[string]any{"case": id, "fingerprints_deleted": fps, "alerts_closed": alerts}})
}
