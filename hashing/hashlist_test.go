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
	f.Add("# hashwatch-list format=pdq version=2 algorithm=pdq count=1\n" + bridge + ",50\n")
	f.Add("# hashwatch-list format=pdq count=x algorithm=pdq\n")
	f.Fuzz(func(t *testing.T, s string) {
		entries, bad, err := ReadHashList(strings.NewReader(s))
		if err != nil && !errors.Is(err, ErrListCount) && !errors.Is(err, ErrListFormat) {
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

func TestHashListHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		entries int
		err     error
	}{
		{"a list without a header reads as before", bridge + ",50\n" + bridge + "\n", 2, nil},
		{"a header whose count fits is accepted", "# hashwatch-list format=pdq version=2 algorithm=pdq count=2\n" + bridge + ",50\n" + bridge + "\n", 2, nil},
		{"a list cut short is refused", "# hashwatch-list format=pdq version=2 algorithm=pdq count=3\n" + bridge + ",50\n" + bridge + "\n", 2, ErrListCount},
		{"a video list is not read as pictures", "# hashwatch-list format=vpdq version=1 algorithm=pdq videos=1 count=1\n0,100," + bridge + ",0.000\n", 0, ErrListFormat},
		{"later versions' unknown header keys are ignored", "# hashwatch-list format=pdq version=3 algorithm=pdq count=1 signed-by=x\n" + bridge + "\n", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, _, err := ReadHashList(strings.NewReader(tt.in))
			if !errors.Is(err, tt.err) || len(entries) != tt.entries {
				t.Fatalf("%d entries, err %v; want %d, %v", len(entries), err, tt.entries, tt.err)
			}
		})
	}
	var buf bytes.Buffer
	if err := WriteHashList(&buf, []ListEntry{{Hash: Hash{Algorithm: PDQ}, Quality: 80}}); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(buf.String(), "\n")
	h, err := ParseListHeader(first)
	if err != nil || h != (ListHeader{Format: FormatPDQList, Version: PDQListVersion, Algorithm: PDQ, Count: 1}) {
		t.Errorf("written header %q = %+v, %v", first, h, err)
	}
	if got := DetectListFormat(buf.Bytes()); got != FormatPDQList {
		t.Errorf("DetectListFormat(picture list) = %s", got)
	}
}
