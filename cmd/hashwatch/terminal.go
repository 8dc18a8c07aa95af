package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/mattn/go-runewidth"
)

// safe makes an outside string — a case label, a URL, a file name, a user
// name, an error naming one of those — harmless in a terminal table: control
// characters (C0 including tab and newline, DEL, C1), bidirectional
// overrides and bytes that are not UTF-8 are shown as \xNN or \uNNNN, so a
// label cannot retitle or clear the terminal, move the cursor, forge a row
// or reorder what is shown. Plain text passes unchanged. JSON output needs
// no such care: encoding/json escapes what JSON requires and the reader is
// a program.
func safe(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports the runes safe escapes; utf8.RuneError stands for an
// invalid byte.
func unsafeRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == utf8.RuneError ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// minBarColumns is the width a progress line leaves for its bar: below
// it the bar is not worth drawing, so the counts are shortened instead.
const minBarColumns = 10

// progressLine says a running pass's counts in at most width columns.
// The errors and new alerts are what an operator watches for, so they
// come first and are never dropped; the other counts are shortened, then
// dropped, as the width shrinks (an 80-column terminal shows the long
// form cut at "alerts +0 · ski…" otherwise, and the bar vanishes).
func progressLine(s crawler.PassStats, width int) string {
	errs := sumErrors(s.Errors)
	kinds := errorKinds(s.Errors)
	var errFull, errShort string
	errFull = fmt.Sprintf("errors %d", errs)
	if kinds != "" {
		errFull += " (" + kinds + ")"
	}
	errShort = fmt.Sprintf("err %d", errs)
	forms := []string{
		fmt.Sprintf("alerts +%d · %s · pages %d · media %d (hashed %d, 304 %d) · queued %d · skipped %d · videos %d",
			s.NewAlerts, errFull, s.Pages, s.Media, s.Hashed, s.NotModified, s.Queued, s.Skipped, s.Videos),
		fmt.Sprintf("alerts +%d · %s · pages %d · media %d · queued %d · skipped %d", s.NewAlerts, errFull, s.Pages, s.Media, s.Queued, s.Skipped),
		fmt.Sprintf("alerts +%d · errors %d · pages %d · media %d · queued %d · skipped %d", s.NewAlerts, errs, s.Pages, s.Media, s.Queued, s.Skipped),
		fmt.Sprintf("alerts +%d · %s · p %d · m %d · q %d · skip %d", s.NewAlerts, errShort, s.Pages, s.Media, s.Queued, s.Skipped),
		fmt.Sprintf("alerts +%d · %s · q %d", s.NewAlerts, errShort, s.Queued),
		fmt.Sprintf("+%d · %s", s.NewAlerts, errShort),
	}
	for _, f := range forms {
		if runewidth.StringWidth(f) <= width {
			return f
		}
	}
	return runewidth.Truncate(forms[len(forms)-1], max(width, 0), "")
}

// errorKinds lists error counts by kind, most first ("timeout 5,
// http_status 2").
func errorKinds(m map[string]int) string {
	type kn struct {
		k string
		n int
	}
	var ks []kn
	for k, n := range m {
		if n > 0 {
			ks = append(ks, kn{k, n})
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].n > ks[j].n || ks[i].n == ks[j].n && ks[i].k < ks[j].k })
	parts := make([]string, len(ks))
	for i, x := range ks {
		parts[i] = fmt.Sprintf("%s %d", x.k, x.n)
	}
	return strings.Join(parts, ", ")
}

// fetchFailures is a log handler for a terminal showing progress bars:
// each failed fetch (crawler.LogFetchFailed) is counted by site and kind
// and its latest messages kept, instead of a log line each among the
// bars; other records pass to next. summary says them after the bars.
type fetchFailures struct {
	next  slog.Handler
	site  string // from WithAttrs: the crawler's logger carries its site
	state *fetchFailureState
}

type fetchFailureState struct {
	mu     sync.Mutex
	order  []string
	counts map[string]map[string]int
	latest map[string][]string
}

// fetchFailureExamples is how many of a site's latest failure messages
// the summary shows.
const fetchFailureExamples = 3

func newFetchFailures(next slog.Handler) *fetchFailures {
	return &fetchFailures{next: next, state: &fetchFailureState{counts: map[string]map[string]int{}, latest: map[string][]string{}}}
}

func (h *fetchFailures) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *fetchFailures) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != crawler.LogFetchFailed {
		return h.next.Handle(ctx, r)
	}
	site, kind, u, msg := h.site, "", "", ""
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "site":
			site = a.Value.String()
		case "kind":
			kind = a.Value.String()
		case "url":
			u = a.Value.String()
		case "err":
			msg = a.Value.String()
		}
		return true
	})
	if msg == "" {
		msg = u
	}
	st := h.state
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.counts[site] == nil {
		st.counts[site] = map[string]int{}
		st.order = append(st.order, site)
	}
	st.counts[site][kind]++
	l := append(st.latest[site], msg)
	if len(l) > fetchFailureExamples {
		l = l[1:]
	}
	st.latest[site] = l
	return nil
}

func (h *fetchFailures) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(as)
	for _, a := range as {
		if a.Key == "site" {
			c.site = a.Value.String()
		}
	}
	return &c
}

func (h *fetchFailures) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}

// summary writes, per site with failed fetches, how many by kind and the
// latest messages, each line cut to width columns (0: not cut).
func (h *fetchFailures) summary(w io.Writer, width int) {
	st := h.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cut := func(s string) string {
		s = safe(s)
		if width > 0 {
			return runewidth.Truncate(s, width, "…")
		}
		return s
	}
	for _, site := range st.order {
		n := sumErrors(st.counts[site])
		fmt.Fprintln(w, cut(fmt.Sprintf("%s: %d failed fetches (%s); latest:", site, n, errorKinds(st.counts[site]))))
		for _, m := range st.latest[site] {
			fmt.Fprintln(w, cut("  "+m))
		}
	}
}
