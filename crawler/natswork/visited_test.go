package natswork

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestTheVisitedBucketIsOnlyACache: workers leave links to pages already
// done out of what they send back, and the bucket they read may be stale
// or vanish at any moment without a page being skipped. A previous
// coordinator's marks claim every page of the coming pass done (a
// database restored from a backup); the starting coordinator deletes
// them. Mid-pass the bucket is deleted. The pass still finds exactly the
// sightings and counts of a one-process pass.
func TestTheVisitedBucketIsOnlyACache(t *testing.T) {
	fs, srv := serveFixture(t, fixtures.SiteConfig{Hostile: true, Large: true, GalleryPages: 40})
	site := siteFor(t, srv.URL)

	ref := referencePass(t, site)
	var pages []string
	seen := map[string]bool{}
	for _, r := range fs.Requests() {
		if !seen[r.Path] {
			seen[r.Path] = true
			pages = append(pages, srv.URL+r.Path)
		}
	}
	fs.ClearRequests()

	emb, nc, creds := startEmbedded(t, "test coordinator")
	ctx := context.Background()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// A previous coordinator's marks, wrong for this database.
	old, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: visitedBucket, History: 1, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range pages {
		for _, v := range []string{u, strings.TrimSuffix(u, "/")} {
			if _, err := old.Put(ctx, markKey("fixture", v), []byte("1")); err != nil {
				t.Fatal(err)
			}
		}
	}

	db := registerKnown(t)
	c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
	coord := startCoordinator(t, CoordinatorConfig{Conn: nc, Crawler: c, AckWait: 5 * time.Second})
	tc := &testCluster{emb: emb, coord: coord, creds: creds}
	tc.runWorker(t, WorkerConfig{Name: "w1", Parallel: 4})
	tc.runWorker(t, WorkerConfig{Name: "w2", Parallel: 4})

	// Delete the bucket once a third of the pages are fetched.
	deleted := make(chan struct{})
	go func() {
		defer close(deleted)
		deadline := time.Now().Add(time.Minute)
		for len(fs.Requests()) < len(pages)/3 && time.Now().Before(deadline) {
			<-time.After(5 * time.Millisecond)
		}
		if err := js.DeleteKeyValue(ctx, visitedBucket); err != nil {
			t.Errorf("delete the visited bucket: %v", err)
		}
	}()
	stats, err := c.Pass(ctx, site)
	if err != nil {
		t.Fatal(err)
	}
	<-deleted
	ref.sameSightings(t, db, "with the visited bucket")
	ref.sameCounts(t, stats, "with the visited bucket")
	if coord.visitedLinks.Load() == 0 {
		t.Errorf("workers left no link out as visited (of %d links): the bucket did nothing", coord.links.Load())
	}
	t.Logf("%d pages; workers left %d of %d links out as visited; %d marks published, %d dropped, %d failed",
		stats.Pages, coord.visitedLinks.Load(), coord.links.Load(), coord.visited.published.Load(), coord.visited.dropped.Load(), coord.visited.failed.Load())
}

// TestAnInMemoryCoordinatorReplacesFileStreams: a coordinator of the
// embedded server (InMemory) starting where an earlier one kept its
// streams in files (an upgrade) replaces them rather than failing.
func TestAnInMemoryCoordinatorReplacesFileStreams(t *testing.T) {
	_, nc, _ := startEmbedded(t, "test coordinator")
	ctx := context.Background()
	for _, inMemory := range []bool{false, true, true} {
		coord, err := NewCoordinator(ctx, CoordinatorConfig{Conn: nc, Crawler: &crawler.Crawler{}, InMemory: inMemory})
		if err != nil {
			t.Fatalf("InMemory %v: %v", inMemory, err)
		}
		coord.Close()
		js, _ := jetstream.New(nc)
		for _, name := range []string{workStream, resultStream} {
			s, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			want := jetstream.FileStorage
			if inMemory {
				want = jetstream.MemoryStorage
			}
			if got := s.CachedInfo().Config.Storage; got != want {
				t.Errorf("InMemory %v: stream %s stored in %v", inMemory, name, got)
			}
		}
	}
}

// TestWorkersLeaveOutOnlyPagesDoneInTheJobsPass: a link is left out only
// when a mark says its page is done in the job's own pass, under the
// coordinator's current epoch; links to media and videos always go back
// (the frontier keeps those per page), and a new epoch starts afresh.
func TestWorkersLeaveOutOnlyPagesDoneInTheJobsPass(t *testing.T) {
	// A server without the bucket: a watch cannot start there.
	_, nc, _ := startEmbedded(t, "test worker")
	vc := newVisitedCache(nc, slog.New(slog.DiscardHandler))
	t.Cleanup(vc.close)
	sm := &siteMarks{epoch: "e1", stop: func() {}, marks: map[urlKey]uint64{
		keyOf("http://s/done"):       7,
		keyOf("http://s/earlier"):    6,
		keyOf("http://s/pic.jpg"):    7,
		keyOf("http://s/clip.mp4"):   7,
		keyOf("http://s/done-again"): 7,
	}}
	sm.watching.Store(true)
	vc.sites[siteKey("site")] = sm
	links := []string{"http://s/done", "http://s/earlier", "http://s/new", "http://s/pic.jpg", "http://s/clip.mp4", "http://s/done-again"}
	for _, tc := range []struct {
		name, epoch, site string
		pass              uint64
		kept, left        string
	}{
		{"pages done in the job's pass are left out", "e1", "site", 7,
			"http://s/earlier http://s/new http://s/pic.jpg http://s/clip.mp4", "http://s/done http://s/done-again"},
		{"marks of another pass leave nothing out", "e1", "site", 8, strings.Join(links, " "), ""},
		{"marks of another site leave nothing out", "e1", "other", 7, strings.Join(links, " "), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := crawler.Result{Page: &work.PageResult{Links: append([]string(nil), links...)}}
			vc.filter(context.Background(), tc.epoch, &work.Job{Site: tc.site, Pass: tc.pass}, &res)
			if got := strings.Join(res.Page.Links, " "); got != tc.kept {
				t.Errorf("links sent = %s\nwant %s", got, tc.kept)
			}
			if got := strings.Join(res.Page.VisitedLinks, " "); got != tc.left {
				t.Errorf("links left out = %s\nwant %s", got, tc.left)
			}
		})
	}
	t.Run("a new coordinator epoch drops the marks", func(t *testing.T) {
		// The watch of the new epoch cannot start (no bucket), and
		// nothing is left out meanwhile.
		res := crawler.Result{Page: &work.PageResult{Links: append([]string(nil), links...)}}
		vc.filter(context.Background(), "e2", &work.Job{Site: "site", Pass: 7}, &res)
		if len(res.Page.VisitedLinks) != 0 {
			t.Errorf("links left out under a new epoch: %v", res.Page.VisitedLinks)
		}
	})
}
