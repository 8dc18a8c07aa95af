// Package hamming is an exact in-memory Hamming-radius index for binary
// perceptual hashes: 256-bit codes (PDQ) stored as [4]uint64 words and 64-bit
// codes (pHash, dHash) stored as one uint64, each under a caller-chosen
// uint64 id. Index.Search(code, r) returns every stored code within Hamming
// distance r of code, sorted by distance then id: exactly what the linear
// scan Scan returns, for every radius, including 0 and r >= bits.
//
// # Multi-index hashing
//
// A code of B bits is cut into m disjoint substrings of B/m or B/m+1 bits
// (at most 24), and each substring gets a hash table from its value to the
// codes having it (Norouzi et al., "Fast exact search in Hamming space with
// multi-index hashing"). If two codes are within distance r and per-table
// thresholds t_i satisfy
//
//	sum_i (t_i + 1) >= r + 1
//
// then in at least one table i the substrings differ in at most t_i bits
// (otherwise the distance would be at least sum (t_i+1) > r). This
// generalised pigeonhole condition includes the classic t_i = floor(r/m), but
// lets the planner give different tables different radii, or skip a table
// (t_i = -1), e.g. 13 tables at r = 31 need sum t_i >= 19: six tables probe
// their 1-bit ball and seven their 2-bit ball. A search enumerates, in every
// table, all keys within t_i bits of the query's substring, collects the
// codes in those buckets, computes each candidate's full distance and keeps
// those within r. A candidate found in several tables is reported only by
// the first table whose ball contains it (checked from the substring
// distances of the match), so no visited set is needed and every match is
// reported exactly once. Because the condition holds for every radius, the
// result is exact; when it cannot be met cheaply the index scans instead.
//
// # Cost model: when the index scans
//
// Costs are estimated in nanoseconds of one core; the constants in plan.go
// were measured on the reference machine (2-core AMD EPYC VM). Random
// accesses dominate, so the unit is the price of one random cache line with
// prefetching, which depends on the segment's footprint F: 1.5 ns when F fits
// L2, 7 ns at 32 MiB, 22 ns at 512 MiB and beyond (log-linear between). For
// a table of width b with threshold t the estimated cost is
//
//	sum_{w<=t} C(b,w) * [ key + line + P(bucket non-empty)*(range + line) + pop(w)*cand ]
//
// where pop(w) is the mean number of codes in a bucket whose key is at
// distance w from a stored code's key. pop is measured at build time by
// probing the tables around a sample of 96 stored codes, so clustered data,
// whose hot buckets are far fuller than N/2^b, is priced correctly. cand is
// line+1 ns for a 256-bit candidate (a random 32-byte code) and 0.5 ns for a
// 64-bit one (codes are stored inline in the buckets). A dynamic program over
// the tables chooses the thresholds minimising the total subject to the
// pigeonhole condition (cached per segment and radius), and the plan is used
// only if it beats a linear scan (1.6 ns per 256-bit code, 0.5 ns per 64-bit
// code, memory-bandwidth bound). So small segments, large radii (at r = 31 on
// 256 bits the 1-2 bit balls cost a few thousand probes; at r = 80 the balls
// explode) and r >= bits are scanned.
//
// The estimate is then checked per query: after the probe stage the exact
// number of non-empty buckets and candidates is known, and if verifying them
// is estimated to cost more than a scan (a query in the middle of a huge
// cluster, or near a code with thousands of exact duplicates), the search
// scans instead. The work wasted is bounded by the probe stage, which the
// plan already priced below a scan.
//
// The number of tables m of a segment is chosen the same way when the
// segment is built: the m minimising the model's cost at the radius hint
// (WithRadiusHint; default 31 for 256-bit, 10 for 64-bit codes), assuming
// uniform data, among those whose tables fit the memory bound below.
// Typical choices: 1M 256-bit codes m=13 (19-20 bit substrings), 10M m=11
// (23-24 bits), 1M 64-bit codes m=4 (16 bits). WithSubstrings overrides m.
//
// # Search stages
//
// A search runs three flat stages whose loads are independent and, on
// amd64, prefetched 16-32 iterations ahead in assembly kernels
// (kernels_amd64.s; kernels.go holds the portable versions, used elsewhere
// and with the purego build tag): (1) probe every key of every ball and keep
// the non-empty bucket bounds, (2) copy the bucket's slot numbers into one
// candidate list, (3) compute the candidates' distances. With random DRAM
// latency of 150-350 ns on the reference VM, overlapping misses is what
// takes a 1M-code query from ~190 us to ~35 us.
//
// # Memory layout
//
// The index is a list of immutable segments plus write buffers. A segment
// stores each distinct code once (exact duplicates are common in real data);
// distinct codes are numbered by uint32 slots in the order of table 0's key,
// so table 0 needs no slot array and near-identical codes sit together:
//
//	codes    [nc*words]uint64  distinct codes by slot (32 or 8 bytes each)
//	idStart  [nc+1]uint32      ids of slot s are ids[idStart[s]:idStart[s+1]]
//	ids      [n]uint64         ids grouped by slot
//	byID     [n]uint32         positions in id order (Delete, upsert)
//	idSample [n/32]uint64      every 32nd id in id order
//	dead     [n/64]uint64      tombstones by position
//	tables   per table i: base [2^b/64+2]uint32 and rel [2^b+1]uint16, the
//	         CSR offsets of bucket k being base[k>>6]+rel[k]; slots [nc]uint32
//	         (tables 1..m-1); 64-bit segments also keep the codes inline.
//
// The two-level offsets cost ~2.06 bytes per key instead of 4; a table in
// which 64 consecutive keys hold 2^16 codes or more keeps plain uint32
// offsets instead. Per 256-bit code that is 32 + 8 + 4 + 4 (+0.4) bytes plus
// 4 per table beyond the first plus 2.06*2^b/N per table of offsets: at 10M
// codes with m = 11 (three 24-bit and eight 23-bit substrings) about 113
// bytes per code, measured as runtime heap after GC. Tables are allowed at
// most 68 bytes per code plus 4 MiB per segment, which is what keeps a 10M
// segment under 120 bytes per code and makes small segments choose a larger
// m or no tables.
//
// # Writes, concurrency and compaction
//
// Insert appends to a write buffer of 4096 codes (WithBufferSize) that
// searches scan linearly; Insert of an existing id replaces its code. Delete
// sets a tombstone bit. Neither rebuilds anything. When the buffer is full it
// is frozen and a background goroutine builds it into a segment; segments
// are merged in size classes (four segments of a class become one of the
// next, factor 4), and a segment with more than a quarter of tombstones is
// rewritten. Compact merges everything into one segment. If four frozen
// buffers are waiting, Insert blocks until the compactor catches up.
//
// Searches never take a lock: the layout (segment and buffer lists) is an
// immutable snapshot behind an atomic pointer, replaced copy-on-write by
// writers and by the compactor; buffers are append-only with an atomically
// published length; tombstones are set and read with atomic bit operations.
// Writers serialise on a mutex. A compaction builds its new segment without
// holding that mutex, records the ids deleted meanwhile, and holds it only
// to re-apply those deletes and publish the new snapshot, so neither
// searches nor (for long) writers wait for it. A search sees every Insert
// and Delete that returned before it started.
//
// Load (and Build, LoadSeq) bulk-builds one segment directly from a slice of
// (id, code) pairs, in place (build.go): the rows are ordered by id
// (repeated ids keep the last), then by table-0 key and code, which groups
// duplicate codes, moving them where they lie, and each table is a
// partitioned counting sort of the slots, in parallel up to GOMAXPROCS.
// LoadOwned and BuildOwned take the caller's arrays over as the segment's
// own; Load copies them first. Beyond what the segment keeps, a build
// allocates about 2 bytes per code and goroutine, so the heap's peak during
// a bulk load is close to what it holds after (8M frame codes: 1.2-1.4 GB
// peak RSS for the whole video matcher test, from 2.3 GB). Large arrays
// are allocated with a transparent-huge-page hint on Linux, which cuts
// page-fault time.
//
// # Benchmarks
//
// RunBench builds a synthetic index (uniform random codes, or noisy copies of
// 100 centres with 10% of the bits flipped), plants near-duplicates of each
// query within the radius, times the queries one by one and checks recall
// against Scan. The cmd/hashwatch "bench index" command wraps it.
package hamming
