package index

import (
	"context"
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/store"
)

func hue(bin int) hashing.Colour {
	c := hashing.Colour{Chroma: 60}
	c.Bins[bin] = 255
	return c
}

// TestColourSummariesAreKeptAndChecked registers fingerprints with and
// without a colour summary, reopens the file, and matches: the summary
// comes back as stored, a fingerprint without one (as every fingerprint
// registered before it existed) still matches by its views alone, and the
// rule's colour test refuses a match of the same views in other colours.
func TestColourSummariesAreKeptAndChecked(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	red, blue := hue(0), hue(10)
	withColour := hashingtest.Image(0xf0f0, 0x0ff0, 1)
	withColour.Colour = red
	without := hashingtest.Image(0xf0f0, 0x0ff0, 2)
	if _, err := db.Register(ctx, "c", "", []Registration{{Source: "red", Print: withColour}, {Source: "plain", Print: without}}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	stored, err := db2.Fingerprints("c")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]hashing.Colour{}
	for _, f := range stored {
		got[f.Source] = f.Print.Colour
	}
	if got["red"] != red || !got["plain"].IsZero() {
		t.Fatalf("stored colours %v, want red %v and none", got, red)
	}
	if rep, err := db2.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}

	rule := hashing.Rule{Clauses: []hashing.Clause{{{Algorithm: hashing.PDQ, MaxDistance: 31}}}, MinQuality: 50,
		Colour: &hashing.ColourTest{MinChroma: 10, MaxDistance: 0.5, AbovePDQ: -1}}
	for _, tc := range []struct {
		name   string
		colour hashing.Colour
		want   []string
	}{
		{"a red query matches both", red, []string{"plain", "red"}},
		{"a blue query matches only the one without a summary", blue, []string{"plain"}},
		{"a query without a summary matches both", hashing.Colour{}, []string{"plain", "red"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := hashingtest.Image(0xf0f0, 0x0ff0, 3)
			q.Colour = tc.colour
			ms, err := db2.Match(ctx, q, rule)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range ms {
				names = append(names, m.Source)
			}
			if len(names) == 2 && names[0] > names[1] {
				names[0], names[1] = names[1], names[0]
			}
			if len(names) != len(tc.want) || (len(names) > 0 && names[0] != tc.want[0]) || (len(names) > 1 && names[1] != tc.want[1]) {
				t.Errorf("matched %v, want %v", names, tc.want)
			}
		})
	}
}

func TestAColourSummaryOfTheWrongLengthIsCorrupt(t *testing.T) {
	f := &Fingerprint{ID: 1, Centre: "national", Case: "c", Print: hashingtest.Image(1, 1, 1)}
	r, err := toRecord(f)
	if err != nil {
		t.Fatal(err)
	}
	r.Colour = []byte{1, 2, 3}
	if _, err := fromRecord(r); err == nil {
		t.Fatalf("a 3-byte colour summary was accepted")
	}
}
