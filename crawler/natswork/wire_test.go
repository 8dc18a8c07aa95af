package natswork

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
)

// queryRequest is the match request a worker sends for a fixture photo: a
// real query fingerprint, as the crawler computes it.
func queryRequest(tb testing.TB) matchRequest {
	tb.Helper()
	p := fixtures.Others()[0]
	fp, err := hashing.NewHasher(hashing.Limits{}).Image(context.Background(), p.Data, hashing.ForQuery)
	if err != nil {
		tb.Fatal(err)
	}
	return matchRequest{
		Req: work.ResolveRequest{Site: "fixture", Pass: 7, What: "media", URL: "http://127.0.0.1:8080/g/0123456789abcdef.jpg",
			SHA256: hashing.SumSHA256(p.Data), Watermark: 42},
		Fingerprint: fp, TookNanos: int64(3 * time.Millisecond),
	}
}

// BenchmarkMatchRequest is one match request encoded by a worker and
// decoded by the coordinator, which does it once per medium fingerprinted:
// in protocol 1's JSON and protocol 2's binary form.
func BenchmarkMatchRequest(b *testing.B) {
	req := queryRequest(b)
	for _, proto := range []int{1, Protocol} {
		b.Run(fmt.Sprintf("protocol %d", proto), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				data, err := encodeMatchRequest(&req, proto)
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
				var got matchRequest
				if err := decodeMatchRequest(data, &got); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size), "bytes/msg")
		})
	}
}

// TestMatchRequestsSurviveTheWire checks that what the coordinator decodes
// is exactly what the worker sent, in both protocols, for every shape of
// request: a picture, a video's frames, bytes that could not be
// fingerprinted, and hashes of an algorithm this build does not know.
func TestMatchRequestsSurviveTheWire(t *testing.T) {
	picture := queryRequest(t)
	pdq := func(w uint64, q int) hashing.Hash {
		return hashing.Hash{Algorithm: hashing.PDQ, Code: hashing.Code{w, ^w, w << 3, 1}, Quality: q}
	}
	video := matchRequest{
		Req: work.ResolveRequest{Site: "s", Pass: 1<<40 + 3, What: "video", URL: "https://example.test/v.mp4", Watermark: 1},
		Fingerprint: hashing.Fingerprint{Kind: hashing.KindVideo, Format: "mp4", Width: 1280, Height: 720, Duration: 95 * time.Second,
			Frames: []hashing.Frame{
				{At: 0, Hashes: []hashing.Hash{pdq(1, 100)}, Mirrored: []hashing.Hash{pdq(2, 99)}},
				{At: 1500 * time.Millisecond, Hashes: []hashing.Hash{pdq(3, 40), pdq(4, 41)}, Mirrored: []hashing.Hash{pdq(5, 0), pdq(6, 1)}, Cropped: []hashing.Hash{pdq(7, 7)}},
			}},
		TookNanos: -1,
	}
	failed := matchRequest{Req: picture.Req, Failure: &work.ResultError{Kind: "corrupt", URL: picture.Req.URL, Message: "unexpected EOF"}}
	strange := matchRequest{Fingerprint: hashing.Fingerprint{Kind: "hologram", Format: "holo", Width: -1,
		SHA256:    hashing.SumSHA256([]byte("x")),
		Reference: []hashing.Hash{{Algorithm: "wavelet", Code: hashing.Code{1, 2, 3, 4}, Quality: -5}, {Algorithm: hashing.PHash, Code: hashing.Code{9}}},
		Colour:    hashing.Colour{Bins: [hashing.ColourBins]uint8{1, 2, 3}, Chroma: 200},
		Views:     []hashing.View{{Name: "nothing"}}}}
	// Protocol 4's corner sets (the geometric verifier's): a set the
	// worker made when asked, or why it could not.
	set, err := hashing.NewHasher(hashing.Limits{}).Features(context.Background(), fixtures.Others()[0].Data, features.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	withSet := picture
	withSet.Fingerprint.Features = &set
	noSet := picture
	noSet.FeaturesErr = "corner set of x.jpg: corrupt or truncated media"
	for _, tc := range []struct {
		name   string
		req    matchRequest
		protos []int
	}{
		{"a picture's query fingerprint", picture, []int{1, 3, Protocol}},
		{"a video's frames", video, []int{1, 3, Protocol}},
		{"bytes that could not be fingerprinted", failed, []int{1, 3, Protocol}},
		{"hashes of an algorithm this build does not know", strange, []int{1, 3, Protocol}},
		{"an empty request", matchRequest{}, []int{1, 3, Protocol}},
		{"a picture with its corner set", withSet, []int{Protocol}},
		{"a picture whose corner set could not be made", noSet, []int{Protocol}},
	} {
		for _, proto := range tc.protos {
			t.Run(fmt.Sprintf("%s in protocol %d", tc.name, proto), func(t *testing.T) {
				got := overTheWire(t, &tc.req, proto)
				// A protocol 4 request says by its form alone that the
				// worker can send a corner set.
				want := tc.req
				want.CanSendFeatures = proto >= 4
				// Before protocols 7 and 8 a picture travels without
				// its mirror image and its cuts
				// (TestOlderCoordinatorsGetPicturesWithoutTheNewerViews).
				want.Fingerprint.Views = viewsFor(want.Fingerprint.Views, proto)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
				}
			})
		}
	}
}

// TestTruncatedMatchRequestsAreRefused cuts a binary request at every
// length: each cut is an error, never a panic or a partial request taken
// as whole.
func TestTruncatedMatchRequestsAreRefused(t *testing.T) {
	req := queryRequest(t)
	data, err := encodeMatchRequest(&req, Protocol)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(data) {
		var got matchRequest
		if err := decodeMatchRequest(data[:n], &got); err == nil {
			t.Fatalf("a request cut to %d of its %d bytes was accepted", n, len(data))
		}
	}
	var got matchRequest
	if err := decodeMatchRequest(append(data, 0), &got); err == nil {
		t.Error("a request with a byte after its end was accepted")
	}
}

// FuzzDecodeMatchRequest feeds the coordinator's decoder what a hostile
// worker might send: it must return an error or a request that encodes
// back to the same bytes.
func FuzzDecodeMatchRequest(f *testing.F) {
	req := queryRequest(f)
	for _, proto := range []int{1, Protocol} {
		data, err := encodeMatchRequest(&req, proto)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{matchRequestV2, 0xff, 0xff, 0xff, 0xff, 0x0f})
	v2, err := encodeMatchRequest(&req, 3)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v2)
	withSet := req
	set, err := hashing.NewHasher(hashing.Limits{}).Features(context.Background(), fixtures.Others()[0].Data, features.DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	withSet.Fingerprint.Features = &set
	v4, err := encodeMatchRequest(&withSet, Protocol)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v4)
	f.Fuzz(func(t *testing.T, data []byte) {
		var got matchRequest
		if err := decodeMatchRequest(data, &got); err != nil || data[0] == '{' {
			return
		}
		proto := Protocol
		if !got.CanSendFeatures {
			proto = 3 // a protocol 2 or 3 request
		}
		again, err := encodeMatchRequest(&got, proto)
		if err != nil {
			t.Fatal(err)
		}
		var back matchRequest
		if err := decodeMatchRequest(again, &back); err != nil {
			t.Fatalf("a decoded request does not decode again: %v", err)
		}
		if !reflect.DeepEqual(got, back) {
			t.Fatalf("decoded %+v, then %+v", got, back)
		}
	})
}

// TestOlderCoordinatorsGetFramesWithoutTheBand checks that a query video
// frame's band strip (protocol 5) reaches a coordinator of this protocol
// as sent, and an older one without it, so that the older reader does not
// take the band for the frame's inset.
func TestOlderCoordinatorsGetFramesWithoutTheBand(t *testing.T) {
	pdq := func(w uint64) hashing.Hash {
		return hashing.Hash{Algorithm: hashing.PDQ, Code: hashing.Code{w, ^w, w << 3, 1}, Quality: 90}
	}
	inner, left, right, centre, band, inset := pdq(1), pdq(2), pdq(3), pdq(4), pdq(5), pdq(6)
	frame := func(cropped ...hashing.Hash) hashing.Frame {
		return hashing.Frame{Hashes: []hashing.Hash{pdq(9)}, Cropped: cropped}
	}
	for _, tc := range []struct {
		name      string
		sent      hashing.Frame
		older     []hashing.Hash
		protocols []int
	}{
		{"strips and an inset", frame(inner, left, right, centre, band, inset), []hashing.Hash{inner, left, right, centre, inset}, []int{1, 3, 4}},
		{"strips without an inset", frame(inner, left, right, centre, band), []hashing.Hash{inner, left, right, centre}, []int{1, 4}},
		{"no strips (an older device's frame)", frame(inner, inset), []hashing.Hash{inner, inset}, []int{4}},
	} {
		req := matchRequest{Fingerprint: hashing.Fingerprint{Kind: hashing.KindVideo, Frames: []hashing.Frame{tc.sent}}}
		decode := func(t *testing.T, proto int) []hashing.Hash {
			return overTheWire(t, &req, proto).Fingerprint.Frames[0].Cropped
		}
		t.Run(tc.name, func(t *testing.T) {
			if got := decode(t, Protocol); !reflect.DeepEqual(got, tc.sent.Cropped) {
				t.Errorf("protocol %d: %v, want %v", Protocol, got, tc.sent.Cropped)
			}
			for _, proto := range tc.protocols {
				if got := decode(t, proto); !reflect.DeepEqual(got, tc.older) {
					t.Errorf("protocol %d: %v, want %v", proto, got, tc.older)
				}
			}
			if len(req.Fingerprint.Frames[0].Cropped) != len(tc.sent.Cropped) {
				t.Error("encoding changed the worker's frames")
			}
		})
	}
}

// TestOlderCoordinatorsGetPicturesWithoutTheNewerViews checks that a
// query picture's own mirror image (protocol 7), its cuts (protocol 8)
// and its halves and quarters (protocol 9) reach a coordinator of this
// protocol as sent, and an older one without them: that coordinator's
// rule would compare them with every registered view.
func TestOlderCoordinatorsGetPicturesWithoutTheNewerViews(t *testing.T) {
	view := func(name string, w uint64) hashing.View {
		return hashing.View{Name: name, Hashes: []hashing.Hash{
			{Algorithm: hashing.PDQ, Code: hashing.Code{w, ^w, w << 3, 1}, Quality: 90},
			{Algorithm: hashing.PHash, Code: hashing.Code{w}, Quality: 100},
			{Algorithm: hashing.DHash, Code: hashing.Code{^w}, Quality: 100},
		}}
	}
	sent := []hashing.View{view(hashing.ViewOriginal, 1), view("cut-top-12", 2), view(hashing.ViewMirrored, 3),
		view(hashing.ViewUncaptionedTop, 4), view("cut-left-6", 5), view("part-left", 6), view("part-bottom-right", 7)}
	req := matchRequest{Fingerprint: hashing.Fingerprint{Kind: hashing.KindImage, Width: 64, Height: 48, Views: sent}}
	names := func(t *testing.T, proto int) []string {
		var out []string
		for _, v := range overTheWire(t, &req, proto).Fingerprint.Views {
			out = append(out, v.Name)
		}
		return out
	}
	for _, tc := range []struct {
		protos []int
		want   []string
	}{
		{[]int{Protocol}, []string{hashing.ViewOriginal, "cut-top-12", hashing.ViewMirrored, hashing.ViewUncaptionedTop, "cut-left-6",
			"part-left", "part-bottom-right"}},
		{[]int{8}, []string{hashing.ViewOriginal, "cut-top-12", hashing.ViewMirrored, hashing.ViewUncaptionedTop, "cut-left-6"}},
		{[]int{7}, []string{hashing.ViewOriginal, hashing.ViewMirrored, hashing.ViewUncaptionedTop}},
		{[]int{1, 2, 4, 6}, []string{hashing.ViewOriginal, hashing.ViewUncaptionedTop}},
	} {
		for _, proto := range tc.protos {
			if got := names(t, proto); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("protocol %d: views %v, want %v", proto, got, tc.want)
			}
		}
	}
	if len(req.Fingerprint.Views) != len(sent) || req.Fingerprint.Views[1].Name != "cut-top-12" {
		t.Error("encoding changed the worker's views")
	}
}

// overTheWire is req as a coordinator of protocol proto reads it: encoded
// by the worker for that protocol and decoded.
func overTheWire(t *testing.T, req *matchRequest, proto int) matchRequest {
	t.Helper()
	data, err := encodeMatchRequest(req, proto)
	if err != nil {
		t.Fatal(err)
	}
	var got matchRequest
	if err := decodeMatchRequest(data, &got); err != nil {
		t.Fatal(err)
	}
	return got
}
