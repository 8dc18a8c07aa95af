package natswork

import (
	"context"
	"testing"
	"time"
)

// TestTakeSlotsGathersFreeSlots checks the worker's pull loop: it takes
// every free slot for one pull request, waits a little for a quarter of
// its slots when fewer are free, and gives up its slots when stopped.
func TestTakeSlotsGathersFreeSlots(t *testing.T) {
	for _, tc := range []struct {
		name           string
		parallel, free int
		cancelled      bool
		want           int
		atLeast        time.Duration // how long it must have waited
	}{
		{"all free: all at once", 32, 32, false, 32, 0},
		{"a quarter free: no wait", 32, 8, false, 8, 0},
		{"fewer free: waits, then takes them", 32, 3, false, 3, pullGather},
		{"one slot", 1, 1, false, 1, 0},
		{"stopped", 32, 3, true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			free := make(chan struct{}, tc.parallel)
			giveSlots(free, tc.free)
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancelled {
				// Stopped while waiting for a quarter of the slots.
				time.AfterFunc(pullGather/4, cancel)
			}
			defer cancel()
			start := time.Now()
			got := takeSlots(ctx, free, tc.parallel)
			if got != tc.want {
				t.Errorf("took %d slots, want %d", got, tc.want)
			}
			if d := time.Since(start); d < tc.atLeast {
				t.Errorf("took %v, want at least %v", d, tc.atLeast)
			}
			if left := len(free); left != tc.free-got {
				t.Errorf("%d slots left free, want %d", left, tc.free-got)
			}
		})
	}
}
