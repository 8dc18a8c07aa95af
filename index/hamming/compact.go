package hamming

import (
	"math/bits"
	"runtime"
	"slices"
	"sync/atomic"
)

// mergeFanIn is the tiering factor: segments are grouped in size classes
// growing by this factor, and a class holding mergeFanIn segments is merged
// into one segment of the next class.
const mergeFanIn = 4

// job is one compaction: its inputs are replaced by a single new segment
// holding their live codes.
type job struct {
	segs []*segment
	bufs []*buffer
}

// pickJobLocked chooses the next compaction, in priority order: index the
// frozen write buffers; merge a full size class; rewrite a segment with more
// than a quarter of tombstones.
func (ix *Index) pickJobLocked(st *state) *job {
	if len(st.frozen) > 0 {
		return &job{bufs: st.frozen}
	}
	classes := map[int][]*segment{}
	for _, s := range st.segs {
		c := ix.sizeClass(s.n)
		classes[c] = append(classes[c], s)
		if len(classes[c]) >= mergeFanIn {
			return &job{segs: classes[c]}
		}
	}
	for _, s := range st.segs {
		if s.ndead*4 > s.n {
			return &job{segs: []*segment{s}}
		}
	}
	return nil
}

func (ix *Index) sizeClass(n int) int {
	q := n / ix.cfg.bufferSize
	if q < 1 {
		return 0
	}
	return bits.Len(uint(q)) / 2 // log4
}

// kickLocked starts the background compactor if there is work and it is not
// already running.
func (ix *Index) kickLocked() {
	if ix.bgRunning || !ix.cfg.background {
		return
	}
	if ix.pickJobLocked(ix.st.Load()) == nil {
		return
	}
	ix.bgRunning = true
	go ix.background()
}

func (ix *Index) background() {
	for {
		ix.jobMu.Lock()
		ix.mu.Lock()
		j := ix.pickJobLocked(ix.st.Load())
		if j == nil {
			ix.bgRunning = false
			ix.installed.Broadcast()
			ix.mu.Unlock()
			ix.jobMu.Unlock()
			return
		}
		ix.compacting = true
		ix.mu.Unlock()
		ix.runJob(j, 1)
		ix.jobMu.Unlock()
	}
}

// runJob builds the merged segment without holding mu, then publishes it.
// Deletes that happened during the build were logged in delLog and are
// re-applied to the new segment before it becomes visible. The caller holds
// jobMu and has set ix.compacting under mu.
func (ix *Index) runJob(j *job, par int) {
	in := gather(ix.words, j)
	var out *segment
	if len(in.ids) > 0 {
		out = ix.build(in, par)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if out != nil {
		for _, id := range ix.delLog {
			if slot, ok := out.find(id); ok && out.kill(slot) {
				out.ndead++
			}
		}
	}
	ix.delLog = ix.delLog[:0]
	ix.compacting = false
	cur := ix.st.Load()
	next := &state{active: cur.active}
	for _, s := range cur.segs {
		if !slices.Contains(j.segs, s) {
			next.segs = append(next.segs, s)
		}
	}
	if out != nil {
		next.segs = append(next.segs, out)
	}
	for _, b := range cur.frozen {
		if !slices.Contains(j.bufs, b) {
			next.frozen = append(next.frozen, b)
		}
	}
	ix.st.Store(next)
	ix.installed.Broadcast()
}

// gather copies the live codes of the job's inputs into arrays the build
// then owns.
func gather(words int, j *job) buildInput {
	n := 0
	for _, s := range j.segs {
		n += s.n
	}
	for _, b := range j.bufs {
		n += int(b.n.Load())
	}
	in := buildInput{ids: makeU64(n)[:0], codes: makeU64(n * words)[:0]}
	live := func(dead []uint64, i int) bool {
		return atomic.LoadUint64(&dead[i>>6])&(1<<(i&63)) == 0
	}
	for _, s := range j.segs {
		for slot := 0; slot < s.nc; slot++ {
			for p := int(s.idStart[slot]); p < int(s.idStart[slot+1]); p++ {
				if live(s.dead, p) {
					in.ids = append(in.ids, s.ids[p])
					in.codes = append(in.codes, s.codes[slot*words:slot*words+words]...)
				}
			}
		}
	}
	for _, b := range j.bufs {
		for i := 0; i < int(b.n.Load()); i++ {
			if live(b.dead, i) {
				in.ids = append(in.ids, b.ids[i])
				in.codes = append(in.codes, b.codes[i*words:i*words+words]...)
			}
		}
	}
	return in
}

// waitIdle blocks until the background compactor has no work left (tests
// and benchmarks use it to account for deferred work).
func (ix *Index) waitIdle() {
	for {
		ix.mu.Lock()
		running := ix.bgRunning
		ix.mu.Unlock()
		if !running {
			return
		}
		ix.jobMu.Lock() // wait for the running job
		ix.jobMu.Unlock()
		runtime.Gosched()
	}
}
