package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"

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

// startCluster puts crawler c's items on JetStream (natswork.StartCluster)
// through the embedded NATS server, unless --nats names a cluster, with
// --workers in-process workers beside external ones.
func (a *app) startCluster(ctx context.Context, o clusterOptions, public bool, c *crawler.Crawler, reg *prometheus.Registry) (*natswork.Cluster, error) {
	if o.workers < 0 {
		return nil, usagef("serve: --workers %d: want 0 or more", o.workers)
	}
	if o.parkAfter < 1 {
		return nil, usagef("serve: --park-after %d: want 1 or more", o.parkAfter)
	}
	cfg := natswork.ClusterConfig{Crawler: c, AckWait: o.ackWait, ParkAfter: o.parkAfter,
		WorkerParallel: defaultWorkerParallel, Metrics: reg, Logger: a.log}
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
		creds := filepath.Join(dir, "worker.creds")
		emb, err := natswork.StartEmbedded(natswork.EmbeddedConfig{
			StoreDir: a.dbPath + ".nats", Listen: listen, CredsFile: creds, Logger: a.log,
		})
		if err != nil {
			return nil, err
		}
		cfg.Embedded, cfg.WorkerCreds = emb, creds
		a.log.Info("embedded NATS server for crawl workers: hashwatch worker --nats URL --creds CREDS", "url", emb.ClientURL(), "creds", creds, "store", a.dbPath+".nats")
	} else {
		cfg.Connect = natswork.ConnectConfig{URL: o.natsURL, Creds: o.creds, CA: o.ca, Logger: a.log}
	}
	host, _ := os.Hostname()
	for i := range o.workers {
		cfg.WorkerNames = append(cfg.WorkerNames, fmt.Sprintf("%s/serve-%d/%d", host, os.Getpid(), i+1))
	}
	return natswork.StartCluster(ctx, cfg)
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
