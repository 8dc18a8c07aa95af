package console

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/crawlstate"
)

// TestTheSitesPageShowsTheWorkQueueAndParkedItems: for a site crawled by
// workers over NATS, the sites page and /api/sites show the work queue,
// each worker and the items parked.
func TestTheSitesPageShowsTheWorkQueueAndParkedItems(t *testing.T) {
	e := newEnv(t, nil)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	st := crawlstate.SiteStatus{Name: "board", PassStart: at, Running: true, PassNumber: 2, Counts: crawlstate.Counts{Parked: 1},
		RecentParked: []crawlstate.ParkedItem{{Kind: "media", URL: "http://board.example/poison.jpg", Reason: "delivered 4 times to crawl workers without a result", At: at}},
		Queue: &crawlstate.QueueStatus{Depth: 17, InFlight: 5, Redelivered: 2, Dispatched: 9, DuplicateResults: 1, At: at,
			Workers: []crawlstate.WorkerStatus{{Name: "crawl-7/1", Results: 420, PerSecond: 3.5, FirstSeen: at, LastSeen: at}}}}
	if err := e.db.Crawl.PutSiteStatus(st); err != nil {
		t.Fatal(err)
	}
	c := e.login("ana1")
	page := readAll(c.get("/sites"))
	for _, want := range []string{"17 waiting, 5 in flight, 2 redelivered, 9 of this site", "worker crawl-7/1: 420 results, 3.5/s", "1 items parked", "http://board.example/poison.jpg"} {
		if !strings.Contains(page, want) {
			t.Errorf("sites page lacks %q", want)
		}
	}
	var rows []SiteJSON
	if err := json.Unmarshal([]byte(readAll(c.get("/api/sites"))), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Status.Queue == nil || rows[0].Status.Queue.Depth != 17 || len(rows[0].Status.Queue.Workers) != 1 ||
		len(rows[0].Status.RecentParked) != 1 || rows[0].Status.Parked != 1 {
		t.Fatalf("/api/sites = %+v", rows)
	}
}
