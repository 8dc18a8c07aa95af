package alerts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// queryInMemory is QueryAlerts' specification: filter every alert, count,
// order and slice, as the console did before the indexes.
func queryInMemory(all []Alert, q AlertQuery) (ids []uint64, total int, counts map[Status]int) {
	counts = map[Status]int{}
	var sel []Alert
	for _, a := range all {
		if q.Site != "" && a.Site != q.Site || q.Case != "" && a.Case != q.Case {
			continue
		}
		if !q.From.IsZero() && a.CreatedAt.Before(q.From) || !q.To.IsZero() && !a.CreatedAt.Before(q.To) {
			continue
		}
		counts[a.Status]++
		if q.Status == "" || a.Status == q.Status {
			sel = append(sel, a)
		}
	}
	newest := func(a, b Alert) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmpUint(b.ID, a.ID)
	}
	slices.SortFunc(sel, func(a, b Alert) int {
		if q.Sort == SortConfidence && a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		if q.Sort == SortOldest {
			return newest(b, a)
		}
		return newest(a, b)
	})
	for i := q.Offset; i < len(sel) && i < q.Offset+q.Limit; i++ {
		ids = append(ids, sel[i].ID)
	}
	return ids, len(sel), counts
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// alertWorld is a database with alerts made through the public write paths
// (RecordAlert, SetAlertStatus, Withdraw) under a clock the test moves,
// backwards too, so that creation order and ID order differ.
type alertWorld struct {
	db    *testDB
	path  string
	clock time.Time
	fps   map[string]uint64 // case → fingerprint
	// centreOf is each case's centre.
	centreOf map[string]string
	rng      *rand.Rand
	n        int
}

var (
	worldSites    = []string{"board", "forum", "tube"}
	worldCases    = []string{"c1", "c2", "c3"}
	worldStatuses = []Status{StatusNew, StatusConfirmed, StatusDismissed, StatusNoticeSent, StatusRemoved}
	worldEpoch    = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

func newAlertWorld(t testing.TB, seed uint64) *alertWorld {
	t.Helper()
	return newAlertWorldIn(t, seed, nil)
}

// newAlertWorldIn is newAlertWorld with case i registered in
// caseCentres[i % len], each regional centre added first (nil: every case
// the national centre's).
func newAlertWorldIn(t testing.TB, seed uint64, caseCentres []string) *alertWorld {
	t.Helper()
	w := &alertWorld{clock: worldEpoch, fps: map[string]uint64{}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	w.path = t.TempDir() + "/hw.db"
	db, err := openDB(w.path, store.Options{Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	w.centreOf = map[string]string{}
	if len(caseCentres) > 0 {
		cs, err := centres.Open(db.DB)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range caseCentres {
			if _, err := cs.Centre(c); err == nil {
				continue
			}
			if _, err := cs.Add(context.Background(), c, "centre "+c, store.Actor{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, c := range worldCases {
		w.centreOf[c] = centres.National
		if len(caseCentres) > 0 {
			w.centreOf[c] = caseCentres[i%len(caseCentres)]
		}
		fps, err := db.RegisterIn(context.Background(), w.centreOf[c], c, "case "+c, []index.Registration{{Source: c, Print: hashingtest.Image(uint64(i+1)*0x1111, uint64(i+1)*0x2222, byte(i+1))}}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		w.fps[c] = fps[0].ID
	}
	return w
}

// record makes a new alert (or, now and then, a new sighting of an old one)
// at a clock that mostly moves forward but sometimes stands or goes back.
func (w *alertWorld) record(t testing.TB) {
	t.Helper()
	switch r := w.rng.IntN(10); {
	case r == 0:
		w.clock = w.clock.Add(-time.Duration(w.rng.IntN(3600)) * time.Second)
	case r < 3: // same instant as the previous alert
	default:
		w.clock = w.clock.Add(time.Duration(w.rng.IntN(6*3600)) * time.Second)
	}
	media := w.n
	if w.n > 0 && w.rng.IntN(8) == 0 {
		media = w.rng.IntN(w.n) // seen again
	} else {
		w.n++
	}
	c := worldCases[w.rng.IntN(len(worldCases))]
	if media != w.n-1 {
		c = worldCases[media%len(worldCases)]
	}
	_, _, err := w.db.RecordAlert(context.Background(), AlertInput{
		Site: worldSites[w.rng.IntN(len(worldSites))], MediaSHA256: sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(media))),
		Match:    index.Match{Fingerprint: w.fps[c], Case: c, Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: w.rng.IntN(40)}},
		Sighting: Sighting{PageURL: fmt.Sprintf("http://x.example/p%d", w.rng.IntN(3)), MediaURL: "http://x.example/m.jpg"},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *alertWorld) setStatus(t testing.TB) {
	t.Helper()
	if w.n == 0 {
		return
	}
	st := worldStatuses[w.rng.IntN(len(worldStatuses))]
	id := uint64(1 + w.rng.IntN(w.n))
	if _, err := w.db.SetAlertStatus(context.Background(), id, st, "reason"); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
}

// randomQuery draws a query over the world's values, bounds included.
func (w *alertWorld) randomQuery() AlertQuery {
	pick := func(ss []string) string {
		if w.rng.IntN(2) == 0 {
			return ""
		}
		return ss[w.rng.IntN(len(ss))]
	}
	q := AlertQuery{Site: pick(worldSites), Case: pick(append(slices.Clone(worldCases), "nobody")), Limit: 1 + w.rng.IntN(30), Offset: w.rng.IntN(3) * w.rng.IntN(40)}
	if w.rng.IntN(3) > 0 {
		all := append(slices.Clone(worldStatuses), StatusWithdrawn)
		q.Status = all[w.rng.IntN(len(all))]
	}
	switch w.rng.IntN(4) {
	case 0, 1:
		q.Sort = SortConfidence
	case 2:
		q.Sort = SortOldest
	}
	span := w.clock.Sub(worldEpoch) + 2*time.Hour
	at := func() time.Time {
		// Whole hours hit creation times exactly now and then; other
		// times cut hours, whose counts are then partly read from keys.
		t := worldEpoch.Add(-time.Hour + time.Duration(w.rng.Int64N(int64(span/time.Hour)))*time.Hour)
		if w.rng.IntN(2) == 0 {
			t = t.Add(time.Duration(w.rng.Int64N(int64(time.Hour))))
		}
		return t
	}
	if w.rng.IntN(3) == 0 {
		q.From = at()
	}
	if w.rng.IntN(3) == 0 {
		q.To = at()
	}
	if w.rng.IntN(10) == 0 {
		q.Limit = 0
	}
	return q
}

func TestQueryAlertsMatchesInMemory(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			w := newAlertWorld(t, seed)
			check := func(stage string) {
				t.Helper()
				all, err := w.db.Alerts(AlertFilter{})
				if err != nil {
					t.Fatal(err)
				}
				for range 300 {
					q := w.randomQuery()
					wantIDs, wantTotal, wantCounts := queryInMemory(all, q)
					page, err := w.db.QueryAlerts(ctx, q)
					if err != nil {
						t.Fatalf("%s: %+v: %v", stage, q, err)
					}
					var got []uint64
					for _, a := range page.Alerts {
						got = append(got, a.ID)
					}
					if !slices.Equal(got, wantIDs) || page.Total != wantTotal || fmt.Sprint(page.Counts) != fmt.Sprint(wantCounts) {
						t.Fatalf("%s: %+v:\n got %v total %d counts %v\nwant %v total %d counts %v", stage, q, got, page.Total, page.Counts, wantIDs, wantTotal, wantCounts)
					}
					if ids, err := w.db.QueryAlertIDs(ctx, q); err != nil || !slices.Equal(ids, wantIDs) {
						t.Fatalf("%s: %+v: IDs only %v %v, want %v", stage, q, ids, err, wantIDs)
					}
					for i, a := range page.Alerts {
						if want := all[a.ID-1]; a.ID != want.ID || a.UpdatedAt != want.UpdatedAt || a.Status != want.Status {
							t.Fatalf("%s: page alert %d is %+v, stored %+v", stage, i, a, want)
						}
					}
				}
				if r, err := w.db.Verify(ctx); err != nil || !r.OK() {
					t.Fatalf("%s: verify: %v %v", stage, err, r.Problems)
				}
			}
			for range 250 {
				w.record(t)
			}
			check("new alerts")
			for range 120 {
				w.setStatus(t)
				w.record(t)
			}
			check("status changes and sightings")
			if _, _, err := w.db.Withdraw(ctx, "c3", store.Actor{}); err != nil {
				t.Fatal(err)
			}
			check("after withdrawing c3")
		})
	}
}

// dropAlertIndex makes path look like a file written before the alert
// indexes: no index buckets, no index version.
func dropAlertIndex(tx *bolt.Tx) error {
	for _, name := range alertIndexBuckets {
		if err := tx.DeleteBucket(name); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Delete(keyAlertIndexVersion)
}

func TestAlertIndexBuiltOnOpen(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// older turns the file into what an older build left.
		older func(tx *bolt.Tx) error
	}{
		{"file written before the indexes", dropAlertIndex},
		{"indexes of another layout version", func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketAlertsByStatus).Put([]byte("stale"), nil); err != nil {
				return err
			}
			if err := tx.Bucket(bucketAlertCounts).Put([]byte("anew"), make([]byte, 8)); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keyAlertIndexVersion, binary.BigEndian.AppendUint32(nil, alertIndexVersion+7))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newAlertWorld(t, 42)
			for range 60 {
				w.record(t)
				w.setStatus(t)
			}
			w.db.Close()
			mutate(t, w.path, tc.older)

			if r := verifyFile(t, w.path); r.OK() {
				t.Fatal("verify of a file without current alert indexes found nothing")
			}
			db, err := openDB(w.path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if r, err := db.Verify(ctx); err != nil || !r.OK() {
				t.Fatalf("verify after the rebuild: %v %v", err, r.Problems)
			}
			all, err := db.Alerts(AlertFilter{})
			if err != nil {
				t.Fatal(err)
			}
			q := AlertQuery{Status: StatusNew, Sort: SortConfidence, Limit: 20}
			wantIDs, wantTotal, wantCounts := queryInMemory(all, q)
			page, err := db.QueryAlerts(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []uint64
			for _, a := range page.Alerts {
				got = append(got, a.ID)
			}
			if !slices.Equal(got, wantIDs) || page.Total != wantTotal || fmt.Sprint(page.Counts) != fmt.Sprint(wantCounts) || wantTotal == 0 {
				t.Fatalf("got %v %d %v, want %v %d %v", got, page.Total, page.Counts, wantIDs, wantTotal, wantCounts)
			}
		})
	}
}

func TestVerifyFindsAlertIndexDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(tx *bolt.Tx) error
		where  string // a problem's place starts with it, when set
	}{
		{"entry missing", func(tx *bolt.Tx) error {
			k, _ := tx.Bucket(bucketAlertsByStatus).Cursor().First()
			return tx.Bucket(bucketAlertsByStatus).Delete(k)
		}, ""},
		{"fingerprint entry missing", func(tx *bolt.Tx) error {
			k, _ := tx.Bucket(bucketAlertsByFingerprint).Cursor().Last()
			return tx.Bucket(bucketAlertsByFingerprint).Delete(k)
		}, "alertsbyfingerprint/"},
		{"fingerprint entry under another fingerprint", func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketAlertsByFingerprint)
			k, _ := b.Cursor().First()
			moved := bytes.Clone(k)
			moved[7]++
			if err := b.Delete(k); err != nil {
				return err
			}
			return b.Put(moved, nil)
		}, "alertsbyfingerprint/"},
		{"entry of no alert", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAlertsByConfidence).Put([]byte("\x03new-and-more"), nil)
		}, ""},
		{"count off by one", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAlertCounts).Put([]byte("anew"), binary.BigEndian.AppendUint64(nil, 1000))
		}, ""},
		{"stale entry after a status change", func(tx *bolt.Tx) error {
			a := &Alert{}
			if err := decodeAlert(tx.Bucket(bucketAlerts).Get(store.IDKey(1)), a); err != nil {
				return err
			}
			a.Status = StatusDismissed
			v, err := encodeAlert(a)
			if err != nil {
				return err
			}
			return tx.Bucket(bucketAlerts).Put(store.IDKey(1), v) // bypasses putAlert
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newAlertWorld(t, 7)
			for range 20 {
				w.record(t)
			}
			w.db.Close()
			mutate(t, w.path, tc.damage)
			r := verifyFile(t, w.path)
			if r.OK() {
				t.Fatal("verify found nothing")
			}
			for _, p := range r.Problems {
				if !strings.HasPrefix(p.Where, tc.where) {
					t.Errorf("problem at %s, want under %s: %s", p.Where, tc.where, p.What)
				}
			}
		})
	}
}

// TestQueryAlertsDeepPages pages far into orders the index does not keep
// (confidence within a site or a date range), where the page end passes
// maxInsertionRank, and into the ones it does.
func TestQueryAlertsDeepPages(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	fps, err := db.Register(ctx, "c1", "case", []index.Registration{{Source: "x", Print: hashingtest.Image(1, 2, 3)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	end := seedAlertsBulk(t, db, fps[0].ID, 3*maxInsertionRank)
	all, err := db.Alerts(AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []AlertQuery{
		{Site: "board", Sort: SortConfidence, Offset: maxInsertionRank - 10, Limit: 50},
		{From: worldEpoch.Add(end.Sub(worldEpoch) / 5), Sort: SortConfidence, Offset: maxInsertionRank + 7, Limit: 200},
		{Status: StatusNew, Sort: SortConfidence, Offset: maxInsertionRank, Limit: 100},
		{Sort: SortNewest, Offset: 2*maxInsertionRank + 3, Limit: 1000},
	} {
		wantIDs, wantTotal, wantCounts := queryInMemory(all, q)
		page, err := db.QueryAlerts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		for _, a := range page.Alerts {
			got = append(got, a.ID)
		}
		if len(wantIDs) == 0 || !slices.Equal(got, wantIDs) || page.Total != wantTotal || fmt.Sprint(page.Counts) != fmt.Sprint(wantCounts) {
			t.Fatalf("%+v:\n got %v %d %v\nwant %v %d %v", q, got, page.Total, page.Counts, wantIDs, wantTotal, wantCounts)
		}
	}
}

func TestQueryAlertsRefusesBadQueries(t *testing.T) {
	db, _ := openTemp(t)
	for _, q := range []AlertQuery{
		{Status: "lost"},
		{Sort: 9},
		{Limit: -1},
		{Limit: MaxAlertPage + 1},
		{Offset: -5, Limit: 1},
	} {
		if _, err := db.QueryAlerts(context.Background(), q); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v: got %v, want store.ErrInvalid", q, err)
		}
	}
	page, err := db.QueryAlerts(context.Background(), AlertQuery{Limit: MaxAlertPage})
	if err != nil || page.Total != 0 || len(page.Alerts) != 0 || len(page.Counts) != 0 {
		t.Fatalf("empty database: %+v %v", page, err)
	}
}

// seedAlertsBulk writes n synthetic alerts the way RecordAlert does
// (putAlert with its index entries, the de-duplication key), ten thousand to
// a transaction: fsyncing each of 200,000 alerts would take the benchmark
// minutes. Statuses, sites and distances vary as in a busy centre.
// It returns the last alert's creation time.
func seedAlertsBulk(b testing.TB, db *testDB, fp uint64, n int) time.Time {
	b.Helper()
	return seedAlerts(b, db, fp, "", n, func(rng *rand.Rand) Status {
		switch r := rng.IntN(10); {
		case r < 3:
			return StatusDismissed
		case r < 5:
			return StatusConfirmed
		case r < 6:
			return StatusRemoved
		}
		return StatusNew
	})
}

// seedAlerts is seedAlertsBulk with the alerts' centre (of case c1) and
// their statuses drawn by status.
func seedAlerts(b testing.TB, db *testDB, fp uint64, centre string, n int, status func(*rand.Rand) Status) time.Time {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	at := worldEpoch
	for done := 0; done < n; {
		err := db.Update(func(tx *bolt.Tx) error {
			alerts, keys := tx.Bucket(bucketAlerts), tx.Bucket(bucketAlertKeys)
			for end := min(n, done+10000); done < end; done++ {
				id, err := alerts.NextSequence()
				if err != nil {
					return err
				}
				at = at.Add(time.Duration(rng.IntN(600)) * time.Second)
				sha := sha256.Sum256(binary.BigEndian.AppendUint64(nil, id))
				a := Alert{ID: id, Status: status(rng), Centre: centre, Case: "c1", Fingerprint: fp, Site: worldSites[rng.IntN(len(worldSites))],
					PageURL: "http://board.example/p", MediaURL: "http://board.example/m.jpg", MediaSHA256: fmt.Sprintf("%x", sha),
					Algorithm: string(hashing.PDQ), Distance: rng.IntN(32), CreatedAt: at, UpdatedAt: at,
					Sightings: []Sighting{{PageURL: "http://board.example/p", MediaURL: "http://board.example/m.jpg", FirstSeen: at, LastSeen: at}}}
				if err := keys.Put(alertKey(sha, fp), store.IDKey(id)); err != nil {
					return err
				}
				if err := putAlert(alerts, &a); err != nil {
					return err
				}
			}
			return nil
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	return at
}

// BenchmarkQueryAlerts measures one queue page of 50 at 2,000 and 200,000
// alerts, through the indexes and, for comparison, the way the console
// did it before (decode every alert, filter, count, sort):
//
//	go test -run '^$' -bench 'BenchmarkQueryAlerts/.*/^[^:]*$' -benchtime 50x ./index
//
// (the pattern leaves out the before:decode-all comparison, which takes
// seconds per page at 200,000 alerts).
func BenchmarkQueryAlerts(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{2000, 200000} {
		db, err := openDB(b.TempDir()+"/hw.db", store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		fps, err := db.Register(ctx, "c1", "case", []index.Registration{{Source: "x", Print: hashingtest.Image(1, 2, 3)}}, store.Actor{})
		if err != nil {
			b.Fatal(err)
		}
		end := seedAlertsBulk(b, db, fps[0].ID, n)
		for _, tc := range []struct {
			name string
			q    AlertQuery
		}{
			{"new/newest", AlertQuery{Status: StatusNew, Limit: 50}},
			{"new/confidence", AlertQuery{Status: StatusNew, Sort: SortConfidence, Limit: 50}},
			{"new/confidence/page-20", AlertQuery{Status: StatusNew, Sort: SortConfidence, Offset: 950, Limit: 50}},
			{"all/newest", AlertQuery{Limit: 50}},
			{"site/new/confidence", AlertQuery{Status: StatusNew, Site: "board", Sort: SortConfidence, Limit: 50}},
			{"case+site/new/newest", AlertQuery{Status: StatusNew, Site: "board", Case: "c1", Limit: 50}},
			{"last-30-days/new/newest", AlertQuery{Status: StatusNew, From: end.AddDate(0, 0, -30), Limit: 50}},
			{"first-half/new/newest", AlertQuery{Status: StatusNew, To: worldEpoch.Add(end.Sub(worldEpoch) / 2), Limit: 50}},
			{"middle-third/confidence", AlertQuery{From: worldEpoch.Add(end.Sub(worldEpoch) / 3), To: worldEpoch.Add(end.Sub(worldEpoch) * 2 / 3), Sort: SortConfidence, Limit: 50}},
			{"since-start/new/newest", AlertQuery{Status: StatusNew, From: worldEpoch, Limit: 50}},
		} {
			b.Run(fmt.Sprintf("%d/%s", n, tc.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := db.QueryAlerts(ctx, tc.q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(fmt.Sprintf("%d/before:decode-all/new/confidence", n), func(b *testing.B) {
			for b.Loop() {
				all, err := db.Alerts(AlertFilter{})
				if err != nil {
					b.Fatal(err)
				}
				queryInMemory(all, AlertQuery{Status: StatusNew, Sort: SortConfidence, Limit: 50})
			}
		})
		db.Close()
	}
}

// BenchmarkRebuildAlertIndex measures what the first Open of a file written
// before the indexes spends building them, at 200,000 alerts:
//
//	go test -run '^$' -bench BenchmarkRebuildAlertIndex -benchtime 1x ./index
func BenchmarkRebuildAlertIndex(b *testing.B) {
	db, err := openDB(b.TempDir()+"/hw.db", store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	fps, err := db.Register(context.Background(), "c1", "case", []index.Registration{{Source: "x", Print: hashingtest.Image(1, 2, 3)}}, store.Actor{})
	if err != nil {
		b.Fatal(err)
	}
	seedAlertsBulk(b, db, fps[0].ID, 200000)
	for b.Loop() {
		if err := db.Update(rebuildAlertIndex, nil); err != nil {
			b.Fatal(err)
		}
	}
}
