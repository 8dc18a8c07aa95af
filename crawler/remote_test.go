package crawler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestAPassWaitsForTheWorkersCallsThatHoldIt checks that a pass does not
// close its committer under a worker's Match still storing its result: a
// call that found the pass running (passOf) holds it until done, and the
// pass finishes only then. Before, a Match arriving as the pass ended sent
// on the closed committer and took the coordinator down ("send on closed
// channel", seen in the cluster tests).
func TestAPassWaitsForTheWorkersCallsThatHoldIt(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	open := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-open // nothing is served before the test holds the pass
		fs.ServeHTTP(w, r)
	}))
	defer srv.Close()
	db := registerKnown(t)
	site := parseSite(t, largeSiteYAML(srv.URL, ""))
	c := &Crawler{DB: db, Rule: hashing.DefaultRule(), Workers: 2}

	finished := make(chan error, 1)
	go func() {
		_, err := c.Pass(context.Background(), site)
		finished <- err
	}()
	var p *pass
	var done func()
	for deadline := time.Now().Add(10 * time.Second); p == nil; {
		c.mu.Lock()
		running := c.running[site.Name]
		c.mu.Unlock()
		if running != nil {
			if p, done, err = c.passOf(site.Name, running.info.Number); err != nil {
				t.Fatal(err)
			}
		} else if time.Now().After(deadline) {
			t.Fatal("the pass never started")
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	close(open)
	select {
	case err := <-finished:
		t.Fatalf("the pass finished (%v) while a worker's call held it", err)
	case <-time.After(500 * time.Millisecond):
	}
	// What a late Match does: store a result through the pass's committer.
	p.commit.post(crawlstate.CrawlWrite{Site: site.Name})
	done()
	select {
	case err := <-finished:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the pass did not finish once released")
	}
	if _, _, err := c.passOf(site.Name, p.info.Number); err == nil {
		t.Error("a finished pass is still found")
	}
}
