package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

func TestRemovalBinSortsAsDurations(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    time.Duration
		want uint16
	}{
		{"a negative time counts as none", -time.Hour, 0},
		{"under a second", 999 * time.Millisecond, 0},
		{"whole seconds below a minute and four", 63 * time.Second, 63},
		{"64 s opens the log-scale bins", 64 * time.Second, 64},
		{"65 s shares 64 s's bin (2 s wide)", 65 * time.Second, 64},
		{"127 s ends the first doubling", 127 * time.Second, 95},
		{"128 s opens the next", 128 * time.Second, 96},
		{"a year", 365 * 24 * time.Hour, uint16(64 + 18*32 + (365*24*3600)>>19 - 32)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := removalBin(tc.d); got != tc.want {
				t.Errorf("removalBin(%v) = %d, want %d", tc.d, got, tc.want)
			}
		})
	}
	prev := uint16(0)
	for s := int64(0); s <= math.MaxInt64/int64(time.Second); s = s*17/16 + 1 {
		b := removalBin(time.Duration(s) * time.Second)
		if b < prev {
			t.Fatalf("removalBin(%d s) = %d after %d: bins must sort as durations", s, b, prev)
		}
		prev = b
	}
}

// counters reads the dashboard's counters of w's file: bucket → key → count
// (alertremovals: key → 1).
func dashboardCounters(t *testing.T, db *testDB) map[string]map[string]uint64 {
	t.Helper()
	out := map[string]map[string]uint64{}
	err := db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketAlertCreated, bucketAlertRemovalBins, bucketAlertRemovals, bucketAlertNoticeSent} {
			m := map[string]uint64{}
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				n := uint64(1)
				if len(v) == 8 {
					n = binary.BigEndian.Uint64(v)
				}
				m[fmt.Sprintf("%x", k)] = n
				return nil
			})
			if err != nil {
				return err
			}
			out[string(name)] = m
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDashboardCountersFollowEveryWrite(t *testing.T) {
	hour := func(t time.Time) string { return fmt.Sprintf("%x", hourKey(hourOf(t))) }
	bin := func(site string, d time.Duration) string {
		return fmt.Sprintf("%x", binary.BigEndian.AppendUint16(lp2(nil, site), removalBin(d)))
	}
	removal := func(site string, d time.Duration, id uint64) string {
		k := binary.BigEndian.AppendUint16(lp2(nil, site), removalBin(d))
		return fmt.Sprintf("%x", binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(k, uint64(d)), id))
	}
	sent := func(at time.Time, notice, id uint64) string {
		return fmt.Sprintf("%x", binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(timeKey(nil, at), notice), id))
	}
	t0 := worldEpoch.Add(30 * time.Minute)
	for _, tc := range []struct {
		name string
		// do acts on a world whose alert 1 was created at t0 on site
		// "board" and returns the clock it ended at.
		do   func(t *testing.T, w *alertWorld)
		want func() map[string]map[string]uint64
	}{
		{"a new alert counts in its creation hour", func(t *testing.T, w *alertWorld) {},
			func() map[string]map[string]uint64 {
				return map[string]map[string]uint64{"alertcreated": {hour(t0): 1}, "alertremovalbins": {}, "alertremovals": {}}
			}},
		{"a second sighting counts nothing", func(t *testing.T, w *alertWorld) { w.sight(t, 1) },
			func() map[string]map[string]uint64 {
				return map[string]map[string]uint64{"alertcreated": {hour(t0): 1}, "alertremovalbins": {}, "alertremovals": {}}
			}},
		{"confirming changes no dashboard counter", func(t *testing.T, w *alertWorld) { w.confirm(t, 1) },
			func() map[string]map[string]uint64 {
				return map[string]map[string]uint64{"alertcreated": {hour(t0): 1}, "alertremovalbins": {}, "alertremovals": {}}
			}},
		{"a removal adds its time to the site's bin", func(t *testing.T, w *alertWorld) {
			w.confirm(t, 1)
			w.check(t, 1, CheckGone, 5*time.Hour)
		}, func() map[string]map[string]uint64 {
			return map[string]map[string]uint64{"alertcreated": {hour(t0): 1},
				"alertremovalbins": {bin("board", 5*time.Hour): 1}, "alertremovals": {removal("board", 5*time.Hour, 1): 1}}
		}},
		{"a reappearance takes the removal back", func(t *testing.T, w *alertWorld) {
			w.confirm(t, 1)
			w.check(t, 1, CheckGone, 5*time.Hour)
			w.check(t, 1, CheckPresent, time.Hour)
		}, func() map[string]map[string]uint64 {
			return map[string]map[string]uint64{"alertcreated": {hour(t0): 1}, "alertremovalbins": {}, "alertremovals": {}}
		}},
		{"a second removal is timed from the reappearance", func(t *testing.T, w *alertWorld) {
			w.confirm(t, 1)
			w.check(t, 1, CheckGone, 5*time.Hour)
			w.check(t, 1, CheckPresent, time.Hour)
			w.check(t, 1, CheckGone, 3*time.Minute)
		}, func() map[string]map[string]uint64 {
			return map[string]map[string]uint64{"alertcreated": {hour(t0): 1},
				"alertremovalbins": {bin("board", 3*time.Minute): 1}, "alertremovals": {removal("board", 3*time.Minute, 1): 1}}
		}},
		{"a notice sent lists the alert under it", func(t *testing.T, w *alertWorld) {
			w.confirm(t, 1)
			w.noticeSent(t, 1, 7, time.Hour)
		}, func() map[string]map[string]uint64 {
			return map[string]map[string]uint64{"alertcreated": {hour(t0): 1}, "alertnoticesent": {sent(t0.Add(time.Hour), 7, 1): 1}}
		}},
		{"a reminder moves it to the new notice", func(t *testing.T, w *alertWorld) {
			w.confirm(t, 1)
			w.noticeSent(t, 1, 7, time.Hour)
			w.noticeSent(t, 1, 9, 48*time.Hour)
		}, func() map[string]map[string]uint64 {
			return map[string]map[string]uint64{"alertcreated": {hour(t0): 1}, "alertnoticesent": {sent(t0.Add(49*time.Hour), 9, 1): 1}}
		}},
		{"removal takes it off the notice's list", func(t *testing.T, w *alertWorld) {
			w.confirm(t, 1)
			w.noticeSent(t, 1, 7, time.Hour)
			w.check(t, 1, CheckGone, 2*time.Hour)
		}, func() map[string]map[string]uint64 {
			return map[string]map[string]uint64{"alertcreated": {hour(t0): 1},
				"alertremovalbins": {bin("board", 3*time.Hour): 1}, "alertremovals": {removal("board", 3*time.Hour, 1): 1}}
		}},
		{"a failed check changes nothing", func(t *testing.T, w *alertWorld) {
			w.confirm(t, 1)
			w.check(t, 1, CheckGone, 5*time.Hour)
			w.check(t, 1, CheckFailed, time.Hour)
		}, func() map[string]map[string]uint64 {
			return map[string]map[string]uint64{"alertcreated": {hour(t0): 1},
				"alertremovalbins": {bin("board", 5*time.Hour): 1}, "alertremovals": {removal("board", 5*time.Hour, 1): 1}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newAlertWorld(t, 7)
			w.clock = t0
			w.recordAt(t, "board", 0)
			tc.do(t, w)
			want := tc.want()
			for _, name := range []string{"alertcreated", "alertremovalbins", "alertremovals", "alertnoticesent"} {
				if want[name] == nil {
					want[name] = map[string]uint64{}
				}
				// Each figure is kept for the nation (scope lp2(""))
				// and again for the alert's centre.
				scoped := map[string]uint64{}
				for k, n := range want[name] {
					scoped[fmt.Sprintf("%x", dashboardScope(""))+k] = n
					scoped[fmt.Sprintf("%x", dashboardScope(centres.National))+k] = n
				}
				want[name] = scoped
			}
			if got := dashboardCounters(t, w.db); !reflect.DeepEqual(got, want) {
				t.Errorf("counters\n got %v\nwant %v", got, want)
			}
		})
	}
}

// recordAt records a new alert of media n on site at the world's clock.
func (w *alertWorld) recordAt(t testing.TB, site string, media int) {
	t.Helper()
	w.n = max(w.n, media+1)
	c := worldCases[media%len(worldCases)]
	if _, _, err := w.db.RecordAlert(context.Background(), w.input(site, media, c)); err != nil {
		t.Fatal(err)
	}
}

// sight records media 0 again at another page.
func (w *alertWorld) sight(t testing.TB, id uint64) {
	t.Helper()
	a, err := w.db.Alert(id)
	if err != nil {
		t.Fatal(err)
	}
	in := w.input(a.Site, 0, a.Case)
	in.Sighting.PageURL = "http://x.example/other"
	if _, created, err := w.db.RecordAlert(context.Background(), in); err != nil || created {
		t.Fatalf("second sighting: created %v, %v", created, err)
	}
}

func (w *alertWorld) confirm(t testing.TB, id uint64) {
	t.Helper()
	if _, err := w.db.DecideAlert(context.Background(), id, StatusConfirmed, "", store.Actor{}); err != nil {
		t.Fatal(err)
	}
}

// noticeSent marks notice sent for alert id after d on the world's clock.
func (w *alertWorld) noticeSent(t testing.TB, id, notice uint64, d time.Duration) {
	t.Helper()
	w.clock = w.clock.Add(d)
	if err := w.db.rawUpdate(func(tx *bolt.Tx) error { return NoticeSentIn(tx, id, notice, w.clock) }); err != nil {
		t.Fatal(err)
	}
}

// check records a re-check outcome after d on the world's clock.
func (w *alertWorld) check(t testing.TB, id uint64, o CheckOutcome, d time.Duration) {
	t.Helper()
	w.clock = w.clock.Add(d)
	if _, err := w.db.RecordCheck(context.Background(), id, Check{At: w.clock, Outcome: o}, w.clock.Add(time.Hour)); err != nil && !errors.Is(err, ErrNotChecked) {
		t.Fatal(err)
	}
}

// dashboardZones are the zones the kept figures are checked in: whole-hour
// offsets, half and quarter hours (whose midnights cut hours), and one
// with daylight saving time.
func dashboardZones(t *testing.T) []*time.Location {
	t.Helper()
	zones := []*time.Location{time.UTC, time.FixedZone("KST", 9*3600), time.FixedZone("IST", 5*3600+1800),
		time.FixedZone("NPT", 5*3600+2700), time.FixedZone("NST", -(3*3600 + 1800))}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny)
	}
	return zones
}

// TestDashboardKeptEqualsScan runs random sequences of every alert write
// the dashboard depends on, over cases of several centres, and checks
// after each stage that the kept figures give the dashboard that scanning
// every alert gives, for the nation and for each centre (and one with no
// alerts), in several zones, over several spans, and that verify finds the
// counters consistent.
func TestDashboardKeptEqualsScan(t *testing.T) {
	ctx := context.Background()
	zones := dashboardZones(t)
	scopes := []string{"", centres.National, "seoul", "busan", "daegu"}
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			w := newAlertWorldIn(t, seed, []string{centres.National, "seoul", "busan"})
			removals := 0 // the most removals a compared dashboard had
			compare := func(stage string) {
				t.Helper()
				err := w.db.View(func(tx *bolt.Tx) error {
					for _, loc := range zones {
						for _, days := range []int{1, 7, 30, 366} {
							for _, now := range []time.Time{w.clock, w.clock.Add(-36 * time.Hour), worldEpoch.Add(time.Duration(w.rng.Int64N(int64(w.clock.Sub(worldEpoch) + 1))))} {
								loc, first, today, n := dashboardRange(now, loc, days)
								for _, centre := range scopes {
									got, err := dashboardFromIndex(tx, centre, first, today, loc, n)
									if err != nil {
										return err
									}
									want, err := dashboardScan(tx, centre, first, today, loc, n)
									if err != nil {
										return err
									}
									for _, r := range want.Removal {
										removals = max(removals, r.Removed)
									}
									if !reflect.DeepEqual(got, want) {
										t.Fatalf("%s: centre %q, %v, %d days at %v:\n got %+v\nwant %+v", stage, centre, loc, days, now, got, want)
									}
								}
							}
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if r, err := w.db.Verify(ctx); err != nil || !r.OK() {
					t.Fatalf("%s: verify: %v %v", stage, err, r.Problems)
				}
			}
			for range 200 {
				w.record(t)
			}
			compare("new alerts")
			for range 300 {
				id := uint64(1 + w.rng.IntN(w.n))
				switch w.rng.IntN(6) {
				case 0:
					w.record(t)
				case 1:
					w.setStatus(t)
				case 2:
					if _, err := w.db.DecideAlert(ctx, id, StatusConfirmed, "", store.Actor{}); err != nil && !errors.Is(err, store.ErrConflict) {
						t.Fatal(err)
					}
				case 3:
					err := w.db.rawUpdate(func(tx *bolt.Tx) error { return NoticeSentIn(tx, id, uint64(w.rng.IntN(5)+1), w.clock) })
					if err != nil {
						t.Fatal(err)
					}
				default:
					o := []CheckOutcome{CheckGone, CheckGone, CheckPresent, CheckFailed}[w.rng.IntN(4)]
					w.check(t, id, o, time.Duration(w.rng.Int64N(int64(30*24*time.Hour))))
				}
			}
			compare("lifecycle and removal checks")
			if removals < 5 {
				t.Fatalf("the random lifecycle made at most %d removals on a site: too few to test percentiles", removals)
			}
			if _, _, err := w.db.WithdrawIn(ctx, w.centreOf["c2"], "c2", store.Actor{}); err != nil {
				t.Fatal(err)
			}
			compare("after withdrawing c2")

			// A file written by the build before the kept figures (index
			// version 3, their buckets empty) is migrated at Open; opened
			// read-only before that, it is scanned.
			w.db.Close()
			mutate(t, w.path, func(tx *bolt.Tx) error {
				for _, name := range [][]byte{bucketAlertCreated, bucketAlertRemovals, bucketAlertRemovalBins, bucketAlertNoticeSent} {
					if err := tx.DeleteBucket(name); err != nil {
						return err
					}
					if _, err := tx.CreateBucket(name); err != nil {
						return err
					}
				}
				return tx.Bucket(bucketMeta).Put(keyAlertIndexVersion, binary.BigEndian.AppendUint32(nil, 3))
			})
			ro, err := openDB(w.path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			var scanned Dashboard
			err = ro.View(func(tx *bolt.Tx) error {
				scanned, err = DashboardIn(tx, w.clock, nil, 30)
				return err
			})
			ro.Close()
			if err != nil {
				t.Fatal(err)
			}
			db, err := openDB(w.path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			w.db = db
			t.Cleanup(func() { db.Close() })
			var kept Dashboard
			err = db.View(func(tx *bolt.Tx) error {
				if !alertIndexCurrent(tx) {
					return errors.New("Open did not build the kept figures")
				}
				kept, err = DashboardIn(tx, w.clock, nil, 30)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(kept, scanned) {
				t.Fatalf("after migration:\n got %+v\nwant %+v", kept, scanned)
			}
			// The version before per-centre figures (6) is rebuilt too.
			db.Close()
			mutate(t, w.path, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(keyAlertIndexVersion, binary.BigEndian.AppendUint32(nil, 6))
			})
			if db, err = openDB(w.path, store.Options{}); err != nil {
				t.Fatal(err)
			}
			w.db = db
			t.Cleanup(func() { db.Close() })
			compare("after migration")
		})
	}
}

func TestVerifyFindsDashboardCounterDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(tx *bolt.Tx) error
	}{
		{"a created-hour count off by one", func(tx *bolt.Tx) error {
			k, v := tx.Bucket(bucketAlertCreated).Cursor().First()
			return tx.Bucket(bucketAlertCreated).Put(k, binary.BigEndian.AppendUint64(nil, binary.BigEndian.Uint64(v)+1))
		}},
		{"a removal time missing", func(tx *bolt.Tx) error {
			k, _ := tx.Bucket(bucketAlertRemovals).Cursor().First()
			return tx.Bucket(bucketAlertRemovals).Delete(k)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newAlertWorld(t, 3)
			w.clock = worldEpoch
			w.recordAt(t, "board", 0)
			w.confirm(t, 1)
			w.check(t, 1, CheckGone, time.Hour)
			w.db.Close()
			mutate(t, w.path, tc.damage)
			if r := verifyFile(t, w.path); r.OK() {
				t.Fatal("verify found nothing")
			}
		})
	}
}

// input is an alert input for media n of case c on site, as record makes.
func (w *alertWorld) input(site string, media int, c string) AlertInput {
	return AlertInput{
		Site: site, MediaSHA256: sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(media))),
		Match:    index.Match{Fingerprint: w.fps[c], Case: c, Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 3}},
		Sighting: Sighting{PageURL: "http://x.example/p", MediaURL: "http://x.example/m.jpg"},
	}
}
