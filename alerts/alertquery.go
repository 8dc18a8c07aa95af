package alerts

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// The alert queue is the operators' main page, so it must not decode every
// alert on every click. Secondary indexes, written in the same transaction
// as every alert (putAlert), let QueryAlerts read only the keys of the
// statuses, site or case asked for, and decode only the page it returns.
//
// Index buckets (all keys end in the alert's time key and ID, see
// alertIndexKey, so a status's alerts sort by creation time, oldest first):
//
//   - alertsbystatus: lp(status) ‖ time ‖ id → entry value;
//   - alertsbysite: lp2(site) ‖ lp(status) ‖ time ‖ id → entry value;
//   - alertsbycase: lp2(centre "/" case) ‖ lp(status) ‖ time ‖ id → entry
//     value (case IDs are unique per centre, see centres.Key);
//   - alertsbycentre: lp2(centre) ‖ lp(status) ‖ time ‖ id → entry value,
//     the queue of one centre;
//   - alertsbyconfidence: lp(status) ‖ ^distance ‖ time ‖ id → empty, so
//     that reading a status backwards yields the lowest distance first and,
//     among equal distances, the newest first;
//   - alertsbyfingerprint: big-endian fingerprint ID ‖ lp(status) ‖ time ‖
//     id → empty, one fingerprint's alerts of one status, so that the flood
//     quarantine moves (and describes) a fingerprint's alerts at the cost
//     of those alerts, not of its case's (a fingerprint belongs to one
//     case, so the key needs no case);
//   - alertcounts: 'a' ‖ status, 's' ‖ lp2(site) ‖ status,
//     'c' ‖ lp2(case) ‖ status, 'b' ‖ lp2(site) ‖ lp2(case) ‖ status,
//     'r' ‖ lp2(centre) ‖ status and 'e' ‖ lp2(centre) ‖ lp2(site) ‖ status
//     → big-endian uint64 count (absent when 0), case meaning centre "/"
//     case;
//   - alerthours: the same counts per hour of creation: a counts key's
//     prefix ‖ lp(status) ‖ hour (big-endian Unix hours, sign bit flipped),
//     so that a date range is counted from the hours it covers whole and
//     the keys of the two partial hours at its ends;
//   - alertcreated, alertremovals, alertremovalbins and alertnoticesent:
//     the dashboard's figures (dashboard.go).
//
// lp is a one-byte length prefix, lp2 a two-byte one, so no name is a prefix
// of another's key range. The time key is the creation time as big-endian
// seconds (sign bit flipped) and nanoseconds, which sorts as Time.Before
// does. An entry value is the distance (int64, sign bit flipped) followed
// by lp2(site): enough to sort by confidence and to filter by site while
// walking a case's or a centre's keys, without decoding alerts.
//
// The indexes are derived data: meta's alert_index_version says which
// layout they have, and Open rebuilds them from the alerts bucket, in one
// transaction, when it differs (a file written before they existed, or by
// a build with another layout) — except when the only change since the
// file's version is buckets added (alertIndexAdded): those are built
// alone, in bounded transactions that record how far they got
// (buildAddedIndexes). Verify checks them against the alerts.
var (
	bucketAlertsByStatus      = []byte("alertsbystatus")
	bucketAlertsBySite        = []byte("alertsbysite")
	bucketAlertsByCase        = []byte("alertsbycase")
	bucketAlertsByCentre      = []byte("alertsbycentre")
	bucketAlertsByConfidence  = []byte("alertsbyconfidence")
	bucketAlertCounts         = []byte("alertcounts")
	bucketAlertHours          = []byte("alerthours")
	bucketAlertsByFingerprint = []byte("alertsbyfingerprint")

	alertIndexBuckets = [][]byte{bucketAlertsByStatus, bucketAlertsBySite, bucketAlertsByCase, bucketAlertsByCentre, bucketAlertsByConfidence, bucketAlertCounts, bucketAlertHours,
		bucketAlertCreated, bucketAlertRemovals, bucketAlertRemovalBins, bucketAlertNoticeSent, bucketAlertsByFingerprint}

	keyAlertIndexVersion = []byte("alert_index_version")
	// keyAlertIndexWrites counts the transactions that changed an alert
	// index entry (FiguresVersion).
	keyAlertIndexWrites = []byte("alert_index_writes")
)

// alertIndexVersion is the layout of the alert indexes this build writes;
// changing the layout means raising it, which makes Open rebuild them.
const alertIndexVersion = 8

// alertIndexAdded names, for a version, the one bucket it added to the
// previous version's layout, changing nothing else: a file at the version
// before has it built alone (buildAddedIndexes) rather than every index
// rebuilt in one transaction.
var alertIndexAdded = map[uint32][]byte{
	8: bucketAlertsByFingerprint, // the flood quarantine's (issue 14, item 8)
}

// AlertSort orders a QueryAlerts page.
type AlertSort int

const (
	// SortNewest puts the most recently created alerts first (ties: the
	// higher ID first).
	SortNewest AlertSort = iota
	// SortConfidence puts the closest matches first: the lowest distance,
	// then the newest as SortNewest does.
	SortConfidence
	// SortOldest puts the longest-waiting alerts first (ties: the lower ID
	// first): the review queue's order, so the re-upload that has been up
	// longest is judged first.
	SortOldest
)

// MaxAlertPage bounds AlertQuery.Limit: a page is decoded in full.
const MaxAlertPage = 1000

// AlertQuery selects, orders and pages alerts for the queue. Zero fields
// match everything.
type AlertQuery struct {
	Status Status
	Site   string
	// Centre keeps one centre's alerts (empty: every centre's). Case
	// names a case of Centre, of the national centre when Centre is
	// empty.
	Centre string
	Case   string
	// From and To bound the creation time: From ≤ CreatedAt < To. Zero
	// means unbounded.
	From, To time.Time
	Sort     AlertSort
	// Offset skips that many alerts of the ordered selection; Limit is the
	// page size, 0 to 1000 (0 returns counts only).
	Offset, Limit int
}

// AlertPage is one page of a query.
type AlertPage struct {
	// Alerts is the page, in the query's order.
	Alerts []Alert
	// Total is how many alerts match every filter of the query.
	Total int
	// Counts is how many alerts there are per status among those matching
	// every filter but Status, as the queue's status tabs show them.
	// Statuses with no alerts are absent.
	Counts map[Status]int
}

// QueryAlerts returns a page of the alerts q selects, with the counts per
// status, reading the secondary indexes: a page costs the keys of the
// selected statuses (or fewer) and the decoding of the page's alerts, not
// of every alert. The result is what filtering Alerts in memory, ordering
// and slicing would give.
//
// Counts come from exact counters; with a date range, from per-hour
// counters and the keys of the partial hours at the range's ends. A
// confidence order over a site, a case or a date range sorts the matching
// keys in memory; the common unfiltered confidence order reads an index.
func (al *Store) QueryAlerts(ctx context.Context, q AlertQuery) (AlertPage, error) {
	if err := ctx.Err(); err != nil {
		return AlertPage{}, err
	}
	if err := q.check(); err != nil {
		return AlertPage{}, err
	}
	page := AlertPage{Counts: map[Status]int{}}
	err := al.st.View(func(tx *bolt.Tx) error {
		if !alertIndexCurrent(tx) {
			return fmt.Errorf("alert indexes not built; a read-write open builds them: %w", store.ErrCorrupt)
		}
		s := newAlertScan(tx, q)
		if err := s.counts(ctx, page.Counts); err != nil {
			return err
		}
		if q.Status != "" {
			page.Total = page.Counts[q.Status]
		} else {
			for _, n := range page.Counts {
				page.Total += n
			}
		}
		if q.Limit == 0 || q.Offset >= page.Total {
			return nil
		}
		ids, err := s.page(ctx)
		if err != nil {
			return err
		}
		alerts := tx.Bucket(bucketAlerts)
		page.Alerts = make([]Alert, 0, len(ids))
		for _, id := range ids {
			v := alerts.Get(store.IDKey(id))
			if v == nil {
				return fmt.Errorf("alert index names alert %d, which does not exist: %w", id, store.ErrCorrupt)
			}
			var a Alert
			if err := decodeAlert(v, &a); err != nil {
				return fmt.Errorf("alert %d: %w", id, err)
			}
			page.Alerts = append(page.Alerts, a)
		}
		return nil
	})
	if err != nil {
		return AlertPage{}, fmt.Errorf("query alerts: %w", err)
	}
	return page, nil
}

// check refuses a query QueryAlerts cannot answer.
func (q AlertQuery) check() error {
	switch {
	case q.Status != "" && !q.Status.Valid():
		return fmt.Errorf("query alerts: status %q: %w", q.Status, store.ErrInvalid)
	case q.Sort != SortNewest && q.Sort != SortConfidence && q.Sort != SortOldest:
		return fmt.Errorf("query alerts: sort %d: %w", q.Sort, store.ErrInvalid)
	case q.Offset < 0 || q.Limit < 0 || q.Limit > MaxAlertPage:
		return fmt.Errorf("query alerts: offset %d, limit %d (0 to %d): %w", q.Offset, q.Limit, MaxAlertPage, store.ErrInvalid)
	case len(q.Site) > math.MaxUint16 || len(q.Case)+len(q.Centre)+1 > math.MaxUint16 || len(q.Centre) > math.MaxUint16:
		return fmt.Errorf("query alerts: site or case name too long: %w", store.ErrInvalid)
	}
	return nil
}

// QueryAlertIDs returns the IDs of the alerts q selects, in q's order,
// from q.Offset, at most q.Limit of them: index keys only, no alert
// decoded, so the review mode can find an alert's neighbours in its queue
// for the price of a few thousand keys.
func (al *Store) QueryAlertIDs(ctx context.Context, q AlertQuery) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		return nil, nil
	}
	var ids []uint64
	err := al.st.View(func(tx *bolt.Tx) error {
		if !alertIndexCurrent(tx) {
			return fmt.Errorf("alert indexes not built; a read-write open builds them: %w", store.ErrCorrupt)
		}
		var err error
		ids, err = newAlertScan(tx, q).page(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("query alert IDs: %w", err)
	}
	return ids, nil
}

// alertScan is one query's walk over an index inside a read transaction.
type alertScan struct {
	tx *bolt.Tx
	q  AlertQuery
	// base is the index walked: by case when the query names one, else by
	// centre when it names one, else by site when it names one, else by
	// status; prefix is the case's, centre's or site's part of its keys.
	base   *bolt.Bucket
	prefix []byte
	// site is the site every entry must have (a query naming a case or a
	// centre and a site walks the case's or centre's keys); nil when the
	// base does the filtering.
	site    []byte
	counter []byte // alertcounts prefix of the base and site
	from    []byte // time key bounds, nil when unbounded
	to      []byte
}

func newAlertScan(tx *bolt.Tx, q AlertQuery) *alertScan {
	s := &alertScan{tx: tx, q: q}
	centre := q.Centre
	if centre == "" {
		centre = centres.National
	}
	kase := centres.Key(centre, q.Case)
	switch {
	case q.Case != "" && q.Site != "":
		s.base, s.prefix = tx.Bucket(bucketAlertsByCase), lp2(nil, kase)
		s.site = []byte(q.Site)
		s.counter = lp2(lp2([]byte{'b'}, q.Site), kase)
	case q.Case != "":
		s.base, s.prefix = tx.Bucket(bucketAlertsByCase), lp2(nil, kase)
		s.counter = append([]byte{'c'}, s.prefix...)
	case q.Centre != "" && q.Site != "":
		s.base, s.prefix = tx.Bucket(bucketAlertsByCentre), lp2(nil, q.Centre)
		s.site = []byte(q.Site)
		s.counter = lp2(lp2([]byte{'e'}, q.Centre), q.Site)
	case q.Centre != "":
		s.base, s.prefix = tx.Bucket(bucketAlertsByCentre), lp2(nil, q.Centre)
		s.counter = append([]byte{'r'}, s.prefix...)
	case q.Site != "":
		s.base, s.prefix = tx.Bucket(bucketAlertsBySite), lp2(nil, q.Site)
		s.counter = append([]byte{'s'}, s.prefix...)
	default:
		s.base, s.prefix = tx.Bucket(bucketAlertsByStatus), nil
		s.counter = []byte{'a'}
	}
	if !q.From.IsZero() {
		s.from = timeKey(nil, q.From)
	}
	if !q.To.IsZero() {
		s.to = timeKey(nil, q.To)
	}
	return s
}

// counts fills counts per status of the selection without its status
// filter.
func (s *alertScan) counts(ctx context.Context, counts map[Status]int) error {
	c := s.tx.Bucket(bucketAlertCounts).Cursor()
	for k, v := c.Seek(s.counter); k != nil && bytes.HasPrefix(k, s.counter); k, v = c.Next() {
		if len(v) != 8 {
			return fmt.Errorf("alert count %q: %d bytes: %w", k, len(v), store.ErrCorrupt)
		}
		counts[Status(k[len(s.counter):])] = int(binary.BigEndian.Uint64(v))
	}
	if s.from == nil && s.to == nil {
		return nil
	}
	for st := range counts {
		n, err := s.countRange(ctx, st)
		if err != nil {
			return err
		}
		if n > 0 {
			counts[st] = n
		} else {
			delete(counts, st)
		}
	}
	return nil
}

// countRange counts status st's entries within the time bounds: the hours
// the bounds cover whole from alerthours, the partial hours at the ends
// from the index keys, so a range costs its hours, not its alerts.
func (s *alertScan) countRange(ctx context.Context, st Status) (int, error) {
	var fromHour, toHour int64 = math.MinInt64, math.MaxInt64
	if s.from != nil {
		fromHour = hourOf(s.q.From)
		if !hourStart(fromHour).Equal(s.q.From) {
			fromHour++
		}
	}
	if s.to != nil {
		toHour = hourOf(s.q.To)
	}
	p := lp(s.prefix, st)
	if fromHour >= toHour {
		// Within an hour (or an empty range): just the keys.
		return s.countKeys(ctx, p, s.from, s.to)
	}
	n := 0
	hp := lp(s.counter, st)
	c := s.tx.Bucket(bucketAlertHours).Cursor()
	k, v := c.Seek(append(slices.Clip(hp), hourKey(fromHour)...))
	end := append(slices.Clip(hp), hourKey(toHour)...)
	for ; k != nil && bytes.HasPrefix(k, hp) && (toHour == math.MaxInt64 || bytes.Compare(k, end) < 0); k, v = c.Next() {
		if len(v) != 8 {
			return 0, fmt.Errorf("alert hour count %x: %d bytes: %w", k, len(v), store.ErrCorrupt)
		}
		n += int(binary.BigEndian.Uint64(v))
	}
	if s.from != nil {
		m, err := s.countKeys(ctx, p, s.from, timeKey(nil, hourStart(fromHour)))
		if err != nil {
			return 0, err
		}
		n += m
	}
	if s.to != nil {
		m, err := s.countKeys(ctx, p, timeKey(nil, hourStart(toHour)), s.to)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

// countKeys counts the base's entries with prefix p (a base prefix and a
// status) whose time key is in [from, to) (nil: unbounded) and that keep
// accepts.
func (s *alertScan) countKeys(ctx context.Context, p, from, to []byte) (int, error) {
	c := s.base.Cursor()
	hi := append(slices.Clip(p), to...)
	n, i := 0, 0
	for k, v := c.Seek(append(slices.Clip(p), from...)); k != nil && bytes.HasPrefix(k, p) && (to == nil || bytes.Compare(k, hi) < 0); k, v = c.Next() {
		if i++; i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		keep, err := s.keep(v)
		if err != nil {
			return 0, err
		}
		if keep {
			n++
		}
	}
	return n, nil
}

// hourOf is t's Unix hour, rounded down.
func hourOf(t time.Time) int64 {
	sec := t.Unix()
	h := sec / 3600
	if sec%3600 < 0 {
		h--
	}
	return h
}

// hourStart is the beginning of Unix hour h.
func hourStart(h int64) time.Time { return time.Unix(h*3600, 0) }

// hourKey is a Unix hour as 8 bytes that sort as the hours do.
func hourKey(h int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(h)^(1<<63)) }

// newest iterates, newest first, over the entries of b with prefix p
// (a base prefix and a status) within the time bounds.
func (s *alertScan) newest(b *bolt.Bucket, p []byte) func() (k, v []byte, ok bool) {
	c := b.Cursor()
	lo := append(slices.Clip(p), s.from...)
	var k, v []byte
	started := false
	return func() ([]byte, []byte, bool) {
		switch {
		case started:
			k, v = c.Prev()
		case s.to != nil:
			k, v = prevFrom(c, first(c.Seek(append(slices.Clip(p), s.to...))))
		default:
			if next := successor(p); next != nil {
				k, v = prevFrom(c, first(c.Seek(next)))
			} else {
				k, v = c.Last()
			}
		}
		started = true
		if k == nil || !bytes.HasPrefix(k, p) || bytes.Compare(k, lo) < 0 {
			return nil, nil, false
		}
		return k, v, true
	}
}

// oldest iterates, oldest first, over the entries of b with prefix p (a
// base prefix and a status) within the time bounds.
func (s *alertScan) oldest(b *bolt.Bucket, p []byte) func() (k, v []byte, ok bool) {
	c := b.Cursor()
	var hi []byte
	if s.to != nil {
		hi = append(slices.Clip(p), s.to...)
	}
	var k, v []byte
	started := false
	return func() ([]byte, []byte, bool) {
		if started {
			k, v = c.Next()
		} else {
			k, v = c.Seek(append(slices.Clip(p), s.from...))
		}
		started = true
		if k == nil || !bytes.HasPrefix(k, p) || hi != nil && bytes.Compare(k, hi) >= 0 {
			return nil, nil, false
		}
		return k, v, true
	}
}

// statuses lists the query's status, or when it has none the statuses
// present in the base under the prefix.
func (s *alertScan) statuses() []Status {
	if s.q.Status != "" {
		return []Status{s.q.Status}
	}
	var out []Status
	c := s.base.Cursor()
	k, _ := c.Seek(s.prefix)
	for k != nil && bytes.HasPrefix(k, s.prefix) {
		rest := k[len(s.prefix):]
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			break // reported by Verify; a query just stops
		}
		st := rest[1 : 1+rest[0]]
		out = append(out, Status(st))
		next := successor(k[:len(s.prefix)+1+len(st)])
		if next == nil {
			break
		}
		k, _ = c.Seek(next)
	}
	return out
}

// keep applies the filters the base's keys do not: the site when walking a
// case's or a centre's keys.
func (s *alertScan) keep(v []byte) (bool, error) {
	if s.site == nil {
		return true, nil
	}
	if err := checkEntry(v); err != nil {
		return false, err
	}
	return bytes.Equal(v[10:], s.site), nil
}

// walk calls fn for the entries of status st within the time bounds,
// newest first, until fn returns false.
func (s *alertScan) walk(ctx context.Context, st Status, fn func(k, v []byte) (bool, error)) error {
	next := s.newest(s.base, lp(s.prefix, st))
	for n := 0; ; n++ {
		if n%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k, v, ok := next()
		if !ok {
			return nil
		}
		if more, err := fn(k, v); err != nil || !more {
			return err
		}
	}
}

// prevFrom steps back from where Seek landed (k nil: past the end).
func prevFrom(c *bolt.Cursor, k []byte) ([]byte, []byte) {
	if k == nil {
		return c.Last()
	}
	return c.Prev()
}

// first drops Seek's value.
func first(k, _ []byte) []byte { return k }

// maxInsertionRank is the deepest page end (offset + limit) that an
// in-memory confidence order keeps by insertion into a sorted slice; deeper
// pages sort all the matching keys once.
const maxInsertionRank = 2000

// page returns the IDs of the page, in order.
func (s *alertScan) page(ctx context.Context) ([]uint64, error) {
	want := s.q.Offset + s.q.Limit
	if s.q.Sort == SortConfidence && s.prefix == nil && s.from == nil && s.to == nil {
		return s.mergePage(ctx, s.tx.Bucket(bucketAlertsByConfidence), nil, want)
	}
	if s.q.Sort == SortNewest || s.q.Sort == SortOldest {
		return s.mergePage(ctx, s.base, s.prefix, want)
	}
	// Confidence over a site, case or date range: sort the matching keys
	// by distance, keeping only the best want of them.
	type ranked struct {
		dist int64
		key  []byte // time ‖ id
	}
	better := func(a, b ranked) int {
		if a.dist != b.dist {
			if a.dist < b.dist {
				return -1
			}
			return 1
		}
		return -bytes.Compare(a.key, b.key)
	}
	var best []ranked
	for _, st := range s.statuses() {
		n := len(s.prefix) + 1 + len(st)
		err := s.walk(ctx, st, func(k, v []byte) (bool, error) {
			if ok, err := s.keep(v); !ok || err != nil {
				return true, err
			}
			if err := checkEntry(v); err != nil {
				return false, err
			}
			r := ranked{entryDistance(v), k[n:]}
			if want > maxInsertionRank {
				// A deep page: sorting everything once beats inserting.
				best = append(best, r)
				return true, nil
			}
			if len(best) == want && better(r, best[want-1]) >= 0 {
				return true, nil
			}
			i, _ := slices.BinarySearchFunc(best, r, better)
			best = slices.Insert(best, i, r)
			if len(best) > want {
				best = best[:want]
			}
			return true, nil
		})
		if err != nil {
			return nil, err
		}
	}
	if want > maxInsertionRank {
		slices.SortFunc(best, better)
		best = best[:min(len(best), want)]
	}
	var ids []uint64
	for _, r := range best[min(s.q.Offset, len(best)):] {
		ids = append(ids, binary.BigEndian.Uint64(r.key[len(r.key)-8:]))
	}
	return ids, nil
}

// mergePage reads the statuses of b under prefix together — backwards,
// taking the greatest remaining key suffix (the part after the status) at
// each step, or for SortOldest forwards, taking the least — and returns
// the IDs from Offset to want.
func (s *alertScan) mergePage(ctx context.Context, b *bolt.Bucket, prefix []byte, want int) ([]uint64, error) {
	type head struct {
		n    int // length of the key's prefix and status
		next func() (k, v []byte, ok bool)
		k, v []byte
	}
	var heads []*head
	for _, st := range s.statuses() {
		p := lp(prefix, st)
		h := &head{n: len(p), next: s.newest(b, p)}
		if s.q.Sort == SortOldest {
			h.next = s.oldest(b, p)
		}
		var ok bool
		if h.k, h.v, ok = h.next(); ok {
			heads = append(heads, h)
		}
	}
	var ids []uint64
	for seen, n := 0, 0; seen < want && len(heads) > 0; n++ {
		if n%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		top, better := 0, 1
		if s.q.Sort == SortOldest {
			better = -1
		}
		for i := 1; i < len(heads); i++ {
			if bytes.Compare(heads[i].k[heads[i].n:], heads[top].k[heads[top].n:]) == better {
				top = i
			}
		}
		h := heads[top]
		ok, err := s.keep(h.v)
		if err != nil {
			return nil, err
		}
		if ok {
			if seen >= s.q.Offset {
				ids = append(ids, binary.BigEndian.Uint64(h.k[len(h.k)-8:]))
			}
			seen++
		}
		var more bool
		if h.k, h.v, more = h.next(); !more {
			heads = slices.Delete(heads, top, top+1)
		}
	}
	return ids, nil
}

// successor is the least key greater than every key with prefix p, nil if
// there is none (p all 0xff).
func successor(p []byte) []byte {
	out := bytes.Clone(p)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] < 0xff {
			out[i]++
			return out[:i+1]
		}
	}
	return nil
}

// lp appends the status with a one-byte length to a copy of prefix, so
// that keys built on one prefix never share memory.
func lp(prefix []byte, st Status) []byte {
	return append(append(slices.Clip(prefix), byte(len(st))), st...)
}

// lp2 appends s with a two-byte length.
func lp2(dst []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint16(dst, uint16(len(s))), s...)
}

// timeKey appends t as 12 bytes that sort as Time.Before does.
func timeKey(dst []byte, t time.Time) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.Unix())^(1<<63))
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
}

// alertEntries is every index entry one alert has: bucket, key, value.
type alertEntry struct {
	bucket []byte
	key    []byte
	value  []byte
}

// alertIndexEntries lists a's index entries and counter keys. Names longer
// than the prefixes allow are refused (store.ErrInvalid).
func alertIndexEntries(a *Alert) (entries, counters []alertEntry, err error) {
	caseKey := centres.Key(a.Centre, a.Case)
	if len(a.Status) > math.MaxUint8 || len(a.Site) > math.MaxUint16 || len(caseKey) > math.MaxUint16 {
		return nil, nil, fmt.Errorf("alert %d: status, site or case name too long to index: %w", a.ID, store.ErrInvalid)
	}
	suffix := binary.BigEndian.AppendUint64(timeKey(nil, a.CreatedAt), a.ID)
	value := lp2(binary.BigEndian.AppendUint64(nil, uint64(int64(a.Distance))^(1<<63)), a.Site)
	site, kase, centre := lp2(nil, a.Site), lp2(nil, caseKey), lp2(nil, a.Centre)
	conf := binary.BigEndian.AppendUint64(lp(nil, a.Status), ^(uint64(int64(a.Distance)) ^ (1 << 63)))
	entries = []alertEntry{
		{bucketAlertsByStatus, append(lp(nil, a.Status), suffix...), value},
		{bucketAlertsBySite, append(lp(site, a.Status), suffix...), value},
		{bucketAlertsByCase, append(lp(kase, a.Status), suffix...), value},
		{bucketAlertsByCentre, append(lp(centre, a.Status), suffix...), value},
		{bucketAlertsByConfidence, append(conf, suffix...), nil},
		{bucketAlertsByFingerprint, append(lp(store.IDKey(a.Fingerprint), a.Status), suffix...), nil},
	}
	hour := hourKey(hourOf(a.CreatedAt))
	for _, prefix := range [][]byte{{'a'}, append([]byte{'s'}, site...), append([]byte{'c'}, kase...), lp2(lp2([]byte{'b'}, a.Site), caseKey),
		append([]byte{'r'}, centre...), lp2(lp2([]byte{'e'}, a.Centre), a.Site)} {
		counters = append(counters,
			alertEntry{bucket: bucketAlertCounts, key: append(slices.Clip(prefix), a.Status...)},
			alertEntry{bucket: bucketAlertHours, key: append(lp(prefix, a.Status), hour...)})
	}
	entries, counters = dashboardEntries(a, entries, counters)
	return entries, counters, nil
}

// checkEntry checks an index entry value's length: the distance, then the
// site with its two-byte length.
func checkEntry(v []byte) error {
	if len(v) < 10 || len(v) != 10+int(binary.BigEndian.Uint16(v[8:])) {
		return fmt.Errorf("alert index entry of %d bytes: %w", len(v), store.ErrCorrupt)
	}
	return nil
}

// entryDistance reads the distance of a checked index entry value.
func entryDistance(v []byte) int64 {
	return int64(binary.BigEndian.Uint64(v) ^ (1 << 63))
}

// indexAlert moves a's index entries from old (nil for a new alert) to a,
// inside the transaction that writes a. An unchanged status, time, site,
// case, distance, time to removal and notice (a new sighting, a check that
// changed nothing) costs nothing.
func indexAlert(tx *bolt.Tx, old, a *Alert) error {
	if old != nil && old.Status == a.Status && old.CreatedAt.Equal(a.CreatedAt) && old.Site == a.Site &&
		old.Centre == a.Centre && old.Case == a.Case && old.Fingerprint == a.Fingerprint && old.Distance == a.Distance && old.ID == a.ID &&
		sameRemoval(old, a) && sameNotice(old, a) {
		return nil
	}
	if old != nil {
		if err := applyAlertIndex(tx, old, -1); err != nil {
			return err
		}
	}
	if err := applyAlertIndex(tx, a, +1); err != nil {
		return err
	}
	return countIndexWrite(tx)
}

// countIndexWrite raises meta's alert_index_writes inside tx, the
// transaction that changes the alert indexes, so the count changes exactly
// when what the indexes say (the queue's counts, the dashboard's figures)
// may have changed, and never without a commit.
func countIndexWrite(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return fmt.Errorf("bucket %s missing: %w", bucketMeta, store.ErrCorrupt)
	}
	var n uint64
	if v := meta.Get(keyAlertIndexWrites); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return meta.Put(keyAlertIndexWrites, binary.BigEndian.AppendUint64(nil, n+1))
}

// FiguresVersion is a number that changes with every committed write
// that changes the alert indexes — and so every figure derived from them,
// the dashboard's included — and stays the same otherwise (a new sighting
// of a known alert, a check that changed nothing). The console keeps its
// rendered dashboard until it changes. What else a figure depends on (the
// time: which day it is, which notices are overdue) the caller accounts
// for.
func (al *Store) FiguresVersion() (uint64, error) {
	var n uint64
	err := al.st.View(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bucketMeta); meta != nil {
			if v := meta.Get(keyAlertIndexWrites); len(v) == 8 {
				n = binary.BigEndian.Uint64(v)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("alert figures version: %w", err)
	}
	return n, nil
}

// applyAlertIndex adds (delta +1) or removes (-1) a's entries.
func applyAlertIndex(tx *bolt.Tx, a *Alert, delta int) error {
	entries, counters, err := alertIndexEntries(a)
	if err != nil {
		return err
	}
	return applyEntries(tx, entries, counters, delta)
}

// applyEntries adds (delta +1) or removes (-1) index entries and counts.
func applyEntries(tx *bolt.Tx, entries, counters []alertEntry, delta int) (err error) {
	for _, e := range entries {
		b := tx.Bucket(e.bucket)
		if b == nil {
			return fmt.Errorf("bucket %s missing: %w", e.bucket, store.ErrCorrupt)
		}
		if delta > 0 {
			err = b.Put(e.key, e.value)
		} else {
			err = b.Delete(e.key)
		}
		if err != nil {
			return err
		}
	}
	for _, c := range counters {
		b, k := tx.Bucket(c.bucket), c.key
		if b == nil {
			return fmt.Errorf("bucket %s missing: %w", c.bucket, store.ErrCorrupt)
		}
		var n uint64
		if v := b.Get(k); len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		switch {
		case delta > 0:
			n++
		case n > 0:
			n--
		}
		if n == 0 {
			err = b.Delete(k)
		} else {
			err = b.Put(k, binary.BigEndian.AppendUint64(nil, n))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// alertIndexCurrent reports whether tx's alert indexes have this build's
// layout.
func alertIndexCurrent(tx *bolt.Tx) bool {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return false
	}
	v := meta.Get(keyAlertIndexVersion)
	return len(v) == 4 && binary.BigEndian.Uint32(v) == alertIndexVersion
}

// ensureAlertIndex builds the alert indexes when the file lacks them or has
// another layout. When the file's layout lacks only buckets added since
// (alertIndexAdded), those are built in bounded transactions
// (buildAddedIndexes); otherwise one transaction empties every index,
// indexes every alert and records the version, so a crash leaves either
// the old state (rebuilt at the next Open) or the whole new one.
func (al *Store) ensureAlertIndex() error {
	if al.st.ReadOnly() {
		return nil
	}
	current, have := false, uint32(0)
	if err := al.st.View(func(tx *bolt.Tx) error {
		current, have = alertIndexCurrent(tx), storedAlertIndexVersion(tx)
		return nil
	}); err != nil || current {
		return err
	}
	if added := addedIndexesSince(have); added != nil {
		return buildAddedIndexes(al.st, added, alertIndexBatch)
	}
	return al.st.Update(rebuildAlertIndex, nil)
}

// storedAlertIndexVersion is the alert index layout tx's file has, 0 when
// it has none.
func storedAlertIndexVersion(tx *bolt.Tx) uint32 {
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if v := meta.Get(keyAlertIndexVersion); len(v) == 4 {
			return binary.BigEndian.Uint32(v)
		}
	}
	return 0
}

// addedIndexesSince lists the buckets the layouts after version have
// added, nil when a layout between changed more than that (or version is
// 0, no indexes, or newer than this build's): then everything is rebuilt.
func addedIndexesSince(version uint32) [][]byte {
	if version == 0 || version >= alertIndexVersion {
		return nil
	}
	var out [][]byte
	for v := version + 1; v <= alertIndexVersion; v++ {
		b, ok := alertIndexAdded[v]
		if !ok {
			return nil
		}
		out = append(out, b)
	}
	return out
}

// alertIndexBatch is how many alerts one transaction of buildAddedIndexes
// indexes: a few hundred milliseconds of work at most, and a progress
// record per batch.
const alertIndexBatch = 10000

// keyAlertIndexBuild, in meta, records how far buildAddedIndexes got:
// the alert_index_writes count when it started (4 + 8 bytes: the target
// version, the count) and the ID key of the next alert to index. A build
// resumes from it only if the count is unchanged — no alert was written
// since (by a build that does not know the added buckets) — and otherwise
// starts again from empty buckets.
var keyAlertIndexBuild = []byte("alert_index_build")

// buildAddedIndexes builds the added alert index buckets from the alerts
// bucket, batch alerts to a transaction, each transaction recording its
// progress with its writes, and raises the index version with the last
// one. A crash (kill -9 included) between or during transactions leaves a
// file at the old version with the progress of the last commit: the next
// Open resumes there. It runs inside Open, before anything else writes.
func buildAddedIndexes(st *store.DB, added [][]byte, batch int) error {
	for done := false; !done; {
		if err := st.Update(func(tx *bolt.Tx) error {
			var err error
			done, err = buildAddedStep(tx, added, batch)
			return err
		}, nil); err != nil {
			return fmt.Errorf("build alert index %s: %w", bytes.Join(added, []byte(", ")), err)
		}
	}
	return nil
}

// buildAddedStep indexes the next batch alerts into the added buckets
// inside tx and reports whether that was the last of them.
func buildAddedStep(tx *bolt.Tx, added [][]byte, batch int) (bool, error) {
	meta, alerts := tx.Bucket(bucketMeta), tx.Bucket(bucketAlerts)
	if meta == nil || alerts == nil {
		return false, fmt.Errorf("bucket %s or %s missing: %w", bucketMeta, bucketAlerts, store.ErrCorrupt)
	}
	var writes []byte // the alert_index_writes count, 8 bytes
	writes = binary.BigEndian.AppendUint64(writes, 0)
	if v := meta.Get(keyAlertIndexWrites); len(v) == 8 {
		writes = slices.Clone(v)
	}
	head := binary.BigEndian.AppendUint32(nil, alertIndexVersion)
	head = append(head, writes...)
	var next []byte
	if p := meta.Get(keyAlertIndexBuild); len(p) == len(head)+8 && bytes.HasPrefix(p, head) {
		next = slices.Clone(p[len(head):])
	} else {
		// A fresh start, or a build interrupted and then overtaken by
		// writes it did not index: start from empty buckets.
		for _, name := range added {
			if tx.Bucket(name) != nil {
				if err := tx.DeleteBucket(name); err != nil {
					return false, err
				}
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return false, err
			}
		}
	}
	c := alerts.Cursor()
	k, v := c.First()
	if next != nil {
		k, v = c.Seek(next)
	}
	for n := 0; k != nil && n < batch; k, v = c.Next() {
		var a Alert
		if err := decodeAlert(v, &a); err != nil {
			return false, fmt.Errorf("alert %x: %w", k, err)
		}
		entries, counters, err := alertIndexEntries(&a)
		if err != nil {
			return false, err
		}
		other := func(e alertEntry) bool {
			return !slices.ContainsFunc(added, func(b []byte) bool { return bytes.Equal(b, e.bucket) })
		}
		if err := applyEntries(tx, slices.DeleteFunc(entries, other), slices.DeleteFunc(counters, other), +1); err != nil {
			return false, err
		}
		n++
	}
	if k != nil {
		return false, meta.Put(keyAlertIndexBuild, append(head, k...))
	}
	if err := meta.Delete(keyAlertIndexBuild); err != nil {
		return false, err
	}
	return true, meta.Put(keyAlertIndexVersion, binary.BigEndian.AppendUint32(nil, alertIndexVersion))
}

// indexedAlerts decodes the indexed fields of every alert in tx. bad, when
// not nil, is told of alerts that do not decode or index, which are left
// out; when nil, such an alert is an error.
func indexedAlerts(tx *bolt.Tx, tick func() error, bad func(k []byte, err error)) ([]Alert, error) {
	alerts := tx.Bucket(bucketAlerts)
	if alerts == nil {
		return nil, fmt.Errorf("bucket %s missing: %w", bucketAlerts, store.ErrCorrupt)
	}
	var out []Alert
	err := alerts.ForEach(func(k, v []byte) error {
		var a Alert
		err := decodeAlert(v, &a)
		if err == nil {
			_, _, err = alertIndexEntries(&a)
		}
		if err != nil {
			if bad == nil {
				return fmt.Errorf("alert %x: %w", k, err)
			}
			bad(k, err)
			return tick()
		}
		out = append(out, Alert{ID: a.ID, Status: a.Status, CreatedAt: a.CreatedAt, Site: a.Site, Centre: a.Centre, Case: a.Case, Fingerprint: a.Fingerprint, Distance: a.Distance,
			ConfirmedAt: a.ConfirmedAt, RemovedAt: a.RemovedAt, ReappearedAt: a.ReappearedAt, NoticeID: a.NoticeID, NoticeSentAt: a.NoticeSentAt})
		return tick()
	})
	return out, err
}

// wantAlertIndex is what bucket name of the alert indexes must hold for
// alerts, sorted by key: bbolt fills a bucket fastest in key order (a put
// in the middle of a node moves the rest of it), and Verify compares it
// with the bucket in one pass.
func wantAlertIndex(alerts []Alert, name []byte) []alertEntry {
	out := make([]alertEntry, 0, len(alerts))
	counts := map[string]uint64{}
	for i := range alerts {
		entries, counters, _ := alertIndexEntries(&alerts[i]) // checked by indexedAlerts
		for _, e := range entries {
			if bytes.Equal(e.bucket, name) {
				out = append(out, e)
			}
		}
		for _, c := range counters {
			if bytes.Equal(c.bucket, name) {
				counts[string(c.key)]++
			}
		}
	}
	for k, n := range counts {
		out = append(out, alertEntry{bucket: name, key: []byte(k), value: binary.BigEndian.AppendUint64(nil, n)})
	}
	slices.SortFunc(out, func(a, b alertEntry) int { return bytes.Compare(a.key, b.key) })
	return out
}

// rebuildAlertIndex recreates the alert indexes from the alerts bucket
// inside tx, one bucket at a time in key order.
func rebuildAlertIndex(tx *bolt.Tx) error {
	alerts, err := indexedAlerts(tx, func() error { return nil }, nil)
	if err != nil {
		return fmt.Errorf("rebuild alert index: %w", err)
	}
	for _, name := range alertIndexBuckets {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("rebuild alert index: %w", err)
			}
		}
		b, err := tx.CreateBucket(name)
		if err != nil {
			return fmt.Errorf("rebuild alert index: %w", err)
		}
		b.FillPercent = 1 // written in order, never split again by inserts between
		for _, e := range wantAlertIndex(alerts, name) {
			if err := b.Put(e.key, e.value); err != nil {
				return fmt.Errorf("rebuild alert index: %w", err)
			}
		}
	}
	if err := countIndexWrite(tx); err != nil {
		return fmt.Errorf("rebuild alert index: %w", err)
	}
	if err := tx.Bucket(bucketMeta).Delete(keyAlertIndexBuild); err != nil { // a partial build is moot
		return fmt.Errorf("rebuild alert index: %w", err)
	}
	return tx.Bucket(bucketMeta).Put(keyAlertIndexVersion, binary.BigEndian.AppendUint32(nil, alertIndexVersion))
}

// VerifyIndex is the part of store.DB.Verify that checks that the alert indexes hold exactly the entries
// and counts the alerts bucket implies.
func VerifyIndex(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	if tx.Bucket(bucketAlerts) == nil {
		return nil
	}
	if !alertIndexCurrent(tx) {
		r.Add("meta", "alert indexes not built at version %d (a read-write open rebuilds them)", alertIndexVersion)
		return nil
	}
	tick := store.Ticker(ctx)
	alerts, err := indexedAlerts(tx, tick, func(k []byte, err error) {
		if !errors.Is(err, store.ErrInvalid) {
			return // does not decode: reported under alerts/
		}
		r.Add("alerts/"+store.IDString(k), "%v", err)
	})
	if err != nil {
		return err
	}
	for _, name := range alertIndexBuckets {
		b := tx.Bucket(name)
		if b == nil {
			continue // reported as a missing bucket
		}
		want := wantAlertIndex(alerts, name)
		c := b.Cursor()
		k, v := c.First()
		for k != nil || len(want) > 0 {
			var cmp int
			switch {
			case k == nil:
				cmp = 1
			case len(want) == 0:
				cmp = -1
			default:
				cmp = bytes.Compare(k, want[0].key)
			}
			switch {
			case cmp < 0:
				r.Add(fmt.Sprintf("%s/%x", name, k), "index entry of no alert (or of an alert's former state)")
				k, v = c.Next()
			case cmp > 0:
				r.Add(fmt.Sprintf("%s/%x", name, want[0].key), "index entry missing: queue pages and counts would leave the alert out")
				want = want[1:]
			default:
				if !bytes.Equal(v, want[0].value) {
					r.Add(fmt.Sprintf("%s/%x", name, k), "index value %x, the alert implies %x", v, want[0].value)
				}
				k, v = c.Next()
				want = want[1:]
			}
			if err := tick(); err != nil {
				return err
			}
		}
	}
	return nil
}

// alertsUnder calls fn with every alert whose entry in the index bucket
// starts with prefix (index keys end with the alert's big-endian ID), so a
// caller reads the alerts of one status or case and no others. fn must not
// write the alerts bucket: the cursor walks an index that writes change.
func alertsUnder(tx *bolt.Tx, bucket, prefix []byte, fn func(*Alert) error) error {
	return alertsFrom(tx, bucket, prefix, prefix, fn)
}

// alertsFrom is alertsUnder from the first key at or after start (which
// begins with prefix): a time range of one status, say.
func alertsFrom(tx *bolt.Tx, bucket, prefix, start []byte, fn func(*Alert) error) error {
	alerts := tx.Bucket(bucketAlerts)
	c := tx.Bucket(bucket).Cursor()
	for k, _ := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) < len(prefix)+8 {
			return fmt.Errorf("%s key %x: %w", bucket, k, store.ErrCorrupt)
		}
		id := k[len(k)-8:]
		v := alerts.Get(id)
		if v == nil {
			return fmt.Errorf("%s names missing alert %x: %w", bucket, id, store.ErrCorrupt)
		}
		var a Alert
		if err := decodeAlert(v, &a); err != nil {
			return fmt.Errorf("alert %x: %w", id, err)
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	return nil
}
