package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
)

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// clusterSite is the fixture site of the cluster tests: big enough that a
// pass is still running when a worker is killed.
func clusterSite(t *testing.T, galleryPages int) (*fixtures.Site, *httptest.Server) {
	t.Helper()
	fs, err := fixtures.NewSite(fixtures.SiteConfig{Hostile: true, Large: true, GalleryPages: galleryPages})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	return fs, srv
}

// clusterSiteUnique is the large fixture site with byte-distinct media,
// for throughput measurements.
func clusterSiteUnique(t *testing.T, galleryPages int) (*fixtures.Site, *httptest.Server) {
	t.Helper()
	fs, err := fixtures.NewSite(fixtures.SiteConfig{Large: true, GalleryPages: galleryPages, UniqueMedia: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	return fs, srv
}

func writeSites(t *testing.T, dir, url string) string {
	t.Helper()
	sites := filepath.Join(dir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allowed_domains: [127.0.0.1]\n    max_depth: 5\n    delay: 0s\n    parallelism: 4\n    allow_private: true\n    request_timeout: 3s\n    interval: 24h\n", url+"/")
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return sites
}

// sightings lists every (page path, media path) sighting of every alert in
// db, once per alert that has it, sorted.
func sightings(t *testing.T, db string) (alertCount int, all []string) {
	t.Helper()
	out, errOut, code := cli(t, db, "alerts", "list", "--json")
	if code != 0 {
		t.Fatalf("alerts list: exit %d: %s", code, errOut)
	}
	list := parseLines(t, out)
	for _, a := range list {
		out, _, code := cli(t, db, "alerts", "show", "--json", fmt.Sprint(a["id"]))
		if code != 0 {
			t.Fatalf("alerts show %v: exit %d", a["id"], code)
		}
		var full struct {
			Sightings []struct {
				PageURL  string `json:"page_url"`
				MediaURL string `json:"media_url"`
			} `json:"sightings"`
		}
		if err := json.Unmarshal([]byte(out), &full); err != nil {
			t.Fatal(err)
		}
		for _, s := range full.Sightings {
			all = append(all, fmt.Sprintf("%v %s %s", a["case"], path(t, s.PageURL), path(t, s.MediaURL)))
		}
	}
	sort.Strings(all)
	return len(list), all
}

// TestClusterCrawlSurvivesAWorkerKill runs serve with embedded NATS and no
// workers of its own, and two `hashwatch worker` processes; one is
// SIGKILLed mid-pass and restarted, then serve itself is SIGKILLed mid-pass
// and restarted while the workers wait. The alerts must be exactly the site's
// planted re-uploads, with no duplicate: the same alerts and sightings as
// a single-process `crawl --once` of the same site.
func TestClusterCrawlSurvivesKilledWorkersAndCoordinator(t *testing.T) {
	if testing.Short() {
		t.Skip("crawls a large fixture site with three processes")
	}
	fs, srv := clusterSite(t, 150)
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	known := filepath.Join("..", "..", "fixtures", "photos", "known")
	if _, errOut, code := cli(t, db, "register", "--case", "demo", known); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	if _, errOut, code := cliIn(t, db, "correct horse\n", "user", "add", "ana", "--role", "analyst"); code != 0 {
		t.Fatal(errOut)
	}
	token, _, _ := cli(t, db, "user", "token", "ana")
	token = strings.TrimSpace(token)
	sites := writeSites(t, dir, srv.URL)

	port := freePort(t)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", port)
	var serveErr strings.Builder
	var base string
	var serve *exec.Cmd
	var serveDone chan error
	startServe := func() {
		serve = exec.Command(binary, "--db", db, "serve", "--sites", sites, "--addr", "127.0.0.1:0",
			"--nats-listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0", "--nats-ack-wait", "3s")
		stdout, err := serve.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		serve.Stderr = &serveErr
		if err := serve.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		serveDone = done
		cmd := serve
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			t.Fatalf("serve printed no URL: %v\n%s", err, serveErr.String())
		}
		base = strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, "hashwatch console: ")), "/")
	}
	startServe()
	creds := filepath.Join(dir, "worker.creds")
	if st, err := os.Stat(creds); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("worker.creds: %v, mode %v", err, st)
	}

	worker := func(name string) *exec.Cmd {
		cmd := exec.Command(binary, "worker", "--nats", natsURL, "--creds", creds, "--parallel", "8", "--name", name)
		// HW_WORKER_LOGS=DIR keeps each worker's log there, for a stall
		// to be seen from the workers' side.
		if d := os.Getenv("HW_WORKER_LOGS"); d != "" {
			f, err := os.Create(filepath.Join(d, name+"-"+strconv.FormatInt(time.Now().UnixNano(), 10)+".log"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = f.Close() })
			cmd.Stderr, cmd.Stdout = f, f
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	w1 := worker("w1")
	worker("w2")

	passes := func() int {
		req, _ := http.NewRequest("GET", base+"/api/sites", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rows []struct {
			Status struct {
				Passes int `json:"passes"`
			} `json:"status"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil || len(rows) != 1 {
			t.Fatalf("/api/sites: %v %v", rows, err)
		}
		return rows[0].Status.Passes
	}

	// Kill w1 once the workers have fetched a good part of the site.
	deadline := time.Now().Add(2 * time.Minute)
	for len(fs.Requests()) < 150 {
		if time.Now().After(deadline) {
			t.Fatalf("the workers made %d requests in 2 minutes; serve: %s", len(fs.Requests()), serveErr.String())
		}
		<-time.After(10 * time.Millisecond)
	}
	if err := w1.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = w1.Wait()
	if passes() != 0 {
		t.Log("the pass finished before the worker was killed; the kill tested nothing")
	}
	worker("w1")

	// Then kill the coordinator itself, mid-pass, and start it again: the
	// workers wait for it, and the pass resumes from the frontier.
	killedAt := len(fs.Requests())
	deadline = time.Now().Add(2 * time.Minute)
	for len(fs.Requests()) < killedAt+150 {
		if time.Now().After(deadline) {
			t.Fatalf("no progress after the worker restart; serve: %s", serveErr.String())
		}
		<-time.After(10 * time.Millisecond)
	}
	if passes() != 0 {
		t.Log("the pass finished before the coordinator was killed; the kill tested nothing")
	}
	if err := serve.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-serveDone
	startServe()

	deadline = time.Now().Add(4 * time.Minute)
	for passes() < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no finished pass within 4 minutes; serve: %s", serveErr.String())
		}
		<-time.After(50 * time.Millisecond)
	}
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-serveDone:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, serveErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}

	// Against the ground truth: every planted re-upload, nothing else.
	n, got := sightings(t, db)
	want := map[string]bool{}
	for _, r := range fs.Truth() {
		want[r.Page+" "+r.Media] = true
	}
	gotSet := map[string]int{}
	for _, s := range got {
		_, pm, _ := strings.Cut(s, " ")
		gotSet[pm]++
	}
	for k := range want {
		if gotSet[k] == 0 {
			t.Errorf("missed re-upload: %s", k)
		}
	}
	for k := range gotSet {
		if !want[k] {
			t.Errorf("false alert: %s", k)
		}
	}
	// Against one process crawling the same site: the same alerts and the
	// same sightings, so nothing was recorded twice.
	ref := filepath.Join(dir, "ref.db")
	if _, errOut, code := cli(t, ref, "register", "--case", "demo", known); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	if out, errOut, code := cli(t, ref, "crawl", "--sites", sites, "--once"); code != 0 {
		t.Fatalf("reference crawl: exit %d\n%s\n%s", code, out, errOut)
	}
	refN, refGot := sightings(t, ref)
	if n != refN || strings.Join(got, "\n") != strings.Join(refGot, "\n") {
		a, _, _ := cli(t, db, "alerts", "list", "--json")
		b, _, _ := cli(t, ref, "alerts", "list", "--json")
		t.Errorf("cluster crawl: %d alerts, %d sightings; one process: %d alerts, %d sightings\ncluster:\n%s\none process:\n%s", n, len(got), refN, len(refGot), a, b)
	}
	out, _, _ := cli(t, db, "sites", "--json")
	st := siteStatuses(t, out)
	if len(st) != 1 || st[0]["parked"].(float64) != 0 {
		t.Fatalf("sites --json = %v, want nothing parked", st)
	}
	// The pass's totals too: results committed by the coordinator count
	// with their items' done marks, across the killed worker and the
	// killed coordinator alike.
	refOut, _, _ := cli(t, ref, "sites", "--json")
	refSt := siteStatuses(t, refOut)
	for _, k := range []string{"pages", "media", "matches", "new_alerts", "videos", "skipped", "robots_blocked", "errors"} {
		if len(refSt) == 1 && fmt.Sprint(st[0][k]) != fmt.Sprint(refSt[0][k]) {
			t.Errorf("sites --json %s = %v in the cluster, %v in one process", k, st[0][k], refSt[0][k])
		}
	}
	q, _ := st[0]["queue"].(map[string]any)
	workers, _ := q["workers"].([]any)
	if len(workers) == 0 {
		t.Errorf("sites --json queue = %v, want the workers listed", st[0]["queue"])
	}
	for _, w := range workers {
		if name := w.(map[string]any)["name"]; name != "w1" && name != "w2" {
			t.Errorf("unknown worker %v in sites --json", name)
		}
	}
	t.Logf("%d alerts, %d sightings, %d requests at the site", n, len(got), len(fs.Requests()))
}

// TestClusterFlagsAreChecked: a worker without credentials, and an
// embedded NATS server off loopback without --public, are usage errors.
func TestClusterFlagsAreChecked(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	sites := writeSites(t, dir, "http://127.0.0.1:9")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a worker needs credentials", []string{"worker", "--nats", "nats://127.0.0.1:4222"}, "--creds"},
		{"a worker needs a URL", []string{"worker", "--creds", sites}, "--nats"},
		{"a worker's credentials must exist", []string{"worker", "--nats", "nats://127.0.0.1:4222", "--creds", filepath.Join(dir, "nosuch.creds")}, "--creds"},
		{"workers off loopback need --public", []string{"serve", "--sites", sites, "--addr", "127.0.0.1:0", "--nats-listen", "0.0.0.0:4222"}, "--public"},
		{"a worker refuses plaintext to another machine", []string{"worker", "--nats", "nats://192.0.2.7:4222", "--creds", sites}, "--nats-insecure"},
		{"a certificate needs its key", []string{"serve", "--sites", sites, "--addr", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0", "--nats-tls-cert", sites}, "--nats-tls-key"},
		{"--workers cannot be negative", []string{"serve", "--sites", sites, "--addr", "127.0.0.1:0", "--workers", "-1"}, "--workers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := cli(t, db, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d naming %s", code, errOut, exitUsage, tc.want)
			}
		})
	}
}

// siteStatuses is each site's stored pass status in `sites --json`.
func siteStatuses(t *testing.T, out string) []map[string]any {
	t.Helper()
	var st []map[string]any
	for _, row := range parseLines(t, out) {
		s, ok := row["status"].(map[string]any)
		if !ok {
			t.Fatalf("sites --json line without a status: %v", row)
		}
		st = append(st, s)
	}
	return st
}
