package video

import (
	"image"
	"image/draw"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/pdq"
)

// TestStripRects checks the strips' geometry on the square frame grid: a
// full-height box of 4:3 at each side and of 9:16 in the centre, and the
// full-width 2.39:1 band in the centre, in the video's own pixels.
func TestStripRects(t *testing.T) {
	full := image.Rect(0, 0, frameSize, frameSize)
	tests := []struct {
		name          string
		content       image.Rectangle
		aspect        float64
		left, right   image.Rectangle
		centre        image.Rectangle
		centreOfWidth int // the centre strip's width, when its place is not given
		band          image.Rectangle
	}{
		// 16:9: a 4:3 side strip is 3/4 of the width (96 of 128), a 9:16
		// centre strip 81/256 of it (40.5).
		{name: "a 16:9 frame has side strips of three quarters and a centre strip of a third",
			content: full, aspect: 16.0 / 9,
			left: image.Rect(0, 0, 96, 128), right: image.Rect(32, 0, 128, 128), centreOfWidth: 41,
			// A 2.39:1 band of a 16:9 frame is 16/9 ÷ 2.39 of its height (95 of 128).
			band: image.Rect(0, 16, 128, 111)},
		// 4:3: the side strips are the whole frame; 9:16 is 27/64 of it (54).
		{name: "a 4:3 frame's side strips are the whole frame",
			content: full, aspect: 4.0 / 3,
			left: full, right: full, centre: image.Rect(37, 0, 91, 128), band: image.Rect(0, 28, 128, 99)},
		{name: "a 9:16 frame is its own centre strip",
			content: full, aspect: 9.0 / 16,
			left: full, right: full, centre: full, band: image.Rect(0, 49, 128, 79)},
		// Letterboxed 16:9 in 16:9, trimmed to rows 16–112: the content is
		// 128×96 grid pixels of 16:9 video, 2.37:1; a 4:3 strip of its
		// height is 72 wide.
		{name: "a letterboxed frame's strips keep the trimmed height",
			content: image.Rect(0, 16, 128, 112), aspect: 16.0 / 9,
			left: image.Rect(0, 16, 72, 112), right: image.Rect(56, 16, 128, 112), centreOfWidth: 30,
			band: image.Rect(0, 16, 128, 111)},
		{name: "a video of unknown size counts as square",
			content: full, aspect: 0,
			left: full, right: full, centreOfWidth: 72, band: image.Rect(0, 37, 128, 91)},
		// A strip is never narrower than minStripSide, nor wider than the
		// content.
		{name: "a very wide frame's centre strip keeps the least width",
			content: image.Rect(0, 60, 128, 68), aspect: 16.0 / 9,
			left: image.Rect(0, 60, 8, 68), right: image.Rect(120, 60, 128, 68), centreOfWidth: minStripSide,
			band: image.Rect(0, 60, 128, 68)},
		{name: "a very narrow frame's strips are the whole frame",
			content: image.Rect(60, 0, 66, 128), aspect: 16.0 / 9,
			left: image.Rect(60, 0, 66, 128), right: image.Rect(60, 0, 66, 128), centre: image.Rect(60, 0, 66, 128),
			band: image.Rect(60, 60, 66, 68)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := stripRects(tt.content, tt.aspect)
			if got[stripLeft] != tt.left || got[stripRight] != tt.right {
				t.Errorf("left %v right %v, want %v and %v", got[stripLeft], got[stripRight], tt.left, tt.right)
			}
			c := got[stripCentre]
			if tt.centre != (image.Rectangle{}) && c != tt.centre {
				t.Errorf("centre %v, want %v", c, tt.centre)
			}
			if tt.centreOfWidth > 0 {
				mid := tt.content.Min.X + tt.content.Max.X
				if c.Dx() != tt.centreOfWidth || c.Min.Y != tt.content.Min.Y || c.Max.Y != tt.content.Max.Y || c.Min.X+c.Max.X-mid > 1 || mid-c.Min.X-c.Max.X > 1 {
					t.Errorf("centre %v, want %d wide, full height, centred in %v", c, tt.centreOfWidth, tt.content)
				}
			}
			if got[stripBand] != tt.band {
				t.Errorf("band %v, want %v", got[stripBand], tt.band)
			}
			for i, r := range got {
				if !r.In(tt.content) {
					t.Errorf("strip %d %v outside the content %v", i, r, tt.content)
				}
			}
		})
	}
}

// TestStripsFindPartsOfFrames hashes a 16:9 photo as a registered frame
// and copies of it cut as re-uploaders cut them — the strips' own
// targets and cuts they were not shaped on — as query frames, each
// squeezed to the square grid as ffmpeg delivers frames: every copy's
// strips lie within the frame threshold of the original's, an unrelated
// photo's do not.
func TestStripsFindPartsOfFrames(t *testing.T) {
	known := fixtures.Known()
	photo := func(i int) *image.Gray {
		img, err := known[i].Decode()
		if err != nil {
			t.Fatal(err)
		}
		// A 768×432 16:9 frame.
		g := image.NewGray(image.Rect(0, 0, 768, 432))
		draw.Draw(g, g.Rect, imaging.Fill(img, 768, 432, imaging.Center, imaging.Lanczos), image.Point{}, draw.Src)
		return g
	}
	// frame hashes the part r of g as a one-frame video of r's size.
	h := &Hasher{}
	h.pdq.New = func() any { return pdq.NewHasher() }
	frame := func(g *image.Gray, r image.Rectangle, query bool) hashing.Frame {
		grid := gray(imaging.Resize(g.SubImage(r), frameSize, frameSize, imaging.Box))
		fs := h.hashFrames([]rawFrame{{At: time.Second, Pix: grid}}, query, pixelAspect(r.Dx(), r.Dy()))
		if len(fs) != 1 {
			t.Fatalf("%d frames", len(fs))
		}
		return fs[0]
	}
	m := DefaultMatching()
	orig := photo(0)
	reg := frame(orig, orig.Rect, false)
	if len(reg.Cropped) != registeredCropped {
		t.Fatalf("registered frame with %d Cropped hashes, want %d", len(reg.Cropped), registeredCropped)
	}
	W, H := 768, 432
	tests := []struct {
		name string
		cut  image.Rectangle
	}{
		{"the right 20% cut", image.Rect(0, 0, W*80/100, H)},
		{"the right 10% cut", image.Rect(0, 0, W*90/100, H)},
		{"the left 15% cut (not shaped on)", image.Rect(W*15/100, 0, W, H)},
		{"the left 25% cut", image.Rect(W*25/100, 0, W, H)},
		{"a 9:16 centre crop", image.Rect((W-H*9/16)/2, 0, (W+H*9/16)/2, H)},
		{"a 4:5 centre crop (not shaped on)", image.Rect((W-H*4/5)/2, 0, (W+H*4/5)/2, H)},
		{"a 1:1 centre crop", image.Rect((W-H)/2, 0, (W+H)/2, H)},
		{"the whole frame", orig.Rect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := frame(orig, tt.cut, true)
			d, ok := StripDistance(q, reg, m.MinQuality)
			if !ok || d > m.MaxDistance {
				t.Errorf("strips at PDQ %d (%v), want at most %d", d, ok, m.MaxDistance)
			}
			t.Logf("strips at PDQ %d", d)
		})
	}
	for i := 1; i < len(known); i++ {
		other := photo(i)
		for _, r := range []image.Rectangle{other.Rect, image.Rect(0, 0, W*80/100, H), image.Rect((W-H*9/16)/2, 0, (W+H*9/16)/2, H)} {
			q := frame(other, r, true)
			if d, ok := StripDistance(q, reg, m.MinQuality); ok && d <= m.MaxDistance {
				t.Errorf("unrelated photo %s (%v) at PDQ %d", known[i].Name, r, d)
			}
		}
	}
}

// TestStripDistance checks that strips are compared with their like only
// and that a strip under the quality floor on either side never counts.
func TestStripDistance(t *testing.T) {
	var zero, ones hashing.Code
	for i := range ones {
		ones[i] = ^uint64(0)
	}
	near := zero
	near[0] = 0b111 // 3 bits from zero
	pdqOf := func(c hashing.Code, q int) hashing.Hash {
		return hashing.Hash{Algorithm: hashing.PDQ, Code: c, Quality: q}
	}
	// reg is a registered frame with its centre crops, the strips l, r, c,
	// the band b and the inner hash; regBeforeBand one registered before
	// the band and the half-step crops (three crops, three strips, the
	// inner hash); query a query frame with its inner hash, strips and
	// band.
	crop := pdqOf(ones, 90)
	reg := func(l, r, c, b hashing.Hash) hashing.Frame {
		cropped := []hashing.Hash{}
		for range len(cropEach) - 1 {
			cropped = append(cropped, crop)
		}
		return hashing.Frame{Hashes: []hashing.Hash{crop}, Cropped: append(cropped, l, r, c, b, crop)}
	}
	regBeforeBand := func(l, r, c hashing.Hash) hashing.Frame {
		return hashing.Frame{Hashes: []hashing.Hash{crop}, Cropped: []hashing.Hash{crop, crop, crop, l, r, c, crop}}
	}
	query := func(l, r, c, b hashing.Hash) hashing.Frame {
		return hashing.Frame{Hashes: []hashing.Hash{crop}, Cropped: []hashing.Hash{crop, l, r, c, b}}
	}
	// Strips a test leaves out lie 256 bits apart: ones in the query,
	// zero in the registered frame.
	qfar, rfar := pdqOf(ones, 90), pdqOf(zero, 90)
	var mid hashing.Code // 128 bits from zero and from ones
	mid[0], mid[1] = ^uint64(0), ^uint64(0)
	tests := []struct {
		name   string
		q, r   hashing.Frame
		want   int
		wantOK bool
	}{
		{"left strips alike match", query(pdqOf(near, 90), qfar, qfar, qfar), reg(pdqOf(zero, 90), rfar, rfar, rfar), 3, true},
		{"centre strips alike match", query(qfar, qfar, pdqOf(near, 90), qfar), reg(rfar, rfar, pdqOf(zero, 90), rfar), 3, true},
		{"bands alike match", query(qfar, qfar, qfar, pdqOf(near, 90)), reg(rfar, rfar, rfar, pdqOf(zero, 90)), 3, true},
		{"a query's left strip is never compared with a registered right strip",
			query(pdqOf(zero, 90), pdqOf(mid, 90), pdqOf(mid, 90), pdqOf(mid, 90)), reg(pdqOf(mid, 90), pdqOf(zero, 90), pdqOf(ones, 90), pdqOf(ones, 90)), 128, true},
		{"a query's band is never compared with a registered centre strip",
			query(pdqOf(mid, 90), pdqOf(mid, 90), pdqOf(mid, 90), pdqOf(zero, 90)), reg(pdqOf(ones, 90), pdqOf(ones, 90), pdqOf(zero, 90), pdqOf(mid, 90)), 128, true},
		{"a flat query strip never counts", query(pdqOf(zero, 10), qfar, qfar, qfar), reg(pdqOf(zero, 90), rfar, rfar, rfar), 256, true},
		{"a flat registered strip never counts", query(pdqOf(zero, 90), qfar, qfar, qfar), reg(pdqOf(zero, 49), rfar, rfar, rfar), 256, true},
		{"strips all flat give no distance", query(pdqOf(zero, 0), pdqOf(zero, 0), pdqOf(zero, 0), pdqOf(zero, 0)), reg(pdqOf(zero, 90), pdqOf(zero, 90), pdqOf(zero, 90), pdqOf(zero, 90)), 0, false},
		{"a frame registered before the band matches on its three strips",
			query(qfar, pdqOf(near, 90), qfar, qfar), regBeforeBand(rfar, pdqOf(zero, 90), rfar), 3, true},
		{"a frame registered before the band has no band to match",
			query(qfar, qfar, qfar, pdqOf(zero, 90)), regBeforeBand(rfar, rfar, rfar), 256, true},
		{"a frame registered before strips has none",
			query(pdqOf(zero, 90), qfar, qfar, qfar), hashing.Frame{Cropped: []hashing.Hash{rfar, rfar, rfar, pdqOf(zero, 90)}}, 0, false},
		{"a query frame hashed before strips has none (inner and soft view)",
			hashing.Frame{Cropped: []hashing.Hash{pdqOf(zero, 90), pdqOf(zero, 90)}}, reg(pdqOf(zero, 90), rfar, rfar, rfar), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := StripDistance(tt.q, tt.r, 50)
			if ok != tt.wantOK || (ok && d != tt.want) {
				t.Errorf("StripDistance = %d, %v; want %d, %v", d, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestQueryLayout checks where the soft view and the strips sit among a
// query frame's Cropped hashes, in frames hashed before the strips and
// after.
func TestQueryLayout(t *testing.T) {
	h := func(q int) hashing.Hash { return hashing.Hash{Algorithm: hashing.PDQ, Quality: q} }
	tests := []struct {
		name       string
		cropped    []hashing.Hash
		softOf     int // the soft view's quality, 0 for none
		withStrips bool
	}{
		{"the inner hash alone (before strips)", []hashing.Hash{h(1)}, 0, false},
		{"inner and soft view (before strips)", []hashing.Hash{h(1), h(2)}, 2, false},
		{"inner, strips and band", []hashing.Hash{h(1), h(3), h(4), h(5), h(6)}, 0, true},
		{"inner, strips, band and soft view", []hashing.Hash{h(1), h(3), h(4), h(5), h(6), h(2)}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := hashing.Frame{Cropped: tt.cropped}
			s := InsetOf(f)
			if (s == nil) != (tt.softOf == 0) || (s != nil && s.Quality != tt.softOf) {
				t.Errorf("InsetOf = %v, want quality %d", s, tt.softOf)
			}
			strips := QueryStrips(f)
			if tt.withStrips != (len(strips) == stripCount) || (tt.withStrips && (strips[stripLeft].Quality != 3 || strips[stripCentre].Quality != 5 || strips[stripBand].Quality != 6)) {
				t.Errorf("QueryStrips = %v, want strips %v", strips, tt.withStrips)
			}
		})
	}
}
