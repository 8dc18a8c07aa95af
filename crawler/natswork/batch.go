package natswork

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Result batches (protocol 5). A worker hands its results to the
// coordinator several to a hw.central.result request instead of one each:
// a request and its answer are two messages the embedded NATS server reads,
// routes and writes, and the coordinator a handler run, per request rather
// than per item. Every job is still acked by its own worker only once the
// coordinator has answered the request that carried its result, so a
// worker killed at any moment — before the request, while it waits for the
// answer, or between acking some of the batch's jobs and the rest — leaves
// every job it has not acked to be delivered again; a second result for a
// job the coordinator already has is dropped as a duplicate (take).
//
// A batch gathers for at most resultGather, and only while other jobs of
// the worker are still being processed and so may add to it: a worker with
// nothing else in hand (the last items of a pass, a site crawled one
// request at a time) sends at once, as before.
const (
	// resultBatchV5 is the first byte of a batch; a single result starts
	// with '{' (JSON) or resultMsgV3.
	resultBatchV5 byte = 5
	// resultGather bounds how long a result waits for others.
	resultGather = 10 * time.Millisecond
	// maxResultBatch bounds the results in one request, and
	// maxResultBatchBytes its size (NATS refuses payloads over 1 MB by
	// default); a larger result travels alone.
	maxResultBatch      = 64
	maxResultBatchBytes = 256 << 10
)

// appendResultBatch appends a batch of encoded results (appendResultMsg):
// its version, the number of results, then each length-prefixed.
func appendResultBatch(b []byte, results [][]byte) []byte {
	b = append(b, resultBatchV5)
	b = binary.AppendUvarint(b, uint64(len(results)))
	for _, r := range results {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

// splitResultBatch returns the encoded results of a batch, sharing data's
// bytes.
func splitResultBatch(data []byte) ([][]byte, error) {
	d := wireReader{b: data}
	if v := d.byte(); v != resultBatchV5 {
		return nil, fmt.Errorf("result batch: version %d, want %d", v, resultBatchV5)
	}
	n := d.count(1)
	out := make([][]byte, 0, n)
	for range n {
		out = append(out, d.take(d.count(1)))
	}
	if err := d.end("result batch"); err != nil {
		return nil, err
	}
	return out, nil
}

// pendingResult is one job's result waiting in a worker's batch.
type pendingResult struct {
	data []byte
	// m is the result's job, told InProgress while the coordinator does
	// not answer, so that it is not redelivered meanwhile.
	m jetstream.Msg
	// done hears true once the coordinator has answered the request that
	// carried the result, false when the worker stopped first.
	done chan bool
}

// resultSender gathers a worker's protocol 5 results into batches and
// hands each to the coordinator (see the top of this file). One goroutine
// (run) sends the batches one after another.
type resultSender struct {
	nc  *nats.Conn
	log *slog.Logger
	// gather, max and maxBytes are resultGather, maxResultBatch and
	// maxResultBatchBytes (tests change them).
	gather        time.Duration
	max, maxBytes int
	reqs          chan *pendingResult
	// busy counts the worker's jobs being processed whose result has not
	// been queued yet: while it is 0 no result can join a batch, which is
	// sent at once. idle hears when it drops to 0.
	busy atomic.Int64
	idle chan struct{}
	// sent counts the requests sent (for tests).
	sent atomic.Int64
}

func newResultSender(nc *nats.Conn, log *slog.Logger) *resultSender {
	return &resultSender{nc: nc, log: log, gather: resultGather, max: maxResultBatch, maxBytes: maxResultBatchBytes,
		reqs: make(chan *pendingResult, maxResultBatch), idle: make(chan struct{}, 1)}
}

// started says a job is being processed: its result (or its end without
// one, finished) will come.
func (s *resultSender) started() { s.busy.Add(1) }

// finished says a job started will queue no result, or has queued it.
func (s *resultSender) finished() {
	if s.busy.Add(-1) == 0 {
		select {
		case s.idle <- struct{}{}:
		default:
		}
	}
}

// send queues a job's encoded result, calls queued (which ends the job's
// busy count, see started) once it is in the queue or ctx has ended, and
// waits until the coordinator has answered the request that carried it
// (true) or ctx ends (false: the job must not be acked).
func (s *resultSender) send(ctx context.Context, m jetstream.Msg, data []byte, queued func()) bool {
	p := &pendingResult{data: data, m: m, done: make(chan bool, 1)}
	select {
	case s.reqs <- p:
	case <-ctx.Done():
		queued()
		return false
	}
	queued()
	select {
	case ok := <-p.done:
		return ok
	case <-ctx.Done():
		return false
	}
}

// run sends batches until ctx ends; every pending result then hears
// false.
func (s *resultSender) run(ctx context.Context) {
	var batch []*pendingResult
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var first *pendingResult
		select {
		case first = <-s.reqs:
		case <-ctx.Done():
			return
		}
		batch = append(batch[:0], first)
		size := len(first.data)
		timer.Reset(s.gather)
		// add puts p in the batch, or sends the batch first when p would
		// make it too large (p then starts the next one).
		add := func(p *pendingResult) {
			if size+len(p.data) > s.maxBytes {
				s.deliver(ctx, batch)
				batch, size = batch[:0], 0
				timer.Reset(s.gather)
			}
			batch = append(batch, p)
			size += len(p.data)
		}
	gather:
		for len(batch) < s.max && size < s.maxBytes {
			select {
			case p := <-s.reqs:
				add(p)
				continue
			default:
			}
			if s.busy.Load() <= 0 {
				break // nothing else can join
			}
			select {
			case p := <-s.reqs:
				add(p)
			case <-s.idle:
			case <-timer.C:
				break gather
			case <-ctx.Done():
				break gather
			}
		}
		timer.Stop()
		s.deliver(ctx, batch)
		clear(batch)
	}
}

// deliver sends one batch, retrying until the coordinator answers or ctx
// ends, and tells each of its results which.
func (s *resultSender) deliver(ctx context.Context, batch []*pendingResult) {
	results := make([][]byte, len(batch))
	size := 0
	for i, p := range batch {
		results[i] = p.data
		size += len(p.data)
	}
	data := appendResultBatch(make([]byte, 0, size+8+4*len(batch)), results)
	ok := false
	for {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		reply, err := s.nc.RequestWithContext(rctx, centralResult, data)
		cancel()
		if err == nil {
			s.sent.Add(1)
			if len(reply.Data) > 0 {
				// Not a retryable fault: the coordinator cannot read it.
				s.log.Error("the coordinator refused a batch of crawl results", "results", len(batch), "err", string(reply.Data))
			}
			ok = true
			break
		}
		if ctx.Err() != nil {
			break
		}
		s.log.Warn("handing crawl results to the coordinator failed; retrying", "results", len(batch), "err", err)
		for _, p := range batch {
			_ = p.m.InProgress()
		}
		sleep(ctx, time.Second)
	}
	for _, p := range batch {
		p.done <- ok
	}
}
