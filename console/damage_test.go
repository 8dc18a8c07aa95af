package console

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestADamagedDatabaseKeepsTheConsoleUp flips the page types of the file
// under a running console, as a failing disk might (issue 14, item 6):
// the console must stay up, say on every page it can still show that the
// database is damaged, refuse every change with 503, never answer 500 and
// never write into the file.
func TestADamagedDatabaseKeepsTheConsoleUp(t *testing.T) {
	e := newEnv(t, nil)
	as := e.seedAlerts(40)
	op := e.login("op1")
	path := e.db.Store.Path()

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	keep := map[uint64]bool{0: true, 1: true}
	for _, m := range []int{0, pageSize} {
		keep[binary.LittleEndian.Uint64(data[m+48:])] = true // the freelist page
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	for pg := uint64(2); pg < uint64(len(data)/pageSize); pg++ {
		if !keep[pg] {
			if _, err := f.WriteAt([]byte{0xad, 0x0b}, int64(pg*pageSize+8)); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.Close()
	before, _ := os.ReadFile(path)

	// Each answer may be 503 (the damage reached the request) or a page
	// that says the database is damaged; a change is always 503.
	for _, tc := range []struct{ method, path string }{
		{"GET", "/dashboard"},
		{"GET", "/api/dashboard"},
		{"GET", "/alerts"},
		{"GET", fmt.Sprintf("/alerts/%d", as[0].ID)},
		{"GET", "/api/alerts"},
		{"POST", fmt.Sprintf("/alerts/%d/confirm", as[1].ID)},
		{"POST", fmt.Sprintf("/api/alerts/%d/confirm", as[2].ID)},
		{"GET", "/dashboard"}, // again, after the damage was met
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var resp *http.Response
			if tc.method == "POST" {
				resp = op.postForm(tc.path, url.Values{}, op.csrf)
			} else {
				resp = op.get(tc.path)
			}
			body := readAll(resp)
			t.Logf("%d", resp.StatusCode)
			switch {
			case resp.StatusCode == http.StatusInternalServerError:
				t.Fatalf("500: %.300s", body)
			case tc.method == "POST" && resp.StatusCode != http.StatusServiceUnavailable:
				t.Fatalf("a change answered %d, want 503: %.300s", resp.StatusCode, body)
			case resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusOK:
				t.Fatalf("%d: %.300s", resp.StatusCode, body)
			}
			if e.db.Store.Damaged() != nil && !strings.Contains(body, "damaged") {
				t.Errorf("the answer does not say the database is damaged: %.300s", body)
			}
		})
	}
	if e.db.Store.Damaged() == nil {
		t.Fatal("no request met the damage: the test damaged nothing it reads")
	}
	if resp := op.get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("the console is down after the damage: /healthz %d", resp.StatusCode)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("the damaged file was written")
	}
}
