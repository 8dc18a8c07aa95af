package console

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chromedp/chromedp"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

// notForeign are the ASCII words a Korean page may show: names of the
// product, of hashes and formats, of protocols and units, and of keys on
// the keyboard, which are written so in Korean too. Anything else of
// three or more letters in a Korean page is English left untranslated.
// (Codes of the machine — commands in backquotes, paths, URLs, mail
// addresses, file names, dotted identifiers such as audit actions, hex —
// are no words and are left out before the words are read: see
// foreignWords.)
var notForeign = map[string]bool{
	"hashwatch": true, "PDQ": true, "pHash": true, "dHash": true, "SHA": true, "URL": true, "URLs": true, "API": true,
	"CSV": true, "JSON": true, "JSONL": true, "HTTP": true, "HTTPS": true, "TLS": true, "SMTP": true, "PIN": true, "CSRF": true,
	"SIGHUP": true, "JPEG": true, "PNG": true, "GIF": true, "WebP": true, "BMP": true, "TIFF": true, "WebM": true, "MiB": true,
	"KST": true, "UTC": true, "GMT": true, "Esc": true, "GET": true, "POST": true,
	// The other language's own name, on the switch to it.
	"English": true,
}

// notForeignHangul is the Hangul an English page may show: the other
// language's own name, on the switch to it.
var notForeignHangul = []string{"한국어"}

// machineToken is a space-separated piece of text that is a code, not a
// word: a URL or path, a mail address, a file or dotted name
// (sites.yaml, alert.confirm) or a file's extension (.eml), a snake_case
// name, template code ({{.Site}}), or anything with a digit (hex, sizes,
// IDs).
var machineToken = regexp.MustCompile(`[/@_0-9{}$\x00]|[A-Za-z]\.[A-Za-z]|^\.[A-Za-z]`)

var (
	// codeSpan is a command as the reader types it (`hashwatch serve`).
	codeSpan  = regexp.MustCompile("`[^`]*`")
	asciiWord = regexp.MustCompile(`[A-Za-z][A-Za-z'’-]*[A-Za-z]`)
	hangulRun = regexp.MustCompile(`\p{Hangul}+`)
)

// foreignWords lists what in text is not in lang: English words (three
// or more letters, not in notForeign) in a Korean page, Hangul in an
// English one. userData are the strings the test seeded and the people
// typed (names, labels, URLs, reasons, stored audit details, notice
// templates): they are masked first, so a page may show them as they are.
func foreignWords(lang, text string, userData []string) []string {
	for _, d := range userData {
		text = maskWhole(text, d)
	}
	text = codeSpan.ReplaceAllString(text, " ")
	var out []string
	if lang == "en" {
		for _, h := range hangulRun.FindAllString(text, -1) {
			if !slices.Contains(notForeignHangul, h) {
				out = append(out, h)
			}
		}
		return out
	}
	for _, tok := range strings.Fields(text) {
		if machineToken.MatchString(tok) {
			continue
		}
		for _, w := range asciiWord.FindAllString(tok, -1) {
			if len(w) >= 3 && !notForeign[w] && !notForeign[strings.TrimRight(w, "s")] {
				out = append(out, w)
			}
		}
	}
	return out
}

// masked stands for user data in a page's text: a machine token, so what
// the data was part of (a URL under a masked seed URL) stays one too.
const masked = "\x00"

// maskWhole blanks every occurrence of d in text that is not part of a
// longer word ("on" in "on", not in "SenderContact").
func maskWhole(text, d string) string {
	letter := func(s string, last bool) bool {
		if s == "" {
			return false
		}
		r, _ := utf8.DecodeRuneInString(s)
		if last {
			r, _ = utf8.DecodeLastRuneInString(s)
		}
		return unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	var b strings.Builder
	for {
		i := strings.Index(text, d)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		end := i + len(d)
		if (letter(d, false) && letter(text[:i], true)) || (letter(d, true) && letter(text[end:], false)) {
			b.WriteString(text[:end])
		} else {
			b.WriteString(text[:i] + masked)
		}
		text = text[end:]
	}
}

// pageText is what a reader of the page meets: the title, the visible
// text, and what is written outside it — buttons' values, placeholders,
// aria-labels, alt texts, title attributes (tooltips, the timeline's
// SVG titles), options, text hidden until a script or a key shows it
// (the review mode's reason list), noscript text, and the words the
// page's scripts write (data-* attributes, but for those that hold a
// code for scripts: a URL, a language, an error's code). Form fields' values are
// what people typed, not the page's words, and are left out.
const pageText = `(() => {
	const parts = [document.title, document.body.innerText];
	for (const el of document.querySelectorAll("*")) {
		for (const a of ["placeholder", "aria-label", "alt", "title"]) {
			const v = el.getAttribute(a);
			if (v) parts.push(v);
		}
		for (const a of el.attributes) {
			if (a.name.startsWith("data-") && !["data-preview", "data-lang", "data-code"].includes(a.name)) parts.push(a.value);
		}
		if (el.matches("input[type=submit], input[type=button], input[type=reset]")) parts.push(el.value);
		if (el.matches("option, [hidden], svg title")) parts.push(el.textContent);
		// With scripts on, noscript holds its markup as text.
		if (el.matches("noscript")) parts.push(new DOMParser().parseFromString(el.textContent, "text/html").body.textContent);
	}
	return parts.join("\n");
})()`

// TestEveryPageSpeaksItsReadersLanguageInTheBrowser logs in, in headless
// Chromium, as every role of the national centre and of a regional one,
// in Korean and then in English, and visits every page of the route
// table its role may GET, over a database with something on each page
// (alerts new and confirmed with previews, a notice, a case with a label,
// a PIN for self-submission, a quarantined fingerprint, a negative bank
// entry, reported URLs, API and lookup tokens, a watched site, the audit
// log of all of it); anonymously it visits the public pages. It fails on
// any word of the other language in what a reader meets (pageText),
// user data apart, and also checks the text the pages' scripts write:
// the review mode's keys and reasons (after pressing d) and the notice
// template's live preview.
func TestEveryPageSpeaksItsReadersLanguageInTheBrowser(t *testing.T) {
	sitesFile := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(sitesFile, []byte("sites:\n  - name: board\n    seeds: [\"http://board.example/\"]\n    interval: 2h\n    contact: abuse@board.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := siteconfig.Load(sitesFile)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.SitesFile = sitesFile
		for i := range cfg.Sites {
			c.Sites = append(c.Sites, &cfg.Sites[i])
		}
		c.Scheduler = crawler.NewScheduler(&crawler.Crawler{DB: c.DB, Rule: hashing.DefaultRule()}, c.Sites)
		c.Inspector = &crawler.Inspector{DB: c.DB, Rule: hashing.DefaultRule(), Sites: c.Sites, AllowPrivate: true}
	})
	ctx := context.Background()
	worlds := seedCentres(t, e)
	e.seedAlerts(2)              // new alerts with previews in the national queue
	heldFingerprints(t, e.db, 1) // a quarantined fingerprint
	if err := e.db.Centres.SetSelfSubmit(ctx, centres.National, true, store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.db.Index.IssuePIN(ctx, centres.National, worlds[centres.National].caseID, 0, store.Actor{User: "staff1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.db.Accounts.CreateTokenWith(ctx, "op1", "partner platform", accounts.TokenOptions{Scope: accounts.ScopeLookup}, store.Actor{User: "admin1"}); err != nil {
		t.Fatal(err)
	}
	// The site's last pass, with errors of two kinds and an item the crawl
	// workers gave up on, as a crawl records them (in English).
	now := time.Now()
	if err := e.db.Crawl.PutSiteStatus(crawlstate.SiteStatus{Name: "board", PassStart: now.Add(-time.Hour), PassEnd: now.Add(-50 * time.Minute),
		PassNumber: 3, TotalPass: 3, Counts: crawlstate.Counts{Pages: 12, Media: 30, Hashed: 30, NewAlerts: 2, Parked: 1},
		Errors: map[string]int{"http_status": 2, "timeout": 1},
		LastErrors: []string{"get http://board.example/gone.jpg: 404 Not Found: unexpected HTTP status",
			"get http://board.example/slow: context deadline exceeded"},
		RecentParked: []crawlstate.ParkedItem{{Kind: "media", URL: "http://board.example/bomb.jpg", Reason: "delivered 3 times to crawl workers without a result", At: now}},
	}); err != nil {
		t.Fatal(err)
	}
	// The reveal makes the alert page show its preview and why it matched.
	op := e.login("op1")
	if resp := op.postForm("/alerts/1/reveal", nil, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reveal: %d %s", resp.StatusCode, readAll(resp))
	}

	// Who logs in: every role of the national centre and of busan.
	type who struct{ name, centre string }
	var people []who
	for _, c := range []string{centres.National, "busan"} {
		for _, role := range accounts.Roles {
			people = append(people, who{worlds[c].users[role], c})
		}
	}
	roleOf := map[string]accounts.Role{}
	for _, c := range []string{centres.National, "busan"} {
		for role, name := range worlds[c].users {
			roleOf[name] = role
		}
	}

	// Every GET route that answers HTML, with the IDs of the reader's
	// centre's objects; images and downloads are not pages and are left
	// out by their content type.
	pagesOf := func(p who) []string {
		var out []string
		for _, rt := range e.srv.Routes() {
			if rt.Method != "GET" || rt.Answers != "html" || rt.Public || !slices.Contains(rt.Roles, roleOf[p.name]) ||
				(rt.Centres == "national" && p.centre != centres.National) {
				continue
			}
			path := strings.Replace(rt.Path, "/sites/{name}", "/sites/board", 1)
			out = append(out, objectPath(path, worlds[p.centre]))
		}
		return out
	}
	isPage := map[string]bool{}
	checkedPage := func(c *client, path string) bool {
		if v, ok := isPage[path]; ok {
			return v
		}
		resp := c.get(path)
		readAll(resp)
		isPage[path] = strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html")
		return isPage[path]
	}

	for _, lang := range []string{"ko", "en"} {
		t.Run(lang, func(t *testing.T) {
			for _, p := range people {
				l := lang
				if _, err := e.db.Accounts.UpdateUser(ctx, p.name, accounts.UserChange{Language: &l}, store.Actor{User: "test"}); err != nil {
					t.Fatal(err)
				}
			}
			data := userData(t, e)
			b := startBrowser(t, chromedp.Flag("accept-lang", lang))
			base := e.ts.URL
			found := map[string][]string{} // page → foreign words
			check := func(page string, more ...string) {
				b.t.Helper()
				b.until("load "+page, `document.readyState === "complete"`)
				text := value(b, "read "+page, chromedp.Evaluate[string](pageText))
				if ws := foreignWords(lang, text, append(more, data...)); len(ws) > 0 {
					found[page] = append(found[page], ws...)
				}
			}
			for _, path := range []string{"/login", "/submit", "/no-such-page"} {
				b.do("open "+path, chromedp.Navigate(base+path))
				check("anonymous " + path)
			}
			for _, p := range people {
				c := e.login(p.name)
				b.do("log in as "+p.name,
					chromedp.Navigate(base+"/login"),
					chromedp.WaitVisible(css("#name")),
					chromedp.SendKeys(css("#name"), p.name),
					chromedp.SendKeys(css("#password"), testPassword+"\r"),
					chromedp.WaitVisible(css(`form[action="/logout"]`)),
				)
				for _, path := range pagesOf(p) {
					if !checkedPage(c, path) {
						continue
					}
					b.do("open "+path, chromedp.Navigate(base+path))
					check(string(roleOf[p.name]) + " " + path)
				}
				// A page the role may not open: the refusal page.
				if path := refusedPage(e.srv.Routes(), roleOf[p.name], p.centre); path != "" {
					b.do("open "+path+" (refused)", chromedp.Navigate(base+objectPath(path, worlds[p.centre])))
					check(string(roleOf[p.name]) + " refused " + path)
				}
				if roleOf[p.name] == accounts.RoleOperator && p.centre == centres.National {
					// The review mode's keys, and the reasons d shows (the
					// national queue has new alerts).
					b.do("open the queue", chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(css("#start-review")),
						chromedp.Click(css("#start-review")), chromedp.WaitVisible(css("#review")))
					b.do("ask for the reasons", chromedp.KeyEvent("d"), chromedp.WaitVisible(css("#reason-picks")))
					check("operator review mode")
					// The notice template's live preview, in the reader's
					// language.
					b.do("open the templates", chromedp.Navigate(base+"/notice-templates"), chromedp.WaitVisible(css(`form[data-lang="`+lang+`"] textarea`)))
					b.until("edit the template", `(() => {
						const a = document.querySelector('form[data-lang="`+lang+`"] textarea');
						a.value = a.value + "\n";
						a.dispatchEvent(new Event("input", {bubbles: true}));
						return true;
					})()`)
					b.until("the live preview", `document.querySelector('form[data-lang="`+lang+`"] section.live-preview') !== null`)
					// The example items carry the algorithm as an alert
					// records it and a notice prints it ("pdq").
					check("operator live template preview", "pdq")
				}
				b.do("log out", chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(css(`form[action="/logout"] button`)),
					chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css("#name")))
			}
			pages := make([]string, 0, len(found))
			for p := range found {
				pages = append(pages, p)
			}
			sort.Strings(pages)
			for _, p := range pages {
				t.Errorf("%s page %s shows %d foreign words: %q", lang, p, len(found[p]), found[p])
			}
		})
	}
}

// refusedPage is a page route role of centre may not open: for a
// regional user a national one (its refusal says why and where to look
// instead), else one of another role.
func refusedPage(routes []RouteInfo, role accounts.Role, centre string) string {
	for _, national := range []bool{centre != centres.National, false} {
		for _, rt := range routes {
			if rt.Method != "GET" || rt.Answers != "html" || rt.Public {
				continue
			}
			if national && rt.Centres == "national" && slices.Contains(rt.Roles, role) {
				return rt.Path
			}
			if !national && !slices.Contains(rt.Roles, role) {
				return rt.Path
			}
		}
	}
	return ""
}

// userData are the strings the database holds that people typed or the
// test seeded, which a page shows as they are: they are no part of the
// console's words.
func userData(t *testing.T, e *env) []string {
	t.Helper()
	var out []string
	add := func(ss ...string) {
		for _, s := range ss {
			if s = strings.TrimSpace(s); len(s) >= 2 {
				out = append(out, s)
			}
		}
	}
	users, err := e.db.Accounts.Users()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		add(u.Name, u.Centre)
		toks, err := e.db.Accounts.Tokens(u.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range toks {
			add(tk.Name, tk.ID)
		}
	}
	cs, err := e.db.Centres.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		add(c.ID, c.Name)
	}
	cases, err := e.db.Index.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		add(c.ID, c.Label)
	}
	as, err := e.db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		add(a.Site, a.Case, a.Reason, a.PageURL, a.MediaURL)
		for _, s := range a.Sightings {
			add(s.PageURL, s.MediaURL, s.FinalURL)
		}
	}
	ns, err := e.db.Takedown.Notices(takedown.NoticeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		add(n.To, n.Subject, n.Body, n.Site)
	}
	for _, c := range cs {
		for _, lang := range languages {
			text, _, err := e.db.Takedown.NoticeTemplateOf(c.ID, lang)
			if err != nil {
				t.Fatal(err)
			}
			add(strings.Split(text, "\n")...)
		}
	}
	reps, err := e.db.Alerts.URLReports(alerts.URLReportFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		add(r.Note)
		for _, u := range r.URLs {
			add(u.URL, u.Error)
		}
	}
	negs, err := e.db.Alerts.Negatives()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range negs {
		add(n.Reason, n.MediaURL, n.Site)
	}
	qs, err := e.db.Alerts.Quarantines(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		add(q.Case, q.Label, q.Source, q.Reason)
	}
	log, err := e.db.Store.AuditLog(store.AuditFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range log {
		add(l.User, l.Action, l.Target, l.Detail, l.Remote)
	}
	// A crawl's errors are kept as the crawler wrote them; the page says
	// them in words and keeps the record as a tooltip.
	for _, site := range e.srv.cfg.Sites {
		st, _, err := e.db.Crawl.SiteStatus(site.Name)
		if err != nil {
			t.Fatal(err)
		}
		add(st.LastErrors...)
		for _, p := range st.RecentParked {
			add(p.Reason)
		}
	}
	for _, s := range e.srv.cfg.Sites {
		add(s.Name, s.Contact)
		add(s.Seeds...)
	}
	add(testPhoto)
	// Longest first, so a name inside a longer string is not masked
	// before the string it is part of.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return slices.Compact(out)
}

// TestForeignWords pins what the page audit counts as a word of the other
// language.
func TestForeignWords(t *testing.T) {
	for _, tt := range []struct {
		lang, text string
		data       []string
		want       string
	}{
		{"ko", "알림 대기열 · hashwatch", nil, ""},
		{"ko", "알림 Alert queue", nil, "Alert queue"},
		{"ko", "http://board.example/p alert.confirm sites.yaml a1b2c3 op1 per_page /submit", nil, ""},
		{"ko", "라벨: test case", []string{"test case"}, ""},
		{"ko", "PDQ 거리 12, SHA-256, URLs, 2026-12-01 09:00 KST, Esc 취소", nil, ""},
		{"ko", "키보드: j 다음 · to go", nil, ""},
		{"ko", "GET /metrics은(는) 서버에서 `hashwatch case move`로", nil, ""},
		{"en", "Alert queue · 한국어", nil, ""},
		{"en", "Alert 알림 queue", nil, "알림"},
		{"en", "Label: 피해 사건", []string{"피해 사건"}, ""},
		{"ko", "켜짐 on", []string{"on"}, ""},
		{"ko", "{{.SenderContact}} 보내는 기관, .eml로 내보내기", []string{"on"}, ""},
		{"ko", "Sender Contact", []string{"on"}, "Sender Contact"},
		{"ko", "시간 초과: http://board.example/slow", []string{"http://board.example/"}, ""},
	} {
		got := strings.Join(foreignWords(tt.lang, tt.text, tt.data), " ")
		if got != tt.want {
			t.Errorf("%s %q: %q, want %q", tt.lang, tt.text, got, tt.want)
		}
	}
}
