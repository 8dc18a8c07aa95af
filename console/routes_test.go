package console

import (
	"net/http"
	"strings"
	"testing"
)

// TestTheRouteTableRefusesContradictions checks that a row written wrong
// stops the server from being built rather than opening a hole.
func TestTheRouteTableRefusesContradictions(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request, rq *request) error { return nil }
	for _, tc := range []struct {
		name string
		rt   route
		want string // "" for accepted
	}{
		{"a page read by an operator is accepted", route{"GET", "/x", operator, csrfNone, asHTML, light, ok}, ""},
		{"a form post with the session's token is accepted", route{"POST", "/x", operator, csrfSession, asHTML, light, ok}, ""},
		{"the login form's own token is accepted on a public post", route{"POST", "/x", public, csrfLogin, asHTML, light, ok}, ""},
		{"a route open to no role is refused", route{"GET", "/x", nil, csrfNone, asHTML, light, ok}, "open to no role"},
		{"a state change without a CSRF rule is refused", route{"POST", "/x", operator, csrfNone, asHTML, light, ok}, "want none exactly for GET"},
		{"a CSRF rule on a read is refused", route{"GET", "/x", operator, csrfSession, asHTML, light, ok}, "want none exactly for GET"},
		{"the login rule on a route that needs a session is refused", route{"POST", "/x", operator, csrfLogin, asHTML, light, ok}, "want login exactly"},
		{"a public post without the login rule is refused", route{"POST", "/x", public, csrfSession, asHTML, light, ok}, "want login exactly"},
		{"a route without a handler is refused", route{"GET", "/x", operator, csrfNone, asHTML, light, nil}, "no handler"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkRoutes([]route{tc.rt})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	t.Run("the same route twice is refused", func(t *testing.T) {
		rt := route{"GET", "/x", operator, csrfNone, asHTML, light, ok}
		if err := checkRoutes([]route{rt, rt}); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Fatalf("error %v", err)
		}
	})
}

// TestRoutesAnswerAsTheTableSays checks that the table's output column
// decides how a refusal is answered: JSON under /api/, a page elsewhere.
func TestRoutesAnswerAsTheTableSays(t *testing.T) {
	e := newEnv(t, nil)
	op := e.login("op1")
	for _, tc := range []struct{ path, ctype string }{
		{"/alerts/0", "text/html"},
		{"/api/alerts/0", "application/json"},
	} {
		resp := op.get(tc.path)
		body := readAll(resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: %d %s, want 400 as %s: %.200s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.ctype, body)
		}
	}
	for _, rt := range e.srv.Routes() {
		if want := strings.HasPrefix(rt.Path, "/api/") || rt.Path == "/metrics"; want != (rt.Answers == "json") {
			t.Errorf("%s %s answers %s", rt.Method, rt.Path, rt.Answers)
		}
	}
}
