package index

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// photo returns the named fixture photo.
func photo(t *testing.T, name string) fixtures.Photo {
	t.Helper()
	for _, p := range append(fixtures.Known(), fixtures.Others()...) {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no fixture photo %s", name)
	return fixtures.Photo{}
}

func TestRegistrationKeepsTheCornerSetUntilWithdrawal(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	h := hashing.NewHasher(hashing.Limits{})
	by := store.Actor{User: "test"}
	castle := photo(t, "dev-018-neuschwansteinCastle.jpg")
	fp, err := h.Image(ctx, castle.Data, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	if fp.Features == nil || len(fp.Features.Points) == 0 {
		t.Fatalf("registration made no corner set: %+v", fp.Features)
	}
	imported := hashingtest.Image(1, 2, 9) // as an imported or older fingerprint: no set
	added, err := db.Register(ctx, "c1", "", []Registration{{Print: fp}, {Print: imported}}, by)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   uint64
		want *features.Set
	}{
		{"a registered picture's set is stored as it was made", added[0].ID, fp.Features},
		{"a fingerprint registered without a set has none", added[1].ID, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Features(tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || got != nil && (got.W != tc.want.W || got.H != tc.want.H || len(got.Points) != len(tc.want.Points)) {
				t.Fatalf("stored set %+v, want %+v", got, tc.want)
			}
			if tc.want == nil {
				return
			}
			for i := range tc.want.Points {
				if got.Points[i] != tc.want.Points[i] {
					t.Fatalf("point %d stored as %+v, made as %+v", i, got.Points[i], tc.want.Points[i])
				}
			}
		})
	}
	t.Run("the matcher holds no set", func(t *testing.T) {
		db.mu.RLock()
		defer db.mu.RUnlock()
		if f := db.active.fps[added[0].ID]; f == nil || f.Print.Features != nil {
			t.Errorf("matcher's copy %+v, want one without its corner set", f)
		}
	})
	if _, _, err := db.Withdraw(ctx, "c1", by); err != nil {
		t.Fatal(err)
	}
	t.Run("withdrawal deletes the set", func(t *testing.T) {
		if got, err := db.Features(added[0].ID); err != nil || got != nil {
			t.Errorf("after withdrawal: set %v, err %v; want none", got, err)
		}
	})

	// Retiring one fingerprint (DeleteFingerprint) deletes its set too.
	added, err = db.Register(ctx, "c2", "", []Registration{{Print: fp}}, by)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteFingerprint(ctx, added[0].ID, by, "fingerprint.retire", func(*bolt.Tx, bool) (string, error) { return "", nil }); err != nil {
		t.Fatal(err)
	}
	t.Run("retiring a fingerprint deletes its set", func(t *testing.T) {
		if got, err := db.Features(added[0].ID); err != nil || got != nil {
			t.Errorf("after retiring: set %v, err %v; want none", got, err)
		}
	})
}

func TestVerifyReportsBadCornerSets(t *testing.T) {
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})
	fp, err := h.Image(ctx, photo(t, "dev-009-eiffelTower.jpg").Data, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		spoil func(tx *bolt.Tx, id uint64) error
		want  string
	}{
		{"a clean file", func(*bolt.Tx, uint64) error { return nil }, ""},
		{"a set cut short", func(tx *bolt.Tx, id uint64) error {
			b := tx.Bucket(bucketFeatures)
			v := b.Get(store.IDKey(id))
			return b.Put(store.IDKey(id), append([]byte(nil), v[:len(v)-5]...))
		}, "corrupt"},
		{"a set of an unknown record version", func(tx *bolt.Tx, id uint64) error {
			b := tx.Bucket(bucketFeatures)
			v := append([]byte(nil), b.Get(store.IDKey(id))...)
			v[0] = 9
			return b.Put(store.IDKey(id), v)
		}, "encoding version 9"},
		{"a set whose fingerprint is gone", func(tx *bolt.Tx, id uint64) error {
			return tx.Bucket(bucketFingerprints).Delete(store.IDKey(id))
		}, "is not registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTemp(t)
			added, err := db.Register(ctx, "c1", "", []Registration{{Print: fp}}, store.Actor{User: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.DB.Update(func(tx *bolt.Tx) error { return tc.spoil(tx, added[0].ID) }, nil); err != nil {
				t.Fatal(err)
			}
			rep, err := db.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, p := range rep.Problems {
				if strings.HasPrefix(p.Where, "fingerprintfeatures/") {
					found = append(found, p.String())
				}
			}
			switch {
			case tc.want == "" && len(found) > 0:
				t.Errorf("problems %v in a clean file", found)
			case tc.want != "" && (len(found) == 0 || !strings.Contains(strings.Join(found, "; "), tc.want)):
				t.Errorf("problems %v, want one saying %q", found, tc.want)
			}
		})
	}
}

// verifyCase is the pair the verifier must tell apart: a photo's copy
// beyond PDQ 31 (the top 15% and the right 5% cut off: off the registered
// side and corner crops' grids) and a look-alike drawn anew in its
// layout (fixtures.LookAlike), which the hashes also accept there.
type verifyCase struct {
	name      string
	query     []byte
	wantMatch bool
}

// verifyCases registers nothing; it renders the queries against photo reg.
func verifyCases(t *testing.T, reg fixtures.Photo) []verifyCase {
	t.Helper()
	img, err := reg.Decode()
	if err != nil {
		t.Fatal(err)
	}
	cropped, err := fixtures.Crop(0, 0.15, 0.05, 0).Render(img)
	if err != nil {
		t.Fatal(err)
	}
	other, err := photo(t, "dev-012-pontduGard.jpg").Decode()
	if err != nil {
		t.Fatal(err)
	}
	look, err := fixtures.Encode(fixtures.LookAlike(img, other, 8), fixtures.FormatJPEG, 90)
	if err != nil {
		t.Fatal(err)
	}
	return []verifyCase{
		{"an edited copy beyond PDQ 31 is kept", cropped, true},
		{"a look-alike beyond PDQ 31 is refused", look, false},
	}
}

func TestMatchVerifiedRefusesLookAlikesAndKeepsCopies(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	h := hashing.NewHasher(hashing.Limits{})
	castle := photo(t, "dev-018-neuschwansteinCastle.jpg")
	fp, err := h.Image(ctx, castle.Data, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Register(ctx, "c1", "", []Registration{{Print: fp}}, store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	rule := hashing.DefaultRule()
	for _, tc := range verifyCases(t, castle) {
		t.Run(tc.name, func(t *testing.T) {
			q, err := h.Image(ctx, tc.query, hashing.ForQuery)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := db.Match(ctx, q, rule)
			if err != nil {
				t.Fatal(err)
			}
			if len(plain) != 1 || plain[0].Evidence.Distances[hashing.PDQ] <= rule.Verify.AbovePDQ {
				t.Fatalf("without the query's set: %+v, want one match beyond PDQ %d (left unchecked)", plain, rule.Verify.AbovePDQ)
			}
			calls := 0
			got, err := db.MatchVerified(ctx, q, rule, func(ctx context.Context, cfg features.Config) (*features.Set, error) {
				calls++
				s, err := h.Features(ctx, tc.query, cfg)
				return &s, err
			})
			if err != nil {
				t.Fatal(err)
			}
			if (len(got) == 1) != tc.wantMatch || calls != 1 {
				t.Errorf("matches %+v after %d calls for the query's set, want match %v after 1", got, calls, tc.wantMatch)
			}
		})
	}

	q, err := h.Image(ctx, verifyCases(t, castle)[1].query, hashing.ForQuery)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		qf      QueryFeatures
		wantErr error
		want    int
	}{
		{"hostile bytes leave the match unchecked, not dropped", func(ctx context.Context, cfg features.Config) (*features.Set, error) {
			s, err := h.Features(ctx, []byte("\xff\xd8\xff\xe0 not a JPEG at all"), cfg)
			if err == nil {
				t.Error("undecodable bytes gave a corner set")
			}
			return &s, err
		}, nil, 1},
		{"no way to make the set leaves it unchecked", nil, nil, 1},
		{"a remote query is asked for its set", func(context.Context, features.Config) (*features.Set, error) {
			return nil, ErrNeedFeatures
		}, ErrNeedFeatures, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.MatchVerified(ctx, q, rule, tc.qf)
			if !errors.Is(err, tc.wantErr) || len(got) != tc.want {
				t.Errorf("matches %d, err %v; want %d, %v", len(got), err, tc.want, tc.wantErr)
			}
		})
	}
	t.Run("a cancelled context stops it", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		_, err := db.MatchVerified(cctx, q, rule, func(ctx context.Context, cfg features.Config) (*features.Set, error) {
			cancel()
			s, err := h.Features(ctx, castle.Data, cfg)
			return &s, err
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	})
}
