package natswork

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
)

// fullResult is a result with every field set (pageAndMedia: both a page
// and a media result, which no worker sends together but the wire must
// carry each of).
func fullResult() resultMsg {
	errOf := func(s string) *work.ResultError {
		return &work.ResultError{Kind: "timeout", URL: "https://example.test/" + s, Message: s + " timed out"}
	}
	return resultMsg{Epoch: "m1abc", Key: 1<<33 + 5, Worker: "w1", Result: crawler.Result{
		Site: "fixture", Pass: 7,
		Item:      work.Item{Kind: work.MediaItem, URL: "https://example.test/a.jpg", Page: "https://example.test/", Depth: 3, Visited: true, ID: 99},
		Cancelled: true, Retry: true, Parked: true, ParkReason: "delivered 5 times", Denied: true, RobotsBlocked: true,
		Errors:    []work.ResultError{*errOf("x"), {Kind: "dns"}},
		Recovered: map[string]int{"timeout": 2, "reset": 1},
		Page: &work.PageResult{Serves: "page", NotModified: true, Final: "https://example.test/final", ETag: `"e1"`, LastModified: "Mon, 07 Dec 2026 01:00:00 GMT",
			Bytes: 12345, Links: []string{"https://example.test/1", "https://example.test/2"}, VisitedLinks: []string{"https://example.test/0"},
			Media: []string{"https://example.test/a.jpg"}, Videos: []string{"https://example.test/v.mp4"}, Dropped: 4, Err: errOf("page")},
		Media: &crawler.MediaResult{Outcome: work.MediaFetched, ETag: `"m"`, LastModified: "yesterday", FinalURL: "https://cdn.example.test/a.jpg",
			Status: 200, Size: 1 << 40, Bytes: 4567, SHA256: hashing.SumSHA256([]byte("a")),
			Hash: crawlstate.HashResult{Rule: "pdq<=31", Watermark: 42, Failure: "corrupt", Message: "bad", Checked: time.Date(2026, 12, 7, 3, 0, 0, 123456789, time.UTC),
				Matches: []index.Match{{Fingerprint: 3, Centre: "c", Case: "demo", Label: "l", Source: "s",
					Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 12, Distances: map[hashing.Algorithm]int{hashing.PDQ: 12}, QueryView: "original", RegisteredView: "original", Clause: 1, Ratio: 0.5},
					Video:    &index.VideoEvidence{QueryShare: 0.5, RegisteredShare: 0.25, Rate: 1, OffsetSeconds: 3},
					QueryPDQ: hashing.Hash{Algorithm: hashing.PDQ, Code: hashing.Code{1, 2, 3, 4}, Quality: 90}}}},
			Preview: []byte{0xff, 0xd8, 1, 2}, Err: errOf("media")},
		Worker: "w1",
	}}
}

// zeroFields lists the fields of v (through pointers, structs and slices
// of structs) left at their zero value; fields named in leaves are only
// checked for being set (the matches, which travel as their JSON).
func zeroFields(v reflect.Value, path string, leaves map[string]bool) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return []string{path}
		}
		return zeroFields(v.Elem(), path, leaves)
	case reflect.Struct:
		if v.Type().PkgPath() != "" && v.Type().Name() == "Time" {
			break
		}
		var zero []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if leaves[f.Name] {
				if v.Field(i).IsZero() {
					zero = append(zero, path+"."+f.Name)
				}
				continue
			}
			zero = append(zero, zeroFields(v.Field(i), path+"."+f.Name, leaves)...)
		}
		return zero
	case reflect.Slice:
		if v.Len() > 0 && v.Type().Elem().Kind() == reflect.Struct {
			return zeroFields(v.Index(0), path+"[0]", leaves)
		}
	}
	if v.IsZero() {
		return []string{path}
	}
	return nil
}

// TestResultsSurviveTheWire checks that what the coordinator decodes from
// protocol 3's binary result is what it decoded from the JSON of
// protocols 1 and 2, for every field (a field added to a result without
// being added here fails the test) and the shapes results take.
func TestResultsSurviveTheWire(t *testing.T) {
	full := fullResult()
	if zero := zeroFields(reflect.ValueOf(full), "resultMsg", map[string]bool{"Matches": true}); len(zero) > 0 {
		// HashResult.SHA256 is json:"-": the coordinator sets it from the
		// media result's.
		var left []string
		for _, z := range zero {
			if z != "resultMsg.Result.Media.Hash.SHA256" {
				left = append(left, z)
			}
		}
		if len(left) > 0 {
			t.Fatalf("fullResult leaves fields zero (add them here and to result_wire.go): %v", left)
		}
	}
	page := resultMsg{Epoch: "e", Key: 1, Result: crawler.Result{Site: "s", Pass: 1, Item: work.Item{Kind: work.PageItem, URL: "http://a/"},
		Page: &work.PageResult{Serves: "page", Links: []string{"http://a/b"}}}}
	media := resultMsg{Epoch: "e", Key: 2, Worker: "w", Result: crawler.Result{Site: "s", Pass: 1, Item: work.Item{Kind: work.MediaItem, URL: "http://a/x.jpg"},
		Media: &crawler.MediaResult{Outcome: work.MediaFetched, SHA256: hashing.SumSHA256([]byte("x")), Bytes: 10,
			Hash: crawlstate.HashResult{Rule: "r", Watermark: 1, Checked: time.Now().UTC()}}, Worker: "w"}}
	for _, tc := range []struct {
		name string
		msg  resultMsg
	}{
		{"every field", full},
		{"a page", page},
		{"a medium", media},
		{"parked", resultMsg{Epoch: "e", Key: 3, Result: crawler.Result{Parked: true, ParkReason: "why"}}},
		{"empty", resultMsg{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js, err := encodeResult(&tc.msg, 2)
			if err != nil {
				t.Fatal(err)
			}
			var want resultMsg
			if err := decodeResult(js, &want); err != nil {
				t.Fatal(err)
			}
			bin, err := encodeResult(&tc.msg, Protocol)
			if err != nil {
				t.Fatal(err)
			}
			if bin[0] == '{' {
				t.Fatal("protocol 3 sent JSON")
			}
			var got resultMsg
			if err := decodeResult(bin, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("binary gave\n%s\nJSON gave\n%s", g, w)
			}
		})
	}
}

// TestTruncatedResultsAndLookupsAreRefused cuts binary results and
// lookups at every length: each cut is an error, never a panic.
func TestTruncatedResultsAndLookupsAreRefused(t *testing.T) {
	full := fullResult()
	res, err := encodeResult(&full, Protocol)
	if err != nil {
		t.Fatal(err)
	}
	lookup, err := encodeLookup(&work.ResolveRequest{Site: "s", Pass: 3, What: "media", URL: "http://a/x.jpg", SHA256: hashing.SumSHA256(nil), Watermark: 9}, Protocol)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		decode func([]byte) error
	}{
		{"result", res, func(b []byte) error { var rm resultMsg; return decodeResult(b, &rm) }},
		{"lookup", lookup, func(b []byte) error { var r work.ResolveRequest; return decodeLookup(b, &r) }},
	} {
		if err := tc.decode(tc.data); err != nil {
			t.Fatalf("%s: the whole message was refused: %v", tc.name, err)
		}
		for n := range len(tc.data) {
			if err := tc.decode(tc.data[:n]); err == nil {
				t.Fatalf("%s cut to %d of its %d bytes was accepted", tc.name, n, len(tc.data))
			}
		}
		if err := tc.decode(append(tc.data[:len(tc.data):len(tc.data)], 0)); err == nil {
			t.Errorf("%s with a byte after its end was accepted", tc.name)
		}
	}
}

// TestLookupsSurviveTheWire checks a lookup request in each protocol.
func TestLookupsSurviveTheWire(t *testing.T) {
	req := work.ResolveRequest{Site: "fixture", Pass: 1 << 40, What: "video", URL: "https://example.test/v.mp4", SHA256: hashing.SumSHA256([]byte("v")), Watermark: 77}
	for _, proto := range []int{1, 2, Protocol} {
		t.Run(fmt.Sprintf("protocol %d", proto), func(t *testing.T) {
			data, err := encodeLookup(&req, proto)
			if err != nil {
				t.Fatal(err)
			}
			var got work.ResolveRequest
			if err := decodeLookup(data, &got); err != nil {
				t.Fatal(err)
			}
			if got != req {
				t.Errorf("decoded %+v, want %+v", got, req)
			}
		})
	}
}

// BenchmarkResult is one page and one media result encoded by a worker
// and decoded by the coordinator, which does it once per item: in
// protocol 2's JSON and protocol 3's binary form.
func BenchmarkResult(b *testing.B) {
	full := fullResult()
	page := full
	page.Result.Media = nil
	media := full
	media.Result.Page, media.Result.Errors, media.Result.Recovered = nil, nil, nil
	media.Result.Media.Hash.Matches, media.Result.Media.Preview, media.Result.Media.Err = nil, nil, nil
	for _, tc := range []struct {
		name string
		msg  resultMsg
	}{{"page", page}, {"medium", media}} {
		for _, proto := range []int{2, Protocol} {
			b.Run(fmt.Sprintf("%s protocol %d", tc.name, proto), func(b *testing.B) {
				b.ReportAllocs()
				var size int
				for b.Loop() {
					data, err := encodeResult(&tc.msg, proto)
					if err != nil {
						b.Fatal(err)
					}
					size = len(data)
					var got resultMsg
					if err := decodeResult(data, &got); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(size), "bytes/msg")
			})
		}
	}
}
