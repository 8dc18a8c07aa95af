package alerts

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// The dashboard is opened by everyone who logs in and polled by scripts,
// so it must not decode every alert (with 200,000 alerts a scan cost
// 0.2–0.4 s of CPU a request and starved the crawl). Its figures are kept
// with the alert query indexes, in the transaction of every alert write
// (putAlert → indexAlert), built at Open with them and checked by
// VerifyIndex; a request reads values proportional to days and sites.
//
// Every figure is kept twice (issue 13): once for the nation and once for
// the alert's centre, so a regional centre's dashboard costs what the
// national one does. Keys below start with a scope, lp2(centre), the
// national total's scope being lp2("") (centre IDs are never empty):
//
//   - the queue per status: alertcounts' 'a' ‖ status counters (the
//     nation) and 'r' ‖ lp2(centre) ‖ status (a centre);
//
//   - alerts per day: alertcreated, scope ‖ hour (hourKey) → alerts created
//     in that Unix hour, whatever their status. A day in the viewer's time
//     zone is the sum of its hours; an hour that a midnight cuts (a zone
//     whose offset is not whole hours) is counted from the status (or
//     centre) index's keys, so the figure stays exact in every zone;
//
//   - time to removal per site, exact: alertremovals holds scope ‖
//     lp2(site) ‖ bin ‖ duration ‖ ID (empty values) for every alert with a
//     time to removal, and alertremovalbins scope ‖ lp2(site) ‖ bin →
//     count. The bins (removalBin) are a log-scale histogram with 32 bins
//     per doubling of seconds, at most a few hundred per site in practice;
//     a percentile walks the site's bins to the one holding its rank, then
//     that bin's keys to the element itself, so it costs bins plus one
//     bin's removals, never the site's whole history, and equals the
//     nearest rank over all of them.
//
//   - the notices awaiting removal: alertnoticesent holds scope ‖ time key
//     (NoticeSentAt) ‖ notice ID ‖ alert ID (empty values) for every alert
//     in notice_sent under a notice, so the notices overdue at a time are
//     the distinct notices of the keys up to it (OverdueNoticesIn). A
//     notice is one centre's, as its alerts are.
//
// What stays time-dependent is computed at the request from these: which
// hours fall on which day of the asked zone, and which notices have waited
// longer than the overdue limit (a walk over the overdue ones only).
var (
	bucketAlertCreated     = []byte("alertcreated")
	bucketAlertRemovals    = []byte("alertremovals")
	bucketAlertRemovalBins = []byte("alertremovalbins")
	bucketAlertNoticeSent  = []byte("alertnoticesent")
)

// dashboardEntries appends a's dashboard index entries and counters: the
// nation's and, under its own scope, its centre's.
func dashboardEntries(a *Alert, entries, counters []alertEntry) ([]alertEntry, []alertEntry) {
	scopes := [][]byte{dashboardScope("")}
	if a.Centre != "" {
		scopes = append(scopes, dashboardScope(a.Centre))
	}
	for _, scope := range scopes {
		counters = append(counters, alertEntry{bucket: bucketAlertCreated, key: append(slices.Clip(scope), hourKey(hourOf(a.CreatedAt))...)})
		if ttr, ok := a.TimeToRemoval(); ok {
			bin := binary.BigEndian.AppendUint16(lp2(slices.Clip(scope), a.Site), removalBin(ttr))
			key := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(slices.Clip(bin), uint64(ttr)), a.ID)
			entries = append(entries, alertEntry{bucket: bucketAlertRemovals, key: key})
			counters = append(counters, alertEntry{bucket: bucketAlertRemovalBins, key: bin})
		}
		if a.Status == StatusNoticeSent && a.NoticeID != 0 {
			key := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(timeKey(slices.Clip(scope), a.NoticeSentAt), a.NoticeID), a.ID)
			entries = append(entries, alertEntry{bucket: bucketAlertNoticeSent, key: key})
		}
	}
	return entries, counters
}

// dashboardScope is the key prefix of centre's kept dashboard figures;
// "" is the national total's.
func dashboardScope(centre string) []byte { return lp2(nil, centre) }

// sameNotice reports whether a and b wait on the same notice sent at the
// same time (status aside).
func sameNotice(a, b *Alert) bool {
	return a.NoticeID == b.NoticeID && a.NoticeSentAt.Equal(b.NoticeSentAt)
}

// OverdueNoticesIn counts, inside tx, the notices sent at or before
// sentBy that still have an alert in notice_sent under them: the
// takedown notices left unanswered. ok is false when the alert indexes are
// not built (a file opened read-only before its migration); the caller
// then reads the notices themselves. It costs the overdue alerts' keys,
// not the file's alerts or notices.
func OverdueNoticesIn(tx *bolt.Tx, sentBy time.Time) (n int, ok bool, err error) {
	return CentreOverdueNoticesIn(tx, "", sentBy)
}

// CentreOverdueNoticesIn is OverdueNoticesIn for one centre's notices
// ("": every centre's).
func CentreOverdueNoticesIn(tx *bolt.Tx, centre string, sentBy time.Time) (n int, ok bool, err error) {
	if !alertIndexCurrent(tx) {
		return 0, false, nil
	}
	scope := dashboardScope(centre)
	c := tx.Bucket(bucketAlertNoticeSent).Cursor()
	// Keys up to sentBy's whole nanosecond: the scope ‖ time key ‖ notice ID.
	end := timeKey(slices.Clip(scope), sentBy)
	var last []byte
	for k, _ := c.Seek(scope); k != nil && bytes.HasPrefix(k, scope) && bytes.Compare(k[:min(len(k), len(end))], end) <= 0; k, _ = c.Next() {
		if len(k) != len(scope)+28 {
			return 0, true, fmt.Errorf("%s key %x: %w", bucketAlertNoticeSent, k, store.ErrCorrupt)
		}
		if id := k[len(end) : len(end)+8]; !bytes.Equal(id, last) {
			n++
			last = id
		}
	}
	return n, true, nil
}

// sameRemoval reports whether a and b have the same time to removal (or
// neither has one).
func sameRemoval(a, b *Alert) bool {
	da, oka := a.TimeToRemoval()
	db, okb := b.TimeToRemoval()
	return oka == okb && da == db
}

// removalBin is the histogram bin of a time to removal (never negative):
// whole seconds below 64, then 32 bins per doubling, so bins sort as the
// durations do and each is at most 1/32 of its values wide.
func removalBin(d time.Duration) uint16 {
	s := uint64(max(d, 0) / time.Second)
	if s < 64 {
		return uint16(s)
	}
	e := bits.Len64(s) - 6 // s>>e is in [32, 63]
	return uint16(64 + (e-1)*32 + int(s>>e) - 32)
}

// dashboardFromIndex is CentreDashboardIn over the kept figures (see
// above): centre's, or the nation's when centre is "".
func dashboardFromIndex(tx *bolt.Tx, centre string, first, today time.Time, loc *time.Location, days int) (Dashboard, error) {
	d := Dashboard{Centre: centre, Queue: map[Status]int{}, Days: make([]DayCount, days)}
	for i := range d.Days {
		d.Days[i].Day = first.AddDate(0, 0, i)
	}
	// The queue.
	counter := []byte{'a'}
	if centre != "" {
		counter = lp2([]byte{'r'}, centre)
	}
	c := tx.Bucket(bucketAlertCounts).Cursor()
	for k, v := c.Seek(counter); k != nil && bytes.HasPrefix(k, counter); k, v = c.Next() {
		if len(v) != 8 {
			return Dashboard{}, fmt.Errorf("alert count %q: %d bytes: %w", k, len(v), store.ErrCorrupt)
		}
		st, n := Status(k[len(counter):]), int(binary.BigEndian.Uint64(v))
		d.Queue[st] = n
		if st.open() {
			d.Open += n
		}
	}
	if err := daysFromIndex(tx, centre, d.Days, first, today.AddDate(0, 0, 1), loc); err != nil {
		return Dashboard{}, err
	}
	var err error
	if d.Removal, err = removalFromIndex(tx, centre); err != nil {
		return Dashboard{}, err
	}
	return d, nil
}

// daysFromIndex adds the alerts of centre ("": every centre) created in
// [first, end) to their days.
func daysFromIndex(tx *bolt.Tx, centre string, days []DayCount, first, end time.Time, loc *time.Location) error {
	dayOf := func(t time.Time) int { return daysBetween(days[0].Day, midnight(t.In(loc))) }
	add := func(t time.Time, n int) {
		if t.Before(first) || !t.Before(end) {
			return
		}
		if i := dayOf(t); i >= 0 && i < len(days) {
			days[i].Alerts += n
		}
	}
	scope := dashboardScope(centre)
	c := tx.Bucket(bucketAlertCreated).Cursor()
	endKey := append(slices.Clip(scope), hourKey(hourOf(end)+1)...)
	for k, v := c.Seek(append(slices.Clip(scope), hourKey(hourOf(first))...)); k != nil && bytes.Compare(k, endKey) < 0; k, v = c.Next() {
		if len(k) != len(scope)+8 || len(v) != 8 || !bytes.HasPrefix(k, scope) {
			return fmt.Errorf("alertcreated %x: %w", k, store.ErrCorrupt)
		}
		start := hourStart(int64(binary.BigEndian.Uint64(k[len(scope):]) ^ (1 << 63)))
		last := start.Add(time.Hour - time.Nanosecond)
		if !start.Before(first) && last.Before(end) && dayOf(start) == dayOf(last) {
			add(start, int(binary.BigEndian.Uint64(v)))
			continue
		}
		// A midnight, or the range's end, cuts this hour: place its
		// alerts one by one from the status index.
		if err := eachCreatedIn(tx, centre, start, start.Add(time.Hour), func(t time.Time) { add(t, 1) }); err != nil {
			return err
		}
	}
	return nil
}

// eachCreatedIn calls fn with the creation time of every alert of centre
// ("": every centre) created in [from, to), read from the status (or
// centre) index's keys.
func eachCreatedIn(tx *bolt.Tx, centre string, from, to time.Time, fn func(time.Time)) error {
	s := newAlertScan(tx, AlertQuery{Centre: centre})
	lo, hi := timeKey(nil, from), timeKey(nil, to)
	for _, st := range s.statuses() {
		p := lp(s.prefix, st)
		c := s.base.Cursor()
		end := append(slices.Clip(p), hi...)
		for k, _ := c.Seek(append(slices.Clip(p), lo...)); k != nil && bytes.HasPrefix(k, p) && bytes.Compare(k, end) < 0; k, _ = c.Next() {
			tk := k[len(p):]
			if len(tk) != 20 {
				return fmt.Errorf("alert index key %x: %w", k, store.ErrCorrupt)
			}
			sec := int64(binary.BigEndian.Uint64(tk) ^ (1 << 63))
			fn(time.Unix(sec, int64(binary.BigEndian.Uint32(tk[8:]))))
		}
	}
	return nil
}

// removalFromIndex is the time to removal per site of centre's alerts
// ("": every centre's), sorted by site.
func removalFromIndex(tx *bolt.Tx, centre string) ([]SiteRemoval, error) {
	scope := dashboardScope(centre)
	var out []SiteRemoval
	var site []byte
	var bins []removalBinCount
	flush := func() error {
		if len(bins) == 0 {
			return nil
		}
		total := 0
		for _, b := range bins {
			total += b.n
		}
		sr := SiteRemoval{Site: string(site[2:]), Removed: total}
		var err error
		if sr.Median, err = removalAtRank(tx, bins, rankOf(0.5, total)); err != nil {
			return err
		}
		if sr.P90, err = removalAtRank(tx, bins, rankOf(0.9, total)); err != nil {
			return err
		}
		out = append(out, sr)
		bins = bins[:0]
		return nil
	}
	c := tx.Bucket(bucketAlertRemovalBins).Cursor()
	for k, v := c.Seek(scope); k != nil && bytes.HasPrefix(k, scope); k, v = c.Next() {
		rest := k[len(scope):]
		if len(rest) < 4 || len(rest) != 4+int(binary.BigEndian.Uint16(rest)) || len(v) != 8 {
			return nil, fmt.Errorf("alertremovalbins %x: %w", k, store.ErrCorrupt)
		}
		if s := rest[:len(rest)-2]; !bytes.Equal(s, site) {
			if err := flush(); err != nil {
				return nil, err
			}
			site = bytes.Clone(s)
		}
		bins = append(bins, removalBinCount{bytes.Clone(k), int(binary.BigEndian.Uint64(v))})
	}
	if err := flush(); err != nil {
		return nil, err
	}
	// Keys sort by length-prefixed name; the dashboard sorts by name.
	slices.SortFunc(out, func(a, b SiteRemoval) int { return strings.Compare(a.Site, b.Site) })
	return out, nil
}

// removalBinCount is one bin of a site's removal histogram: its key in
// alertremovalbins (scope ‖ lp2(site) ‖ bin) and its count.
type removalBinCount struct {
	key []byte
	n   int
}

// rankOf is the 0-based nearest rank of percentile p among n values.
func rankOf(p float64, n int) int {
	return min(max(int(math.Ceil(p*float64(n)))-1, 0), n-1)
}

// removalAtRank returns the time to removal at 0-based rank r of one
// site's removals, whose bins (in order) are given: the bin holding the
// rank is found from the counts, then its keys are walked.
func removalAtRank(tx *bolt.Tx, bins []removalBinCount, r int) (time.Duration, error) {
	for _, bb := range bins {
		if r >= bb.n {
			r -= bb.n
			continue
		}
		c := tx.Bucket(bucketAlertRemovals).Cursor()
		i := 0
		for k, _ := c.Seek(bb.key); k != nil && bytes.HasPrefix(k, bb.key); k, _ = c.Next() {
			if i == r {
				if len(k) != len(bb.key)+16 {
					return 0, fmt.Errorf("alertremovals %x: %w", k, store.ErrCorrupt)
				}
				return time.Duration(binary.BigEndian.Uint64(k[len(bb.key):])), nil
			}
			i++
		}
		return 0, fmt.Errorf("alertremovals %x: %d keys, its bin counts %d: %w", bb.key, i, bb.n, store.ErrCorrupt)
	}
	return 0, fmt.Errorf("alertremovalbins: rank beyond the counts: %w", store.ErrCorrupt)
}
