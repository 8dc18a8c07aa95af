package crawler

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
)

// waitPasses polls the site's stored status until cond holds, for at most a
// minute (polling a condition with a deadline, not sleeping).
func waitPasses(t *testing.T, db *database.DB, what string, cond func(crawlstate.SiteStatus) bool) crawlstate.SiteStatus {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		st, _, err := db.Crawl.SiteStatus("fixture")
		if err != nil {
			t.Fatal(err)
		}
		if cond(st) {
			return st
		}
		select {
		case <-deadline:
			t.Fatalf("%s: not within a minute (status %+v)", what, st)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// runScheduler runs, until the test ends, a scheduler of the fixture
// site (passes an hour apart, no delay) on a database with the known
// photos registered; Run must return within 10 s of the end. ctx is the
// one Run was given, siteURL the fixture site's.
func runScheduler(t *testing.T) (db *database.DB, s *Scheduler, ctx context.Context, siteURL string) {
	t.Helper()
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	db = registerKnown(t)
	site := siteFor(t, srv.URL, "    interval: 1h\n    delay: 0s\n")
	s = NewScheduler(&Crawler{DB: db, Rule: hashing.DefaultRule()}, []*Site{site})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancellation")
		}
	})
	return db, s, ctx, srv.URL
}

func TestSchedulerPassesNowPausesAndResumes(t *testing.T) {
	db, s, ctx, _ := runScheduler(t)
	ana := store.Actor{User: "ana", Remote: "192.0.2.7"}

	waitPasses(t, db, "the first pass, due at once", func(st crawlstate.SiteStatus) bool { return st.TotalPass == 1 && !st.Running })
	t.Run("pass now runs a pass before the interval is up", func(t *testing.T) {
		if err := s.PassNow(ctx, "fixture", ana); err != nil {
			t.Fatal(err)
		}
		waitPasses(t, db, "the requested pass", func(st crawlstate.SiteStatus) bool { return st.TotalPass == 2 && !st.Running })
	})
	t.Run("a paused site takes no pass and stays paused in the database", func(t *testing.T) {
		if err := s.SetPaused(ctx, "fixture", true, ana); err != nil {
			t.Fatal(err)
		}
		if err := s.PassNow(ctx, "fixture", ana); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("pass now on a paused site: %v, want ErrInvalid", err)
		}
		if p, _ := db.Crawl.PausedSites(); !p["fixture"] {
			t.Fatal("the pause is not stored")
		}
	})
	t.Run("resuming lets pass now through again", func(t *testing.T) {
		if err := s.SetPaused(ctx, "fixture", false, ana); err != nil {
			t.Fatal(err)
		}
		if err := s.PassNow(ctx, "fixture", ana); err != nil {
			t.Fatal(err)
		}
		waitPasses(t, db, "the pass after resuming", func(st crawlstate.SiteStatus) bool { return st.TotalPass == 3 && !st.Running })
	})
	t.Run("unknown sites are refused", func(t *testing.T) {
		if err := s.PassNow(ctx, "nosuch", ana); !errors.Is(err, ErrUnknownSite) {
			t.Errorf("pass now: %v", err)
		}
		if err := s.SetPaused(ctx, "nosuch", true, ana); !errors.Is(err, ErrUnknownSite) {
			t.Errorf("pause: %v", err)
		}
	})
	t.Run("every control is audited", func(t *testing.T) {
		log, _ := db.Store.AuditLog(store.AuditFilter{Action: "site."})
		var got []string
		for _, e := range log {
			if e.User != "ana" || e.Remote != "192.0.2.7" || e.Target != "fixture" {
				t.Errorf("entry %+v", e)
			}
			got = append([]string{e.Action}, got...)
		}
		want := "[site.pass_now site.pause site.resume site.pass_now]"
		if s := fmtList(got); s != want {
			t.Errorf("audited %s, want %s", s, want)
		}
	})
}

func fmtList(s []string) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out + "]"
}

func TestPausingInterruptsARunningPass(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var once bool
	// The site holds its pages until the test has paused the site.
	release := make(chan struct{})
	srv := httptest.NewServer(&gate{h: fs, started: started, release: release, once: &once})
	defer srv.Close()
	db := registerKnown(t)
	site := siteFor(t, srv.URL, "    interval: 1h\n    delay: 0s\n")
	s := NewScheduler(&Crawler{DB: db, Rule: hashing.DefaultRule()}, []*Site{site})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("the first pass did not start")
	}
	if err := s.SetPaused(ctx, "fixture", true, store.Actor{User: "ana"}); err != nil {
		t.Fatal(err)
	}
	close(release)
	st := waitPasses(t, db, "the interrupted pass to store its state", func(st crawlstate.SiteStatus) bool { return st.PassNumber == 1 && !s.Running("fixture") })
	if !st.Running {
		t.Errorf("the paused pass finished instead of stopping: %+v", st)
	}
	cancel()
	<-done
}

// gate signals the first request and holds every request until release is
// closed.
type gate struct {
	h interface {
		ServeHTTP(w http.ResponseWriter, r *http.Request)
	}
	started chan struct{}
	release chan struct{}
	once    *bool
	mu      sync.Mutex
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	if !*g.once {
		*g.once = true
		close(g.started)
	}
	g.mu.Unlock()
	<-g.release
	g.h.ServeHTTP(w, r)
}

func TestSchedulerReloadAddsChangesAndRemovesSites(t *testing.T) {
	db, s, ctx, siteURL := runScheduler(t)
	ana := store.Actor{User: "ana"}
	waitPasses(t, db, "the first pass", func(st crawlstate.SiteStatus) bool { return st.TotalPass == 1 && !st.Running })

	steps := []struct {
		name                    string
		sites                   []*Site
		added, changed, removed string
		passNow                 error // what PassNow answers afterwards
		passes                  int   // passes stored once it has run (0: none asked)
	}{
		{"the same configuration changes nothing", []*Site{siteFor(t, siteURL, "    interval: 1h\n    delay: 0s\n")}, "[]", "[]", "[]", nil, 2},
		{"a removed site is no longer crawled", nil, "[]", "[]", "[fixture]", ErrUnknownSite, 0},
		{"a site added again is scheduled", []*Site{siteFor(t, siteURL, "    interval: 1h\n    delay: 0s\n")}, "[fixture]", "[]", "[]", nil, 3},
		{"a changed site runs under its new configuration", []*Site{siteFor(t, siteURL, "    interval: 2h\n    delay: 0s\n")}, "[]", "[fixture]", "[]", nil, 4},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			a, c, r := s.Reload(st.sites)
			if got := fmtList(a) + fmtList(c) + fmtList(r); got != st.added+st.changed+st.removed {
				t.Fatalf("added, changed, removed = %s, want %s", got, st.added+st.changed+st.removed)
			}
			if err := s.PassNow(ctx, "fixture", ana); !errors.Is(err, st.passNow) {
				t.Fatalf("pass now: %v, want %v", err, st.passNow)
			}
			if st.passes > 0 {
				waitPasses(t, db, "the requested pass", func(ss crawlstate.SiteStatus) bool { return ss.TotalPass == st.passes && !ss.Running })
			}
			if len(s.Sites()) != len(st.sites) {
				t.Fatalf("Sites() = %d sites, want %d", len(s.Sites()), len(st.sites))
			}
		})
	}
}

func TestInspectorAndRecheckerFollowTheWatchedSites(t *testing.T) {
	site := siteFor(t, "http://board.example", "")
	var watched []*Site
	in := &Inspector{Watched: func() []*Site { return watched }}
	u, _ := url.Parse("http://board.example/x.jpg")
	if s, err := in.siteOf(u); err != nil || s == site {
		t.Fatalf("before the site is watched: %v, %v; want an ad-hoc site", s, err)
	}
	watched = []*Site{site}
	if s, err := in.siteOf(u); err != nil || s != site {
		t.Fatalf("after the site is watched: %v, %v; want the watched site", s, err)
	}
}
