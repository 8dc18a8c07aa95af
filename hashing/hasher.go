package hashing

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"sync"

	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/hashing/internal/gray"
	"github.com/hashwatch/hashwatch/hashing/pdq"
)

// Purpose selects how many views a fingerprint covers.
type Purpose int

const (
	// ForQuery hashes what a crawler found: the picture as served, its
	// border-trimmed interior, cuts at each side and its mirror image
	// (see queryViews). It is the cheap path taken for every image.
	ForQuery Purpose = iota
	// ForRegistration also hashes views that undo what re-uploaders do:
	// mirror image, turns, crops (see registrationViews), and the reference
	// PDQ of the full picture for export to partners. Registration is rare,
	// so it can afford the work.
	ForRegistration
	// ForInspection is ForQuery plus the reference PDQ of the full picture
	// and its eight dihedral variants, for `hashwatch hash`.
	ForInspection
)

// NeedsSum reports whether fingerprints made for p carry the SHA-256 of
// their input: registration stores it and inspection prints it; a query's
// caller already has it.
func (p Purpose) NeedsSum() bool { return p != ForQuery }

// Hasher fingerprints media under fixed limits. It is safe for concurrent
// use: its only state is a pool of buffers.
type Hasher struct {
	limits  Limits
	scratch sync.Pool // of *scratch, which are not safe for concurrent use
	// registerFeatures is the corner finder's configuration under which
	// registration computes a picture's corner set (Fingerprint.Features)
	// for the default rule's verifier; nil computes none.
	registerFeatures *features.Config
}

// scratch is the buffers one fingerprint at a time reuses: PDQ's, the
// resizes' and a 64×64 luma plane.
type scratch struct {
	pdq  *pdq.Hasher
	gray gray.Scratch
	luma [64 * 64]float32
}

// NewHasher returns a Hasher enforcing limits (zero fields take defaults).
func NewHasher(limits Limits) *Hasher {
	h := &Hasher{limits: limits.withDefaults()}
	if v := defaultVerify(); v != nil {
		h.registerFeatures = &v.Config
	}
	h.scratch.New = func() any { return &scratch{pdq: pdq.NewHasher()} }
	return h
}

// Limits returns the limits the hasher enforces.
func (h *Hasher) Limits() Limits { return h.limits }

// Image decodes data as an image and fingerprints it for purpose. The bytes
// are not retained.
func (h *Hasher) Image(ctx context.Context, data []byte, purpose Purpose) (Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return Fingerprint{}, err
	}
	p, err := decodePicture(ctx, data, h.limits, sourceSize(purpose), colourSize(purpose))
	if err != nil {
		return Fingerprint{}, err
	}
	if err := ctx.Err(); err != nil {
		return Fingerprint{}, err
	}
	fp, err := h.decoded(p.img, p.colour, p.format, p.size, purpose, func() (image.Image, error) {
		// The reference PDQ is defined on the full picture, so decode it
		// again at full size (registration and inspection are rare).
		full, _, _, err := decodeImage(ctx, data, h.limits, 0)
		return full, err
	})
	if err != nil {
		return Fingerprint{}, err
	}
	if purpose == ForRegistration && h.registerFeatures != nil {
		// The corner set is computed as a query's is (Features: the
		// picture decoded again at the corner finder's scale), so a
		// re-upload of the very bytes finds the very same corners.
		set, err := h.Features(ctx, data, *h.registerFeatures)
		if err != nil {
			return Fingerprint{}, fmt.Errorf("corner set: %w", err)
		}
		fp.Features = &set
	}
	if purpose.NeedsSum() {
		fp.SHA256 = sha256.Sum256(data)
	}
	return fp, nil
}

// Pixels fingerprints a picture that was decoded elsewhere — by a web
// browser, on the device that holds it — exactly as Image fingerprints
// the same pixels: img is the picture as seen (EXIF orientation applied),
// at full size. Opaque pixels are taken as they are; translucent ones are
// composited over white, as decoding does. A picture whose pixels are all
// grey is hashed as a grey picture, as a decoder hands over a grey JPEG or
// PNG (Y = v, where 0.299·v + 0.587·v + 0.114·v in float32 may differ from
// v in the last bit). The caller sets SHA256 and Format if it knows them.
// Registration also takes the corner set (Fingerprint.Features) from img,
// at full size, where Image takes it from the bytes decoded at the corner
// finder's scale: the two may differ by a corner or two, as a re-encoded
// copy's do.
func (h *Hasher) Pixels(ctx context.Context, img image.Image, purpose Purpose) (Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return Fingerprint{}, err
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return Fingerprint{}, fmt.Errorf("%dx%d pixels: %w", b.Dx(), b.Dy(), ErrCorrupt)
	}
	if px := int64(b.Dx()) * int64(b.Dy()); px > h.limits.MaxPixels {
		return Fingerprint{}, fmt.Errorf("%dx%d = %d pixels, limit %d: %w", b.Dx(), b.Dy(), px, h.limits.MaxPixels, ErrTooLarge)
	}
	img = greyIfGrey(flattenAlpha(img))
	fp, err := h.decoded(img, img, "", b.Size(), purpose, func() (image.Image, error) { return img, nil })
	if err != nil {
		return Fingerprint{}, err
	}
	if purpose == ForRegistration && h.registerFeatures != nil {
		set := h.featuresOf(img, *h.registerFeatures)
		fp.Features = &set
	}
	return fp, nil
}

// colourSize is the long side, at least, of the copy a query's colour
// summary is taken from when a JPEG can be decoded in colour at a smaller
// scale than its luma (decodePicture): the summary looks at colourSide ×
// colourSide pixels, so a JPEG of 256 px or more gives it the 1/8-scale
// copy that its chroma blocks' DC terms alone make. Registration and
// inspection, which are rare, take it from the picture they hash (0), as
// registered fingerprints always have.
func colourSize(p Purpose) int {
	if p == ForQuery {
		return colourSide
	}
	return 0
}

// decoded fingerprints a decoded picture img (which may be a reduced copy
// of a picture of size pixels, or its luma alone) for purpose, with the
// colour summary of colour (img, or a small colour copy of it); full
// returns the picture at full size, for the reference PDQ.
func (h *Hasher) decoded(img, colour image.Image, format Format, size image.Point, purpose Purpose, full func() (image.Image, error)) (Fingerprint, error) {
	views, err := h.views(img, purpose)
	if err != nil {
		return Fingerprint{}, err
	}
	fp := Fingerprint{
		Kind:   KindImage,
		Format: format,
		Width:  size.X,
		Height: size.Y,
		Views:  views,
		Colour: h.colourOf(colour),
	}
	if purpose == ForRegistration || purpose == ForInspection {
		// A transparent picture's pixels are the composited ones: the
		// reference tool, which ignores alpha, differs there on purpose.
		f := img
		if f.Bounds().Size() != size {
			if f, err = full(); err != nil {
				return Fingerprint{}, err
			}
		}
		fp.Reference = h.ReferencePDQ(f)
	}
	return fp, nil
}

// Colour decodes data as Image does for purpose and returns only its
// colour summary (Fingerprint.Colour): what Image computes, for a caller
// that keeps the views' hashes from an earlier run.
func (h *Hasher) Colour(ctx context.Context, data []byte, purpose Purpose) (Colour, error) {
	p, err := decodePicture(ctx, data, h.limits, sourceSize(purpose), colourSize(purpose))
	if err != nil {
		return Colour{}, err
	}
	return h.colourOf(p.colour), nil
}

// colourOf is ColourOf with a pooled scratch.
func (h *Hasher) colourOf(img image.Image) Colour {
	s := h.scratch.Get().(*scratch)
	defer h.scratch.Put(s)
	return colourOf(&s.gray, img)
}

// ReferencePDQ returns the PDQ hashes of img exactly as decoded, bit-exact
// with Meta's reference implementation on the same pixels: the eight
// dihedral variants in the reference's order (Original, Rot90, Rot180,
// Rot270, FlipX, FlipY, FlipPlus1, FlipMinus1), each with the quality.
func (h *Hasher) ReferencePDQ(img image.Image) []Hash {
	s := h.scratch.Get().(*scratch)
	defer h.scratch.Put(s)
	variants, q := s.pdq.DihedralImage(img)
	out := make([]Hash, len(variants))
	for i, v := range variants {
		out[i] = Hash{Algorithm: PDQ, Code: codeFromPDQ(v), Quality: q}
	}
	return out
}

// codeFromPDQ turns a PDQ hash into a Code whose Hex is the reference's hex.
func codeFromPDQ(p pdq.Hash) Code {
	return Code{
		binary.BigEndian.Uint64(p[0:8]), binary.BigEndian.Uint64(p[8:16]),
		binary.BigEndian.Uint64(p[16:24]), binary.BigEndian.Uint64(p[24:32]),
	}
}

// workingSize is the long side, in pixels, of the grey copy of a picture
// that views are cut from and hashed. PDQ and pHash look at 64×64 pixels and
// dHash at 9×8, so little is lost by scaling down once, with an area filter
// that also removes aliasing, instead of inside every hash; and a JPEG can
// then be decoded at 1/8 scale from its DC coefficients. Measured on the dev
// set: 128 cut crawl-time fingerprinting about in half against 256 (bench
// hash 3.3x the image.Decode + pHash yardstick instead of 2.0x, with the
// views of that time); together with registration views cut from a 512-px
// copy (registrationSourceSize) it kept recall within a few points, and
// above 256's on crops of 10%.
const workingSize = 128

// registrationSourceSize is the long side of the copy registration cuts its
// views from. A registered crop view must carry as much detail as a
// re-upload of that crop, which a crawler sees at workingSize: cutting a
// 60% crop from a 128-px copy would leave 77 px. Registration is rare, so it
// decodes and cuts at 512 and scales each view down to workingSize.
const registrationSourceSize = 512

// sourceSize is the long side of the working copy views are cut from.
func sourceSize(p Purpose) int {
	if p == ForRegistration {
		return registrationSourceSize
	}
	return workingSize
}

// views computes the views of img that purpose asks for. The trimmed view is
// present only when img has borders worth trimming. Each view is hashed
// scaled to fit workingSize×workingSize.
func (h *Hasher) views(img image.Image, purpose Purpose) ([]View, error) {
	s := h.scratch.Get().(*scratch)
	defer h.scratch.Put(s)
	work := s.workingCopy(img, sourceSize(purpose))
	type job struct {
		name string
		img  *image.Gray
	}
	jobs := []job{{ViewOriginal, work}}
	trimmed := work
	if r := TrimBorders(work); r != work.Bounds() {
		trimmed = work.SubImage(r).(*image.Gray)
		jobs = append(jobs, job{ViewTrimmed, trimmed})
	}
	switch purpose {
	case ForQuery, ForInspection:
		for _, v := range queryViews {
			jobs = append(jobs, job{v.name, v.make(work)})
		}
		jobs = append(jobs, job{ViewMirrored, flipH(work)})
		top, hasTop := captionBand(work, true)
		bottom, hasBottom := captionBand(work, false)
		for _, band := range []struct {
			name  string
			rest  image.Rectangle
			found bool
		}{
			{ViewUncaptionedTop, top, hasTop},
			{ViewUncaptionedBottom, bottom, hasBottom},
			// Captions above and below (a meme's two lines): the rows
			// both bands leave, when they leave any.
			{ViewUncaptioned, top.Intersect(bottom), hasTop && hasBottom && !top.Intersect(bottom).Empty()},
		} {
			if band.found {
				rest := work.SubImage(band.rest).(*image.Gray)
				if t := TrimBorders(rest); t != band.rest {
					rest = rest.SubImage(t).(*image.Gray)
				}
				jobs = append(jobs, job{band.name, rest})
			}
		}
		for _, v := range partViews {
			jobs = append(jobs, job{v.name, v.make(work)})
		}
	case ForRegistration:
		for _, v := range registrationViews {
			jobs = append(jobs, job{v.name, v.make(work)})
		}
		if trimmed != work {
			for _, v := range trimmedViews {
				jobs = append(jobs, job{v.name, v.make(trimmed)})
			}
		}
	}
	views := make([]View, 0, len(jobs))
	hashes := make([]Hash, 3*len(jobs)) // one allocation for every view's
	for i, j := range jobs {
		hs := hashes[3*i : 3*i+3 : 3*i+3]
		s.hashImage(s.gray.FitBox(j.img, workingSize), hs)
		views = append(views, View{Name: j.name, Hashes: hs})
	}
	return views, nil
}

// hashImage computes every algorithm's hash of one grey picture into out
// (three Hashes: PDQ, pHash, dHash). The resizes and hashes are the
// libraries' to the bit (package gray): pHash and dHash are goimagehash's,
// which resize bilinearly with nfnt/resize; PDQ is given the picture
// area-averaged to 64×64 as imaging.Resize with imaging.Box makes it, read
// as the RGB picture imaging returns.
func (s *scratch) hashImage(img *image.Gray, out []Hash) {
	p := s.gray.PHash(img)
	d := s.gray.DHash(img)
	// PDQ's own downsampling uses a box window of ceil(side/128) pixels, so
	// on a view of 128 px or less it samples single pixels and a shift of
	// one pixel moves many bits. Views are therefore area-averaged to PDQ's
	// 64×64 first (on 64×64 input PDQ goes straight to the DCT).
	small := s.gray.Box(img, 64, 64)
	for y := 0; y < 64; y++ {
		for x, v := range small.Pix[y*small.Stride : y*small.Stride+64] {
			s.luma[y*64+x] = pdq.RGBLuma(v, v, v)
		}
	}
	q, quality := s.pdq.HashLuma(s.luma[:], 64, 64)
	out[0] = Hash{Algorithm: PDQ, Code: codeFromPDQ(q), Quality: quality}
	out[1] = Hash{Algorithm: PHash, Code: Code{p}, Quality: 100}
	out[2] = Hash{Algorithm: DHash, Code: Code{d}, Quality: 100}
}
