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
	// streamed; "" means os.TempDir().
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
	pdq       sync.Pool
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
	return h
}

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
	var raw []rawFrame
	var usage Usage
	fp := hashing.Fingerprint{Kind: hashing.KindVideo, Format: format}
	if purpose.NeedsSum() {
		fp.SHA256 = sha256.Sum256(data)
	}
	switch format {
	case "":
		return fp, usage, fmt.Errorf("not a video or animation: %w", hashing.ErrUnsupported)
	}
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
			return fp, usage, overTime(err)
		}
		fp.Duration, fp.Width, fp.Height = d, sz.X, sz.Y
	case FormatGIF:
		d, err := gifFrames(wall, data, l, interval, func(f rawFrame) error { raw = append(raw, f); return nil })
		if err != nil {
			return fp, usage, overTime(fmt.Errorf("gif: %w", err))
		}
		fp.Duration = d
		if b, err := imageSize(data); err == nil {
			fp.Width, fp.Height = b.X, b.Y
		}
	default:
		pr, u, err := h.decodeFrames(wall, data, format, purpose, interval, &raw)
		usage = u
		if err != nil {
			return fp, usage, overTime(err)
		}
		fp.Width, fp.Height, fp.Duration = pr.width, pr.height, pr.duration
	}
	if len(raw) == 0 {
		return fp, usage, fmt.Errorf("%s: no frames: %w", format, hashing.ErrCorrupt)
	}
	if last := raw[len(raw)-1].At + interval; fp.Duration < last {
		fp.Duration = last
	}
	fp.Frames = h.hashFrames(raw, purpose != hashing.ForRegistration)
	return fp, usage, nil
}

// decodeFrames runs ffmpeg as h.decode says: with DecodeAuto, a query is
// first sampled from keyframes alone; at the first gap between keyframes
// wider than KeyframeGap that pass is stopped (having decoded little) and
// the video decoded again as DecodeFast.
func (h *Hasher) decodeFrames(ctx context.Context, data []byte, format hashing.Format, purpose hashing.Purpose, interval time.Duration, raw *[]rawFrame) (probe, Usage, error) {
	collect := func(f rawFrame) error { *raw = append(*raw, f); return nil }
	mode := h.decode
	if mode == DecodeAuto {
		if purpose == hashing.ForRegistration {
			mode = DecodeFast
		} else {
			prev := time.Duration(0)
			pr, u, err := h.ffmpegFrames(ctx, data, format, interval, DecodeKeyframes, func(f rawFrame) error {
				if f.At-prev > KeyframeGap {
					return errSparse
				}
				prev = f.At
				return collect(f)
			})
			if err == nil && pr.duration-prev > KeyframeGap {
				err = errSparse
			}
			if !errors.Is(err, errSparse) {
				return pr, u, err
			}
			*raw = (*raw)[:0]
			pr, u2, err := h.ffmpegFrames(ctx, data, format, interval, DecodeFast, collect)
			return pr, Usage{u.FFmpegUser + u2.FFmpegUser, u.FFmpegSys + u2.FFmpegSys}, err
		}
	}
	return h.ffmpegFrames(ctx, data, format, interval, mode, collect)
}

// errSparse stops a keyframe pass whose keyframes lie too far apart.
var errSparse = errors.New("keyframes too sparse")

// hashFrames trims the borders the whole video shares (letterbox and
// pillarbox bars), hashes each frame and drops near-repeats.
func (h *Hasher) hashFrames(raw []rawFrame, query bool) []hashing.Frame {
	content := image.Rectangle{}
	for _, f := range raw {
		content = content.Union(hashing.TrimBorders(f.Pix))
	}
	ph := h.pdq.Get().(*pdq.Hasher)
	defer h.pdq.Put(ph)
	var out []hashing.Frame
	var prev hashing.Code
	var prevAt time.Duration
	for _, f := range raw {
		g := f.Pix
		if content.Dx() >= 8 && content.Dy() >= 8 && content != g.Rect {
			g = g.SubImage(content).(*image.Gray)
		}
		small := gray(imaging.Resize(g, 64, 64, imaging.Box))
		fr := hashing.Frame{At: f.At}
		if query {
			vs, q := ph.DihedralImage(small)
			fr.Hashes = []hashing.Hash{{Algorithm: hashing.PDQ, Code: code(vs[pdq.Original]), Quality: q}}
			fr.Mirrored = []hashing.Hash{{Algorithm: hashing.PDQ, Code: code(vs[pdq.FlipY]), Quality: q}}
		} else {
			v, q := ph.HashImage(small)
			fr.Hashes = []hashing.Hash{{Algorithm: hashing.PDQ, Code: code(v), Quality: q}}
			b := g.Bounds()
			dx, dy := b.Dx()*cropEach/100, b.Dy()*cropEach/100
			centre := g.SubImage(image.Rect(b.Min.X+dx, b.Min.Y+dy, b.Max.X-dx, b.Max.Y-dy)).(*image.Gray)
			v, q = ph.HashImage(gray(imaging.Resize(centre, 64, 64, imaging.Box)))
			fr.Cropped = []hashing.Hash{{Algorithm: hashing.PDQ, Code: code(v), Quality: q}}
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

// cropEach is the percentage cut from each side of a registered frame for
// its Cropped hash: sites crop videos by some 10% to dodge matching, which
// moves PDQ beyond any safe threshold.
const cropEach = 5

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
