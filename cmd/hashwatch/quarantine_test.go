package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/store"
)

// discJPEG is variant i of a dark disc on white (moved by a pixel, saved at
// JPEG quality 50+i): distinct files that all match the same registered
// disc by the default rule.
func discJPEG(t *testing.T, i int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 240))
	cx, cy := 120+(i%3)-1, 120+(i/3%3)-1
	for y := range 240 {
		for x := range 240 {
			c := color.RGBA{255, 255, 255, 255}
			if dx, dy := x-cx, y-cy; dx*dx+dy*dy <= 64*64 {
				c = color.RGBA{uint8(20 + i%50), 30, 40, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 50 + i%50}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestQuarantineAndNegativeBankCommands drives the CLI: a crawl with a
// flood limit of 3 holds the alerts of a fingerprint that matched 8 files,
// `quarantine list/release/retire` and `negative add/list/remove` act on
// them, and every decision is audited as cli:$USER.
func TestQuarantineAndNegativeBankCommands(t *testing.T) {
	const n = 8
	mux := http.NewServeMux()
	var page strings.Builder
	for i := range n {
		fmt.Fprintf(&page, `<img src="/img/%d.jpg">`, i)
		data := discJPEG(t, i)
		mux.HandleFunc(fmt.Sprintf("GET /img/%d.jpg", i), func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(data)
		})
	}
	html := "<html><body>" + page.String() + "</body></html>"
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, html)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	reg := filepath.Join(dir, "disc.jpg")
	if err := os.WriteFile(reg, discJPEG(t, 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := cli(t, db, "register", "--case", "hub", reg); code != 0 {
		t.Fatalf("register: %d %s", code, errOut)
	}
	sites := filepath.Join(dir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    max_depth: 2\n    delay: 0s\n    allow_private: true\n", srv.URL+"/")
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("USER", "tester")

	if _, errOut, code := cli(t, db, "crawl", "--sites", sites, "--once", "--flood-media", "-1"); code != exitUsage {
		t.Fatalf("a negative flood limit: exit %d, want %d (%s)", code, exitUsage, errOut)
	}
	out, errOut, code := cli(t, db, "crawl", "--sites", sites, "--once", "--json", "--flood-media", "3", "--flood-window", "1h")
	if code != 0 {
		t.Fatalf("crawl: %d %s", code, errOut)
	}
	pass := parseLines(t, out)[0]
	if pass["new_alerts"] != float64(n) || pass["quarantined"] != float64(n-3) || pass["suppressed"] != float64(0) {
		t.Fatalf("crawl --json: %v", pass)
	}
	if out, _, _ := cli(t, db, "alerts", "list", "--status", "new", "--json"); strings.TrimSpace(out) != "" {
		t.Fatalf("new alerts after the flood: %s", out)
	}
	out, _, code = cli(t, db, "quarantine", "list", "--json")
	lines := parseLines(t, out)
	if code != 0 || len(lines) != 1 || lines[0]["state"] != "quarantined" || lines[0]["case"] != "hub" {
		t.Fatalf("quarantine list: %d %v", code, lines)
	}
	hist := lines[0]["history"].(map[string]any)
	if hist["media"] != float64(n) || hist["held"] != float64(n) {
		t.Fatalf("history: %v", hist)
	}
	fp := fmt.Sprint(lines[0]["fingerprint"])
	if out, _, _ := cli(t, db, "quarantine", "list"); !strings.Contains(out, "fixture:8") {
		t.Errorf("quarantine list table: %s", out)
	}

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"quarantine", "retire", fp}, exitUsage},
		{[]string{"quarantine", "release", "x"}, exitUsage},
		{[]string{"quarantine", "release", "999"}, exitFailed},
		{[]string{"negative", "add", "1"}, exitUsage},
	} {
		if _, _, code := cli(t, db, tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.args, code, tc.code)
		}
	}
	if out, errOut, code := cli(t, db, "quarantine", "release", fp); code != 0 || !strings.Contains(out, "8 alert(s) to the queue") {
		t.Fatalf("release: %d %s %s", code, out, errOut)
	}
	if out, _, _ := cli(t, db, "alerts", "list", "--status", "new", "--json"); len(parseLines(t, out)) != n {
		t.Fatalf("new alerts after release: %s", out)
	}
	if _, _, code := cli(t, db, "quarantine", "release", fp); code != exitFailed {
		t.Errorf("releasing twice: exit %d", code)
	}
	if out, errOut, code := cli(t, db, "negative", "add", "1", "--reason", "a plain disc, not her"); code != 0 || !strings.Contains(out, "dismissed") {
		t.Fatalf("negative add: %d %s %s", code, out, errOut)
	}
	out, _, _ = cli(t, db, "negative", "list", "--json")
	if es := parseLines(t, out); len(es) != 1 || es[0]["alert_id"] != float64(1) || es[0]["pdq"] == "" || es[0]["added_by"] != "cli:tester" {
		t.Fatalf("negative list: %v", es)
	}
	if _, errOut, code := cli(t, db, "negative", "remove", "1"); code != 0 {
		t.Fatalf("negative remove: %d %s", code, errOut)
	}

	d, err := database.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, action := range []string{"quarantine.release", "negative.add", "negative.remove", "alert.dismiss"} {
		if log, _ := d.Store.AuditLog(store.AuditFilter{Action: action}); len(log) != 1 || log[0].User != "cli:tester" {
			t.Errorf("%s audit: %+v", action, log)
		}
	}
	if r, err := d.Verify(context.Background()); err != nil || !r.OK() {
		t.Errorf("verify: %+v %v", r.Problems, err)
	}
}
