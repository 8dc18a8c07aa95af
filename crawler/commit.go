package crawler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/database"
)

// maxCommitBatch bounds how many workers' writes share one transaction.
const maxCommitBatch = 512

// committer is group commit for one pass: every worker's crawl writes go
// through one goroutine that stores whatever has queued up since the last
// commit in a single bbolt transaction. A commit costs an fsync (about 2 ms
// on the development machine); one per item would cap a pass at a few
// hundred items a second and keep the CPUs idle, while one per batch costs
// each worker at most two commit times of latency and nothing in
// throughput. The goroutine is owned by the pass, which closes the
// committer when its workers are done.
//
// With every (the pass's Crawler.CommitEvery) set, a transaction starts no
// sooner than every after the one before it, gathering what arrives
// meanwhile: a coordinator with hundreds of items in flight then commits
// tens of items per transaction instead of a few, and each item costs it
// a fraction of a commit's writes and fsync. An item still returns only
// once durable; it waits at most every longer.
type committer struct {
	db    *database.DB
	log   *slog.Logger
	reqs  chan commitReq
	wg    sync.WaitGroup
	every time.Duration
	// after, when set, hears of the writes each transaction stored, once
	// it has committed (Crawler.Visited); it must not block.
	after func([]crawlstate.CrawlWrite)
}

type commitReq struct {
	w   crawlstate.CrawlWrite
	ack chan error // nil for writes posted without waiting
}

func newCommitter(db *database.DB, log *slog.Logger, every time.Duration, after func([]crawlstate.CrawlWrite)) *committer {
	c := &committer{db: db, log: log, reqs: make(chan commitReq, maxCommitBatch), after: after, every: every}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.loop()
	}()
	return c
}

// write stores w and returns once it is durable. If ctx ends first, write
// returns ctx's error; w may still be stored.
func (c *committer) write(ctx context.Context, w crawlstate.CrawlWrite) error {
	req := commitReq{w: w, ack: make(chan error, 1)}
	select {
	case c.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.ack:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// post queues w without waiting: for records whose loss in a crash only
// costs a later pass some work (validators, hash results).
func (c *committer) post(w crawlstate.CrawlWrite) {
	c.reqs <- commitReq{w: w}
}

// flush returns once everything posted before it is stored.
func (c *committer) flush(ctx context.Context) error {
	return c.write(ctx, crawlstate.CrawlWrite{})
}

// close stores what is queued and stops the goroutine. No write may follow.
func (c *committer) close() {
	close(c.reqs)
	c.wg.Wait()
}

func (c *committer) loop() {
	batch := make([]commitReq, 0, maxCommitBatch)
	ws := make([]crawlstate.CrawlWrite, 0, maxCommitBatch)
	var last time.Time // when the last transaction started
	var timer *time.Timer
	for first := range c.reqs {
		batch = append(batch[:0], first)
		// wait, while the spacing since the last transaction lasts,
		// gathers writes until it ends (nil: only what is queued now).
		var wait <-chan time.Time
		if d := c.every - time.Since(last); c.every > 0 && d > 0 {
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			wait = timer.C
		}
	drain:
		for len(batch) < maxCommitBatch {
			if wait == nil {
				select {
				case r, ok := <-c.reqs:
					if !ok {
						break drain
					}
					batch = append(batch, r)
				default:
					break drain
				}
				continue
			}
			select {
			case r, ok := <-c.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			case <-wait:
				wait = nil
			}
		}
		if timer != nil && wait != nil {
			timer.Stop()
		}
		last = time.Now()
		ws = ws[:0]
		for _, r := range batch {
			ws = append(ws, r.w)
		}
		// Writes are short and must land even while the pass is being
		// cancelled: that is when in-flight items are put back.
		err := c.db.Crawl.ApplyCrawlWrites(context.Background(), ws)
		if err != nil && len(batch) > 1 {
			// One bad write must not fail the others: store them one by one.
			for _, r := range batch {
				one := []crawlstate.CrawlWrite{r.w}
				err := c.db.Crawl.ApplyCrawlWrites(context.Background(), one)
				if err == nil && c.after != nil {
					c.after(one)
				}
				c.ack(r, err)
			}
			continue
		}
		if err == nil && c.after != nil {
			c.after(ws)
		}
		for _, r := range batch {
			c.ack(r, err)
		}
		clear(batch)
		clear(ws)
	}
}

func (c *committer) ack(r commitReq, err error) {
	if r.ack != nil {
		r.ack <- err
		return
	}
	if err != nil {
		c.log.Error("storing crawl records failed", "err", err)
	}
}
