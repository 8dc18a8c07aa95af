package main

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/mattn/go-runewidth"
)

func runningPass(site string) crawler.PassStats {
	return crawler.PassStats{Site: site, Number: 4,
		Counts: crawlstate.Counts{Pages: 1234, Media: 56789, Hashed: 50000, NotModified: 6000, NewAlerts: 2, Skipped: 17, Videos: 3},
		Queued: 40321, Errors: map[string]int{"timeout": 3, "http_status": 2}}
}

func TestProgressLineKeepsErrorsAndAlertsAtEveryWidth(t *testing.T) {
	s := runningPass("board")
	for _, tt := range []struct {
		width     int
		wantAlso  []string
		wantLacks []string
	}{
		{200, []string{"errors 5 (timeout 3, http_status 2)", "hashed 50000", "videos 3"}, nil},
		{80 - len("board ") - len("00:00 ") - minBarColumns - 2, []string{"alerts +2", "err"}, []string{"…"}},
		{40, []string{"alerts +2", "err 5"}, nil},
		{12, []string{"+2", "err 5"}, nil},
	} {
		got := progressLine(s, tt.width)
		if w := runewidth.StringWidth(got); w > tt.width {
			t.Errorf("width %d: %q is %d columns", tt.width, got, w)
		}
		for _, want := range tt.wantAlso {
			if !strings.Contains(got, want) {
				t.Errorf("width %d: %q lacks %q", tt.width, got, want)
			}
		}
		for _, no := range tt.wantLacks {
			if strings.Contains(got, no) {
				t.Errorf("width %d: %q has %q", tt.width, got, no)
			}
		}
	}
}

// ansi matches the cursor and erase sequences mpb redraws its frames with.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func TestProgressBarsAt80ColumnsShowErrorsAndSummariseFailedFetches(t *testing.T) {
	var out syncBuffer
	sites := []*siteconfig.Site{{Name: "board"}, {Name: "forum-with-a-long-name"}}
	pb := newProgressBars(context.Background(), &out, sites, 80)
	log := slog.New(pb.failures(slog.NewTextHandler(pb.p, nil)))
	for i, kind := range []string{"timeout", "http_status", "timeout", "http_status", "timeout"} {
		log.With("site", "board").Warn(crawler.LogFetchFailed, "kind", kind, "url", "http://board.example/"+string(rune('a'+i)), "err", errors.New("get http://board.example/"+string(rune('a'+i))+": failed"))
	}
	log.Info("an ordinary record passes through")
	stats := []crawler.PassStats{runningPass("board"), runningPass("forum-with-a-long-name")}
	pb.finish(stats)

	text := ansi.ReplaceAllString(out.String(), "")
	t.Logf("at 80 columns:\n%s", text)
	var barLines []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if w := runewidth.StringWidth(line); w > 80 {
			t.Errorf("a line is %d columns wide: %q", w, line)
		}
		if strings.Contains(line, "[") && strings.Contains(line, "alerts +2") {
			barLines = append(barLines, line)
		}
	}
	if len(barLines) < 2 {
		t.Fatalf("no bar line with its counts for both sites:\n%s", text)
	}
	for _, l := range barLines {
		if !strings.Contains(l, "err") || strings.Contains(l, "…") {
			t.Errorf("a bar line lost its errors or was cut: %q", l)
		}
	}
	for _, want := range []string{"board: 5 failed fetches (timeout 3, http_status 2); latest:", "  get http://board.example/e: failed", "an ordinary record passes through"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "http://board.example/a:") || strings.Contains(text, "msg=\"fetch failed\"") {
		t.Errorf("failed fetches were logged one line each, or an old one kept in the summary:\n%s", text)
	}
}
