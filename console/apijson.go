package console

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

// The JSON API's bodies for every stored kind but alerts (alertjson.go).
// Like AlertJSON they are the console's own types, a documented contract
// kept apart from the stored records of the rooms (index, store, takedown,
// alerts, crawlstate), so that either can change without breaking the
// other: a stored field renamed is a migration, never an API break. Their
// field names and shapes are those the API sent when it sent the stored
// records themselves (golden files in testdata/).

// convert maps a stored slice to its JSON form, keeping nil as nil (null)
// and empty as empty ([]), as the stored slice encoded.
func convert[S, J any](in []S, f func(S) J) []J {
	if in == nil {
		return nil
	}
	out := make([]J, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// CaseJSON is a case in /api/cases.
type CaseJSON struct {
	Centre       string    `json:"centre"`
	ID           string    `json:"id"`
	Label        string    `json:"label,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	WithdrawnAt  time.Time `json:"withdrawn_at,omitzero"`
	Fingerprints int       `json:"fingerprints"`
}

// NewCaseJSON is c's JSON form.
func NewCaseJSON(c index.Case) CaseJSON {
	return CaseJSON{Centre: c.Centre, ID: c.ID, Label: c.Label, CreatedAt: c.CreatedAt, WithdrawnAt: c.WithdrawnAt, Fingerprints: c.Fingerprints}
}

// AuditEntryJSON is one audit record in /api/audit.
type AuditEntryJSON struct {
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Remote string    `json:"remote,omitempty"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
	Token  string    `json:"token,omitempty"`
	Centre string    `json:"centre"`
}

// NewAuditEntryJSON is e's JSON form.
func NewAuditEntryJSON(e store.AuditEntry) AuditEntryJSON {
	centre := e.Centre
	if centre == "" {
		centre = centres.National // the command line, the system, and entries from before centres
	}
	return AuditEntryJSON{Seq: e.Seq, At: e.At, User: e.User, Remote: e.Remote, Action: e.Action, Target: e.Target, Detail: e.Detail, Token: e.Token, Centre: centre}
}

// NoticeJSON is a takedown notice in /api/notices and the answer to
// marking one sent.
type NoticeJSON struct {
	ID        uint64    `json:"id"`
	Centre    string    `json:"centre"`
	Site      string    `json:"site"`
	To        string    `json:"to"`
	Lang      string    `json:"lang"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	AlertIDs  []uint64  `json:"alert_ids"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	SentBy    string    `json:"sent_by,omitempty"`
	// Delivery is the latest attempt to send it by mail, if any.
	Delivery *DeliveryJSON `json:"delivery,omitempty"`
}

// NewNoticeJSON is n's JSON form.
func NewNoticeJSON(n takedown.Notice) NoticeJSON {
	j := NoticeJSON{ID: n.ID, Centre: n.Centre, Site: n.Site, To: n.To, Lang: n.Lang, Subject: n.Subject, Body: n.Body, AlertIDs: slices.Clone(n.AlertIDs),
		CreatedAt: n.CreatedAt, CreatedBy: n.CreatedBy, SentAt: n.SentAt, SentBy: n.SentBy}
	if d, ok := n.LastDelivery(); ok {
		j.Delivery = &DeliveryJSON{At: d.At, By: d.By, To: d.To, OK: d.OK, Reply: d.Reply}
	}
	return j
}

// DeliveryJSON is the latest attempt to send a notice by mail, in
// NoticeJSON: whether the server accepted it, and its reply.
type DeliveryJSON struct {
	At    time.Time `json:"at"`
	By    string    `json:"by,omitempty"`
	To    string    `json:"to"`
	OK    bool      `json:"ok"`
	Reply string    `json:"reply"`
}

// URLReportJSON is a report of URLs in /api/reports, with what became of
// each URL.
type URLReportJSON struct {
	ID          uint64           `json:"id"`
	Centre      string           `json:"centre"`
	SubmittedBy string           `json:"submitted_by,omitempty"`
	SubmittedAt time.Time        `json:"submitted_at"`
	Note        string           `json:"note,omitempty"`
	URLs        []URLOutcomeJSON `json:"urls"`
}

// URLOutcomeJSON is one reported URL's outcome, in URLReportJSON.
type URLOutcomeJSON struct {
	URL       string    `json:"url"`
	State     string    `json:"state"`
	Error     string    `json:"error,omitempty"`
	Media     int       `json:"media"`
	AlertIDs  []uint64  `json:"alert_ids,omitempty"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
}

// NewURLReportJSON is r's JSON form.
func NewURLReportJSON(r alerts.URLReport) URLReportJSON {
	return URLReportJSON{ID: r.ID, Centre: r.Centre, SubmittedBy: r.SubmittedBy, SubmittedAt: r.SubmittedAt, Note: r.Note,
		URLs: convert(r.URLs, func(o alerts.URLOutcome) URLOutcomeJSON {
			return URLOutcomeJSON{URL: o.URL, State: o.State, Error: o.Error, Media: o.Media, AlertIDs: slices.Clone(o.AlertIDs), CheckedAt: o.CheckedAt}
		})}
}

// SiteJSON is a watched site: its configuration and paused state joined
// with its stored crawl status, the last pass's errors and limits in
// words. It is the one form of a site that the sites page, GET /api/sites
// and `hashwatch sites --json` all show (Sites builds it).
type SiteJSON struct {
	Name    string         `json:"name"`
	Contact string         `json:"contact,omitempty"`
	Paused  bool           `json:"paused"`
	Running bool           `json:"running"` // a pass runs in this process now
	Status  SiteStatusJSON `json:"status"`
	HasRun  bool           `json:"has_run"`
	Errors  int            `json:"errors"`
	// Configured is false for a site with stored status that sites.yaml
	// no longer has.
	Configured bool `json:"configured"`
	// IntervalSeconds is the configured time between passes' starts;
	// NextPass when the next pass is due (absent: paused or not
	// configured; before now: due at once); LastPassSeconds the last
	// finished pass's wall time.
	IntervalSeconds float64   `json:"interval_seconds,omitempty"`
	NextPass        time.Time `json:"next_pass,omitzero"`
	LastPassSeconds float64   `json:"last_pass_seconds,omitempty"`
	// ErrorKinds counts the last pass's errors by kind, most first.
	ErrorKinds []ErrorKindJSON `json:"error_kinds,omitempty"`
	// LatestErrors are the last pass's latest error messages, newest
	// last, each with its kind as a machine code and in words.
	LatestErrors []CrawlErrorJSON `json:"latest_errors,omitempty"`
	// LimitsHit are the site bounds the last pass reached (max_pages,
	// max_pass_duration, max_links_per_page), in words.
	LimitsHit []LimitHitJSON `json:"limits_hit,omitempty"`
}

// ErrorKindJSON is a kind of crawl error and how many the last pass had,
// in SiteJSON.
type ErrorKindJSON struct {
	Code    string `json:"code"`
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// CrawlErrorJSON is one stored crawl error, in SiteJSON: Code is its kind
// (crawler's error kinds; "other" when not recognised), Message it said
// in the reader's language, Raw as the crawler wrote it (English).
type CrawlErrorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Raw     string `json:"raw"`
}

// LimitHitJSON is a site bound the last pass reached, in SiteJSON: Count
// is 1 for max_pages and max_pass_duration (the pass ended early there)
// and the pages cut short for max_links_per_page.
type LimitHitJSON struct {
	Limit   string `json:"limit"`
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// SiteStatusJSON is a site's last or current pass, in SiteJSON. The
// counters are the crawl's one counter type (crawlstate.Counts), embedded
// as everywhere a pass is shown, so a new counter appears here too.
type SiteStatusJSON struct {
	Name       string    `json:"name"`
	PassStart  time.Time `json:"pass_start,omitzero"`
	PassEnd    time.Time `json:"pass_end,omitzero"`
	Running    bool      `json:"running"`
	PassNumber uint64    `json:"pass_number,omitempty"`
	crawlstate.Counts
	Queued        int                `json:"queued"`
	Errors        map[string]int     `json:"errors"`
	TotalPass     int                `json:"passes"`
	LastErrors    []string           `json:"last_errors,omitempty"`
	RecentSkipped []SkippedMediaJSON `json:"recent_skipped,omitempty"`
	Bounds        map[string]int     `json:"bounds,omitempty"`
	Recovered     map[string]int     `json:"recovered,omitempty"`
	RecentParked  []ParkedItemJSON   `json:"recent_parked,omitempty"`
	Queue         *QueueJSON         `json:"queue,omitempty"`
}

// ParkedItemJSON is an item a pass gave up on after it killed or stalled
// crawl workers on every delivery, in SiteStatusJSON.
type ParkedItemJSON struct {
	Kind   string    `json:"kind"`
	URL    string    `json:"url"`
	Page   string    `json:"page,omitempty"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// QueueJSON is the crawl workers' shared work queue as a pass's last
// checkpoint saw it, in SiteStatusJSON (only for passes crawled by workers
// over NATS).
type QueueJSON struct {
	Depth            uint64       `json:"depth"`
	InFlight         int          `json:"in_flight"`
	Redelivered      int          `json:"redelivered"`
	Dispatched       int          `json:"dispatched"`
	DuplicateResults int64        `json:"duplicate_results"`
	Workers          []WorkerJSON `json:"workers"`
	At               time.Time    `json:"at"`
}

// WorkerJSON is one crawl worker in QueueJSON.
type WorkerJSON struct {
	Name      string    `json:"name"`
	Results   int64     `json:"results"`
	PerSecond float64   `json:"per_second"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// SkippedMediaJSON is a media file a pass skipped for a limit, in
// SiteStatusJSON.
type SkippedMediaJSON struct {
	URL    string    `json:"url"`
	Page   string    `json:"page,omitempty"`
	Size   int64     `json:"size"`
	Limit  int64     `json:"limit,omitempty"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// siteFacts are what a site's SiteJSON is made of (siteList gathers
// them).
type siteFacts struct {
	Name, Contact           string
	Paused, Running, HasRun bool
	Configured              bool
	Status                  crawlstate.SiteStatus
	Interval, Took          time.Duration
	Next                    time.Time
}

// newSiteJSON is f's JSON form, its words in l's language.
func newSiteJSON(f siteFacts, l *locale) SiteJSON {
	st := f.Status
	j := SiteJSON{Name: f.Name, Contact: f.Contact, Paused: f.Paused, Running: f.Running, HasRun: f.HasRun,
		Configured: f.Configured, IntervalSeconds: f.Interval.Seconds(), NextPass: f.Next, LastPassSeconds: f.Took.Seconds(),
		Status: SiteStatusJSON{Name: st.Name, PassStart: st.PassStart, PassEnd: st.PassEnd, Running: st.Running, PassNumber: st.PassNumber,
			Counts: st.Counts, Queued: st.Queued, Errors: maps.Clone(st.Errors), TotalPass: st.TotalPass, LastErrors: slices.Clone(st.LastErrors),
			RecentSkipped: convert(st.RecentSkipped, func(m crawlstate.SkippedMedia) SkippedMediaJSON {
				return SkippedMediaJSON{URL: m.URL, Page: m.Page, Size: m.Size, Limit: m.Limit, Reason: m.Reason, At: m.At}
			}),
			Bounds: maps.Clone(st.Bounds), Recovered: maps.Clone(st.Recovered),
			RecentParked: convert(st.RecentParked, func(p crawlstate.ParkedItem) ParkedItemJSON {
				return ParkedItemJSON{Kind: p.Kind, URL: p.URL, Page: p.Page, Reason: p.Reason, At: p.At}
			}),
			Queue: queueJSON(st.Queue)}}
	for k, n := range st.Errors {
		j.Errors += n
		if n > 0 {
			j.ErrorKinds = append(j.ErrorKinds, ErrorKindJSON{Code: k, Count: n, Message: l.ErrorKind(k)})
		}
	}
	slices.SortFunc(j.ErrorKinds, func(a, b ErrorKindJSON) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Code, b.Code)
	})
	for _, raw := range st.LastErrors {
		code := crawlErrorCode(raw)
		if code == "" {
			code = "other"
		}
		j.LatestErrors = append(j.LatestErrors, CrawlErrorJSON{Code: code, Message: l.CrawlError(raw), Raw: raw})
	}
	for _, k := range boundNames {
		n := st.Bounds[k]
		if n <= 0 {
			continue
		}
		msg := l.T("sites.limit." + k)
		if k == "max_links_per_page" {
			msg = l.T("sites.limit."+k, n)
		}
		j.LimitsHit = append(j.LimitsHit, LimitHitJSON{Limit: k, Count: n, Message: msg})
	}
	return j
}

// boundNames are the site bounds a pass can reach, in the order shown.
var boundNames = []string{"max_pages", "max_pass_duration", "max_links_per_page"}

func queueJSON(q *crawlstate.QueueStatus) *QueueJSON {
	if q == nil {
		return nil
	}
	return &QueueJSON{Depth: q.Depth, InFlight: q.InFlight, Redelivered: q.Redelivered, Dispatched: q.Dispatched,
		DuplicateResults: q.DuplicateResults, At: q.At,
		Workers: convert(q.Workers, func(w crawlstate.WorkerStatus) WorkerJSON {
			return WorkerJSON{Name: w.Name, Results: w.Results, PerSecond: w.PerSecond, FirstSeen: w.FirstSeen, LastSeen: w.LastSeen}
		})}
}

// NegativeJSON is a negative bank entry in /api/negative.
type NegativeJSON struct {
	ID         uint64    `json:"id"`
	SHA256     string    `json:"sha256"`
	PDQ        string    `json:"pdq,omitempty"`
	PDQQuality int       `json:"pdq_quality,omitempty"`
	AlertID    uint64    `json:"alert_id"`
	Site       string    `json:"site,omitempty"`
	MediaURL   string    `json:"media_url,omitempty"`
	Reason     string    `json:"reason"`
	AddedBy    string    `json:"added_by"`
	AddedAt    time.Time `json:"added_at"`
}

// NewNegativeJSON is e's JSON form.
func NewNegativeJSON(e alerts.NegativeEntry) NegativeJSON {
	return NegativeJSON{ID: e.ID, SHA256: e.SHA256, PDQ: e.PDQ, PDQQuality: e.PDQQuality, AlertID: e.AlertID, Site: e.Site,
		MediaURL: e.MediaURL, Reason: e.Reason, AddedBy: e.AddedBy, AddedAt: e.AddedAt}
}

// FloodLimitJSON is the flood quarantine's limit: more than Media distinct
// media within Window (nanoseconds, as Go durations encode).
type FloodLimitJSON struct {
	Media  int           `json:"media"`
	Window time.Duration `json:"window"`
}

// NewFloodLimitJSON is l's JSON form.
func NewFloodLimitJSON(l alerts.FloodLimit) FloodLimitJSON {
	return FloodLimitJSON{Media: l.Media, Window: l.Window}
}

// QuarantineJSON is a quarantined (or released, or retired) fingerprint in
// /api/quarantine, with its match history.
type QuarantineJSON struct {
	Fingerprint uint64                 `json:"fingerprint"`
	Centre      string                 `json:"centre"`
	Case        string                 `json:"case"`
	Label       string                 `json:"label,omitempty"`
	Source      string                 `json:"source,omitempty"`
	State       alerts.QuarantineState `json:"state"`
	Since       time.Time              `json:"since"`
	Limit       FloodLimitJSON         `json:"limit"`
	Floods      int                    `json:"floods"`
	DecidedAt   time.Time              `json:"decided_at,omitzero"`
	DecidedBy   string                 `json:"decided_by,omitempty"`
	Reason      string                 `json:"reason,omitempty"`
	History     *MatchHistoryJSON      `json:"history,omitempty"`
}

// MatchHistoryJSON is what a quarantined fingerprint matched, in
// QuarantineJSON.
type MatchHistoryJSON struct {
	Media     int                   `json:"media"`
	Held      int                   `json:"held"`
	First     time.Time             `json:"first,omitzero"`
	Last      time.Time             `json:"last,omitzero"`
	Days      []DayMediaJSON        `json:"days"`
	Sites     []SiteMediaJSON       `json:"sites"`
	Distances []DistanceBandJSON    `json:"distances"`
	Statuses  map[alerts.Status]int `json:"statuses"`
}

// DayMediaJSON counts distinct media matched on one day (YYYY-MM-DD, UTC).
type DayMediaJSON struct {
	Day   string `json:"day"`
	Media int    `json:"media"`
}

// SiteMediaJSON counts distinct media matched on one site.
type SiteMediaJSON struct {
	Site  string `json:"site"`
	Media int    `json:"media"`
}

// DistanceBandJSON counts matches with From ≤ distance ≤ To.
type DistanceBandJSON struct {
	From  int `json:"from"`
	To    int `json:"to"`
	Media int `json:"media"`
}

// NewQuarantineJSON is q's JSON form.
func NewQuarantineJSON(q alerts.Quarantine) QuarantineJSON {
	j := QuarantineJSON{Fingerprint: q.Fingerprint, Centre: q.Centre, Case: q.Case, Label: q.Label, Source: q.Source, State: q.State, Since: q.Since,
		Limit: NewFloodLimitJSON(q.Limit), Floods: q.Floods, DecidedAt: q.DecidedAt, DecidedBy: q.DecidedBy, Reason: q.Reason}
	if h := q.History; h != nil {
		j.History = &MatchHistoryJSON{Media: h.Media, Held: h.Held, First: h.First, Last: h.Last,
			Days:  convert(h.Days, func(d alerts.DayMedia) DayMediaJSON { return DayMediaJSON{Day: d.Day, Media: d.Media} }),
			Sites: convert(h.Sites, func(s alerts.SiteMedia) SiteMediaJSON { return SiteMediaJSON{Site: s.Site, Media: s.Media} }),
			Distances: convert(h.Distances, func(b alerts.DistanceBand) DistanceBandJSON {
				return DistanceBandJSON{From: b.From, To: b.To, Media: b.Media}
			}),
			Statuses: maps.Clone(h.Statuses)}
	}
	return j
}

// DashboardJSON is /api/dashboard: the figures management follows. For a
// regional user they are their centre's (Centre names it); for a national
// user the national total (no Centre) with each centre's figures in
// Centres, or one centre's with ?centre=ID.
type DashboardJSON struct {
	Centre         string                `json:"centre,omitempty"`
	Days           []DayCountJSON        `json:"days"`
	Queue          map[alerts.Status]int `json:"queue"`
	Open           int                   `json:"open"`
	Removal        []SiteRemovalJSON     `json:"removal"`
	OverdueNotices int                   `json:"overdue_notices"`
	Centres        []DashboardJSON       `json:"centres,omitempty"`
}

// DayCountJSON is the alerts raised on one day, in DashboardJSON.
type DayCountJSON struct {
	Day    time.Time `json:"day"`
	Alerts int       `json:"alerts"`
}

// SiteRemovalJSON is one site's time to removal (nanoseconds, as Go
// durations encode), in DashboardJSON.
type SiteRemovalJSON struct {
	Site    string        `json:"site"`
	Removed int           `json:"removed"`
	Median  time.Duration `json:"median"`
	P90     time.Duration `json:"p90"`
}

// NewDashboardJSON is d's JSON form.
func NewDashboardJSON(d alerts.Dashboard) DashboardJSON {
	return DashboardJSON{Centre: d.Centre, Queue: maps.Clone(d.Queue), Open: d.Open, OverdueNotices: d.OverdueNotices,
		Days: convert(d.Days, func(c alerts.DayCount) DayCountJSON { return DayCountJSON{Day: c.Day, Alerts: c.Alerts} }),
		Removal: convert(d.Removal, func(r alerts.SiteRemoval) SiteRemovalJSON {
			return SiteRemovalJSON{Site: r.Site, Removed: r.Removed, Median: r.Median, P90: r.P90}
		}),
		Centres: convert(d.Centres, NewDashboardJSON)}
}

// VideoEvidenceJSON is how a video matched, in AlertJSON: the shares of
// each video the other shows, the time mapping (registered = Rate × query
// + OffsetSeconds) and the aligned ranges in seconds.
type VideoEvidenceJSON struct {
	QueryShare      float64          `json:"query_share"`
	RegisteredShare float64          `json:"registered_share"`
	Rate            float64          `json:"rate"`
	OffsetSeconds   float64          `json:"offset_seconds"`
	Frames          int              `json:"frames"`
	Mirrored        bool             `json:"mirrored,omitempty"`
	Ranges          []VideoRangeJSON `json:"ranges"`
}

// VideoRangeJSON is one aligned stretch, in VideoEvidenceJSON.
type VideoRangeJSON struct {
	QueryStart      float64 `json:"query_start"`
	QueryEnd        float64 `json:"query_end"`
	RegisteredStart float64 `json:"registered_start"`
	RegisteredEnd   float64 `json:"registered_end"`
}

// newVideoEvidenceJSON is v's JSON form; nil stays nil.
func newVideoEvidenceJSON(v *index.VideoEvidence) *VideoEvidenceJSON {
	if v == nil {
		return nil
	}
	return &VideoEvidenceJSON{QueryShare: v.QueryShare, RegisteredShare: v.RegisteredShare, Rate: v.Rate, OffsetSeconds: v.OffsetSeconds,
		Frames: v.Frames, Mirrored: v.Mirrored, Ranges: convert(v.Ranges, func(r index.VideoRange) VideoRangeJSON {
			return VideoRangeJSON{QueryStart: r.QueryStart, QueryEnd: r.QueryEnd, RegisteredStart: r.RegisteredStart, RegisteredEnd: r.RegisteredEnd}
		})}
}
