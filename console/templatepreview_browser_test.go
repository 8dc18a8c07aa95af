package console

import (
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
		chromedp.WaitVisible(css("header")),
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
