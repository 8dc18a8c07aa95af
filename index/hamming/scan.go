package hamming

// Scan is the reference linear scan: it returns, appended to dst[:0], every
// (ids[i], d) where d, the Hamming distance between code i and query, is at
// most radius, sorted by distance then id. codes holds len(ids) codes of
// nbits/64 words each, back to back; query has nbits/64 words. Index.Search
// returns exactly the same result for the same live codes.
func Scan(nbits int, ids, codes, query []uint64, radius int, dst []Match) []Match {
	words := nbits / 64
	if (nbits != 64 && nbits != 256) || len(query) != words || len(codes) != len(ids)*words {
		panic(ErrCodeLength)
	}
	dst = dst[:0]
	if radius < 0 {
		return dst
	}
	dst = scanLive(words, ids, codes, nil, len(ids), query, radius, dst)
	sortMatches(dst)
	return dst
}
