package video

import (
	"image"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/pdq"
)

// FrameSize is the side of the square grey frames a video is sampled to
// before hashing (ffmpeg's scale filter here; a browser's canvas in the
// browser registration).
const FrameSize = frameSize

// Sample is one frame of a registered video sampled outside this package:
// the browser registration draws a <video> element's frames, at the
// times RegistrationInterval apart that ffmpeg samples here, into a
// FrameSize×FrameSize canvas and converts it to grey.
type Sample struct {
	At  time.Duration
	Pix *image.Gray
}

// Registered fingerprints a registered video from frames sampled
// elsewhere, as Fingerprint does from ffmpeg's frames: the borders the
// whole video shares trimmed, near-repeats dropped, each frame with its
// centre crops. width and height are the video's own size.
func Registered(samples []Sample, width, height int, duration time.Duration) hashing.Fingerprint {
	h := &Hasher{}
	h.pdq.New = func() any { return pdq.NewHasher() }
	raw := make([]rawFrame, len(samples))
	for i, s := range samples {
		raw[i] = rawFrame{At: s.At, Pix: s.Pix}
	}
	fp := hashing.Fingerprint{Kind: hashing.KindVideo, Width: width, Height: height, Duration: duration}
	if len(raw) > 0 {
		if last := raw[len(raw)-1].At + RegistrationInterval; fp.Duration < last {
			fp.Duration = last
		}
		fp.Frames = h.hashFrames(raw, false, pixelAspect(width, height))
	}
	return fp
}

// Received checks a video's fingerprint sent by a device against l
// (zero fields: the defaults) and the shape Registered gives it
// (hashing.Sent.Video), and returns it. It needs no ffmpeg.
func (l Limits) Received(s hashing.Sent) (hashing.Fingerprint, error) {
	l = l.withDefaults()
	return s.Video(hashing.SentVideoLimits{MaxDuration: l.MaxDuration + RegistrationInterval, MaxFrames: l.MaxFrames, MaxPixels: l.MaxPixels}, registeredCropped)
}
