package index

import (
	"context"
	"sync"
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/store"
)

// TestTheWatermarkNeverRunsAheadOfTheMatcher registers while other
// goroutines read the watermark and match at once: whenever the watermark
// says fingerprint N is covered, a match made after reading it must find N.
// Reading bbolt's sequence instead fails this (the sequence moves at commit,
// before the matcher takes the fingerprint in).
func TestTheWatermarkNeverRunsAheadOfTheMatcher(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	const n = 40
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				wm, err := db.FingerprintWatermark()
				if err != nil || wm == 0 {
					continue
				}
				// Fingerprint wm was registered with hashingtest.Image(code(wm), …).
				ms, err := db.Match(ctx, hashingtest.Image(code(wm), code(wm), 0), hashing.DefaultRule())
				if err != nil {
					t.Error(err)
					return
				}
				found := false
				for _, m := range ms {
					found = found || m.Fingerprint == wm
				}
				if !found {
					t.Errorf("watermark %d, but a match after reading it does not find fingerprint %d", wm, wm)
					return
				}
			}
		})
	}
	for i := uint64(1); i <= n; i++ {
		if _, err := db.Register(ctx, "c", "", []Registration{{Print: hashingtest.Image(code(i), code(i), byte(i))}}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if wm, _ := db.FingerprintWatermark(); wm != n {
		t.Fatalf("watermark %d after %d registrations", wm, n)
	}
	db.Close()
	db2, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if wm, _ := db2.FingerprintWatermark(); wm != n {
		t.Fatalf("watermark %d after reopening, want %d", wm, n)
	}
}

// code spreads registration i's hashes far from every other's.
func code(i uint64) uint64 { return i * 0x9E3779B97F4A7C15 }
