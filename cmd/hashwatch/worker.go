package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/natswork"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// defaultWorkerParallel is how many jobs a worker has in hand at once:
// most of a job is waiting (for the site's polite turn, the response, the
// coordinator), and hashing never runs on more goroutines than CPUs.
const defaultWorkerParallel = 16

func (a *app) workerCommand() *cobra.Command {
	var cc natswork.ConnectConfig
	var parallel, parkAfter int
	var vcfg video.Config
	cmd := &cobra.Command{
		Use:   "worker --nats URL --creds FILE [--parallel N]",
		Short: "Crawl for a coordinator (hashwatch serve) on this machine",
		Long: `worker takes crawl jobs from a coordinator's NATS JetStream work queue: it fetches
pages and media, discovers links, fingerprints images (and videos, with ffmpeg) and
sends back what it found. It holds no database and never sends media bytes; matching
stays at the coordinator. It may be killed at any moment: a job it held is given to
another worker after the ack wait. It waits, reconnecting, while the coordinator
restarts.

--creds is required: the worker.creds file serve writes beside its database (or
credentials for your own NATS cluster). Off loopback the connection must be TLS:
tls:// with --nats-ca (a CA, or serve's self-signed nats-tls-cert.pem) or --nats-pin
(the certificate's SHA-256 fingerprint serve logs); a certificate that does not
verify stops the worker at once. --parallel is how many jobs it works on at
once (hashing uses at most one goroutine per CPU).`,
		Example: `  hashwatch worker --nats nats://127.0.0.1:4222 --creds worker.creds  # serve on this machine
  hashwatch worker --nats tls://nats.example:4222 --creds worker.creds --nats-ca ca.pem --parallel 32
  hashwatch worker --nats tls://coordinator.example:4222 --creds worker.creds --nats-pin 3F:A2:…  # serve's self-signed certificate`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cc.URL == "" {
				return usagef("worker: --nats URL is required")
			}
			if cc.Creds == "" {
				return usagef("worker: --creds FILE is required (serve writes worker.creds beside its database)")
			}
			if _, err := os.Stat(cc.Creds); err != nil {
				return usagef("worker: --creds: %v", err)
			}
			if parallel < 1 {
				return usagef("worker: --parallel must be at least 1")
			}
			host, _ := os.Hostname()
			if cc.Name == "" {
				cc.Name = fmt.Sprintf("%s/%d", host, os.Getpid())
			}
			cc.Logger = a.log
			nc, err := natswork.Connect(cc)
			if errors.Is(err, natswork.ErrPlaintext) {
				return usagef("worker: %v", err)
			}
			if err != nil {
				return err
			}
			defer nc.Close()
			vh := video.New(vcfg)
			if _, err := vh.FFmpeg(); err != nil {
				a.log.Warn("this worker fingerprints pictures only; video jobs fail", "err", err)
				vh = nil
			}
			w := &crawler.Worker{Video: vh, Logger: a.log, Gate: natswork.GateTransport(nc, parallel)}
			defer w.Close()
			a.log.Info("crawl worker started", "nats", cc.URL, "name", cc.Name, "parallel", parallel)
			return natswork.RunWorker(cmd.Context(), natswork.WorkerConfig{Conn: nc, Name: cc.Name, Parallel: parallel,
				Worker: w, ParkAfter: parkAfter, Logger: a.log})
		},
	}
	f := cmd.Flags()
	f.StringVar(&cc.URL, "nats", "", "the coordinator's NATS URL (nats:// or tls://)")
	f.StringVar(&cc.Creds, "creds", "", "credentials file (required: serve's worker.creds, or a .creds file of your cluster)")
	f.StringVar(&cc.CA, "nats-ca", "", "CA certificate (PEM) for a tls:// server (serve's self-signed nats-tls-cert.pem works too)")
	f.StringVar(&cc.Pin, "nats-pin", "", "SHA-256 fingerprint of the server's TLS certificate, as serve logs it (instead of or beside --nats-ca)")
	f.BoolVar(&cc.Insecure, "nats-insecure", false, "allow plain nats:// to a server off loopback (behind a TLS tunnel of your own)")
	f.StringVar(&cc.Name, "name", "", "this worker's name in the coordinator's metrics (default host/pid)")
	f.IntVar(&parallel, "parallel", defaultWorkerParallel, "jobs in hand at once")
	f.IntVar(&parkAfter, "park-after", natswork.DefaultParkAfter, "deliveries without a result after which a job is parked (as serve's --park-after)")
	videoFlags(cmd, &vcfg)
	return cmd
}
