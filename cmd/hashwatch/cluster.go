package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
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
	pin       string
	tlsCert   string
	tlsKey    string
	insecure  bool
	listen    string
	workers   int
	visited   natswork.VisitedConfig
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
	f.StringVar(&o.pin, "nats-pin", "", "SHA-256 fingerprint of the --nats server's TLS certificate (instead of or beside --nats-ca)")
	f.StringVar(&o.tlsCert, "nats-tls-cert", "", "TLS certificate (PEM) of the embedded NATS server (with --nats-tls-key; off loopback without them serve makes a self-signed one beside the database)")
	f.StringVar(&o.tlsKey, "nats-tls-key", "", "private key (PEM) of --nats-tls-cert")
	f.BoolVar(&o.insecure, "nats-insecure", false, "allow plaintext NATS off loopback (behind a TLS tunnel of your own)")
	f.StringVar(&o.listen, "nats-listen", defaultNATSListen, "where the embedded NATS server listens for crawl workers (port 0: a free one; off loopback only with --public)")
	f.IntVar(&o.workers, "workers", runtime.NumCPU(), "crawl workers inside serve (0: only external 'hashwatch worker' processes crawl)")
	f.BoolVar(&o.visited.Off, "no-visited-kv", false, "run without the JetStream bucket of visited pages (workers then send back every link; for measuring)")
	f.Int64Var(&o.visited.MaxBytes, "visited-kv-max-bytes", natswork.DefaultVisitedMaxBytes, "most bytes the visited bucket holds in memory (about 100 a page; oldest marks go first)")
	f.DurationVar(&o.visited.TTL, "visited-kv-ttl", natswork.DefaultVisitedTTL, "how long a page's visited mark stays in the bucket")
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
	cfg := natswork.ClusterConfig{Crawler: c, AckWait: o.ackWait, ParkAfter: o.parkAfter, Visited: o.visited,
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
		tlsCfg, err := a.natsListenerTLS(o, dir, listen)
		if err != nil {
			return nil, err
		}
		creds := filepath.Join(dir, "worker.creds")
		emb, err := natswork.StartEmbedded(natswork.EmbeddedConfig{
			StoreDir: a.dbPath + ".nats", Listen: listen, CredsFile: creds, TLS: tlsCfg, Logger: a.log,
		})
		if err != nil {
			return nil, err
		}
		cfg.Embedded, cfg.WorkerCreds = emb, creds
		a.log.Info("embedded NATS server for crawl workers: hashwatch worker --nats URL --creds CREDS", "url", emb.ClientURL(), "creds", creds, "store", a.dbPath+".nats")
	} else {
		if o.tlsCert != "" || o.tlsKey != "" {
			return nil, usagef("serve: --nats-tls-cert and --nats-tls-key are for the embedded server, not --nats")
		}
		cfg.Connect = natswork.ConnectConfig{URL: o.natsURL, Creds: o.creds, CA: o.ca, Pin: o.pin, Insecure: o.insecure, Logger: a.log}
	}
	host, _ := os.Hostname()
	for i := range o.workers {
		cfg.WorkerNames = append(cfg.WorkerNames, fmt.Sprintf("%s/serve-%d/%d", host, os.Getpid(), i+1))
	}
	cl, err := natswork.StartCluster(ctx, cfg)
	if errors.Is(err, natswork.ErrPlaintext) {
		return nil, usagef("serve: --nats: %v", err)
	}
	return cl, err
}

// Where serve keeps the self-signed certificate of its embedded NATS
// listener, beside the database (and worker.creds).
const (
	natsCertFile = "nats-tls-cert.pem"
	natsKeyFile  = "nats-tls-key.pem"
)

// natsListenerTLS is the embedded server's TLS: the --nats-tls-cert pair,
// or off loopback a self-signed certificate beside the database (made on
// first use), or none (loopback, or off loopback with --nats-insecure).
// It logs the certificate's fingerprint for workers to pin.
func (a *app) natsListenerTLS(o clusterOptions, dir, listen string) (*tls.Config, error) {
	host, _, _ := net.SplitHostPort(listen)
	cert, key := o.tlsCert, o.tlsKey
	switch {
	case (cert == "") != (key == ""):
		return nil, usagef("serve: --nats-tls-cert and --nats-tls-key go together")
	case cert == "" && natswork.IsLoopbackHost(host):
		return nil, nil
	case cert == "" && o.insecure:
		a.log.Warn("the embedded NATS server listens off loopback in plaintext (--nats-insecure): put a TLS tunnel in front", "listen", listen)
		return nil, nil
	case cert == "":
		cert, key = filepath.Join(dir, natsCertFile), filepath.Join(dir, natsKeyFile)
		created, err := natswork.EnsureSelfSigned(cert, key, certHosts(host))
		if err != nil {
			return nil, err
		}
		if created {
			a.log.Info("made a self-signed TLS certificate for the embedded NATS server", "cert", cert, "key", key)
		}
	}
	tc, err := natswork.ServerTLS(cert, key)
	if err != nil {
		return nil, err
	}
	fp, err := natswork.CertFingerprint(cert)
	if err != nil {
		return nil, err
	}
	a.log.Info("the embedded NATS server speaks TLS: workers connect with --nats tls://HOST:PORT and --nats-ca CERT or --nats-pin SHA256",
		"cert", cert, "sha256", fp)
	return tc, nil
}

// certHosts are the names and addresses a self-signed certificate covers:
// this machine's name and addresses, loopback, and the listen host.
func certHosts(listenHost string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	if ip := net.ParseIP(listenHost); ip == nil && listenHost != "" {
		hosts = append(hosts, listenHost)
	} else if ip != nil && !ip.IsUnspecified() {
		hosts = append(hosts, listenHost)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, ad := range addrs {
			if ipn, ok := ad.(*net.IPNet); ok && !ipn.IP.IsLoopback() {
				hosts = append(hosts, ipn.IP.String())
			}
		}
	}
	return hosts
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

// startCPUProfile profiles this process into path until stop is called
// (serve --cpu-profile, for make bench-scale).
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
