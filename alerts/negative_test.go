package alerts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// pdqFlip is a quality-q PDQ whose code differs from base in its first n
// bits.
func pdqFlip(base hashing.Code, n, q int) hashing.Hash {
	c := base
	for i := range n {
		c[i/64] ^= 1 << (63 - uint(i%64))
	}
	return hashing.Hash{Algorithm: hashing.PDQ, Code: c, Quality: q}
}

func TestNegativeBankSuppressesTheSamePictureEverywhere(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	fps, err := db.Register(ctx, "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	fps2, err := db.Register(ctx, "c2", "", []index.Registration{{Print: hashingtest.Image(2, 2, 2)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	logo := hashing.Code{0x0123456789ABCDEF, 0xFEDCBA9876543210, 0x0F0F0F0F0F0F0F0F, 0xF0F0F0F0F0F0F0F0}
	a, _, err := db.RecordAlert(ctx, AlertInput{Site: "board", MediaSHA256: mediaSum(1), QueryPDQ: pdqFlip(logo, 0, 90),
		Match:    index.Match{Fingerprint: fps[0].ID, Case: "c1"},
		Sighting: Sighting{PageURL: "http://board/1", MediaURL: "http://board/logo.png"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.QueryPDQ != logo.Hex(256) || a.QueryPDQQuality != 90 {
		t.Fatalf("alert keeps PDQ %q quality %d", a.QueryPDQ, a.QueryPDQQuality)
	}
	op := store.Actor{User: "kim", Remote: "10.0.0.1"}
	if _, _, err := db.AddNegative(ctx, a.ID, "", op); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no reason: %v", err)
	}
	e, da, err := db.AddNegative(ctx, a.ID, "the board's logo", op)
	if err != nil {
		t.Fatal(err)
	}
	if da.Status != StatusDismissed || da.Reason != "the board's logo" || e.SHA256 != a.MediaSHA256 || e.PDQ != a.QueryPDQ || e.AddedBy != "kim" {
		t.Fatalf("entry %+v, alert %s %q", e, da.Status, da.Reason)
	}
	if _, _, err := db.AddNegative(ctx, a.ID, "again", op); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("adding twice: %v", err)
	}
	for _, action := range []string{"alert.dismiss", "negative.add"} {
		if log, _ := db.AuditLog(store.AuditFilter{Action: action}); len(log) != 1 || log[0].User != "kim" {
			t.Errorf("%s audit: %+v", action, log)
		}
	}

	tests := []struct {
		name       string
		sum        [32]byte
		pdq        hashing.Hash
		suppressed bool
	}{
		{"the same bytes on another site and case", mediaSum(1), hashing.Hash{}, true},
		{"a re-encoding a few bits away", mediaSum(2), pdqFlip(logo, 6, 80), true},
		{"a re-encoding at the radius", mediaSum(3), pdqFlip(logo, NegativeRadius, 80), true},
		{"a picture just past the radius", mediaSum(4), pdqFlip(logo, NegativeRadius+1, 80), false},
		{"a weak hash near the entry", mediaSum(5), pdqFlip(logo, 2, negativeMinQuality-1), false},
		{"no PDQ and other bytes", mediaSum(6), hashing.Hash{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, created, err := db.RecordAlert(ctx, AlertInput{Site: "mirror", MediaSHA256: tt.sum, QueryPDQ: tt.pdq,
				Match: index.Match{Fingerprint: fps2[0].ID, Case: "c2"}})
			if tt.suppressed {
				if !errors.Is(err, ErrSuppressed) || created {
					t.Fatalf("created %v, %v; want ErrSuppressed", created, err)
				}
				return
			}
			if err != nil || !created {
				t.Fatalf("created %v, %v; want an alert", created, err)
			}
		})
	}
	// The match via Match.QueryPDQ (what the crawler passes) counts too.
	if _, _, err := db.RecordAlert(ctx, AlertInput{Site: "mirror", MediaSHA256: mediaSum(7),
		Match: index.Match{Fingerprint: fps2[0].ID, Case: "c2", QueryPDQ: pdqFlip(logo, 3, 100)}}); !errors.Is(err, ErrSuppressed) {
		t.Fatalf("PDQ carried by the match: %v", err)
	}
	// A sighting of the dismissed alert is still recorded.
	if _, created, err := db.RecordAlert(ctx, AlertInput{Site: "board", MediaSHA256: mediaSum(1), Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"},
		Sighting: Sighting{PageURL: "http://board/2", MediaURL: "http://board/logo.png"}}); err != nil || created {
		t.Fatalf("sighting of the banked alert: %v %v", created, err)
	}

	list, err := db.Negatives()
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if _, err := db.RemoveNegative(ctx, e.ID, op); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RemoveNegative(ctx, e.ID, op); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
	if _, created, err := db.RecordAlert(ctx, AlertInput{Site: "mirror", MediaSHA256: mediaSum(1), Match: index.Match{Fingerprint: fps2[0].ID, Case: "c2"}}); err != nil || !created {
		t.Fatalf("after removal the picture alerts again: %v %v", created, err)
	}
	if log, _ := db.AuditLog(store.AuditFilter{Action: "negative.remove"}); len(log) != 1 {
		t.Errorf("remove audit: %+v", log)
	}
	mustVerify(t, db)
}

func TestOnlyReviewableAlertsGoToTheNegativeBank(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		status Status
		ok     bool
	}{
		{StatusNew, true}, {StatusConfirmed, true}, {StatusDismissed, true},
		{StatusNoticeSent, false}, {StatusRemoved, false}, {StatusWithdrawn, false},
	} {
		t.Run(string(tt.status), func(t *testing.T) {
			db, _ := openTemp(t)
			fps, err := db.Register(ctx, "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(1), Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.status != StatusNew {
				if _, err := db.SetAlertStatus(ctx, a.ID, tt.status, "x"); err != nil {
					t.Fatal(err)
				}
			}
			_, _, err = db.AddNegative(ctx, a.ID, "logo", store.Actor{User: "kim"})
			if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, store.ErrConflict)) {
				t.Fatalf("%v", err)
			}
		})
	}
}

// The test's flips must be what they claim.
func TestPDQFlipDistance(t *testing.T) {
	base := hashing.Code{1, 2, 3, 4}
	for _, n := range []int{0, 1, 16, 17, 70} {
		if d := pdqFlip(base, n, 100).Code.Distance(base); d != n {
			t.Errorf("flip %d: distance %d", n, d)
		}
	}
}

func TestVerifyFindsABrokenNegativeBankAndQuarantine(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		breakIt func(tx *bolt.Tx) error
		where   string
	}{
		{"a bank entry without its SHA-256 index", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketNegativeSHA).Delete(mediaSumSlice(1))
		}, "negative/1"},
		{"a PDQ of no entry", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketNegativePDQ).Put(store.IDKey(9), make([]byte, 33))
		}, "negativepdq/"},
		{"a held fingerprint that is gone", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("fingerprints")).Delete(store.IDKey(2))
		}, "quarantine/2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openTemp(t)
			fps, err := db.Register(ctx, "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}, {Print: hashingtest.Image(7, 7, 7)}}, store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(1), Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"},
				QueryPDQ: hashing.Hash{Algorithm: hashing.PDQ, Code: hashing.Code{1, 2, 3, 4}, Quality: 90}})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.AddNegative(ctx, a.ID, "logo", store.Actor{User: "kim"}); err != nil {
				t.Fatal(err)
			}
			if err := db.SetFloodLimit(FloodLimit{Media: 1, Window: time.Hour}); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if _, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(10 + i), Match: index.Match{Fingerprint: fps[1].ID, Case: "c1"}}); err != nil {
					t.Fatal(err)
				}
			}
			mustVerify(t, db)
			if err := db.rawUpdate(tt.breakIt); err != nil {
				t.Fatal(err)
			}
			r, err := db.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range r.Problems {
				found = found || strings.HasPrefix(p.Where, tt.where)
			}
			if !found {
				t.Fatalf("no problem under %s: %+v", tt.where, r.Problems)
			}
		})
	}
}

func mediaSumSlice(i int) []byte { s := mediaSum(i); return s[:] }

func TestTheNegativeBankIsBounded(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	fps, err := db.Register(ctx, "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(1), Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"}})
	if err != nil {
		t.Fatal(err)
	}
	// Fill the bank to its limit directly: MaxNegatives additions through
	// AddNegative would cost as many fsyncs.
	err = db.rawUpdate(func(tx *bolt.Tx) error {
		bank := tx.Bucket(bucketNegative)
		for range MaxNegatives {
			id, err := bank.NextSequence()
			if err != nil {
				return err
			}
			if err := bank.Put(store.IDKey(id), []byte{1, '{', '}'}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddNegative(ctx, a.ID, "logo", store.Actor{User: "kim"}); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("adding past the limit: %v", err)
	}
	if got, _ := db.Alert(a.ID); got.Status != StatusNew {
		t.Fatalf("a refused addition changed the alert to %s", got.Status)
	}
}
