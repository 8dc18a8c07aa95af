package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// TestGreyCopiesEvidence writes, run by hand
// (HASHWATCH_GREY_COPIES=FILE.csv, HASHWATCH_GREY_COPIES_SWAP=1 for the
// other half), the evidence of every true pair the default rule finds for
// greyscale copies of the development photos of one half: each of the
// suite's edits followed by greyscale ("grey"), greyscale followed by the
// caption and watermark edits ("greyfirst"), and the plain edits of the
// photos of mean chroma below 16 ("plain"), with the pair's background
// ratio and both colour summaries' chroma — what the grey test
// (hashing.GreyTest) weighs, found by the default rule without it. The
// README's choice of its ratio rests on it.
func TestGreyCopiesEvidence(t *testing.T) {
	out := os.Getenv("HASHWATCH_GREY_COPIES")
	if out == "" {
		t.Skip("HASHWATCH_GREY_COPIES names no output file")
	}
	swap := os.Getenv("HASHWATCH_GREY_COPIES_SWAP") != ""
	ctx := context.Background()
	photos, err := loadPhotos("../../shared/datasets/dev", 0)
	if err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(filepath.Join(t.TempDir(), "e.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hasher := hashing.NewHasher(hashing.Limits{})
	var regs []index.Registration
	var mine []photo
	colours := map[string]hashing.Colour{}
	for i, p := range photos {
		if (i%2 == 0) == swap {
			continue
		}
		fp, err := hasher.Image(ctx, p.data, hashing.ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		colours[p.name] = fp.Colour
		regs = append(regs, index.Registration{Source: p.name, Print: fp})
		mine = append(mine, p)
	}
	if _, err := db.Index.Register(ctx, "eval", "", regs, store.Actor{User: auditUser}); err != nil {
		t.Fatal(err)
	}
	type q struct {
		mode string
		e    fixtures.Edit
	}
	var qs []q
	for _, g := range DefaultSuite() {
		for _, e := range g.Edits {
			qs = append(qs, q{"plain", e})
			qs = append(qs, q{"grey", fixtures.Combine(e.Name+"+grey", e, fixtures.Grayscale())})
			if strings.Contains(e.Name, "caption") || strings.Contains(e.Name, "watermark") {
				qs = append(qs, q{"greyfirst", fixtures.Combine("grey+"+e.Name, fixtures.Grayscale(), e)})
			}
		}
	}
	// The rule without the grey test, so every pair it would judge shows.
	rule := hashing.DefaultRule()
	rule.Grey = nil
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintln(f, "photo,mode,edit,found,clause,pdq,phash,dhash,ratio,qchroma,rchroma,coldist,qzero,rzero")
	var mu sync.Mutex
	jobs := make(chan photo)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				for _, qq := range qs {
					if qq.mode == "plain" && colours[p.name].Chroma >= 16 {
						continue
					}
					data, err := qq.e.Render(p.img)
					if err != nil {
						continue
					}
					fp, err := hasher.Image(ctx, data, hashing.ForQuery)
					if err != nil {
						continue
					}
					ms, err := db.Index.Match(ctx, fp, rule)
					if err != nil {
						t.Error(err)
						return
					}
					rc := colours[p.name]
					line := ""
					for _, m := range ms {
						if m.Source != p.name {
							continue
						}
						ev := m.Evidence
						line = fmt.Sprintf("%s,%s,%s,1,%d,%d,%d,%d,%.4f,%d,%d,%.3f,%v,%v\n", p.name, qq.mode, qq.e.Name, ev.Clause, ev.Distances[hashing.PDQ], ev.Distances[hashing.PHash], ev.Distances[hashing.DHash], ev.Ratio, fp.Colour.Chroma, rc.Chroma, hashing.ColourDistance(fp.Colour, rc), fp.Colour.IsZero(), rc.IsZero())
					}
					if line == "" {
						line = fmt.Sprintf("%s,%s,%s,0,-1,-1,-1,-1,-1,%d,%d,%.3f,%v,%v\n", p.name, qq.mode, qq.e.Name, fp.Colour.Chroma, rc.Chroma, hashing.ColourDistance(fp.Colour, rc), fp.Colour.IsZero(), rc.IsZero())
					}
					mu.Lock()
					f.WriteString(line)
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range mine {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
}
