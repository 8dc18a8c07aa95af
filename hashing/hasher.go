package hashing

import (
	"context"
	"crypto/sha256"
	"fmt"
	"image"

	"github.com/corona10/goimagehash"
	"github.com/disintegration/imaging"
)

// Purpose selects how many views a fingerprint covers.
type Purpose int

const (
	// ForQuery hashes what a crawler found: the picture as served and its
	// border-trimmed interior. It is the cheap path taken for every image.
	ForQuery Purpose = iota
	// ForRegistration also hashes the mirror images, so that re-uploads
	// which were flipped still land near a registered view. Registration is
	// rare, so it can afford more work.
	ForRegistration
)

// Hasher fingerprints media under fixed limits. It holds no mutable state and
// is safe for concurrent use.
type Hasher struct {
	limits Limits
}

// NewHasher returns a Hasher enforcing limits (zero fields take defaults).
func NewHasher(limits Limits) *Hasher {
	return &Hasher{limits: limits.withDefaults()}
}

// Limits returns the limits the hasher enforces.
func (h *Hasher) Limits() Limits { return h.limits }

// Image decodes data as an image and fingerprints it for purpose. The bytes
// are not retained.
func (h *Hasher) Image(ctx context.Context, data []byte, purpose Purpose) (Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return Fingerprint{}, err
	}
	img, format, err := DecodeImage(data, h.limits)
	if err != nil {
		return Fingerprint{}, err
	}
	if err := ctx.Err(); err != nil {
		return Fingerprint{}, err
	}
	views, err := HashViews(img, purpose)
	if err != nil {
		return Fingerprint{}, err
	}
	b := img.Bounds()
	return Fingerprint{
		Kind:   KindImage,
		Format: format,
		Width:  b.Dx(),
		Height: b.Dy(),
		SHA256: sha256.Sum256(data),
		Views:  views,
	}, nil
}

// workingSize is the long side, in pixels, of the copy of a picture that
// views are cut from and hashed. pHash and dHash look at 64×64 and 9×8 pixels
// and border trimming at 256, so nothing is lost by scaling down once, with
// an area filter that also removes aliasing, instead of inside every hash.
const workingSize = 256

// HashViews computes the views of img that purpose asks for. The trimmed
// views are present only when img has borders worth trimming. Hashes are of
// img scaled to fit workingSize×workingSize.
func HashViews(img image.Image, purpose Purpose) ([]View, error) {
	if b := img.Bounds(); b.Dx() > workingSize || b.Dy() > workingSize {
		img = imaging.Fit(img, workingSize, workingSize, imaging.Box)
	}
	type job struct {
		name string
		img  image.Image
	}
	jobs := []job{{ViewOriginal, img}}
	var trimmed image.Image
	if r := TrimBorders(img); r != img.Bounds() {
		trimmed = imaging.Crop(img, r)
		jobs = append(jobs, job{ViewTrimmed, trimmed})
	}
	if purpose == ForRegistration {
		jobs = append(jobs, job{ViewMirror, imaging.FlipH(img)})
		if trimmed != nil {
			jobs = append(jobs, job{ViewTrimmedMirror, imaging.FlipH(trimmed)})
		}
	}
	views := make([]View, 0, len(jobs))
	for _, j := range jobs {
		hs, err := hashImage(j.img)
		if err != nil {
			return nil, fmt.Errorf("%s view: %w", j.name, err)
		}
		views = append(views, View{Name: j.name, Hashes: hs})
	}
	return views, nil
}

// hashImage computes every algorithm's hash of one picture.
func hashImage(img image.Image) ([]Hash, error) {
	p, err := goimagehash.PerceptionHash(img)
	if err != nil {
		return nil, fmt.Errorf("phash: %w", err)
	}
	d, err := goimagehash.DifferenceHash(img)
	if err != nil {
		return nil, fmt.Errorf("dhash: %w", err)
	}
	return []Hash{
		{Algorithm: PHash, Code: Code{p.GetHash()}, Quality: 100},
		{Algorithm: DHash, Code: Code{d.GetHash()}, Quality: 100},
	}, nil
}
