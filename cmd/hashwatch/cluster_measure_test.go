package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// TestMeasureClusterThroughput measures, on the large fixture site with
// byte-distinct media (every file must be fingerprinted), media
// fingerprinted per second by `serve --workers 0` with 1 and with 2
// external workers, each pinned to its own core with taskset, and the
// coordinator's CPU per 1,000 media committed. It runs only when
// HASHWATCH_MEASURE_CLUSTER is set (to the number of gallery pages; three
// images each) and prints its figures; it asserts nothing about them.
func TestMeasureClusterThroughput(t *testing.T) {
	pagesEnv := os.Getenv("HASHWATCH_MEASURE_CLUSTER")
	if pagesEnv == "" {
		t.Skip("set HASHWATCH_MEASURE_CLUSTER=GALLERY_PAGES to measure")
	}
	gallery, err := strconv.Atoi(pagesEnv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("needs taskset")
	}
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			fs, srv := clusterSiteUnique(t, gallery)
			dir := t.TempDir()
			db := filepath.Join(dir, "hw.db")
			known := filepath.Join("..", "..", "fixtures", "photos", "known")
			if _, errOut, code := cli(t, db, "register", "--case", "demo", known); code != 0 {
				t.Fatalf("register: %s", errOut)
			}
			sites := writeSites(t, dir, srv.URL)
			port := freePort(t)
			serve := exec.Command(binary, "--db", db, "serve", "--sites", sites, "--addr", "127.0.0.1:0",
				"--nats-listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0")
			stdout, _ := serve.StdoutPipe()
			var serveErr strings.Builder
			serve.Stderr = &serveErr
			if err := serve.Start(); err != nil {
				t.Fatal(err)
			}
			defer serve.Process.Kill()
			if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			var ws []*exec.Cmd
			for i := range workers {
				w := exec.Command("taskset", "-c", strconv.Itoa(i), binary, "worker", "--nats", fmt.Sprintf("nats://127.0.0.1:%d", port),
					"--creds", filepath.Join(dir, "worker.creds"), "--parallel", "16", "--name", fmt.Sprintf("w%d", i+1))
				if err := w.Start(); err != nil {
					t.Fatal(err)
				}
				defer w.Process.Kill()
				ws = append(ws, w)
			}
			deadline := time.Now().Add(30 * time.Minute)
			var row struct {
				Status map[string]any `json:"status"`
			}
			for {
				// The database is the serve's; read the status through
				// the file's last checkpoint once the pass is over: poll
				// the site's request log until it is quiet, then stop.
				if time.Now().After(deadline) {
					t.Fatal("no end within 30 minutes")
				}
				n := len(fs.Requests())
				<-time.After(3 * time.Second)
				if n > 0 && len(fs.Requests()) == n {
					break
				}
			}
			cpu := cpuSeconds(t, serve.Process.Pid)
			var wcpu float64
			for _, w := range ws {
				wcpu += cpuSeconds(t, w.Process.Pid)
			}
			_ = serve.Process.Signal(syscall.SIGTERM)
			_ = serve.Wait()
			out, _, _ := cli(t, db, "sites", "--json")
			if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &row); err != nil {
				t.Fatal(err)
			}
			st := row.Status
			start, _ := time.Parse(time.RFC3339Nano, st["pass_start"].(string))
			end, _ := time.Parse(time.RFC3339Nano, st["pass_end"].(string))
			hashed, media := st["hashed"].(float64), st["media"].(float64)
			secs := end.Sub(start).Seconds()
			t.Logf("%d worker(s): %v media (%v hashed) in %.1f s = %.1f media hashed/s; coordinator CPU %.2f s = %.2f s per 1,000 media; workers' CPU %.1f s = %.1f ms per media; new alerts %v, running %v",
				workers, media, hashed, secs, hashed/secs, cpu, 1000*cpu/media, wcpu, 1000*wcpu/media, st["new_alerts"], st["running"])
		})
	}
}
