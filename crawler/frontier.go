package crawler

import (
	"context"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/database"
)

// QueueCounts are the items of a pass waiting or in flight, by kind.
type QueueCounts struct {
	Pages, Media, Videos int
}

// Total is the number of items waiting or in flight.
func (q QueueCounts) Total() int { return q.Pages + q.Media + q.Videos }

// PassInfo is what Frontier.Begin says about the pass it began or resumed.
type PassInfo struct {
	Number  uint64
	Start   time.Time
	Resumed bool
}

// Frontier is one site's to-do list for a pass and the pass's visited set:
// its pages, media and videos.
// It is the only crawl state a pass keeps outside memory, so that a process
// killed mid-pass resumes where it stopped, and it is small on purpose: a
// frontier shared by crawl workers on several machines (NATS JetStream: a
// work-queue stream with explicit acks and a key-value bucket as the
// visited set) implements the same methods, and nothing else in the crawler
// changes.
//
// The contract:
//   - An item is handed out by Pop until it is Done: a worker that dies with
//     an item in hand leaves it queued, so a crash costs at most the items in
//     flight a second fetch, and loses nothing discovered.
//   - Done records the item visited and queues what it found, atomically,
//     skipping what the pass already queued or visited.
//   - Release puts popped items back for a later Pop (a clean shutdown).
//   - Finish ends the pass; the next Begin starts a new one from the seeds
//     with an empty visited set.
type Frontier interface {
	// Begin resumes the site's unfinished pass, or starts a new one at
	// start with the seeds queued.
	Begin(ctx context.Context, start time.Time, seeds []Item) (PassInfo, error)
	// Pop hands out up to max queued items of one kind; none (and no
	// error) when nothing of that kind is waiting right now.
	Pop(ctx context.Context, kind ItemKind, max int) ([]Item, error)
	// Done marks a popped item visited and queues the items it found;
	// what the item counted is added to the pass's counts atomically with
	// it, so a pass killed at any moment counts exactly its done items.
	Done(ctx context.Context, it Item, found []Item, t *tally) error
	// Release puts popped items back, undone.
	Release(ctx context.Context, items []Item) error
	// Queued counts the items waiting or in flight, by kind.
	Queued(ctx context.Context) (QueueCounts, error)
	// Counted is what the pass's done items counted (see Done).
	Counted(ctx context.Context) (crawlstate.PassTally, error)
	// Finish ends the running pass at end.
	Finish(ctx context.Context, end time.Time) error
}

// boltFrontier is the single-machine Frontier: the queue and visited set of
// the site's pass live in the hashwatch database (crawlstate.Store.BeginFrontierPass
// and friends). Pop only reads: an item leaves the queue in the same
// transaction that records it done and queues what it found, so there is
// no "leased" state on disk to repair after a crash. Writes go through the
// pass's committer, which groups the workers' writes into one transaction
// and one fsync.
type boltFrontier struct {
	db     *database.DB
	site   string
	commit *committer

	mu       sync.Mutex
	pass     uint64
	cursor   map[ItemKind]uint64 // highest Seq handed out per kind
	released map[ItemKind][]Item
}

func newBoltFrontier(db *database.DB, site string, commit *committer) *boltFrontier {
	return &boltFrontier{db: db, site: site, commit: commit, cursor: map[ItemKind]uint64{}, released: map[ItemKind][]Item{}}
}

func toIndexKind(k ItemKind) crawlstate.FrontierKind {
	switch k {
	case MediaItem:
		return crawlstate.FrontierMedia
	case VideoItem:
		return crawlstate.FrontierVideo
	}
	return crawlstate.FrontierPage
}

func toIndexItem(it Item) crawlstate.FrontierItem {
	return crawlstate.FrontierItem{Seq: it.ID, Kind: toIndexKind(it.Kind), URL: it.URL, Page: it.Page, Depth: it.Depth}
}

func (f *boltFrontier) Begin(ctx context.Context, start time.Time, seeds []Item) (PassInfo, error) {
	items := make([]crawlstate.FrontierItem, len(seeds))
	for i, s := range seeds {
		items[i] = toIndexItem(s)
	}
	p, resumed, err := f.db.Crawl.BeginFrontierPass(ctx, f.site, start, items)
	if err != nil {
		return PassInfo{}, err
	}
	f.mu.Lock()
	f.pass = p.Number
	clear(f.cursor)
	clear(f.released)
	f.mu.Unlock()
	return PassInfo{Number: p.Number, Start: p.Start, Resumed: resumed}, nil
}

func (f *boltFrontier) Pop(ctx context.Context, kind ItemKind, max int) ([]Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Item
	if r := f.released[kind]; len(r) > 0 {
		n := min(max, len(r))
		out = append(out, r[:n]...)
		f.released[kind] = r[n:]
	}
	if len(out) == max {
		return out, nil
	}
	items, err := f.db.Crawl.FrontierScan(f.site, toIndexKind(kind), f.cursor[kind], max-len(out))
	if err != nil {
		return out, err
	}
	for _, it := range items {
		out = append(out, Item{Kind: kind, URL: it.URL, Page: it.Page, Depth: it.Depth, ID: it.Seq})
		f.cursor[kind] = it.Seq
	}
	return out, nil
}

func (f *boltFrontier) Done(ctx context.Context, it Item, found []Item, t *tally) error {
	f.mu.Lock()
	w := crawlstate.CrawlWrite{Site: f.site, Pass: f.pass, Done: []crawlstate.FrontierItem{toIndexItem(it)}}
	f.mu.Unlock()
	if t != nil {
		w.Tally, w.URLTally, w.Videos = t.own, t.url, t.videos
	}
	for _, x := range found {
		if x.Visited {
			w.Visited = append(w.Visited, toIndexItem(x))
		} else {
			w.Push = append(w.Push, toIndexItem(x))
		}
	}
	return f.commit.write(ctx, w)
}

func (f *boltFrontier) Release(_ context.Context, items []Item) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range items {
		f.released[it.Kind] = append(f.released[it.Kind], it)
	}
	return nil
}

func (f *boltFrontier) Queued(context.Context) (QueueCounts, error) {
	p, _, err := f.db.Crawl.FrontierPass(f.site)
	return QueueCounts{Pages: p.QueuedPages, Media: p.QueuedMedia, Videos: p.QueuedVideos}, err
}

func (f *boltFrontier) Counted(context.Context) (crawlstate.PassTally, error) {
	p, _, err := f.db.Crawl.FrontierPass(f.site)
	return p.Tally, err
}

func (f *boltFrontier) Finish(ctx context.Context, end time.Time) error {
	// Writes still on their way (records posted without waiting) belong to
	// this pass; flush them first so Finish is the last word.
	if err := f.commit.flush(ctx); err != nil {
		return err
	}
	_, err := f.db.Crawl.FinishFrontierPass(ctx, f.site, end)
	return err
}
