package hamming

import "sync"

var maskCache sync.Map // b<<8|t -> []uint32

// ballMasks returns every b-bit mask of weight at most t, by weight. The
// lists are shared and must not be modified.
func ballMasks(b, t int) []uint32 {
	if t < 0 {
		return nil
	}
	t = min(t, b)
	key := b<<8 | t
	if v, ok := maskCache.Load(key); ok {
		return v.([]uint32)
	}
	ms := make([]uint32, 0, int(ballSize(b, t)))
	ms = append(ms, 0)
	for w := 1; w <= t; w++ {
		ms = appendWeight(ms, 0, 0, b, w)
	}
	v, _ := maskCache.LoadOrStore(key, ms)
	return v.([]uint32)
}

// appendWeight appends mask|m for every m of weight w over bits [from, b).
func appendWeight(ms []uint32, mask uint32, from, b, w int) []uint32 {
	if w == 0 {
		return append(ms, mask)
	}
	for j := from; j <= b-w; j++ {
		ms = appendWeight(ms, mask|1<<j, j+1, b, w-1)
	}
	return ms
}
