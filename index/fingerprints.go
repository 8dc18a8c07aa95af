package index

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Fingerprint is a registered fingerprint: the hashes of one piece of a
// case's media and where it came from. It never holds the media.
type Fingerprint struct {
	ID uint64
	// Centre and Case name the case it is registered under.
	Centre string
	Case   string
	// Label is the staff's description; Source is the registered file's base
	// name, kept so staff can tell fingerprints apart.
	Label, Source string
	Print         hashing.Fingerprint
	CreatedAt     time.Time
	// frames holds a video's frames packed (packFrames) in place of
	// Print.Frames while the matcher holds the fingerprint (video.go).
	frames []byte
}

// fingerprintRecord is the stored form of a Fingerprint.
type fingerprintRecord struct {
	ID     uint64 `json:"id"`
	Centre string `json:"centre"` // since encoding version 3
	Case   string `json:"case"`
	Label  string `json:"label,omitempty"`
	Source string `json:"source,omitempty"`
	Kind   string `json:"kind"`
	Format string `json:"format,omitempty"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	SHA256 string `json:"sha256"`
	// Packed holds the views in the packed binary form (see packed.go);
	// encoding/json carries it as base64.
	Packed []byte `json:"packed"`
	// Reference is the reference PDQ of the registered picture as decoded
	// (what export shares with partners), when it was computed.
	Reference *hashRecord `json:"reference,omitempty"`
	// Frames holds a video's frames packed (see video.go), and
	// DurationMS its length; both absent for pictures.
	Frames []byte `json:"frames,omitempty"`
	// Colour is the picture's colour summary (hashing.Colour.Bytes);
	// absent in records written before it existed, which the colour test
	// then skips.
	Colour     []byte    `json:"colour,omitempty"`
	DurationMS int64     `json:"duration_ms,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// viewRecord is a view as encoding version 1 stored it; version 2 packs
// views (packed.go), and upgradeFingerprintV1 reads this form.
type viewRecord struct {
	Name   string       `json:"name"`
	Hashes []hashRecord `json:"hashes"`
}

type hashRecord struct {
	Algorithm string `json:"alg"`
	Hex       string `json:"hex"`
	Quality   int    `json:"q"`
}

func toRecord(f *Fingerprint) (fingerprintRecord, error) {
	r := fingerprintRecord{
		ID: f.ID, Centre: f.Centre, Case: f.Case, Label: f.Label, Source: f.Source,
		Kind: string(f.Print.Kind), Format: string(f.Print.Format),
		Width: f.Print.Width, Height: f.Print.Height,
		SHA256: hex.EncodeToString(f.Print.SHA256[:]), CreatedAt: f.CreatedAt.UTC(),
	}
	if len(f.Print.Reference) > 0 {
		h := f.Print.Reference[0]
		r.Reference = &hashRecord{Algorithm: string(h.Algorithm), Hex: h.Hex(), Quality: h.Quality}
	}
	packed, err := packViews(f.Print.Views)
	if err != nil {
		return r, err
	}
	r.Packed = packed
	if r.Frames, err = packFrames(f.Print.Frames); err != nil {
		return r, err
	}
	r.DurationMS = f.Print.Duration.Milliseconds()
	r.Colour = f.Print.Colour.Bytes()
	return r, nil
}

func fromRecord(r fingerprintRecord) (*Fingerprint, error) {
	return fromRecordViews(r, unpackViews)
}

// fromRecordViews is fromRecord with the views decoded by unpack (the
// matcher's loader decodes them into its compact form).
func fromRecordViews(r fingerprintRecord, unpack func([]byte) ([]hashing.View, error)) (*Fingerprint, error) {
	f := &Fingerprint{
		ID: r.ID, Centre: r.Centre, Case: r.Case, Label: r.Label, Source: r.Source, CreatedAt: r.CreatedAt,
		Print: hashing.Fingerprint{
			Kind: hashing.Kind(r.Kind), Format: hashing.Format(r.Format),
			Width: r.Width, Height: r.Height,
		},
	}
	sum, err := hex.DecodeString(r.SHA256)
	if err != nil || len(sum) != 32 {
		return nil, fmt.Errorf("fingerprint %d: bad SHA-256 %q: %w", r.ID, r.SHA256, store.ErrCorrupt)
	}
	copy(f.Print.SHA256[:], sum)
	if hr := r.Reference; hr != nil {
		code, nbits, err := hashing.ParseCode(hr.Hex)
		if err != nil || nbits != hashing.PDQ.Bits() {
			return nil, fmt.Errorf("fingerprint %d: bad reference PDQ %q: %w", r.ID, hr.Hex, store.ErrCorrupt)
		}
		f.Print.Reference = []hashing.Hash{{Algorithm: hashing.PDQ, Code: code, Quality: hr.Quality}}
	}
	views, err := unpack(r.Packed)
	if err != nil {
		return nil, fmt.Errorf("fingerprint %d: %v: %w", r.ID, err, store.ErrCorrupt)
	}
	f.Print.Views = views
	frames, err := unpackFrames(r.Frames)
	if err != nil {
		return nil, fmt.Errorf("fingerprint %d: frames: %v: %w", r.ID, err, store.ErrCorrupt)
	}
	f.Print.Frames = frames
	f.Print.Duration = time.Duration(r.DurationMS) * time.Millisecond
	colour, ok := hashing.ColourFromBytes(r.Colour)
	if !ok {
		return nil, fmt.Errorf("fingerprint %d: colour summary of %d bytes, want %d: %w", r.ID, len(r.Colour), hashing.ColourLen, store.ErrCorrupt)
	}
	f.Print.Colour = colour
	return f, nil
}

// loadActive reads every stored fingerprint into the in-memory matcher.
func (ix *Index) loadActive() error {
	m := emptyMatcher()
	var seq uint64
	err := ix.st.View(func(tx *bolt.Tx) error {
		seq = tx.Bucket(bucketFingerprints).Sequence()
		return tx.Bucket(bucketFingerprints).ForEach(func(k, v []byte) error {
			var r fingerprintRecord
			if err := fingerprintCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("fingerprint %x: %w", k, err)
			}
			// The views go straight into the matcher's compact form, a
			// video's frames stay packed as stored (heldFromRecord).
			var short []shortCodes
			f, err := heldFromRecord(r, func(b []byte) (views []hashing.View, err error) {
				views, short, err = m.unpackCompact(b)
				return views, err
			})
			if err != nil {
				return err
			}
			m.fps[f.ID] = f
			if short != nil {
				m.short[f.ID] = short
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if err := m.build(); err != nil {
		return err
	}
	ix.mu.Lock()
	ix.active = m
	ix.mu.Unlock()
	ix.raiseWatermark(seq)
	return nil
}

// raiseWatermark records that the matcher holds every fingerprint up to id.
func (ix *Index) raiseWatermark(id uint64) {
	for {
		cur := ix.watermark.Load()
		if id <= cur || ix.watermark.CompareAndSwap(cur, id) {
			return
		}
	}
}

// Fingerprints returns the registered fingerprints of a national case (all
// cases of every centre when caseID is empty), oldest first.
func (ix *Index) Fingerprints(caseID string) ([]*Fingerprint, error) {
	if caseID == "" {
		return ix.FingerprintsOf("", "")
	}
	return ix.FingerprintsOf(centres.National, caseID)
}

// FingerprintsOf returns the registered fingerprints of centre's case
// caseID, oldest first: of all centre's cases when caseID is empty, of
// every centre's when centre is empty too.
func (ix *Index) FingerprintsOf(centre, caseID string) ([]*Fingerprint, error) {
	var out []*Fingerprint
	err := ix.st.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFingerprints).ForEach(func(k, v []byte) error {
			var r fingerprintRecord
			if err := fingerprintCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("fingerprint %x: %w", k, err)
			}
			if (centre != "" && r.Centre != centre) || (caseID != "" && r.Case != caseID) {
				return nil
			}
			f, err := fromRecord(r)
			if err != nil {
				return err
			}
			out = append(out, f)
			return nil
		})
	})
	return out, err
}
