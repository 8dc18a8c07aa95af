package natswork

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Stream, consumer and subject names.
const (
	workStream     = "HW_WORK"
	resultStream   = "HW_RESULTS"
	workConsumer   = "workers"
	resultConsumer = "coordinator"
	workSubjects   = "hw.work.>"
	resultSubjects = "hw.results.>"
	centralLookup  = "hw.central.lookup"
	centralMatch   = "hw.central.match"
	// centralResult takes protocol 3 workers' results (request/reply to
	// the coordinator instead of the result stream).
	centralResult = "hw.central.result"
)

// workerPermissions is all a worker identity may do: pull and ack jobs of
// the work stream's shared consumer, publish results, ask the
// coordinator's Central questions, watch (never write) the visited
// bucket, and receive the replies.
func workerPermissions() *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.CONSUMER.MSG.NEXT." + workStream + "." + workConsumer,
			"$JS.API.CONSUMER.INFO." + workStream + "." + workConsumer,
			"$JS.ACK." + workStream + "." + workConsumer + ".>",
			resultSubjects,
			"hw.central.>",
			"hw.gate.>",
			// Watching the visited bucket (read only): an ordered
			// consumer of its stream, its flow control.
			"$JS.API.STREAM.INFO.KV_" + visitedBucket,
			"$JS.API.CONSUMER.CREATE.KV_" + visitedBucket,
			"$JS.API.CONSUMER.CREATE.KV_" + visitedBucket + ".>",
			"$JS.API.CONSUMER.DELETE.KV_" + visitedBucket + ".>",
			"$JS.FC.KV_" + visitedBucket + ".>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
}

// EmbeddedConfig configures the NATS server serve embeds.
type EmbeddedConfig struct {
	// StoreDir holds JetStream's files (beside the database: DB.nats).
	StoreDir string
	// Listen is where workers on other machines connect (HOST:PORT; port
	// 0 picks a free one).
	Listen string
	// CredsFile is the worker identity's seed file (worker.creds beside
	// the database); it is written, mode 0600, when missing.
	CredsFile string
	// TLS, when set, makes the listener speak TLS only (ServerTLS); the
	// coordinator's and in-process workers' connections stay in process.
	TLS    *tls.Config
	Logger *slog.Logger
}

// Embedded is a running embedded NATS server with JetStream.
type Embedded struct {
	Server *server.Server
	// coordinator is this process's own identity, made fresh at each
	// start and never written anywhere.
	coordinator nkeys.KeyPair
}

// StartEmbedded starts a NATS server with JetStream for one coordinator,
// with two identities: the coordinator's (in memory) and the workers'
// (cfg.CredsFile, created when missing).
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	worker, err := loadOrCreateCreds(cfg.CredsFile)
	if err != nil {
		return nil, err
	}
	workerPub, err := worker.PublicKey()
	if err != nil {
		return nil, err
	}
	coord, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("coordinator identity: %w", err)
	}
	coordPub, err := coord.PublicKey()
	if err != nil {
		return nil, err
	}
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("NATS listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("NATS listen address %q: bad port", cfg.Listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: "hashwatch",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		NoSigs:     true,
		TLSConfig:  cfg.TLS,
		// Jobs carry a site's configuration, results a page's links and a
		// video's frame hashes: well under NATS's default 1 MiB payload.
		Nkeys: []*server.NkeyUser{
			{Nkey: coordPub},
			{Nkey: workerPub, Permissions: workerPermissions()},
		},
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	if cfg.Logger != nil {
		ns.SetLoggerV2(&natsLogger{log: cfg.Logger.With("component", "nats")}, false, false, false)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded NATS server: not ready after 30 s")
	}
	return &Embedded{Server: ns, coordinator: coord}, nil
}

// ClientURL is the URL workers connect to.
func (e *Embedded) ClientURL() string { return e.Server.ClientURL() }

// Connect opens the coordinator's own connection, in process.
func (e *Embedded) Connect(name string) (*nats.Conn, error) {
	pub, _ := e.coordinator.PublicKey()
	return nats.Connect("", nats.InProcessServer(e.Server), nats.Name(name),
		nats.Nkey(pub, e.coordinator.Sign), nats.MaxReconnects(-1))
}

// Shutdown stops the server and waits for it.
func (e *Embedded) Shutdown() {
	e.Server.Shutdown()
	e.Server.WaitForShutdown()
}

// loadOrCreateCreds reads the worker seed file, or writes a new one (mode
// 0600) when there is none.
func loadOrCreateCreds(path string) (nkeys.KeyPair, error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		kp, err := nkeys.ParseDecoratedNKey(data)
		if err != nil {
			return nil, fmt.Errorf("worker credentials %s: %w", path, err)
		}
		return kp, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("worker credentials: %w", err)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("worker credentials: %w", err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	content := fmt.Sprintf(`# hashwatch crawl worker credentials (an NATS user nkey seed) for the
# coordinator whose database sits beside this file. Copy it to worker
# machines with mode 0600:
#   hashwatch worker --nats nats://COORDINATOR:4222 --creds worker.creds
# It lets a worker pull crawl jobs and submit results, nothing else.

-----BEGIN USER NKEY SEED-----
%s
------END USER NKEY SEED------
`, seed)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write worker credentials: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return nil, fmt.Errorf("write worker credentials: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write worker credentials: %w", err)
	}
	return kp, nil
}

// natsLogger sends the embedded server's log to slog.
type natsLogger struct{ log *slog.Logger }

func (l *natsLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Debugf(format string, v ...any)  {}
func (l *natsLogger) Tracef(format string, v ...any)  {}

// ConnectWorker opens an in-process connection with the worker identity
// of credsFile, for serve's own workers: they are held to exactly the
// permissions of workers elsewhere.
func (e *Embedded) ConnectWorker(name, credsFile string) (*nats.Conn, error) {
	o, err := nats.NkeyOptionFromSeed(credsFile)
	if err != nil {
		return nil, fmt.Errorf("worker credentials %s: %w", credsFile, err)
	}
	return nats.Connect("", nats.InProcessServer(e.Server), nats.Name(name), o, nats.MaxReconnects(-1))
}
