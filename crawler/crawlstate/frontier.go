package crawlstate

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Crawl state lives under the top-level bucket "crawl", created lazily by
// the first write that needs it, so this file adds no bucket to Open:
//
//	crawl/sites/<site>/meta    "pass" → FrontierPass
//	crawl/sites/<site>/seen    kind ‖ URL [‖ 0 ‖ page] → 'q' ‖ seq ‖ depth, or 'd': the running pass's visited set (media keyed with their page)
//	crawl/sites/<site>/queue   kind ‖ seq → FrontierItem: what the running pass still has to visit
//	crawl/sites/<site>/pages   page URL → PageRecord (validators and what the page refers to)
//	crawl/sites/<site>/media   media URL → MediaRecord (validators and SHA-256)
//	crawl/sites/<site>/videos  video URL → VideoRecord (where and when a video was found)
//	crawl/sha                  SHA-256 → HashResult (what the bytes matched, and when)
//
// A queue entry is removed only when its item is done, in the same
// transaction that queues what the item discovered, so a process killed at
// any moment resumes with every undone item still queued. An item in seen
// whose queue entry is gone is done; seen is written once per item, when it
// is queued, since its keys are URLs scattered over the B+tree and every
// page touched costs a write at commit.
var (
	bucketCrawlState = []byte("crawl")
	crawlSites       = []byte("sites")
	crawlSHA         = []byte("sha")
	siteMeta         = []byte("meta")
	siteSeen         = []byte("seen")
	siteQueue        = []byte("queue")
	sitePages        = []byte("pages")
	siteMedia        = []byte("media")
	siteVideos       = []byte("videos")
	keyPass          = []byte("pass")
)

// The codecs of the crawl state's values (see codec).
var (
	passCodec  = &store.Codec{Kind: "crawl pass", Version: 1}
	itemCodec  = &store.Codec{Kind: "frontier item", Version: 1}
	pageCodec  = &store.Codec{Kind: "page record", Version: 1}
	mediaCodec = &store.Codec{Kind: "media record", Version: 1}
	videoCodec = &store.Codec{Kind: "video record", Version: 1}
	hashCodec  = &store.Codec{Kind: "hash result", Version: 1}
)

// FrontierKind says what a frontier item is; pages, media and videos wait
// in separate lines of the queue so media fetching never waits behind pages
// and a slow video never holds up either. The kind is the first byte of the
// item's queue and seen keys; 'v' was added after 'p' and 'm' without
// changing what they mean, so files written before it read unchanged.
type FrontierKind byte

// Frontier kinds.
const (
	FrontierPage  FrontierKind = 'p'
	FrontierMedia FrontierKind = 'm'
	FrontierVideo FrontierKind = 'v'
)

func (k FrontierKind) String() string {
	switch k {
	case FrontierPage:
		return "page"
	case FrontierMedia:
		return "media"
	case FrontierVideo:
		return "video"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// FrontierItem is one URL a site's pass has to visit.
type FrontierItem struct {
	// Seq is the item's place in the queue, assigned when it is queued; it
	// identifies the item to FrontierDone.
	Seq  uint64       `json:"-"`
	Kind FrontierKind `json:"-"`
	URL  string       `json:"url"`
	// Page is, for media, the page that shows it (one item per page and
	// media URL, so each place is recorded); for a video, the first page
	// found showing it (one item per video URL: a video is fetched and
	// fingerprinted once per pass); for a page, the page that linked it, so
	// media reached through a plain link can name its page.
	Page string `json:"page,omitempty"`
	// Depth is the number of link hops from a seed.
	Depth int `json:"depth"`
}

// seenKey is the visited-set key of an item: pages and videos by URL, media
// by page and URL.
func (it FrontierItem) seenKey() []byte {
	k := append([]byte{byte(it.Kind)}, it.URL...)
	if it.Kind == FrontierMedia {
		k = append(append(k, 0), it.Page...)
	}
	return k
}

func queueKey(kind FrontierKind, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{byte(kind)}, seq)
}

// FrontierPass is the bookkeeping of a site's current or last pass.
type FrontierPass struct {
	// Number counts the site's passes from 1.
	Number uint64    `json:"number"`
	Start  time.Time `json:"start"`
	// End is zero while the pass runs (or was interrupted and will resume).
	End time.Time `json:"end,omitzero"`
	// QueuedPages, QueuedMedia and QueuedVideos count the items still
	// queued, including those a worker is busy with. (QueuedVideos reads
	// as 0 in a pass stored before video items existed, which had none.)
	QueuedPages  int `json:"queued_pages"`
	QueuedMedia  int `json:"queued_media"`
	QueuedVideos int `json:"queued_videos"`
	// Tally is what the pass's done items counted: each item's counts are
	// added in the transaction that marks it done (CrawlWrite.Tally), so a
	// pass killed at any moment keeps exactly the counts of the items it
	// will not visit again. (Empty in a pass stored before it existed.)
	Tally PassTally `json:"tally,omitzero"`
}

// PassTally is what items of a pass counted, by item or summed over a
// pass's done items.
type PassTally struct {
	Counts
	Errors map[string]int `json:"errors,omitempty"`
	// Bounds counts the per-item site bounds reached (max_links_per_page).
	Bounds map[string]int `json:"bounds,omitempty"`
}

// Add adds o's counts to t.
func (t *PassTally) Add(o PassTally) {
	t.Counts.Add(o.Counts)
	t.Errors = addCounts(t.Errors, o.Errors)
	t.Bounds = addCounts(t.Bounds, o.Bounds)
}

// Zero reports whether t counts nothing.
func (t *PassTally) Zero() bool {
	return t.Counts == (Counts{}) && len(t.Errors) == 0 && len(t.Bounds) == 0
}

func addCounts(m, o map[string]int) map[string]int {
	if len(o) == 0 {
		return m
	}
	if m == nil {
		m = make(map[string]int, len(o))
	}
	for k, v := range o {
		m[k] += v
	}
	return m
}

// count adds n to the queued count of kind.
func (p *FrontierPass) count(kind FrontierKind, n int) {
	switch kind {
	case FrontierPage:
		p.QueuedPages += n
	case FrontierMedia:
		p.QueuedMedia += n
	case FrontierVideo:
		p.QueuedVideos += n
	}
}

// Running reports whether the pass has not finished.
func (p FrontierPass) Running() bool { return p.Number > 0 && p.End.IsZero() }

// seen states.
const (
	seenQueued byte = 'q'
	seenDone   byte = 'd'
)

// siteBucket returns the site's crawl bucket, creating it (and its parents)
// when tx is writable; nil when it does not exist yet.
func siteBucket(tx *bolt.Tx, site string) (*bolt.Bucket, error) {
	if site == "" {
		return nil, fmt.Errorf("crawl state: empty site name: %w", store.ErrInvalid)
	}
	if !tx.Writable() {
		root := tx.Bucket(bucketCrawlState)
		if root == nil {
			return nil, nil
		}
		sites := root.Bucket(crawlSites)
		if sites == nil {
			return nil, nil
		}
		return sites.Bucket([]byte(site)), nil
	}
	root, err := tx.CreateBucketIfNotExists(bucketCrawlState)
	if err != nil {
		return nil, err
	}
	sites, err := root.CreateBucketIfNotExists(crawlSites)
	if err != nil {
		return nil, err
	}
	return sites.CreateBucketIfNotExists([]byte(site))
}

// crawlSite returns the named sub-bucket of the site's crawl bucket,
// creating it when tx is writable; nil when it does not exist yet.
func crawlSite(tx *bolt.Tx, site string, sub []byte) (*bolt.Bucket, error) {
	sb, err := siteBucket(tx, site)
	if err != nil || sb == nil {
		return nil, err
	}
	if !tx.Writable() {
		return sb.Bucket(sub), nil
	}
	return sb.CreateBucketIfNotExists(sub)
}

func readPass(tx *bolt.Tx, site string) (FrontierPass, bool, error) {
	var p FrontierPass
	meta, err := crawlSite(tx, site, siteMeta)
	if err != nil || meta == nil {
		return p, false, err
	}
	v := meta.Get(keyPass)
	if v == nil {
		return p, false, nil
	}
	if err := passCodec.Decode(v, &p); err != nil {
		return p, false, fmt.Errorf("site %s pass: %w", site, err)
	}
	return p, true, nil
}

func writePass(tx *bolt.Tx, site string, p FrontierPass) error {
	meta, err := crawlSite(tx, site, siteMeta)
	if err != nil {
		return err
	}
	v, err := passCodec.Encode(p)
	if err != nil {
		return err
	}
	return meta.Put(keyPass, v)
}

// FrontierPass returns the site's current or last pass; ok is false before
// its first pass.
func (cs *Store) FrontierPass(site string) (p FrontierPass, ok bool, err error) {
	err = cs.st.View(func(tx *bolt.Tx) error {
		p, ok, err = readPass(tx, site)
		return err
	})
	return p, ok, err
}

// BeginFrontierPass resumes the site's unfinished pass (resumed is true; the
// seeds are ignored, since the queue already holds what is left) or starts
// pass number n+1 at start with an empty visited set and the seeds queued.
func (cs *Store) BeginFrontierPass(ctx context.Context, site string, start time.Time, seeds []FrontierItem) (p FrontierPass, resumed bool, err error) {
	if err := ctx.Err(); err != nil {
		return p, false, err
	}
	err = cs.st.Update(func(tx *bolt.Tx) error {
		prev, _, err := readPass(tx, site)
		if err != nil {
			return err
		}
		if prev.Running() {
			p, resumed = prev, true
			return nil
		}
		if err := resetFrontier(tx, site); err != nil {
			return err
		}
		p = FrontierPass{Number: prev.Number + 1, Start: start.UTC()}
		if _, err := pushItems(tx, site, &p, seeds); err != nil {
			return err
		}
		return writePass(tx, site, p)
	}, nil)
	if err != nil {
		return FrontierPass{}, false, fmt.Errorf("begin pass of %s: %w", site, err)
	}
	return p, resumed, nil
}

// FinishFrontierPass ends the site's running pass at end: the visited set
// and whatever is still queued are dropped, so the next pass visits
// everything again (with conditional requests).
func (cs *Store) FinishFrontierPass(ctx context.Context, site string, end time.Time) (FrontierPass, error) {
	if err := ctx.Err(); err != nil {
		return FrontierPass{}, err
	}
	var p FrontierPass
	err := cs.st.Update(func(tx *bolt.Tx) error {
		var err error
		var ok bool
		if p, ok, err = readPass(tx, site); err != nil {
			return err
		}
		if !ok || !p.Running() {
			return fmt.Errorf("no running pass: %w", store.ErrInvalid)
		}
		if err := resetFrontier(tx, site); err != nil {
			return err
		}
		p.End, p.QueuedPages, p.QueuedMedia, p.QueuedVideos = end.UTC(), 0, 0, 0
		return writePass(tx, site, p)
	}, nil)
	if err != nil {
		return FrontierPass{}, fmt.Errorf("finish pass of %s: %w", site, err)
	}
	return p, nil
}

// resetFrontier empties the site's visited set and queue.
func resetFrontier(tx *bolt.Tx, site string) error {
	sb, err := siteBucket(tx, site)
	if err != nil {
		return err
	}
	for _, name := range [][]byte{siteSeen, siteQueue} {
		if sb.Bucket(name) != nil {
			if err := sb.DeleteBucket(name); err != nil {
				return err
			}
		}
		if _, err := sb.CreateBucket(name); err != nil {
			return err
		}
	}
	return nil
}

// FrontierScan returns up to limit queued items of one kind whose Seq is
// greater than after, in queue order. It only reads: an item stays queued
// until it is done, so a crawler that dies with items in hand finds them
// queued again.
func (cs *Store) FrontierScan(site string, kind FrontierKind, after uint64, limit int) ([]FrontierItem, error) {
	var out []FrontierItem
	err := cs.st.View(func(tx *bolt.Tx) error {
		q, err := crawlSite(tx, site, siteQueue)
		if err != nil || q == nil {
			return err
		}
		c := q.Cursor()
		for k, v := c.Seek(queueKey(kind, after+1)); k != nil && k[0] == byte(kind) && len(out) < limit; k, v = c.Next() {
			var it FrontierItem
			if err := itemCodec.Decode(v, &it); err != nil {
				return fmt.Errorf("queue item %x: %w", k, err)
			}
			it.Kind, it.Seq = kind, binary.BigEndian.Uint64(k[1:])
			out = append(out, it)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan frontier of %s: %w", site, err)
	}
	return out, nil
}

// FrontierSeen reports whether an item (page or video URL, or media URL on a page)
// is queued in the site's running pass, or was visited in it.
func (cs *Store) FrontierSeen(site string, it FrontierItem) (queued, done bool, err error) {
	err = cs.st.View(func(tx *bolt.Tx) error {
		seen, err := crawlSite(tx, site, siteSeen)
		if err != nil || seen == nil {
			return err
		}
		v := seen.Get(it.seenKey())
		switch {
		case len(v) == 0:
		case v[0] == seenDone:
			done = true
		case len(v) >= 9:
			q, err := crawlSite(tx, site, siteQueue)
			if err != nil {
				return err
			}
			queued = q != nil && q.Get(queueKey(it.Kind, binary.BigEndian.Uint64(v[1:9]))) != nil
			done = !queued
		}
		return nil
	})
	return queued, done, err
}

// FrontierPagesDone calls fn with the URLs of the pages done (or marked
// visited) in the site's running pass, in key order, for copies of the
// visited set outside the database (natswork's bucket). It reads at most
// batch keys per transaction, so a large site does not hold one open.
func (cs *Store) FrontierPagesDone(ctx context.Context, site string, batch int, fn func(urls []string) error) error {
	from := []byte{byte(FrontierPage)}
	for from != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		var urls []string
		err := cs.st.View(func(tx *bolt.Tx) error {
			start := from
			from = nil
			seen, err := crawlSite(tx, site, siteSeen)
			if err != nil || seen == nil {
				return err
			}
			q, err := crawlSite(tx, site, siteQueue)
			if err != nil {
				return err
			}
			c := seen.Cursor()
			n := 0
			for k, v := c.Seek(start); k != nil && k[0] == byte(FrontierPage); k, v = c.Next() {
				if n == batch {
					from = append([]byte(nil), k...)
					break
				}
				n++
				done := len(v) > 0 && v[0] == seenDone ||
					len(v) >= 9 && (q == nil || q.Get(queueKey(FrontierPage, binary.BigEndian.Uint64(v[1:9]))) == nil)
				if done {
					urls = append(urls, string(k[1:]))
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("visited pages of %s: %w", site, err)
		}
		if len(urls) > 0 {
			if err := fn(urls); err != nil {
				return err
			}
		}
	}
	return nil
}

// FrontierMediaDone reports whether an item of the media URL (on any page)
// is done in the site's running pass: a media URL is counted once per
// pass, by its first item done, so a resumed pass does not count it again
// for its other pages.
func (cs *Store) FrontierMediaDone(site, u string) (done bool, err error) {
	err = cs.st.View(func(tx *bolt.Tx) error {
		done, err = mediaDone(tx, site, u)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("media %s in the frontier of %s: %w", u, site, err)
	}
	return done, nil
}

func mediaDone(tx *bolt.Tx, site, u string) (bool, error) {
	seen, err := crawlSite(tx, site, siteSeen)
	if err != nil || seen == nil {
		return false, err
	}
	q, err := crawlSite(tx, site, siteQueue)
	if err != nil {
		return false, err
	}
	prefix := append(append([]byte{byte(FrontierMedia)}, u...), 0)
	c := seen.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		switch {
		case len(v) > 0 && v[0] == seenDone:
			return true, nil
		case len(v) >= 9:
			if q == nil || q.Get(queueKey(FrontierMedia, binary.BigEndian.Uint64(v[1:9]))) == nil {
				return true, nil
			}
		}
	}
	return false, nil
}

// pushItems queues the items not yet seen in the pass. An item seen but
// still queued at a greater depth gets the smaller one, so a page first
// found deep and then near a seed is not cut short by max_depth.
func pushItems(tx *bolt.Tx, site string, p *FrontierPass, items []FrontierItem) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	seen, err := crawlSite(tx, site, siteSeen)
	if err != nil {
		return 0, err
	}
	q, err := crawlSite(tx, site, siteQueue)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, it := range items {
		if it.Kind != FrontierPage && it.Kind != FrontierMedia && it.Kind != FrontierVideo || it.URL == "" {
			return added, fmt.Errorf("frontier item %q of kind %v: %w", it.URL, it.Kind, store.ErrInvalid)
		}
		key := it.seenKey()
		if v := seen.Get(key); v != nil {
			if len(v) == 13 && v[0] == seenQueued && uint32(it.Depth) < binary.BigEndian.Uint32(v[9:]) {
				// Still waiting (not done)? Then let it go deeper.
				seq := binary.BigEndian.Uint64(v[1:9])
				if q.Get(queueKey(it.Kind, seq)) != nil {
					if err := putQueued(q, seen, key, it, seq); err != nil {
						return added, err
					}
				}
			}
			continue
		}
		seq, err := q.NextSequence()
		if err != nil {
			return added, err
		}
		if err := putQueued(q, seen, key, it, seq); err != nil {
			return added, err
		}
		added++
		p.count(it.Kind, 1)
	}
	return added, nil
}

func putQueued(q, seen *bolt.Bucket, key []byte, it FrontierItem, seq uint64) error {
	v, err := itemCodec.Encode(it)
	if err != nil {
		return err
	}
	if err := q.Put(queueKey(it.Kind, seq), v); err != nil {
		return err
	}
	sv := binary.BigEndian.AppendUint64([]byte{seenQueued}, seq)
	sv = binary.BigEndian.AppendUint32(sv, uint32(max(it.Depth, 0)))
	return seen.Put(key, sv)
}

// doneItems removes finished items from the queue: an item in the visited
// set whose queue entry is gone is done, so marking one done writes only
// the (sequential, hence cheap) queue. visitedOnly items were never queued;
// they are entered in the visited set as done.
// It returns how many queued items it removed.
func doneItems(tx *bolt.Tx, site string, p *FrontierPass, items []FrontierItem, visitedOnly bool) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	seen, err := crawlSite(tx, site, siteSeen)
	if err != nil {
		return 0, err
	}
	q, err := crawlSite(tx, site, siteQueue)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, it := range items {
		if visitedOnly {
			if err := seen.Put(it.seenKey(), []byte{seenDone}); err != nil {
				return removed, err
			}
			continue
		}
		qk := queueKey(it.Kind, it.Seq)
		if q.Get(qk) == nil {
			continue
		}
		if err := q.Delete(qk); err != nil {
			return removed, err
		}
		removed++
		p.count(it.Kind, -1)
	}
	return removed, nil
}

// CrawlWrite is what a crawler worker learnt, stored in one transaction
// (see ApplyCrawlWrites): frontier changes of the site's running pass and
// the records that make the next pass cheap.
type CrawlWrite struct {
	Site string
	// Pass is the pass the frontier changes belong to; they are dropped if
	// that pass is no longer running (a late write from a stopped pass).
	Pass uint64
	// Push queues newly found items; Done removes finished ones (by Seq) and
	// marks them visited; Visited marks URLs visited without queueing them
	// (the final URL of a redirected page).
	Push, Done, Visited []FrontierItem
	// Tally is what the Done items counted; it is added to the pass's
	// Tally in the same transaction, and only if Done removed an item from
	// the queue (an item done twice, by a late duplicate, counts once).
	// Video URLs in Videos are counted there too (Counts.Videos), each once
	// per pass: those without a record seen since the pass started.
	Tally PassTally
	// URLTally is what a Done media item's URL counted (fetched, matched or
	// failed once however many pages show it): added only for the first of
	// the URL's items done in the pass.
	URLTally PassTally
	Pages    []PageRecord
	Media    []MediaRecord
	Videos   []VideoRecord
	Hashes   []HashResult
}

func (w *CrawlWrite) empty() bool {
	return len(w.Push)+len(w.Done)+len(w.Visited)+len(w.Pages)+len(w.Media)+len(w.Videos)+len(w.Hashes) == 0
}

// ApplyCrawlWrites stores every write in one transaction, committed and
// fsynced before it returns: a crawler with many workers groups their writes
// so that one fsync serves them all.
func (cs *Store) ApplyCrawlWrites(ctx context.Context, ws []CrawlWrite) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := 0
	for i := range ws {
		if !ws[i].empty() {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	err := cs.st.Update(func(tx *bolt.Tx) error {
		passes := map[string]*FrontierPass{}
		for i := range ws {
			if err := applyCrawlWrite(tx, &ws[i], passes); err != nil {
				return fmt.Errorf("site %s: %w", ws[i].Site, err)
			}
		}
		for site, p := range passes {
			if err := writePass(tx, site, *p); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if err != nil {
		return fmt.Errorf("store crawl state: %w", err)
	}
	return nil
}

func applyCrawlWrite(tx *bolt.Tx, w *CrawlWrite, passes map[string]*FrontierPass) error {
	if len(w.Push)+len(w.Done)+len(w.Visited) > 0 {
		p, ok := passes[w.Site]
		if !ok {
			cur, found, err := readPass(tx, w.Site)
			if err != nil {
				return err
			}
			if found {
				p = &cur
				passes[w.Site] = p
			}
		}
		if p != nil && p.Running() && p.Number == w.Pass {
			if err := tallyDone(tx, w, p); err != nil {
				return err
			}
			if _, err := doneItems(tx, w.Site, p, w.Visited, true); err != nil {
				return err
			}
			if _, err := pushItems(tx, w.Site, p, w.Push); err != nil {
				return err
			}
		}
	}
	if err := putRecords(tx, w.Site, sitePages, pageCodec, w.Pages, func(r PageRecord) string { return r.URL }); err != nil {
		return err
	}
	if err := putRecords(tx, w.Site, siteMedia, mediaCodec, w.Media, func(r MediaRecord) string { return r.URL }); err != nil {
		return err
	}
	if err := putVideos(tx, w.Site, w.Videos); err != nil {
		return err
	}
	return putHashes(tx, w.Hashes)
}

// tallyDone marks w's Done items done and adds what they counted to the
// pass's Tally (see CrawlWrite.Tally).
func tallyDone(tx *bolt.Tx, w *CrawlWrite, p *FrontierPass) error {
	urlFirst := false
	if !w.URLTally.Zero() && len(w.Done) == 1 && w.Done[0].Kind == FrontierMedia {
		done, err := mediaDone(tx, w.Site, w.Done[0].URL)
		if err != nil {
			return err
		}
		urlFirst = !done
	}
	removed, err := doneItems(tx, w.Site, p, w.Done, false)
	if err != nil || removed == 0 {
		return err
	}
	p.Tally.Add(w.Tally)
	if urlFirst {
		p.Tally.Add(w.URLTally)
	}
	if len(w.Videos) == 0 {
		return nil
	}
	vb, err := crawlSite(tx, w.Site, siteVideos)
	if err != nil {
		return err
	}
	for _, r := range w.Videos {
		var prev VideoRecord
		if old := vb.Get([]byte(r.URL)); old != nil && videoCodec.Decode(old, &prev) == nil && !prev.LastSeen.Before(p.Start) {
			continue // found earlier in this pass
		}
		p.Tally.Videos++
	}
	return nil
}

func putRecords[T any](tx *bolt.Tx, site string, sub []byte, c *store.Codec, recs []T, key func(T) string) error {
	if len(recs) == 0 {
		return nil
	}
	b, err := crawlSite(tx, site, sub)
	if err != nil {
		return err
	}
	for _, r := range recs {
		k := key(r)
		if k == "" {
			return fmt.Errorf("%s record without URL: %w", sub, store.ErrInvalid)
		}
		v, err := c.Encode(r)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}
