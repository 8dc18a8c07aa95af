package crawler

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/crawlstate"
)

// TestCommitEverySpacesTransactions checks the committer's spacing
// (Crawler.CommitEvery): writes arriving while it lasts share one
// transaction, each returns only once stored, and without spacing a lone
// write is not held back.
func TestCommitEverySpacesTransactions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		every time.Duration
		// maxTx bounds the transactions the burst may take.
		maxTx int64
	}{
		{"spaced", 300 * time.Millisecond, 3},
		{"unspaced", 0, 41},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			var txs, stored atomic.Int64
			c := newCommitter(db, slog.New(slog.DiscardHandler), tc.every, func(ws []crawlstate.CrawlWrite) {
				txs.Add(1)
				stored.Add(int64(len(ws)))
			})
			defer c.close()
			ctx := context.Background()
			write := func(i int) {
				w := crawlstate.CrawlWrite{Site: "s", Pages: []crawlstate.PageRecord{{URL: "http://a/" + string(rune('a'+i)), Pass: 1, Checked: time.Now()}}}
				if err := c.write(ctx, w); err != nil {
					t.Error(err)
				}
			}
			start := time.Now()
			write(0) // the first transaction starts at once
			if d := time.Since(start); d > 200*time.Millisecond {
				t.Errorf("the first write took %v", d)
			}
			var wg sync.WaitGroup
			for i := 1; i <= 40; i++ {
				wg.Go(func() { write(i) })
				time.Sleep(time.Millisecond)
			}
			wg.Wait()
			if got := stored.Load(); got != 41 {
				t.Errorf("stored %d writes, want 41", got)
			}
			if got := txs.Load(); got > tc.maxTx {
				t.Errorf("%d transactions for 41 writes, want at most %d", got, tc.maxTx)
			}
			if tc.every > 0 && time.Since(start) < tc.every {
				t.Errorf("the burst was stored %v after the first write, sooner than the spacing %v", time.Since(start), tc.every)
			}
		})
	}
}
