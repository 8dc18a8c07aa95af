package eval

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashwatch/hashwatch/hashing"
)

// fpCache keeps pool fingerprints on disk by file SHA-256 and purpose, so a
// second pool run hashes nothing. Its folder is named for the hasher's
// version: the SHA-256 of the fingerprints the hasher makes of a fixed
// probe picture, for both purposes, so any change of views, sizes or
// hashes starts a new cache by itself instead of mixing fingerprints of
// two hashers. Records are appended to one file; a torn last record (a
// killed run) is cut off when the cache is opened.
//
// The colour summaries (hashing.Fingerprint.Colour) are kept beside, in a
// file of fixed-size records named for the colour summary's own version
// (the summaries of the same probe picture, and of it as a JPEG, whose
// query summary comes from a smaller copy than its views'): a change of the
// colour summary alone then recomputes only the summaries, a decode per
// picture, instead of every view's hashes.
type fpCache struct {
	mu      sync.Mutex
	m       map[cacheKey]hashing.Fingerprint
	colours map[cacheKey]hashing.Colour
	f       *os.File
	w       *bufio.Writer
	path    string
	cf      *os.File
	cw      *bufio.Writer
}

type cacheKey struct {
	purpose hashing.Purpose
	sum     [32]byte
}

// cacheFormat names the record encoding; change it with the encoding.
const cacheFormat = "hashwatch-fpcache-1"

// maxCacheRecord bounds one record read back from the cache.
const maxCacheRecord = 1 << 20

// openFPCache opens (creating) the cache under dir; an empty dir gives a
// cache that keeps nothing.
func openFPCache(ctx context.Context, dir string, h *hashing.Hasher) (*fpCache, error) {
	c := &fpCache{m: map[cacheKey]hashing.Fingerprint{}, colours: map[cacheKey]hashing.Colour{}}
	if dir == "" {
		return c, nil
	}
	version, colourVersion, err := hasherVersion(ctx, h)
	if err != nil {
		return nil, err
	}
	sub := filepath.Join(dir, version)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return nil, err
	}
	c.path = filepath.Join(sub, "fingerprints.bin")
	f, err := os.OpenFile(c.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	good, err := c.load(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fingerprint cache %s: %w", c.path, err)
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	c.f, c.w = f, bufio.NewWriter(f)
	if err := c.openColours(filepath.Join(sub, "colours-"+colourVersion+".bin")); err != nil {
		c.f.Close()
		return nil, fmt.Errorf("fingerprint cache %s: %w", sub, err)
	}
	return c, nil
}

// colourRecord is the size of one colour record: purpose, SHA-256, the
// summary (all zero for a grey picture).
const colourRecord = 1 + 32 + hashing.ColourLen

// openColours reads the colour file at path, cutting off a torn last
// record, and opens it for appending.
func (c *fpCache) openColours(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return err
	}
	good := len(data) / colourRecord * colourRecord
	for off := 0; off < good; off += colourRecord {
		rec := data[off : off+colourRecord]
		var k cacheKey
		k.purpose = hashing.Purpose(rec[0])
		copy(k.sum[:], rec[1:33])
		col, _ := hashing.ColourFromBytes(rec[33:])
		c.colours[k] = col
	}
	if err := f.Truncate(int64(good)); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Seek(int64(good), io.SeekStart); err != nil {
		f.Close()
		return err
	}
	c.cf, c.cw = f, bufio.NewWriter(f)
	return nil
}

// load reads records until the end or a torn record and returns the
// length of the good prefix.
func (c *fpCache) load(r *bufio.Reader) (int64, error) {
	var good int64
	var head [1 + 32 + 4]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return good, nil // end, or a torn header
		}
		n := binary.BigEndian.Uint32(head[33:])
		if n > maxCacheRecord {
			return good, nil
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return good, nil
		}
		fp, err := decodeFP(body)
		if err != nil {
			return good, nil
		}
		var k cacheKey
		k.purpose = hashing.Purpose(head[0])
		copy(k.sum[:], head[1:33])
		c.m[k] = fp
		good += int64(len(head)) + int64(n)
	}
}

// get returns the cached fingerprint and whether it was found, and
// whether its colour summary was (a fingerprint cached before the colour
// summary existed, or before it last changed, lacks it: see putColour).
func (c *fpCache) get(p hashing.Purpose, sum [32]byte) (fp hashing.Fingerprint, ok, colourOK bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fp, ok = c.m[cacheKey{p, sum}]
	fp.Colour, colourOK = c.colours[cacheKey{p, sum}]
	return fp, ok, colourOK
}

// putColour remembers a picture's colour summary.
func (c *fpCache) putColour(p hashing.Purpose, sum [32]byte, col hashing.Colour) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.colours[cacheKey{p, sum}] = col
	if c.cw == nil {
		return
	}
	var rec [colourRecord]byte
	rec[0] = byte(p)
	copy(rec[1:33], sum[:])
	copy(rec[33:], col.Bytes())
	c.cw.Write(rec[:])
}

// put remembers fp, with its colour summary; write errors surface at
// flush.
func (c *fpCache) put(p hashing.Purpose, sum [32]byte, fp hashing.Fingerprint) {
	c.putColour(p, sum, fp.Colour)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[cacheKey{p, sum}] = fp
	if c.w == nil {
		return
	}
	body := encodeFP(fp)
	var head [1 + 32 + 4]byte
	head[0] = byte(p)
	copy(head[1:33], sum[:])
	binary.BigEndian.PutUint32(head[33:], uint32(len(body)))
	c.w.Write(head[:])
	c.w.Write(body)
}

func (c *fpCache) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w == nil {
		return nil
	}
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("fingerprint cache %s: %w", c.path, err)
	}
	if err := c.cw.Flush(); err != nil {
		return fmt.Errorf("fingerprint cache %s: colours: %w", c.path, err)
	}
	return nil
}

func (c *fpCache) close() error {
	if c.f == nil {
		return nil
	}
	return errors.Join(c.flush(), c.f.Close(), c.cf.Close())
}

// encodeFP encodes what matching uses of a fingerprint: kind, size and
// views (not the reference PDQ or the checksum; the colour summary is
// kept apart, see fpCache).
func encodeFP(fp hashing.Fingerprint) []byte {
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(string(fp.Kind))
	str(string(fp.Format))
	b = binary.AppendUvarint(b, uint64(fp.Width))
	b = binary.AppendUvarint(b, uint64(fp.Height))
	b = binary.AppendUvarint(b, uint64(len(fp.Views)))
	for _, v := range fp.Views {
		str(v.Name)
		b = binary.AppendUvarint(b, uint64(len(v.Hashes)))
		for _, h := range v.Hashes {
			str(string(h.Algorithm))
			for _, w := range h.Code {
				b = binary.BigEndian.AppendUint64(b, w)
			}
			b = binary.AppendVarint(b, int64(h.Quality))
		}
	}
	return b
}

var errBadRecord = errors.New("bad fingerprint cache record")

// decodeFP decodes encodeFP's output.
func decodeFP(b []byte) (hashing.Fingerprint, error) {
	var fp hashing.Fingerprint
	r := bytes.NewReader(b)
	num := func() (int, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > 1<<20 {
			return 0, errBadRecord
		}
		return int(n), nil
	}
	str := func() (string, error) {
		n, err := num()
		if err != nil || n > r.Len() {
			return "", errBadRecord
		}
		s := make([]byte, n)
		io.ReadFull(r, s)
		return string(s), nil
	}
	kind, err1 := str()
	format, err2 := str()
	w, err3 := num()
	h, err4 := num()
	nv, err5 := num()
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil || nv > 256 {
		return fp, errBadRecord
	}
	fp.Kind, fp.Format, fp.Width, fp.Height = hashing.Kind(kind), hashing.Format(format), w, h
	for range nv {
		name, err := str()
		if err != nil {
			return fp, err
		}
		nh, err := num()
		if err != nil || nh > 16 {
			return fp, errBadRecord
		}
		v := hashing.View{Name: name}
		for range nh {
			alg, err := str()
			if err != nil {
				return fp, err
			}
			var hh hashing.Hash
			hh.Algorithm = hashing.Algorithm(alg)
			for i := range hh.Code {
				if err := binary.Read(r, binary.BigEndian, &hh.Code[i]); err != nil {
					return fp, errBadRecord
				}
			}
			q, err := binary.ReadVarint(r)
			if err != nil {
				return fp, errBadRecord
			}
			hh.Quality = int(q)
			v.Hashes = append(v.Hashes, hh)
		}
		fp.Views = append(fp.Views, v)
	}
	if r.Len() != 0 {
		return fp, errBadRecord
	}
	return fp, nil
}

// hasherVersion names what h computes: a digest of its fingerprints of a
// fixed probe picture for registration and for queries.
func hasherVersion(ctx context.Context, h *hashing.Hasher) (views, colour string, err error) {
	img := image.NewNRGBA(image.Rect(0, 0, 192, 144))
	for y := range 144 {
		for x := range 192 {
			c := color.NRGBA{uint8(x), uint8(y * 2), uint8((x * y) >> 6), 255}
			if (x-60)*(x-60)+(y-70)*(y-70) < 900 || (x > 120 && x < 170 && y > 20 && y < 60) {
				c = color.NRGBA{250, 240, 30, 255}
			}
			if x > 90 && x < 110 && y > 100 && y < 130 {
				c = color.NRGBA{200, 30, 90, 0} // transparent, so alpha handling is versioned too
			}
			if x < 12 || x >= 180 {
				c = color.NRGBA{0, 0, 0, 255} // borders, so the trimmed views take part
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", "", err
	}
	d, dc := sha256.New(), sha256.New()
	d.Write([]byte(cacheFormat))
	for _, p := range []hashing.Purpose{hashing.ForRegistration, hashing.ForQuery} {
		fp, err := h.Image(ctx, buf.Bytes(), p)
		if err != nil {
			return "", "", fmt.Errorf("hasher version probe: %w", err)
		}
		d.Write(encodeFP(fp))
		dc.Write(fp.Colour.Bytes())
	}
	// The probe as a JPEG too: a query takes a JPEG's colour summary from
	// its own small copy (hashing.decodePicture), which a PNG never reaches.
	var jbuf bytes.Buffer
	if err := jpeg.Encode(&jbuf, img, &jpeg.Options{Quality: 90}); err != nil {
		return "", "", err
	}
	for _, p := range []hashing.Purpose{hashing.ForRegistration, hashing.ForQuery} {
		c, err := h.Colour(ctx, jbuf.Bytes(), p)
		if err != nil {
			return "", "", fmt.Errorf("hasher version probe: %w", err)
		}
		dc.Write(c.Bytes())
	}
	return hex.EncodeToString(d.Sum(nil)[:8]), hex.EncodeToString(dc.Sum(nil)[:8]), nil
}
