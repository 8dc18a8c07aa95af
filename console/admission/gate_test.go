package admission

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

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
			g := New(Config{Light: 1, Heavy: 1, Share: 0.01, QueueWait: 20 * time.Millisecond, QueueLength: 64,
				Metered: func() bool { return tc.crawling }})
			g.charge(time.Hour) // at most maxCharge is billed
			leave, err := g.Enter(context.Background(), Light)
			var b *Busy
			switch {
			case tc.wantBusy && !errors.As(err, &b):
				t.Fatalf("entered (%v), want Busy", err)
			case tc.wantBusy && b.RetryAfter < 10*time.Second:
				t.Errorf("retry after %v, want the time owed (≥ 10 s at this share)", b.RetryAfter)
			case !tc.wantBusy && err != nil:
				t.Fatalf("refused: %v", err)
			case !tc.wantBusy:
				leave()
			}
		})
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
	g := New(Config{Light: 1, Heavy: 1, Share: 0.2, QueueWait: 3 * time.Second, QueueLength: 64,
		Metered: func() bool { return true }})
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
