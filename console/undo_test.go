package console

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/store"
)

// undoForm finds a page's Undo button: the alert IDs it posts and where
// it returns.
var (
	undoFormRE = regexp.MustCompile(`(?s)<form method="post" action="/alerts/undo"[^>]*id="undo-form">(.*?)</form>`)
	undoIDRE   = regexp.MustCompile(`name="id" value="(\d+)"`)
	undoBackRE = regexp.MustCompile(`name="back" value="([^"]*)"`)
)

func undoButtonOf(t *testing.T, page string) (ids []string, back string) {
	t.Helper()
	m := undoFormRE.FindStringSubmatch(page)
	if m == nil {
		return nil, ""
	}
	for _, id := range undoIDRE.FindAllStringSubmatch(m[1], -1) {
		ids = append(ids, id[1])
	}
	if b := undoBackRE.FindStringSubmatch(m[1]); b != nil {
		back = html.UnescapeString(b[1])
	}
	return ids, back
}

// TestUndoFromTheSuccessMessage decides alerts through the console's
// forms, follows each success message's Undo button as a browser without
// JavaScript would, and checks the alert is back as it was, the undo
// audited, and who may undo what.
func TestUndoFromTheSuccessMessage(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	e := newEnvWith(t, store.Options{Now: func() time.Time { return clock }}, func(c *Config) { c.UndoWindow = 5 * time.Minute })
	as := e.seedAlerts(6)
	if _, err := e.db.Accounts.AddUser(ctx, accounts.NewUser{Name: "op2", Role: accounts.RoleOperator, Password: testPassword, Language: "en"}, store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	op, op2, adm := e.login("op1"), e.login("op2"), e.login("admin1")
	status := func(id uint64) alerts.Status {
		a, err := e.db.Alerts.Alert(id)
		if err != nil {
			t.Fatal(err)
		}
		return a.Status
	}
	// follow posts a form and returns where it redirected and that page.
	follow := func(c *client, path string, v url.Values) (string, string) {
		t.Helper()
		resp := c.postForm(path, v, c.csrf)
		body := readAll(resp)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d %.300s", path, resp.StatusCode, body)
		}
		loc := resp.Header.Get("Location")
		return loc, readAll(c.get(loc))
	}

	t.Run("a single decision's Undo puts the alert back and returns to it", func(t *testing.T) {
		id := as[0].ID
		_, page := follow(op, fmt.Sprintf("/alerts/%d/confirm", id), nil)
		ids, back := undoButtonOf(t, page)
		if len(ids) != 1 || ids[0] != fmt.Sprint(id) || back != fmt.Sprintf("/alerts/%d", id) {
			t.Fatalf("Undo button ids %v back %q; page %.500s", ids, back, page)
		}
		loc, page := follow(op, "/alerts/undo", url.Values{"id": ids, "back": {back}})
		if status(id) != alerts.StatusNew || !strings.HasPrefix(loc, back) || !strings.Contains(page, "Decisions undone: 1;") {
			t.Errorf("after undo: status %s, went to %s, page %.300s", status(id), loc, page)
		}
		log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "alert.undo"})
		if len(log) != 1 || log[0].User != "op1" || log[0].Target != fmt.Sprint(id) || !strings.HasPrefix(log[0].Detail, "alert.confirm by op1") {
			t.Errorf("audit %+v", log)
		}
		if ids, _ := undoButtonOf(t, page); ids != nil {
			t.Errorf("an undo offers to undo itself: %v", ids)
		}
	})
	t.Run("a review-mode decision's Undo returns to the undone alert, keeping the review", func(t *testing.T) {
		id, next := as[1].ID, as[2].ID
		v := url.Values{"reason": {"not the same picture"}, "next": {fmt.Sprintf("/alerts/%d?review=1&order=oldest", next)}}
		_, page := follow(op, fmt.Sprintf("/alerts/%d/dismiss", id), v)
		ids, back := undoButtonOf(t, page)
		if len(ids) != 1 || ids[0] != fmt.Sprint(id) || back != fmt.Sprintf("/alerts/%d?order=oldest&review=1", id) {
			t.Fatalf("Undo button ids %v back %q", ids, back)
		}
		follow(op, "/alerts/undo", url.Values{"id": ids, "back": {back}})
		if a, _ := e.db.Alerts.Alert(id); a.Status != alerts.StatusNew || a.Reason != "" {
			t.Errorf("after undo: %s %q", a.Status, a.Reason)
		}
	})
	t.Run("a bulk decision's Undo undoes every alert of it", func(t *testing.T) {
		bulk := []string{fmt.Sprint(as[3].ID), fmt.Sprint(as[4].ID)}
		_, page := follow(op, "/alerts/bulk", url.Values{"id": bulk, "action": {"confirm"}})
		ids, back := undoButtonOf(t, page)
		if strings.Join(ids, ",") != strings.Join(bulk, ",") || back != "/alerts" {
			t.Fatalf("Undo button ids %v back %q", ids, back)
		}
		follow(op, "/alerts/undo", url.Values{"id": ids, "back": {back}})
		if status(as[3].ID) != alerts.StatusNew || status(as[4].ID) != alerts.StatusNew {
			t.Errorf("after bulk undo: %s %s", status(as[3].ID), status(as[4].ID))
		}
	})
	t.Run("another operator is refused, in words; an admin is not", func(t *testing.T) {
		id := as[5].ID
		follow(op, fmt.Sprintf("/alerts/%d/confirm", id), nil)
		resp := op2.postForm("/alerts/undo", url.Values{"id": {fmt.Sprint(id)}}, op2.csrf)
		body := readAll(resp)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, fmt.Sprintf("Alert #%d was decided by op1", id)) {
			t.Errorf("op2's undo: %d %.300s", resp.StatusCode, body)
		}
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/alerts/undo", strings.NewReader(fmt.Sprintf(`{"ids":[%d]}`, id)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", op2.csrf)
		resp = op2.do(req)
		var refused struct {
			Results []bulkResult `json:"results"`
		}
		json.Unmarshal([]byte(readAll(resp)), &refused)
		if resp.StatusCode != http.StatusConflict || len(refused.Results) != 1 || !strings.Contains(refused.Results[0].Error, "op1") {
			t.Errorf("op2's API undo: %d %+v", resp.StatusCode, refused)
		}
		// op1 is on the alert's page, which claims it: an admin's undo
		// waits for the claim's end, as a decision would.
		readAll(op.postForm(fmt.Sprintf("/alerts/%d/release", id), nil, op.csrf))
		req, _ = http.NewRequest("POST", e.ts.URL+"/api/alerts/undo", strings.NewReader(fmt.Sprintf(`{"ids":[%d]}`, id)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", adm.csrf)
		resp = adm.do(req)
		if body := readAll(resp); resp.StatusCode != 200 || status(id) != alerts.StatusNew {
			t.Errorf("admin's undo: %d %s; status %s", resp.StatusCode, body, status(id))
		}
	})
	t.Run("after the configured window the Undo is refused", func(t *testing.T) {
		id := as[0].ID
		_, page := follow(op, fmt.Sprintf("/alerts/%d/confirm", id), nil)
		ids, back := undoButtonOf(t, page)
		clock = clock.Add(5*time.Minute + time.Second)
		resp := op.postForm("/alerts/undo", url.Values{"id": ids, "back": {back}}, op.csrf)
		body := readAll(resp)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "more than 5 minutes ago") || status(id) != alerts.StatusConfirmed {
			t.Errorf("late undo: %d %.300s; status %s", resp.StatusCode, body, status(id))
		}
	})
}

// TestUndoByKeyInReviewMode presses c on an alert in review mode, then u
// on the next alert's page: the decision is undone, the browser is back on
// the undone alert, still in review mode.
func TestUndoByKeyInReviewMode(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(3)
	b := startBrowser(t)
	b.do("log in by keyboard",
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "op1"),
		chromedp.SendKeys(css("#password"), testPassword+"\r"),
		chromedp.WaitVisible(css("#queue")),
	)
	onAlert := func(id int) string {
		return fmt.Sprintf(`document.readyState === "complete" && document.title.includes("#%d") && document.querySelector("#review") !== null`, id)
	}
	b.do("start the review with j", chromedp.KeyEvent("j"))
	b.until("alert 1 in review mode", onAlert(1))
	b.do("confirm alert 1 with c", chromedp.KeyEvent("c"))
	b.until("alert 2 with an Undo button", onAlert(2)+` && document.querySelector("#undo-form") !== null`)
	b.do("undo with u", chromedp.KeyEvent("u"))
	b.until("back on alert 1, undone", onAlert(1)+` && document.querySelector("#undo-form") === null && document.querySelector("p.done") !== null`)
	if a, err := e.db.Alerts.Alert(1); err != nil || a.Status != alerts.StatusNew {
		t.Fatalf("alert 1 after u: %+v, %v", a.Status, err)
	}
	log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "alert.undo"})
	if len(log) != 1 || log[0].User != "op1" || log[0].Target != "1" {
		t.Errorf("audit %+v", log)
	}
}
