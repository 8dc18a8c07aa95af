package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuSeconds is the user+system CPU time of process pid so far (Linux).
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) in brackets.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// loadAvg is the machine's 1-minute load average, for judging a run on a
// shared machine.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

// siteParallelism is the measured site's parallelism: the most
// sites.yaml allows, so that politeness is not what is measured.
const siteParallelism = 64

// finishedPass is the one site's status in `sites --json` output once it
// counts a finished pass; a site not crawled yet may have no status.
func finishedPass(t *testing.T, out string) (map[string]any, bool) {
	t.Helper()
	rows := parseLines(t, out)
	if len(rows) != 1 {
		return nil, false
	}
	st, ok := rows[0]["status"].(map[string]any)
	return st, ok && fmt.Sprint(st["passes"]) == "1"
}

// scaleRun is one measured pass of TestMeasureClusterThroughput.
type scaleRun struct {
	workers     int
	visited     bool
	media       float64 // media items done
	hashed      float64 // media fingerprinted
	pages       float64
	secs        float64 // the pass, start to end
	coordCPU    float64 // serve's CPU during the pass
	workerCPU   []float64
	workerRes   []float64 // results each worker returned (pages and media)
	natsMsgs    float64   // messages into the embedded NATS server
	natsBytes   float64
	commits     float64 // bbolt write transactions of serve's whole run
	pagesOut    float64 // bbolt pages serve wrote
	batches     string  // results per batch workers sent (protocol 5)
	linksOut    string  // links workers left out as visited, of all links
	load        string
	newAlerts   any
	cores       string
	profileText string
}

func (r scaleRun) rate() float64 { return r.hashed / r.secs }

// TestMeasureClusterThroughput is make bench-scale: on the large fixture
// site with byte-distinct media (every file must be fingerprinted), media
// fingerprinted per second by `serve --workers 0` with 1 and then 2
// external workers, each pinned with taskset to a core of its own, their
// ratio, the coordinator's CPU per 1,000 media and per 1,000 pages, and
// per 1,000 pages the messages into its NATS server and its bbolt commits
// and pages written (from serve's log at exit: "NATS totals", "bbolt
// totals"), and the results per batch workers sent ("result batches");
// the turns and leases of slots the gate granted ("gate") are logged.
// It runs only when HASHWATCH_MEASURE_CLUSTER is set (to the number of
// gallery pages, three images each: 2000 is the 2,000-page site)
// and asserts nothing about the figures.
//
// On a machine with 4 or more cores the workers get the last two and
// serve and the fixture site the others; on fewer, the workers get cores
// 0 and 1 and share them. Each worker's CPU per medium and its share of
// its core are printed beside the rates, so a run on a loaded machine can
// still be judged: a worker below about 90 % of its core was held up by
// something else (the coordinator, the machine's other jobs), and what a
// worker core can do is 1 / (CPU per medium) whatever the load.
//
// Politeness is lifted (site parallelism 64, no delay) and
// each worker keeps HASHWATCH_MEASURE_PARALLEL jobs in hand (default
// 32): the fixture's pictures are small, and a worker with too few jobs
// waits on round trips rather than using its core.
//
// HASHWATCH_MEASURE_VISITED=both runs each also without the visited
// bucket (serve --no-visited-kv), for its effect on the coordinator's CPU
// and messages per 1,000 pages; =off only without. HASHWATCH_MEASURE_PROFILE=DIR
// keeps serve's CPU profile of each run there and prints its top entries.
func TestMeasureClusterThroughput(t *testing.T) {
	pagesEnv := os.Getenv("HASHWATCH_MEASURE_CLUSTER")
	if pagesEnv == "" {
		t.Skip("set HASHWATCH_MEASURE_CLUSTER=GALLERY_PAGES to measure (make bench-scale)")
	}
	gallery, err := strconv.Atoi(pagesEnv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("needs taskset")
	}
	modes := []bool{true}
	switch os.Getenv("HASHWATCH_MEASURE_VISITED") {
	case "both":
		modes = []bool{true, false}
	case "off":
		modes = []bool{false}
	}
	profDir := os.Getenv("HASHWATCH_MEASURE_PROFILE")
	if profDir != "" {
		if err := os.MkdirAll(profDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	parallel := 32
	if p := os.Getenv("HASHWATCH_MEASURE_PARALLEL"); p != "" {
		if parallel, err = strconv.Atoi(p); err != nil || parallel < 1 {
			t.Fatalf("HASHWATCH_MEASURE_PARALLEL=%q: want a number of jobs", p)
		}
	}
	n := runtime.NumCPU()
	workerCores := []string{"0", "1"}
	serveCores := ""
	if n >= 4 {
		workerCores = []string{strconv.Itoa(n - 1), strconv.Itoa(n - 2)}
		serveCores = fmt.Sprintf("0-%d", n-3)
		// This process serves the fixture site: keep it off the workers'
		// cores too.
		if out, err := exec.Command("taskset", "-a", "-p", "-c", serveCores, strconv.Itoa(os.Getpid())).CombinedOutput(); err != nil {
			t.Logf("could not pin the fixture site to %s: %v %s", serveCores, err, out)
		}
	}
	var runs []scaleRun
	for _, visited := range modes {
		for _, workers := range []int{1, 2} {
			name := fmt.Sprintf("%d workers, visited bucket %v", workers, visited)
			t.Run(name, func(t *testing.T) {
				r := measureScaleRun(t, gallery, workers, parallel, visited, workerCores[:workers], serveCores, profDir)
				runs = append(runs, r)
			})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nscaling on %d gallery pages (%d CPUs; workers on cores %s with --parallel %d, serve and the site on %s; site parallelism %d)\n", gallery, n,
		strings.Join(workerCores, ","), parallel, map[bool]string{true: "any core", false: serveCores}[serveCores == ""], siteParallelism)
	fmt.Fprintf(&b, "%-8s %-7s %7s %7s %6s %8s | %-13s %-13s | %s | %s | %s | %s | %s\n", "bucket", "workers", "media", "pages", "s", "media/s",
		"coord s/1k media", "coord s/1k pages", "worker CPU per medium, share of its core", "NATS msgs / KB in per 1k pages", "bbolt commits / pages written per 1k pages", "results per batch", "links left out as visited")
	rates := map[bool]map[int]float64{}
	for _, r := range runs {
		var per []string
		for i, c := range r.workerCPU {
			share := 0.0
			if r.secs > 0 {
				share = c / r.secs
			}
			// A worker's media: its share of the results, times the media.
			perMedium := 0.0
			total := 0.0
			for _, x := range r.workerRes {
				total += x
			}
			if total > 0 && r.media > 0 {
				perMedium = 1000 * c / (r.media * r.workerRes[i] / total)
			}
			per = append(per, fmt.Sprintf("w%d %.1f ms, %.0f%%", i+1, perMedium, 100*share))
		}
		fmt.Fprintf(&b, "%-8v %-7d %7.0f %7.0f %6.1f %8.1f | %-16.2f %-16.2f | %s | %.0f / %.0f | %.0f / %.0f | %s | %s   (load %s; new alerts %v)\n",
			r.visited, r.workers, r.hashed, r.pages, r.secs, r.rate(), 1000*r.coordCPU/r.media, 1000*r.coordCPU/r.pages,
			strings.Join(per, "; "), 1000*r.natsMsgs/r.pages, 1000*r.natsBytes/r.pages, 1000*r.commits/r.pages, 1000*r.pagesOut/r.pages,
			r.batches, r.linksOut, r.load, r.newAlerts)
		if rates[r.visited] == nil {
			rates[r.visited] = map[int]float64{}
		}
		rates[r.visited][r.workers] = r.rate()
	}
	for _, visited := range modes {
		if one, two := rates[visited][1], rates[visited][2]; one > 0 && two > 0 {
			fmt.Fprintf(&b, "visited bucket %v: 2 workers / 1 worker = %.1f / %.1f media/s = %.2f× (target ≥ 1.8×)\n", visited, two, one, two/one)
		}
	}
	for _, r := range runs {
		if r.profileText != "" {
			fmt.Fprintf(&b, "\nserve's CPU profile, %d worker(s), visited bucket %v:\n%s", r.workers, r.visited, r.profileText)
		}
	}
	t.Log(b.String())
}

// measureScaleRun crawls a fresh copy of the site once with serve and
// workers external workers, and reads what it cost.
func measureScaleRun(t *testing.T, gallery, workers, parallel int, visited bool, workerCores []string, serveCores, profDir string) scaleRun {
	r := scaleRun{workers: workers, visited: visited}
	_, srv := clusterSiteUnique(t, gallery)
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	known := filepath.Join("..", "..", "fixtures", "photos", "known")
	if _, errOut, code := cli(t, db, "register", "--case", "demo", known); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	// Politeness is not what is measured: the site lets every worker's
	// jobs fetch at once, so that a worker is bound by its core.
	sites := filepath.Join(dir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allowed_domains: [127.0.0.1]\n    max_depth: 5\n    delay: 0s\n    parallelism: %d\n    allow_private: true\n    request_timeout: 10s\n    interval: 24h\n", srv.URL+"/", siteParallelism)
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args := []string{"--db", db, "serve", "--sites", sites, "--addr", "127.0.0.1:0",
		"--nats-listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0"}
	if !visited {
		args = append(args, "--no-visited-kv")
	}
	profile := ""
	if profDir != "" {
		profile = filepath.Join(profDir, fmt.Sprintf("serve-%dw-visited-%v.pprof", workers, visited))
		args = append(args, "--cpu-profile", profile)
	}
	var serve *exec.Cmd
	if serveCores != "" {
		serve = exec.Command("taskset", append([]string{"-c", serveCores, binary}, args...)...)
	} else {
		serve = exec.Command(binary, args...)
	}
	stdout, _ := serve.StdoutPipe()
	var serveErr strings.Builder
	serve.Stderr = &serveErr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		_ = serve.Wait()
		t.Fatalf("serve printed no URL: %v\n%s", err, serveErr.String())
	}
	r.load = loadAvg()
	cpu0 := cpuSeconds(t, serve.Process.Pid)
	var ws []*exec.Cmd
	for i := range workers {
		w := exec.Command("taskset", "-c", workerCores[i], binary, "worker", "--nats", fmt.Sprintf("nats://127.0.0.1:%d", port),
			"--creds", filepath.Join(dir, "worker.creds"), "--parallel", strconv.Itoa(parallel), "--name", fmt.Sprintf("w%d", i+1))
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		defer w.Process.Kill()
		ws = append(ws, w)
	}
	r.cores = strings.Join(workerCores, ",")
	// The pass is over when the site's status (read beside the running
	// server) counts it.
	deadline := time.Now().Add(2 * time.Hour)
	var st map[string]any
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no finished pass within 2 hours\n%s", serveErr.String())
		}
		out, _, code := cli(t, db, "sites", "--json")
		if code == 0 {
			if s, ok := finishedPass(t, out); ok {
				st = s
				break
			}
		}
		<-time.After(500 * time.Millisecond)
	}
	r.coordCPU = cpuSeconds(t, serve.Process.Pid) - cpu0
	for _, w := range ws {
		r.workerCPU = append(r.workerCPU, cpuSeconds(t, w.Process.Pid))
	}
	r.load += " → " + loadAvg()
	_ = serve.Process.Signal(syscall.SIGTERM)
	_ = serve.Wait()

	start, _ := time.Parse(time.RFC3339Nano, st["pass_start"].(string))
	end, _ := time.Parse(time.RFC3339Nano, st["pass_end"].(string))
	r.secs = end.Sub(start).Seconds()
	r.hashed, _ = st["hashed"].(float64)
	r.media, _ = st["media"].(float64)
	r.pages, _ = st["pages"].(float64)
	r.newAlerts = st["new_alerts"]
	q, _ := st["queue"].(map[string]any)
	byName := map[string]float64{}
	if list, ok := q["workers"].([]any); ok {
		for _, w := range list {
			m := w.(map[string]any)
			byName[fmt.Sprint(m["name"])], _ = m["results"].(float64)
		}
	}
	for i := range workers {
		r.workerRes = append(r.workerRes, byName[fmt.Sprintf("w%d", i+1)])
	}
	log := serveErr.String()
	if m := regexp.MustCompile(`NATS totals.*?in_msgs=(\d+) in_bytes=(\d+)`).FindStringSubmatch(log); m != nil {
		r.natsMsgs, _ = strconv.ParseFloat(m[1], 64)
		r.natsBytes, _ = strconv.ParseFloat(m[2], 64)
		r.natsBytes /= 1000
	}
	if m := regexp.MustCompile(`bbolt totals.*?commits=(\d+) pages_written=(\d+)`).FindStringSubmatch(log); m != nil {
		r.commits, _ = strconv.ParseFloat(m[1], 64)
		r.pagesOut, _ = strconv.ParseFloat(m[2], 64)
	}
	r.batches = "-"
	if m := regexp.MustCompile(`result batches.*?batches=(\d+) results=(\d+)`).FindStringSubmatch(log); m != nil {
		b, _ := strconv.ParseFloat(m[1], 64)
		n, _ := strconv.ParseFloat(m[2], 64)
		if b > 0 {
			r.batches = fmt.Sprintf("%.1f", n/b)
		}
	}
	gate := "-"
	if m := regexp.MustCompile(`gate.*?turns=(\d+) leases=(\d+) slots_leased=(\d+)`).FindStringSubmatch(log); m != nil {
		gate = fmt.Sprintf("%s turns, %s leases of %s slots", m[1], m[2], m[3])
	}
	r.linksOut = "-"
	if m := regexp.MustCompile(`links=(\d+) links_left_out_as_visited=(\d+)`).FindStringSubmatch(log); m != nil {
		r.linksOut = m[2] + " of " + m[1]
	}
	if profile != "" {
		if out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=45", binary, profile).CombinedOutput(); err == nil {
			r.profileText = string(out)
		} else {
			t.Logf("go tool pprof: %v\n%s", err, out)
		}
	}
	t.Logf("%d worker(s), visited bucket %v: %.0f media (%.0f hashed), %.0f pages in %.1f s = %.1f media hashed/s; coordinator CPU %.2f s = %.2f s per 1,000 media; workers' CPU %v s; results by worker %v; gate %s; load %s",
		workers, visited, r.media, r.hashed, r.pages, r.secs, r.rate(), r.coordCPU, 1000*r.coordCPU/r.media, r.workerCPU, r.workerRes, gate, r.load)
	return r
}
