package video

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os/exec"
	"sync"
	"time"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/pdq"
)

// Config configures a Hasher. The zero value is usable: ffmpeg from PATH,
// the system temporary directory, default limits, DecodeAuto, one
// decoding thread per video.
type Config struct {
	// FFmpeg is the ffmpeg executable, a path or a name looked up in PATH;
	// "" means "ffmpeg".
	FFmpeg string
	// TempDir receives the temporary copies of MP4s that cannot be
	// streamed, only where in-memory files (Linux's memfd_create) are
	// unavailable; "" means os.TempDir().
	TempDir string
	Limits  Limits
	Decode  Decode
	// Threads is ffmpeg's decoding threads per video; 0 means 1, the most
	// efficient when a crawler hashes several videos at once.
	Threads int
}

// Usage is the CPU time the ffmpeg child process used.
type Usage struct {
	FFmpegUser, FFmpegSys time.Duration
}

// Hasher fingerprints videos and animations. It is safe for concurrent
// use. A Hasher without ffmpeg still fingerprints animated GIFs and fails
// on everything else with ErrNoFFmpeg.
type Hasher struct {
	ffmpeg    string
	ffmpegErr error
	tempDir   string
	limits    Limits
	decode    Decode
	threads   int
	// inMemory says ffmpeg reads videos from sealed in-memory files.
	inMemory bool
	pdq      sync.Pool
}

// New returns a Hasher for cfg. It looks ffmpeg up once; FFmpeg reports
// the outcome.
func New(cfg Config) *Hasher {
	h := &Hasher{tempDir: cfg.TempDir, limits: cfg.Limits.withDefaults(), decode: cfg.Decode, threads: max(cfg.Threads, 1)}
	name := cfg.FFmpeg
	if name == "" {
		name = "ffmpeg"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		h.ffmpegErr = fmt.Errorf("%s: %w", name, ErrNoFFmpeg)
	}
	h.ffmpeg = path
	h.pdq.New = func() any { return pdq.NewHasher() }
	h.inMemory = memfdWorks()
	removeStale(h.tempDir, h.limits.WallTime)
	return h
}

// InMemory reports whether videos reach ffmpeg only through memory (a
// sealed memfd, Linux). Where it is false, an MP4 whose index follows its
// media is written to a temporary file for the length of one call;
// programs say so at start-up.
func (h *Hasher) InMemory() bool { return h.inMemory }

// FFmpeg returns the path of the ffmpeg the Hasher runs, or an error
// wrapping ErrNoFFmpeg. Programs call it at start-up to say once, clearly,
// that videos will not be hashed.
func (h *Hasher) FFmpeg() (string, error) { return h.ffmpeg, h.ffmpegErr }

// Limits returns the limits the Hasher enforces.
func (h *Hasher) Limits() Limits { return h.limits }

// Frames are sampled every QueryInterval of a crawled video and every
// RegistrationInterval of a registered one, plus at scene changes. A
// query frame then lies at most a quarter second from a registered one:
// in a slow pan or zoom, half a second apart already moves PDQ by some 50
// bits. Registration is rare and its frames few, so it pays.
const (
	QueryInterval        = time.Second
	RegistrationInterval = time.Second / 2
)

// dupDistance is the PDQ distance at or under which a frame repeats the
// frame kept before it and is dropped (unless keepEvery has passed), so
// still scenes do not fill the index with copies.
const dupDistance = 8

// keepEvery is the longest gap between kept frames.
const keepEvery = 5 * time.Second

// Fingerprint hashes the video or animation in data (see Sniff) for
// purpose: per sampled frame, the PDQ hash with its quality, and for
// queries (hashing.ForQuery, hashing.ForInspection) also the PDQ of the
// mirrored frame. The bytes are not retained; a temporary copy, when one
// is needed, is removed before Fingerprint returns.
func (h *Hasher) Fingerprint(ctx context.Context, data []byte, purpose hashing.Purpose) (hashing.Fingerprint, error) {
	fp, _, err := h.FingerprintUsage(ctx, data, purpose)
	return fp, err
}

// FingerprintUsage is Fingerprint that also reports ffmpeg's CPU time,
// for benchmarks.
func (h *Hasher) FingerprintUsage(ctx context.Context, data []byte, purpose hashing.Purpose) (hashing.Fingerprint, Usage, error) {
	if err := ctx.Err(); err != nil {
		return hashing.Fingerprint{}, Usage{}, err
	}
	l := h.limits
	if int64(len(data)) > l.MaxBytes {
		return hashing.Fingerprint{}, Usage{}, fmt.Errorf("%d bytes, limit %d: %w", len(data), l.MaxBytes, hashing.ErrTooLarge)
	}
	format := Sniff(data)
	interval := QueryInterval
	if purpose == hashing.ForRegistration {
		interval = RegistrationInterval
	}
	fp := hashing.Fingerprint{Kind: hashing.KindVideo, Format: format}
	if purpose.NeedsSum() {
		fp.SHA256 = sha256.Sum256(data)
	}
	switch format {
	case "":
		return fp, Usage{}, fmt.Errorf("not a video or animation: %w", hashing.ErrUnsupported)
	}
	raw, usage, err := h.sample(ctx, data, format, purpose, interval, &fp)
	if err != nil {
		return fp, usage, err
	}
	if len(raw) == 0 {
		return fp, usage, fmt.Errorf("%s: no frames: %w", format, hashing.ErrCorrupt)
	}
	if last := raw[len(raw)-1].At + interval; fp.Duration < last {
		fp.Duration = last
	}
	fp.Frames = h.hashFrames(raw, purpose != hashing.ForRegistration, pixelAspect(fp.Width, fp.Height))
	return fp, usage, nil
}

// sample decodes data's frames every interval (and at scene changes) as
// the hasher's decode mode says, under one wall-time budget, and fills
// fp's duration and size: the one frame source of Fingerprint and
// Keyframes.
func (h *Hasher) sample(ctx context.Context, data []byte, format hashing.Format, purpose hashing.Purpose, interval time.Duration, fp *hashing.Fingerprint) ([]rawFrame, Usage, error) {
	l := h.limits
	var raw []rawFrame
	var usage Usage
	// One wall-time budget for the whole fingerprint, however many ffmpeg
	// runs it takes; running out is ErrTimeout, the caller's own
	// cancellation stays the caller's error.
	wall, cancel := context.WithTimeout(ctx, l.WallTime)
	defer cancel()
	overTime := func(err error) error {
		if ctx.Err() == nil && wall.Err() != nil && !errors.Is(err, ErrTimeout) {
			return fmt.Errorf("fingerprinting ran over %v: %w", l.WallTime, ErrTimeout)
		}
		return err
	}
	switch format {
	case FormatWebP:
		// Debian 12's ffmpeg cannot decode animation frames; libwebp can.
		d, sz, err := webpFrames(wall, data, l, interval, func(f rawFrame) error { raw = append(raw, f); return nil })
		if err != nil {
			return nil, usage, overTime(err)
		}
		fp.Duration, fp.Width, fp.Height = d, sz.X, sz.Y
	case FormatGIF:
		d, err := gifFrames(wall, data, l, interval, func(f rawFrame) error { raw = append(raw, f); return nil })
		if err != nil {
			return nil, usage, overTime(fmt.Errorf("gif: %w", err))
		}
		fp.Duration = d
		if b, err := imageSize(data); err == nil {
			fp.Width, fp.Height = b.X, b.Y
		}
	default:
		pr, u, err := h.decodeFrames(wall, data, format, purpose, interval, &raw)
		usage = u
		if err != nil {
			return nil, usage, overTime(err)
		}
		fp.Width, fp.Height, fp.Duration = pr.width, pr.height, pr.duration
	}
	return raw, usage, nil
}

// decodeFrames runs ffmpeg as h.decode says. With DecodeAuto a query is
// first sampled from its keyframes alone. When some keyframes lie more
// than KeyframeGap apart, ffmpeg decodes again, now only SegmentSpan
// forward from each keyframe (B-frames and deblocking skipped), seeking
// from segment to segment in the in-memory copy: most of a long group of
// pictures is never decoded. An MP4's index gives the keyframe times
// without the keyframe pass. Where ffmpeg cannot seek (no memfd, or a
// format without an index) it decodes the whole video as DecodeFast
// instead.
func (h *Hasher) decodeFrames(ctx context.Context, data []byte, format hashing.Format, purpose hashing.Purpose, interval time.Duration, raw *[]rawFrame) (probe, Usage, error) {
	src, err := h.openSource(data, format)
	if err != nil {
		return probe{}, Usage{}, err
	}
	defer src.Close()
	collect := func(f rawFrame) error { *raw = append(*raw, f); return nil }
	mode := h.decode
	if mode == DecodeAuto && purpose == hashing.ForRegistration {
		mode = DecodeFast
	}
	if mode != DecodeAuto {
		return h.ffmpegFrames(ctx, src, format, interval, mode, nil, collect)
	}
	seek := src.seekable() && seekable[format]
	if seek && format == FormatMP4 {
		// The index names the keyframes: no keyframe pass needed when
		// they lie far apart.
		if k, err := mp4Keyframes(data); err == nil && sparse(k.Keys, k.Duration) {
			if k.Duration > h.limits.MaxDuration {
				return probe{duration: k.Duration}, Usage{}, fmt.Errorf("video declares %v, limit %v: %w", k.Duration.Round(time.Second), h.limits.MaxDuration, ErrTooLong)
			}
			pr, u, err := h.ffmpegFrames(ctx, src, format, interval, DecodeFast, segments(k.Keys, k.Duration, 0), collect)
			pr.duration = k.Duration
			return pr, u, err
		}
	}
	var keys []time.Duration
	pr, u, err := h.ffmpegFrames(ctx, src, format, interval, DecodeKeyframes, nil, func(f rawFrame) error {
		if !seek && f.At-prevOr(keys, 0) > KeyframeGap {
			return errSparse // to be decoded again in full: stop early
		}
		keys = append(keys, f.At)
		return collect(f)
	})
	if err == nil && sparse(keys, pr.duration) {
		err = errSparse
	}
	if !errors.Is(err, errSparse) {
		return pr, u, err
	}
	*raw = (*raw)[:0]
	var segs []segment
	if seek {
		segs = segments(keys, pr.duration, pr.start)
	}
	again := collect
	if segs != nil {
		// Segments are in the file's own timeline; frames are timed from
		// its start, as in every other pass.
		again = func(f rawFrame) error { f.At = max(f.At-pr.start, 0); return collect(f) }
	}
	pr2, u2, err := h.ffmpegFrames(ctx, src, format, interval, DecodeFast, segs, again)
	if segs != nil {
		// The concatenation knows neither duration nor start.
		pr2.duration, pr2.start = pr.duration, pr.start
	}
	return pr2, Usage{u.FFmpegUser + u2.FFmpegUser, u.FFmpegSys + u2.FFmpegSys}, err
}

// SegmentSpan is the farthest forward from a keyframe that a crawled
// video whose keyframes lie far apart is decoded: with one frame a second
// that is three frames per group of pictures, and at x264's default
// spacing of 8–10 s under a third of the decoding. Matching counts a frame
// for the time up to the next one (at most 5 s), so shares of time do not
// suffer.
const SegmentSpan = 3 * time.Second

// segmentShare is the largest share of a group of pictures decoded after
// its keyframe (segmentSpan): groups of 3–7 s, as x264 makes them at scene
// cuts, would otherwise be decoded nearly whole.
const segmentShare = 0.4

// segmentSpan returns how far forward from a keyframe to decode when the
// next keyframe (or the end) lies gap after it: the keyframe alone when
// the next one is KeyframeGap away or nearer (as keyframe-only sampling
// would), else segmentShare of the gap, at most SegmentSpan. Frames then
// lie at most about 4.5 s apart for groups of up to 7.5 s, and a group
// costs its keyframe and at most 40% of its other frames.
func segmentSpan(gap time.Duration) time.Duration {
	if gap <= KeyframeGap {
		return interFrame
	}
	return min(SegmentSpan, time.Duration(float64(gap)*segmentShare))
}

// seekable lists the formats whose index lets ffmpeg seek to a keyframe.
var seekable = map[hashing.Format]bool{FormatMP4: true, FormatMKV: true}

// segments returns the stretches to decode: segmentSpan from each
// keyframe in keys (times from the first frame), in the file's own
// timeline (which starts at start).
func segments(keys []time.Duration, duration, start time.Duration) []segment {
	var out []segment
	for i, k := range keys {
		end := k + SegmentSpan // the last keyframe of a video of unknown length
		switch {
		case i+1 < len(keys):
			end = min(k+segmentSpan(keys[i+1]-k), keys[i+1])
		case duration > 0:
			last := max(duration, k+interFrame)
			end = min(k+segmentSpan(last-k), last)
		}
		if end > k {
			out = append(out, segment{In: start + k, Out: start + end})
		}
	}
	return out
}

// interFrame is a frame's time at 30 fps: the least a segment lasts.
const interFrame = time.Second / 30

// sparse reports whether some keyframe lies more than KeyframeGap after
// the one before it (or the start), or the end after the last.
func sparse(keys []time.Duration, duration time.Duration) bool {
	prev := time.Duration(0)
	for _, k := range keys {
		if k-prev > KeyframeGap {
			return true
		}
		prev = k
	}
	return duration-prev > KeyframeGap
}

func prevOr(keys []time.Duration, d time.Duration) time.Duration {
	if len(keys) == 0 {
		return d
	}
	return keys[len(keys)-1]
}

// errSparse stops a keyframe pass whose keyframes lie too far apart.
var errSparse = errors.New("keyframes too sparse")

// hashFrames trims the borders the whole video shares (letterbox and
// pillarbox bars, see videoBorders), hashes each frame and drops
// near-repeats.
//
// aspect is a grid pixel's width over its height in the video's own
// pixels (pixelAspect), which places the strips (see stripRects).
func (h *Hasher) hashFrames(raw []rawFrame, query bool, aspect float64) []hashing.Frame {
	content := videoBorders(raw)
	strips := stripRects(content, aspect)
	// Soft (blurred) bars, or else the border of a picture in a
	// picture, give a query frame one more view: the inset (see
	// softBorders, insetPicture and InsetOf).
	inset := content
	if query {
		if s := softBorders(raw, content); !near(s, content) {
			inset = s
		} else if p, ok := insetPicture(raw, content); ok {
			inset = p
		}
	}
	ph := h.pdq.Get().(*pdq.Hasher)
	defer h.pdq.Put(ph)
	var out []hashing.Frame
	var prev hashing.Code
	var prevAt time.Duration
	for _, f := range raw {
		g := f.Pix
		if content != g.Rect {
			g = g.SubImage(content).(*image.Gray)
		}
		small := gray(imaging.Resize(g, 64, 64, imaging.Box))
		fr := hashing.Frame{At: f.At}
		part := func(r image.Rectangle) hashing.Hash {
			v, q := ph.HashImage(gray(imaging.Resize(f.Pix.SubImage(r), 64, 64, imaging.Box)))
			return hashing.Hash{Algorithm: hashing.PDQ, Code: code(v), Quality: q}
		}
		// centre hashes content less cut tenths of a percent of its
		// size from each side, rounded to the nearest grid pixel (so the
		// 2.5% steps stay 3–4 pixels of 128 apart) or, for the inner
		// view, down, as it always was: a query's inner hash meets those
		// of frames registered before.
		centre := func(cut int, nearest bool) hashing.Hash {
			half := 0
			if nearest {
				half = 500
			}
			dx, dy := (content.Dx()*cut+half)/1000, (content.Dy()*cut+half)/1000
			return part(image.Rect(content.Min.X+dx, content.Min.Y+dy, content.Max.X-dx, content.Max.Y-dy))
		}
		// The strips, hashed alike on both sides (see strips.go); a strip
		// the same as the one before it (both the whole frame) repeats its
		// hash.
		var stripHashes [stripCount]hashing.Hash
		for i, r := range strips {
			if i > 0 && r == strips[i-1] {
				stripHashes[i] = stripHashes[i-1]
				continue
			}
			stripHashes[i] = part(r)
		}
		if query {
			vs, q := ph.DihedralImage(small)
			fr.Hashes = []hashing.Hash{{Algorithm: hashing.PDQ, Code: code(vs[pdq.Original]), Quality: q}}
			fr.Mirrored = []hashing.Hash{{Algorithm: hashing.PDQ, Code: code(vs[pdq.FlipY]), Quality: q}}
			// The inner hash, the strips, then the inset (see
			// QueryStrips and InsetOf).
			fr.Cropped = append([]hashing.Hash{centre(innerEach, false)}, stripHashes[:]...)
			if inset != content {
				// The frame inside soft bars or another video's frame
				// (the last Cropped hash, see InsetOf), compared as the
				// frame itself is.
				v, q := ph.HashImage(gray(imaging.Resize(f.Pix.SubImage(inset), 64, 64, imaging.Box)))
				fr.Cropped = append(fr.Cropped, hashing.Hash{Algorithm: hashing.PDQ, Code: code(v), Quality: q})
			}
			// The frame trimmed on its own borders, when they differ from
			// the video's: a picture shown in one frame of a slideshow or
			// an animation sits in bars of its own — one-sided on a GIF
			// canvas larger than the frame drawn at its corner, or of
			// another size than the other pictures' — which the bars the
			// whole video shares leave in, and a picture's border-trimmed
			// view is hashed the same way. Only picturesInVideo (package
			// index) looks past the first hash; video matching keeps to
			// the first, trimmed alike in every frame.
			if own := hashing.TrimBorders(f.Pix); !near(own, content) && own.Dx() >= 8 && own.Dy() >= 8 {
				t := gray(imaging.Resize(f.Pix.SubImage(own), 64, 64, imaging.Box))
				vs, q := ph.DihedralImage(t)
				fr.Hashes = append(fr.Hashes, hashing.Hash{Algorithm: hashing.PDQ, Code: code(vs[pdq.Original]), Quality: q})
				fr.Mirrored = append(fr.Mirrored, hashing.Hash{Algorithm: hashing.PDQ, Code: code(vs[pdq.FlipY]), Quality: q})
			}
		} else {
			v, q := ph.HashImage(small)
			fr.Hashes = []hashing.Hash{{Algorithm: hashing.PDQ, Code: code(v), Quality: q}}
			// The centre crops, the strips, then the inner hash (see
			// registeredStrips).
			for _, cut := range cropEach[:len(cropEach)-1] {
				fr.Cropped = append(fr.Cropped, centre(cut, true))
			}
			fr.Cropped = append(fr.Cropped, stripHashes[:]...)
			fr.Cropped = append(fr.Cropped, centre(innerEach, false))
		}
		c := fr.Hashes[0].Code
		if len(out) > 0 && c.Distance(prev) <= dupDistance && f.At-prevAt < keepEvery {
			continue
		}
		prev, prevAt = c, f.At
		out = append(out, fr)
	}
	return out
}

// near reports whether every side of a lies within two pixels of b's:
// frames trimmed to either hash alike, so the second hash is not worth
// its cost (videoBorders steps a pixel past a bar's edge).
func near(a, b image.Rectangle) bool {
	d := func(x, y int) bool { return x-y <= 2 && y-x <= 2 }
	return d(a.Min.X, b.Min.X) && d(a.Min.Y, b.Min.Y) && d(a.Max.X, b.Max.X) && d(a.Max.Y, b.Max.Y)
}

// cropEach lists the shares cut from each side of a registered frame, in
// tenths of a percent, for its Cropped hashes: sites crop videos by 10–30%
// to dodge matching, and PDQ moves by some 15 bits for every 1% cut from
// each side, so each crop needs its own hash, 2.5% a side apart: the
// middle 95%, 90%, 85%, 80%, 75% and 70%. Measured on 47 dev photos
// framed 16:9, each cut from every side and scaled back: with steps of 5%
// a cut halfway between two (2–3%, 7–8%, 12–13%) lay at median PDQ 34–56
// (p90 42–70) from the nearest; with steps of 2.5% every cut from 1% to
// 15% lies at median 10–28 (p90 ≤ 34). The last, the middle 60%
// (innerEach), is also hashed in every query frame and compared with its
// like only: it leaves out the bands along the edges where sites put
// watermarks, logos and captions. Matching takes the last Cropped hash as
// the inner one, so frames registered before the 70% view, the strips and
// the half steps were added still match. Between the crops and the inner
// hash a registered frame lists its strips (registeredStrips).
var cropEach = [...]int{25, 50, 75, 100, 125, 150, innerEach}

// innerEach is the share cut from each side for the inner hash, in tenths
// of a percent.
const innerEach = 200

func code(p pdq.Hash) hashing.Code {
	return hashing.Code{
		binary.BigEndian.Uint64(p[0:8]), binary.BigEndian.Uint64(p[8:16]),
		binary.BigEndian.Uint64(p[16:24]), binary.BigEndian.Uint64(p[24:32]),
	}
}

// gray converts a grey picture imaging returned as NRGBA back to Gray.
func gray(n *image.NRGBA) *image.Gray {
	g := image.NewGray(n.Rect)
	for i := range g.Pix {
		g.Pix[i] = n.Pix[4*i]
	}
	return g
}
