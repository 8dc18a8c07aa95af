package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/adminsock"
	"github.com/hashwatch/hashwatch/database"
	"github.com/spf13/cobra"
)

// The CLI beside the server. bbolt's lock keeps every other process out of
// a database that serve (or a crawl) holds, so the holder listens on a
// socket beside the file (package adminsock) and runs other hashwatch
// commands itself: the client sends its command line, working directory,
// the environment variables below and its own stdin, stdout and stderr,
// and the holder runs the very same command tree against the database it
// has open, writing to the client's terminal or pipe, and answers with the
// exit status. Output, exit codes and --json are therefore the same as on a
// closed database by construction; only what legitimately differs —
// bbolt's page allocation in a long-lived process, timestamps — can.

// holder is the process holding the database, as the commands it runs for
// clients see it.
type holder struct {
	db   *database.DB
	path string // the file, as the holder named it
	name string // what holds it: "serve", "crawl"
	pid  int
	// undoWindow is serve's --undo-window, which `alerts undo` run here
	// keeps to as the console does; zero (crawl) means the default.
	undoWindow time.Duration
}

// besideMode is how a command behaves while another process holds the
// database.
type besideMode int

const (
	unclassified besideMode = iota
	// runsHere: the command never opens the database (hash, eval, bench),
	// so it runs in its own process whatever holds the file.
	runsHere
	// runsInHolder: the command reads or writes the database, so it runs
	// inside the process holding it.
	runsInHolder
	// needsTheFile: the command must hold the database itself for as long
	// as it runs (serve, crawl); beside a holder it is refused with a
	// message naming it.
	needsTheFile
)

// besideModeOf classifies every command; TestEveryCommandIsClassified
// keeps a new command from being forgotten.
func besideModeOf(cmd *cobra.Command) besideMode {
	path := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	switch path {
	case "hash", "eval", "bench hash", "bench index", "bench video", "help", "worker", "key generate":
		return runsHere
	case "register", "import", "export", "match", "sites",
		"alerts list", "alerts show", "alerts confirm", "alerts dismiss", "alerts undo",
		"case list", "case withdraw", "case move", "case pin",
		"centre add", "centre list", "centre self-submit",
		"user add", "user list", "user token", "user lookups",
		"quarantine list", "quarantine release", "quarantine retire",
		"negative list", "negative add", "negative remove",
		"backup", "verify", "audit export":
		return runsInHolder
	case "serve", "crawl", "debug write-loop":
		return needsTheFile
	}
	return unclassified
}

// forwardedEnv are the environment variables a command's behaviour
// depends on, sent with a forwarded command line: the database default,
// the log level, the user the audit log names, the time zone of printed
// times.
var forwardedEnv = [...]string{envDB, envLogLevel, "USER", "TZ"}

// forwarded is the exit status of a command the holder ran for us; run
// exits with it without printing anything more.
type forwarded struct{ code int }

func (f forwarded) Error() string { return fmt.Sprintf("forwarded command exited %d", f.code) }

// beside runs before every command (the root's PersistentPreRunE). In a
// client, it hands a command that uses the database to the process holding
// it, if one answers on the socket; the returned forwarded error then
// carries the exit status. Inside the holder it refuses the commands that
// need the file for themselves.
func (a *app) beside(cmd *cobra.Command) error {
	mode := besideModeOf(cmd)
	if a.held != nil {
		if mode == needsTheFile {
			return a.refuseBeside(cmd)
		}
		// The socket checked the file the client meant; the command line
		// it sent must mean the same one.
		if same, err := sameFile(a.localPath(a.dbPath), a.held.path); err != nil || !same {
			return fmt.Errorf("%s is not %s, the database this process holds", a.dbPath, a.held.path)
		}
		return nil
	}
	if mode != runsInHolder && mode != needsTheFile {
		return nil
	}
	in, inOK := cmd.InOrStdin().(*os.File)
	out, outOK := a.stdout.(*os.File)
	errOut, errOK := a.stderr.(*os.File)
	if !inOK || !outOK || !errOK {
		return nil // not a process's own files: nothing to hand over
	}
	for _, f := range []*os.File{in, out, errOut} {
		if _, err := f.Stat(); err != nil {
			return nil // a closed standard file cannot be handed over
		}
	}
	db, err := filepath.Abs(a.dbPath)
	if err != nil {
		return nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	env := map[string]string{}
	for _, k := range forwardedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	code, err := adminsock.Forward(cmd.Context(), adminsock.Request{Args: a.args, Dir: wd, Env: env, DB: db, Stdin: in, Stdout: out, Stderr: errOut})
	switch {
	case errors.Is(err, adminsock.ErrNoServer):
		return nil // nobody answers: open the file here
	case err != nil:
		return fmt.Errorf("%s: %w", strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" "), err)
	}
	return forwarded{code}
}

// refuseBeside explains why serve or crawl cannot run beside the holder.
func (a *app) refuseBeside(cmd *cobra.Command) error {
	h := a.held
	what := fmt.Sprintf("%s: %s is held by hashwatch %s (PID %d), which runs other commands for the command line but not %s, which must hold the database itself",
		cmd.Name(), a.dbPath, h.name, h.pid, cmd.Name())
	switch {
	case cmd.Name() == "crawl" && h.name == "serve":
		return fmt.Errorf("%s; serve crawls every site on its interval: start a pass now on the console's Sites page (or POST /api/sites/NAME/pass), or stop serve to crawl from the command line", what)
	default:
		return fmt.Errorf("%s; stop PID %d first", what, h.pid)
	}
}

// answerCLI runs other hashwatch commands inside this process, which holds
// db, until the returned stop function is called (it lets commands in
// progress finish for a grace period, then cancels them). name says what
// holds the database, for messages; undoWindow is serve's --undo-window
// (zero elsewhere), for `alerts undo`. Without the socket (another system, a
// path too long for one) commands beside this process fail as "in use", as
// they always did, and the reason is logged.
func (a *app) answerCLI(ctx context.Context, db *database.DB, name string, undoWindow time.Duration) (stop func()) {
	h := &holder{db: db, path: a.localPath(a.dbPath), name: name, pid: os.Getpid(), undoWindow: undoWindow}
	log := a.log
	srv, err := adminsock.Listen(ctx, adminsock.Config{DB: a.dbPath, Log: log, Handle: func(ctx context.Context, r *adminsock.Request) int {
		return run(ctx, invocation{args: r.Args, stdin: r.Stdin, stdout: r.Stdout, stderr: r.Stderr,
			getenv: envOf(r.Env), dir: r.Dir, held: h})
	}})
	if err != nil {
		log.Warn("other hashwatch commands cannot reach this process while it holds the database, so they will report it in use", "err", err)
		return func() {}
	}
	log.Debug("answering the command line", "socket", srv.Path())
	return srv.Close
}

// envOf reads a forwarded environment.
func envOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}
