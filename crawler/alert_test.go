package crawler

import (
	"context"
	"errors"
	"image"
	"path/filepath"
	"testing"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

func TestTheAlertStep(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(filepath.Join(t.TempDir(), "hw.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	print := func(b byte) hashing.Fingerprint {
		c := uint64(b) * 0x0101010101010101
		return hashing.Fingerprint{Kind: hashing.KindImage, Width: 8, Height: 8, SHA256: [32]byte{b},
			Views: []hashing.View{{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{
				{Algorithm: hashing.PDQ, Code: hashing.Code{c, c, c, c}, Quality: 100}}}}}
	}
	kept, err := db.Index.Register(ctx, "kept", "", []index.Registration{{Print: print(1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := db.Index.Register(ctx, "gone", "", []index.Registration{{Print: print(2)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Index.Withdraw(ctx, "gone", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	keptMatch := index.Match{Fingerprint: kept[0].ID, Case: "kept"}
	goneMatch := index.Match{Fingerprint: gone[0].ID, Case: "gone"}
	sighting := func(page string) alerts.Sighting {
		return alerts.Sighting{PageURL: page, MediaURL: "http://s/m.jpg"}
	}

	t.Run("a withdrawn case's match raises nothing, fails nothing and makes no preview", func(t *testing.T) {
		calls := 0
		res := raiseAlerts(ctx, db, nil, found{Site: "s", SHA256: [32]byte{9}, Matches: []index.Match{goneMatch},
			Sighting: sighting("http://s/1"), Preview: func() []byte { calls++; return []byte{0xFF, 0xD8, 0xFF} }})
		rs, errs := res.Raised, res.Refused
		if len(rs) != 0 || len(errs) != 0 || calls != 0 {
			t.Fatalf("raised %+v, errors %v, preview made %d times", rs, errs, calls)
		}
	})
	t.Run("an active match raises one alert with its preview, made once", func(t *testing.T) {
		calls := 0
		res := raiseAlerts(ctx, db, nil, found{Site: "s", SHA256: [32]byte{7}, Matches: []index.Match{goneMatch, keptMatch},
			Sighting: sighting("http://s/1"), Preview: func() []byte { calls++; return tinyJPEG(t) }})
		rs, errs := res.Raised, res.Refused
		if len(errs) != 0 || len(rs) != 1 || !rs[0].Created || rs[0].Alert.Case != "kept" || calls != 1 {
			t.Fatalf("raised %+v, errors %v, preview made %d times", rs, errs, calls)
		}
		if have, _ := db.Alerts.HasPreview([32]byte{7}); !have {
			t.Error("no preview stored with the alert")
		}
	})
	t.Run("the same media seen again adds a sighting to its alert", func(t *testing.T) {
		res := raiseAlerts(ctx, db, nil, found{Site: "s", SHA256: [32]byte{7}, Matches: []index.Match{keptMatch},
			Sighting: sighting("http://s/2")})
		rs, errs := res.Raised, res.Refused
		if len(errs) != 0 || len(rs) != 1 || rs[0].Created || len(rs[0].Alert.Sightings) != 2 {
			t.Fatalf("raised %+v, errors %v", rs, errs)
		}
	})
	t.Run("an alert that cannot be stored stops the step", func(t *testing.T) {
		full := errors.New("no space left on device")
		res := raiseAlerts(ctx, db, func(context.Context, alerts.AlertInput) (alerts.Alert, bool, error) {
			return alerts.Alert{}, false, full
		}, found{Site: "s", SHA256: [32]byte{5}, Matches: []index.Match{keptMatch, keptMatch}, Sighting: sighting("http://s/5")})
		if len(res.Raised) != 0 || !errors.Is(res.Err, full) {
			t.Fatalf("raised %+v, error %v", res.Raised, res.Err)
		}
	})
	t.Run("a reported sighting marks the alert reported", func(t *testing.T) {
		rs := raiseAlerts(ctx, db, nil, found{Site: "s", SHA256: [32]byte{8}, Matches: []index.Match{keptMatch},
			Sighting: sighting("http://s/3"), Reported: true}).Raised
		if len(rs) != 1 || !rs[0].Alert.Reported {
			t.Fatalf("raised %+v", rs)
		}
	})
	t.Run("a cancelled step records nothing and says why", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		res := raiseAlerts(cctx, db, nil, found{Site: "s", SHA256: [32]byte{6}, Matches: []index.Match{keptMatch},
			Sighting: sighting("http://s/4")})
		if len(res.Raised) != 0 || !errors.Is(res.Err, context.Canceled) {
			t.Fatalf("raised %+v, error %v", res.Raised, res.Err)
		}
		if all, _ := db.Alerts.Alerts(alerts.AlertFilter{}); len(all) != 2 {
			t.Fatalf("%d alerts stored, want the 2 raised before", len(all))
		}
	})
}

// tinyJPEG is a blurred preview as hashing.Preview makes them.
func tinyJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	pv, err := hashing.PreviewImage(img)
	if err != nil {
		t.Fatal(err)
	}
	return pv
}
