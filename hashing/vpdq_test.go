package hashing

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// vpdqSample is output of vPDQ's C++ tool (vpdqio.cpp writes
// frame,quality,hex,timestamp with three decimals), hashes from the
// sample in ThreatExchange's vpdq/python/README.md.
const vpdqSample = `0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000
1,98,c0f11178372c6aaccddea259648fbfd62f434c89c9e99b249772be216c8d055c,1.000
2,80,c0f10b78372c6aacc5dea25b748fb7d22f434c89c9a9db249772b6216c8d855c,2.000
3,100,c0f00b7837247aaccddea25b128fb7d22f434c894da9cb349776b621668dc55c,3.000
`

func TestHashListVideoRead(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		videos []int // frames per video
		bad    []int
		err    error
	}{
		{"a plain vPDQ file is one video", vpdqSample, []int{4}, nil, nil},
		{"the Python binding's field order reads too", "0,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,100,0\n1,c0f11178372c6aaccddea259648fbfd62f434c89c9e99b249772be216c8d055c,98,1\n", []int{2}, nil, nil},
		{"sections split videos", "# hashwatch-list format=vpdq version=1 algorithm=pdq videos=2 count=6\n# video 1 frames=4 duration=4.000\n" + vpdqSample + "# video 2 frames=2 duration=2.000 label=a, b\n" + strings.Join(strings.Split(vpdqSample, "\n")[:2], "\n") + "\n", []int{4, 2}, nil, nil},
		{"hashwatch's crop fields and other programmes' extra fields are read or skipped", "0,100," + bridge + ",0.000,crop=" + bridge + ":90,x=1\n1,100," + bridge + ",1.000,crop=zz:1\n", []int{1}, []int{2}, nil},
		{"bad lines are reported, the rest read", vpdqSample + "4,101," + bridge + ",4.0\n5,50,abc,5.0\n6,50," + bridge + ",-1\nx,50," + bridge + ",7\n", []int{4}, []int{5, 6, 7, 8}, nil},
		{"a video list cut short is refused", "# hashwatch-list format=vpdq version=1 algorithm=pdq videos=1 count=5\n# video 1\n" + vpdqSample, []int{4}, nil, ErrListCount},
		{"a picture list is not read as videos", "# hashwatch-list format=pdq version=2 algorithm=pdq count=1\n" + bridge + "\n", nil, nil, ErrListFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, bad, err := ReadVideoList(strings.NewReader(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if len(vs) != len(tt.videos) {
				t.Fatalf("%d videos, want %d: %+v", len(vs), len(tt.videos), vs)
			}
			for i, v := range vs {
				if len(v.Frames) != tt.videos[i] {
					t.Errorf("video %d has %d frames, want %d", i, len(v.Frames), tt.videos[i])
				}
			}
			if len(bad) != len(tt.bad) {
				t.Fatalf("bad lines %+v, want lines %v", bad, tt.bad)
			}
			for i, b := range bad {
				if b.Line != tt.bad[i] || !errors.Is(b.Err, ErrHashList) {
					t.Errorf("bad[%d] = %+v, want line %d", i, b, tt.bad[i])
				}
			}
		})
	}
	if got := DetectListFormat([]byte(vpdqSample)); got != FormatVPDQList {
		t.Errorf("DetectListFormat(plain vPDQ) = %s", got)
	}
}

func TestHashListVideoRoundTrip(t *testing.T) {
	vs, _, err := ReadVideoList(strings.NewReader(vpdqSample))
	if err != nil {
		t.Fatal(err)
	}
	fp := vs[0].Fingerprint()
	if fp.Kind != KindVideo || len(fp.Frames) != 4 || fp.Duration != 4*time.Second || fp.Frames[2].Hashes[0].Quality != 80 {
		t.Fatalf("fingerprint of a plain vPDQ file = %+v", fp)
	}
	var buf bytes.Buffer
	if err := WriteVideoList(&buf, []VideoEntry{VideoEntryOf(fp, "victim A")}); err != nil {
		t.Fatal(err)
	}
	// The frame lines are vPDQ's own, byte for byte.
	if !strings.Contains(buf.String(), "\n"+vpdqSample) {
		t.Errorf("written list does not hold the vPDQ lines as vPDQ writes them:\n%s", buf.String())
	}
	again, bad, err := ReadVideoList(&buf)
	if err != nil || len(bad) != 0 || len(again) != 1 {
		t.Fatalf("read back: %+v, bad %+v, err %v", again, bad, err)
	}
	withCrop := fp
	withCrop.Frames = append([]Frame(nil), fp.Frames...)
	withCrop.Frames[1].Cropped = []Hash{{Algorithm: PDQ, Code: fp.Frames[0].Hashes[0].Code, Quality: 77}}
	buf.Reset()
	if err := WriteVideoList(&buf, []VideoEntry{VideoEntryOf(withCrop, "")}); err != nil {
		t.Fatal(err)
	}
	if cropped, _, _ := ReadVideoList(&buf); len(cropped) != 1 || cropped[0].Fingerprint().Frames[1].Cropped[0] != withCrop.Frames[1].Cropped[0] {
		t.Errorf("crop hashes did not survive the round trip: %+v", cropped)
	}
	if again[0].Label != "victim A" || again[0].Duration != 4*time.Second || len(again[0].Frames) != 4 || again[0].Frames[3].Hash != vs[0].Frames[3].Hash {
		t.Errorf("read back %+v", again[0])
	}
}

func FuzzReadVideoList(f *testing.F) {
	f.Add(vpdqSample)
	f.Add("# video 1 duration=x\n0,1,2,3")
	f.Fuzz(func(t *testing.T, s string) {
		vs, bad, err := ReadVideoList(strings.NewReader(s))
		if err != nil && !errors.Is(err, ErrListCount) && !errors.Is(err, ErrListFormat) {
			t.Fatal(err)
		}
		for _, v := range vs {
			for _, fr := range v.Frames {
				if fr.Hash.Algorithm != PDQ || fr.Hash.Quality < 0 || fr.Hash.Quality > 100 || fr.At < 0 {
					t.Fatalf("bad frame %+v", fr)
				}
			}
		}
		for _, b := range bad {
			if !errors.Is(b.Err, ErrHashList) {
				t.Fatalf("line error wraps no sentinel: %v", b)
			}
		}
	})
}
