package natswork

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestACoordinatorKilledBetweenHandOverAndCommitLosesNothing is issue 12's
// question of when a result is acked. The coordinator acks a worker's
// result in HW_RESULTS as soon as it hands it to the dispatch waiting for
// it, before the pass commits it to bbolt. That loses nothing, because the
// result stream is not where an item's durability lives: an item stays
// in the bbolt frontier until the transaction that stores its outcome
// (alerts, sightings, new items) marks it done, and a coordinator that
// starts purges HW_RESULTS anyway (its results answer the dead process's
// dispatches). So whichever side of the commit the ack falls, a
// coordinator that dies in between leaves the item queued in bbolt, and
// the next coordinator dispatches it again.
//
// The test kills the coordinator exactly there: a re-upload's result is
// handed over and acked (HW_RESULTS empties), and the pass never commits
// it (its dispatch blocks until the pass is cancelled, as a process that
// died would). A new coordinator and crawler on the same database and
// NATS server resume the pass with the same worker, and the alerts are
// exactly those of the pass run in one process: the re-upload's included,
// none twice.
func TestACoordinatorKilledBetweenHandOverAndCommitLosesNothing(t *testing.T) {
	fs, srv := serveFixture(t, fixtures.SiteConfig{})
	reupload := map[string]bool{}
	for _, r := range fs.Truth() {
		reupload[r.Media] = true
	}

	ref := referencePass(t, siteFor(t, srv.URL))

	db := registerKnown(t)
	first := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
	tc := startCluster(t, first, 5*time.Second, 0)
	tc.runWorker(t, WorkerConfig{Name: "w1", Parallel: 4})

	// The first coordinator "dies" after handing one re-upload's result
	// over: its dispatch never returns it to the pass.
	var once sync.Once
	handedOver := make(chan crawler.Result, 1)
	first.Dispatch = func(ctx context.Context, j *work.Job) crawler.Result {
		res := tc.coord.Dispatch(ctx, j)
		if !res.Cancelled && j.Item.Kind == work.MediaItem && reupload[path(j.Item.URL)] {
			lost := false
			once.Do(func() { lost = true })
			if lost {
				handedOver <- res
				<-ctx.Done()
				return crawler.Result{Site: j.Site, Pass: j.Pass, Item: j.Item, Cancelled: true}
			}
		}
		return res
	}
	ctx, kill := context.WithCancel(context.Background())
	passDone := make(chan error, 1)
	go func() {
		_, err := first.Pass(ctx, siteFor(t, srv.URL))
		passDone <- err
	}()
	var lost crawler.Result
	select {
	case lost = <-handedOver:
	case err := <-passDone:
		kill()
		t.Fatalf("the pass ended (%v) before a re-upload's result was handed over", err)
	case <-time.After(2 * time.Minute):
		kill()
		t.Fatal("no re-upload's result was handed over within 2 minutes")
	}
	// The result was acked on hand-over: the work-queue stream drops it.
	js, err := jetstream.New(tc.coord.cfg.Conn)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := js.Stream(context.Background(), resultStream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("HW_RESULTS still holds %d results after the hand-over: the result was not acked", info.State.Msgs)
		}
		<-time.After(10 * time.Millisecond)
	}
	kill()
	<-passDone
	tc.coord.Close()
	lostSighting := "demo " + path(lost.Item.Page) + " " + path(lost.Item.URL)
	if slices.Contains(sightings(t, db), lostSighting) {
		t.Fatalf("%s was committed although its dispatch never returned", lostSighting)
	}

	// The next coordinator, on the same NATS server and database, with
	// the worker still running.
	nc, err := tc.emb.Connect("restarted coordinator")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	second := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
	coord, err := NewCoordinator(context.Background(), CoordinatorConfig{Conn: nc, Crawler: second, AckWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer coord.Close()
	second.Dispatch = coord.Dispatch
	if _, err := second.Pass(context.Background(), siteFor(t, srv.URL)); err != nil {
		t.Fatal(err)
	}
	got := ref.sameSightings(t, db, "after the restart")
	if !slices.Contains(got, lostSighting) {
		t.Errorf("the re-upload whose result was acked before its commit, %s, never alerted", lostSighting)
	}
}
