package alerts

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// toIndexVersion7 makes a closed file look as a build before the
// fingerprint index left it: no alertsbyfingerprint bucket, alert index
// version 7.
func toIndexVersion7(t *testing.T, path string) {
	t.Helper()
	mutate(t, path, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketAlertsByFingerprint); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyAlertIndexVersion, binary.BigEndian.AppendUint32(nil, 7))
	})
}

// metaOf reads a meta key of a closed file.
func metaOf(t *testing.T, path string, key []byte) []byte {
	t.Helper()
	var out []byte
	mutate(t, path, func(tx *bolt.Tx) error {
		out = append(out, tx.Bucket(bucketMeta).Get(key)...)
		return nil
	})
	return out
}

// seedVersion7 writes a file at alert index version 7 holding alerts of
// three fingerprints in two cases, in several statuses, and returns its
// path and the fingerprints.
func seedVersion7(t *testing.T) (string, []uint64) {
	t.Helper()
	ctx := context.Background()
	db, clk := openFloodDB(t)
	if err := db.SetFloodLimit(FloodLimit{}); err != nil {
		t.Fatal(err)
	}
	var fps []uint64
	for i, c := range []string{"c1", "c1", "c2"} {
		f, err := db.Register(ctx, c, "", []index.Registration{{Print: hashingtest.Image(uint64(i+1)<<8, uint64(i+1)<<16, byte(i))}}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		fps = append(fps, f[0].ID)
	}
	for i := range 30 {
		fp := fps[i%3]
		a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(i), Match: index.Match{Fingerprint: fp, Case: []string{"c1", "c1", "c2"}[i%3]}})
		if err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			if _, err := db.DecideAlert(ctx, a.ID, StatusDismissed, "not it", store.Actor{User: "op"}); err != nil {
				t.Fatal(err)
			}
		}
		clk.advance(time.Minute)
	}
	path := db.Path()
	db.Close()
	toIndexVersion7(t, path)
	return path, fps
}

func TestOpenBuildsTheFingerprintIndexOfAVersion7File(t *testing.T) {
	ctx := context.Background()
	path, fps := seedVersion7(t)
	writes := metaOf(t, path, keyAlertIndexWrites)

	r := verifyFile(t, path)
	if r.OK() || !strings.Contains(fmt.Sprint(r.Problems), "version 8") {
		t.Fatalf("verify of a version 7 file: %+v", r.Problems)
	}

	db, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, db)
	// The other indexes were kept, not rebuilt: the figures' version (and
	// so the console's kept dashboard) is unchanged.
	if v, err := db.FiguresVersion(); err != nil || v != binary.BigEndian.Uint64(writes) {
		t.Errorf("figures version %d, %v; want %d", v, err, binary.BigEndian.Uint64(writes))
	}
	// The built index serves a crossing: the hub's waiting alerts, raised
	// before the migration, are held.
	hub := fps[0]
	waiting := len(idsOf(t, db, hub, StatusNew))
	if err := db.SetFloodLimit(FloodLimit{Media: 1, Window: time.Hour}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(1000 + i), Match: index.Match{Fingerprint: hub, Case: "c1"}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(idsOf(t, db, hub, StatusQuarantined)); got != waiting+2 || len(idsOf(t, db, hub, StatusNew)) != 0 {
		t.Errorf("after the crossing %d held, want %d", got, waiting+2)
	}
	if got := len(idsOf(t, db, fps[1], StatusQuarantined)); got != 0 {
		t.Errorf("another fingerprint has %d held alerts", got)
	}
	mustVerify(t, db)
	db.Close()
	if p := metaOf(t, path, keyAlertIndexBuild); p != nil {
		t.Errorf("progress record left behind: %x", p)
	}
}

func TestAnInterruptedFingerprintIndexBuildFinishesAtTheNextOpen(t *testing.T) {
	added := [][]byte{bucketAlertsByFingerprint}
	tests := []struct {
		name string
		// after is what happened once a first batch of 7 committed.
		after func(tx *bolt.Tx) error
	}{
		{"stopped after a batch", nil},
		{"stopped after a batch, then an older build wrote alerts", func(tx *bolt.Tx) error {
			// Its writes count, and an entry the partial index must not keep.
			if err := countIndexWrite(tx); err != nil {
				return err
			}
			return tx.Bucket(bucketAlertsByFingerprint).Put(append(lp(store.IDKey(99), StatusNew), make([]byte, 20)...), nil)
		}},
		{"stopped after a batch, then the layout was rebuilt", func(tx *bolt.Tx) error {
			return rebuildAlertIndex(tx)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := seedVersion7(t)
			mutate(t, path, func(tx *bolt.Tx) error {
				if _, err := tx.CreateBucket(bucketAlertsByFingerprint); err != nil { // as store.Open does
					return err
				}
				done, err := buildAddedStep(tx, added, 7)
				if done {
					t.Fatal("a batch of 7 indexed all 30 alerts")
				}
				return err
			})
			if metaOf(t, path, keyAlertIndexBuild) == nil {
				t.Fatal("no progress recorded")
			}
			if tt.after != nil {
				mutate(t, path, tt.after)
			}
			db, err := openDB(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			mustVerify(t, db)
			db.Close()
			if p := metaOf(t, path, keyAlertIndexBuild); p != nil {
				t.Errorf("progress record left behind: %x", p)
			}
		})
	}
}

// TestKilledFingerprintIndexBuild kills (SIGKILL) a process building the
// fingerprint index one alert to a transaction, part way: the file must
// open and finish the build.
func TestKilledFingerprintIndexBuild(t *testing.T) {
	if path := os.Getenv("HASHWATCH_TEST_BUILD_CHILD"); path != "" {
		buildChild(t, path)
		return
	}
	path := t.TempDir() + "/hw.db"
	db, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fps, err := db.Register(context.Background(), "c1", "", []index.Registration{{Print: hashingtest.Image(1, 2, 3)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	seedAlerts(t, db, fps[0].ID, centres.National, 2000, func(rng *rand.Rand) Status { return worldStatuses[rng.IntN(len(worldStatuses))] })
	db.Close()
	toIndexVersion7(t, path)

	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledFingerprintIndexBuild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HASHWATCH_TEST_BUILD_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for n := 0; n < 50; {
		if !lines.Scan() {
			t.Fatalf("child ended after %d batches: %v", n, lines.Err())
		}
		if lines.Text() == "batch" {
			n++
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if v := metaOf(t, path, keyAlertIndexVersion); binary.BigEndian.Uint32(v) != 7 || metaOf(t, path, keyAlertIndexBuild) == nil {
		t.Fatalf("killed child left version %x and no progress: it was not killed part way", v)
	}
	db, err = openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustVerify(t, db)
	if got := len(idsOf(t, db, fps[0].ID, StatusNew)); got == 0 {
		t.Error("no new alerts seeded")
	}
}

// buildChild is TestKilledFingerprintIndexBuild's child: it builds the
// index of the file at path one alert to a transaction, saying "batch"
// after each commit, until killed.
func buildChild(t *testing.T, path string) {
	st, err := store.Open(path, store.Options{Migrations: index.Migrations()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for done := false; !done; {
		if err := st.Update(func(tx *bolt.Tx) error {
			var err error
			done, err = buildAddedStep(tx, [][]byte{bucketAlertsByFingerprint}, 1)
			return err
		}, nil); err != nil {
			t.Fatal(err)
		}
		fmt.Println("batch")
	}
}

// BenchmarkBuildFingerprintIndex measures what the first open of a version
// 7 file with 100,000 alerts spends building the fingerprint index, in
// transactions of alertIndexBatch alerts (ms/batch: how long each holds
// the write lock):
//
//	go test -run '^$' -bench BenchmarkBuildFingerprintIndex -benchtime 3x ./alerts
func BenchmarkBuildFingerprintIndex(b *testing.B) {
	db, err := openDB(b.TempDir()+"/hw.db", store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	fps, err := db.Register(context.Background(), "c1", "", []index.Registration{{Print: hashingtest.Image(1, 2, 3)}}, store.Actor{})
	if err != nil {
		b.Fatal(err)
	}
	const n = 100000
	seedAlertsBulk(b, db, fps[0].ID, n)
	for b.Loop() {
		b.StopTimer()
		if err := db.rawUpdate(func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(bucketAlertsByFingerprint); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(bucketAlertsByFingerprint); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keyAlertIndexVersion, binary.BigEndian.AppendUint32(nil, 7))
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := buildAddedIndexes(db.DB, [][]byte{bucketAlertsByFingerprint}, alertIndexBatch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64((n+alertIndexBatch-1)/alertIndexBatch), "ms/batch")
}
