package crawlstate

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

func openCrawlDB(t *testing.T) (*testDB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crawl.db")
	db, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func urls(items []FrontierItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.URL)
	}
	return out
}

func TestFrontierSurvivesAReopenWithEveryUndoneItemQueued(t *testing.T) {
	ctx := context.Background()
	db, path := openCrawlDB(t)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, resumed, err := db.BeginFrontierPass(ctx, "s", start, []FrontierItem{{Kind: FrontierPage, URL: "http://a/"}})
	if err != nil || resumed || p.Number != 1 || p.QueuedPages != 1 {
		t.Fatalf("begin = %+v, %v, %v", p, resumed, err)
	}
	seed, err := db.FrontierScan("s", FrontierPage, 0, 10)
	if err != nil || len(seed) != 1 {
		t.Fatalf("scan = %v, %v", seed, err)
	}
	found := []FrontierItem{
		{Kind: FrontierPage, URL: "http://a/1", Depth: 1},
		{Kind: FrontierPage, URL: "http://a/2", Depth: 1},
		{Kind: FrontierPage, URL: "http://a/", Depth: 1}, // the seed again: already seen
		{Kind: FrontierMedia, URL: "http://cdn/x.jpg", Page: "http://a/"},
		{Kind: FrontierMedia, URL: "http://cdn/x.jpg", Page: "http://a/"}, // twice on one page: once
	}
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 1, Done: seed, Push: found}}); err != nil {
		t.Fatal(err)
	}
	// Another page shows the same media: a second item, for its sighting.
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 1, Push: []FrontierItem{{Kind: FrontierMedia, URL: "http://cdn/x.jpg", Page: "http://a/1"}}}}); err != nil {
		t.Fatal(err)
	}
	// A write from a pass that is not running changes nothing.
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 7, Push: []FrontierItem{{Kind: FrontierPage, URL: "http://a/stale"}}}}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, resumed, err = db.BeginFrontierPass(ctx, "s", start.Add(time.Hour), nil)
	if err != nil || !resumed || p.Number != 1 || !p.Start.Equal(start) || p.QueuedPages != 2 || p.QueuedMedia != 2 {
		t.Fatalf("resume = %+v, %v, %v", p, resumed, err)
	}
	pages, _ := db.FrontierScan("s", FrontierPage, 0, 10)
	media, _ := db.FrontierScan("s", FrontierMedia, 0, 10)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"the found pages are queued in order, the seed not again", urls(pages), []string{"http://a/1", "http://a/2"}},
		{"media is queued once per page that shows it", len(media), 2},
		{"a scan after the first page starts past it", len(must(db.FrontierScan("s", FrontierPage, pages[0].Seq, 10))), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := toString(tt.got), toString(tt.want); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
	queued, done, _ := db.FrontierSeen("s", FrontierItem{Kind: FrontierPage, URL: "http://a/"})
	if queued || !done {
		t.Errorf("the seed: queued %v done %v, want done", queued, done)
	}

	if _, err := db.FinishFrontierPass(ctx, "s", start.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	p, resumed, err = db.BeginFrontierPass(ctx, "s", start.Add(3*time.Hour), []FrontierItem{{Kind: FrontierPage, URL: "http://a/"}})
	if err != nil || resumed || p.Number != 2 || p.QueuedPages != 1 || p.QueuedMedia != 0 {
		t.Fatalf("a new pass after finishing = %+v, %v, %v; want pass 2 with only the seed", p, resumed, err)
	}
}

func TestAShallowerDiscoveryLowersAQueuedItemsDepth(t *testing.T) {
	ctx := context.Background()
	db, _ := openCrawlDB(t)
	if _, _, err := db.BeginFrontierPass(ctx, "s", time.Now(), []FrontierItem{{Kind: FrontierPage, URL: "http://a/deep", Depth: 3}}); err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 1, Push: []FrontierItem{{Kind: FrontierPage, URL: "http://a/deep", Depth: 1}}}}); err != nil {
		t.Fatal(err)
	}
	items, _ := db.FrontierScan("s", FrontierPage, 0, 10)
	if len(items) != 1 || items[0].Depth != 1 {
		t.Fatalf("queue = %+v, want one item at depth 1", items)
	}
}

func TestCachedMatchResultsGoStaleWhenFingerprintsAreRegistered(t *testing.T) {
	ctx := context.Background()
	db, _ := openCrawlDB(t)
	rule := hashing.DefaultRule().String()
	w0, err := db.FingerprintWatermark()
	if err != nil || w0 != 0 {
		t.Fatalf("empty database watermark = %d, %v", w0, err)
	}
	sum := [32]byte{9}
	hr := HashResult{SHA256: sum, Rule: rule, Watermark: w0}
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Hashes: []HashResult{hr}}}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.HashResult(sum)
	if err != nil || !ok || !got.Fresh(rule, w0) {
		t.Fatalf("stored result = %+v, %v, %v", got, ok, err)
	}
	added, err := db.Register(ctx, "c", "", []index.Registration{{Source: "a.jpg", Print: hashingtest.Image(1, 2, 3)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	w1, _ := db.FingerprintWatermark()
	tests := []struct {
		name string
		r    HashResult
		want bool
	}{
		{"a result from before a registration is stale", got, false},
		{"a result under another rule is stale", HashResult{Rule: "phash<=1", Watermark: w1}, false},
		{"a result at the current watermark is fresh", HashResult{Rule: rule, Watermark: w1}, true},
		{"a decoding failure never goes stale", HashResult{Failure: "corrupt"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if f := tt.r.Fresh(rule, w1); f != tt.want {
				t.Errorf("Fresh = %v", f)
			}
		})
	}
	ms := []index.Match{{Fingerprint: added[0].ID}, {Fingerprint: 999}}
	active, err := db.ActiveMatches(ms)
	if err != nil || len(active) != 1 || active[0].Fingerprint != added[0].ID {
		t.Fatalf("ActiveMatches = %v, %v; want only the registered fingerprint", active, err)
	}
	if _, _, err := db.Withdraw(ctx, "c", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if active, _ := db.ActiveMatches(ms); len(active) != 0 {
		t.Errorf("a withdrawn fingerprint is still active: %v", active)
	}
}

func TestPageAndMediaRecordsRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, _ := openCrawlDB(t)
	now := time.Now().UTC().Truncate(time.Second)
	page := PageRecord{URL: "http://a/", ETag: `"e"`, Serves: "page", Links: []string{"http://a/1"}, Media: []string{"http://a/x.jpg"}, Pass: 1, Checked: now}
	media := MediaRecord{URL: "http://a/x.jpg", ETag: `"m"`, SHA256: hashing.SHA256{0xab}, Size: 10, Pass: 1, Checked: now}
	video := VideoRecord{URL: "http://a/v.mp4", Page: "http://a/", FirstSeen: now, LastSeen: now}
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pages: []PageRecord{page}, Media: []MediaRecord{media}, Videos: []VideoRecord{video}}}); err != nil {
		t.Fatal(err)
	}
	later := video
	later.FirstSeen, later.LastSeen = now.Add(time.Hour), now.Add(time.Hour)
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Videos: []VideoRecord{later}}}); err != nil {
		t.Fatal(err)
	}
	gp, ok, err := db.PageRecord("s", page.URL)
	if err != nil || !ok || toString(gp) != toString(page) {
		t.Errorf("page record = %+v, %v, %v", gp, ok, err)
	}
	gm, ok, err := db.MediaRecord("s", media.URL)
	if err != nil || !ok || toString(gm) != toString(media) {
		t.Errorf("media record = %+v, %v, %v", gm, ok, err)
	}
	if _, ok, _ := db.MediaRecord("other-site", media.URL); ok {
		t.Error("records leak between sites")
	}
	vs, err := db.Videos("s")
	if err != nil || len(vs) != 1 || !vs[0].FirstSeen.Equal(now) || !vs[0].LastSeen.Equal(later.LastSeen) {
		t.Errorf("videos = %+v, %v; want one, first seen kept, last seen updated", vs, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func toString(v any) string { return fmt.Sprintf("%+v", v) }

func TestVideoItemsAreQueuedOncePerURLAndSurviveAReopen(t *testing.T) {
	ctx := context.Background()
	db, path := openCrawlDB(t)
	if _, _, err := db.BeginFrontierPass(ctx, "s", time.Now(), []FrontierItem{{Kind: FrontierPage, URL: "http://a/"}}); err != nil {
		t.Fatal(err)
	}
	seed := must(db.FrontierScan("s", FrontierPage, 0, 10))
	found := []FrontierItem{
		{Kind: FrontierVideo, URL: "http://cdn/v.mp4", Page: "http://a/"},
		{Kind: FrontierVideo, URL: "http://cdn/w.mp4", Page: "http://a/"},
		{Kind: FrontierMedia, URL: "http://cdn/v.mp4", Page: "http://a/"}, // the same URL as media is another item
	}
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 1, Done: seed, Push: found}}); err != nil {
		t.Fatal(err)
	}
	// Another page shows the same video: it is fetched once, so no new item.
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 1, Push: []FrontierItem{{Kind: FrontierVideo, URL: "http://cdn/v.mp4", Page: "http://a/2"}}}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, resumed, err := db.BeginFrontierPass(ctx, "s", time.Now(), nil)
	if err != nil || !resumed || p.QueuedPages != 0 || p.QueuedMedia != 1 || p.QueuedVideos != 2 {
		t.Fatalf("resume = %+v, %v, %v; want 1 media and 2 videos queued", p, resumed, err)
	}
	videos := must(db.FrontierScan("s", FrontierVideo, 0, 10))
	if got := urls(videos); toString(got) != toString([]string{"http://cdn/v.mp4", "http://cdn/w.mp4"}) || videos[0].Page != "http://a/" {
		t.Fatalf("video items = %+v; want v.mp4 (on its first page) and w.mp4", videos)
	}
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 1, Done: videos[:1]}}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := db.FrontierPass("s"); p.QueuedVideos != 1 {
		t.Errorf("after one video is done %d are queued, want 1", p.QueuedVideos)
	}
	if queued, done, _ := db.FrontierSeen("s", videos[0]); queued || !done {
		t.Errorf("the done video: queued %v done %v, want done", queued, done)
	}
	p, err = db.FinishFrontierPass(ctx, "s", time.Now())
	if err != nil || p.QueuedVideos != 0 {
		t.Errorf("finish = %+v, %v; want nothing queued", p, err)
	}
}

// TestAPassStoredBeforeVideoItemsResumes reads a running pass written before
// video items existed (no queued_videos): it resumes with none queued.
func TestAPassStoredBeforeVideoItemsResumes(t *testing.T) {
	ctx := context.Background()
	db, _ := openCrawlDB(t)
	old := []byte("\x01" + `{"number":3,"start":"2026-01-02T03:04:05Z","queued_pages":1,"queued_media":2}`)
	if err := db.DB.Update(func(tx *bolt.Tx) error {
		meta, err := crawlSite(tx, "s", siteMeta)
		if err != nil {
			return err
		}
		return meta.Put(keyPass, old)
	}, nil); err != nil {
		t.Fatal(err)
	}
	p, resumed, err := db.BeginFrontierPass(ctx, "s", time.Now(), nil)
	if err != nil || !resumed || p.Number != 3 || p.QueuedPages != 1 || p.QueuedMedia != 2 || p.QueuedVideos != 0 {
		t.Fatalf("resume = %+v, %v, %v; want pass 3 with its counts and no videos", p, resumed, err)
	}
}

// TestTallyCommitsWithDone checks that an item's counts are added to the
// pass's stored counts in the transaction that marks it done, once: a write
// for an item already done (a late duplicate) or for another pass adds
// nothing, and the counts survive a reopen.
func TestTallyCommitsWithDone(t *testing.T) {
	ctx := context.Background()
	db, path := openCrawlDB(t)
	if _, _, err := db.BeginFrontierPass(ctx, "s", time.Now(), []FrontierItem{{Kind: FrontierPage, URL: "http://a/"}}); err != nil {
		t.Fatal(err)
	}
	seed := must(db.FrontierScan("s", FrontierPage, 0, 10))
	pageTally := PassTally{Counts: Counts{Pages: 1, Bytes: 100}, Bounds: map[string]int{"max_links_per_page": 1}}
	found := []FrontierItem{
		{Kind: FrontierMedia, URL: "http://cdn/1.jpg", Page: "http://a/"},
		{Kind: FrontierMedia, URL: "http://cdn/2.jpg", Page: "http://a/"},
		{Kind: FrontierMedia, URL: "http://cdn/1.jpg", Page: "http://a/other"}, // the same URL on another page
	}
	now := time.Now()
	videos := []VideoRecord{{URL: "http://cdn/v.mp4", Page: "http://a/", FirstSeen: now, LastSeen: now}}
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 1, Done: seed, Push: found, Tally: pageTally, Videos: videos}}); err != nil {
		t.Fatal(err)
	}
	media := must(db.FrontierScan("s", FrontierMedia, 0, 10))
	if done, err := db.FrontierMediaDone("s", media[0].URL); err != nil || done {
		t.Fatalf("media done before its item is = %v, %v", done, err)
	}
	oneURL := PassTally{Counts: Counts{Media: 1, Hashed: 1, Matches: 1}}
	ws := []CrawlWrite{
		{Site: "s", Pass: 1, Done: media[:1], Tally: PassTally{Counts: Counts{NewAlerts: 1}}, URLTally: oneURL},
		{Site: "s", Pass: 1, Done: media[1:2], URLTally: PassTally{Errors: map[string]int{"corrupt": 1}}},
		// The same URL's item on another page: its alert counts, its
		// URL's counts do not (again), nor does the video seen before.
		{Site: "s", Pass: 1, Done: media[2:], Tally: PassTally{Counts: Counts{NewAlerts: 1}}, URLTally: oneURL, Videos: videos},
		// A duplicate of the first: its item is no longer queued.
		{Site: "s", Pass: 1, Done: media[:1], Tally: PassTally{Counts: Counts{Media: 1}}},
		// A late write of an earlier pass.
		{Site: "s", Pass: 0, Done: media[:1], Tally: PassTally{Counts: Counts{Media: 7}}},
	}
	if err := db.ApplyCrawlWrites(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if done, err := db.FrontierMediaDone("s", media[0].URL); err != nil || !done {
		t.Fatalf("media done after its item is = %v, %v", done, err)
	}
	db.Close()
	db, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, resumed, err := db.BeginFrontierPass(ctx, "s", time.Now(), nil)
	if err != nil || !resumed {
		t.Fatalf("resume = %v, %v", resumed, err)
	}
	want := PassTally{Counts: Counts{Pages: 1, Bytes: 100, Media: 1, Hashed: 1, Matches: 1, NewAlerts: 2, Videos: 1},
		Errors: map[string]int{"corrupt": 1}, Bounds: map[string]int{"max_links_per_page": 1}}
	if toString(p.Tally) != toString(want) {
		t.Errorf("stored tally = %+v\nwant %+v", p.Tally, want)
	}
	// A new pass starts from zero.
	if _, err := db.FinishFrontierPass(ctx, "s", time.Now()); err != nil {
		t.Fatal(err)
	}
	p, _, err = db.BeginFrontierPass(ctx, "s", time.Now(), []FrontierItem{{Kind: FrontierPage, URL: "http://a/"}})
	if err != nil || !p.Tally.Zero() {
		t.Errorf("new pass tally = %+v, %v; want zero", p.Tally, err)
	}
}

// TestCountsAddCoversEveryCounter fails when a counter added to Counts is
// left out of Counts.Add.
func TestCountsAddCoversEveryCounter(t *testing.T) {
	var one Counts
	v := reflect.ValueOf(&one).Elem()
	for i := range v.NumField() {
		v.Field(i).SetInt(1)
	}
	var sum Counts
	sum.Add(one)
	sum.Add(one)
	s := reflect.ValueOf(sum)
	for i := range s.NumField() {
		if s.Field(i).Int() != 2 {
			t.Errorf("Counts.Add leaves out %s", s.Type().Field(i).Name)
		}
	}
}

// TestFrontierPagesDoneListsExactlyTheDonePages: the pages a resumed pass
// tells copies of its visited set about are those done or marked visited
// — never a page still queued, never media — however small the batches.
func TestFrontierPagesDoneListsExactlyTheDonePages(t *testing.T) {
	ctx := context.Background()
	db, _ := openCrawlDB(t)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, _, err := db.BeginFrontierPass(ctx, "s", start, []FrontierItem{{Kind: FrontierPage, URL: "http://a/"}}); err != nil {
		t.Fatal(err)
	}
	seed, _ := db.FrontierScan("s", FrontierPage, 0, 10)
	found := []FrontierItem{
		{Kind: FrontierPage, URL: "http://a/1", Depth: 1},
		{Kind: FrontierPage, URL: "http://a/2", Depth: 1},
		{Kind: FrontierPage, URL: "http://a/3", Depth: 1},
		{Kind: FrontierMedia, URL: "http://cdn/x.jpg", Page: "http://a/"},
	}
	redirect := []FrontierItem{{Kind: FrontierPage, URL: "http://a/final"}}
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 1, Done: seed, Push: found, Visited: redirect}}); err != nil {
		t.Fatal(err)
	}
	queued, _ := db.FrontierScan("s", FrontierPage, 0, 10)
	media, _ := db.FrontierScan("s", FrontierMedia, 0, 10)
	if err := db.ApplyCrawlWrites(ctx, []CrawlWrite{{Site: "s", Pass: 1, Done: append(queued[1:2], media...)}}); err != nil {
		t.Fatal(err)
	}
	want := "http://a/ http://a/2 http://a/final"
	for _, batch := range []int{1, 2, 1000} {
		var got []string
		err := db.FrontierPagesDone(ctx, "s", batch, func(urls []string) error {
			if len(urls) > batch {
				t.Errorf("batch of %d URLs, want at most %d", len(urls), batch)
			}
			got = append(got, urls...)
			return nil
		})
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("batch %d: FrontierPagesDone = %v, %v; want %s", batch, got, err, want)
		}
	}
	if err := db.FrontierPagesDone(ctx, "nosuch", 10, func([]string) error { t.Error("a site without a pass has pages"); return nil }); err != nil {
		t.Fatal(err)
	}
}
