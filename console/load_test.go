package console

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestASaturatedConsoleAnswers503 fills the gate's slots from the test and
// checks what each kind of route then answers: a heavy route waits
// QueueWait and gets 503 with Retry-After, a light one still runs while
// only the heavy slots are taken, the health check always answers, and a
// full waiting line turns requests away at once.
func TestASaturatedConsoleAnswers503(t *testing.T) {
	const wait = 50 * time.Millisecond
	e := newEnv(t, func(c *Config) {
		c.Limits.Handlers, c.Limits.HeavyRequests, c.Limits.QueueWait, c.Limits.QueueLength = 1, 1, wait, 2
	})
	a := e.seedAlerts(1)[0]
	op := e.login("op1")
	g := e.srv.gate
	fill := func(c chan struct{}) func() {
		for range cap(c) {
			c <- struct{}{}
		}
		return func() {
			for range cap(c) {
				<-c
			}
		}
	}
	alertPath := fmt.Sprintf("/api/alerts/%d", a.ID)
	for _, tc := range []struct {
		name   string
		full   []chan struct{}
		path   string
		status int
		// quick: answered without waiting for QueueWait.
		quick bool
	}{
		{"the dashboard answers while nothing is taken", nil, "/api/dashboard", 200, true},
		{"the dashboard gets 503 when the heavy slots are taken", []chan struct{}{g.heavy}, "/api/dashboard", 503, false},
		{"its page gets 503 too", []chan struct{}{g.heavy}, "/dashboard", 503, false},
		{"the alert list is heavy", []chan struct{}{g.heavy}, "/api/alerts", 503, false},
		{"one alert still answers when the heavy slots are taken", []chan struct{}{g.heavy}, alertPath, 200, true},
		{"one alert gets 503 when the light slots are taken", []chan struct{}{g.light}, alertPath, 503, false},
		{"a full waiting line turns a request away at once", []chan struct{}{g.queue}, alertPath, 503, true},
		{"the health check answers when everything is taken", []chan struct{}{g.light, g.heavy, g.queue}, "/healthz", 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range tc.full {
				defer fill(c)()
			}
			start := time.Now()
			resp := op.get(tc.path)
			body := readAll(resp)
			took := time.Since(start)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: %d, want %d: %.200s", tc.path, resp.StatusCode, tc.status, body)
			}
			if tc.status == 503 {
				if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("Retry-After %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
				}
				if !strings.Contains(body, "busy") {
					t.Errorf("body %.200s does not say the console is busy", body)
				}
				if !tc.quick && took < wait {
					t.Errorf("answered after %v, before QueueWait %v: it did not wait its turn", took, wait)
				}
			}
			if tc.quick && took > 20*wait {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestTheConsoleWaitsForItsShareOnlyWhileTheCrawlRuns checks the handler
// time budget: a console that spent more than its share while the crawl
// runs makes the next request wait (here past QueueWait: 503 with a
// Retry-After of the time owed), and nothing is owed while no crawl runs.
func TestTheConsoleWaitsForItsShareOnlyWhileTheCrawlRuns(t *testing.T) {
	for _, tc := range []struct {
		name     string
		crawling bool
		wantBusy bool
	}{
		{"while the crawl runs, time spent beyond the share is owed", true, true},
		{"without a crawl nothing is metered", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := Limits{HandlerShare: 0.01, QueueWait: 20 * time.Millisecond}.withDefaults()
			g := newGate(l, func() bool { return tc.crawling })
			g.charge(time.Hour) // at most maxCharge is billed
			leave, err := g.enter(context.Background(), light)
			var b *errBusy
			switch {
			case tc.wantBusy && !errors.As(err, &b):
				t.Fatalf("entered (%v), want errBusy", err)
			case tc.wantBusy && b.retry < 10*time.Second:
				t.Errorf("retry after %v, want the time owed (≥ 10 s at this share)", b.retry)
			case !tc.wantBusy && err != nil:
				t.Fatalf("refused: %v", err)
			case !tc.wantBusy:
				leave()
			}
		})
	}
}

// TestEveryRouteSaysItsLoad checks the route table's load column against
// what the routes do: lists and bulk work are heavy; only the health check
// and the login post (bounded by the login limiter) bypass the gate.
func TestEveryRouteSaysItsLoad(t *testing.T) {
	e := newEnv(t, nil)
	want := map[string]string{
		"GET /api/dashboard": "heavy", "GET /dashboard": "heavy", "GET /api/alerts": "heavy", "GET /alerts": "heavy",
		"POST /api/alerts/bulk": "heavy", "GET /api/verify": "heavy", "GET /api/backup": "heavy", "POST /cases": "heavy",
		"GET /api/alerts/{id}": "light", "POST /api/alerts/{id}/confirm": "light", "GET /healthz": "free", "POST /login": "free",
	}
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Path
		if w, ok := want[key]; ok && rt.Load != w {
			t.Errorf("%s is %s, want %s", key, rt.Load, w)
		}
		if rt.Load == "free" && key != "GET /healthz" && key != "POST /login" {
			t.Errorf("%s bypasses the gate", key)
		}
		delete(want, key)
	}
	for key := range want {
		t.Errorf("%s: no such route", key)
	}
}

// TestHandlerCPUCountsWorkNotWaiting checks the meter the share is kept
// with: spinning is counted, waiting (for a timer, as for the network or a
// core) is not, where the thread's CPU time can be read.
func TestHandlerCPUCountsWorkNotWaiting(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("thread CPU time is read on Linux only; elsewhere wall time is counted")
	}
	stop := handlerCPU()
	<-time.After(100 * time.Millisecond)
	if d := stop(); d > 30*time.Millisecond {
		t.Errorf("waiting 100 ms was billed %v of CPU", d)
	}
	stop = handlerCPU()
	x, spin := 0, time.Now().Add(100*time.Millisecond)
	for time.Now().Before(spin) {
		x++
	}
	// On a shared machine the thread may not get a core all the time.
	if d := stop(); d < 10*time.Millisecond {
		t.Errorf("spinning 100 ms was billed %v of CPU (%d turns)", d, x)
	}
}

// TestTheShareIsOfWhatTheProcessGets checks that handler time owed is paid
// back by a share of the CPU time the process actually uses, so that on a
// machine shared with other work the console takes a share of what the
// crawl gets, not of cores nobody here has.
func TestTheShareIsOfWhatTheProcessGets(t *testing.T) {
	l := Limits{HandlerShare: 0.2}.withDefaults()
	g := newGate(l, func() bool { return true })
	var cpu time.Duration
	g.cpu = func() time.Duration { return cpu }
	g.charge(time.Second)
	for _, step := range []struct {
		name  string
		cpu   time.Duration // process CPU time used since the last step
		owing bool
	}{
		{"a second of handler time is owed", 0, true},
		{"two seconds of the process's CPU pay back 0.4 s of it", 2 * time.Second, true},
		{"three more pay back the rest", 3 * time.Second, false},
	} {
		cpu += step.cpu
		if d := g.owed(); (d > 0) != step.owing {
			t.Errorf("%s: owed %v", step.name, d)
		}
	}
}
