//go:build js && wasm

// Command hashwasm is hashwatch's own hashing compiled to WebAssembly
// (GOOS=js GOARCH=wasm), so a browser can fingerprint a picture on the
// device that holds it and send the server only the fingerprint: the
// registration page loads it (console, /wasm/hashwatch.wasm). It computes
// exactly what the server computes from the same pixels: the same Go code
// (hashing.Hasher.Pixels), not a port.
//
// It sets globalThis.hashwatch to an object with:
//
//   - file(bytes Uint8Array) → JSON of a hashing.Sent for registration of
//     a picture or animated GIF, decoded by the server's own Go decoders,
//     so it is the very fingerprint a server-side registration of the
//     file stores (a format Go does not decode, a video: an error);
//   - picture(rgba Uint8Array, width, height) → JSON of a hashing.Sent
//     for registration (no SHA-256: the page adds the file's);
//   - frames(grey Uint8Array, width, height, times_ms Array, duration_ms)
//     → JSON of a video's hashing.Sent from frames the page sampled, each
//     video.FrameSize² grey bytes, of a video of width×height pixels (no
//     SHA-256);
//   - sha256New() → an object with update(bytes Uint8Array) and hex(),
//     so the page sums a file slice by slice;
//
// Each returns a JSON string, or on failure an object {error: message}.
// It calls globalThis.hashwatchReady() when it is there.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"syscall/js"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

func main() {
	h := hashing.NewHasher(hashing.Limits{})
	// Animated GIFs are decoded in Go, as on the server; other videos need
	// ffmpeg, which a browser has not: the page draws them from a <video>
	// element (frames).
	vh := video.New(video.Config{})
	api := js.Global().Get("Object").New()
	api.Set("file", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return answer(file(h, vh, args))
	}))
	api.Set("picture", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return answer(picture(h, args))
	}))
	api.Set("frames", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return answer(frames(args))
	}))
	api.Set("sha256New", js.FuncOf(func(js.Value, []js.Value) any { return newSum() }))
	js.Global().Set("hashwatch", api)
	if ready := js.Global().Get("hashwatchReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {} // the functions above live as long as the page
}

// answer turns a result into a JSON string for the page, or an object
// {error: message}: a Go panic in a callback would end the module for the
// rest of the page, so errors are returned, never thrown.
func answer(v any, err error) any {
	if err == nil {
		var b []byte
		if b, err = json.Marshal(v); err == nil {
			return string(b)
		}
	}
	return map[string]any{"error": err.Error()}
}

// file fingerprints a file's bytes for registration as the console does
// with an upload: an animation as a video, anything else as a picture.
func file(h *hashing.Hasher, vh *video.Hasher, args []js.Value) (hashing.Sent, error) {
	if len(args) != 1 {
		return hashing.Sent{}, fmt.Errorf("file(bytes): want 1 argument")
	}
	n := args[0].Get("length").Int()
	if int64(n) > max(h.Limits().MaxBytes, vh.Limits().MaxBytes) {
		return hashing.Sent{}, fmt.Errorf("%d bytes: %w", n, hashing.ErrTooLarge)
	}
	data := make([]byte, n)
	js.CopyBytesToGo(data, args[0])
	var fp hashing.Fingerprint
	var err error
	if video.Sniff(data) != "" {
		fp, err = vh.Fingerprint(context.Background(), data, hashing.ForRegistration)
	} else {
		fp, err = h.Image(context.Background(), data, hashing.ForRegistration)
	}
	if err != nil {
		return hashing.Sent{}, err
	}
	return hashing.Send(fp), nil
}

// picture fingerprints RGBA pixels (a canvas's ImageData: straight, not
// premultiplied, alpha) for registration.
func picture(h *hashing.Hasher, args []js.Value) (hashing.Sent, error) {
	if len(args) != 3 {
		return hashing.Sent{}, fmt.Errorf("picture(rgba, width, height): want 3 arguments")
	}
	w, ht := args[1].Int(), args[2].Int()
	if w <= 0 || ht <= 0 || int64(w)*int64(ht) > h.Limits().MaxPixels {
		return hashing.Sent{}, fmt.Errorf("picture of %dx%d pixels: %w", w, ht, hashing.ErrTooLarge)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, ht))
	if n := args[0].Get("length").Int(); n != len(img.Pix) {
		return hashing.Sent{}, fmt.Errorf("%d bytes of pixels for %dx%d, want %d", n, w, ht, len(img.Pix))
	}
	js.CopyBytesToGo(img.Pix, args[0])
	fp, err := h.Pixels(context.Background(), img, hashing.ForRegistration)
	if err != nil {
		return hashing.Sent{}, err
	}
	return hashing.Send(fp), nil
}

// frames fingerprints a video's frames, sampled and scaled to grey by the
// page, for registration.
func frames(args []js.Value) (hashing.Sent, error) {
	if len(args) != 5 {
		return hashing.Sent{}, fmt.Errorf("frames(grey, width, height, times_ms, duration_ms): want 5 arguments")
	}
	w, ht := video.FrameSize, video.FrameSize
	n := args[3].Length()
	if n <= 0 {
		return hashing.Sent{}, fmt.Errorf("no frames")
	}
	if got := args[0].Get("length").Int(); got != n*w*ht {
		return hashing.Sent{}, fmt.Errorf("%d bytes of pixels for %d frames of %dx%d, want %d", got, n, w, ht, n*w*ht)
	}
	pix := make([]byte, n*w*ht)
	js.CopyBytesToGo(pix, args[0])
	vw, vh := args[1].Int(), args[2].Int()
	raw := make([]video.Sample, n)
	for i := range raw {
		raw[i] = video.Sample{
			At:  time.Duration(args[3].Index(i).Float() * float64(time.Millisecond)),
			Pix: &image.Gray{Pix: pix[i*w*ht : (i+1)*w*ht], Stride: w, Rect: image.Rect(0, 0, w, ht)},
		}
	}
	fp := video.Registered(raw, vw, vh, time.Duration(args[4].Float()*float64(time.Millisecond)))
	return hashing.Send(fp), nil
}

// newSum returns a SHA-256 for the page to feed a file slice by slice.
func newSum() js.Value {
	h := sha256.New()
	o := js.Global().Get("Object").New()
	var update, sum js.Func
	update = js.FuncOf(func(_ js.Value, args []js.Value) any {
		b := make([]byte, args[0].Get("length").Int())
		js.CopyBytesToGo(b, args[0])
		h.Write(b)
		return nil
	})
	sum = js.FuncOf(func(js.Value, []js.Value) any {
		// The sum is read once: the functions are released with it.
		update.Release()
		sum.Release()
		return hex.EncodeToString(h.Sum(nil))
	})
	o.Set("update", update)
	o.Set("hex", sum)
	return o
}
