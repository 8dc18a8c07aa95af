package console

import (
	"regexp"
	"strings"
)

// crawlErrorTexts recognise a stored crawl error message (kept in English
// as the crawler wrote it, crawlstate.SiteStatus.LastErrors) by the text
// of the error it wraps, so the sites page can say it in the reader's
// language. The texts are those of the crawler's and hashing's sentinel
// errors and of the network errors Go's net/http returns.
var crawlErrorTexts = []struct{ text, kind string }{
	{"unexpected HTTP status", "http_status"},
	{"refused to connect to a private address", "private_address"},
	{"over the size limit", "too_large"},
	{"unsupported media format", "unsupported"},
	{"corrupt or truncated media", "corrupt"},
	{"too many redirects", "redirects"},
	{"out of scope", "out_of_scope"},
	{"serves a video, not an image", "video"},
	{"deadline exceeded", "timeout"},
	{"Client.Timeout", "timeout"},
	{"i/o timeout", "timeout"},
	{"connection reset", "reset"},
	{"connection refused", "refused"},
	{"no such host", "dns"},
	{"tls:", "tls"},
	{"x509:", "tls"},
}

// crawlErrorURL takes the URL a crawl error names ("get URL: …").
var crawlErrorURL = regexp.MustCompile(`^(?:get|fetch|decode|hash) (\S+): `)

// crawlErrorStatus takes the HTTP status of an http_status error.
var crawlErrorStatus = regexp.MustCompile(`: (\d{3}) [^:]*: unexpected HTTP status`)

// CrawlError says a stored crawl error message in the locale's words: its
// kind, with the HTTP status and the URL when the message names them.
// A message of no known kind is shown as it is.
func (l *locale) CrawlError(raw string) string {
	kind := crawlErrorCode(raw)
	if kind == "" {
		return raw
	}
	what := l.ErrorKind(kind)
	if m := crawlErrorStatus.FindStringSubmatch(raw); m != nil {
		what += " (HTTP " + m[1] + ")"
	}
	if m := crawlErrorURL.FindStringSubmatch(raw); m != nil {
		return l.T("crawlerr.at", what, m[1])
	}
	return what
}

// crawlErrorCode is the kind of a stored crawl error message, or "" when
// its text is of no known kind.
func crawlErrorCode(raw string) string {
	for _, t := range crawlErrorTexts {
		if strings.Contains(raw, t.text) {
			return t.kind
		}
	}
	return ""
}

// ErrorKind names a kind of crawl error (crawler.ErrorKind) in the
// locale's words, or as it is when the catalog does not know it.
func (l *locale) ErrorKind(kind string) string {
	if l.Has("errkind." + kind) {
		return l.T("errkind." + kind)
	}
	return kind
}
