package console

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

// jsonAt is the time every golden body was written with.
var jsonAt = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// Stored values, every field set ("full") or none but a key ("min"), whose
// API bodies the golden files under testdata/ pin.
func goldenCases() map[string]index.Case {
	return map[string]index.Case{
		"full": {Centre: "busan", ID: "2026-0042", Label: "victim A", CreatedAt: jsonAt, WithdrawnAt: jsonAt.Add(time.Hour), Fingerprints: 12},
		"min":  {ID: "c1"},
	}
}

func goldenAudit() map[string]store.AuditEntry {
	return map[string]store.AuditEntry{
		"full": {Seq: 9, At: jsonAt, Centre: "busan", User: "op1", Remote: "127.0.0.1", Action: "alert.confirm", Target: "7", Detail: "d", Token: "t1"},
		"min":  {Seq: 1, Action: "login"},
	}
}

func goldenNotices() map[string]takedown.Notice {
	return map[string]takedown.Notice{
		"full": {ID: 3, Centre: "busan", Site: "forum", To: "abuse@forum.example", Lang: "en", Subject: "s", Body: "b\nc", AlertIDs: []uint64{1, 2},
			CreatedAt: jsonAt, CreatedBy: "op1", SentAt: jsonAt.Add(time.Hour), SentBy: "op2"},
		"min": {ID: 1},
	}
}

func goldenReports() map[string]alerts.URLReport {
	return map[string]alerts.URLReport{
		"full": {ID: 4, Centre: "busan", SubmittedBy: "staff1", SubmittedAt: jsonAt, Note: "hotline",
			URLs: []alerts.URLOutcome{{URL: "http://f/p", State: "match", Error: "e", Media: 3, AlertIDs: []uint64{5}, CheckedAt: jsonAt}, {URL: "http://f/q", State: "pending"}}},
		"min": {ID: 1},
	}
}

func goldenSites() map[string]siteFacts {
	st := crawlstate.SiteStatus{Name: "forum", PassStart: jsonAt, PassEnd: jsonAt.Add(time.Minute), Running: true, PassNumber: 4,
		Counts: crawlstate.Counts{Pages: 1, Media: 2, Hashed: 3, NotModified: 4, Bytes: 5, Matches: 6, NewAlerts: 7, Quarantined: 8, Suppressed: 9, Skipped: 10, Videos: 11, Robots: 12},
		Queued: 13, Errors: map[string]int{"http_status": 2, "timeout": 1}, TotalPass: 14,
		LastErrors:    []string{"boom", "get http://f/x.jpg: 503 Service Unavailable: unexpected HTTP status"},
		RecentSkipped: []crawlstate.SkippedMedia{{URL: "http://f/big.jpg", Page: "http://f/p", Size: 99, Limit: 50, Reason: "max_image_bytes", At: jsonAt}},
		Bounds:        map[string]int{"max_pages": 1, "max_links_per_page": 3}, Recovered: map[string]int{"timeout": 2},
		RecentParked: []crawlstate.ParkedItem{{Kind: "media", URL: "http://f/bomb.jpg", Page: "http://f/p", Reason: "3 deliveries without a result", At: jsonAt}},
		Queue: &crawlstate.QueueStatus{Depth: 4, InFlight: 2, Redelivered: 1, Dispatched: 3, DuplicateResults: 1, At: jsonAt,
			Workers: []crawlstate.WorkerStatus{{Name: "w1", Results: 10, PerSecond: 2.5, FirstSeen: jsonAt, LastSeen: jsonAt.Add(time.Minute)}}}}
	st.Parked = 1
	return map[string]siteFacts{
		"full": {Name: "forum", Contact: "abuse@forum.example", Paused: true, Running: true, Status: st, HasRun: true,
			Configured: true, Interval: 6 * time.Hour, Next: jsonAt.Add(6 * time.Hour), Took: 90 * time.Second},
		"min": {Name: "board"},
	}
}

func goldenNegatives() map[string]alerts.NegativeEntry {
	return map[string]alerts.NegativeEntry{
		"full": {ID: 2, SHA256: "ab", PDQ: "cd", PDQQuality: 90, AlertID: 7, Site: "forum", MediaURL: "http://f/logo.png", Reason: "logo", AddedBy: "op1", AddedAt: jsonAt},
		"min":  {ID: 1},
	}
}

func goldenQuarantines() map[string]alerts.Quarantine {
	return map[string]alerts.Quarantine{
		"full": {Fingerprint: 5, Centre: "busan", Case: "c1", Label: "l", Source: "a.jpg", State: alerts.QuarantineHeld, Since: jsonAt,
			Limit: alerts.FloodLimit{Media: 20, Window: time.Hour}, Floods: 2, DecidedAt: jsonAt, DecidedBy: "staff1", Reason: "hub",
			History: &alerts.MatchHistory{Media: 30, Held: 25, First: jsonAt, Last: jsonAt.Add(time.Hour),
				Days: []alerts.DayMedia{{Day: "2026-11-30", Media: 30}}, Sites: []alerts.SiteMedia{{Site: "forum", Media: 30}},
				Distances: []alerts.DistanceBand{{From: 0, To: 7, Media: 30}}, Statuses: map[alerts.Status]int{alerts.StatusQuarantined: 25}}},
		"min": {Fingerprint: 1},
	}
}

func goldenDashboards() map[string]alerts.Dashboard {
	return map[string]alerts.Dashboard{
		"full": {Days: []alerts.DayCount{{Day: jsonAt, Alerts: 3}}, Queue: map[alerts.Status]int{alerts.StatusNew: 3}, Open: 3,
			Removal: []alerts.SiteRemoval{{Site: "forum", Removed: 2, Median: time.Hour, P90: 2 * time.Hour}}, OverdueNotices: 1},
		"min": {},
		// A national user's: the total and each centre's (issue 13).
		"centres": {Days: []alerts.DayCount{{Day: jsonAt, Alerts: 3}}, Queue: map[alerts.Status]int{alerts.StatusNew: 3}, Open: 3, OverdueNotices: 1,
			Centres: []alerts.Dashboard{{Centre: "busan", Days: []alerts.DayCount{{Day: jsonAt, Alerts: 3}}, Queue: map[alerts.Status]int{alerts.StatusNew: 3}, Open: 3, OverdueNotices: 1},
				{Centre: "national", Days: []alerts.DayCount{{Day: jsonAt, Alerts: 0}}, Queue: map[alerts.Status]int{}}}},
	}
}

// TestTheAPIBodiesDoNotChange pins the JSON bodies the console sends for
// each stored kind but alerts (alertjson_test.go): the golden files were
// written by the build in which the stored record was also the API's
// body, so giving the console its own response types changed no byte.
// Sites have since gained fields (issue 15: interval, next pass, errors
// and limits in words), added beside the old ones, none changed.
func TestTheAPIBodiesDoNotChange(t *testing.T) {
	bodies := map[string]map[string]any{}
	add := func(kind, variant string, v any) {
		if bodies[kind] == nil {
			bodies[kind] = map[string]any{}
		}
		bodies[kind][variant] = v
	}
	for k, v := range goldenCases() {
		add("case", k, NewCaseJSON(v))
	}
	for k, v := range goldenAudit() {
		add("audit", k, NewAuditEntryJSON(v))
	}
	for k, v := range goldenNotices() {
		add("notice", k, NewNoticeJSON(v))
	}
	for k, v := range goldenReports() {
		add("report", k, NewURLReportJSON(v))
	}
	for k, v := range goldenSites() {
		add("site", k, newSiteJSON(v, langLocale("en")))
	}
	for k, v := range goldenNegatives() {
		add("negative", k, NewNegativeJSON(v))
	}
	for k, v := range goldenQuarantines() {
		add("quarantine", k, NewQuarantineJSON(v))
	}
	for k, v := range goldenDashboards() {
		add("dashboard", k, NewDashboardJSON(v))
	}
	for kind, variants := range bodies {
		for variant, v := range variants {
			t.Run(variant+" "+kind, func(t *testing.T) {
				want, err := os.ReadFile("testdata/" + kind + "-" + variant + ".json")
				if err != nil {
					t.Fatal(err)
				}
				got, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(append(got, '\n'), want) {
					t.Errorf("JSON\n got %s\nwant %s", got, want)
				}
			})
		}
	}
}
