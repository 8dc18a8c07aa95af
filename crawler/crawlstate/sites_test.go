package crawlstate

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSiteStatusKeepsTheDocumentedKeys holds `sites --json` to the README's
// contract, key order included, now that the counters are an embedded
// Counts.
func TestSiteStatusKeepsTheDocumentedKeys(t *testing.T) {
	b, err := json.Marshal(SiteStatus{PassEnd: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), LastErrors: []string{"x"}, RecentSkipped: []SkippedMedia{{}}})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range regexp.MustCompile(`[{,]"([a-z_]+)":`).FindAllStringSubmatch(string(b), -1) {
		if m[1] == "url" {
			break // into recent_skipped's elements
		}
		keys = append(keys, m[1])
	}
	want := "name pass_end running pages media hashed not_modified bytes matches new_alerts quarantined suppressed skipped videos robots_blocked parked queued errors passes last_errors recent_skipped"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("keys\n got %s\nwant %s", got, want)
	}
}
