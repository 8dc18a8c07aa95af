package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestVideoEndToEnd registers a generated video with the real binary and
// matches a clip cut from it, a mirrored copy and an unrelated video,
// checking the JSON contract of register, match and hash for videos.
func TestVideoEndToEnd(t *testing.T) {
	needFFmpeg(t)
	ctx := context.Background()
	dir := t.TempDir()
	b := fixtures.VideoBuilder{Dir: t.TempDir()}
	known, others := fixtures.Known(), fixtures.Others()
	sec := time.Second
	orig, err := b.Slideshow(ctx, fixtures.Slideshow{Photos: [][]byte{known[0].Data, known[1].Data, known[2].Data}, Durations: []time.Duration{5 * sec}, Fade: sec, Width: 192, Height: 144})
	if err != nil {
		t.Fatal(err)
	}
	unrelated, err := b.Slideshow(ctx, fixtures.Slideshow{Photos: [][]byte{others[0].Data, others[1].Data}, Durations: []time.Duration{5 * sec}, Fade: sec, Width: 192, Height: 144})
	if err != nil {
		t.Fatal(err)
	}
	clip, err := b.Edit(ctx, orig, fixtures.Clip(4*sec, 6*sec))
	if err != nil {
		t.Fatal(err)
	}
	mirror, err := b.Edit(ctx, orig, fixtures.MirrorVideo())
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	origPath := write("registered.mp4", orig)
	db := filepath.Join(dir, "hw.db")

	out, errOut, code := cli(t, db, "register", "--case", "v-1", "--json", origPath)
	if code != 0 {
		t.Fatalf("register exit %d: %s", code, errOut)
	}
	if regs := parseLines(t, out); len(regs) != 1 || regs[0]["error"] != nil {
		t.Fatalf("register: %s", out)
	}

	out, errOut, code = cli(t, db, "hash", "--json", origPath)
	if code != 0 {
		t.Fatalf("hash exit %d: %s", code, errOut)
	}
	h := parseLines(t, out)[0]
	if h["kind"] != "video" || h["frame_count"].(float64) < 5 || h["duration_seconds"].(float64) < 12 {
		t.Fatalf("hash: %s", out)
	}

	clipPath, mirrorPath, otherPath := write("clip.mp4", clip), write("mirror.mp4", mirror), write("other.mp4", unrelated)
	out, errOut, code = cli(t, db, "match", "--json", clipPath, mirrorPath, otherPath)
	if code != 0 {
		t.Fatalf("match exit %d: %s", code, errOut)
	}
	res := parseLines(t, out)
	if len(res) != 3 {
		t.Fatalf("match: %s", out)
	}
	for _, r := range res[:2] {
		ms := r["matches"].([]any)
		if r["kind"] != "video" || len(ms) != 1 {
			t.Fatalf("%s: want one video match: %v", r["path"], r)
		}
		m := ms[0].(map[string]any)
		for _, k := range []string{"query_share", "registered_share", "ranges"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: match has no %s: %v", r["path"], k, m)
			}
		}
	}
	// The clip's seconds 0–6 are the registered video's 4–10.
	m := res[0]["matches"].([]any)[0].(map[string]any)
	rg := m["ranges"].([]any)[0].(map[string]any)
	if qs := m["query_share"].(float64); qs < 0.8 {
		t.Errorf("clip query share %.2f, want most of it", qs)
	}
	if rs := rg["registered_start"].(float64); rs < 2.5 || rs > 5.5 {
		t.Errorf("clip found at registered %.1f s, want about 4: %v", rs, rg)
	}
	if ms := res[2]["matches"].([]any); len(ms) != 0 {
		t.Errorf("unrelated video matched: %v", ms)
	}

	// Without ffmpeg, videos fail with one clear message and pictures
	// still hash.
	photo := write("photo.jpg", known[0].Data)
	out, errOut, code = cli(t, db, "hash", "--ffmpeg", filepath.Join(dir, "no-ffmpeg"), "--json", photo, clipPath)
	if code != 1 || !strings.Contains(errOut, "ffmpeg not found") {
		t.Fatalf("hash without ffmpeg: exit %d, stderr %q", code, errOut)
	}
	res = parseLines(t, out)
	if res[0]["error"] != nil || res[1]["error"] == nil || !strings.Contains(res[1]["error"].(string), "ffmpeg not found") {
		t.Fatalf("hash without ffmpeg: %s", out)
	}
}
