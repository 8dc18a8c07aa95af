package video

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math/big"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

// frameSize is the side of the grey frames ffmpeg delivers: the frame is
// squeezed to a square, as the image path's 64×64 PDQ input is, at twice
// PDQ's size so borders can be trimmed before the final area average.
const frameSize = 128

// sceneThreshold is ffmpeg's scene-change score above which a frame is
// sampled regardless of the interval.
const sceneThreshold = 0.4

// Decode chooses how much of a video ffmpeg decodes. Decoding is nearly
// all of the cost of fingerprinting a video; see BenchmarkFingerprint720p
// and the README for measurements.
type Decode int

const (
	// DecodeAuto, the default, decodes a crawled video's keyframes only
	// when they lie at most KeyframeGap apart (as in streaming encodes,
	// and in every VP9 video, whose decoder ignores the option and
	// decodes all), and otherwise decodes again as DecodeFast. A
	// registered video is always decoded as DecodeFast, for its denser
	// sampling.
	DecodeAuto Decode = iota
	// DecodeFast skips B-frames and the deblocking filter (-skip_frame
	// bidir -skip_loop_filter all): a 64×64 hash does not see deblocking,
	// and together they roughly halve H.264 decoding. Codecs that ignore
	// the options (VP9) decode fully.
	DecodeFast
	// DecodeFull decodes every frame.
	DecodeFull
	// DecodeKeyframes decodes keyframes only (-skip_frame nokey), however
	// far apart they are.
	DecodeKeyframes
)

// KeyframeGap is the widest spacing of keyframes at which DecodeAuto
// samples a crawled video from its keyframes alone. It covers keyframes
// every 3, 4 and 4.5 s (groups of 75 to 135 frames at 25 or 30 fps),
// which decoded in segments (the keyframe and 40% of the group after it,
// each segment costing the concat demuxer a reopen of the file) took a
// fifth to a third of a full decode, and from their keyframes alone take
// an eighth to a tenth. It stays under 5 s, the longest a kept frame
// stands for (keepEvery) and that matching counts a frame for: a frame
// every 4.6 s still gives a 15-s clip the three frames alignment needs.
const KeyframeGap = 4600 * time.Millisecond

// rawFrame is one sampled frame before hashing.
type rawFrame struct {
	At  time.Duration
	Pix *image.Gray
	key bool
}

// frameInfo is what showinfo says of a frame written.
type frameInfo struct {
	at  time.Duration
	key bool
}

// probe is what ffmpeg says about its input on stderr.
type probe struct {
	duration time.Duration
	// start is the time of the input's first frame in its own timeline;
	// frame times are counted from it.
	start         time.Duration
	width, height int
}

var (
	durationRE = regexp.MustCompile(`Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)`)
	sizeRE     = regexp.MustCompile(`, (\d{1,6})x(\d{1,6})[ ,\[]`)
	ptsRE      = regexp.MustCompile(`pts:\s*(-?\d+)\s+pts_time:\s*(-?[0-9.]+)`)
	timeBaseRE = regexp.MustCompile(`config in time_base: (\d+)/(\d+)`)
	startRE    = regexp.MustCompile(`, start: (-?\d+(?:\.\d+)?)`)
)

// segment is a stretch [In, Out) of a video's own timeline that a
// segmented run decodes: from a keyframe, forward, for a few seconds.
type segment struct{ In, Out time.Duration }

// ffmpegFrames runs ffmpeg on src and passes each sampled frame to fn.
// With segments (src must be seekable), ffmpeg's concat demuxer seeks to
// each segment's start and decodes only the segment; frame times are
// given in the video's own timeline all the same.
func (h *Hasher) ffmpegFrames(ctx context.Context, src *source, format hashing.Format, interval time.Duration, decode Decode, segs []segment, fn func(rawFrame) error) (probe, Usage, error) {
	if h.ffmpegErr != nil {
		return probe{}, Usage{}, h.ffmpegErr
	}
	l := h.limits
	url, stdin, extra := src.input()
	args := []string{"-hide_banner", "-nostats", "-loglevel", "info"}
	switch decode {
	case DecodeFast:
		args = append(args, "-skip_frame", "bidir", "-skip_loop_filter", "all")
	case DecodeKeyframes:
		// Not -discard nokey as well, which would save reading the other
		// packets but leaves ffmpeg guessing the keyframes' times.
		args = append(args, "-skip_frame", "nokey")
	}
	args = append(args,
		"-threads", strconv.Itoa(h.threads),
		// A backstop for the check of the declared size in readFrames;
		// decoders count padded (macroblock-aligned) sizes, hence the slack.
		"-max_pixels", strconv.FormatInt(2*l.MaxPixels, 10),
		"-protocol_whitelist", "file,pipe",
		"-t", strconv.FormatFloat((l.MaxDuration+interval).Seconds(), 'f', 3, 64),
	)
	selectExpr := fmt.Sprintf(`isnan(prev_selected_t)+gte(t-prev_selected_t\,%g)+gt(scene\,%g)`, interval.Seconds(), sceneThreshold)
	var timeline *segmentClock
	if len(segs) > 0 {
		if !src.seekable() {
			return probe{}, Usage{}, fmt.Errorf("segmented decoding of an unseekable input")
		}
		// The concat demuxer opens the video itself; the format whitelist,
		// which it passes on, keeps that open to the sniffed demuxer.
		script, clock := concatScript(url, segs)
		timeline = clock
		stdin, url = strings.NewReader(script), "pipe:0"
		args = append(args, "-format_whitelist", "concat,"+demuxers[format], "-f", "concat", "-safe", "0")
		// Every segment starts at a keyframe: always take it.
		selectExpr = "key+" + selectExpr
	} else {
		args = append(args, "-f", demuxers[format])
	}
	args = append(args,
		"-i", url,
		"-map", "0:v:0", "-an", "-sn", "-dn",
		"-vf", fmt.Sprintf(`select='%s',scale=%d:%d:flags=area,format=gray,showinfo`, selectExpr, frameSize, frameSize),
		"-fps_mode", "passthrough",
		"-frames:v", strconv.Itoa(l.MaxFrames+1),
		"-f", "rawvideo", "-pix_fmt", "gray", "pipe:1",
	)

	wall, cancelWall := context.WithTimeout(ctx, l.WallTime)
	defer cancelWall()
	run, kill := context.WithCancel(wall)
	defer kill()
	cmd := exec.CommandContext(run, h.ffmpeg, args...)
	ownProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin = stdin
	if extra != nil {
		cmd.ExtraFiles = []*os.File{extra}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return probe{}, Usage{}, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return probe{}, Usage{}, err
	}
	if err := cmd.Start(); err != nil {
		return probe{}, Usage{}, fmt.Errorf("start %s: %w", h.ffmpeg, err)
	}

	log := &stderrLog{pts: make(chan frameInfo), stop: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		log.read(stderr)
	}()

	emit := fn
	if timeline != nil {
		emit = func(f rawFrame) error {
			f.At = timeline.source(f.At, f.key)
			return fn(f)
		}
	}
	frames, ferr := readFrames(stdout, log, l, emit)
	if ferr != nil {
		kill()
	}
	close(log.stop)
	// Drain what is left so ffmpeg never blocks on a full pipe; after a
	// kill this ends at once.
	io.Copy(io.Discard, stdout)
	wg.Wait()
	werr := cmd.Wait()
	usage := childCPU(cmd)
	pr := log.probe()

	switch {
	case ctx.Err() != nil:
		return pr, usage, ctx.Err()
	case wall.Err() != nil:
		return pr, usage, fmt.Errorf("ffmpeg ran over %v: %w", l.WallTime, ErrTimeout)
	case ferr != nil:
		return pr, usage, ferr
	case int64(pr.width)*int64(pr.height) > l.MaxPixels:
		return pr, usage, fmt.Errorf("video frames of %dx%d pixels, limit %d: %w", pr.width, pr.height, l.MaxPixels, hashing.ErrTooLarge)
	case werr != nil:
		return pr, usage, fmt.Errorf("ffmpeg %s: %v: %s: %w", format, werr, log.tail(), hashing.ErrCorrupt)
	case frames == 0:
		return pr, usage, fmt.Errorf("ffmpeg %s: no video frames: %s: %w", format, log.tail(), hashing.ErrCorrupt)
	}
	return pr, usage, nil
}

// concatScript writes the ffconcat script that plays segs of the file at
// url one after the other, and the clock that maps the concatenation's
// times back to the file's.
//
// An in point makes the demuxer seek to the last keyframe at or before it,
// so each in point is put a little after its keyframe's time (which
// ffmpeg's log gives to the microsecond at best): decoding then starts at
// that very keyframe, which comes out a hair before the segment's start.
func concatScript(url string, segs []segment) (string, *segmentClock) {
	var b strings.Builder
	b.WriteString("ffconcat version 1.0\n")
	quoted := "'" + strings.ReplaceAll(url, "'", `'\''`) + "'"
	clock := &segmentClock{}
	var at time.Duration
	for _, s := range segs {
		in := s.In + inpointSlack
		fmt.Fprintf(&b, "file %s\ninpoint %s\noutpoint %s\n", quoted, usec(in), usec(s.Out))
		clock.starts = append(clock.starts, at)
		clock.ins = append(clock.ins, in)
		at += s.Out - in
	}
	return b.String(), clock
}

// inpointSlack is how far after a keyframe's time its segment's in point
// lies: above the rounding of logged times, below a frame at 240 fps.
const inpointSlack = 2 * time.Millisecond

func usec(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }

// segmentClock maps times of a concatenation of segments to times of the
// source. Frames arrive in order. A segment opens with its keyframe, a
// hair (inpointSlack) before the segment's start; a segment's last frame
// may come a little after its end (the demuxer stops at a decoding time,
// frames are shown later), so only a keyframe opens the next segment.
type segmentClock struct {
	starts, ins []time.Duration
	cur         int
}

func (c *segmentClock) source(at time.Duration, key bool) time.Duration {
	for key && c.cur+1 < len(c.starts) && at >= c.starts[c.cur+1]-4*inpointSlack {
		c.cur++
	}
	return max(at-c.starts[c.cur]+c.ins[c.cur], 0)
}

// source is how ffmpeg reads one video's bytes: from an in-memory file
// (memfd) it can seek in, else from a pipe, else (an MP4 whose index
// follows its media, where memfd is unavailable) from a temporary file.
type source struct {
	data []byte
	mem  *os.File
	temp string
}

// openSource prepares data for ffmpeg; Close releases it.
func (h *Hasher) openSource(data []byte, format hashing.Format) (*source, error) {
	s := &source{data: data}
	if h.inMemory {
		f, err := memFile(data)
		if err == nil {
			s.mem = f
			return s, nil
		}
		if !streamable(format, data) {
			return nil, fmt.Errorf("video in memory: %w", err)
		}
		return s, nil
	}
	if !streamable(format, data) {
		name, err := h.tempFile(data)
		if err != nil {
			return nil, err
		}
		s.temp = name
	}
	return s, nil
}

// Close releases the in-memory or temporary copy.
func (s *source) Close() {
	if s.mem != nil {
		s.mem.Close()
	}
	if s.temp != "" {
		os.Remove(s.temp)
	}
}

func (s *source) seekable() bool { return s.mem != nil || s.temp != "" }

// input returns ffmpeg's input URL, its stdin and the file to pass it as
// descriptor 3.
func (s *source) input() (url string, stdin io.Reader, extra *os.File) {
	switch {
	case s.mem != nil:
		return "file:" + procFD + "3", nil, s.mem
	case s.temp != "":
		return "file:" + s.temp, nil, nil
	}
	return "pipe:0", bytes.NewReader(s.data), nil
}

// readFrames reads raw grey frames from ffmpeg's stdout, pairs each with
// its timestamp from the showinfo log and checks the limits.
func readFrames(stdout io.Reader, log *stderrLog, l Limits, fn func(rawFrame) error) (int, error) {
	br := bufio.NewReaderSize(stdout, 64<<10)
	n := 0
	for {
		pix := make([]byte, frameSize*frameSize)
		if _, err := io.ReadFull(br, pix); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, fmt.Errorf("ffmpeg output ended inside a frame: %v: %w", err, hashing.ErrCorrupt)
		}
		info, ok := <-log.pts
		at := info.at
		if !ok {
			return n, fmt.Errorf("ffmpeg gave a frame without a timestamp: %w", hashing.ErrCorrupt)
		}
		pr := log.probe()
		if pr.duration > l.MaxDuration {
			return n, fmt.Errorf("video declares %v, limit %v: %w", pr.duration.Round(time.Second), l.MaxDuration, ErrTooLong)
		}
		if px := int64(pr.width) * int64(pr.height); px > l.MaxPixels {
			return n, fmt.Errorf("video frames of %dx%d pixels, limit %d: %w", pr.width, pr.height, l.MaxPixels, hashing.ErrTooLarge)
		}
		if at > l.MaxDuration {
			return n, fmt.Errorf("video has a frame at %v, limit %v: %w", at.Round(time.Second), l.MaxDuration, ErrTooLong)
		}
		if n++; n > l.MaxFrames {
			return n, fmt.Errorf("more than %d sampled frames: %w", l.MaxFrames, ErrTooManyFrames)
		}
		g := &image.Gray{Pix: pix, Stride: frameSize, Rect: image.Rect(0, 0, frameSize, frameSize)}
		if err := fn(rawFrame{At: max(at, 0), Pix: g, key: info.key}); err != nil {
			return n, err
		}
	}
}

// stderrLog reads ffmpeg's log: the input's duration and size, one
// showinfo line per frame written (in output order), and the last other
// lines for error messages.
type stderrLog struct {
	pts  chan frameInfo
	stop chan struct{}

	mu    sync.Mutex
	pr    probe
	lines []string
}

func (s *stderrLog) read(r io.Reader) {
	defer close(s.pts)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var num, den int64 // showinfo's time base
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "Parsed_showinfo") {
			if m := timeBaseRE.FindStringSubmatch(line); m != nil {
				num, _ = strconv.ParseInt(m[1], 10, 64)
				den, _ = strconv.ParseInt(m[2], 10, 64)
				continue
			}
			m := ptsRE.FindStringSubmatch(line)
			if m == nil {
				continue // showinfo's second line per frame, or its config
			}
			// pts_time has six significant digits; pts × time base is
			// exact, which seeking to a keyframe by its time needs.
			sec, _ := strconv.ParseFloat(m[2], 64)
			at := time.Duration(sec * float64(time.Second))
			if pts, err := strconv.ParseInt(m[1], 10, 64); err == nil && num > 0 && den > 0 && num <= 1<<20 && den <= 1<<40 {
				if x := new(big.Int).Quo(new(big.Int).Mul(big.NewInt(pts), big.NewInt(num*int64(time.Second))), big.NewInt(den)); x.IsInt64() {
					at = time.Duration(x.Int64())
				}
			}
			select {
			case s.pts <- frameInfo{at, strings.Contains(line, "iskey:1")}:
			case <-s.stop:
				io.Copy(io.Discard, r)
				return
			}
			continue
		}
		s.mu.Lock()
		if m := durationRE.FindStringSubmatch(line); m != nil && s.pr.duration == 0 {
			hh, _ := strconv.Atoi(m[1])
			mm, _ := strconv.Atoi(m[2])
			ss, _ := strconv.ParseFloat(m[3], 64)
			s.pr.duration = time.Duration((float64(hh*3600+mm*60) + ss) * float64(time.Second))
			if m := startRE.FindStringSubmatch(line); m != nil {
				st, _ := strconv.ParseFloat(m[1], 64)
				s.pr.start = time.Duration(st * float64(time.Second))
			}
		}
		if strings.Contains(line, "Video:") && s.pr.width == 0 {
			if m := sizeRE.FindStringSubmatch(line); m != nil {
				s.pr.width, _ = strconv.Atoi(m[1])
				s.pr.height, _ = strconv.Atoi(m[2])
			}
		}
		s.lines = append(s.lines, strings.TrimSpace(line))
		if len(s.lines) > 4 {
			s.lines = s.lines[1:]
		}
		s.mu.Unlock()
	}
	io.Copy(io.Discard, r)
}

func (s *stderrLog) probe() probe {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pr
}

func (s *stderrLog) tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "; ")
}

// tempFile writes data to a new temporary file for ffmpeg to seek in and
// returns its name; the caller removes it.
func (h *Hasher) tempFile(data []byte) (string, error) {
	f, err := os.CreateTemp(h.tempDir, tempPattern)
	if err != nil {
		return "", fmt.Errorf("video temp file: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("video temp file: %w", errors.Join(werr, cerr))
	}
	return f.Name(), nil
}
