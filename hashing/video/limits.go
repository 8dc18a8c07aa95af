package video

import (
	"errors"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

// Sentinel errors callers act on, on top of hashing.ErrTooLarge (bytes),
// hashing.ErrUnsupported and hashing.ErrCorrupt, which errors from this
// package also wrap where they apply. Test with errors.Is.
var (
	// ErrNoFFmpeg reports that no ffmpeg executable was found: videos
	// cannot be fingerprinted (animated GIFs and all images still can).
	// Install Debian's ffmpeg package or set the ffmpeg path.
	ErrNoFFmpeg = errors.New("ffmpeg not found: install Debian's ffmpeg package (apt-get install ffmpeg) or set the ffmpeg path; videos cannot be hashed without it")
	// ErrTooLong reports a video longer than Limits.MaxDuration.
	ErrTooLong = errors.New("video over the duration limit")
	// ErrTooManyFrames reports a video that yields more sampled frames
	// than Limits.MaxFrames.
	ErrTooManyFrames = errors.New("video over the frame limit")
	// ErrTimeout reports a video whose fingerprint took longer than
	// Limits.WallTime.
	ErrTimeout = errors.New("video over the wall-time limit")
)

// Default limits, sized for crawling video sites on a small machine: an
// hour of video is some 3,600 sampled frames of 16 KiB each while it is
// being hashed, and at about 1/60 of real time it hashes in a minute.
const (
	DefaultMaxBytes    = 512 << 20 // 512 MiB of encoded input
	DefaultMaxDuration = time.Hour // of media timeline
	DefaultMaxFrames   = 4000      // sampled frames (about 1 per second plus scene changes)
	DefaultWallTime    = 2 * time.Minute
	// DefaultMaxGIFPixels bounds the pixels an animated GIF's frames
	// declare in total, since image/gif decodes every frame at once.
	DefaultMaxGIFPixels = 200_000_000
	// DefaultMaxGIFWork bounds the canvas pixels an animated GIF costs to
	// sample: its canvas area times (sampled frames + frames restoring the
	// previous canvas). Scaling a canvas down costs about 13 ns a pixel, so
	// this is some 3 s of CPU; a 500×500 GIF may run 13 minutes of
	// sampled frames, a 7000×7000 canvas of 1×1 frames four samples.
	DefaultMaxGIFWork = 200_000_000
)

// Limits bound the work one video may cause. Zero fields take the defaults.
type Limits struct {
	// MaxBytes is the largest encoded input accepted, in bytes; it also
	// caps the temporary file a non-streamable MP4 is written to.
	MaxBytes int64
	// MaxDuration is the longest media timeline decoded: ffmpeg is told to
	// stop reading there, and a video that declares or shows frames
	// beyond it fails with ErrTooLong.
	MaxDuration time.Duration
	// MaxFrames is the most sampled frames kept; one more fails with
	// ErrTooManyFrames.
	MaxFrames int
	// WallTime is the longest one fingerprint may take, ffmpeg included;
	// past it ffmpeg is killed and the call fails with ErrTimeout.
	WallTime time.Duration
	// MaxPixels is the largest frame (width×height) accepted.
	MaxPixels int64
	// MaxGIFPixels bounds the sum of an animated GIF's frame areas.
	MaxGIFPixels int64
	// MaxGIFWork bounds an animated GIF's canvas area times the frames
	// that touch the whole canvas (DefaultMaxGIFWork).
	MaxGIFWork int64
	// MaxWebPPixels bounds an animated WebP's canvas area times its frame
	// count (DefaultMaxWebPPixels).
	MaxWebPPixels int64
}

// withDefaults returns l with zero fields replaced by the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDuration <= 0 {
		l.MaxDuration = DefaultMaxDuration
	}
	if l.MaxFrames <= 0 {
		l.MaxFrames = DefaultMaxFrames
	}
	if l.WallTime <= 0 {
		l.WallTime = DefaultWallTime
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = hashing.DefaultMaxImagePixels
	}
	if l.MaxGIFPixels <= 0 {
		l.MaxGIFPixels = DefaultMaxGIFPixels
	}
	if l.MaxGIFWork <= 0 {
		l.MaxGIFWork = DefaultMaxGIFWork
	}
	if l.MaxWebPPixels <= 0 {
		l.MaxWebPPixels = DefaultMaxWebPPixels
	}
	return l
}
