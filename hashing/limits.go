package hashing

import (
	"errors"
	"time"
)

// Sentinel errors callers act on. Returned errors wrap them with the detail
// (which limit, what size), so test with errors.Is.
var (
	// ErrTooLarge reports input over a configured byte or pixel limit.
	ErrTooLarge = errors.New("over the size limit")
	// ErrUnsupported reports bytes that are not in a format this package decodes.
	ErrUnsupported = errors.New("unsupported media format")
	// ErrCorrupt reports bytes in a known format that fail to decode.
	ErrCorrupt = errors.New("corrupt or truncated media")
)

// Default limits. They are deliberately generous for photos and strict enough
// that one hostile file cannot exhaust a crawler's memory.
const (
	DefaultMaxImageBytes  = 32 << 20   // 32 MiB of encoded input
	DefaultMaxImagePixels = 50_000_000 // 50 megapixels declared in the header
	// DefaultMaxJPEGScans is libjpeg-turbo's own reference limit: its
	// fuzz targets set TJPARAM_SCANLIMIT to 500. Encoders write 1 (baseline)
	// to a few dozen (progressive) scans.
	DefaultMaxJPEGScans = 500
	// DefaultMaxDecodeCPU bounds the CPU time of one JPEG decode
	// (decodebudget.go): a 50-megapixel progressive JPEG takes a few
	// seconds of a core; a hostile one of 500 cheap scans could take
	// several times that.
	DefaultMaxDecodeCPU = 10 * time.Second
	// DefaultMaxDecodeTime bounds the wall time of one JPEG decode, the
	// backstop behind the CPU budget: on a machine shared with other work
	// a decode waits for a core, so it is set well above the CPU budget.
	DefaultMaxDecodeTime = 60 * time.Second
)

// Limits bound the work one input may cause. Zero fields take the defaults.
type Limits struct {
	// MaxBytes is the largest encoded input accepted, in bytes.
	MaxBytes int64
	// MaxPixels is the largest width×height accepted, checked against the
	// dimensions the file declares before decoding.
	MaxPixels int64
	// MaxJPEGScans is the most scans a JPEG may have, counted by walking
	// its markers before decoding.
	MaxJPEGScans int
	// MaxDecodeCPU bounds the CPU time of one JPEG decode, metered on
	// the decoding thread (wall time where a thread's CPU time cannot be
	// read); MaxDecodeTime bounds its wall time. The decoder also stops
	// when the caller's context is done. A decode over either fails with
	// ErrTooLarge, the message naming the limit.
	MaxDecodeCPU  time.Duration
	MaxDecodeTime time.Duration
}

// withDefaults returns l with zero fields replaced by the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxImageBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxImagePixels
	}
	if l.MaxJPEGScans <= 0 {
		l.MaxJPEGScans = DefaultMaxJPEGScans
	}
	if l.MaxDecodeCPU <= 0 {
		l.MaxDecodeCPU = DefaultMaxDecodeCPU
	}
	if l.MaxDecodeTime <= 0 {
		l.MaxDecodeTime = DefaultMaxDecodeTime
	}
	return l
}
