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

// TestTheFloorIsALeastRateNotAnAddition checks how owed handler time is
// paid back over 10 s of wall time: by the share of what the process used,
// or by the floor when that is less, never by both. Added to the share,
// the floor (counted in the machine's cores) let the console take 30% of
// a process that got 0.4 of its 2 cores on a crowded machine, and the
// crawl under 16 clients lose half its images per second.
func TestTheFloorIsALeastRateNotAnAddition(t *testing.T) {
	for _, tc := range []struct {
		name     string
		used     time.Duration // the process's CPU time over the 10 s
		wantPaid time.Duration
	}{
		{"a process getting 0.4 cores pays back the share of it alone", 4 * time.Second, 800 * time.Millisecond},
		{"a process getting 2 cores pays back the share of it alone", 20 * time.Second, 4 * time.Second},
		{"a process getting almost nothing pays back the floor", 100 * time.Millisecond, 400 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := New(Config{Light: 1, Heavy: 1, Share: 0.2, QueueWait: time.Second, QueueLength: 8,
				Metered: func() bool { return true }})
			g.floor = 0.04 // a tenth of the share of 2 cores, whatever this machine has
			var cpu time.Duration
			g.cpu = func() time.Duration { return cpu }
			start := time.Now()
			g.settle(start)
			g.debt = 10 * time.Second
			cpu += tc.used
			g.settle(start.Add(10 * time.Second))
			if paid := 10*time.Second - g.debt; paid < tc.wantPaid-time.Millisecond || paid > tc.wantPaid+time.Millisecond {
				t.Errorf("paid back %v, want %v", paid, tc.wantPaid)
			}
		})
	}
}

// TestBilledRequestsNeverWaitButAreCharged checks the load of answers the
// server kept: let in at once however busy the gate is, and their CPU time
// owed all the same while the crawl runs.
func TestBilledRequestsNeverWaitButAreCharged(t *testing.T) {
	g := New(Config{Light: 1, Heavy: 1, Share: 0.2, QueueWait: 10 * time.Millisecond, QueueLength: 1,
		Metered: func() bool { return true }})
	var cpu time.Duration
	g.cpu = func() time.Duration { return cpu } // the process seems idle: nothing is paid back but the floor
	defer g.Fill(WaitingLine)()
	defer g.Fill(HeavySlots)()
	if _, err := g.Enter(context.Background(), Heavy); err == nil {
		t.Fatal("a heavy request entered a full gate")
	}
	leave, err := g.Enter(context.Background(), Billed)
	if err != nil {
		t.Fatalf("a billed request was refused: %v", err)
	}
	x, spin := 0, time.Now().Add(50*time.Millisecond)
	for time.Now().Before(spin) {
		x++
	}
	leave()
	g.mu.Lock()
	owed := g.debt
	g.mu.Unlock()
	if owed <= 0 {
		t.Errorf("spinning 50 ms in a billed request left %v owed (%d turns)", owed, x)
	}
}

// TestWaitingForTheShareHoldsNoSlot checks that a heavy request waiting
// for the time owed leaves the heavy slot free: a HeavyNow request (the
// dashboard recomputing its kept answer) takes it at once, where it
// waited behind such requests for seconds, and pays its CPU time later.
func TestWaitingForTheShareHoldsNoSlot(t *testing.T) {
	g := New(Config{Light: 1, Heavy: 1, Share: 0.01, QueueWait: 300 * time.Millisecond, QueueLength: 8,
		Metered: func() bool { return true }})
	g.charge(time.Hour) // a second owed: far more than QueueWait at this share
	waiting := make(chan error, 1)
	go func() {
		_, err := g.Enter(context.Background(), Heavy)
		waiting <- err
	}()
	start := time.Now()
	leave, err := g.Enter(context.Background(), HeavyNow)
	if err != nil {
		t.Fatalf("the HeavyNow request was refused: %v", err)
	}
	leave()
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("the HeavyNow request waited %v", d)
	}
	var b *Busy
	if err := <-waiting; !errors.As(err, &b) {
		t.Errorf("the heavy request owing a second got %v, want Busy", err)
	}
	if n := len(g.heavy); n != 0 {
		t.Errorf("%d heavy slots still taken after both left", n)
	}
}
