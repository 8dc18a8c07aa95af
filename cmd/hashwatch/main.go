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
)

// usageError marks a mistake in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errSomeFailed reports that some inputs failed; each was already reported.
var errSomeFailed = errors.New("some inputs failed")

// app carries what every command needs; main fills it from flags and the
// environment, so no package reads either.
type app struct {
	dbPath  string
	verbose bool
	stdout  io.Writer
	stderr  io.Writer
	log     *slog.Logger
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errSomeFailed):
		return exitFailed
	case errors.As(err, new(usageError)), strings.HasPrefix(err.Error(), "unknown command"):
		// cobra reports unknown subcommands as a plain error.
		fmt.Fprintf(stderr, "hashwatch: %v\nRun 'hashwatch --help' for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "hashwatch: %v\n", err)
		return exitFailed
	}
}

func (a *app) rootCommand() *cobra.Command {
	dbDefault := os.Getenv(envDB)
	if dbDefault == "" {
		dbDefault = defaultDB
	}
	root := &cobra.Command{
		Use:   "hashwatch",
		Short: "Find re-uploads of victims' images on watched websites",
		Long: `hashwatch registers perceptual fingerprints of a victim's known images under a case
(never the images themselves), crawls watched websites, and raises an alert for
every image that matches, for operators to review and take down.

The database is ./hashwatch.db unless --db or $HASHWATCH_DB says otherwise.
Exit status: 0 ok, 1 some inputs failed, 2 usage error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			level := slog.LevelInfo
			if a.verbose || os.Getenv(envLogLevel) == "debug" {
				level = slog.LevelDebug
			}
			a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
		},
	}
	root.PersistentFlags().StringVar(&a.dbPath, "db", dbDefault, "database file (env "+envDB+")")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "log debug detail to stderr")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		a.registerCommand(),
		a.hashCommand(),
		a.matchCommand(),
		a.crawlCommand(),
		a.sitesCommand(),
		a.alertsCommand(),
		a.caseCommand(),
		a.evalCommand(),
		a.importCommand(), a.exportCommand(), a.benchCommand(),
		a.backupCommand(), a.verifyCommand(),
		a.userCommand(), a.serveCommand(), a.workerCommand(),
		a.quarantineCommand(), a.negativeCommand(),
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
