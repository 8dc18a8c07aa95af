package natswork

import (
	"context"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
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
// decoded by the coordinator, which does it once per medium fingerprinted.
func BenchmarkMatchRequest(b *testing.B) {
	req := queryRequest(b)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		data, err := encodeMatchRequest(&req)
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
}
