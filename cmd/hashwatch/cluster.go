package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/natswork"
)

// clusterOptions are serve's flags for crawling over NATS JetStream.
type clusterOptions struct {
	natsURL   string
	creds     string
	ca        string
	listen    string
	workers   int
	ackWait   time.Duration
	parkAfter int
	// listenSet is true when --nats-listen was given explicitly.
	listenSet bool
}

// dispatchedPerPass is how many media items a pass keeps dispatched to
// workers at once.
const dispatchedPerPass = 512

// defaultNATSListen is where the embedded NATS server listens for workers.
const defaultNATSListen = "127.0.0.1:4222"

func clusterFlags(cmd *cobra.Command, o *clusterOptions) {
	f := cmd.Flags()
	f.StringVar(&o.natsURL, "nats", "", "use this NATS cluster (nats:// or tls:// URL) instead of the embedded server")
	f.StringVar(&o.creds, "nats-creds", "", "credentials for --nats (a .creds file or an nkey seed file)")
	f.StringVar(&o.ca, "nats-ca", "", "CA certificate (PEM) that signed the --nats server's TLS certificate")
	f.StringVar(&o.listen, "nats-listen", defaultNATSListen, "where the embedded NATS server listens for crawl workers (port 0: a free one; off loopback only with --public)")
	f.IntVar(&o.workers, "workers", runtime.NumCPU(), "crawl workers inside serve (0: only external 'hashwatch worker' processes crawl)")
	f.DurationVar(&o.ackWait, "nats-ack-wait", natswork.DefaultAckWait, "how long a job a worker took may go unanswered before another worker gets it")
	f.IntVar(&o.parkAfter, "park-after", natswork.DefaultParkAfter, "deliveries without a result after which a crawl item is parked (poison)")
}

// cluster is serve's crawl transport: the embedded NATS server (unless
// --nats), the coordinator and the in-process workers.
type cluster struct {
	emb   *natswork.Embedded
	conns []*nats.Conn
	coord *natswork.Coordinator
	wg    sync.WaitGroup
	stop  context.CancelFunc
}

// startCluster puts crawler c's items on JetStream: c.Dispatch hands each
// job to the workers, in-process ones (--workers) and external ones alike.
func (a *app) startCluster(ctx context.Context, o clusterOptions, public bool, c *crawler.Crawler, reg *prometheus.Registry) (*cluster, error) {
	if o.workers < 0 {
		return nil, usagef("serve: --workers %d: want 0 or more", o.workers)
	}
	if o.parkAfter < 1 {
		return nil, usagef("serve: --park-after %d: want 1 or more", o.parkAfter)
	}
	cl := &cluster{}
	var coordConn *nats.Conn
	var workerConn func() (*nats.Conn, error)
	if o.natsURL == "" {
		if err := checkNATSListen(o.listen, public); err != nil {
			return nil, err
		}
		dir := filepath.Dir(a.dbPath)
		listen := o.listen
		if !o.listenSet && !portFree(listen) {
			// Another server (a second serve on this machine, a test) has
			// the default port: take a free loopback one rather than fail;
			// the log says which.
			host, _, _ := net.SplitHostPort(listen)
			listen = net.JoinHostPort(host, "0")
			a.log.Warn("the default NATS port is taken; listening for crawl workers on a free port instead (set --nats-listen to choose)", "default", o.listen)
		}
		emb, err := natswork.StartEmbedded(natswork.EmbeddedConfig{
			StoreDir: a.dbPath + ".nats", Listen: listen, CredsFile: filepath.Join(dir, "worker.creds"), Logger: a.log,
		})
		if err != nil {
			return nil, err
		}
		cl.emb = emb
		if coordConn, err = emb.Connect("hashwatch coordinator"); err != nil {
			cl.close()
			return nil, err
		}
		creds := filepath.Join(dir, "worker.creds")
		workerConn = func() (*nats.Conn, error) { return emb.ConnectWorker("hashwatch serve worker", creds) }
		a.log.Info("embedded NATS server for crawl workers: hashwatch worker --nats URL --creds CREDS", "url", emb.ClientURL(), "creds", creds, "store", a.dbPath+".nats")
	} else {
		cc := natswork.ConnectConfig{URL: o.natsURL, Creds: o.creds, CA: o.ca, Name: "hashwatch coordinator", Logger: a.log}
		var err error
		if coordConn, err = natswork.Connect(cc); err != nil {
			return nil, err
		}
		cc.Name = "hashwatch serve worker"
		workerConn = func() (*nats.Conn, error) { return natswork.Connect(cc) }
	}
	cl.conns = append(cl.conns, coordConn)
	coord, err := natswork.NewCoordinator(ctx, natswork.CoordinatorConfig{Conn: coordConn, Crawler: c, AckWait: o.ackWait, ParkAfter: o.parkAfter, Logger: a.log})
	if err != nil {
		cl.close()
		return nil, err
	}
	cl.coord = coord
	c.Dispatch = coord.Dispatch
	c.QueueStatus = coord.Status
	if c.Workers == 0 {
		// A dispatched item costs the coordinator a waiting goroutine, not
		// a CPU: keep enough in flight for many workers elsewhere.
		c.Workers = dispatchedPerPass
	}
	if err := reg.Register(queueCollector{coord}); err != nil {
		cl.close()
		return nil, fmt.Errorf("register queue metrics: %w", err)
	}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	cl.stop = stop
	if o.workers > 0 {
		w := &crawler.Worker{Video: c.Video, Logger: a.log}
		host, _ := os.Hostname()
		for i := range o.workers {
			nc, err := workerConn()
			if err != nil {
				cl.close()
				return nil, err
			}
			cl.conns = append(cl.conns, nc)
			if w.Gate == nil {
				w.Gate = natswork.GateTransport(nc)
			}
			name := fmt.Sprintf("%s/serve-%d/%d", host, os.Getpid(), i+1)
			cl.wg.Go(func() {
				_ = natswork.RunWorker(wctx, natswork.WorkerConfig{Conn: nc, Name: name, Parallel: defaultWorkerParallel,
					Worker: w, ParkAfter: o.parkAfter, Logger: a.log.With("worker", name)})
			})
		}
	}
	return cl, nil
}

// close stops the in-process workers, the coordinator, the connections and
// the embedded server, in that order.
func (cl *cluster) close() {
	if cl.stop != nil {
		cl.stop()
	}
	cl.wg.Wait()
	if cl.coord != nil {
		cl.coord.Close()
	}
	for _, nc := range cl.conns {
		nc.Close()
	}
	if cl.emb != nil {
		cl.emb.Shutdown()
	}
}

// portFree reports whether addr can be listened on right now.
func portFree(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// checkNATSListen refuses a non-loopback --nats-listen without --public.
func checkNATSListen(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("serve: --nats-listen %q: %v", addr, err)
	}
	if public || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return usagef("serve: --nats-listen %s is not a loopback address; pass --public to let workers on other machines connect there", addr)
	}
	return nil
}

// queueCollector exports the work queue's state at each scrape.
type queueCollector struct{ c *natswork.Coordinator }

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
