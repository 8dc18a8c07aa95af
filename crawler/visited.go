package crawler

import (
	"context"

	"github.com/hashwatch/hashwatch/crawler/crawlstate"
)

// VisitedPages keeps a copy of the running passes' visited pages outside
// the database — natswork's JetStream key-value bucket — so that workers
// on other machines can drop links to pages already done in the pass
// before sending them back, sparing the coordinator the work of turning
// them into frontier items the frontier would skip anyway.
//
// The database stays the truth: a page is told to MarkVisited only after
// the transaction marking it done has committed, and a resumed pass tells
// it every page it has done so far (the copy may have been lost or be
// stale). A copy that misses pages only costs the coordinator those
// links; it never says a page is done that the frontier has not done.
type VisitedPages interface {
	// MarkVisited notes pages done in pass number pass of site, as each
	// commit stores them. It must not block the commit: a copy that
	// cannot keep up drops marks.
	MarkVisited(site string, pass uint64, urls []string)
	// Rebuild notes pages a resumed pass had done before, waiting for
	// room as the copy takes them, until ctx ends.
	Rebuild(ctx context.Context, site string, pass uint64, urls []string) error
}

// visitedAfterCommit is the committer's hook telling c.Visited of the
// pages each transaction marked done or visited; nil without Visited.
func (c *Crawler) visitedAfterCommit() func([]crawlstate.CrawlWrite) {
	if c.Visited == nil {
		return nil
	}
	return func(ws []crawlstate.CrawlWrite) {
		for i := range ws {
			w := &ws[i]
			var urls []string
			for _, items := range [][]crawlstate.FrontierItem{w.Done, w.Visited} {
				for _, it := range items {
					if it.Kind == crawlstate.FrontierPage {
						urls = append(urls, it.URL)
					}
				}
			}
			if len(urls) > 0 {
				c.Visited.MarkVisited(w.Site, w.Pass, urls)
			}
		}
	}
}
