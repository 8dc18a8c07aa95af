package console

import (
	"net/http"
	"regexp"
	"strconv"
)

// notFoundThing takes what a store's "not found" error names: "alert
// 9999: not found", `site "x": unknown site`.
var notFoundThing = regexp.MustCompile(`^(alert|notice|case|user|site|token|centre) #?"?([^":]*)"?: (?:not found|unknown site)`)

// errorWords is what an error page says, in the reader's language: the
// status's title, a sentence, and (when the sentence is not the error's
// own words) the error's message as detail. Messages from the catalog
// (refuse) are already in the reader's language; a handler's own English
// message (errorf, an error from a store) gets a sentence for its status
// in any other language, with the English kept as detail, so a Korean
// reader never sees an English-only page.
func errorWords(l *locale, status int, msg string, keyed bool) (title, sentence, detail string) {
	title = statusTitle(l, status)
	code := strconv.Itoa(status)
	if keyed || l.Lang == "en" || msg == "" {
		return title, msg, ""
	}
	if m := notFoundThing.FindStringSubmatch(msg); m != nil && l.Has("thing."+m[1]) {
		return title, l.T("err.thing_not_found", l.T("thing."+m[1]), m[2]), ""
	}
	if l.Has("http." + code + ".explain") {
		return title, l.T("http." + code + ".explain"), msg
	}
	return title, l.T("err.request"), msg
}

// statusTitle is an HTTP status's name in l's language ("찾을 수 없음"),
// or net/http's English one for a status the catalog does not name.
func statusTitle(l *locale, status int) string {
	if key := "http." + strconv.Itoa(status); l.Has(key) {
		return l.T(key)
	}
	return http.StatusText(status)
}
