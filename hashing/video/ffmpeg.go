package video

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
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
// samples a crawled video from its keyframes alone.
const KeyframeGap = 2500 * time.Millisecond

// rawFrame is one sampled frame before hashing.
type rawFrame struct {
	At  time.Duration
	Pix *image.Gray
}

// probe is what ffmpeg says about its input on stderr.
type probe struct {
	duration      time.Duration
	width, height int
}

var (
	durationRE = regexp.MustCompile(`Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)`)
	sizeRE     = regexp.MustCompile(`, (\d{1,6})x(\d{1,6})[ ,\[]`)
	ptsRE      = regexp.MustCompile(`pts_time:\s*(-?[0-9.]+)`)
)

// ffmpegFrames runs ffmpeg on data and passes each sampled frame to fn.
func (h *Hasher) ffmpegFrames(ctx context.Context, data []byte, format hashing.Format, interval time.Duration, decode Decode, fn func(rawFrame) error) (probe, Usage, error) {
	if h.ffmpegErr != nil {
		return probe{}, Usage{}, h.ffmpegErr
	}
	l := h.limits
	input := "pipe:0"
	var stdin io.Reader
	if streamable(format, data) {
		stdin = bytes.NewReader(data)
	} else {
		name, err := h.tempFile(data)
		if err != nil {
			return probe{}, Usage{}, err
		}
		defer os.Remove(name)
		input = name
	}
	args := []string{"-hide_banner", "-nostats", "-loglevel", "info"}
	switch decode {
	case DecodeFast:
		args = append(args, "-skip_frame", "bidir", "-skip_loop_filter", "all")
	case DecodeKeyframes:
		args = append(args, "-skip_frame", "nokey")
	}
	args = append(args,
		"-threads", strconv.Itoa(h.threads),
		// A backstop for the check of the declared size in readFrames;
		// decoders count padded (macroblock-aligned) sizes, hence the slack.
		"-max_pixels", strconv.FormatInt(2*l.MaxPixels, 10),
		"-protocol_whitelist", "file,pipe",
		"-t", strconv.FormatFloat((l.MaxDuration+interval).Seconds(), 'f', 3, 64),
		"-f", demuxers[format],
		"-i", input,
		"-map", "0:v:0", "-an", "-sn", "-dn",
		"-vf", fmt.Sprintf(`select='isnan(prev_selected_t)+gte(t-prev_selected_t\,%g)+gt(scene\,%g)',scale=%d:%d:flags=area,format=gray,showinfo`,
			interval.Seconds(), sceneThreshold, frameSize, frameSize),
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

	log := &stderrLog{pts: make(chan time.Duration), stop: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		log.read(stderr)
	}()

	frames, ferr := readFrames(stdout, log, l, fn)
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
		at, ok := <-log.pts
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
		if err := fn(rawFrame{At: max(at, 0), Pix: g}); err != nil {
			return n, err
		}
	}
}

// stderrLog reads ffmpeg's log: the input's duration and size, one
// showinfo line per frame written (in output order), and the last other
// lines for error messages.
type stderrLog struct {
	pts  chan time.Duration
	stop chan struct{}

	mu    sync.Mutex
	pr    probe
	lines []string
}

func (s *stderrLog) read(r io.Reader) {
	defer close(s.pts)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "Parsed_showinfo") {
			m := ptsRE.FindStringSubmatch(line)
			if m == nil {
				continue // showinfo's second line per frame, or its config
			}
			sec, _ := strconv.ParseFloat(m[1], 64)
			select {
			case s.pts <- time.Duration(sec * float64(time.Second)):
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
	f, err := os.CreateTemp(h.tempDir, "hashwatch-video-*")
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
