//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// soak reports whether the long durability runs were asked for (make soak).
func soak() bool { return os.Getenv("HASHWATCH_SOAK") != "" }

// writeLoop is a running `hashwatch debug write-loop`.
type writeLoop struct {
	cmd    *exec.Cmd
	lines  chan loopLine // closed when stdout ends
	stderr bytes.Buffer  // read only after wait
}

// startLoop starts the real binary writing to db in a loop. One goroutine
// reads its stdout; it ends when the process's stdout closes, and wait
// waits for it.
func startLoop(t *testing.T, db string, args ...string) *writeLoop {
	t.Helper()
	l := &writeLoop{lines: make(chan loopLine, 1024)}
	l.cmd = exec.Command(binary, append([]string{"--db", db, "debug", "write-loop"}, args...)...)
	l.cmd.Stderr = &l.stderr
	stdout, err := l.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(l.lines)
		r := bufio.NewReader(stdout)
		for {
			s, err := r.ReadString('\n')
			if err != nil {
				// EOF. A line cut short by the kill was never
				// acknowledged: the process had not finished saying so.
				return
			}
			var ln loopLine
			if err := json.Unmarshal([]byte(s), &ln); err != nil {
				ln = loopLine{Op: "unparseable: " + s}
			}
			l.lines <- ln
		}
	}()
	t.Cleanup(func() {
		if l.cmd.ProcessState == nil {
			l.cmd.Process.Kill()
			l.wait()
		}
	})
	return l
}

// readUntil collects lines until stop says so or, if until is not nil,
// until it fires; it fails the test if the process ends first or the
// deadline passes.
func (l *writeLoop) readUntil(t *testing.T, deadline, until <-chan time.Time, got []loopLine, stop func([]loopLine) bool) []loopLine {
	t.Helper()
	for stop == nil || !stop(got) {
		select {
		case ln, ok := <-l.lines:
			if !ok {
				err := l.wait()
				t.Fatalf("write-loop ended on its own: %v\nstderr: %s", err, l.stderr.String())
			}
			got = append(got, ln)
		case <-until:
			return got
		case <-deadline:
			l.cmd.Process.Kill()
			l.wait()
			t.Fatalf("write-loop made %d lines before the deadline\nstderr: %s", len(got), l.stderr.String())
		}
	}
	return got
}

// wait drains stdout to its end and waits for the process.
func (l *writeLoop) wait() error {
	for range l.lines {
	}
	return l.cmd.Wait()
}

// drain returns the lines not yet read and waits for the process.
func (l *writeLoop) drain(got []loopLine) ([]loopLine, error) {
	for ln := range l.lines {
		got = append(got, ln)
	}
	return got, l.cmd.Wait()
}

func acks(lines []loopLine) int {
	n := 0
	for _, ln := range lines {
		if ln.State == "ack" {
			n++
		}
	}
	return n
}

// crashModel is what the killed processes acknowledged, across rounds.
type crashModel struct {
	cases  map[string]*modelCase
	alerts map[uint64]modelAlert
	// counts for the log
	acked, inflightKept, inflightLost int
}

type modelCase struct {
	count     int      // fingerprints registered in one transaction
	ids       []uint64 // their IDs
	withdrawn bool
}

type modelAlert struct {
	caseID      string
	fingerprint uint64
	sha         string
}

// apply records the acknowledged changes of one run and returns the change
// that was in flight when the process died, if any.
func (m *crashModel) apply(t *testing.T, lines []loopLine) (inflight *loopLine) {
	t.Helper()
	for i := range lines {
		ln := lines[i]
		switch {
		case strings.HasPrefix(ln.Op, "unparseable"):
			t.Fatalf("write-loop printed %s", ln.Op)
		case ln.State == "begin":
			if inflight != nil {
				t.Fatalf("%s of %s began before %s of %s was acknowledged", ln.Op, ln.Case, inflight.Op, inflight.Case)
			}
			inflight = &lines[i]
			continue
		case inflight == nil || inflight.Op != ln.Op || inflight.Case != ln.Case:
			t.Fatalf("acknowledgement %+v of a change that did not begin", ln)
		}
		inflight = nil
		m.acked++
		switch ln.Op {
		case "register":
			m.cases[ln.Case] = &modelCase{count: ln.Count, ids: ln.Fingerprints}
		case "alert":
			m.alerts[ln.Alert] = modelAlert{caseID: ln.Case, fingerprint: ln.Fingerprint, sha: ln.MediaSHA256}
		case "withdraw":
			c := m.cases[ln.Case]
			if c == nil {
				t.Fatalf("withdrew unknown case %s", ln.Case)
			}
			if ln.Count != c.count {
				t.Errorf("withdrawal of %s deleted %d fingerprints, it had %d", ln.Case, ln.Count, c.count)
			}
			c.withdrawn = true
		}
	}
	return inflight
}

// check opens the database the killed process left and compares it with the
// model: every acknowledged change is there, the change in flight is wholly
// there or wholly absent (and adopted into the model if there), and nothing
// else is.
func (m *crashModel) check(t *testing.T, path string, inflight *loopLine) {
	t.Helper()
	db, err := database.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the database does not open after the kill: %v", err)
	}
	defer db.Close()
	cases, err := db.Index.Cases()
	if err != nil {
		t.Fatal(err)
	}
	fps, err := db.Index.Fingerprints("")
	if err != nil {
		t.Fatal(err)
	}
	all, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	inDB := map[string]index.Case{}
	for _, c := range cases {
		inDB[c.ID] = c
	}
	byCase := map[string][]uint64{}
	for _, f := range fps {
		byCase[f.Case] = append(byCase[f.Case], f.ID)
	}

	if inflight != nil {
		kept := false
		switch inflight.Op {
		case "register":
			if _, ok := inDB[inflight.Case]; ok {
				kept = true
				m.cases[inflight.Case] = &modelCase{count: inflight.Count, ids: byCase[inflight.Case]}
			}
		case "alert":
			for _, a := range all {
				if _, known := m.alerts[a.ID]; !known && a.MediaSHA256 == inflight.MediaSHA256 && a.Fingerprint == inflight.Fingerprint {
					kept = true
					m.alerts[a.ID] = modelAlert{caseID: inflight.Case, fingerprint: inflight.Fingerprint, sha: inflight.MediaSHA256}
				}
			}
		case "withdraw":
			if c, ok := inDB[inflight.Case]; ok && c.Withdrawn() && m.cases[inflight.Case] != nil {
				kept = true
				m.cases[inflight.Case].withdrawn = true
			}
		}
		if kept {
			m.inflightKept++
		} else {
			m.inflightLost++
		}
	}

	for id, c := range inDB {
		mc := m.cases[id]
		switch {
		case mc == nil:
			t.Errorf("case %s is in the file but was never begun", id)
		case c.Withdrawn() != mc.withdrawn:
			t.Errorf("case %s: withdrawn=%v in the file, %v acknowledged", id, c.Withdrawn(), mc.withdrawn)
		case mc.withdrawn && len(byCase[id]) != 0:
			t.Errorf("withdrawn case %s still has fingerprints %v: a torn withdrawal", id, byCase[id])
		case !mc.withdrawn && len(byCase[id]) != mc.count:
			t.Errorf("case %s has %d of its %d fingerprints: a torn registration", id, len(byCase[id]), mc.count)
		case !mc.withdrawn && !slices.Equal(byCase[id], mc.ids):
			t.Errorf("case %s has fingerprints %v, %v acknowledged", id, byCase[id], mc.ids)
		}
	}
	for id := range m.cases {
		if _, ok := inDB[id]; !ok {
			t.Errorf("acknowledged registration of case %s is lost", id)
		}
	}
	seen := map[uint64]bool{}
	for _, a := range all {
		seen[a.ID] = true
		ma, ok := m.alerts[a.ID]
		if !ok {
			t.Errorf("alert %d is in the file but was never acknowledged", a.ID)
			continue
		}
		if a.Case != ma.caseID || a.Fingerprint != ma.fingerprint || a.MediaSHA256 != ma.sha {
			t.Errorf("alert %d = case %s fingerprint %d media %s; acknowledged %+v", a.ID, a.Case, a.Fingerprint, a.MediaSHA256, ma)
		}
		want := alerts.StatusNew
		if c := m.cases[ma.caseID]; c != nil && c.withdrawn {
			want = alerts.StatusWithdrawn
		}
		if a.Status != want {
			t.Errorf("alert %d is %s, want %s: a withdrawal and its alerts were torn apart", a.ID, a.Status, want)
		}
	}
	for id := range m.alerts {
		if !seen[id] {
			t.Errorf("acknowledged alert %d is lost", id)
		}
	}
}

// TestCrashSafety kills the real binary with SIGKILL while it writes, at
// random moments, and checks after each kill that the database opens,
// `hashwatch verify` passes, every write the process acknowledged is there
// and the one in flight is all or nothing. `make test` kills it 5 times,
// `make soak` 30 times. HASHWATCH_CRASH_SEED replays a run's kill moments.
func TestCrashSafety(t *testing.T) {
	rounds := 5
	if soak() {
		rounds = 30
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("HASHWATCH_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("HASHWATCH_CRASH_SEED: %v", err)
		}
	}
	t.Logf("HASHWATCH_CRASH_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := filepath.Join(t.TempDir(), "crash.db")
	m := &crashModel{cases: map[string]*modelCase{}, alerts: map[uint64]modelAlert{}}
	start := time.Now()
	for round := range rounds {
		perCase := []int{1, 3, 40}[rng.IntN(3)]
		l := startLoop(t, path, "--fingerprints", strconv.Itoa(perCase), "--withdraw-every", "3")
		deadline := time.After(time.Minute)
		var lines []loopLine
		// Most kills land while writes are under way: after a random
		// number of acknowledged writes and a random fraction of the next.
		// Some land anywhere from start-up on, opening included. The first
		// run always writes, so the file exists.
		wantAcks, delay := 1+rng.IntN(25), time.Duration(rng.IntN(3000))*time.Microsecond
		if round > 0 && rng.IntN(4) == 0 {
			wantAcks, delay = 0, time.Duration(rng.IntN(150))*time.Millisecond
		}
		lines = l.readUntil(t, deadline, nil, lines, func(got []loopLine) bool { return acks(got) >= wantAcks })
		lines = l.readUntil(t, deadline, time.After(delay), lines, nil)
		if err := l.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		lines, err := l.drain(lines)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("write-loop was not killed: %v\nstderr: %s", err, l.stderr.String())
		}
		inflight := m.apply(t, lines)
		m.check(t, path, inflight)
		if out, errOut, code := cli(t, path, "verify"); code != 0 {
			t.Fatalf("round %d: verify exit %d\n%s%s", round, code, out, errOut)
		}
		if t.Failed() {
			t.Fatalf("round %d (%d fingerprints per case, killed after %d acknowledged writes + %v)", round, perCase, wantAcks, delay)
		}
	}
	t.Logf("%d kills in %v: %d writes acknowledged, all kept; the write in flight was kept %d times, absent %d times",
		rounds, time.Since(start).Round(time.Millisecond), m.acked, m.inflightKept, m.inflightLost)
}

// TestLockedDatabase runs commands against a database the write loop holds.
// While the loop answers on the database's socket they run inside it: backup
// writes a copy from one of its read transactions (its writes go on) that
// verifies and holds every write acknowledged before it, and alerts list
// and verify answer. A holder that does not answer (its socket is gone)
// makes each command fail within about a second (the lock timeout plus
// start-up) with exit status 1, naming the holder's PID, instead of
// hanging.
func TestLockedDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hw.db")
	l := startLoop(t, path, "--fingerprints", "1")
	lines := l.readUntil(t, time.After(time.Minute), nil, nil, func(got []loopLine) bool { return acks(got) >= 6 })
	holder := fmt.Sprintf("database in use by PID %d", l.cmd.Process.Pid)

	t.Run("backup through the writer's socket writes a copy that verifies and holds every acknowledged write", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("the CLI socket needs Linux")
		}
		acked := (&crashModel{cases: map[string]*modelCase{}, alerts: map[uint64]modelAlert{}})
		acked.apply(t, lines)
		b := filepath.Join(dir, "b.db")
		out, errOut, code := cli(t, path, "backup", b)
		if code != 0 || !strings.HasPrefix(out, fmt.Sprintf("backed up %s to %s (", path, b)) {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
		out, errOut, code = cli(t, b, "verify")
		if code != 0 {
			t.Fatalf("verify of the hot backup: exit %d\n%s%s", code, out, errOut)
		}
		bdb, err := database.Open(b, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer bdb.Close()
		for id := range acked.cases {
			if fps, err := bdb.Index.Fingerprints(id); err != nil || len(fps) != acked.cases[id].count {
				t.Errorf("case %s acknowledged before the backup: %d fingerprints in it, want %d (%v)", id, len(fps), acked.cases[id].count, err)
			}
		}
		if ents, _ := filepath.Glob(filepath.Join(dir, ".b.db.tmp-*")); len(ents) > 0 {
			t.Errorf("temporary copies left behind: %v", ents)
		}
	})
	t.Run("alerts list and verify run inside the writer", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("the CLI socket needs Linux")
		}
		out, errOut, code := cli(t, path, "alerts", "list", "--json")
		if code != 0 || len(parseLines(t, out)) < 6 {
			t.Fatalf("alerts list: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
		out, errOut, code = cli(t, path, "verify")
		if code != 0 || !strings.Contains(out, "ok: pages consistent") {
			t.Fatalf("verify: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
	})

	// From here on the writer does not answer: its socket is gone, as with
	// a hashwatch too old to offer one.
	if err := os.Remove(path + ".sock"); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"alerts list fails fast naming the writer", []string{"alerts", "list"}, "another hashwatch is running"},
		{"verify fails fast and says what to do instead", []string{"verify"}, "run verify again"},
		{"backup fails fast and says what to do instead", []string{"backup", filepath.Join(dir, "c.db")}, "run backup again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The process's start-up under the machine's present load,
			// timed by a command that opens no database.
			start := time.Now()
			cli(t, path, "--help")
			startup := time.Since(start)

			start = time.Now()
			out, errOut, code := cli(t, path, tt.args...)
			elapsed := time.Since(start)
			if code != 1 || !strings.Contains(errOut, holder) || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, want 1 with %q and %q\nstdout: %s\nstderr: %s", code, holder, tt.want, out, errOut)
			}
			// One second of lock timeout, plus process start-up: 2 s on
			// a quiet machine, or three start-ups as timed just now on a
			// busy shared one. A hang would be forever.
			if limit := time.Second + max(2*time.Second, 3*startup); elapsed > limit {
				t.Fatalf("took %v (limit %v; start-up %v)", elapsed, limit, startup)
			}
			t.Logf("failed after %v", elapsed.Round(time.Millisecond))
		})
	}

	t.Run("the writer stops cleanly on SIGTERM and everything it acknowledged verifies", func(t *testing.T) {
		if err := l.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		all, err := l.drain(lines)
		if err != nil {
			t.Fatalf("write-loop after SIGTERM: %v\nstderr: %s", err, l.stderr.String())
		}
		if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the PID file outlived its process: %v", err)
		}
		m := &crashModel{cases: map[string]*modelCase{}, alerts: map[uint64]modelAlert{}}
		m.check(t, path, m.apply(t, all))
		if out, errOut, code := cli(t, path, "verify"); code != 0 {
			t.Fatalf("verify exit %d\n%s%s", code, out, errOut)
		}
	})
}

// TestBackupAndVerifyCommands runs backup and verify through the binary on
// a database the write loop filled.
func TestBackupAndVerifyCommands(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hw.db")
	if out, errOut, code := cli(t, path, "debug", "write-loop", "--n", "12"); code != 0 {
		t.Fatalf("write-loop exit %d\n%s%s", code, out, errOut)
	}
	backup := filepath.Join(dir, "backup.db")
	damaged := filepath.Join(dir, "damaged.db")

	tests := []struct {
		name       string
		db         string
		args       []string
		prepare    func(t *testing.T)
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"verify passes on a sound database", path, []string{"verify"}, nil, 0, "ok: pages consistent", ""},
		{"backup writes a checked copy", path, []string{"backup", backup}, nil, 0, "backed up " + path + " to " + backup, ""},
		{"the backup verifies", backup, []string{"verify"}, nil, 0, "12 alert(s), 12 alert key(s)", ""},
		{"backup refuses to overwrite the database itself", path, []string{"backup", path}, nil, 2, "", "is the database itself"},
		{"backup of a missing database fails without creating it", filepath.Join(dir, "missing.db"), []string{"backup", filepath.Join(dir, "x.db")}, nil, 1, "", "no such file"},
		{"verify of a missing database fails without creating it", filepath.Join(dir, "missing.db"), []string{"verify"}, nil, 1, "", "no such file"},
		{"verify takes no arguments", path, []string{"verify", "extra"}, nil, 2, "", "unknown command"},
		{"backup needs a file name", path, []string{"backup"}, nil, 2, "", "accepts 1 arg"},
		{"verify lists each problem and exits 1", damaged, []string{"verify"}, func(t *testing.T) {
			b, err := os.ReadFile(backup)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(damaged, b, 0o600); err != nil {
				t.Fatal(err)
			}
			bdb, err := bolt.Open(damaged, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer bdb.Close()
			if err := bdb.Update(func(tx *bolt.Tx) error {
				k, _ := tx.Bucket([]byte("alertkeys")).Cursor().First()
				return tx.Bucket([]byte("alertkeys")).Delete(k)
			}); err != nil {
				t.Fatal(err)
			}
		}, 1, "PROBLEM alerts/", "verify: 1 problem(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.prepare != nil {
				tt.prepare(t)
			}
			out, errOut, code := cli(t, tt.db, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantStdout) || !strings.Contains(errOut, tt.wantStderr) {
				t.Fatalf("exit %d, want %d with stdout %q and stderr %q\nstdout: %s\nstderr: %s", code, tt.wantCode, tt.wantStdout, tt.wantStderr, out, errOut)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("backup or verify created the missing database: %v", err)
	}

	t.Run("the backup holds what the database holds", func(t *testing.T) {
		for _, args := range [][]string{{"alerts", "list", "--json"}, {"case", "list", "--json"}} {
			want, _, _ := cli(t, path, args...)
			got, _, _ := cli(t, backup, args...)
			if got != want || want == "" {
				t.Errorf("%v differs:\ndatabase: %s\nbackup: %s", args, want, got)
			}
		}
	})
	t.Run("verify --json prints the report as one object", func(t *testing.T) {
		out, _, code := cli(t, damaged, "verify", "--json")
		lines := parseLines(t, out)
		if code != 1 || len(lines) != 1 {
			t.Fatalf("exit %d, %d lines", code, len(lines))
		}
		want := sorted("ok", "path", "schema", "bytes", "cases", "fingerprints", "alerts", "alert_keys", "sites", "problems", "omitted")
		if k := keys(lines[0]); !reflect.DeepEqual(k, want) {
			t.Fatalf("keys = %v, want %v", k, want)
		}
		probs := lines[0]["problems"].([]any)
		if lines[0]["ok"] != false || len(probs) != 1 || !reflect.DeepEqual(keys(probs[0].(map[string]any)), []string{"what", "where"}) {
			t.Fatalf("report = %v", lines[0])
		}
		out, _, _ = cli(t, path, "verify", "--json")
		if l := parseLines(t, out); l[0]["ok"] != true || l[0]["problems"] == nil {
			t.Fatalf("report of a sound database = %v", l[0])
		}
	})
}
