package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/console/messages"
	"github.com/hashwatch/hashwatch/store"
)

// rowIDs lists the alert IDs of the queue page's rows, in order.
var rowID = regexp.MustCompile(`<tr(?: class="refused")? id="row-(\d+)"`)

func rowIDs(page string) string {
	var out []string
	for _, m := range rowID.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return strings.Join(out, " ")
}

func TestQueuePageOpensOnNewAlertsOldestFirst(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(5)
	e.db.Alerts.DecideAlert(context.Background(), 2, alerts.StatusConfirmed, "", store.Actor{})
	op := e.login("op1")
	tests := []struct {
		name, path, rows string
	}{
		{"no filter shows new alerts, the longest waiting first", "/alerts", "1 3 4 5"},
		{"an explicit empty status shows every status, still oldest first", "/alerts?status=", "1 2 3 4 5"},
		{"newest first can be chosen", "/alerts?status=&sort=newest", "5 4 3 2 1"},
		{"oldest first can be chosen for any status", "/alerts?status=confirmed&sort=oldest", "2"},
		{"confidence order stays available", "/alerts?status=new&sort=confidence", "1 3 4 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := readAll(op.get(tt.path))
			if got := rowIDs(page); got != tt.rows {
				t.Errorf("rows %q, want %q", got, tt.rows)
			}
		})
	}
	page := readAll(op.get("/alerts"))
	for _, want := range []string{`src="/alerts/1/thumb"`, `id="select-all"`, `id="start-review"`, `src="/static/alerts.js"`, "Oldest first"} {
		if !strings.Contains(page, want) {
			t.Errorf("the queue page lacks %s", want)
		}
	}
	if n := strings.Count(page, `class="bulk-dismiss"`); n != 2 {
		t.Errorf("%d bulk dismiss buttons, want one above and one below the table", n)
	}
	if all := readAll(op.get("/alerts?select=all")); strings.Count(all, `name="id" value=`) != strings.Count(all, " checked>") || !strings.Contains(all, " checked>") {
		t.Error("?select=all does not tick every row")
	}
	resp := op.get("/alerts/1/thumb")
	img := readAll(resp)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(img, "\xff\xd8\xff") {
		t.Fatalf("thumbnail: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp := e.login("staff1").get("/alerts/1/thumb"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("staff fetched an alert thumbnail: %d", resp.StatusCode)
	}
}

func TestBulkIsAllOrNothingAndKeepsTheForm(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(e *env)
		form     url.Values
		status   int
		refused  []string // rows marked refused
		mentions []string // on the page that comes back
	}{
		{"a dismissal without a reason comes back with the selection kept", nil,
			url.Values{"id": {"1", "2"}, "action": {"dismiss"}, "reason": {"  "}}, http.StatusBadRequest, nil,
			[]string{"Dismissing needs a reason", `value="1" aria-label="#1" checked`, `value="2" aria-label="#2" checked`}},
		{"one alert already decided refuses the batch, naming it", func(e *env) {
			e.db.Alerts.DecideAlert(context.Background(), 2, alerts.StatusDismissed, "x", store.Actor{User: "op2"})
		}, url.Values{"id": {"1", "2", "3"}, "action": {"confirm"}}, http.StatusConflict, []string{"2"},
			[]string{"1 of the 3 selected alerts cannot be decided", "Alert #2 is dismissed now; it cannot become confirmed."}},
		{"an alert another operator holds refuses the batch, with who and until when", func(e *env) {
			readAll(e.login("op2").get("/alerts/3"))
		}, url.Values{"id": {"1", "3"}, "action": {"dismiss"}, "reason": {"Not the same picture"}}, http.StatusConflict, []string{"3"},
			[]string{"Alert #3: op2 is working on it until", `value="Not the same picture"`}},
		{"a batch that can be done is done and counted", nil,
			url.Values{"id": {"1", "2", "3"}, "action": {"confirm"}}, http.StatusSeeOther, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.addUser("op2", accounts.RoleOperator)
			e.seedAlerts(4)
			if tt.prepare != nil {
				tt.prepare(e)
			}
			op := e.login("op1")
			before, _ := e.db.Store.AuditLog(store.AuditFilter{})
			was, _ := e.db.Alerts.Alerts(alerts.AlertFilter{})
			tt.form.Set("back", "/alerts?status=&sort=oldest")
			resp := op.postForm("/alerts/bulk", tt.form, op.csrf)
			page := readAll(resp)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.500s", resp.StatusCode, tt.status, page)
			}
			after, _ := e.db.Store.AuditLog(store.AuditFilter{})
			now, _ := e.db.Alerts.Alerts(alerts.AlertFilter{})
			if tt.status == http.StatusSeeOther {
				// The decided alerts ride along for the message's Undo
				// button (undo.go).
				if loc := resp.Header.Get("Location"); loc != "/alerts?status=&sort=oldest&done=bulk&n=3&undo=1,2,3" {
					t.Errorf("Location %q", loc)
				}
				if n := len(after) - len(before); n != 3 {
					t.Errorf("%d audit records for 3 decisions", n)
				}
				if done := readAll(op.get("/alerts?done=bulk&n=3")); !strings.Contains(done, "3 alerts updated.") {
					t.Error("the success message does not say how many alerts changed")
				}
				return
			}
			if len(after) != len(before) {
				t.Errorf("a refused batch left audit records: %+v", after[:len(after)-len(before)])
			}
			for i := range now {
				if now[i].Status != was[i].Status {
					t.Errorf("alert %d went %s → %s in a refused batch", now[i].ID, was[i].Status, now[i].Status)
				}
			}
			var marked []string
			for _, m := range regexp.MustCompile(`<tr class="refused" id="row-(\d+)"`).FindAllStringSubmatch(page, -1) {
				marked = append(marked, m[1])
			}
			if !slices.Equal(marked, tt.refused) {
				t.Errorf("rows marked refused %v, want %v", marked, tt.refused)
			}
			for _, m := range tt.mentions {
				if !strings.Contains(page, m) {
					t.Errorf("the page does not say %q:\n%.3000s", m, page[strings.Index(page, "<main"):])
				}
			}
		})
	}
}

func TestAPIBulkIsAllOrNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(3)
	e.db.Alerts.DecideAlert(context.Background(), 3, alerts.StatusConfirmed, "", store.Actor{})
	op := e.login("op1")
	post := func(body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/alerts/bulk", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", op.csrf)
		resp := op.do(req)
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		return resp.StatusCode, out
	}
	status, out := post(`{"action":"confirm","ids":[1,2,3]}`)
	if status != http.StatusConflict || fmt.Sprint(out["results"]) != "[map[code:alert_state error:Alert #3 is confirmed now; it cannot become confirmed. id:3]]" || out["code"] != "alerts_bulk_refused" {
		t.Fatalf("refused bulk: %d %v", status, out)
	}
	if a, _ := e.db.Alerts.Alert(1); a.Status != alerts.StatusNew {
		t.Fatalf("alert 1 changed in a refused batch: %s", a.Status)
	}
	status, out = post(`{"action":"confirm","ids":[1,2]}`)
	if status != http.StatusOK || fmt.Sprint(out["results"]) != "[map[id:1 status:confirmed] map[id:2 status:confirmed]]" {
		t.Fatalf("bulk: %d %v", status, out)
	}
}

// reviewLinks reads the review page's previous and next links.
var reviewLink = regexp.MustCompile(`href="/alerts/(\d+)\?[^"]*" id="review-(prev|next)"`)

func reviewLinks(page string) (prev, next string) {
	for _, m := range reviewLink.FindAllStringSubmatch(page, -1) {
		if m[2] == "prev" {
			prev = m[1]
		} else {
			next = m[1]
		}
	}
	return prev, next
}

func TestReviewModeWalksTheQueueAndSkipsWhatOthersHold(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("op2", accounts.RoleOperator)
	e.seedAlerts(4)
	op1, op2 := e.login("op1"), e.login("op2")
	review := func(id int) string { return fmt.Sprintf("/alerts/%d?review=1&sort=oldest&status=new", id) }
	steps := []struct {
		name       string
		who        *client
		path       string
		prev, next string
		mentions   []string
	}{
		{"the first alert leads to the second", op1, review(1), "", "2", []string{"1 of 4 in the queue", "j next", "You hold this alert until"}},
		{"another operator opening the second holds it", op2, review(2), "", "3", []string{"2 of 4 in the queue"}},
		{"the first operator's next skips what the other holds", op1, review(1), "", "3", nil},
		{"the held alert says who holds it", op1, review(2), "1", "3", []string{"op2 is working on this alert until"}},
		{"the last alert is the end", op1, review(4), "3", "", []string{"This is the last alert"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			page := readAll(st.who.get(st.path))
			prev, next := reviewLinks(page)
			if prev != st.prev || next != st.next {
				t.Errorf("previous %q next %q, want %q %q", prev, next, st.prev, st.next)
			}
			for _, m := range st.mentions {
				if !strings.Contains(page, m) {
					t.Errorf("the page does not say %q", m)
				}
			}
		})
	}
	// Confirming in review mode goes on to the next alert, saying which
	// was confirmed.
	resp := op1.postForm("/alerts/1/confirm", url.Values{"next": {review(3)}, "back": {review(1)}}, op1.csrf)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc != review(3)+"&done=confirmed&n=1" {
		t.Fatalf("after confirming: %d %q", resp.StatusCode, loc)
	}
	if page := readAll(op1.get(loc)); !strings.Contains(page, "Alert #1 confirmed.") {
		t.Error("the next alert does not say which alert was confirmed")
	}
	// A decision on an alert someone else holds comes back refused, the
	// reason typed kept.
	resp = op1.postForm("/alerts/2/dismiss", url.Values{"reason": {"logo only"}, "back": {review(2)}}, op1.csrf)
	page := readAll(resp)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "Alert #2: op2 is working on it until") || !strings.Contains(page, `value="logo only"`) {
		t.Fatalf("deciding a held alert: %d %.2000s", resp.StatusCode, page)
	}
	// A dismissal without a reason comes back with the problem marked and
	// the "not this content" box as it was.
	resp = op1.postForm("/alerts/3/dismiss", url.Values{"reason": {""}, "negative": {""}, "back": {review(3)}}, op1.csrf)
	page = readAll(resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="form-error"`) || !strings.Contains(page, `aria-invalid="true"`) || !strings.Contains(page, `id="review-next"`) {
		t.Fatalf("dismissing without a reason: %d %.2000s", resp.StatusCode, page)
	}
	claims := 0
	log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "alert.claim"})
	for _, l := range log {
		if l.User == "op1" || l.User == "op2" {
			claims++
		}
	}
	if claims == 0 || claims > 4 {
		t.Errorf("%d claims audited; want one per alert first opened, renewals unrecorded: %+v", claims, log)
	}
}

func TestWhyItMatchedInWords(t *testing.T) {
	tests := []struct {
		view, en, ko string
	}{
		{"original", "as it is", "원본 그대로"},
		{"mirror", "mirrored", "좌우 반전된"},
		{"rot90", "turned 90°", "90° 회전된"},
		{"rot-4", "tilted -4°", "-4° 기울어진"},
		{"straight+6", "straightened by +6° (turned, its empty corners cropped)", "+6° 돌린 뒤 빈 모서리를 잘라낸"},
		{"mirrored", "mirrored", "좌우 반전된"},
		{"crop-c10", "with 10% cut from every side", "네 변에서 10%씩 잘린"},
		{"crop-tl15", "with 15% cut from the top-left corner", "15%가 왼쪽 위 모서리에서 잘린"},
		{"cut-bottom-9", "with 9% cut from the bottom", "9%가 아래쪽에서 잘린"},
		{"cut-left-12", "with 12% cut from the left", "12%가 왼쪽에서 잘린"},
		{"part-right", "only its right half", "오른쪽 절반만"},
		{"part-bottom-left", "only its quarter at the bottom-left corner", "왼쪽 아래 모서리 4분의 1만"},
		{"uncaptioned-top", "with its caption band at the top cut", "위쪽 자막 띠를 잘라낸"},
		{"uncaptioned", "with its caption bands at the top and bottom cut", "위아래 자막 띠를 잘라낸"},
		{"trimmed-rot180", "with its plain borders trimmed, then turned 180°", "단색 테두리를 잘라낸 뒤 180° 회전된"},
		{"mirror-crop-c5", "mirrored, then with 5% cut from every side", "좌우 반전된 뒤 네 변에서 5%씩 잘린"},
		{"frames-mirrored", "frame by frame, mirrored", "좌우 반전된 프레임별로"},
		{"frame@12.5s", "at its frame of 0:12.5", "0:12.5 지점 프레임"},
		{"something-new", `"something-new"`, `"something-new"`},
	}
	en, ko := &locale{Lang: "en", msgs: messages.For("en")}, &locale{Lang: "ko", msgs: messages.For("ko")}
	for _, tt := range tests {
		t.Run(tt.view, func(t *testing.T) {
			if got := describeView(en, tt.view); got != tt.en {
				t.Errorf("English %q, want %q", got, tt.en)
			}
			if got := describeView(ko, tt.view); got != tt.ko {
				t.Errorf("Korean %q, want %q", got, tt.ko)
			}
		})
	}
	e := newEnv(t, nil)
	e.seedAlerts(12)
	op := e.login("op1")
	for _, c := range []struct {
		id    int
		wants []string
	}{
		{2, []string{"2 of 256 bits of the two fingerprints differ (PDQ).", "An alert needs at most 31, or up to 60 when pHash and dHash agree closely as well.", "very close", "Sightings: 1, on 1 pages", "Registered side: case c1"}},
		{12, []string{"12 of 256 bits", "close: likely an edited copy"}},
	} {
		page := readAll(op.get(fmt.Sprintf("/alerts/%d", c.id)))
		for _, w := range c.wants {
			if !strings.Contains(page, w) {
				t.Errorf("alert %d's page does not say %q", c.id, w)
			}
		}
	}
	for _, k := range append(append([]string{}, dismissReasonKeys...), "alerts.bulk_refused_api", "refused.claimed", "refused.status", "refused.missing", "why.conf_low",
		"why.registered_video", "why.timeline", "why.timeline_caption", "view.frames", "done.bulk_n", "done.confirmed_n", "done.dismissed_n", "done.claim_released") {
		if !en.Has(k) || !ko.Has(k) {
			t.Errorf("key %q, used by the handlers, is missing in a language", k)
		}
	}
}
