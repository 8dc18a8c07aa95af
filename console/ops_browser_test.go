package console

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestTemplateLivePreviewInTheBrowser: editing a notice template in
// Chromium shows the server's preview under it after a pause in typing,
// without pressing Preview and without saving.
func TestTemplateLivePreviewInTheBrowser(t *testing.T) {
	e := newEnv(t, nil)
	b := startBrowser(t)
	b.do("log in",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "op1"),
		chromedp.SendKeys(css("#password"), testPassword+"\r"),
		chromedp.WaitVisible(css(`form[action="/logout"]`)),
		chromedp.Navigate(e.ts.URL+"/notice-templates"),
		chromedp.WaitVisible(css(`form[data-lang="en"] textarea`)),
	)
	b.until("edit the English template", `(() => {
		const a = document.querySelector('form[data-lang="en"] textarea');
		a.value = "Subject: Live {{.Site}}\n\n{{range $i, $it := .Items}}{{inc $i}}. {{$it.PageURL}}\n{{end}}";
		a.dispatchEvent(new Event("input", {bubbles: true}));
		return true;
	})()`)
	b.until("the live preview", `(() => {
		const s = document.querySelector('form[data-lang="en"] section.live-preview');
		return s !== null && s.textContent.includes("Live board") && s.textContent.includes("2. https://board.example/thread/502");
	})()`)
	if _, custom, err := e.db.Takedown.NoticeTemplateOf("national", "en"); err != nil || custom {
		t.Fatalf("the live preview saved the template (custom %v, %v)", custom, err)
	}
}

// TestKoreanHeadersWrapBetweenWordsInTheBrowser: on a narrow window the
// Korean sites table wraps its headers between words, never inside one.
func TestKoreanHeadersWrapBetweenWordsInTheBrowser(t *testing.T) {
	e, _ := sitesEnv(t)
	op := e.login("ana1")
	if resp := op.postForm("/settings", url.Values{"language": {"ko"}}, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", resp.StatusCode)
	}
	b := startBrowser(t)
	b.do("log in and open the sites page",
		chromedp.EmulateViewport(700, 900),
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "ana1"),
		chromedp.SendKeys(css("#password"), testPassword+"\r"),
		chromedp.WaitVisible(css(`form[action="/logout"]`)),
		chromedp.Navigate(e.ts.URL+"/sites"),
		chromedp.WaitVisible(css("#sites")),
	)
	// Every header word's characters share one line: a word cut in two
	// has characters on different lines (different rect tops).
	b.until("no header word is cut", `(() => {
		for (const th of document.querySelectorAll("#sites th")) {
			const text = th.firstChild;
			if (!text || text.nodeType !== 3) continue;
			let start = 0;
			for (const word of text.data.split(" ")) {
				if (word.length > 1) {
					const r = document.createRange();
					r.setStart(text, start); r.setEnd(text, start + word.length);
					const tops = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
					if (tops.size > 1) return false;
				}
				start += word.length + 1;
			}
		}
		return document.documentElement.lang === "ko";
	})()`)
}
