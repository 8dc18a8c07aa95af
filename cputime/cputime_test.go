package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestWorkIsCountedAndSleepIsNot spins and sleeps on one thread: the spin
// shows in the thread's and the process's CPU time, the sleep in neither.
func TestWorkIsCountedAndSleepIsNot(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, tt := range []struct {
		name string
		read func() (time.Duration, bool)
	}{
		{"thread", Thread},
		{"process", Process},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, ok := tt.read()
			if !ok {
				t.Skipf("no %s CPU time on %s", tt.name, runtime.GOOS)
			}
			time.Sleep(200 * time.Millisecond)
			slept, _ := tt.read()
			if d := slept - before; d > 50*time.Millisecond {
				t.Errorf("a 200 ms sleep counted %v of CPU", d)
			}
			// Spin until 20 ms of CPU are counted. A busy machine may
			// give this thread a small share of a core, so the spin is
			// bounded by wall time generously: a counter that does not
			// move runs into the bound.
			const want, bound = 20 * time.Millisecond, 20 * time.Second
			for spin := time.Now(); ; {
				spun, _ := tt.read()
				if spun-slept >= want {
					break
				}
				if time.Since(spin) > bound {
					t.Errorf("%v of spinning counted only %v of CPU", bound, spun-slept)
					break
				}
			}
		})
	}
}

// TestShortWorkIsCounted spins 200 times for half a millisecond between
// two readings of the thread's CPU time, as the console meters its
// handlers: the readings' differences must add up to most of the spinning
// the process's clock saw. getrusage, stale by up to a scheduler tick,
// counted a tenth of it.
func TestShortWorkIsCounted(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if _, ok := Thread(); !ok {
		t.Skipf("no thread CPU time on %s", runtime.GOOS)
	}
	var sum time.Duration
	p0, _ := Process()
	for range 200 {
		before, _ := Thread()
		for spin := time.Now().Add(500 * time.Microsecond); time.Now().Before(spin); {
		}
		after, _ := Thread()
		sum += after - before
		time.Sleep(time.Millisecond)
	}
	p1, _ := Process()
	// The process also ran the sleeps' timers and the test's runtime; a
	// third of its time is a bound no stale reading comes near.
	if total := p1 - p0; sum < total/3 {
		t.Errorf("the readings counted %v of spinning, the process %v", sum, total)
	}
}
