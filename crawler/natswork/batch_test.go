package natswork

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestResultBatchesRoundTrip checks the batch's wire form at its bounds:
// no result, one, a full batch, a result as large as a batch may be, and
// batches cut short or of another version, which are refused.
func TestResultBatchesRoundTrip(t *testing.T) {
	one := fullResult()
	enc, err := encodeResult(&one, Protocol)
	if err != nil {
		t.Fatal(err)
	}
	full := make([][]byte, maxResultBatch)
	for i := range full {
		rm := fullResult()
		rm.Key = uint64(i)
		if full[i], err = encodeResult(&rm, Protocol); err != nil {
			t.Fatal(err)
		}
	}
	whole := appendResultBatch(nil, [][]byte{enc, enc})
	for _, tc := range []struct {
		name    string
		results [][]byte
		data    []byte // instead of the batch of results
		err     string
	}{
		{name: "empty", results: [][]byte{}},
		{name: "one", results: [][]byte{enc}},
		{name: "full", results: full},
		{name: "one as large as a batch", results: [][]byte{make([]byte, maxResultBatchBytes)}},
		{name: "an empty result", results: [][]byte{{}, enc}},
		{name: "cut short", data: whole[:len(whole)-1], err: "truncated"},
		{name: "a byte after its end", data: append(append([]byte{}, whole...), 0), err: "after its end"},
		{name: "another version", data: append([]byte{resultMsgV3}, whole[1:]...), err: "version"},
		{name: "nothing", data: []byte{}, err: "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data
			if data == nil {
				data = appendResultBatch(nil, tc.results)
			}
			got, err := splitResultBatch(data)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("split %d bytes: %v, want an error saying %q", len(data), err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.results) {
				t.Fatalf("%d results, want %d", len(got), len(tc.results))
			}
			for i := range got {
				if string(got[i]) != string(tc.results[i]) {
					t.Fatalf("result %d differs", i)
				}
				if len(got[i]) == 0 || got[i][0] != resultMsgV3 {
					continue // not a result: the batch carries any bytes
				}
				var rm resultMsg
				if err := decodeResult(got[i], &rm); err != nil {
					t.Fatalf("result %d: %v", i, err)
				}
			}
			if tc.name == "one" {
				var rm resultMsg
				if err := decodeResult(got[0], &rm); err != nil || !reflect.DeepEqual(rm, one) {
					t.Fatalf("decoded %+v (%v)\nwant %+v", rm, err, one)
				}
			}
		})
	}
}

// fakeJob is a job message that only counts InProgress calls, for the
// result sender's tests.
type fakeJob struct {
	jetstream.Msg
	inProgress atomic.Int32
}

func (f *fakeJob) InProgress() error { f.inProgress.Add(1); return nil }

// TestTheResultSenderBatches drives the worker's result sender at its
// bounds against a coordinator that counts requests: one result with
// nothing else in hand goes at once, alone; results of jobs finishing
// together share a request, a batch full by count or size goes without
// waiting and the rest follow, a result larger than a batch goes alone; a job still being processed holds a batch at most
// resultGather; a worker stopped before the answer acks nothing; a
// coordinator away is waited for, the jobs kept in progress meanwhile.
func TestTheResultSenderBatches(t *testing.T) {
	const gather = 300 * time.Millisecond
	for _, tc := range []struct {
		name string
		// results are queued at once; busy jobs stay in hand without a
		// result for hold.
		results, busy int
		hold          time.Duration
		size          int  // of each result, with batches of at most 10 bytes (0: 1 byte)
		stopped       bool // the worker stops before queueing
		away          time.Duration
		wantRequests  []int // results per request, in order
		wantOK        bool
		minWait       time.Duration // before the first answer
		maxWait       time.Duration
	}{
		{name: "empty: nothing sent", results: 0, wantRequests: nil, wantOK: true},
		{name: "one, nothing else in hand: at once", results: 1, wantRequests: []int{1}, wantOK: true, maxWait: gather / 2},
		{name: "several together", results: 3, wantRequests: []int{3}, wantOK: true, maxWait: gather / 2},
		{name: "full batch and the rest", results: 10, wantRequests: []int{4, 4, 2}, wantOK: true, maxWait: gather / 2},
		{name: "full by size and the rest", results: 5, size: 4, wantRequests: []int{2, 2, 1}, wantOK: true, maxWait: gather / 2},
		{name: "one larger than a batch: alone", results: 1, size: 11, wantRequests: []int{1}, wantOK: true, maxWait: gather / 2},
		{name: "a job still in hand: waits for it, at most the gather time", results: 2, busy: 1, hold: 10 * gather,
			wantRequests: []int{2}, wantOK: true, minWait: gather, maxWait: 3 * gather},
		{name: "a job in hand that finishes without a result: sent then", results: 2, busy: 1, hold: gather / 4,
			wantRequests: []int{2}, wantOK: true, minWait: gather / 4, maxWait: gather * 3 / 4},
		{name: "stopped: not acked", results: 3, stopped: true, wantOK: false},
		{name: "coordinator away: waited for", results: 2, away: 1500 * time.Millisecond, wantRequests: []int{2}, wantOK: true, minWait: time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, nc, _ := startEmbedded(t, "sender test")
			var mu sync.Mutex
			var requests []int
			answer := func() {
				sub, err := nc.Subscribe(centralResult, func(m *nats.Msg) {
					rs, err := splitResultBatch(m.Data)
					if err != nil {
						t.Errorf("coordinator: %v", err)
					}
					mu.Lock()
					requests = append(requests, len(rs))
					mu.Unlock()
					_ = m.Respond(nil)
				})
				if err != nil {
					t.Error(err)
				}
				t.Cleanup(func() { _ = sub.Unsubscribe() })
			}
			if tc.away == 0 {
				answer()
			} else {
				time.AfterFunc(tc.away, answer)
			}
			s := newResultSender(nc, slog.New(slog.DiscardHandler))
			s.gather, s.max, s.maxBytes = gather, 4, 10
			runCtx, stopRun := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { s.run(runCtx) })
			defer func() { stopRun(); wg.Wait() }()

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.stopped {
				cancel()
			}
			for range tc.busy {
				s.started()
				time.AfterFunc(tc.hold, s.finished)
			}
			jobs := make([]*fakeJob, tc.results)
			oks := make([]bool, tc.results)
			waits := make([]time.Duration, tc.results)
			var jobsWG sync.WaitGroup
			start := time.Now()
			for i := range tc.results {
				s.started()
				jobs[i] = &fakeJob{}
				jobsWG.Go(func() {
					var once sync.Once
					oks[i] = s.send(ctx, jobs[i], make([]byte, max(tc.size, 1)), func() { once.Do(s.finished) })
					waits[i] = time.Since(start)
				})
			}
			jobsWG.Wait()
			for i := range tc.results {
				if oks[i] != tc.wantOK {
					t.Errorf("result %d answered %v, want %v", i, oks[i], tc.wantOK)
				}
				if tc.wantOK && (waits[i] < tc.minWait || (tc.maxWait > 0 && waits[i] > tc.maxWait)) {
					t.Errorf("result %d answered after %v, want between %v and %v", i, waits[i], tc.minWait, tc.maxWait)
				}
				if tc.away > 0 && jobs[i].inProgress.Load() == 0 {
					t.Errorf("job %d was not kept in progress while the coordinator was away", i)
				}
			}
			if tc.stopped {
				return // what reached the coordinator does not matter: nothing is acked
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(requests) != fmt.Sprint(tc.wantRequests) && !(len(requests) == 0 && len(tc.wantRequests) == 0) {
				t.Errorf("requests carried %v results, want %v", requests, tc.wantRequests)
			}
		})
	}
}

// TestAWorkerKilledMidBatchLosesNothing has a worker whose jobs'
// results reach the coordinator in batches die, for every other job of
// the pass, after the batch is answered and before the job is acked (a
// worker killed midway through acking a batch): those jobs are delivered
// again (after the pass, which had their results, ended: their second
// results are never committed), and the pass's alerts and counts are
// those of one process. A worker of protocol 4
// (single results) still works with this coordinator.
func TestAWorkerKilledMidBatchLosesNothing(t *testing.T) {
	_, srv := serveFixture(t, fixtures.SiteConfig{})
	ref := referencePass(t, siteFor(t, srv.URL))
	for _, tc := range []struct {
		name      string
		protocol  int
		killEvery int // every n-th job's first delivery is left unacked (0: none)
	}{
		{"protocol 5, killed midway through acking batches", 0, 2},
		{"protocol 4 worker", 4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := registerKnown(t)
			c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
			cl := startCluster(t, c, 2*time.Second, 0)
			var mu sync.Mutex
			jobs := 0
			unacked := map[string]bool{}
			delivered := map[string]int{}
			key := func(j *work.Job) string { return j.Item.Kind.String() + " " + j.Item.Page + " " + j.Item.URL }
			cl.runWorker(t, WorkerConfig{Name: "w", Parallel: 32, protocol: tc.protocol,
				dies: func(j *work.Job) bool {
					mu.Lock()
					defer mu.Unlock()
					delivered[key(j)]++
					return false
				},
				unackedAfterResult: func(j *work.Job, delivery uint64) bool {
					mu.Lock()
					defer mu.Unlock()
					if delivery > 1 || tc.killEvery == 0 {
						return false
					}
					jobs++
					if jobs%tc.killEvery == 0 {
						unacked[key(j)] = true
						return true
					}
					return false
				}})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			stats, err := c.Pass(ctx, siteFor(t, srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			ref.sameSightings(t, db, "through the cluster")
			ref.sameCounts(t, stats, "through the cluster")
			batches, batched := cl.coord.batches.Load(), cl.coord.batched.Load()
			if tc.protocol == 4 {
				if batches != 0 {
					t.Errorf("a protocol 4 worker sent %d batches", batches)
				}
				return
			}
			if batches == 0 || batched <= batches {
				t.Errorf("%d results in %d batches: want batches of more than one result", batched, batches)
			}
			// Every acked job left the work stream: what stays is of the
			// unacked ones (which may have been acked since, on a later
			// delivery) …
			stream, err := cl.coord.js.Stream(ctx, workStream)
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				info, err := stream.Info(ctx)
				if err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				n := len(unacked)
				mu.Unlock()
				if n > 0 && info.State.Msgs <= uint64(n) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the work stream holds %d jobs; want at most the %d left unacked", info.State.Msgs, n)
				}
				<-time.After(20 * time.Millisecond)
			}
			// … and each was delivered again.
			for {
				mu.Lock()
				back := 0
				for k := range unacked {
					if delivered[k] > 1 {
						back++
					}
				}
				n := len(unacked)
				mu.Unlock()
				if n > 0 && back == n {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of the %d jobs left unacked delivered again; want all", back, n)
				}
				<-time.After(50 * time.Millisecond)
			}
			ref.sameSightings(t, db, "after the redeliveries")
		})
	}
}
