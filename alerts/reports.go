package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Limits on a URL report.
const (
	// MaxReportURLs is the most URLs one report may list; a longer list is
	// split into several reports.
	MaxReportURLs = 100
	// MaxReportURLBytes bounds one reported URL.
	MaxReportURLBytes = 2048
	maxReportNote     = 2000
	maxReportError    = 500
)

// Reported URL states.
const (
	ReportPending = "pending"  // not fetched yet
	ReportError   = "error"    // could not be fetched or read (Error says why)
	ReportNoMatch = "no_match" // fetched and fingerprinted; nothing matched
	ReportMatch   = "match"    // matched; AlertIDs are the alerts it raised or added to
)

// URLOutcome is what checking one reported URL gave.
type URLOutcome struct {
	URL   string `json:"url"`
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Media counts the media files fetched and fingerprinted for the URL
	// (the URL itself, or the images of the page it names).
	Media     int       `json:"media"`
	AlertIDs  []uint64  `json:"alert_ids,omitempty"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
}

// URLReport is a list of URLs where a hotline or partner saw content, as
// submitted through the console or API, with the outcome per URL so the
// submitter sees what became of each.
type URLReport struct {
	ID uint64 `json:"id"`
	// Centre is the submitter's centre: its users (and national ones)
	// see the report.
	Centre      string       `json:"centre"`
	SubmittedBy string       `json:"submitted_by,omitempty"`
	SubmittedAt time.Time    `json:"submitted_at"`
	Note        string       `json:"note,omitempty"`
	URLs        []URLOutcome `json:"urls"`
}

var reportCodec = &store.Codec{Kind: "URL report", Version: 2,
	Upgrades: map[byte]func(json.RawMessage) (json.RawMessage, error){1: store.AddField("centre", centres.National)}}

// CheckReportURL reports whether raw is a URL a report may list: an
// absolute http or https URL with a host, within MaxReportURLBytes.
func CheckReportURL(raw string) error {
	if len(raw) > MaxReportURLBytes {
		return fmt.Errorf("URL of %d bytes, limit %d: %w", len(raw), MaxReportURLBytes, store.ErrInvalid)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https URL: %w", raw, store.ErrInvalid)
	}
	return nil
}

// CreateURLReport stores a report of urls (trimmed, blank ones dropped,
// duplicates kept once), each pending, audited as "report.submit" in the
// same transaction. A URL that is not an absolute http(s) URL, or more than
// MaxReportURLs of them, fail the whole report with store.ErrInvalid, so the
// submitter can correct the list.
func (al *Store) CreateURLReport(ctx context.Context, urls []string, note string, by store.Actor) (URLReport, error) {
	if err := ctx.Err(); err != nil {
		return URLReport{}, err
	}
	if by.Centre == "" {
		by.Centre = centres.National // the command line acts nationally
	}
	r := URLReport{Centre: by.Centre, SubmittedBy: by.User, SubmittedAt: al.st.Now().UTC(), Note: strings.TrimSpace(note)}
	if len(r.Note) > maxReportNote {
		return URLReport{}, fmt.Errorf("note of %d bytes, limit %d: %w", len(r.Note), maxReportNote, store.ErrInvalid)
	}
	seen := map[string]bool{}
	for _, raw := range urls {
		raw = strings.TrimSpace(raw)
		if raw == "" || seen[raw] {
			continue
		}
		if err := CheckReportURL(raw); err != nil {
			return URLReport{}, err
		}
		seen[raw] = true
		r.URLs = append(r.URLs, URLOutcome{URL: raw, State: ReportPending})
	}
	if len(r.URLs) == 0 || len(r.URLs) > MaxReportURLs {
		return URLReport{}, fmt.Errorf("report lists %d URLs, want 1 to %d: %w", len(r.URLs), MaxReportURLs, store.ErrInvalid)
	}
	err := al.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReports)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		r.ID = id
		v, err := reportCodec.Encode(&r)
		if err != nil {
			return err
		}
		if err := b.Put(store.IDKey(id), v); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: r.SubmittedAt, User: by.User, Remote: by.Remote, Token: by.Token, Centre: r.Centre, Action: "report.submit",
			Target: strconv.FormatUint(id, 10), Detail: fmt.Sprintf("%d URLs", len(r.URLs))})
	}, nil)
	if err != nil {
		return URLReport{}, fmt.Errorf("create URL report: %w", err)
	}
	return r, nil
}

// SetURLOutcome records the outcome of the report's i-th URL (o.URL must be
// that URL; CheckedAt defaults to now) and returns the updated report.
func (al *Store) SetURLOutcome(ctx context.Context, id uint64, i int, o URLOutcome) (URLReport, error) {
	if err := ctx.Err(); err != nil {
		return URLReport{}, err
	}
	switch o.State {
	case ReportPending, ReportError, ReportNoMatch, ReportMatch:
	default:
		return URLReport{}, fmt.Errorf("report URL state %q: %w", o.State, store.ErrInvalid)
	}
	if o.CheckedAt.IsZero() {
		o.CheckedAt = al.st.Now()
	}
	o.CheckedAt = o.CheckedAt.UTC()
	if len(o.Error) > maxReportError {
		o.Error = o.Error[:maxReportError] + "…"
	}
	var r URLReport
	err := al.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReports)
		v := b.Get(store.IDKey(id))
		if v == nil {
			return fmt.Errorf("URL report %d: %w", id, store.ErrNotFound)
		}
		if err := reportCodec.Decode(v, &r); err != nil {
			return err
		}
		if i < 0 || i >= len(r.URLs) || r.URLs[i].URL != o.URL {
			return fmt.Errorf("URL report %d has no URL %d %q: %w", id, i, o.URL, store.ErrInvalid)
		}
		r.URLs[i] = o
		nv, err := reportCodec.Encode(&r)
		if err != nil {
			return err
		}
		return b.Put(store.IDKey(id), nv)
	}, nil)
	if err != nil {
		return URLReport{}, fmt.Errorf("record outcome of URL report %d: %w", id, err)
	}
	return r, nil
}

// URLReport returns one report.
func (al *Store) URLReport(id uint64) (URLReport, error) {
	var r URLReport
	err := al.st.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReports).Get(store.IDKey(id))
		if v == nil {
			return fmt.Errorf("URL report %d: %w", id, store.ErrNotFound)
		}
		return reportCodec.Decode(v, &r)
	})
	return r, err
}

// URLReportFilter selects reports; zero fields match everything.
type URLReportFilter struct {
	// Centre keeps one centre's reports; empty keeps every centre's.
	Centre      string
	SubmittedBy string
	// Limit caps the reports returned; zero means 100.
	Limit int
}

// URLReports lists reports matching f, newest first.
func (al *Store) URLReports(f URLReportFilter) ([]URLReport, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []URLReport
	err := al.st.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketReports).Cursor()
		for k, v := c.Last(); k != nil && len(out) < f.Limit; k, v = c.Prev() {
			var r URLReport
			if err := reportCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("URL report %x: %w", k, err)
			}
			if (f.SubmittedBy == "" || r.SubmittedBy == f.SubmittedBy) && (f.Centre == "" || r.Centre == f.Centre) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

// VerifyRecords is the part of store.DB.Verify for previews and URL
// reports: every preview and report decodes under the key it claims.
func VerifyRecords(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	if err := verifyPreviews(ctx, tx, r); err != nil {
		return err
	}
	b := tx.Bucket(bucketReports)
	if b == nil {
		return nil
	}
	tick := store.Ticker(ctx)
	seq := b.Sequence()
	return b.ForEach(func(k, v []byte) error {
		where, id, ok := store.IDWhere("reports", k, seq, r)
		var rep URLReport
		if err := reportCodec.DecodeCurrent(v, &rep); err != nil {
			r.Add(where, "%v", err)
		} else if ok && rep.ID != id {
			r.Add(where, "holds report %d", rep.ID)
		}
		return tick()
	})
}
