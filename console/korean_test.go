package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/console/messages"
	"github.com/hashwatch/hashwatch/store"
)

func TestDurationsAreWordsInBothLanguages(t *testing.T) {
	ko, en := &locale{Lang: "ko", msgs: messages.For("ko")}, &locale{Lang: "en", msgs: messages.For("en")}
	for _, tt := range []struct {
		d      time.Duration
		ko, en string
	}{
		{8 * time.Minute, "8분", "8 min"},
		{90 * time.Minute, "1시간 30분", "1 h 30 min"},
		{45 * time.Second, "45초", "45 s"},
		{26*time.Hour + 20*time.Second, "1일 2시간", "1 d 2 h"},
		{6 * time.Hour, "6시간", "6 h"},
		{59*time.Minute + 40*time.Second, "1시간", "1 h"},
		{2*time.Second + 400*time.Millisecond, "2초", "2 s"},
		{500 * time.Millisecond, "1초", "1 s"},
		{0, "—", "—"},
		{-time.Minute, "—", "—"},
	} {
		if got := ko.Duration(tt.d); got != tt.ko {
			t.Errorf("ko Duration(%v) = %q, want %q", tt.d, got, tt.ko)
		}
		if got := en.Duration(tt.d); got != tt.en {
			t.Errorf("en Duration(%v) = %q, want %q", tt.d, got, tt.en)
		}
	}
	if got := ko.T("done.confirmed_n", 12); got != "알림 #12를 확인했습니다." {
		t.Errorf("a Korean message keeps its undecided particle: %q", got)
	}
}

func TestKoreanErrorPages(t *testing.T) {
	e := newEnv(t, nil)
	op := e.login("op1")
	if resp := op.postForm("/settings", url.Values{"language": {"ko"}}, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", resp.StatusCode, readAll(resp))
	}
	tests := []struct {
		name   string
		path   string
		status int
		want   []string
		lacks  []string
	}{
		{"an alert that is not there", "/alerts/9999", http.StatusNotFound,
			[]string{"404 · 찾을 수 없음", "알림 9999를 찾을 수 없습니다."}, []string{"Not Found", "not found"}},
		{"a page of another role", "/users", http.StatusForbidden,
			[]string{"403 · 접근 거부"}, []string{"Forbidden"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := op.get(tt.path)
			body := readAll(resp)
			if resp.StatusCode != tt.status {
				t.Fatalf("%s: %d, want %d", tt.path, resp.StatusCode, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("the page lacks %q:\n%.600s", w, body)
				}
			}
			for _, no := range tt.lacks {
				if strings.Contains(body, no) {
					t.Errorf("the page has English %q", no)
				}
			}
		})
	}
	t.Run("a handler's own English message gets a Korean sentence with the English as detail", func(t *testing.T) {
		ko := &locale{Lang: "ko", msgs: messages.For("ko")}
		title, sentence, detail := errorWords(ko, http.StatusConflict, `alert 3 is dismissed; a notice needs confirmed alerts`, false)
		if title != "충돌" || sentence != "현재 상태에서는 이 작업을 할 수 없습니다." || !strings.Contains(detail, "dismissed") {
			t.Fatalf("errorWords = %q, %q, %q", title, sentence, detail)
		}
		en := &locale{Lang: "en", msgs: messages.For("en")}
		if title, sentence, detail := errorWords(en, http.StatusNotFound, "alert 9999: not found", false); title != "Not Found" || sentence != "alert 9999: not found" || detail != "" {
			t.Fatalf("English changed: %q, %q, %q", title, sentence, detail)
		}
	})
}

// TestAPIErrorsSpeakTheCallersLanguage: a JSON error says what went wrong
// in the caller's language (the user's setting, else Accept-Language),
// with a code that is the same in every language and the lower-level
// cause, when there is one, apart in detail.
func TestAPIErrorsSpeakTheCallersLanguage(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(1)
	en := e.login("op1") // English by setting, whatever the browser asks
	// A user who left the language to the browser, which asks Korean.
	if _, err := e.db.Accounts.AddUser(context.Background(), accounts.NewUser{Name: "op-auto", Role: accounts.RoleOperator, Password: testPassword}, store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	ko := e.login("op-auto")
	call := func(c *client, lang, method, path, body string) (int, errorJSON, string) {
		t.Helper()
		req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
		req.Header.Set("Accept-Language", lang)
		if method == "POST" {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
		resp := c.do(req)
		raw := readAll(resp)
		var got errorJSON
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
		return resp.StatusCode, got, raw
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
		ko, en                   string // in the message
		detail                   bool
	}{
		{"an alert that is not there", "GET", "/api/alerts/9999", "", 404, "not_found", "알림 9999를 찾을 수 없습니다.", "alert 9999", false},
		{"an ID that is no number", "GET", "/api/alerts/abc", "", 400, "bad_id", "양의 정수", "give a positive number", false},
		{"an unknown order", "GET", "/api/alerts?sort=random", "", 400, "bad_choice", "다음 중 하나", "is not one of", false},
		{"a body that is not JSON", "POST", "/api/alerts/1/dismiss", `{"reason":`, 400, "bad_json", "JSON 본문을 읽을 수 없습니다.", "The JSON body cannot be read.", true},
		{"a bulk without IDs", "POST", "/api/alerts/bulk", `{"action":"confirm"}`, 400, "bulk_ids", "알림 ID를", "alert IDs", false},
		{"an anonymous call", "GET", "/api/me", "", 401, "login_required", "로그인이 필요합니다.", "Please log in.", false},
		{"a path no route takes", "GET", "/api/nothing-here", "", 404, "no_page", "페이지가 없습니다", "no page", false},
		{"a method the path does not take", "DELETE", "/api/alerts/1", "", 405, "method", "DELETE 요청을 받지 않습니다", "does not take DELETE", false},
		{"a route of another role", "GET", "/api/verify", "", 403, "forbidden", "사용할 수 없습니다", "may not use", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			koClient, enClient := ko, en
			if tt.code == "login_required" {
				koClient, enClient = e.anon(), e.anon()
			}
			for _, side := range []struct {
				c          *client
				lang, want string
			}{{koClient, "ko", tt.ko}, {enClient, "en", tt.en}} {
				status, got, raw := call(side.c, side.lang, tt.method, tt.path, tt.body)
				if status != tt.status || got.Code != tt.code || !strings.Contains(got.Error, side.want) || (got.Detail != "") != tt.detail {
					t.Errorf("%s: %d %s, want %d with code %q, %q in the message, detail %v", side.lang, status, raw, tt.status, tt.code, side.want, tt.detail)
				}
				if side.lang == "ko" && hangul.FindString(got.Error) == "" {
					t.Errorf("the Korean message has no Korean: %s", raw)
				}
			}
		})
	}
}

var hangul = regexp.MustCompile(`\p{Hangul}`)
