package natswork

import (
	"testing"

	"github.com/hashwatch/hashwatch/crawler/work"
)

// TestLookupsAreSkippedOnlyWhileTheyFindNothing follows a worker's
// choices through a pass: it asks first until its lookups keep finding
// nothing, then for one picture in lookupProbeEvery; known bytes bring
// the lookups back, a new pass starts asking again, and videos are
// always asked about.
func TestLookupsAreSkippedOnlyWhileTheyFindNothing(t *testing.T) {
	var o lookupOdds
	pic := work.ResolveRequest{Site: "s", Pass: 1, What: "media"}
	// run makes n pictures' choices, every lookup answered known; it
	// returns how many were looked up.
	run := func(r work.ResolveRequest, n int, known bool) (asked int) {
		for range n {
			if o.ask(r) {
				asked++
				o.answered(r, known)
			}
		}
		return asked
	}
	if got := run(pic, 16, false); got != 16 {
		t.Errorf("the first 16 pictures of a pass: %d lookups, want all 16 (the estimate starts at known)", got)
	}
	if got := run(pic, 8*lookupProbeEvery, false); got != 8 {
		t.Errorf("after 16 misses, %d pictures: %d lookups, want one in %d = 8", 8*lookupProbeEvery, got, lookupProbeEvery)
	}
	if got := run(pic, 64, true); got < 40 {
		t.Errorf("with every lookup finding known bytes, %d of 64 pictures were looked up, want nearly all", got)
	}
	run(pic, 64, false)
	if got := run(work.ResolveRequest{Site: "s", Pass: 1, What: "video"}, 10, false); got != 10 {
		t.Errorf("videos: %d of 10 looked up, want all", got)
	}
	if got := run(work.ResolveRequest{Site: "s", Pass: 2, What: "media"}, 10, false); got != 10 {
		t.Errorf("a new pass: %d of 10 pictures looked up, want all", got)
	}
	if got := run(work.ResolveRequest{Site: "other", Pass: 1, What: "media"}, 10, false); got != 10 {
		t.Errorf("another site: %d of 10 pictures looked up, want all", got)
	}
	var none *lookupOdds
	if !none.ask(pic) {
		t.Error("without odds (an older coordinator) a lookup was skipped")
	}
}
