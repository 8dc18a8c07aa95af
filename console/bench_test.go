package console

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
)

// BenchmarkAlertQueue measures one page of the queue (filter, count per
// status, sort by confidence, page of 50) over 2,000 alerts, through HTTP
// with a session: what an operator waits for on every click.
func BenchmarkAlertQueue(b *testing.B) {
	e := newEnv(b, nil)
	a := e.seedAlerts(1)[0]
	ctx := context.Background()
	for i := 2; i <= 2000; i++ {
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		if _, _, err := e.db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "board", MediaSHA256: sha256.Sum256(seed[:]),
			Match:    index.Match{Fingerprint: a.Fingerprint, Case: "c1", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: i % 32}},
			Sighting: alerts.Sighting{PageURL: "http://board.example/p", MediaURL: "http://board.example/m.jpg", FirstSeen: time.Now()}}); err != nil {
			b.Fatal(err)
		}
	}
	op := e.login("op1")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("GET", e.ts.URL+"/api/alerts?sort=confidence&status=new&per_page=50", nil)
		resp, err := op.http.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%v %v", resp, err)
		}
		readAll(resp)
	}
}
