package console

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/console/messages"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
)

// verbs lists a message's fmt verbs in order, so translations take the
// same arguments.
var verbs = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

func TestBothLanguagesHaveEveryMessage(t *testing.T) {
	for _, lang := range languages {
		if messages.For(lang) == nil {
			t.Fatalf("no catalog for %s", lang)
		}
	}
	ko, en := messages.For("ko"), messages.For("en")
	for k, v := range ko {
		w, ok := en[k]
		if !ok {
			t.Errorf("%q is in Korean but not in English", k)
			continue
		}
		if a, b := verbs.FindAllString(v, -1), verbs.FindAllString(w, -1); !slices.Equal(a, b) {
			t.Errorf("%q: Korean verbs %v, English %v", k, a, b)
		}
		if strings.TrimSpace(v) == "" || strings.TrimSpace(w) == "" {
			t.Errorf("%q is empty in a language", k)
		}
	}
	for k := range en {
		if _, ok := ko[k]; !ok {
			t.Errorf("%q is in English but not in Korean", k)
		}
	}
}

// TestEveryKeyInUseExists finds the keys the templates and the Go code ask
// for, literal and built from statuses and roles, and checks each is in
// the catalog.
func TestEveryKeyInUseExists(t *testing.T) {
	literal := regexp.MustCompile(`\bT \(?"([a-z_]+\.[a-z_]+)"|\.T\("([a-z_]+\.[a-z_]+)"`)
	var keys []string
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1]+m[2])
		}
	}
	// The handlers' refusals and the phrases in their arguments.
	goFiles, _ := filepath.Glob("*.go")
	refusal := regexp.MustCompile(`(?:refuse|refuseWith)\([^"\n]*?"([a-z_]+\.[a-z_.]+)"|\bwords\("([a-z_]+\.[a-z_]+)"|\.T\("([a-z_]+\.[a-z_]+)"`)
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range refusal.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1]+m[2]+m[3])
		}
	}
	for _, p := range navPages {
		keys = append(keys, p.key)
	}
	for _, s := range allStatuses {
		keys = append(keys, "status."+string(s))
	}
	for _, r := range accounts.Roles {
		keys = append(keys, "role."+string(r))
	}
	for _, sc := range accounts.TokenScopes {
		keys = append(keys, "scope."+string(sc))
	}
	for _, k := range []crawlstate.FrontierKind{crawlstate.FrontierPage, crawlstate.FrontierMedia, crawlstate.FrontierVideo} {
		keys = append(keys, "frontier."+k.String())
	}
	for _, st := range []alerts.QuarantineState{alerts.QuarantineHeld, alerts.QuarantineReleased, alerts.QuarantineRetired} {
		keys = append(keys, "qstate."+string(st))
	}
	for _, st := range []string{alerts.ReportPending, alerts.ReportError, alerts.ReportNoMatch, alerts.ReportMatch} {
		keys = append(keys, "reports.state_"+st)
	}
	for _, d := range []string{"confirmed", "dismissed", "bulk", "withdrawn", "site_pass", "site_pause", "site_resume", "user_added",
		"user_updated", "token_revoked", "saved", "notice_saved", "notice_sent", "contact_saved",
		"released", "retired", "negative", "negative_removed", "pin_revoked", "self_submit_on", "self_submit_off"} {
		keys = append(keys, "done."+d) // the ?done= values the handlers redirect with
	}
	keys = append(keys, "done.undone", "done.undone_n") // undo.go's
	for _, b := range boundNames {
		keys = append(keys, "sites.limit."+b) // newSiteJSON's limits reached
	}
	for _, why := range []string{alerts.UndoNothing, alerts.UndoExpired, alerts.UndoFollowed, alerts.UndoOtherUser} {
		keys = append(keys, "undo.refused_"+why) // undoRefusal's
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d keys; the pattern is broken", len(keys))
	}
	for _, k := range keys {
		if _, ok := messages.For("en")[k]; !ok {
			t.Errorf("key %q is used but not in the catalog", k)
		}
	}
}

func TestLanguageAndTimeZone(t *testing.T) {
	cases := []struct{ header, want string }{
		{"", "ko"}, {"en-US,en;q=0.9", "en"}, {"ko-KR,ko;q=0.9,en;q=0.8", "ko"},
		{"fr-FR, en;q=0.5", "en"}, {"en;q=0.2, ko;q=0.8", "ko"}, {"de", "ko"}, {"en;q=0", "ko"},
	}
	for _, c := range cases {
		if got := negotiate(c.header); got != c.want {
			t.Errorf("Accept-Language %q: %s, want %s", c.header, got, c.want)
		}
	}
	e := newEnv(t, nil)
	t.Run("a user's own language wins over the browser's", func(t *testing.T) {
		c := e.login("op1") // Language "en"
		req, _ := http.NewRequest("GET", e.ts.URL+"/alerts", nil)
		req.Header.Set("Accept-Language", "ko")
		if body := readAll(c.do(req)); !strings.Contains(body, "Alert queue") {
			t.Fatal("not in English")
		}
	})
	t.Run("the login page follows Accept-Language", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.ts.URL+"/login", nil)
		req.Header.Set("Accept-Language", "ko-KR")
		if body := readAll(e.anon().do(req)); !strings.Contains(body, "비밀번호") {
			t.Fatal("not in Korean")
		}
	})
	t.Run("times show in the user's zone, Asia/Seoul by default", func(t *testing.T) {
		at := time.Date(2026, 11, 30, 15, 4, 0, 0, time.UTC)
		l := e.srv.locale(&http.Request{Header: http.Header{}}, accounts.User{})
		if got := l.Time(at); got != "2026-12-01 00:04 KST" {
			t.Errorf("default zone: %s", got)
		}
		l = e.srv.locale(&http.Request{Header: http.Header{}}, accounts.User{TimeZone: "Europe/London"})
		if got := l.Time(at); got != "2026-11-30 15:04 GMT" {
			t.Errorf("London: %s", got)
		}
	})
}
