package console

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

func TestGraduatedViewingIsStepwiseAuditedAndNeverStored(t *testing.T) {
	data := photo(t, testPhoto)
	var served atomic.Int64
	var gone atomic.Bool
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if gone.Load() {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(data)
	}))
	defer src.Close()
	e := newEnv(t, withCrawling)
	seeded := e.seedAlerts(1)
	ctx := context.Background()
	preview, _ := e.db.Alerts.Preview(seeded[0].MediaSHA256)
	a, _, err := e.db.Alerts.RecordAlert(ctx, alerts.AlertInput{
		Site: "board", MediaSHA256: [32]byte{0xcd},
		Match:    index.Match{Fingerprint: seeded[0].Fingerprint, Case: "c1", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 3}},
		Sighting: alerts.Sighting{PageURL: src.URL + "/p", MediaURL: src.URL + "/m.jpg", HTTPStatus: 200, FirstSeen: time.Now()},
		Preview:  preview,
	})
	if err != nil {
		t.Fatal(err)
	}
	op, other := e.login("op1"), e.login("op1")
	id := itoa(a.ID)
	colourOf := func(img []byte) (long int, coloured bool) {
		m, err := jpeg.Decode(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("not a JPEG: %v", err)
		}
		b := m.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y += 4 {
			for x := b.Min.X; x < b.Max.X; x += 4 {
				r, g, bl, _ := m.At(x, y).RGBA()
				if max(r, g, bl)-min(r, g, bl) > 8<<8 {
					coloured = true
				}
			}
		}
		return max(b.Dx(), b.Dy()), coloured
	}
	steps := []struct {
		name     string
		do       func() *http.Response
		status   int
		long     int  // of the image served, 0 for none
		coloured bool // the image served
		audit    string
	}{
		{"the clearer view waits for the preview's reveal", func() *http.Response { return op.postForm("/alerts/"+id+"/view/clearer", nil, op.csrf) }, http.StatusConflict, 0, false, ""},
		{"nothing is served before its step is taken", func() *http.Response { return op.get("/alerts/" + id + "/view/clearer") }, http.StatusConflict, 0, false, ""},
		{"the full view waits for the clearer one", func() *http.Response { return op.postForm("/alerts/"+id+"/view/full", nil, op.csrf) }, http.StatusConflict, 0, false, ""},
		{"the preview is revealed", func() *http.Response { return op.postForm("/alerts/"+id+"/reveal", nil, op.csrf) }, http.StatusSeeOther, 0, false, "alert.reveal "},
		{"then the clearer view, recorded as grey", func() *http.Response { return op.postForm("/alerts/"+id+"/view/clearer", nil, op.csrf) }, http.StatusSeeOther, 0, false, "alert.view_clearer grey"},
		{"it is fetched live, small and grey", func() *http.Response { return op.get("/alerts/" + id + "/view/clearer") }, http.StatusOK, hashing.ClearerSize, false, ""},
		{"then the full view in colour, recorded as such", func() *http.Response {
			return op.postForm("/alerts/"+id+"/view/full", url.Values{"colour": {"1"}}, op.csrf)
		}, http.StatusSeeOther, 0, false, "alert.view_full colour"},
		{"it is fetched live in colour", func() *http.Response { return op.get("/alerts/" + id + "/view/full") }, http.StatusOK, 512, true, ""},
		{"another session has taken no step", func() *http.Response { return other.get("/alerts/" + id + "/view/full") }, http.StatusConflict, 0, false, ""},
		{"a source that no longer serves it is said so", func() *http.Response { gone.Store(true); return op.get("/alerts/" + id + "/view/full") }, http.StatusBadGateway, 0, false, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before, _ := e.db.Store.AuditLog(store.AuditFilter{Limit: 1})
			resp := st.do()
			body := readAll(resp)
			if resp.StatusCode != st.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, st.status, body)
			}
			if st.long > 0 {
				long, coloured := colourOf([]byte(body))
				if long != st.long || coloured != st.coloured {
					t.Errorf("image long side %d coloured %v, want %d %v", long, coloured, st.long, st.coloured)
				}
			}
			after, _ := e.db.Store.AuditLog(store.AuditFilter{Limit: 1})
			got := ""
			if len(after) > 0 && (len(before) == 0 || after[0].Seq > before[0].Seq) {
				got = after[0].Action + " " + after[0].Detail
			}
			if got != st.audit {
				t.Errorf("audit %q, want %q", got, st.audit)
			}
		})
	}
	if served.Load() != 3 {
		t.Errorf("the source was asked %d times, want once per view shown (3)", served.Load())
	}
	if p, _ := e.db.Alerts.Preview(a.MediaSHA256); !bytes.Equal(p, preview) {
		t.Error("viewing changed the stored preview")
	}
	page := readAll(op.get("/alerts/" + id))
	for _, want := range []string{`id="clearer-img"`, `id="full-img"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the alert page lacks %s", want)
		}
	}
}

func TestColourIsAPerUserSetting(t *testing.T) {
	e := newEnv(t, withCrawling)
	e.seedAlerts(1)
	op := e.login("op1")
	op.postForm("/alerts/1/reveal", nil, op.csrf).Body.Close()
	checked := func() bool {
		page := readAll(op.get("/alerts/1"))
		i := strings.Index(page, `id="clearer-form"`)
		if i < 0 {
			t.Fatal("no clearer step offered after the reveal")
		}
		form := page[i:]
		form = form[:strings.Index(form, "</form>")]
		return strings.Contains(form, `name="colour" value="1" checked`)
	}
	tests := []struct {
		name   string
		form   url.Values
		colour bool
	}{
		{"grey is the default", nil, false},
		{"colour chosen in the settings", url.Values{"view_prefs": {"1"}, "view_colour": {"1"}}, true},
		{"another form's post leaves the choice alone", url.Values{"language": {"en"}}, true},
		{"unticked in the settings, grey again", url.Values{"view_prefs": {"1"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.form != nil {
				if resp := op.postForm("/settings", tt.form, op.csrf); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("settings: %d %s", resp.StatusCode, readAll(resp))
				}
			}
			if got := checked(); got != tt.colour {
				t.Errorf("in colour preselected %v, want %v", got, tt.colour)
			}
		})
	}
	log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "user.update"})
	n := 0
	for _, l := range log {
		if strings.Contains(l.Detail, "view in colour") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d audited colour changes, want 2: %+v", n, log)
	}
}

// stripesGIF is an animated GIF of n frames shown half a second each,
// every frame with stripes of its own width: a video for the keyframe
// strip without ffmpeg.
func stripesGIF(t *testing.T, n int) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{}
	for i := range n {
		img := image.NewPaletted(image.Rect(0, 0, 96, 64), pal)
		for y := range 64 {
			for x := range 96 {
				img.SetColorIndex(x, y, uint8((x/(3+4*i))%2))
			}
		}
		g.Image = append(g.Image, img)
		g.Delay = append(g.Delay, 50)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAVideoAlertShowsBlurredKeyframesAtTheMatchedMoments(t *testing.T) {
	clip := stripesGIF(t, 8)
	var served atomic.Int64
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "image/gif")
		w.Write(clip)
	}))
	defer src.Close()
	e := newEnv(t, func(c *Config) { withCrawling(c); c.Video = video.New(video.Config{TempDir: t.TempDir()}) })
	seeded := e.seedAlerts(1)
	a, _, err := e.db.Alerts.RecordAlert(context.Background(), alerts.AlertInput{
		Site: "board", MediaSHA256: [32]byte{0xef},
		Match: index.Match{Fingerprint: seeded[0].Fingerprint, Case: "c1", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 9},
			Video: &index.VideoEvidence{QueryShare: 0.5, RegisteredShare: 0.9, Ranges: []index.VideoRange{{QueryStart: 0.5, QueryEnd: 2, RegisteredStart: 0, RegisteredEnd: 1.5}}}},
		Sighting: alerts.Sighting{PageURL: src.URL + "/p", MediaURL: src.URL + "/v.gif", HTTPStatus: 200, FirstSeen: time.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	op := e.login("op1")
	id := itoa(a.ID)
	page := readAll(op.get("/alerts/" + id))
	for _, want := range []string{`id="keyframes-form"`, `id="why-timeline"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the video alert's page lacks %s", want)
		}
	}
	if resp := op.get("/alerts/" + id + "/view/keyframes"); resp.StatusCode != http.StatusConflict {
		t.Fatalf("the strip is served before its audited step: %d", resp.StatusCode)
	}
	if resp := op.postForm("/alerts/"+id+"/view/keyframes", nil, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("keyframes step: %d %s", resp.StatusCode, readAll(resp))
	}
	resp := op.get("/alerts/" + id + "/view/keyframes")
	body := readAll(resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("strip: %d %.200s", resp.StatusCode, body)
	}
	img, err := jpeg.Decode(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// Three moments inside the one matched stretch, each a preview-sized
	// tile.
	if b := img.Bounds(); b.Dx() < 3*hashing.PreviewSize || b.Dy() > hashing.PreviewSize {
		t.Errorf("strip %dx%d, want three %d-px tiles side by side", b.Dx(), b.Dy(), hashing.PreviewSize)
	}
	log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "alert.view_keyframes"})
	if len(log) != 1 || log[0].User != "op1" || log[0].Target != id {
		t.Errorf("audit: %+v", log)
	}
	if served.Load() != 1 {
		t.Errorf("the source was asked %d times, want once", served.Load())
	}
	if has, _ := e.db.Alerts.HasPreview([32]byte{0xef}); has {
		t.Error("the strip was stored")
	}
	if resp := op.postForm("/alerts/"+itoa(seeded[0].ID)+"/view/keyframes", nil, op.csrf); resp.StatusCode != http.StatusConflict {
		t.Errorf("a picture alert's keyframes: %d", resp.StatusCode)
	}
}
