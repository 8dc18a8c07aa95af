// Command fixture-site serves the fixtures package's test website on the
// loopback interface, so the hashwatch crawler (or a person with a
// browser) can be pointed at a site whose correct alerts are known.
//
// Usage:
//
//	go run ./cmd/fixture-site [--addr 127.0.0.1:0] [--pages N] [--hostile] [--url-file FILE] [--truth FILE]
//
// It prints "fixture site listening on http://127.0.0.1:PORT" once the
// listener is bound. With --truth it first writes the ground truth, one
// JSON object per line (fields page, media, original, edit, ref, depth;
// see fixtures.Reupload). With --url-file it then writes the base URL to
// FILE, atomically and only after the listener is bound, so scripts can
// wait for the file to appear and then start crawling. SIGINT or SIGTERM
// shut the server down cleanly, cancelling requests still in progress.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		// The flag set has printed the usage.
	case err != nil:
		slog.Error("fixture-site failed", "err", err)
		os.Exit(1)
	}
}

// run serves the site until ctx is done. It is main without the process
// globals, so tests can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fixture-site", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `address` to listen on; port 0 picks a free one")
	pages := fs.Int("pages", fixtures.DefaultPages, "number of content `pages`")
	hostile := fs.Bool("hostile", false, "also serve routes that try to break a crawler (see /hostile.html)")
	control := fs.Bool("control", false, "serve POST /_control/remove?path=P[&status=404|410] and /_control/restore?path=P, which take media down and put it back")
	urlFile := fs.String("url-file", "", "write the base URL to `file` once listening")
	truthFile := fs.String("truth", "", "write the ground truth as JSON lines to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	site, err := fixtures.NewSite(fixtures.SiteConfig{Pages: *pages, Hostile: *hostile, Control: *control})
	if err != nil {
		return err
	}
	defer site.Close()
	if *truthFile != "" {
		if err := writeAtomically(*truthFile, truthLines(site.Truth())); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{
		Handler:           site,
		ReadHeaderTimeout: 10 * time.Second,
		// Requests inherit ctx, so the slow hostile routes let go as soon
		// as shutdown begins.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	// The file first, so that whoever reads the announcement finds it.
	if *urlFile != "" {
		if err := writeAtomically(*urlFile, []byte(url+"\n")); err != nil {
			srv.Close()
			return err
		}
	}
	fmt.Fprintf(stdout, "fixture site listening on %s\n", url)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	site.Close()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	logger.Info("fixture site stopped", "requests", len(site.Requests()))
	return nil
}

// checkLoopback refuses addresses other than loopback ones: the site
// serves deliberately hostile content and has no business on a network.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %s: want a loopback address such as 127.0.0.1:0", addr)
	}
	return nil
}

// truthLines encodes the truth as JSON lines.
func truthLines(rows []fixtures.Reupload) []byte {
	var out []byte
	for _, r := range rows {
		line, _ := json.Marshal(r) // a struct of strings and ints always marshals
		out = append(out, line...)
		out = append(out, '\n')
	}
	return out
}

// writeAtomically writes data to a temporary file beside name and renames
// it into place, so a reader polling for name never sees it half written.
// A name that exists and is not a regular file (/dev/stdout, a FIFO, a
// symlink) is written in place instead, so that it is never replaced.
func writeAtomically(name string, data []byte) error {
	if fi, err := os.Lstat(name); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
