package natswork

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/work"
)

// The visited bucket: a JetStream key-value bucket holding, for each page
// a running pass has done, the pass's number, under
// v.<site key>.<URL key>. The coordinator writes a page's mark after the
// bbolt transaction that marks it done has committed (crawler.VisitedPages)
// and, when a pass resumes, every page it has done; workers watch the
// marks of the sites they crawl and leave links to pages already done in
// the job's pass out of the links they send back (work.PageResult's
// VisitedLinks), which spares the coordinator turning them into frontier
// items its frontier would skip.
//
// The bucket is a cache. Memory storage, history 1, a TTL and a byte
// bound (oldest marks go first); a starting coordinator deletes it and
// rebuilds it from bbolt, and workers drop their copy when the
// coordinator's epoch changes. A mark is only ever written for a page
// bbolt has done in that pass, so a lost, partial or deleted bucket makes
// workers send more links — never fewer than the frontier needs.
const visitedBucket = "HW_VISITED"

// Defaults of VisitedConfig.
const (
	DefaultVisitedMaxBytes = 64 << 20
	DefaultVisitedTTL      = 7 * 24 * time.Hour
)

// VisitedConfig bounds the visited bucket.
type VisitedConfig struct {
	// Off runs without the bucket: workers send back every link.
	Off bool
	// MaxBytes bounds the bucket (about 100 bytes a mark); zero means
	// DefaultVisitedMaxBytes.
	MaxBytes int64
	// TTL is how long a mark is kept; zero means DefaultVisitedTTL.
	TTL time.Duration
}

// siteKey and urlKey make a mark's key from a site name and a page URL
// (KV keys allow few characters, and URLs are long).
func siteKey(site string) string {
	sum := sha256.Sum256([]byte(site))
	return hex.EncodeToString(sum[:8])
}

type urlKey [16]byte

func keyOf(u string) urlKey {
	sum := sha256.Sum256([]byte(u))
	return urlKey(sum[:16])
}

func (k urlKey) String() string { return base64.RawURLEncoding.EncodeToString(k[:]) }

func markKey(site, u string) string { return "v." + siteKey(site) + "." + keyOf(u).String() }

// visitedWriter is the coordinator's side: crawler.VisitedPages over the
// bucket. Marks are queued and published asynchronously; a full queue or
// a failed publish drops marks (counted), never the pass's progress.
type visitedWriter struct {
	js  jetstream.JetStream
	cfg VisitedConfig
	log *slog.Logger
	ch  chan mark

	// missing is set when a publish found no bucket (it was deleted): the
	// writer creates it again, at most every few seconds.
	missing   atomic.Bool
	published atomic.Int64
	dropped   atomic.Int64
	failed    atomic.Int64
}

type mark struct {
	key  string
	pass uint64
}

// visitedQueue bounds the marks waiting to be published.
const visitedQueue = 1 << 16

// openVisited deletes the bucket a previous coordinator left and creates
// it empty (or only deletes it, with cfg.Off), so that no mark outlives
// the bbolt state it was written from.
func openVisited(ctx context.Context, nc *nats.Conn, cfg VisitedConfig, log *slog.Logger) (*visitedWriter, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultVisitedMaxBytes
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultVisitedTTL
	}
	v := &visitedWriter{cfg: cfg, log: log, ch: make(chan mark, visitedQueue)}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, _ *nats.Msg, err error) {
		v.failed.Add(1)
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrStreamNotFound) {
			v.missing.Store(true)
		}
	}), jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	v.js = js
	if err := js.DeleteKeyValue(ctx, visitedBucket); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("delete the visited bucket: %w", err)
	}
	if cfg.Off {
		return nil, nil
	}
	if err := v.create(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *visitedWriter) create(ctx context.Context) error {
	if _, err := v.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: visitedBucket, Description: "hashwatch: pages done in running crawl passes (a cache of the coordinator's bbolt frontier)",
		History: 1, TTL: v.cfg.TTL, MaxBytes: v.cfg.MaxBytes, Storage: jetstream.MemoryStorage,
	}); err != nil {
		return fmt.Errorf("visited bucket: %w", err)
	}
	// A cache: when full, the oldest marks go (the default refuses new
	// ones).
	s, err := v.js.Stream(ctx, "KV_"+visitedBucket)
	if err != nil {
		return fmt.Errorf("visited bucket: %w", err)
	}
	sc := s.CachedInfo().Config
	if sc.Discard != jetstream.DiscardOld {
		sc.Discard = jetstream.DiscardOld
		if _, err := v.js.UpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("visited bucket: %w", err)
		}
	}
	return nil
}

// MarkVisited implements crawler.VisitedPages.
func (v *visitedWriter) MarkVisited(site string, pass uint64, urls []string) {
	for _, u := range urls {
		select {
		case v.ch <- mark{key: markKey(site, u), pass: pass}:
		default:
			v.dropped.Add(1)
		}
	}
}

// Rebuild implements crawler.VisitedPages: it waits for room in the
// queue, so that a large resumed pass's marks are not dropped.
func (v *visitedWriter) Rebuild(ctx context.Context, site string, pass uint64, urls []string) error {
	for _, u := range urls {
		select {
		case v.ch <- mark{key: markKey(site, u), pass: pass}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// run publishes queued marks until ctx ends.
func (v *visitedWriter) run(ctx context.Context) {
	var lastCreate time.Time
	for {
		var m mark
		select {
		case <-ctx.Done():
			return
		case m = <-v.ch:
		}
		if v.missing.Load() && time.Since(lastCreate) > 5*time.Second {
			lastCreate = time.Now()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := v.create(cctx); err != nil {
				v.log.Debug("creating the visited bucket again failed", "err", err)
			} else {
				v.missing.Store(false)
				v.log.Info("the visited bucket was gone; created it again (workers send more links meanwhile)")
			}
			cancel()
		}
		if _, err := v.js.PublishAsync("$KV."+visitedBucket+"."+m.key, strconv.AppendUint(nil, m.pass, 10)); err != nil {
			v.failed.Add(1)
			continue
		}
		v.published.Add(1)
	}
}

// visitedCache is a worker's side: per site, a copy of the bucket's marks
// kept by a watch, reset whenever the coordinator's epoch changes.
type visitedCache struct {
	nc  *nats.Conn
	log *slog.Logger
	// max bounds the marks kept per site; beyond it, new marks are
	// ignored (the worker sends those links back).
	max int

	mu    sync.Mutex
	sites map[string]*siteMarks
}

// visitedCacheMax bounds a worker's marks per site (about 40 bytes each).
const visitedCacheMax = 2_000_000

type siteMarks struct {
	epoch   string
	stop    context.CancelFunc
	retryAt time.Time
	// watching is false until a watch runs (the bucket may be missing).
	watching atomic.Bool

	mu    sync.RWMutex
	marks map[urlKey]uint64
}

func newVisitedCache(nc *nats.Conn, log *slog.Logger) *visitedCache {
	return &visitedCache{nc: nc, log: log, max: visitedCacheMax, sites: map[string]*siteMarks{}}
}

// close stops every watch.
func (vc *visitedCache) close() {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	for k, sm := range vc.sites {
		sm.stop()
		delete(vc.sites, k)
	}
}

// forSite returns the marks of site under epoch, (re)starting the watch
// when the epoch changed or the last watch ended.
func (vc *visitedCache) forSite(ctx context.Context, epoch, site string) *siteMarks {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	sk := siteKey(site)
	sm := vc.sites[sk]
	if sm != nil && sm.epoch == epoch && (sm.watching.Load() || time.Now().Before(sm.retryAt)) {
		return sm
	}
	if sm == nil || sm.epoch != epoch {
		if sm != nil {
			sm.stop()
		}
		sm = &siteMarks{epoch: epoch, marks: map[urlKey]uint64{}}
		vc.sites[sk] = sm
	} else {
		sm.stop()
	}
	sm.retryAt = time.Now().Add(5 * time.Second)
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	sm.stop = stop
	if err := vc.watch(wctx, sk, sm); err != nil {
		stop()
		vc.log.Debug("no visited bucket to watch; sending every link back", "err", err)
	}
	return sm
}

func (vc *visitedCache) watch(ctx context.Context, sk string, sm *siteMarks) error {
	js, err := jetstream.New(vc.nc)
	if err != nil {
		return err
	}
	kv, err := js.KeyValue(ctx, visitedBucket)
	if err != nil {
		return err
	}
	w, err := kv.Watch(ctx, "v."+sk+".*")
	if err != nil {
		return err
	}
	sm.watching.Store(true)
	go func() {
		defer sm.watching.Store(false)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					continue // the marks stored so far are all in
				}
				vc.apply(sm, e)
			}
		}
	}()
	return nil
}

func (vc *visitedCache) apply(sm *siteMarks, e jetstream.KeyValueEntry) {
	k := e.Key()
	raw, err := base64.RawURLEncoding.DecodeString(k[strings.LastIndexByte(k, '.')+1:])
	if err != nil || len(raw) != len(urlKey{}) {
		return
	}
	key := urlKey(raw)
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(sm.marks, key)
		return
	}
	pass, err := strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return
	}
	if _, ok := sm.marks[key]; ok || len(sm.marks) < vc.max {
		sm.marks[key] = pass
	}
}

// filter moves the links of a page result that the marks say are pages
// done in the job's pass to VisitedLinks. Links to media and videos stay:
// the frontier keeps those per page.
func (vc *visitedCache) filter(ctx context.Context, epoch string, j *work.Job, res *crawler.Result) {
	pr := res.Page
	if pr == nil || len(pr.Links) == 0 {
		return
	}
	sm := vc.forSite(ctx, epoch, j.Site)
	sm.mu.RLock()
	defer sm.mu.RUnlock()
	if len(sm.marks) == 0 {
		return
	}
	keep := pr.Links[:0:0]
	for _, l := range pr.Links {
		if sm.marks[keyOf(l)] == j.Pass {
			if u, err := url.Parse(l); err == nil && !work.IsMediaURL(u) && !work.IsVideoURL(u) {
				pr.VisitedLinks = append(pr.VisitedLinks, l)
				continue
			}
		}
		keep = append(keep, l)
	}
	pr.Links = keep
}
