package alerts

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Flood quarantine (issue 17). A registered fingerprint that suddenly
// matches many different files is almost never a victim's picture being
// re-uploaded everywhere at once: it is a hub, a registered view whose hash
// sits close to a whole family of unrelated pictures (a plain frame, a dark
// sky with a blob, a flag). Left alone it fills the operators' queue with
// false alerts, each of which costs an operator time and exposure. So
// RecordAlert counts, per fingerprint, the distinct media it raised alerts
// for within a window; past the limit the fingerprint is quarantined: its
// further alerts are created with status quarantined instead of new, and
// its alerts still new move to quarantined in the same transaction, so the
// queue (status new) stays clean. Staff then look at its match history and
// either release it (its quarantined alerts go back to the queue as new and
// the count restarts) or retire it (the fingerprint is deleted and stops
// matching at once, like the withdrawal of that one fingerprint, and its
// quarantined alerts are dismissed with the reason).
//
// Quarantine is an alert status rather than a flag on new alerts because
// every view of the queue already selects by status through the secondary
// indexes (alertquery.go): a quarantined alert drops out of the new tab,
// its counts and its pages with no change to any query, and appears in the
// status tab of its own.
//
// Lifecycle of a quarantined alert: RecordAlert creates it (or moves a new
// one to it) when its fingerprint is quarantined; ReleaseQuarantine moves
// it to new, RetireQuarantine to dismissed, a case withdrawal to withdrawn.
// DecideAlert refuses it (confirm and dismiss start from new), so nothing
// leaves quarantine but by a staff decision or a withdrawal.
//
// Buckets:
//
//   - floodmedia: fingerprint ID ‖ time key ‖ media SHA-256 → empty, the
//     distinct media a fingerprint alerted on recently. Entries older than
//     the window are pruned at each insert, and a fingerprint that is
//     quarantined (or released) loses its entries, so a fingerprint holds at
//     most FloodLimit.Media+1 of them.
//   - quarantine: fingerprint ID → Quarantine record (state, when, who).
//
// A fingerprint's alerts are found through the alert index
// alertsbyfingerprint (alertquery.go), so holding, releasing or retiring
// them, and their match history, cost those alerts and not their case's.
var (
	bucketFloodMedia = []byte("floodmedia")
	bucketQuarantine = []byte("quarantine")
)

var quarantineCodec = &store.Codec{Kind: "quarantine", Version: 2,
	Upgrades: map[byte]func(json.RawMessage) (json.RawMessage, error){1: store.AddField("centre", centres.National)}}

// StatusQuarantined is the status of an alert held for staff because its
// fingerprint matched too many distinct media (see FloodLimit).
const StatusQuarantined Status = "quarantined"

// Defaults of FloodLimit. A victim's picture being re-uploaded is seen as
// a handful of copies (the same bytes on mirrors are one medium, one
// alert); more than ten different files matching one picture within a day
// is what the hubs of the issue-17 pool did (one registered picture
// matched eleven unrelated queries), and a real campaign of re-uploads that
// large is rare enough that staff looking at it first costs little.
const (
	DefaultFloodMedia  = 10
	DefaultFloodWindow = 24 * time.Hour
)

// FloodLimit says when a fingerprint is quarantined: when it has matched
// more than Media distinct media files within Window. Media 0 turns
// quarantine off.
type FloodLimit struct {
	Media  int           `json:"media"`
	Window time.Duration `json:"window"`
}

// DefaultFloodLimit is more than DefaultFloodMedia media in
// DefaultFloodWindow.
func DefaultFloodLimit() FloodLimit {
	return FloodLimit{Media: DefaultFloodMedia, Window: DefaultFloodWindow}
}

// Validate refuses a limit that cannot work.
func (l FloodLimit) Validate() error {
	switch {
	case l.Media < 0 || l.Media > 1_000_000:
		return fmt.Errorf("flood limit of %d media: want 0 (off) to 1000000: %w", l.Media, store.ErrInvalid)
	case l.Media > 0 && (l.Window < time.Minute || l.Window > 366*24*time.Hour):
		return fmt.Errorf("flood window %s: want 1m to 8784h: %w", l.Window, store.ErrInvalid)
	}
	return nil
}

// String is how the limit reads in logs and pages.
func (l FloodLimit) String() string {
	if l.Media == 0 {
		return "off"
	}
	return fmt.Sprintf("more than %d media in %s", l.Media, l.Window)
}

// SetFloodLimit changes the limit RecordAlert applies from the next alert
// on. A DB starts with DefaultFloodLimit.
func (al *Store) SetFloodLimit(l FloodLimit) error {
	if err := l.Validate(); err != nil {
		return err
	}
	al.flood.Store(&l)
	return nil
}

// FloodLimit is the limit in force.
func (al *Store) FloodLimit() FloodLimit {
	if l := al.flood.Load(); l != nil {
		return *l
	}
	return DefaultFloodLimit()
}

// QuarantineState is where a quarantined fingerprint stands.
type QuarantineState string

// Quarantine states: held for staff; released by staff (its alerts went to
// the queue, the count restarted); retired by staff (deleted, no longer
// matching).
const (
	QuarantineHeld     QuarantineState = "quarantined"
	QuarantineReleased QuarantineState = "released"
	QuarantineRetired  QuarantineState = "retired"
)

// Quarantine is the record of one fingerprint that crossed the flood limit.
// It names the fingerprint's case, label and source (never its hashes, so
// a retired fingerprint's record keeps nothing matchable).
type Quarantine struct {
	Fingerprint uint64          `json:"fingerprint"`
	Centre      string          `json:"centre"` // since encoding version 2
	Case        string          `json:"case"`
	Label       string          `json:"label,omitempty"`
	Source      string          `json:"source,omitempty"`
	State       QuarantineState `json:"state"`
	// Since is when it last crossed the limit; Limit the limit it crossed.
	Since time.Time  `json:"since"`
	Limit FloodLimit `json:"limit"`
	// Floods counts how many times it has crossed the limit.
	Floods int `json:"floods"`
	// DecidedAt, DecidedBy and Reason record the last release or
	// retirement.
	DecidedAt time.Time `json:"decided_at,omitzero"`
	DecidedBy string    `json:"decided_by,omitempty"`
	Reason    string    `json:"reason,omitempty"`

	// History is the fingerprint's match history, filled by Quarantines
	// from its alerts; not stored.
	History *MatchHistory `json:"history,omitempty"`
}

// MatchHistory summarises the alerts of one fingerprint: how many distinct
// media it matched, when, on which sites and how closely. It is what staff
// judge a quarantined fingerprint by.
type MatchHistory struct {
	// Media is how many distinct media (alerts) it matched, Held how many
	// of those are quarantined now.
	Media int       `json:"media"`
	Held  int       `json:"held"`
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
	// Days counts media per day of first sighting (UTC), oldest first.
	Days []DayMedia `json:"days"`
	// Sites counts media per site, most first.
	Sites []SiteMedia `json:"sites"`
	// Distances counts media per band of match distance.
	Distances []DistanceBand `json:"distances"`
	// Statuses counts its alerts per status.
	Statuses map[Status]int `json:"statuses"`
}

// DayMedia is how many distinct media a fingerprint matched on one day.
type DayMedia struct {
	Day   string `json:"day"` // YYYY-MM-DD, UTC
	Media int    `json:"media"`
}

// SiteMedia is how many distinct media a fingerprint matched on one site.
type SiteMedia struct {
	Site  string `json:"site"`
	Media int    `json:"media"`
}

// DistanceBand counts matches with From ≤ distance ≤ To.
type DistanceBand struct {
	From  int `json:"from"`
	To    int `json:"to"`
	Media int `json:"media"`
}

// distanceBands are the bands of MatchHistory.Distances: PDQ's own match
// threshold is 31, so the first four bands split it in quarters and the
// rest shows matches that came through the rule's wider clauses.
var distanceBands = [][2]int{{0, 7}, {8, 15}, {16, 23}, {24, 31}, {32, 47}, {48, 256}}

// maxHistoryDays and maxHistorySites bound a history's lists.
const (
	maxHistoryDays  = 60
	maxHistorySites = 50
)

// floodStatus is RecordAlert's flood step for a new alert of media sum on
// fingerprint m.Fingerprint, inside the alert's transaction: it returns the
// status the new alert gets (new, or quarantined when the fingerprint is
// quarantined already or crosses the limit with this medium), and on the
// crossing moves the fingerprint's new alerts to quarantined.
func floodStatus(tx *bolt.Tx, m index.Match, sum [32]byte, now time.Time, limit FloodLimit) (Status, error) {
	qb := tx.Bucket(bucketQuarantine)
	fpKey := store.IDKey(m.Fingerprint)
	var q Quarantine
	if v := qb.Get(fpKey); v != nil {
		if err := quarantineCodec.Decode(v, &q); err != nil {
			return "", fmt.Errorf("quarantine of fingerprint %d: %w", m.Fingerprint, err)
		}
		if q.State == QuarantineHeld {
			return StatusQuarantined, nil
		}
	}
	if limit.Media <= 0 {
		return StatusNew, nil
	}
	fb := tx.Bucket(bucketFloodMedia)
	start := now.Add(-limit.Window)
	if q.State == QuarantineReleased && q.DecidedAt.After(start) {
		start = q.DecidedAt // the limit restarts at a release
	}
	// Prune what fell out of the window, then count what is left.
	var old [][]byte
	n := 0
	c := fb.Cursor()
	startKey := timeKey(slices.Clone(fpKey), start)
	for k, _ := c.Seek(fpKey); k != nil && bytes.HasPrefix(k, fpKey); k, _ = c.Next() {
		if bytes.Compare(k, startKey) < 0 {
			old = append(old, slices.Clone(k))
		} else {
			n++
		}
	}
	for _, k := range old {
		if err := fb.Delete(k); err != nil {
			return "", err
		}
	}
	if n+1 <= limit.Media {
		return StatusNew, fb.Put(append(timeKey(slices.Clone(fpKey), now), sum[:]...), nil)
	}
	// Crossing: quarantine the fingerprint, forget its recent media (the
	// count restarts after a release) and hold its waiting alerts — those
	// raised since staff last released it: the ones staff released stay in
	// the queue.
	if err := dropFloodMedia(tx, m.Fingerprint); err != nil {
		return "", err
	}
	var after time.Time
	if q.State == QuarantineReleased {
		after = q.DecidedAt
	}
	q = Quarantine{Fingerprint: m.Fingerprint, Centre: m.Centre, Case: m.Case, Label: m.Label, Source: m.Source,
		State: QuarantineHeld, Since: now, Limit: limit, Floods: q.Floods + 1}
	// The stored fingerprint names its case, label and source for sure (a
	// match carries them too, but a caller may leave them out).
	if f, ok, err := index.FingerprintIn(tx, m.Fingerprint); err == nil && ok {
		q.Centre, q.Case, q.Label, q.Source = f.Centre, f.Case, f.Label, f.Source
	}
	if err := putQuarantine(qb, &q); err != nil {
		return "", err
	}
	held, err := moveFingerprintAlerts(tx, m.Fingerprint, StatusNew, StatusQuarantined, "", after, now)
	if err != nil {
		return "", err
	}
	return StatusQuarantined, store.AppendAudit(tx, store.AuditEntry{At: now, User: "", Centre: q.Centre, Action: "quarantine.hold",
		Target: strconv.FormatUint(m.Fingerprint, 10),
		Detail: fmt.Sprintf("case %s: %s; %d waiting alert(s) held", q.Case, limit, held)})
}

func putQuarantine(b *bolt.Bucket, q *Quarantine) error {
	hist := q.History
	q.History = nil // derived, never stored
	v, err := quarantineCodec.Encode(q)
	q.History = hist
	if err != nil {
		return err
	}
	return b.Put(store.IDKey(q.Fingerprint), v)
}

// dropFloodMedia deletes a fingerprint's recent-media entries.
func dropFloodMedia(tx *bolt.Tx, fp uint64) error {
	fb := tx.Bucket(bucketFloodMedia)
	p := store.IDKey(fp)
	var keys [][]byte
	c := fb.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		keys = append(keys, slices.Clone(k))
	}
	for _, k := range keys {
		if err := fb.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// dropQuarantine forgets the flood state of deleted fingerprints (a
// withdrawal keeps nothing of them).
func dropQuarantine(tx *bolt.Tx, fps []uint64) error {
	for _, fp := range fps {
		if err := dropFloodMedia(tx, fp); err != nil {
			return err
		}
		if err := tx.Bucket(bucketQuarantine).Delete(store.IDKey(fp)); err != nil {
			return err
		}
	}
	return nil
}

// moveFingerprintAlerts moves every alert of fingerprint fp in status
// from, created after after, to status to, and returns how many moved.
// reason, when set, becomes their reason. It reads the fingerprint index
// from the first alert after after: a move costs the alerts it moves (and
// any of the same instant), not its case's other alerts — a crossing runs
// in the crawl's write transaction, which every commit waits behind.
func moveFingerprintAlerts(tx *bolt.Tx, fp uint64, from, to Status, reason string, after, now time.Time) (int, error) {
	prefix := lp(store.IDKey(fp), from)
	start := prefix
	if !after.IsZero() {
		start = timeKey(slices.Clone(prefix), after)
	}
	var moving []Alert
	err := alertsFrom(tx, bucketAlertsByFingerprint, prefix, start, func(a *Alert) error {
		if a.CreatedAt.After(after) {
			moving = append(moving, *a)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	b := tx.Bucket(bucketAlerts)
	for i := range moving {
		moving[i].transition(to, now)
		if reason != "" {
			moving[i].Reason = reason
		}
		if err := putAlert(b, &moving[i]); err != nil {
			return 0, err
		}
	}
	return len(moving), nil
}

// Quarantines lists every quarantine record, the fingerprints held first
// (most recently quarantined first), then the released and retired ones,
// each with its match history from its alerts.
func (al *Store) Quarantines(ctx context.Context) ([]Quarantine, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Quarantine
	err := al.st.View(func(tx *bolt.Tx) error {
		out = out[:0]
		if !alertIndexCurrent(tx) {
			return fmt.Errorf("alert indexes not built; a read-write open builds them: %w", store.ErrCorrupt)
		}
		err := tx.Bucket(bucketQuarantine).ForEach(func(k, v []byte) error {
			var q Quarantine
			if err := quarantineCodec.Decode(v, &q); err != nil {
				return fmt.Errorf("quarantine %x: %w", k, err)
			}
			out = append(out, q)
			return nil
		})
		if err != nil {
			return err
		}
		// Each history reads its fingerprint's alerts through the
		// fingerprint index, not its case's.
		for i := range out {
			if err := ctx.Err(); err != nil {
				return err
			}
			h := newHistoryBuilder()
			err := alertsUnder(tx, bucketAlertsByFingerprint, store.IDKey(out[i].Fingerprint), func(a *Alert) error {
				h.add(a)
				return nil
			})
			if err != nil {
				return err
			}
			out[i].History = h.build()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	rank := func(s QuarantineState) int {
		switch s {
		case QuarantineHeld:
			return 0
		case QuarantineReleased:
			return 1
		}
		return 2
	}
	slices.SortFunc(out, func(a, b Quarantine) int {
		if c := cmp.Compare(rank(a.State), rank(b.State)); c != 0 {
			return c
		}
		if c := b.Since.Compare(a.Since); c != 0 {
			return c
		}
		return cmp.Compare(a.Fingerprint, b.Fingerprint)
	})
	return out, nil
}

// QuarantineOf returns one fingerprint's quarantine record with its
// history.
func (al *Store) QuarantineOf(ctx context.Context, fp uint64) (Quarantine, error) {
	all, err := al.Quarantines(ctx)
	if err != nil {
		return Quarantine{}, err
	}
	for _, q := range all {
		if q.Fingerprint == fp {
			return q, nil
		}
	}
	return Quarantine{}, fmt.Errorf("fingerprint %d is not in quarantine: %w", fp, store.ErrNotFound)
}

type historyBuilder struct {
	h     MatchHistory
	days  map[string]int
	sites map[string]int
	bands []int
}

func newHistoryBuilder() *historyBuilder {
	return &historyBuilder{h: MatchHistory{Statuses: map[Status]int{}}, days: map[string]int{},
		sites: map[string]int{}, bands: make([]int, len(distanceBands))}
}

func (b *historyBuilder) add(a *Alert) {
	b.h.Media++
	b.h.Statuses[a.Status]++
	if a.Status == StatusQuarantined {
		b.h.Held++
	}
	if b.h.First.IsZero() || a.CreatedAt.Before(b.h.First) {
		b.h.First = a.CreatedAt
	}
	if a.CreatedAt.After(b.h.Last) {
		b.h.Last = a.CreatedAt
	}
	b.days[a.CreatedAt.UTC().Format(time.DateOnly)]++
	b.sites[a.Site]++
	for i, band := range distanceBands {
		if a.Distance >= band[0] && a.Distance <= band[1] {
			b.bands[i]++
			break
		}
	}
}

func (b *historyBuilder) build() *MatchHistory {
	h := b.h
	h.Days = []DayMedia{}
	for d, n := range b.days {
		h.Days = append(h.Days, DayMedia{Day: d, Media: n})
	}
	slices.SortFunc(h.Days, func(x, y DayMedia) int { return cmp.Compare(x.Day, y.Day) })
	if len(h.Days) > maxHistoryDays {
		h.Days = h.Days[len(h.Days)-maxHistoryDays:]
	}
	h.Sites = []SiteMedia{}
	for s, n := range b.sites {
		h.Sites = append(h.Sites, SiteMedia{Site: s, Media: n})
	}
	slices.SortFunc(h.Sites, func(x, y SiteMedia) int {
		if c := cmp.Compare(y.Media, x.Media); c != 0 {
			return c
		}
		return cmp.Compare(x.Site, y.Site)
	})
	if len(h.Sites) > maxHistorySites {
		h.Sites = h.Sites[:maxHistorySites]
	}
	h.Distances = make([]DistanceBand, len(distanceBands))
	for i, band := range distanceBands {
		h.Distances[i] = DistanceBand{From: band[0], To: band[1], Media: b.bands[i]}
	}
	return &h
}

// ReleaseQuarantine is staff's decision that a quarantined fingerprint is
// sound: in one transaction with its audit record ("quarantine.release")
// its quarantined alerts go to the operators' queue as new, and the
// fingerprint is marked released, so the flood count restarts from now (it
// is quarantined again only by a new flood). It returns the record and how
// many alerts were released. A fingerprint not held fails with store.ErrConflict.
func (al *Store) ReleaseQuarantine(ctx context.Context, fp uint64, by store.Actor) (Quarantine, int, error) {
	if err := ctx.Err(); err != nil {
		return Quarantine{}, 0, err
	}
	now := al.st.Now().UTC()
	var q Quarantine
	var n int
	err := al.st.Update(func(tx *bolt.Tx) error {
		var err error
		if q, err = heldQuarantine(tx, fp, by); err != nil {
			return err
		}
		if n, err = moveFingerprintAlerts(tx, fp, StatusQuarantined, StatusNew, "", time.Time{}, now); err != nil {
			return err
		}
		if err := dropFloodMedia(tx, fp); err != nil {
			return err
		}
		q.State, q.DecidedAt, q.DecidedBy, q.Reason = QuarantineReleased, now, by.User, ""
		if err := putQuarantine(tx.Bucket(bucketQuarantine), &q); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Centre: q.Centre, Action: "quarantine.release",
			Target: strconv.FormatUint(fp, 10), Detail: fmt.Sprintf("case %s: %d alert(s) to the queue", q.Case, n)})
	}, nil)
	if err != nil {
		return Quarantine{}, 0, fmt.Errorf("release fingerprint %d: %w", fp, err)
	}
	return q, n, nil
}

// RetireQuarantine is staff's decision that a quarantined fingerprint
// matches unrelated pictures: in one transaction with its audit record
// ("quarantine.retire") the fingerprint is deleted — it stops matching
// before the call returns, as a withdrawal of that one fingerprint would —
// and its quarantined alerts are dismissed with the reason. Its other
// alerts (confirmed ones) stand. A reason is required; a fingerprint not
// held fails with store.ErrConflict.
func (al *Store) RetireQuarantine(ctx context.Context, fp uint64, reason string, by store.Actor) (Quarantine, int, error) {
	if err := ctx.Err(); err != nil {
		return Quarantine{}, 0, err
	}
	if reason == "" {
		return Quarantine{}, 0, fmt.Errorf("retiring fingerprint %d needs a reason: %w", fp, store.ErrInvalid)
	}
	now := al.st.Now().UTC()
	var q Quarantine
	var n int
	err := al.ix.DeleteFingerprint(ctx, fp, by, "quarantine.retire", func(tx *bolt.Tx, _ bool) (string, error) {
		var err error
		if q, err = heldQuarantine(tx, fp, by); err != nil {
			return "", err
		}
		if n, err = moveFingerprintAlerts(tx, fp, StatusQuarantined, StatusDismissed, "fingerprint retired: "+reason, time.Time{}, now); err != nil {
			return "", err
		}
		if err := dropFloodMedia(tx, fp); err != nil {
			return "", err
		}
		q.State, q.DecidedAt, q.DecidedBy, q.Reason = QuarantineRetired, now, by.User, reason
		if err := putQuarantine(tx.Bucket(bucketQuarantine), &q); err != nil {
			return "", err
		}
		return fmt.Sprintf("case %s: %d alert(s) dismissed: %s", q.Case, n, reason), nil
	})
	if err != nil {
		return Quarantine{}, 0, fmt.Errorf("retire fingerprint %d: %w", fp, err)
	}
	return q, n, nil
}

// heldQuarantine reads fingerprint fp's record and checks it is held, and
// of a centre by sees (another centre's is store.ErrNotFound to by).
func heldQuarantine(tx *bolt.Tx, fp uint64, by store.Actor) (Quarantine, error) {
	var q Quarantine
	v := tx.Bucket(bucketQuarantine).Get(store.IDKey(fp))
	if v == nil {
		return q, fmt.Errorf("fingerprint %d is not in quarantine: %w", fp, store.ErrNotFound)
	}
	if err := quarantineCodec.Decode(v, &q); err != nil {
		return q, err
	}
	if !centres.Sees(by.Centre, q.Centre) {
		return Quarantine{}, fmt.Errorf("fingerprint %d is not in quarantine: %w", fp, store.ErrNotFound)
	}
	if q.State != QuarantineHeld {
		return q, fmt.Errorf("fingerprint %d is %s, not quarantined: %w", fp, q.State, store.ErrConflict)
	}
	return q, nil
}
