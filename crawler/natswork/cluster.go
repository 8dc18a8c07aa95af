package natswork

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hashwatch/hashwatch/crawler"
)

// DispatchedPerPass is how many media items a pass keeps dispatched to
// workers at once when the crawler sets no Workers: a dispatched item
// costs the coordinator a waiting goroutine, not a CPU, so enough stay in
// flight for many workers elsewhere.
const DispatchedPerPass = 512

// CommitEvery is the coordinator's spacing of a pass's transactions
// (crawler.Crawler.CommitEvery) when the crawler sets none: with
// DispatchedPerPass items in flight, 25 ms more before an item is durable
// costs no throughput, and a transaction then stores tens of workers'
// results at once, a fraction of the writes and fsyncs one per few
// results costs.
const CommitEvery = 25 * time.Millisecond

// ClusterConfig is what StartCluster wires: a coordinator for Crawler on
// Embedded (when set) or on the cluster Connect names, and in-process
// workers beside it.
type ClusterConfig struct {
	// Embedded is a server this process started; the Cluster owns it from
	// here on (Close, or a failed StartCluster, shuts it down) and its
	// in-process workers connect with the identity in WorkerCreds.
	Embedded    *Embedded
	WorkerCreds string
	// Connect names an outside NATS cluster, used when Embedded is nil;
	// its Name is replaced by each connection's own.
	Connect ConnectConfig
	Crawler *crawler.Crawler
	// AckWait and ParkAfter are the Coordinator's and workers'; zero
	// takes the defaults.
	AckWait   time.Duration
	ParkAfter int
	// Visited bounds (or turns off) the visited bucket.
	Visited VisitedConfig
	// WorkerNames names one in-process worker each (none: only external
	// workers crawl); each keeps WorkerParallel jobs in hand.
	WorkerNames    []string
	WorkerParallel int
	// Metrics, when set, gets the work queue's metrics (hashwatch_queue_*,
	// hashwatch_worker_*), read at each scrape.
	Metrics prometheus.Registerer
	Logger  *slog.Logger
}

// Cluster is a coordinator's crawl transport in one process: the embedded
// server (if any), the Coordinator and the in-process workers. Create it
// with StartCluster and stop it with Close.
type Cluster struct {
	Embedded    *Embedded
	Coordinator *Coordinator
	conns       []*nats.Conn
	wg          sync.WaitGroup
	stop        context.CancelFunc
	log         *slog.Logger
}

// StartCluster puts cfg.Crawler's items on JetStream: Crawler.Dispatch
// hands each job to the workers, in-process ones and external ones alike,
// and Crawler.QueueStatus reports the queue. The in-process workers run
// until Close, not until ctx ends, so that a pass being cancelled can
// still get its results.
func StartCluster(ctx context.Context, cfg ClusterConfig) (_ *Cluster, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cl := &Cluster{Embedded: cfg.Embedded, log: cfg.Logger}
	defer func() {
		if err != nil {
			cl.Close()
		}
	}()
	var coordConn *nats.Conn
	var workerConn func(name string) (*nats.Conn, error)
	if emb := cfg.Embedded; emb != nil {
		if coordConn, err = emb.Connect("hashwatch coordinator"); err != nil {
			return nil, err
		}
		workerConn = func(name string) (*nats.Conn, error) { return emb.ConnectWorker(name, cfg.WorkerCreds) }
	} else {
		cc := cfg.Connect
		cc.Name = "hashwatch coordinator"
		if coordConn, err = Connect(cc); err != nil {
			return nil, err
		}
		workerConn = func(name string) (*nats.Conn, error) { cc.Name = name; return Connect(cc) }
	}
	cl.conns = append(cl.conns, coordConn)
	c := cfg.Crawler
	coord, err := NewCoordinator(ctx, CoordinatorConfig{Conn: coordConn, Crawler: c, AckWait: cfg.AckWait, ParkAfter: cfg.ParkAfter, Visited: cfg.Visited,
		InMemory: cfg.Embedded != nil, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	cl.Coordinator = coord
	c.Dispatch = coord.Dispatch
	c.QueueStatus = coord.Status
	c.Visited = coord.VisitedPages()
	if c.Workers == 0 {
		c.Workers = DispatchedPerPass
	}
	if c.CommitEvery == 0 {
		c.CommitEvery = CommitEvery
	}
	if cfg.Metrics != nil {
		if err := cfg.Metrics.Register(queueCollector{coord}); err != nil {
			return nil, fmt.Errorf("register queue metrics: %w", err)
		}
	}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	cl.stop = stop
	if len(cfg.WorkerNames) > 0 {
		w := &crawler.Worker{Video: c.Video, Logger: cfg.Logger}
		for _, name := range cfg.WorkerNames {
			nc, err := workerConn("hashwatch serve worker")
			if err != nil {
				return nil, err
			}
			cl.conns = append(cl.conns, nc)
			if w.Gate == nil {
				w.Gate = GateTransport(nc, max(cfg.WorkerParallel, 1)*len(cfg.WorkerNames))
			}
			cl.wg.Go(func() {
				_ = RunWorker(wctx, WorkerConfig{Conn: nc, Name: name, Parallel: cfg.WorkerParallel,
					Worker: w, ParkAfter: cfg.ParkAfter, Logger: cfg.Logger.With("worker", name)})
			})
		}
	}
	return cl, nil
}

// Close stops the in-process workers, the coordinator, the connections and
// the embedded server, in that order.
func (cl *Cluster) Close() {
	if cl.stop != nil {
		cl.stop()
	}
	cl.wg.Wait()
	if cl.Coordinator != nil {
		cl.Coordinator.Close()
	}
	for _, nc := range cl.conns {
		nc.Close()
	}
	if cl.Embedded != nil {
		// What the run cost in messages, for measurements (make
		// bench-scale reads this line).
		if v, err := cl.Embedded.Server.Varz(nil); err == nil && cl.log != nil {
			cl.log.Info("NATS totals", "in_msgs", v.InMsgs, "in_bytes", v.InBytes, "out_msgs", v.OutMsgs, "out_bytes", v.OutBytes)
		}
		if cl.log != nil && cl.Coordinator != nil {
			ws := cl.Coordinator.cfg.Crawler.DB.Store.WriteStats()
			cl.log.Info("bbolt totals", "commits", ws.Commits, "pages_written", ws.PagesWritten)
		}
		cl.Embedded.Shutdown()
	}
}

// queueCollector exports the work queue's state at each scrape.
type queueCollector struct{ c *Coordinator }

var (
	descDepth      = prometheus.NewDesc("hashwatch_queue_depth", "Crawl jobs waiting in JetStream for a worker.", nil, nil)
	descInFlight   = prometheus.NewDesc("hashwatch_queue_in_flight", "Crawl jobs a worker holds unacknowledged.", nil, nil)
	descRedeliver  = prometheus.NewDesc("hashwatch_queue_redelivered", "Crawl jobs in the queue delivered more than once.", nil, nil)
	descWaiting    = prometheus.NewDesc("hashwatch_queue_dispatched_waiting", "Crawl jobs the coordinator dispatched and awaits results of.", nil, nil)
	descParked     = prometheus.NewDesc("hashwatch_queue_parked_total", "Crawl jobs parked after too many deliveries without a result.", nil, nil)
	descDuplicates = prometheus.NewDesc("hashwatch_queue_duplicate_results_total", "Duplicate crawl results dropped (a worker died between publishing and acking).", nil, nil)
	descWorkerRes  = prometheus.NewDesc("hashwatch_worker_results_total", "Crawl results returned, by worker.", []string{"worker"}, nil)
	descWorkerSeen = prometheus.NewDesc("hashwatch_worker_last_seen_seconds", "When a worker last returned a result (Unix time).", []string{"worker"}, nil)
)

func (q queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDepth, descInFlight, descRedeliver, descWaiting, descParked, descDuplicates, descWorkerRes, descWorkerSeen} {
		ch <- d
	}
}

func (q queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := q.c.Stats(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, float64(st.Depth))
	ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(st.InFlight))
	ch <- prometheus.MustNewConstMetric(descRedeliver, prometheus.GaugeValue, float64(st.Redelivered))
	ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(st.Waiting))
	ch <- prometheus.MustNewConstMetric(descParked, prometheus.CounterValue, float64(st.Parked))
	ch <- prometheus.MustNewConstMetric(descDuplicates, prometheus.CounterValue, float64(st.Duplicates))
	for _, w := range st.Workers {
		ch <- prometheus.MustNewConstMetric(descWorkerRes, prometheus.CounterValue, float64(w.Results), w.Name)
		ch <- prometheus.MustNewConstMetric(descWorkerSeen, prometheus.GaugeValue, float64(w.LastSeen.Unix()), w.Name)
	}
}
