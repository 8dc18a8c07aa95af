package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
)

// start runs the command in the background and returns the base URL it
// announces and a channel with run's result.
func start(t *testing.T, ctx context.Context, args ...string) (string, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		err := run(ctx, args, pw, &stderr)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no announcement: %v (run returned %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	const prefix = "fixture site listening on "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("announcement %q lacks %q", line, prefix)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, prefix)), done
}

func TestRunServesTheSiteAndWritesItsFiles(t *testing.T) {
	dir := t.TempDir()
	urlFile, truthFile := filepath.Join(dir, "url"), filepath.Join(dir, "truth.jsonl")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	url, done := start(t, ctx, "--addr", "127.0.0.1:0", "--pages", "5", "--url-file", urlFile, "--truth", truthFile)

	t.Run("the URL file holds the announced URL", func(t *testing.T) {
		data, err := os.ReadFile(urlFile)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(data)); got != url {
			t.Errorf("URL file says %q, announced %q", got, url)
		}
	})
	t.Run("the truth file holds the site's truth as JSON lines", func(t *testing.T) {
		data, err := os.ReadFile(truthFile)
		if err != nil {
			t.Fatal(err)
		}
		var got []fixtures.Reupload
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var r fixtures.Reupload
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			got = append(got, r)
		}
		site, err := fixtures.NewSite(fixtures.SiteConfig{Pages: 5})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, site.Truth()) {
			t.Errorf("truth file differs from the site's truth")
		}
	})
	t.Run("the site answers on the URL", func(t *testing.T) {
		resp, err := http.Get(url + "/page/5.html")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run returned %v after cancellation", err)
	}
}

func TestRunShutsDownPromptlyDespiteAStalledRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	url, done := start(t, ctx, "--hostile")

	resp, err := http.Get(url + "/hostile/stall.jpg") // headers arrive, the body stalls
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	began := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run still running 10s after cancellation")
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"a non-loopback address is refused", []string{"--addr", "0.0.0.0:0"}},
		{"a public address is refused", []string{"--addr", "192.0.2.1:8080"}},
		{"an address without a port is refused", []string{"--addr", "127.0.0.1"}},
		{"too few pages are refused", []string{"--pages", "2"}},
		{"stray arguments are refused", []string{"extra"}},
		{"unknown flags are refused", []string{"--nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := run(t.Context(), tc.args, &out, &errOut); err == nil {
				t.Error("no error")
			}
			if out.Len() != 0 {
				t.Errorf("printed %q", out.String())
			}
		})
	}
}

func TestWriteAtomically(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, wantTarget string
	}{
		{"a new file is created", filepath.Join(dir, "new"), "old\n"},
		{"an existing file is replaced", target, "fresh\n"},
		{"a symlink is written through, not replaced", link, "fresh\nfresh\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := writeAtomically(tc.path, []byte("fresh\n")); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(tc.path); !strings.HasSuffix(string(got), "fresh\n") {
				t.Errorf("%s holds %q", tc.path, got)
			}
			if got, _ := os.ReadFile(target); string(got) != tc.wantTarget {
				t.Errorf("target holds %q, want %q", got, tc.wantTarget)
			}
		})
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v %v", fi, err)
	}
}
