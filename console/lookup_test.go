package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// partnerCall sends a request with a bearer token and decodes a JSON
// answer into out (when not nil).
func partnerCall(t *testing.T, e *env, secret, method, path, body string, out any) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	resp := e.anon().do(req)
	raw := readAll(resp)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(raw), out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw, resp.Header
}

// partnerPDQ is the PDQ a partner platform computes of an upload: the
// reference PDQ of the picture as decoded.
func partnerPDQ(t *testing.T, h *hashing.Hasher, data []byte) string {
	t.Helper()
	fp, err := h.Image(context.Background(), data, hashing.ForInspection)
	if err != nil || len(fp.Reference) == 0 {
		t.Fatalf("hash: %v", err)
	}
	return fp.Reference[0].Hex()
}

// TestLookupAPI registers a photo and a video, then checks the lookup API
// as a partner uses it: the registered photo and its re-encoded and
// resized copies match, unrelated photos do not; a video's frames match
// the registered video; answers carry match and distance only; the
// lookup token can do nothing else; requests are bounded and rate
// limited; lookups are counted per partner without the hashes; and the
// feed carries additions and withdrawals.
func TestLookupAPI(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := &now
	e := newEnv(t, func(c *Config) {
		c.Now = func() time.Time { return *clock }
		c.Limits.LookupHashes, c.Limits.LookupFrames, c.Limits.LookupPerSecond = 20, 40, 5
	})
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})
	data := photo(t, testPhoto)
	fp, err := h.Image(ctx, data, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	// A registered video: ten frames a second apart, each a different
	// known photo's PDQ.
	var frames []hashing.Frame
	known := fixtures.Known()
	for i := range 10 {
		f, err := h.Image(ctx, known[i%len(known)].Data, hashing.ForInspection)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, hashing.Frame{At: time.Duration(i) * time.Second, Hashes: []hashing.Hash{f.Reference[0]}})
	}
	vid := hashing.Fingerprint{Kind: hashing.KindVideo, Frames: frames, Duration: 10 * time.Second}
	if _, err := e.db.Index.Register(ctx, "case-secret-7", "victim label", []index.Registration{{Source: "a.jpg", Print: fp}, {Source: "v.mp4", Print: vid}}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	// The partner: an analyst account (the role that sees no victim's
	// data) holding a lookup token.
	if _, err := e.db.Accounts.AddUser(ctx, accounts.NewUser{Name: "platform1", Role: accounts.RoleAnalyst, Password: testPassword}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	secret, _, err := e.db.Accounts.CreateTokenWith(ctx, "platform1", "uploads", accounts.TokenOptions{Scope: accounts.ScopeLookup}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}

	img, err := fixtures.Photo{Data: data}.Decode()
	if err != nil {
		t.Fatal(err)
	}
	edited := func(ed fixtures.Edit) []byte {
		b, err := ed.Render(img)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	others := fixtures.Others()
	pictures := []struct {
		name  string
		data  []byte
		match bool
	}{
		{"the registered photo", data, true},
		{"a JPEG re-encode at quality 50", edited(fixtures.JPEGQuality(50)), true},
		{"a copy resized to half", edited(fixtures.Resize(0.5)), true},
		{"an unrelated photo", others[0].Data, false},
		{"another unrelated photo", others[1].Data, false},
	}
	var hexes []string
	for _, p := range pictures {
		hexes = append(hexes, partnerPDQ(t, h, p.data))
	}
	var vpdq []string
	for i, f := range frames {
		vpdq = append(vpdq, fmt.Sprintf("%d,%d,%s,%.3f", i, f.Hashes[0].Quality, f.Hashes[0].Hex(), f.At.Seconds()))
	}
	var otherFrames []string
	for i := range 10 {
		otherFrames = append(otherFrames, fmt.Sprintf("%d,100,%s,%d", i, partnerPDQ(t, h, others[i%len(others)].Data), i))
	}
	body, _ := json.Marshal(map[string]any{"pdq": hexes, "videos": []map[string]any{{"frames": vpdq[2:8]}, {"frames": otherFrames}}})

	var ans struct {
		Results []struct {
			PDQ      string `json:"pdq"`
			Match    bool   `json:"match"`
			Distance *int   `json:"distance"`
		} `json:"results"`
		Videos []struct {
			Match      bool     `json:"match"`
			Distance   *int     `json:"distance"`
			QueryShare *float64 `json:"query_share"`
		} `json:"videos"`
	}
	code, raw, _ := partnerCall(t, e, secret, "POST", "/api/lookup", string(body), &ans)
	if code != http.StatusOK || len(ans.Results) != len(pictures) || len(ans.Videos) != 2 {
		t.Fatalf("lookup: %d %s", code, raw)
	}
	for i, p := range pictures {
		r := ans.Results[i]
		t.Logf("%-32s match %v distance %v", p.name, r.Match, deref(r.Distance))
		switch {
		case r.PDQ != hexes[i]:
			t.Errorf("%s: answered for %s, asked %s", p.name, r.PDQ, hexes[i])
		case r.Match != p.match:
			t.Errorf("%s: match %v, want %v", p.name, r.Match, p.match)
		case r.Match && (r.Distance == nil || *r.Distance > 31):
			t.Errorf("%s: distance %v", p.name, r.Distance)
		case !r.Match && r.Distance != nil:
			t.Errorf("%s: a miss names a distance %d", p.name, *r.Distance)
		}
	}
	if i := 0; ans.Results[i].Distance == nil || *ans.Results[i].Distance != 0 {
		t.Errorf("the registered photo's own PDQ at distance %v, want 0", deref(ans.Results[i].Distance))
	}
	if v := ans.Videos[0]; !v.Match || v.Distance == nil || *v.Distance != 0 || v.QueryShare == nil {
		t.Errorf("six frames of the registered video: %+v", v)
	}
	if v := ans.Videos[1]; v.Match {
		t.Errorf("unrelated frames matched: %+v", v)
	}
	for _, secretWord := range []string{"case-secret-7", "victim label", "a.jpg", "centre", "national"} {
		if strings.Contains(raw, secretWord) {
			t.Errorf("the answer names %q: %s", secretWord, raw)
		}
	}

	t.Run("the lookup token is refused everything else", func(t *testing.T) {
		for _, rt := range e.srv.Routes() {
			if rt.Public || strings.HasPrefix(rt.Path, "/api/lookup") {
				continue
			}
			path := strings.NewReplacer("{id}", "1", "{name}", "platform1", "{$}", "", "{site}", "x", "{lang}", "en").Replace(rt.Path)
			code, raw, hdr := partnerCall(t, e, secret, rt.Method, path, "{}", nil)
			toLogin := code == http.StatusSeeOther && strings.HasPrefix(hdr.Get("Location"), "/login")
			if code != http.StatusForbidden && code != http.StatusUnauthorized && !toLogin {
				t.Errorf("%s %s with a lookup token: %d %s", rt.Method, rt.Path, code, raw)
			}
		}
	})

	t.Run("requests are bounded", func(t *testing.T) {
		many, _ := json.Marshal(map[string]any{"pdq": make([]string, 21)})
		if code, raw, _ := partnerCall(t, e, secret, "POST", "/api/lookup", string(many), nil); code != http.StatusRequestEntityTooLarge {
			t.Errorf("21 hashes (limit 20): %d %s", code, raw)
		}
		long, _ := json.Marshal(map[string]any{"videos": []map[string]any{{"frames": make([]string, 41)}}})
		if code, raw, _ := partnerCall(t, e, secret, "POST", "/api/lookup", string(long), nil); code != http.StatusRequestEntityTooLarge {
			t.Errorf("41 frames (limit 40): %d %s", code, raw)
		}
		huge := `{"pdq": ["` + strings.Repeat("a", 3<<20) + `"]}`
		if code, _, _ := partnerCall(t, e, secret, "POST", "/api/lookup", huge, nil); code != http.StatusRequestEntityTooLarge {
			t.Errorf("a 3 MiB body: %d", code)
		}
		for _, bad := range []string{`{"pdq": ["xyz"]}`, `{"pdq": ["` + hexes[0] + `,100,a label"]}`, `{"videos": [{"frames": ["1,2,3"]}]}`, `{}`, `{"case": "x"}`} {
			if code, raw, _ := partnerCall(t, e, secret, "POST", "/api/lookup", bad, nil); code != http.StatusBadRequest {
				t.Errorf("%s: %d %s", bad, code, raw)
			}
		}
	})

	t.Run("the rate is limited per token", func(t *testing.T) {
		*clock = clock.Add(time.Hour) // a full bucket: 40
		full, _ := json.Marshal(map[string]any{"pdq": hexes, "videos": []map[string]any{{"frames": vpdq}}})
		if code, raw, _ := partnerCall(t, e, secret, "POST", "/api/lookup", string(full), nil); code != http.StatusOK {
			t.Fatalf("first request: %d %s", code, raw)
		}
		// 15 of 40 spent; 30 more do not fit.
		again, _ := json.Marshal(map[string]any{"pdq": append(hexes, hexes...), "videos": []map[string]any{{"frames": vpdq, "duration": 10}, {"frames": vpdq}}})
		code, raw, hdr := partnerCall(t, e, secret, "POST", "/api/lookup", string(again), nil)
		if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
			t.Fatalf("over the rate: %d %s (Retry-After %q)", code, raw, hdr.Get("Retry-After"))
		}
		other, _, err := e.db.Accounts.CreateTokenWith(ctx, "platform1", "second", accounts.TokenOptions{Scope: accounts.ScopeLookup}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if code, raw, _ := partnerCall(t, e, other, "POST", "/api/lookup", string(again), nil); code != http.StatusOK {
			t.Errorf("another token's bucket is its own: %d %s", code, raw)
		}
		*clock = clock.Add(10 * time.Second)
		if code, raw, _ := partnerCall(t, e, secret, "POST", "/api/lookup", string(again), nil); code != http.StatusOK {
			t.Errorf("after refilling: %d %s", code, raw)
		}
	})

	t.Run("lookups are counted per partner, without the hashes", func(t *testing.T) {
		counts, err := e.db.Accounts.LookupCounts("platform1")
		if err != nil || len(counts) == 0 {
			t.Fatalf("counts %+v, %v", counts, err)
		}
		var req, matches int64
		for _, c := range counts {
			req, matches = req+c.Requests, matches+c.Matches
		}
		if req != 4 || matches < 3 {
			t.Errorf("counted %d requests with %d matches: %+v", req, matches, counts)
		}
		var dump bytes.Buffer
		if _, err := e.db.Store.Backup(ctx, &dump); err != nil {
			t.Fatal(err)
		}
		for i, p := range pictures[1:] {
			if code, _, _ := hashing.ParseCode(hexes[i+1]); bytes.Contains(dump.Bytes(), []byte(hexes[i+1])) || bytes.Contains(dump.Bytes(), codeBytes(code)) {
				t.Errorf("the database holds the looked-up hash of %s", p.name)
			}
		}
	})

	t.Run("the feed carries additions, then withdrawals", func(t *testing.T) {
		type feed struct {
			Reset   bool `json:"reset"`
			Changes []struct {
				Op      string   `json:"op"`
				ID      uint64   `json:"id"`
				PDQ     string   `json:"pdq"`
				Quality *int     `json:"quality"`
				Frames  []string `json:"frames"`
			} `json:"changes"`
			Next string `json:"next"`
			More bool   `json:"more"`
		}
		*clock = clock.Add(time.Hour)
		var f, g feed
		code, raw, _ := partnerCall(t, e, secret, "GET", "/api/lookup/feed", "", &f)
		if code != http.StatusOK || !f.Reset || len(f.Changes) != 2 || f.More {
			t.Fatalf("first feed page: %d %s", code, raw)
		}
		if c := f.Changes[0]; c.Op != "add" || c.PDQ != fp.Reference[0].Hex() || c.Quality == nil {
			t.Errorf("the photo's addition: %+v", c)
		}
		if c := f.Changes[1]; c.Op != "add" || len(c.Frames) != 10 || c.Frames[3] != vpdq[3] {
			t.Errorf("the video's addition: %+v", c)
		}
		for _, secretWord := range []string{"case-secret-7", "victim label", "a.jpg", "v.mp4"} {
			if strings.Contains(raw, secretWord) {
				t.Errorf("the feed names %q: %s", secretWord, raw)
			}
		}
		if _, _, err := e.db.Index.Withdraw(ctx, "case-secret-7", store.Actor{User: "staff1"}); err != nil {
			t.Fatal(err)
		}
		ids := []uint64{f.Changes[0].ID, f.Changes[1].ID}
		code, raw, _ = partnerCall(t, e, secret, "GET", "/api/lookup/feed?since="+f.Next, "", &g)
		if code != http.StatusOK || g.Reset || len(g.Changes) != 2 {
			t.Fatalf("feed after the withdrawal: %d %s", code, raw)
		}
		for i, c := range g.Changes {
			if c.Op != "remove" || c.ID != ids[i] || c.PDQ != "" || c.Frames != nil {
				t.Errorf("withdrawal %d: %+v", i, c)
			}
		}
		if code, raw, _ := partnerCall(t, e, secret, "GET", "/api/lookup/feed?since=nonsense", "", nil); code != http.StatusBadRequest {
			t.Errorf("a made-up position: %d %s", code, raw)
		}
		// Withdrawn, the photo no longer matches.
		one, _ := json.Marshal(map[string]any{"pdq": hexes[:1]})
		code, raw, _ = partnerCall(t, e, secret, "POST", "/api/lookup", string(one), &ans)
		if code != http.StatusOK || ans.Results[0].Match {
			t.Errorf("a withdrawn photo: %d %s", code, raw)
		}
	})
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// codeBytes is a PDQ code as 32 big-endian bytes, as a store might keep it.
func codeBytes(c hashing.Code) []byte {
	var b []byte
	for _, w := range c {
		for j := 56; j >= 0; j -= 8 {
			b = append(b, byte(w>>j))
		}
	}
	return b
}

// BenchmarkLookup times one request of 1,000 partner hashes against
// 10,000 registered pictures: half the hashes a few bits from a
// registered reference PDQ (matches), half random (misses).
func BenchmarkLookup(b *testing.B) {
	e := newEnv(b, nil)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	randCode := func() hashing.Code { return hashing.Code{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()} }
	var regs []index.Registration
	var refs []hashing.Code
	for range 10000 {
		ref, view := randCode(), randCode()
		refs = append(refs, ref)
		regs = append(regs, index.Registration{Print: hashing.Fingerprint{Kind: hashing.KindImage,
			Reference: []hashing.Hash{{Algorithm: hashing.PDQ, Code: ref, Quality: 100}},
			Views: []hashing.View{{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{
				{Algorithm: hashing.PDQ, Code: view, Quality: 100}, {Algorithm: hashing.PHash, Code: hashing.Code{rng.Uint64()}, Quality: 100}, {Algorithm: hashing.DHash, Code: hashing.Code{rng.Uint64()}, Quality: 100}}}}}})
	}
	if _, err := e.db.Index.Register(ctx, "bench", "", regs, store.Actor{}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.db.Accounts.AddUser(ctx, accounts.NewUser{Name: "platform1", Role: accounts.RoleAnalyst, Password: testPassword}, store.Actor{}); err != nil {
		b.Fatal(err)
	}
	secret, _, err := e.db.Accounts.CreateTokenWith(ctx, "platform1", "", accounts.TokenOptions{Scope: accounts.ScopeLookup}, store.Actor{})
	if err != nil {
		b.Fatal(err)
	}
	var hexes []string
	for i := range 1000 {
		c := randCode()
		if i%2 == 0 {
			c = refs[i]
			c[0] ^= 0x0f // four bits off
		}
		hexes = append(hexes, hashing.Hash{Algorithm: hashing.PDQ, Code: c}.Hex())
	}
	body, _ := json.Marshal(map[string]any{"pdq": hexes})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/lookup", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		resp := e.anon().do(req)
		raw := readAll(resp)
		if resp.StatusCode == http.StatusTooManyRequests {
			b.StopTimer()
			e.srv.lookups = newLookupLimiter(1<<30, 1<<30, time.Now)
			b.StartTimer()
			continue
		}
		if resp.StatusCode != http.StatusOK || strings.Count(raw, `"match":true`) < 500 {
			b.Fatalf("%d %.300s", resp.StatusCode, raw)
		}
	}
}
