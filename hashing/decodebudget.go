package hashing

import (
	"errors"
	"runtime"
	"time"

	"github.com/hashwatch/hashwatch/cputime"
)

// A JPEG's decode costs a pass over every block per scan, and a hostile
// file packs hundreds of nearly empty scans into a few kilobytes: 1,000
// scans of a 172 KB file were 60 s of CPU (issue 14, item 2). The scans
// are counted before decoding (Limits.MaxJPEGScans), and the decode itself
// has a budget of CPU time (Limits.MaxDecodeCPU), metered on the decoding
// thread, so that a machine busy with other work — where wall time
// stretches while the decode waits for a core — does not refuse honest
// pictures, while a hostile one stops after the same work on any machine.
// The wall-time limit (Limits.MaxDecodeTime) stays as the backstop, and
// the caller's cancellation stops a decode at once.

// errDecodeCPU is what decodeBudget.over returns once the budget is spent.
var errDecodeCPU = errors.New("decode CPU budget spent")

// budgetLookEvery is how often, at most, the decoder's check reads the
// thread's CPU time: the decoder asks before every scan and row of blocks,
// tens of thousands of times for a hostile file, and a look is a system
// call. A decode overshoots its budget by at most this and one row.
const budgetLookEvery = 2 * time.Millisecond

// decodeBudget meters one decode's CPU time against a limit.
type decodeBudget struct {
	limit    time.Duration
	start    time.Duration // the thread's CPU time at the start
	began    time.Time
	lastLook time.Time
	cpu      bool // false: the thread's CPU time cannot be read, wall time is metered
}

// startDecodeBudget locks the calling goroutine to its thread and starts
// metering it; done unlocks it. Call both from the decoding goroutine.
func startDecodeBudget(limit time.Duration) (b *decodeBudget, done func()) {
	runtime.LockOSThread()
	b = &decodeBudget{limit: limit, began: time.Now()}
	b.lastLook = b.began
	b.start, b.cpu = cputime.Thread()
	return b, runtime.UnlockOSThread
}

// used is the CPU time (or, where it cannot be read, the wall time) the
// decode has taken so far.
func (b *decodeBudget) used() time.Duration {
	if b.cpu {
		if now, ok := cputime.Thread(); ok {
			return now - b.start
		}
	}
	return time.Since(b.began)
}

// over returns errDecodeCPU once the decode has used more than its budget.
func (b *decodeBudget) over() error {
	now := time.Now()
	if now.Sub(b.lastLook) < budgetLookEvery {
		return nil
	}
	b.lastLook = now
	if b.used() > b.limit {
		return errDecodeCPU
	}
	return nil
}
