package hamming

import "sync/atomic"

// buffer is the write buffer: a fixed-capacity, append-only array of codes
// that searches scan linearly. Writers (holding Index.mu) fill entry n and
// then publish n+1 with an atomic store, so readers never see a partially
// written entry and never need a lock.
type buffer struct {
	words int
	ids   []uint64
	codes []uint64
	dead  []uint64 // tombstones, accessed atomically
	n     atomic.Int32
	ndead int              // guarded by Index.mu
	pos   map[uint64]int32 // live id -> entry, guarded by Index.mu
}

func newBuffer(words, capacity int) *buffer {
	return &buffer{
		words: words,
		ids:   make([]uint64, capacity),
		codes: make([]uint64, capacity*words),
		dead:  make([]uint64, (capacity+63)/64),
		pos:   make(map[uint64]int32),
	}
}

func (b *buffer) full() bool { return int(b.n.Load()) == len(b.ids) }

func (b *buffer) append(id uint64, code []uint64) {
	i := b.n.Load()
	b.ids[i] = id
	copy(b.codes[int(i)*b.words:], code)
	b.pos[id] = i
	b.n.Store(i + 1)
}

func (b *buffer) remove(id uint64) bool {
	i, ok := b.pos[id]
	if !ok {
		return false
	}
	delete(b.pos, id)
	atomic.OrUint64(&b.dead[i>>6], 1<<(i&63))
	b.ndead++
	return true
}

func (b *buffer) scan(q []uint64, r int, dst []Match) []Match {
	n := int(b.n.Load())
	if n == 0 {
		return dst
	}
	return scanLive(b.words, b.ids, b.codes, b.dead, n, q, r, dst)
}

func (b *buffer) memBytes() int {
	return 8*len(b.ids) + 8*len(b.codes) + 8*len(b.dead) + 24*len(b.pos)
}
