package transport

import (
	"context"
	"testing"
	"time"
)

// TestAcquireSlotsTakesAFairShareOfTheFree checks the slots a lease takes
// at a host no delay spaces: as many as wanted of those free, within a
// fair share of the parallelism among the holders; never more than the
// parallelism in all; and a holder that asks while another waits is
// served after it.
func TestAcquireSlotsTakesAFairShareOfTheFree(t *testing.T) {
	ctx := context.Background()
	const host = "example.org:80"
	for _, tc := range []struct {
		name              string
		parallelism, want int
		sharers, taken    int
		n                 int
	}{
		{"alone, all it wants", 8, 5, 0, 0, 5},
		{"alone, all there are", 4, 32, 0, 0, 4},
		{"with another, half", 8, 32, 1, 0, 4},
		{"with two others, a third rounded up", 8, 32, 2, 0, 3},
		{"what is free, below its share", 8, 32, 1, 6, 2},
		{"at least one, when its share is less", 2, 32, 5, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGate(0, tc.parallelism)
			if tc.taken > 0 {
				n, _, release, err := g.AcquireSlots(ctx, host, tc.taken, 0)
				if err != nil || n != tc.taken {
					t.Fatalf("taking %d first: %d, %v", tc.taken, n, err)
				}
				defer release()
			}
			n, started, release, err := g.AcquireSlots(ctx, host, tc.want, tc.sharers)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			if n != tc.n || started != nil {
				t.Errorf("took %d slots (started %v), want %d and no start", n, started != nil, tc.n)
			}
		})
	}

	t.Run("never more than the parallelism; a waiter gets its share once a lease goes back", func(t *testing.T) {
		g := NewGate(0, 3)
		n, _, releaseA, err := g.AcquireSlots(ctx, host, 8, 0)
		if err != nil || n != 3 {
			t.Fatalf("first lease: %d, %v; want all 3", n, err)
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, _, _, err := g.AcquireSlots(short, host, 1, 1); err == nil {
			t.Fatal("a fourth slot was granted at parallelism 3")
		}
		got := make(chan int, 1)
		var releaseB func()
		go func() {
			n, _, release, err := g.AcquireSlots(ctx, host, 8, 1)
			if err != nil {
				t.Error(err)
			}
			releaseB = release
			got <- n
		}()
		time.Sleep(20 * time.Millisecond) // the waiter waits
		releaseA()
		var b int
		select {
		case b = <-got:
			defer releaseB()
		case <-time.After(5 * time.Second):
			t.Fatal("the waiter got no slot once the lease went back")
		}
		if b < 1 || b > 2 {
			t.Errorf("the waiter took %d slots, want its share of 3 with another holder: 1 or 2", b)
		}
		// The first holder, asking again, gets what is left, and no more.
		a, _, releaseA, err := g.AcquireSlots(ctx, host, 8, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer releaseA()
		if a+b != 3 {
			t.Errorf("the holders took %d and %d slots, want the 3 there are", a, b)
		}
	})

	t.Run("a delay spaces every request: one turn", func(t *testing.T) {
		g := NewGate(10*time.Millisecond, 4)
		n, started, release, err := g.AcquireSlots(ctx, host, 4, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		if n != 1 || started == nil {
			t.Errorf("took %d slots (started %v), want a turn: 1 with a start", n, started != nil)
		}
	})
}
