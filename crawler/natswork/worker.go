package natswork

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/hashing/features"
)

// ConnectConfig says how to reach a NATS server: URL (nats:// or tls://),
// credentials (a JWT .creds file, or an nkey seed file such as serve's
// worker.creds) and, for TLS, how to trust the server's certificate: the
// CA that signed it, or its SHA-256 fingerprint (Pin), or both.
type ConnectConfig struct {
	URL   string
	Creds string
	CA    string
	// Pin is the SHA-256 fingerprint of the server's certificate (as serve
	// prints it for its self-signed one); the connection is refused when
	// the server shows another.
	Pin string
	// Insecure allows plain nats:// to a server off loopback (behind a TLS
	// tunnel of your own); without it Connect refuses (ErrPlaintext).
	Insecure bool
	Name     string
	// Logger, when set, hears of disconnections and reconnections.
	Logger *slog.Logger
}

// Connect opens a connection that retries its first connect and
// reconnects forever, so a worker waits through a coordinator restart. A
// server whose certificate cannot be trusted is the exception: retrying
// would not change it, so Connect fails at once with ErrServerCertificate.
func Connect(cfg ConnectConfig) (*nats.Conn, error) {
	if err := checkPlaintext(cfg); err != nil {
		return nil, err
	}
	opts := []nats.Option{nats.Name(cfg.Name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
	if cfg.Creds != "" {
		data, err := os.ReadFile(cfg.Creds)
		if err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
		if strings.Contains(string(data), "BEGIN NATS USER JWT") {
			opts = append(opts, nats.UserCredentials(cfg.Creds))
		} else {
			o, err := nats.NkeyOptionFromSeed(cfg.Creds)
			if err != nil {
				return nil, fmt.Errorf("credentials %s: %w", cfg.Creds, err)
			}
			opts = append(opts, o)
		}
	}
	tc, err := clientTLS(cfg.CA, cfg.Pin)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, nats.Secure(tc))
	}
	if log := cfg.Logger; log != nil {
		opts = append(opts,
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("NATS connection lost; reconnecting", "err", err) }),
			nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS reconnected", "url", nc.ConnectedUrlRedacted()) }))
	}
	// One plain attempt first: a certificate the worker cannot trust is
	// reported now, clearly, instead of being retried in the background.
	nc, err := nats.Connect(cfg.URL, opts...)
	if err == nil {
		return nc, nil
	}
	if certificateError(err) {
		return nil, fmt.Errorf("connect to NATS %s: %w: %w (check --nats-ca or --nats-pin against the certificate serve printed)", cfg.URL, ErrServerCertificate, err)
	}
	nc, err = nats.Connect(cfg.URL, append(opts, nats.RetryOnFailedConnect(true))...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS %s: %w", cfg.URL, err)
	}
	return nc, nil
}

// WorkerConfig configures RunWorker.
type WorkerConfig struct {
	Conn *nats.Conn
	// Name identifies the worker in the coordinator's statistics.
	Name string
	// Parallel is how many jobs the worker processes at once.
	Parallel int
	Worker   *crawler.Worker
	// ParkAfter must match the coordinator's; zero means DefaultParkAfter.
	ParkAfter int
	// MaxJobTime bounds one job's processing; zero means 15 minutes.
	MaxJobTime time.Duration
	Logger     *slog.Logger

	// Test hooks: dupResults publishes every result twice (a worker
	// killed between publishing and acking, its job redelivered); dies
	// makes the worker drop a job without result or ack, as a worker
	// killed by it would.
	dupResults bool
	dies       func(*work.Job) bool
	// protocol1 makes the worker speak protocol 1 whatever its jobs
	// say, as a worker built before protocol 2 does; protocol speaks
	// that protocol when lower than the job's (0: the job's).
	protocol1 bool
	protocol  int
	// unackedAfterResult leaves a job unacked once the coordinator has
	// answered for its result, as a worker killed between handing over a
	// batch of results and acking all their jobs does; delivery counts
	// the job's deliveries.
	unackedAfterResult func(j *work.Job, delivery uint64) bool
	// sender, when set, batches the results (set by RunWorker).
	sender *resultSender
}

// RunWorker takes jobs from the work stream until ctx ends, Parallel at a
// time: it processes each (crawler.Worker), hands the result to the
// coordinator in the form of the job's protocol — in a batch with others
// from protocol 5 (batch.go), alone from 3, through the result stream
// before — waits for the coordinator's answer (or the stream's), then
// acks the job. While the coordinator is away it waits and tries again.
func RunWorker(ctx context.Context, cfg WorkerConfig) error {
	if cfg.ParkAfter <= 0 {
		cfg.ParkAfter = DefaultParkAfter
	}
	if cfg.MaxJobTime <= 0 {
		cfg.MaxJobTime = 15 * time.Minute
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return err
	}
	// A job from a newer coordinator stops the worker (handle).
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	central := &remoteCentral{nc: cfg.Conn, odds: &lookupOdds{}}
	visited := newVisitedCache(cfg.Conn, log)
	defer visited.close()
	parallel := max(cfg.Parallel, 1)
	// free holds a token per job slot not in use; the pull loop takes
	// the free slots and fetches that many jobs in one pull request.
	free := make(chan struct{}, parallel)
	for range parallel {
		free <- struct{}{}
	}
	// Protocol 5 results travel in batches (batch.go), sent by one
	// goroutine that ends once every job is done.
	cfg.sender = newResultSender(cfg.Conn, log)
	senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
	var senderWG sync.WaitGroup
	senderWG.Go(func() { cfg.sender.run(senderCtx) })
	defer func() { stopSender(); senderWG.Wait() }()
	var wg sync.WaitGroup
	var cons jetstream.Consumer
	for ctx.Err() == nil {
		if cons == nil {
			c, err := js.Consumer(ctx, workStream, workConsumer)
			if err != nil {
				if ctx.Err() == nil {
					log.Debug("work queue not available yet; waiting for the coordinator", "err", err)
					sleep(ctx, time.Second)
				}
				continue
			}
			cons = c
		}
		n := takeSlots(ctx, free, parallel)
		if n == 0 {
			break
		}
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			giveSlots(free, n)
			cons = nil
			sleep(ctx, time.Second)
			continue
		}
		every := progressEvery(cons.CachedInfo().Config.AckWait)
		for m := range batch.Messages() {
			n--
			cfg.sender.started()
			wg.Go(func() {
				// The slot is free again once the job's result waits in a
				// batch (handle): the job needs no more work, only its ack.
				var once sync.Once
				release := func() { once.Do(func() { free <- struct{}{} }) }
				defer release()
				if err := handle(ctx, js, central, visited, cfg, log, m, every, release); err != nil {
					stop(err)
				}
			})
		}
		giveSlots(free, n)
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			log.Debug("fetching jobs failed; trying again", "err", err)
			cons = nil
			sleep(ctx, time.Second)
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); errors.Is(err, ErrProtocol) {
		return err
	}
	return nil
}

// pullGather is how long the pull loop waits for a quarter of a worker's
// slots to be free before fetching jobs for those that are: one pull
// request (and its subscription) then brings several jobs rather than one,
// a message or three fewer per job for the NATS server to handle. Jobs
// are only fetched for free slots, so none waits in the worker unworked
// while its AckWait runs.
const pullGather = 20 * time.Millisecond

// takeSlots waits for a free slot, then up to pullGather for a quarter of
// all parallel to be free, and takes every free one; 0 when ctx ends.
func takeSlots(ctx context.Context, free chan struct{}, parallel int) int {
	select {
	case <-free:
	case <-ctx.Done():
		return 0
	}
	n := 1
	gather := time.NewTimer(pullGather)
	defer gather.Stop()
	for n < max(parallel/4, 1) {
		select {
		case <-free:
			n++
			continue
		case <-gather.C:
		case <-ctx.Done():
			giveSlots(free, n)
			return 0
		}
		break
	}
	for n < parallel {
		select {
		case <-free:
			n++
			continue
		default:
		}
		break
	}
	return n
}

func giveSlots(free chan struct{}, n int) {
	for range n {
		free <- struct{}{}
	}
}

// ErrProtocol reports a job from a coordinator that speaks a newer
// Protocol than this worker: the worker must be upgraded.
var ErrProtocol = errors.New("coordinator speaks a newer protocol than this worker")

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// retryAttempts is how many times a worker processes a job whose
// coordinator could not be asked before handing it back to the queue.
const retryAttempts = 4

// progressEvery is how often a worker tells JetStream it is still on a
// job: a third of the consumer's AckWait (at most 10 s, at least 100 ms),
// so that any job slower than AckWait — a long video, a redirect loop on a
// loaded machine — is never redelivered, and so parked, while a live
// worker holds it; only a dead worker's job comes back.
func progressEvery(ackWait time.Duration) time.Duration {
	if ackWait <= 0 {
		return 10 * time.Second
	}
	return min(max(ackWait/3, 100*time.Millisecond), 10*time.Second)
}

// handle processes one job message, reporting progress every every. It
// returns an error (ErrProtocol) only for a job this worker is too old to
// process, which it hands back to the queue untouched.
func handle(ctx context.Context, js jetstream.JetStream, central *remoteCentral, visited *visitedCache, cfg WorkerConfig, log *slog.Logger, m jetstream.Msg, every time.Duration, release func()) error {
	// The job counts as busy for the result sender (started by the pull
	// loop) until its result is queued or it ends without one; its slot
	// is released then too (release), not only once the batch carrying
	// the result is answered and the job acked: with results gathered
	// for up to resultGather, holding the slot that long would leave a
	// worker's core idle.
	var once sync.Once
	queued := func() {
		once.Do(func() {
			cfg.sender.finished()
			release()
		})
	}
	defer queued()
	if ctx.Err() != nil {
		// Stopping: a job that reached one of this worker's pulls still
		// open is left unacked, to come back after AckWait. Handed back
		// at once (Nak) it would reach the next of them, each a delivery,
		// until it counted as poison and was parked without ever having
		// been tried.
		return nil
	}
	var jm jobMsg
	if err := json.Unmarshal(m.Data(), &jm); err != nil || jm.Job == nil {
		log.Error("dropping an undecodable crawl job", "err", err)
		_ = m.Term()
		return nil
	}
	if jm.Proto > Protocol {
		_ = m.Nak()
		return fmt.Errorf("%w (the coordinator's protocol %d, this worker's %d): upgrade hashwatch worker to the coordinator's version", ErrProtocol, jm.Proto, Protocol)
	}
	// The protocol this job's coordinator reads: every message of the
	// job is sent in its form.
	proto := jm.Proto
	if cfg.protocol > 0 && cfg.protocol < proto {
		proto = cfg.protocol
	}
	if cfg.protocol1 {
		proto = 1
	}
	central = &remoteCentral{nc: central.nc, proto: proto, odds: central.odds}
	if proto < 3 {
		// Skipping lookups is this build's choice; a coordinator of an
		// older protocol is asked as it always was.
		central.odds = nil
	}
	j := jm.Job
	if cfg.dies != nil && cfg.dies(j) {
		return nil
	}
	var res crawler.Result
	meta, err := m.Metadata()
	if err == nil && int(meta.NumDelivered) > cfg.ParkAfter {
		res = crawler.Result{Site: j.Site, Pass: j.Pass, Item: j.Item, Parked: true,
			ParkReason: fmt.Sprintf("delivered %d times to crawl workers without a result", meta.NumDelivered-1)}
		log.Warn("parking a crawl job that killed or stalled workers", "url", j.Item.URL, "deliveries", meta.NumDelivered)
	} else {
		jobCtx, cancel := context.WithTimeout(ctx, cfg.MaxJobTime)
		// Tell JetStream the job is being worked on, so a slow job is
		// not redelivered to another worker at AckWait.
		stopProgress := make(chan struct{})
		go func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case <-t.C:
					_ = m.InProgress()
				}
			}
		}()
		// A coordinator that cannot answer (restarting, overloaded) is
		// waited for within this delivery, so that it never counts
		// towards parking the job; only a job that keeps failing so
		// goes back to the queue.
		for attempt := 1; ; attempt++ {
			res = cfg.Worker.Process(jobCtx, j, central)
			if !res.Retry || attempt == retryAttempts || jobCtx.Err() != nil {
				break
			}
			sleep(jobCtx, time.Duration(attempt)*2*time.Second)
		}
		close(stopProgress)
		cancel()
		switch {
		case ctx.Err() != nil:
			// Shutting down: let another worker have it at once.
			_ = m.Nak()
			return nil
		case res.Retry || res.Cancelled:
			// The coordinator is away, or the job ran out of time: try
			// again later (a job that always times out is parked).
			_ = m.NakWithDelay(5 * time.Second)
			return nil
		}
	}
	res.Worker = cfg.Name
	visited.filter(ctx, jm.Epoch, j, &res)
	data, err := encodeResult(&resultMsg{Epoch: jm.Epoch, Key: jm.Key, Worker: cfg.Name, Result: res}, proto)
	if err != nil {
		log.Error("encoding a crawl result failed", "url", j.Item.URL, "err", err)
		_ = m.Nak()
		return nil
	}
	sends := 1
	if cfg.dupResults {
		sends = 2
	}
	switch {
	case proto >= 5:
		// In a batch with the worker's other results (batch.go); the
		// coordinator answers once it has them all.
		for range sends {
			if !cfg.sender.send(ctx, m, data, queued) {
				return nil // unacked: redelivered after AckWait
			}
		}
	case proto >= 3:
		// Handed to the coordinator directly; it answers once the result
		// is with its dispatch (or known a duplicate or stale).
		for range sends {
			if !sendResult(ctx, cfg.Conn, log, m, j, data) {
				return nil // unacked: redelivered after AckWait
			}
		}
	default:
		for {
			pubCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err := js.Publish(pubCtx, "hw.results."+j.Item.Kind.String(), data)
			cancel()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil // unacked: redelivered after AckWait
			}
			log.Warn("publishing a crawl result failed; retrying", "url", j.Item.URL, "err", err)
			sleep(ctx, time.Second)
		}
		if cfg.dupResults {
			if _, err := js.Publish(ctx, "hw.results."+j.Item.Kind.String(), data); err != nil {
				log.Warn("publishing a duplicate result failed", "err", err)
			}
		}
	}
	// Only now that the result is stored (or with the coordinator) is the
	// job done.
	if cfg.unackedAfterResult != nil {
		if meta, err := m.Metadata(); err == nil && cfg.unackedAfterResult(j, meta.NumDelivered) {
			return nil
		}
	}
	if err := m.Ack(); err != nil {
		log.Debug("acking a crawl job failed (it may be delivered again; its second result is dropped)", "url", j.Item.URL, "err", err)
	}
	return nil
}

// sendResult hands a protocol 3 result to the coordinator
// (hw.central.result), retrying until it answers — telling JetStream
// meanwhile that the job is still being worked on, so that a coordinator
// away for a while does not get the job redelivered and parked; false
// when ctx ends first.
func sendResult(ctx context.Context, nc *nats.Conn, log *slog.Logger, m jetstream.Msg, j *work.Job, data []byte) bool {
	for {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		reply, err := nc.RequestWithContext(rctx, centralResult, data)
		cancel()
		if err == nil {
			if len(reply.Data) > 0 {
				// Not a retryable fault: the coordinator cannot read it.
				log.Error("the coordinator refused a crawl result", "url", j.Item.URL, "err", string(reply.Data))
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		log.Warn("handing a crawl result to the coordinator failed; retrying", "url", j.Item.URL, "err", err)
		_ = m.InProgress()
		sleep(ctx, time.Second)
	}
}

// remoteCentral asks the coordinator over NATS request/reply, in the
// form its protocol (its job's jobMsg.Proto) reads.
type remoteCentral struct {
	nc    *nats.Conn
	proto int
	// odds decides which lookups to skip (lookup.go); nil: none.
	odds *lookupOdds
}

// centralTimeout bounds one Central request.
const centralTimeout = 30 * time.Second

// request sends data to subject and returns the reply's data.
func (rc *remoteCentral) request(ctx context.Context, subject string, data []byte) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, centralTimeout)
	defer cancel()
	msg, err := rc.nc.RequestWithContext(rctx, subject, data)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s: %w: %w", subject, work.ErrCentralUnavailable, err)
	}
	return msg.Data, nil
}

func (rc *remoteCentral) Resolve(ctx context.Context, r work.ResolveRequest, fingerprint work.FingerprintFunc, corners work.FeaturesFunc, preview func() []byte) (crawlstate.HashResult, []byte, error) {
	if rc.odds.ask(r) {
		var lr lookupReply
		data, err := encodeLookup(&r, rc.proto)
		if err != nil {
			return crawlstate.HashResult{}, nil, err
		}
		if data, err = rc.request(ctx, centralLookup, data); err != nil {
			return crawlstate.HashResult{}, nil, err
		}
		if err := json.Unmarshal(data, &lr); err != nil {
			return crawlstate.HashResult{}, nil, err
		}
		if err := replyErr(lr.Err, lr.Unavailable); err != nil {
			return crawlstate.HashResult{}, nil, err
		}
		rc.odds.answered(r, lr.OK)
		if lr.OK {
			return lr.Hash, nil, nil
		}
	}
	fp, took, err := fingerprint(ctx)
	req := matchRequest{Req: r, Fingerprint: fp, TookNanos: int64(took)}
	if err != nil {
		if ctx.Err() != nil {
			return crawlstate.HashResult{}, nil, ctx.Err()
		}
		// The coordinator decides whether this is the bytes' fault (a
		// failure result it keeps) or not.
		req.Failure = &work.ResultError{Kind: classifyHash(err), URL: r.URL, Message: err.Error()}
	}
	mr, err := rc.match(ctx, &req)
	if err != nil {
		return crawlstate.HashResult{}, nil, err
	}
	if cfg := mr.NeedFeatures; cfg != nil && req.Failure == nil && req.Fingerprint.Features == nil && req.FeaturesErr == "" {
		// The geometric verifier needs the bytes' corner set: make it
		// here, where the bytes are, and ask again with it — or with why
		// it could not be made, which leaves the match unchecked.
		var s *features.Set
		if corners == nil {
			err = fmt.Errorf("this worker makes no corner set of %s (%s)", r.URL, r.What)
		} else {
			s, err = corners(ctx, *cfg)
		}
		switch {
		case ctx.Err() != nil:
			return crawlstate.HashResult{}, nil, ctx.Err()
		case err != nil:
			req.FeaturesErr = err.Error()
		case s == nil:
			req.FeaturesErr = "no corner set made of " + r.URL
		default:
			req.Fingerprint.Features = s
		}
		if mr, err = rc.match(ctx, &req); err != nil {
			return crawlstate.HashResult{}, nil, err
		}
	}
	if err := replyErr(mr.Err, mr.Unavailable); err != nil {
		return crawlstate.HashResult{}, nil, err
	}
	var pv []byte
	if mr.WantPreview && preview != nil {
		pv = preview()
	}
	return mr.Hash, pv, nil
}

// match sends one match request and reads the reply.
func (rc *remoteCentral) match(ctx context.Context, req *matchRequest) (matchReply, error) {
	var mr matchReply
	data, err := encodeMatchRequest(req, rc.proto)
	if err != nil {
		return mr, err
	}
	if data, err = rc.request(ctx, centralMatch, data); err != nil {
		return mr, err
	}
	err = json.Unmarshal(data, &mr)
	return mr, err
}

func replyErr(msg string, unavailable bool) error {
	switch {
	case msg == "":
		return nil
	case unavailable:
		return fmt.Errorf("%s: %w", msg, work.ErrCentralUnavailable)
	}
	return errors.New(msg)
}

// classifyHash names a fingerprinting error the way the crawler's error
// counts do, for the failures that are the bytes' fault.
func classifyHash(err error) string {
	return work.ErrorKind(err)
}
