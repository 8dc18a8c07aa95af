package hashing

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"
)

// A Background is a sample of what a crawler finds on the web that is not
// anyone's registered content: the views of a few thousand unrelated
// pictures (game art, textures, clip art, flags, maps, sky photographs,
// wallpapers). A Rule holding a Background accepts a pair of views only
// when they are clearly nearer to each other than either is to anything in
// the background (Rule.Ratio): a registered view that lies where many
// unrelated pictures lie — a dark sky with one blob, a flag, a frame, a
// gradient — then needs a near-identical copy to match, while a
// distinctive photograph keeps the rule's full reach. It is a ratio test
// in the sense of Lowe's: a threshold per view, set by the density of
// unrelated pictures around it, instead of one threshold for all.
//
// A Background is immutable and safe for concurrent use. Its entries are
// hashes only.
type Background struct {
	entries []bgEntry
	// phash holds the entries' pHash codes again, contiguous, for
	// nearest's first test: most entries fail it, and a scan that reads 8
	// bytes of each instead of a whole entry stays in cache (built by
	// withColumns).
	phash []uint64
}

// withColumns fills b.phash from b.entries and returns b.
func (b *Background) withColumns() *Background {
	b.phash = make([]uint64, len(b.entries))
	for i := range b.entries {
		b.phash[i] = b.entries[i].phash
	}
	return b
}

// bgEntry is one background view: its three codes and PDQ quality.
type bgEntry struct {
	pdq          Code
	phash, dhash uint64
	quality      uint8
}

// Len is the number of background views.
func (b *Background) Len() int {
	if b == nil {
		return 0
	}
	return len(b.entries)
}

// background file format, little-endian:
//
//	magic "HWBG" | version uint16 (1) | count uint32 |
//	count × (pdq [32]byte big-endian words | quality uint8 | phash uint64 | dhash uint64)
const (
	bgMagic     = "HWBG"
	bgVersion   = 1
	bgEntrySize = 32 + 1 + 8 + 8
	// bgMaxEntries bounds what ReadBackground allocates for a file it is
	// handed.
	bgMaxEntries = 1 << 22
)

// NewBackground collects the views of the given fingerprints (each must
// carry PDQ, pHash and dHash) into a Background.
func NewBackground(views []View) (*Background, error) {
	b := &Background{entries: make([]bgEntry, 0, len(views))}
	for _, v := range views {
		p, ok1 := v.Hash(PDQ)
		ph, ok2 := v.Hash(PHash)
		dh, ok3 := v.Hash(DHash)
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("background view %q lacks a pdq, phash or dhash hash", v.Name)
		}
		b.entries = append(b.entries, bgEntry{pdq: p.Code, phash: ph.Code[0], dhash: dh.Code[0], quality: uint8(min(max(p.Quality, 0), 100))})
	}
	return b.withColumns(), nil
}

// WriteTo writes b in the background file format.
func (b *Background) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	buf.WriteString(bgMagic)
	binary.Write(&buf, binary.LittleEndian, uint16(bgVersion))
	binary.Write(&buf, binary.LittleEndian, uint32(len(b.entries)))
	for _, e := range b.entries {
		for _, word := range e.pdq {
			binary.Write(&buf, binary.BigEndian, word)
		}
		buf.WriteByte(e.quality)
		binary.Write(&buf, binary.LittleEndian, e.phash)
		binary.Write(&buf, binary.LittleEndian, e.dhash)
	}
	return buf.WriteTo(w)
}

// ErrBadBackground reports a background file that is not one.
var ErrBadBackground = errors.New("not a background file")

// ReadBackground reads a background file written by WriteTo.
func ReadBackground(data []byte) (*Background, error) {
	if len(data) < 10 || string(data[:4]) != bgMagic {
		return nil, ErrBadBackground
	}
	if v := binary.LittleEndian.Uint16(data[4:]); v != bgVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadBackground, v, bgVersion)
	}
	n := int(binary.LittleEndian.Uint32(data[6:]))
	body := data[10:]
	if n > bgMaxEntries || len(body) != n*bgEntrySize {
		return nil, fmt.Errorf("%w: %d entries in %d bytes", ErrBadBackground, n, len(body))
	}
	b := &Background{entries: make([]bgEntry, n)}
	for i := range b.entries {
		e := body[i*bgEntrySize:]
		for w := range 4 {
			b.entries[i].pdq[w] = binary.BigEndian.Uint64(e[w*8:])
		}
		b.entries[i].quality = e[32]
		b.entries[i].phash = binary.LittleEndian.Uint64(e[33:])
		b.entries[i].dhash = binary.LittleEndian.Uint64(e[41:])
	}
	return b.withColumns(), nil
}

//go:embed background/default.bin
var defaultBackgroundData []byte

//go:embed background/layouts.bin
var layoutBackgroundData []byte

// DefaultBackground returns the background shipped with hashwatch (see
// background/README.md for what it was built from and how to rebuild it):
// the crawl-time views of unrelated pictures from the pool's tune split,
// and those of synthetic layouts (layoutBackground). It is parsed once and
// shared: a Background never changes. The embedded files are read only
// from inside these functions, so a program that never matches (the
// browser's hashing module) links none of their 4.4 MB.
func DefaultBackground() *Background {
	defaultBackground.once.Do(func() {
		defaultBackground.b = joinBackgrounds(poolBackground(), layoutBackground())
	})
	return defaultBackground.b
}

// onceBackground holds a background parsed on first use.
type onceBackground struct {
	once sync.Once
	b    *Background
}

var defaultBackground, poolPart, layoutPart onceBackground

// poolBackground is the part of the default background taken from real
// pictures (background/default.bin).
func poolBackground() *Background {
	poolPart.once.Do(func() { poolPart.b = mustReadBackground("default.bin", defaultBackgroundData) })
	return poolPart.b
}

// layoutBackground is the part of the default background drawn rather
// than collected (background/layouts.bin): the crawl-time views of
// pictures made only of a flat ground and a few frames, panels, bars,
// discs, lines and gradients (package hashing/internal/synthetic). Every
// hash is blind to what a flat area holds and where it lies beyond a
// coarse layout, so any two pictures whose structure is a few edges on a
// flat field — two window frames, two empty panels, a button and a stick
// on white — can sit within the rule's distances while showing nothing
// alike. A view that lies near such a drawing carries little more than
// its layout, and with these in the background the ratio test
// (Rule.Background) lets it match only a copy nearer to it than the
// drawing is. No collection of real pictures samples that space evenly:
// the drawings do, whatever package or site a frame comes from.
func layoutBackground() *Background {
	layoutPart.once.Do(func() { layoutPart.b = mustReadBackground("layouts.bin", layoutBackgroundData) })
	return layoutPart.b
}

// mustReadBackground parses an embedded background file.
func mustReadBackground(name string, data []byte) *Background {
	b, err := ReadBackground(data)
	if err != nil {
		panic(fmt.Sprintf("hashing: embedded background %s: %v", name, err))
	}
	return b
}

// joinBackgrounds returns a Background holding the views of all of bs.
func joinBackgrounds(bs ...*Background) *Background {
	n := 0
	for _, b := range bs {
		n += b.Len()
	}
	out := &Background{entries: make([]bgEntry, 0, n)}
	for _, b := range bs {
		if b != nil {
			out.entries = append(out.entries, b.entries...)
		}
	}
	return out.withColumns()
}

// nearest returns the smallest normalised distance (see Clause.normalised)
// under clause c from view v to any background view whose PDQ quality is
// at least minQuality, or +Inf-like 1e9 when none is comparable. It scans
// every entry: it runs only for view pairs that already satisfy a clause,
// which are rare, and 20,000 entries take a few tens of microseconds.
func (b *Background) nearest(v View, c Clause, minQuality int) float64 {
	best := 1e9
	if b == nil {
		return best
	}
	var pdqCode, phCode, dhCode Code
	var usePDQ, usePH, useDH bool
	var tPDQ, tPH, tDH float64
	for _, t := range c {
		h, ok := v.Hash(t.Algorithm)
		if !ok && t.IfPresent {
			continue
		}
		if !ok || h.Quality < minQuality {
			return best
		}
		switch t.Algorithm {
		case PDQ:
			pdqCode, usePDQ, tPDQ = h.Code, true, float64(max(t.MaxDistance, 1))
		case PHash:
			phCode, usePH, tPH = h.Code, true, float64(max(t.MaxDistance, 1))
		case DHash:
			dhCode, useDH, tDH = h.Code, true, float64(max(t.MaxDistance, 1))
		}
	}
	// phLimit is the smallest pHash distance d whose float64(d)/tPH is at
	// least best (65: none), so that the first test, the one most entries
	// fail, compares integers: the quotient grows with d, so d >= phLimit
	// exactly when float64(d)/tPH >= best.
	phLimit := 65
	newBest := func() {
		phLimit = 65
		for d := 0; d <= 64; d++ {
			if float64(d)/tPH >= best {
				phLimit = d
				return
			}
		}
	}
	phash := b.phash[:len(b.entries)]
	for i := range b.entries {
		n := 0.0
		if usePH {
			d := bits.OnesCount64(phash[i] ^ phCode[0])
			if d >= phLimit {
				continue
			}
			n = float64(d) / tPH
		}
		e := &b.entries[i]
		if useDH {
			if d := float64(bits.OnesCount64(e.dhash^dhCode[0])) / tDH; d > n {
				if n = d; n >= best {
					continue
				}
			}
		}
		if usePDQ {
			if int(e.quality) < minQuality {
				continue
			}
			if d := float64(e.pdq.Distance(pdqCode)) / tPDQ; d > n {
				n = d
			}
		}
		if n < best {
			best = n
			if usePH {
				newBest()
			}
		}
	}
	return best
}
