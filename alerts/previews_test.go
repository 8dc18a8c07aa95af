package alerts

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

func tinyJPEG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hexSHA is the hex SHA-256 of the test media [32]byte{b}.
func hexSHA(b byte) string {
	sum := [32]byte{b}
	return hex.EncodeToString(sum[:])
}

func TestPreviewsAreStoredWithTheAlertAndGoWithTheCase(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	pic := tinyJPEG(t)
	fa, err := db.Register(ctx, "case-a", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	fb, err := db.Register(ctx, "case-b", "", []index.Registration{{Print: hashingtest.Image(2, 2, 2)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	match := func(fp *index.Fingerprint) index.Match {
		return index.Match{Fingerprint: fp.ID, Case: fp.Case, Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 3}}
	}
	record := func(sha byte, m index.Match, preview []byte) Alert {
		t.Helper()
		a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: [32]byte{sha}, Match: m, Preview: preview,
			Sighting: Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	record(10, match(fa[0]), pic)         // media 10: case a only
	record(11, match(fa[0]), pic)         // media 11: case a …
	record(11, match(fb[0]), nil)         // … and case b
	record(12, match(fb[0]), []byte("x")) // not a JPEG: dropped, the alert kept

	t.Run("a preview comes back by the media's SHA-256", func(t *testing.T) {
		got, err := db.Preview(hexSHA(10))
		if err != nil || !bytes.Equal(got, pic) {
			t.Fatalf("Preview = %d bytes, %v", len(got), err)
		}
	})
	t.Run("a preview that is not a JPEG is never stored", func(t *testing.T) {
		if _, err := db.Preview(hexSHA(12)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Preview: %v, want store.ErrNotFound", err)
		}
		if err := db.PutPreview(ctx, [32]byte{12}, []byte("not a jpeg")); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("PutPreview of text: %v", err)
		}
		big := append(append([]byte(nil), pic...), make([]byte, MaxPreviewBytes)...)
		if err := db.PutPreview(ctx, [32]byte{12}, big); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("PutPreview over the limit: %v", err)
		}
		if _, err := db.Preview("zz"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("Preview of a bad SHA: %v", err)
		}
	})
	t.Run("withdrawing a case deletes its previews but not those another case still needs", func(t *testing.T) {
		if _, _, err := db.Withdraw(ctx, "case-a", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Preview(hexSHA(10)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("preview of a withdrawn case's media: %v, want store.ErrNotFound", err)
		}
		if _, err := db.Preview(hexSHA(11)); err != nil {
			t.Errorf("preview of media case b still alerts on: %v", err)
		}
		if _, _, err := db.Withdraw(ctx, "case-b", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Preview(hexSHA(11)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("preview after both cases withdrawn: %v, want store.ErrNotFound", err)
		}
	})
	t.Run("verify finds nothing wrong", func(t *testing.T) {
		r, err := db.Verify(ctx)
		if err != nil || !r.OK() {
			t.Fatalf("Verify = %+v, %v", r.Problems, err)
		}
	})
}
