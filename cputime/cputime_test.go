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
