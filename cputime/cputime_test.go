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
			for spin := time.Now(); time.Since(spin) < 100*time.Millisecond; {
			}
			spun, _ := tt.read()
			if d := slept - before; d > 50*time.Millisecond {
				t.Errorf("a 200 ms sleep counted %v of CPU", d)
			}
			if d := spun - slept; d < 10*time.Millisecond {
				t.Errorf("100 ms of spinning counted only %v of CPU", d)
			}
		})
	}
}
