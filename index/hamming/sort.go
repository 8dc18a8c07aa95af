package hamming

// radixSortPairs sorts keys ascending, permuting vals alongside. It is a
// stable LSD radix sort (byte digits, constant digits skipped), so pairs with
// equal keys keep their input order.
func radixSortPairs(keys []uint64, vals []uint32) {
	n := len(keys)
	if n < 64 {
		for i := 1; i < n; i++ {
			k, v := keys[i], vals[i]
			j := i
			for j > 0 && keys[j-1] > k {
				keys[j], vals[j] = keys[j-1], vals[j-1]
				j--
			}
			keys[j], vals[j] = k, v
		}
		return
	}
	var cnt [8][256]int
	for _, k := range keys {
		for d := 0; d < 8; d++ {
			cnt[d][byte(k>>(8*d))]++
		}
	}
	tk := makeU64(n)
	tv := makeU32(n)
	src, srcv, dst, dstv := keys, vals, tk, tv
	for d := 0; d < 8; d++ {
		c := &cnt[d]
		if c[byte(keys[0]>>(8*d))] == n {
			continue // every key has the same digit
		}
		sum := 0
		for i := range c {
			sum, c[i] = sum+c[i], sum
		}
		sh := uint(8 * d)
		for i, k := range src {
			b := byte(k >> sh)
			p := c[b]
			c[b] = p + 1
			dst[p], dstv[p] = k, srcv[i]
		}
		src, srcv, dst, dstv = dst, dstv, src, srcv
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
		copy(vals, srcv)
	}
}

// bucketSortLowBits is the key width sorted inside one cache-resident
// partition by bucketSort (2^16 offsets = 256 KiB, L2-sized).
const bucketSortLowBits = 16

// bucketSort stably sorts vals by keys (each < 2^w) into out and returns the
// CSR offsets: the values with key k are out[off[k]:off[k+1]].
//
// Keys wider than 16 bits are sorted in two passes so that no pass scatters
// at random over a large array: first the (key, value) pairs are partitioned
// by their high bits (at most 256 sequential output streams), then each
// partition is counting-sorted on its low 16 bits with its part of off and
// out in cache.
func bucketSort(keys, vals []uint32, w int, out []uint32) []uint32 {
	n := len(keys)
	off := makeU32(1<<w + 1)
	low := min(w, bucketSortLowBits)
	if w == low || n < 1<<14 {
		for _, k := range keys {
			off[k+1]++
		}
		for k := 1; k < len(off); k++ {
			off[k] += off[k-1]
		}
		cur := makeU32(1 << w)
		copy(cur, off)
		for j, k := range keys {
			p := cur[k]
			out[p] = vals[j]
			cur[k] = p + 1
		}
		return off
	}
	hi := w - low
	np := 1 << hi
	pstart := makeU32(np + 1)
	for _, k := range keys {
		pstart[(k>>low)+1]++
	}
	for p := 1; p <= np; p++ {
		pstart[p] += pstart[p-1]
	}
	pcur := makeU32(np)
	copy(pcur, pstart)
	tmp := makeU64(n) // key<<32 | val, partitioned
	for j, k := range keys {
		p := k >> low
		c := pcur[p]
		tmp[c] = uint64(k)<<32 | uint64(vals[j])
		pcur[p] = c + 1
	}
	lm := uint32(1)<<low - 1
	cnt := makeU32(1 << low)
	for p := 0; p < np; p++ {
		part := tmp[pstart[p]:pstart[p+1]]
		clear(cnt)
		for _, kv := range part {
			cnt[uint32(kv>>32)&lm]++
		}
		o := off[p<<low : (p+1)<<low]
		run := pstart[p]
		for j, c := range cnt {
			o[j] = run
			cnt[j] = run
			run += c
		}
		for _, kv := range part {
			j := uint32(kv>>32) & lm
			out[cnt[j]] = uint32(kv)
			cnt[j]++
		}
	}
	off[1<<w] = uint32(n)
	return off
}
