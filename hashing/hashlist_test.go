package hashing

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const bridge = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

func TestReadHashList(t *testing.T) {
	in := strings.Join([]string{
		"# partner list, 2026-11",
		bridge,
		"",
		strings.ToUpper(bridge) + ",87",
		bridge + ",90,case 12, photo 3",
		"abc,50,too short",
		bridge + ",101,bad quality",
		bridge + ",x",
		"0123456789abcdef",
	}, "\n")
	entries, bad, err := ReadHashList(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d entries, want 3: %+v", len(entries), entries)
	}
	if e := entries[2]; e.Line != 5 || e.Quality != 90 || e.Label != "case 12, photo 3" || e.Hash.Hex() != bridge {
		t.Errorf("entry with label = %+v", e)
	}
	if entries[1].Quality != 87 || entries[0].Quality != 100 {
		t.Errorf("qualities = %d, %d", entries[0].Quality, entries[1].Quality)
	}
	wantBad := []int{6, 7, 8, 9}
	if len(bad) != len(wantBad) {
		t.Fatalf("bad lines = %+v, want lines %v", bad, wantBad)
	}
	for i, b := range bad {
		if b.Line != wantBad[i] || !errors.Is(b.Err, ErrHashList) {
			t.Errorf("bad[%d] = %+v, want line %d wrapping ErrHashList", i, b, wantBad[i])
		}
	}
}

func TestHashListRoundTrip(t *testing.T) {
	entries, _, _ := ReadHashList(strings.NewReader(bridge + ",64,a label\n" + bridge + ",100,\n"))
	var buf bytes.Buffer
	if err := WriteHashList(&buf, entries); err != nil {
		t.Fatal(err)
	}
	again, bad, _ := ReadHashList(&buf)
	if len(bad) != 0 || len(again) != 2 || again[0].Label != "a label" || again[0].Quality != 64 {
		t.Fatalf("round trip = %+v, bad %+v", again, bad)
	}
}

func TestReadHashListRefusesHugeLines(t *testing.T) {
	_, bad, err := ReadHashList(strings.NewReader(bridge + "\n" + strings.Repeat("a", 10000) + "\n"))
	if err != nil || len(bad) != 1 {
		t.Fatalf("bad = %+v, err = %v", bad, err)
	}
}

func FuzzReadHashList(f *testing.F) {
	f.Add(bridge + ",50,label\n")
	f.Add("# comment\n\n" + bridge)
	f.Add("zz,1,2,3")
	f.Fuzz(func(t *testing.T, s string) {
		entries, bad, err := ReadHashList(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Hash.Algorithm != PDQ || e.Quality < 0 || e.Quality > 100 {
				t.Fatalf("bad entry %+v", e)
			}
		}
		for _, b := range bad {
			if !errors.Is(b.Err, ErrHashList) {
				t.Fatalf("line error wraps no sentinel: %v", b)
			}
		}
	})
}
