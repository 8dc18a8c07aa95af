package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

// linkTrap serves an endless site: /p/N links to /p/N*50+1 … /p/N*50+50
// and shows 30 images, like a calendar or a pagination without end.
type linkTrap struct{ pages atomic.Int32 }

func (l *linkTrap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, ".jpg") {
		http.NotFound(w, r)
		return
	}
	l.pages.Add(1)
	n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
	var b strings.Builder
	b.WriteString("<html><body>")
	for i := range 30 {
		fmt.Fprintf(&b, `<img src="/img/%d-%d.jpg">`, n, i)
	}
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&b, `<a href="/p/%d">next</a>`, n*50+i)
	}
	b.WriteString("</body></html>")
	w.Header().Set("Content-Type", "text/html")
	w.Write([]byte(b.String()))
}

func TestALinkTrapIsHeldToTheSiteBounds(t *testing.T) {
	trap := &linkTrap{}
	srv := httptest.NewServer(trap)
	defer srv.Close()
	db := emptyDB(t)
	site := parseSite(t, largeSiteYAML(srv.URL, "    max_pages: 25\n    max_links_per_page: 40\n    respect_robots: false\n"))
	stats, err := (&Crawler{DB: db, Rule: hashing.DefaultRule()}).Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Interrupted {
		t.Errorf("the pass was interrupted; a bounded pass finishes")
	}
	if got := trap.pages.Load(); got > 25 {
		t.Errorf("fetched %d pages, max_pages 25", got)
	}
	if stats.Bounds["max_pages"] != 1 || stats.Bounds["max_links_per_page"] == 0 {
		t.Errorf("bounds %v, want max_pages once and max_links_per_page for the cut pages", stats.Bounds)
	}
	st, _, err := db.Crawl.SiteStatus("fixture")
	if err != nil {
		t.Fatal(err)
	}
	if st.Running || st.Bounds["max_pages"] != 1 {
		t.Errorf("site status running %v, bounds %v; want a finished pass that names max_pages", st.Running, st.Bounds)
	}
	if p, _, err := db.Crawl.FrontierPass("fixture"); err != nil || p.QueuedPages != 0 {
		t.Errorf("%d pages left queued (%v); a finished pass leaves none", p.QueuedPages, err)
	}
}

func TestAPassEndsAtItsMaxPassDuration(t *testing.T) {
	var hung atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			fmt.Fprint(w, `<html><body><a href="/hang">hang</a></body></html>`)
			return
		}
		hung.Add(1)
		<-r.Context().Done() // answers never; the client gives up
	}))
	defer srv.Close()
	db := emptyDB(t)
	site := parseSite(t, largeSiteYAML(srv.URL, "    max_pass_duration: 300ms\n    request_timeout: 1m\n    respect_robots: false\n"))
	start := time.Now()
	stats, err := (&Crawler{DB: db, Rule: hashing.DefaultRule()}).Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the pass took %v with max_pass_duration 300ms", d)
	}
	if stats.Interrupted || stats.Bounds["max_pass_duration"] != 1 {
		t.Errorf("interrupted %v, bounds %v; want a finished pass that names max_pass_duration", stats.Interrupted, stats.Bounds)
	}
}
