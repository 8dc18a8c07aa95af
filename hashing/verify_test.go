package hashing_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
)

func TestVerifyTestGatesOnlyWeakMatchesWithCorners(t *testing.T) {
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})
	cfg := features.DefaultConfig()
	known := fixtures.Known()[0]
	img, err := known.Decode()
	if err != nil {
		t.Fatal(err)
	}
	cropped, err := fixtures.Crop(0.1, 0.1, 0.1, 0.1).Render(img)
	if err != nil {
		t.Fatal(err)
	}
	set := func(data []byte) *features.Set {
		s, err := h.Features(ctx, data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &s
	}
	orig, copy, other := set(known.Data), set(cropped), set(fixtures.Others()[0].Data)
	test := hashing.VerifyTest{AbovePDQ: 31, MinInliers: 6, Config: cfg}
	weak := hashing.Evidence{Distances: map[hashing.Algorithm]int{hashing.PDQ: 48, hashing.PHash: 6, hashing.DHash: 8}}
	near := hashing.Evidence{Distances: map[hashing.Algorithm]int{hashing.PDQ: 20, hashing.PHash: 6, hashing.DHash: 8}}
	imported := hashing.Evidence{Distances: map[hashing.Algorithm]int{hashing.PDQ: 48}}
	for _, tc := range []struct {
		name        string
		q, r        *features.Set
		ev          hashing.Evidence
		want        bool
		wantVerdict hashing.VerifyVerdict
	}{
		{"a cropped copy beyond PDQ 31 agrees", copy, orig, weak, true, hashing.VerifyChecked},
		{"an unrelated photo beyond PDQ 31 does not", other, orig, weak, false, hashing.VerifyChecked},
		{"a match within PDQ 31 is not checked", other, orig, near, true, hashing.VerifyNotApplied},
		{"a match decided by PDQ alone is not checked", other, orig, imported, true, hashing.VerifyNotApplied},
		{"a side without corners is left to the rule", other, nil, weak, true, hashing.VerifyUnchecked},
		{"an empty set is checked and fails", &features.Set{}, orig, weak, false, hashing.VerifyChecked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, verdict, inliers := test.Agrees(tc.q, tc.r, tc.ev)
			if ok != tc.want || verdict != tc.wantVerdict {
				t.Errorf("agrees %v verdict %v (%d inliers), want %v %v", ok, verdict, inliers, tc.want, tc.wantVerdict)
			}
		})
	}
	if !bytes.Equal(known.Data, fixtures.Known()[0].Data) {
		t.Fatal("Features changed its input")
	}
}
