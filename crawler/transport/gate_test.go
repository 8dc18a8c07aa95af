package transport

import (
	"context"
	"testing"
	"time"
)

// TestAcquireSlotsTakesAFairShareOfTheFree checks the slots a lease takes
// at a host no delay spaces: as many as wanted of those free, within a
// fair share of the parallelism among the holders; never more than the
// parallelism in all; slots given back one at a time go to the asks
// waiting, in order, which learn that the host is contended.
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
				s, err := g.AcquireSlots(ctx, host, tc.taken, 0)
				if err != nil || s.N != tc.taken {
					t.Fatalf("taking %d first: %v, %v", tc.taken, s, err)
				}
				defer s.Give(s.N)
			}
			s, err := g.AcquireSlots(ctx, host, tc.want, tc.sharers)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Give(s.N)
			if s.N != tc.n || s.Started != nil || s.Contended {
				t.Errorf("took %d slots (started %v, contended %v), want %d, no start, not contended", s.N, s.Started != nil, s.Contended, tc.n)
			}
		})
	}

	t.Run("never more than the parallelism; a waiter gets its share, contended, once slots go back", func(t *testing.T) {
		g := NewGate(0, 3)
		a, err := g.AcquireSlots(ctx, host, 8, 0)
		if err != nil || a.N != 3 {
			t.Fatalf("first lease: %v, %v; want all 3", a, err)
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := g.AcquireSlots(short, host, 1, 1); err == nil {
			t.Fatal("a fourth slot was granted at parallelism 3")
		}
		got := make(chan *Slots, 1)
		go func() {
			b, err := g.AcquireSlots(ctx, host, 8, 1)
			if err != nil {
				t.Error(err)
			}
			got <- b
		}()
		time.Sleep(20 * time.Millisecond) // the waiter waits
		// A third ask waits too, so the waiter's slots are contended.
		third := make(chan *Slots, 1)
		go func() {
			c, err := g.AcquireSlots(ctx, host, 1, 2)
			if err != nil {
				t.Error(err)
			}
			third <- c
		}()
		time.Sleep(20 * time.Millisecond)
		a.Give(1) // a partial release: one slot goes back
		var b *Slots
		select {
		case b = <-got:
		case <-time.After(5 * time.Second):
			t.Fatal("the waiter got no slot once one went back")
		}
		if b.N != 1 || !b.Contended {
			t.Errorf("the waiter took %d slots (contended %v), want the 1 given back, contended", b.N, b.Contended)
		}
		if a.N != 2 {
			t.Errorf("the first holder holds %d slots after giving back 1 of 3, want 2", a.N)
		}
		a.Give(a.N)
		c := <-third
		// The first holder, asking again, gets what is left, and no more.
		a, err = g.AcquireSlots(ctx, host, 8, 2)
		if err != nil {
			t.Fatal(err)
		}
		if a.N+b.N+c.N != 3 {
			t.Errorf("the holders took %d, %d and %d slots, want the 3 there are", a.N, b.N, c.N)
		}
		for _, s := range []*Slots{a, b, c} {
			s.Give(s.N)
		}
	})

	t.Run("a delay spaces every request: one turn", func(t *testing.T) {
		g := NewGate(10*time.Millisecond, 4)
		s, err := g.AcquireSlots(ctx, host, 4, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Give(s.N)
		if s.N != 1 || s.Started == nil {
			t.Errorf("took %d slots (started %v), want a turn: 1 with a start", s.N, s.Started != nil)
		}
	})
}
