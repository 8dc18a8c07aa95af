// Command hashwatch finds re-uploads of victims' intimate images on watched
// websites so that they can be taken down. It registers fingerprints (never
// media) under cases, crawls sites, matches what it finds and keeps alerts
// for operators to review.
//
// Exit status: 0 when all went well, 1 when some inputs failed (the rest were
// still processed) or the command could not run, 2 for usage errors.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes, part of the CLI contract.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	defaultDB   = "hashwatch.db"
	envDB       = "HASHWATCH_DB"
	envLogLevel = "HASHWATCH_LOG"
	// defaultZone is where times are printed without --tz or $TZ: the
	// console's default, so both show the same clock.
	defaultZone = "Asia/Seoul"
)

// usageError marks a mistake in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errSomeFailed reports that some inputs failed; each was already reported.
var errSomeFailed = errors.New("some inputs failed")

// app carries what every command needs; main fills it from flags and the
// environment, so no package reads either. One app serves one command
// line: this process's own, or a client's that the process holding the
// database runs for it (beside.go).
type app struct {
	dbPath  string
	tz      string // --tz
	verbose bool
	// command is the running command's path ("alerts list").
	command string
	args    []string // the command line, for forwarding it
	stdout  io.Writer
	stderr  io.Writer
	log     *slog.Logger
	// getenv reads the invoker's environment.
	getenv func(string) string
	// dir is the invoker's working directory, which relative paths are
	// resolved against; "" means this process's own.
	dir string
	// loc is the deployment's time zone, for times printed for people:
	// --tz, else the invoker's $TZ, else defaultZone.
	loc *time.Location
	// held is set when the command runs inside the process that holds the
	// database, on a client's behalf.
	held *holder
}

// invocation is one command line and where it runs: main's own, or a
// client's forwarded over the database's socket.
type invocation struct {
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	dir            string
	held           *holder
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, invocation{args: os.Args[1:], stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, inv invocation) int {
	a := &app{args: inv.args, stdout: inv.stdout, stderr: inv.stderr, getenv: inv.getenv, dir: inv.dir, held: inv.held}
	root := a.rootCommand()
	root.SetArgs(inv.args)
	root.SetIn(inv.stdin)
	root.SetOut(inv.stdout)
	root.SetErr(inv.stderr)
	err := root.ExecuteContext(ctx)
	var fw forwarded
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fw):
		// The process holding the database ran it and printed everything.
		return fw.code
	case errors.Is(err, errSomeFailed):
		return exitFailed
	case errors.As(err, new(usageError)), strings.HasPrefix(err.Error(), "unknown command"):
		// cobra reports unknown subcommands as a plain error.
		fmt.Fprintf(inv.stderr, "hashwatch: %v\nRun 'hashwatch --help' for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(inv.stderr, "hashwatch: %v\n", err)
		return exitFailed
	}
}

func (a *app) rootCommand() *cobra.Command {
	dbDefault := a.getenv(envDB)
	if dbDefault == "" {
		dbDefault = defaultDB
	}
	root := &cobra.Command{
		Use:   "hashwatch",
		Short: "Find re-uploads of victims' images on watched websites",
		Long: `hashwatch registers perceptual fingerprints of a victim's known images under a case
(never the images themselves), crawls watched websites, and raises an alert for
every image that matches, for operators to review and take down.

The database is ./hashwatch.db unless --db or $HASHWATCH_DB says otherwise;
commands that read it refuse a path where there is none (register, import,
crawl, serve and user add create it). Times are printed in --tz, else $TZ,
else Asia/Seoul (the console's default), with the zone named.
While serve or a crawl holds it, commands that use it run inside that process,
through the socket beside the file (DB.sock), with the same output.
Exit status: 0 ok, 1 some inputs failed, 2 usage error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: a.logLevel()}))
			a.command = strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
			loc, err := a.zone()
			if err != nil {
				return err
			}
			a.loc = loc
			return a.beside(cmd)
		},
	}
	root.PersistentFlags().StringVar(&a.dbPath, "db", dbDefault, "database file (env "+envDB+")")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "log debug detail to stderr")
	root.PersistentFlags().StringVar(&a.tz, "tz", "", "time zone of printed times, e.g. Asia/Seoul or UTC (default $TZ, else "+defaultZone+")")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		a.registerCommand(),
		a.hashCommand(),
		a.matchCommand(),
		a.crawlCommand(),
		a.sitesCommand(),
		a.alertsCommand(),
		a.caseCommand(), a.centreCommand(),
		a.evalCommand(),
		a.importCommand(), a.exportCommand(), a.keyCommand(), a.benchCommand(),
		a.backupCommand(), a.verifyCommand(),
		a.userCommand(), a.serveCommand(), a.workerCommand(),
		a.quarantineCommand(), a.negativeCommand(),
		a.auditCommand(),
	)
	root.AddCommand(a.debugCommands()...)
	root.CompletionOptions.DisableDefaultCmd = true
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes argument-count errors usage errors, for every subcommand.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

// randomBytes are unpredictable enough to keep runs and media apart; they
// protect nothing.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return b
}

// zone is the time zone times are printed in: --tz, else $TZ (a zone
// name, or a zoneinfo file as ":/etc/localtime"), else defaultZone.
func (a *app) zone() (*time.Location, error) {
	name, from := a.tz, "--tz"
	if name == "" {
		name, from = strings.TrimPrefix(a.getenv("TZ"), ":"), "$TZ"
	}
	if name == "" {
		name = defaultZone
	}
	if strings.HasPrefix(name, "/") {
		data, err := os.ReadFile(name)
		if err == nil {
			var loc *time.Location
			if loc, err = time.LoadLocationFromTZData(name, data); err == nil {
				return loc, nil
			}
		}
		return nil, usagef("%s %s: %v", from, name, err)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, usagef("%s %q: unknown time zone (want a name such as Asia/Seoul or UTC)", from, name)
	}
	return loc, nil
}

// when writes t for people in the deployment's zone, naming the zone
// ("2026-12-06 16:00:00 KST").
func (a *app) when(t time.Time) string {
	return t.In(a.loc).Format("2006-01-02 15:04:05 MST")
}
