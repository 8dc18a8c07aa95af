package console

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
)

// TestDashboardFiguresPerCentre: a regional user's dashboard (page and
// API) counts only their centre's alerts, whatever ?centre= asks; a
// national user's shows the national total and each centre side by side,
// and one centre's with ?centre=ID. The expected figures are counted from
// the alerts themselves, not from the kept figures the dashboard reads.
func TestDashboardFiguresPerCentre(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	worlds := seedCentres(t, e)
	// One more alert for busan, so that no two centres have the same
	// figures.
	b, err := e.db.Alerts.Alert(worlds["busan"].alert)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.db.Alerts.RecordAlert(ctx, alerts.AlertInput{
		Site: "forum", MediaSHA256: sha256.Sum256([]byte("extra busan")),
		Match:    index.Match{Fingerprint: b.Fingerprint, Case: b.Case, Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 4}},
		Sighting: alerts.Sighting{PageURL: "http://forum.example/extra.html", MediaURL: "http://forum.example/extra.jpg", HTTPStatus: 200, FirstSeen: time.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	queueOf := func(centre string) map[alerts.Status]int {
		as, err := e.db.Alerts.Alerts(alerts.AlertFilter{Centre: centre})
		if err != nil {
			t.Fatal(err)
		}
		q := map[alerts.Status]int{}
		for _, a := range as {
			q[a.Status]++
		}
		return q
	}
	total := func(d DashboardJSON) int {
		n := 0
		for _, dc := range d.Days {
			n += dc.Alerts
		}
		return n
	}
	sum := func(q map[alerts.Status]int) int {
		n := 0
		for _, v := range q {
			n += v
		}
		return n
	}
	apiDashboard := func(c *client, path string) DashboardJSON {
		t.Helper()
		resp := c.get(path)
		body := readAll(resp)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		var d DashboardJSON
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return d
	}
	check := func(who, centre string, d DashboardJSON) {
		t.Helper()
		want := queueOf(centre)
		if d.Centre != centre || !maps.Equal(d.Queue, want) || total(d) != sum(want) {
			t.Errorf("%s: centre %q, queue %v, %d alerts in the days; want centre %q, queue %v, %d alerts", who, d.Centre, d.Queue, total(d), centre, want, sum(want))
		}
	}

	for _, c := range []string{"busan", "daegu"} {
		user := e.login(worlds[c].users[accounts.RoleOperator])
		for _, path := range []string{"/api/dashboard", "/api/dashboard?centre=national", "/api/dashboard?centre=" + map[string]string{"busan": "daegu", "daegu": "busan"}[c]} {
			d := apiDashboard(user, path)
			check(c+" "+path, c, d)
			if len(d.Centres) != 0 {
				t.Errorf("%s %s: a regional user is shown %d centres' figures", c, path, len(d.Centres))
			}
		}
		page := readAll(user.get("/dashboard"))
		if strings.Contains(page, `id="by-centre"`) {
			t.Errorf("%s's dashboard page shows the by-centre table", c)
		}
		q := queueOf(c)
		if !strings.Contains(page, fmt.Sprintf("%d open", q[alerts.StatusNew]+q[alerts.StatusConfirmed]+q[alerts.StatusNoticeSent])) {
			t.Errorf("%s's dashboard page does not show its own open count", c)
		}
	}

	national := e.login(worlds[centres.National].users[accounts.RoleOperator])
	d := apiDashboard(national, "/api/dashboard")
	check("national", "", d)
	if sum(queueOf("")) <= sum(queueOf("busan")) {
		t.Fatal("the national total does not exceed one centre's: the test proves nothing")
	}
	seen := map[string]bool{}
	for _, cd := range d.Centres {
		check("national's row of "+cd.Centre, cd.Centre, cd)
		seen[cd.Centre] = true
	}
	for _, c := range isolationCentres {
		if !seen[c] {
			t.Errorf("the national dashboard has no figures of %s (has %v)", c, seen)
		}
		check("national ?centre="+c, c, apiDashboard(national, "/api/dashboard?centre="+c))
	}
	if resp := national.get("/api/dashboard?centre=nowhere"); resp.StatusCode != 404 {
		t.Errorf("?centre= of no centre: %d, want 404", resp.StatusCode)
	}
	page := readAll(national.get("/dashboard"))
	for _, c := range isolationCentres {
		if !strings.Contains(page, fmt.Sprintf(`data-centre="%s"`, c)) {
			t.Errorf("the national dashboard page has no row of %s", c)
		}
	}
	if !strings.Contains(page, fmt.Sprintf(`<td class="num alerts">%d</td>`, sum(queueOf("")))) {
		t.Errorf("the national dashboard page does not show the total of %d alerts", sum(queueOf("")))
	}
}
