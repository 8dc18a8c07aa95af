package video

import (
	"testing"
	"time"
)

// timeline returns frames every second from 0 to n-1 seconds.
func timeline(n int) Timeline {
	t := Timeline{Duration: time.Duration(n) * time.Second}
	for i := range n {
		t.At = append(t.At, time.Duration(i)*time.Second)
	}
	return t
}

// line returns pairs mapping query second q to registered second
// rate*q+off (rounded to the registered frame), for q in [from, to).
func line(from, to int, rate float64, off int) []Pair {
	var ps []Pair
	for q := from; q < to; q++ {
		r := time.Duration(rate*float64(q)+float64(off)+0.5) * time.Second
		ps = append(ps, Pair{Query: time.Duration(q) * time.Second, Registered: r, Distance: 10})
	}
	return ps
}

func TestAlign(t *testing.T) {
	sec := time.Second
	// shuffled maps query segments of 5 s to registered segments in
	// another order: every frame matches, no line holds.
	var shuffled []Pair
	for i, seg := range []int{3, 0, 5, 1, 4, 2} {
		for k := range 5 {
			shuffled = append(shuffled, Pair{Query: time.Duration(i*5+k) * sec, Registered: time.Duration(seg*5+k) * sec, Distance: 12})
		}
	}
	tests := []struct {
		name         string
		pairs        []Pair
		q, r         Timeline
		want         bool
		qShare, rMin float64
		ranges       []Range
	}{
		{"an identical video matches whole", line(0, 60, 1, 0), timeline(60), timeline(60), true, 1, 0.99,
			[]Range{{0, 60 * sec, 0, 60 * sec}}},
		{"a short clip of a long video matches by the query's share", line(0, 15, 1, 30), timeline(15), timeline(120), true, 1, 0.12,
			[]Range{{0, 15 * sec, 30 * sec, 45 * sec}}},
		{"a compilation containing the video matches by the registered share", line(30, 60, 1, -30), timeline(90), timeline(30), true, 0.33, 0.99,
			[]Range{{30 * sec, 60 * sec, 0, 30 * sec}}},
		{"a video sped up by 10% matches", line(0, 54, 1.1, 0), timeline(54), timeline(60), true, 1, 0.95, nil},
		{"a video slowed down by 10% matches", line(0, 66, 0.9, 0), timeline(66), timeline(60), true, 1, 0.95, nil},
		{"a rate change of 30% does not line up", line(0, 46, 1.3, 0), timeline(46), timeline(60), false, 0, 0, nil},
		{"the same shots in another order do not line up", shuffled, timeline(30), timeline(30), false, 0, 0, nil},
		{"two frames are too few", line(0, 2, 1, 0), timeline(2), timeline(2), false, 0, 0, nil},
		{"no pairs, no match", nil, timeline(10), timeline(10), false, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := Align(tt.pairs, tt.q, tt.r, DefaultAlignParams())
			if ok != tt.want {
				t.Fatalf("match = %v, want %v (%+v)", ok, tt.want, a)
			}
			if !ok {
				return
			}
			if a.QueryShare < tt.qShare-0.02 || a.QueryShare > tt.qShare+0.02 {
				t.Errorf("query share %.2f, want %.2f", a.QueryShare, tt.qShare)
			}
			if a.RegisteredShare < tt.rMin {
				t.Errorf("registered share %.2f, want at least %.2f", a.RegisteredShare, tt.rMin)
			}
			if tt.ranges != nil {
				if len(a.Ranges) != len(tt.ranges) {
					t.Fatalf("ranges %v, want %v", a.Ranges, tt.ranges)
				}
				for i, want := range tt.ranges {
					got := a.Ranges[i]
					near := func(x, y time.Duration) bool { return (x - y).Abs() <= sec }
					if !near(got.QueryStart, want.QueryStart) || !near(got.QueryEnd, want.QueryEnd) ||
						!near(got.RegisteredStart, want.RegisteredStart) || !near(got.RegisteredEnd, want.RegisteredEnd) {
						t.Errorf("range %d = %+v, want %+v", i, got, want)
					}
				}
			}
		})
	}
}

func TestAlignFindsRate(t *testing.T) {
	a, ok := Align(line(0, 100, 1.08, 3), timeline(100), timeline(120), DefaultAlignParams())
	if !ok || a.Rate < 1.07 || a.Rate > 1.09 {
		t.Fatalf("rate %.2f (ok %v), want 1.08", a.Rate, ok)
	}
}
