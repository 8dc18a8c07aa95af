//go:build js

package video

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

// webpFrames is unavailable in a browser build (GOOS=js, cmd/hashwasm):
// libwebp's decoder is itself WebAssembly, run by wazero, which a wasm
// module cannot host; the browser registration hashes a video from the
// frames the browser's own decoder draws (Registered).
func webpFrames(context.Context, []byte, Limits, time.Duration, func(rawFrame) error) (time.Duration, image.Point, error) {
	return 0, image.Point{}, fmt.Errorf("animated WebP in a browser build: %w", hashing.ErrUnsupported)
}
