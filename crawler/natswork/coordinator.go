package natswork

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/index"
)

// Defaults of CoordinatorConfig.
const (
	DefaultAckWait   = 2 * time.Minute
	DefaultParkAfter = 4
)

// CoordinatorConfig configures the coordinator's side of the work queue.
type CoordinatorConfig struct {
	Conn    *nats.Conn
	Crawler *crawler.Crawler
	// AckWait is how long a job may stay unacknowledged before JetStream
	// redelivers it to another worker (a worker extends it while it
	// works). Zero means DefaultAckWait.
	AckWait time.Duration
	// ParkAfter is how many deliveries without a result make a job
	// poison: the next delivery parks it. Zero means DefaultParkAfter.
	ParkAfter int
	// Visited bounds (or turns off) the visited bucket (visited.go).
	Visited VisitedConfig
	// InMemory keeps the work and result streams in memory rather than
	// in files: right when the NATS server lives and dies with this
	// process (Embedded), since a starting coordinator purges both streams
	// anyway, and it spares the coordinator a file write and delete per
	// job and result (about a tenth of its CPU). A NATS cluster of your
	// own restarts on its own, and its streams stay in files, so that
	// jobs survive it.
	InMemory bool
	Logger   *slog.Logger

	// noLeases answers every ask for a lease of slots with a turn, as a
	// coordinator of protocol 5 does (test hook).
	noLeases bool
	// noAsks leaves hw.gate.ask unanswered, as a coordinator that
	// predates it does (test hook).
	noAsks bool
}

// Coordinator dispatches jobs to workers over JetStream and answers their
// Central requests. Create it with NewCoordinator; Dispatch is
// crawler.Crawler.Dispatch.
type Coordinator struct {
	cfg   CoordinatorConfig
	js    jetstream.JetStream
	log   *slog.Logger
	epoch string
	next  atomic.Uint64

	mu      sync.Mutex
	waiters map[uint64]chan crawler.Result
	workers map[string]*WorkerStats

	gate leases

	duplicates atomic.Int64
	parked     atomic.Int64
	stale      atomic.Int64
	// batches counts the batches of results workers sent (protocol 5),
	// batched the results in them.
	batches, batched atomic.Int64
	// turnsGranted counts the turns granted at hosts, leasesGranted the
	// leases of slots (protocol 6) and slotsLeased their slots.
	turnsGranted, leasesGranted, slotsLeased atomic.Int64

	// visited writes the visited bucket (nil: off); links and
	// visitedLinks count the links of page results and those workers
	// left out as already visited.
	visited             *visitedWriter
	links, visitedLinks atomic.Int64

	// idle hands a worker's message to a resident handler goroutine
	// waiting for one (handle).
	idle chan func()

	subs []*nats.Subscription
	wg   sync.WaitGroup
	// runCtx ends when Close is called (stop).
	runCtx context.Context
	stop   context.CancelFunc
}

// WorkerStats is what the coordinator knows of one worker: results it
// returned and when it was last heard of.
type WorkerStats struct {
	Name      string    `json:"name"`
	Results   int64     `json:"results"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// NewCoordinator sets up the streams and consumers (purging jobs and
// results a previous coordinator process left: the bbolt frontier still
// holds every item they were for) and starts consuming results and
// answering workers.
func NewCoordinator(ctx context.Context, cfg CoordinatorConfig) (*Coordinator, error) {
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.ParkAfter <= 0 {
		cfg.ParkAfter = DefaultParkAfter
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	c := &Coordinator{cfg: cfg, js: js, log: log, epoch: strconv.FormatInt(time.Now().UnixNano(), 36),
		waiters: map[uint64]chan crawler.Result{}, workers: map[string]*WorkerStats{}}
	storage := jetstream.FileStorage
	if cfg.InMemory {
		storage = jetstream.MemoryStorage
	}
	for _, sc := range []jetstream.StreamConfig{
		{Name: workStream, Subjects: []string{workSubjects}, Retention: jetstream.WorkQueuePolicy, Storage: storage},
		{Name: resultStream, Subjects: []string{resultSubjects}, Retention: jetstream.WorkQueuePolicy, Storage: storage},
	} {
		if old, err := js.Stream(ctx, sc.Name); err == nil && old.CachedInfo().Config.Storage != sc.Storage {
			// A stream's storage cannot change; its jobs are purged
			// below anyway.
			if err := js.DeleteStream(ctx, sc.Name); err != nil {
				return nil, fmt.Errorf("stream %s: %w", sc.Name, err)
			}
		}
		s, err := js.CreateOrUpdateStream(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", sc.Name, err)
		}
		if err := s.Purge(ctx); err != nil {
			return nil, fmt.Errorf("purge stream %s: %w", sc.Name, err)
		}
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, workStream, jetstream.ConsumerConfig{
		Durable: workConsumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: cfg.AckWait,
		MaxDeliver: cfg.ParkAfter + 1, MaxAckPending: 100_000,
	}); err != nil {
		return nil, fmt.Errorf("consumer %s: %w", workConsumer, err)
	}
	results, err := js.CreateOrUpdateConsumer(ctx, resultStream, jetstream.ConsumerConfig{
		Durable: resultConsumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxAckPending: 100_000,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", resultConsumer, err)
	}
	if c.visited, err = openVisited(ctx, cfg.Conn, cfg.Visited, log); err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	c.runCtx, c.stop = runCtx, stop
	if v := c.visited; v != nil {
		c.wg.Go(func() { v.run(runCtx) })
	}
	c.wg.Go(func() { c.gate.sweep(runCtx, c.requesterGone) })
	c.idle = make(chan func())
	for range residentHandlers {
		c.wg.Go(func() {
			for {
				select {
				case f := <-c.idle:
					f()
				case <-runCtx.Done():
					return
				}
			}
		})
	}
	cc, err := results.Consume(c.onResult)
	if err != nil {
		stop()
		return nil, fmt.Errorf("consume results: %w", err)
	}
	c.wg.Go(func() {
		<-runCtx.Done()
		cc.Stop()
	})
	// Lease IDs of this process start from its start time (gate.go).
	c.gate.next = uint64(time.Now().UnixNano())
	// hw.gate.ask before hw.gate.acquire: a worker that finds no
	// responder on the first asks on the second, as of an older
	// coordinator.
	for _, s := range []struct {
		subj string
		h    nats.MsgHandler
	}{{centralLookup, c.onLookup}, {centralMatch, c.onMatch}, {centralResult, c.onResultRequest},
		{gateAsk, c.onGateAsk}, {gateAcquire, c.onGateAcquire}, {gateStarted, c.onGateStarted}, {gateRelease, c.onGateRelease}} {
		subj, h := s.subj, s.h
		if subj == gateAsk && cfg.noAsks {
			continue
		}
		sub, err := cfg.Conn.QueueSubscribe(subj, "coordinator", func(m *nats.Msg) {
			// Matching costs CPU; one request must not hold up the others.
			c.handle(func() { h(m) })
		})
		if err != nil {
			stop()
			return nil, fmt.Errorf("subscribe %s: %w", subj, err)
		}
		c.subs = append(c.subs, sub)
	}
	adv, err := cfg.Conn.Subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES."+workStream+"."+workConsumer, func(m *nats.Msg) {
		c.wg.Go(func() { c.onMaxDeliveries(runCtx, m) })
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("subscribe max-deliveries advisories: %w", err)
	}
	c.subs = append(c.subs, adv)
	return c, nil
}

// residentHandlers is how many goroutines wait for workers' messages
// (handle): enough for the requests a busy coordinator answers at once.
const residentHandlers = 16

// handle runs f, a worker's message's handler, on a resident goroutine,
// or on a goroutine of its own when all of them are busy (a request for a
// turn waits for it; a match may wait for another of the same bytes). A
// resident goroutine keeps the stack that matching and storing grew: a
// new goroutine per message spent about a twentieth of the coordinator's
// CPU growing its stack.
func (c *Coordinator) handle(f func()) {
	select {
	case c.idle <- f:
	default:
		c.wg.Go(f)
	}
}

// Close stops consuming and answering; dispatches still waiting return
// cancelled when their contexts end.
func (c *Coordinator) Close() {
	for _, s := range c.subs {
		_ = s.Unsubscribe()
	}
	c.stop()
	c.wg.Wait()
	if v := c.visited; v != nil {
		c.log.Info("visited bucket", "marks_published", v.published.Load(), "marks_dropped", v.dropped.Load(), "marks_failed", v.failed.Load(),
			"links", c.links.Load(), "links_left_out_as_visited", c.visitedLinks.Load())
	}
	// make bench-scale reads this line.
	c.log.Info("result batches", "batches", c.batches.Load(), "results", c.batched.Load())
	c.log.Info("gate", "turns", c.turnsGranted.Load(), "leases", c.leasesGranted.Load(), "slots_leased", c.slotsLeased.Load())
}

// VisitedPages is the visited bucket's writer for crawler.Crawler.Visited,
// nil when the bucket is off.
func (c *Coordinator) VisitedPages() crawler.VisitedPages {
	if c.visited == nil {
		return nil
	}
	return c.visited
}

// Dispatch publishes a job for the workers and waits for its result, or
// for ctx to end (the result then says Cancelled and the item stays
// queued in the frontier). A publish that fails (the connection is down)
// is retried until it succeeds or ctx ends.
func (c *Coordinator) Dispatch(ctx context.Context, j *work.Job) crawler.Result {
	key := c.next.Add(1)
	ch := make(chan crawler.Result, 1)
	c.mu.Lock()
	c.waiters[key] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, key)
		c.mu.Unlock()
	}()
	cancelled := crawler.Result{Site: j.Site, Pass: j.Pass, Item: j.Item, Cancelled: true}
	data, err := json.Marshal(jobMsg{Epoch: c.epoch, Key: key, Job: j, Proto: Protocol})
	if err != nil {
		c.log.Error("encoding a job failed", "url", j.Item.URL, "err", err)
		return cancelled
	}
	subject := "hw.work." + j.Item.Kind.String()
	for {
		_, err := c.js.Publish(ctx, subject, data)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return cancelled
		}
		c.log.Warn("publishing a crawl job failed; retrying", "url", j.Item.URL, "err", err)
		select {
		case <-ctx.Done():
			return cancelled
		case <-time.After(time.Second):
		}
	}
	select {
	case res := <-ch:
		return res
	case <-ctx.Done():
		return cancelled
	}
}

// deliver hands a result to its dispatch; false when none waits for it (a
// duplicate, or the dispatch gave up).
func (c *Coordinator) deliver(key uint64, res crawler.Result) bool {
	c.mu.Lock()
	ch, ok := c.waiters[key]
	if ok {
		delete(c.waiters, key)
	}
	c.mu.Unlock()
	if ok {
		ch <- res
	}
	return ok
}

// onResult takes a result from the result stream (workers of protocols 1
// and 2).
func (c *Coordinator) onResult(m jetstream.Msg) {
	var rm resultMsg
	if err := decodeResult(m.Data(), &rm); err != nil {
		c.log.Error("dropping an undecodable crawl result", "err", err)
		_ = m.Term()
		return
	}
	c.take(&rm)
	// Acked once handed over, before the pass commits it: should this
	// process die before the commit, the item is still queued in bbolt and
	// is dispatched again by the next process, which purges this stream on
	// start, so an unacked result would be dropped all the same (package
	// documentation; TestACoordinatorKilledBetweenHandOverAndCommitLosesNothing).
	_ = m.Ack()
}

// onResultRequest takes the results a worker of protocol 3 or later sends
// directly (hw.central.result): one, or from protocol 5 a batch of them
// (batch.go). It answers once every result is handed over, with nothing,
// or with why the request cannot be read. The worker acks each job only
// then, so a result lost on the way is the job's redelivery, as a result
// never published is.
func (c *Coordinator) onResultRequest(m *nats.Msg) {
	one := [][]byte{m.Data}
	if len(m.Data) > 0 && m.Data[0] == resultBatchV5 {
		var err error
		if one, err = splitResultBatch(m.Data); err != nil {
			c.log.Error("dropping an undecodable batch of crawl results", "err", err)
			_ = m.Respond([]byte(err.Error()))
			return
		}
		c.batches.Add(1)
		c.batched.Add(int64(len(one)))
	}
	var failed error
	for _, data := range one {
		var rm resultMsg
		if err := decodeResult(data, &rm); err != nil {
			// The others of a batch are taken all the same: the worker
			// acks them all once answered.
			c.log.Error("dropping an undecodable crawl result", "err", err)
			failed = errors.Join(failed, err)
			continue
		}
		c.take(&rm)
	}
	var reply []byte
	if failed != nil {
		reply = []byte(failed.Error())
	}
	if err := m.Respond(reply); err != nil {
		c.log.Warn("replying to a worker failed", "err", err)
	}
}

// take hands a decoded result to its dispatch, dropping it when stale (an
// earlier coordinator process dispatched it) or a duplicate.
func (c *Coordinator) take(rm *resultMsg) {
	if rm.Epoch != c.epoch {
		c.stale.Add(1)
		return
	}
	c.seen(rm.Worker)
	if pr := rm.Result.Page; pr != nil {
		c.links.Add(int64(len(pr.Links) + len(pr.VisitedLinks)))
		c.visitedLinks.Add(int64(len(pr.VisitedLinks)))
	}
	if rm.Result.Parked {
		c.parked.Add(1)
	}
	if !c.deliver(rm.Key, rm.Result) {
		// A second result for one dispatch: its job was redelivered after
		// a worker published and died before acking. The first result is
		// (being) committed; this one must commit nothing.
		c.duplicates.Add(1)
		c.log.Debug("duplicate crawl result dropped", "url", rm.Result.Item.URL, "worker", rm.Worker)
	}
}

func (c *Coordinator) seen(worker string) {
	if worker == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.workers[worker]
	if w == nil {
		w = &WorkerStats{Name: worker, FirstSeen: time.Now().UTC()}
		c.workers[worker] = w
	}
	w.Results++
	w.LastSeen = time.Now().UTC()
}

// onMaxDeliveries parks a job JetStream stopped delivering (MaxDeliver
// reached without even the parking delivery producing a result).
func (c *Coordinator) onMaxDeliveries(ctx context.Context, m *nats.Msg) {
	var adv struct {
		StreamSeq  uint64 `json:"stream_seq"`
		Deliveries uint64 `json:"deliveries"`
	}
	if err := json.Unmarshal(m.Data, &adv); err != nil {
		return
	}
	s, err := c.js.Stream(ctx, workStream)
	if err != nil {
		return
	}
	raw, err := s.GetMsg(ctx, adv.StreamSeq)
	if err != nil {
		return
	}
	var jm jobMsg
	if err := json.Unmarshal(raw.Data, &jm); err == nil && jm.Epoch == c.epoch && jm.Job != nil {
		res := crawler.Result{Site: jm.Job.Site, Pass: jm.Job.Pass, Item: jm.Job.Item, Parked: true,
			ParkReason: fmt.Sprintf("delivered %d times to crawl workers without a result", adv.Deliveries)}
		if c.deliver(jm.Key, res) {
			c.parked.Add(1)
		}
	}
	_ = s.DeleteMsg(ctx, adv.StreamSeq)
}

func (c *Coordinator) onLookup(m *nats.Msg) {
	var req work.ResolveRequest
	var rep lookupReply
	if err := decodeLookup(m.Data, &req); err != nil {
		rep.Err = err.Error()
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		hr, ok, err := c.cfg.Crawler.Lookup(ctx, req)
		rep.Hash, rep.OK = hr, ok
		if err != nil {
			rep.Err, rep.Unavailable = err.Error(), errors.Is(err, work.ErrCentralUnavailable)
		}
	}
	c.reply(m, rep)
}

func (c *Coordinator) onMatch(m *nats.Msg) {
	var req matchRequest
	var rep matchReply
	if err := decodeMatchRequest(m.Data, &req); err != nil {
		rep.Err = err.Error()
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		hr, want, err := c.cfg.Crawler.Match(ctx, req.Req, req.Fingerprint, req.Failure, time.Duration(req.TookNanos), workerCorners(&req))
		rep.Hash, rep.WantPreview = hr, want
		if err != nil {
			rep.Err, rep.Unavailable = err.Error(), errors.Is(err, work.ErrCentralUnavailable)
		}
		if errors.Is(err, index.ErrNeedFeatures) && c.cfg.Crawler.Rule.Verify != nil {
			cfg := c.cfg.Crawler.Rule.Verify.Config
			rep.NeedFeatures, rep.Unavailable = &cfg, true
		}
	}
	c.reply(m, rep)
}

// workerCorners is what a worker's match request says of the query's
// corner set, as the crawler asks it (crawler.Crawler.Match): a set it
// carries is in its fingerprint already; a protocol 4 worker without one
// is asked for it (index.ErrNeedFeatures); one that could not make it
// says why; an older worker cannot send one (nil: the match is left
// unchecked).
func workerCorners(req *matchRequest) work.FeaturesFunc {
	switch {
	case req.FeaturesErr != "":
		msg := req.FeaturesErr
		return func(context.Context, features.Config) (*features.Set, error) {
			return nil, fmt.Errorf("worker: %s", msg)
		}
	case req.CanSendFeatures:
		return func(context.Context, features.Config) (*features.Set, error) {
			return nil, index.ErrNeedFeatures
		}
	}
	return nil
}

func (c *Coordinator) reply(m *nats.Msg, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		c.log.Error("encoding a reply to a worker failed", "err", err)
		return
	}
	if err := m.Respond(data); err != nil {
		c.log.Warn("replying to a worker failed", "err", err)
	}
}

// QueueStats is the work queue's state, for /metrics and sites --json.
type QueueStats struct {
	// Depth counts jobs waiting for a worker; InFlight jobs a worker holds
	// unacknowledged; Redelivered jobs delivered more than once.
	Depth       uint64 `json:"depth"`
	InFlight    int    `json:"in_flight"`
	Redelivered int    `json:"redelivered"`
	// Waiting counts dispatches waiting for their result.
	Waiting    int   `json:"waiting"`
	Parked     int64 `json:"parked"`
	Duplicates int64 `json:"duplicate_results"`
	// Workers lists every worker heard of since this coordinator started,
	// by name.
	Workers []WorkerStats `json:"workers"`
}

// Status is Stats as a site's status keeps it (crawler.Crawler.QueueStatus).
func (c *Coordinator) Status(ctx context.Context) (crawlstate.QueueStatus, error) {
	qs, err := c.Stats(ctx)
	if err != nil {
		return crawlstate.QueueStatus{}, err
	}
	st := crawlstate.QueueStatus{Depth: qs.Depth, InFlight: qs.InFlight, Redelivered: qs.Redelivered,
		DuplicateResults: qs.Duplicates, Workers: []crawlstate.WorkerStatus{}, At: time.Now().UTC()}
	for _, w := range qs.Workers {
		ws := crawlstate.WorkerStatus{Name: w.Name, Results: w.Results, FirstSeen: w.FirstSeen, LastSeen: w.LastSeen}
		if d := w.LastSeen.Sub(w.FirstSeen).Seconds(); d > 0 {
			ws.PerSecond = float64(w.Results-1) / d
		}
		st.Workers = append(st.Workers, ws)
	}
	return st, nil
}

// Stats reads the queue's state.
func (c *Coordinator) Stats(ctx context.Context) (QueueStats, error) {
	var qs QueueStats
	cons, err := c.js.Consumer(ctx, workStream, workConsumer)
	if err != nil {
		return qs, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return qs, err
	}
	qs.Depth, qs.InFlight, qs.Redelivered = info.NumPending, info.NumAckPending, info.NumRedelivered
	qs.Parked, qs.Duplicates = c.parked.Load(), c.duplicates.Load()
	c.mu.Lock()
	qs.Waiting = len(c.waiters)
	for _, w := range c.workers {
		qs.Workers = append(qs.Workers, *w)
	}
	c.mu.Unlock()
	sort.Slice(qs.Workers, func(i, j int) bool { return qs.Workers[i].Name < qs.Workers[j].Name })
	return qs, nil
}
