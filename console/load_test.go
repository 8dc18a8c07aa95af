package console

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/console/admission"
)

// TestASaturatedConsoleAnswers503 fills the gate's slots from the test and
// checks what each kind of route then answers: a heavy route waits
// QueueWait and gets 503 with Retry-After, a light one still runs while
// only the heavy slots are taken, the health check always answers, and a
// full waiting line turns requests away at once.
func TestASaturatedConsoleAnswers503(t *testing.T) {
	const wait = 50 * time.Millisecond
	e := newEnv(t, func(c *Config) {
		c.Limits.Handlers, c.Limits.HeavyRequests, c.Limits.QueueWait, c.Limits.QueueLength = 1, 1, wait, 2
	})
	a := e.seedAlerts(1)[0]
	op := e.login("op1")
	g := e.srv.gate
	alertPath := fmt.Sprintf("/api/alerts/%d", a.ID)
	for _, tc := range []struct {
		name   string
		full   []admission.Part
		path   string
		status int
		// quick: answered without waiting for QueueWait.
		quick bool
	}{
		{"the dashboard answers while nothing is taken", nil, "/api/dashboard", 200, true},
		{"the dashboard kept answers when the heavy slots are taken", []admission.Part{admission.HeavySlots}, "/api/dashboard", 200, true},
		{"a dashboard not kept gets 503 when the heavy slots are taken", []admission.Part{admission.HeavySlots}, "/api/dashboard?days=7", 503, false},
		{"its page gets 503 too", []admission.Part{admission.HeavySlots}, "/dashboard", 503, false},
		{"the dashboard kept answers when every slot is taken", []admission.Part{admission.LightSlots, admission.HeavySlots, admission.WaitingLine}, "/api/dashboard", 200, true},
		{"the alert list is heavy", []admission.Part{admission.HeavySlots}, "/api/alerts", 503, false},
		{"one alert still answers when the heavy slots are taken", []admission.Part{admission.HeavySlots}, alertPath, 200, true},
		{"one alert gets 503 when the light slots are taken", []admission.Part{admission.LightSlots}, alertPath, 503, false},
		{"a full waiting line turns a request away at once", []admission.Part{admission.WaitingLine}, alertPath, 503, true},
		{"the health check answers when everything is taken", []admission.Part{admission.LightSlots, admission.HeavySlots, admission.WaitingLine}, "/healthz", 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range tc.full {
				defer g.Fill(c)()
			}
			start := time.Now()
			resp := op.get(tc.path)
			body := readAll(resp)
			took := time.Since(start)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: %d, want %d: %.200s", tc.path, resp.StatusCode, tc.status, body)
			}
			if tc.status == 503 {
				if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("Retry-After %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
				}
				if !strings.Contains(body, "busy") {
					t.Errorf("body %.200s does not say the console is busy", body)
				}
				if !tc.quick && took < wait {
					t.Errorf("answered after %v, before QueueWait %v: it did not wait its turn", took, wait)
				}
			}
			if tc.quick && took > 20*wait {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestEveryRouteSaysItsLoad checks the route table's load column against
// what the routes do: lists and bulk work are heavy, the dashboard light
// when kept and heavy when computed; only the health check and the login
// post (bounded by the login limiter) bypass the gate.
func TestEveryRouteSaysItsLoad(t *testing.T) {
	e := newEnv(t, nil)
	want := map[string]string{
		"GET /api/dashboard": "cached", "GET /dashboard": "cached", "GET /api/alerts": "heavy", "GET /alerts": "heavy",
		"POST /api/alerts/bulk": "heavy", "GET /api/verify": "heavy", "GET /api/backup": "heavy", "POST /cases": "heavy",
		"GET /api/alerts/{id}": "light", "POST /api/alerts/{id}/confirm": "light", "GET /healthz": "free", "POST /login": "free",
	}
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Path
		if w, ok := want[key]; ok && rt.Load != w {
			t.Errorf("%s is %s, want %s", key, rt.Load, w)
		}
		if rt.Load == "free" && key != "GET /healthz" && key != "POST /login" {
			t.Errorf("%s bypasses the gate", key)
		}
		delete(want, key)
	}
	for key := range want {
		t.Errorf("%s: no such route", key)
	}
}
