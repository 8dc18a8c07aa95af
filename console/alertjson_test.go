package console

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/index"
)

// TestTheAlertJSONContractDoesNotChange pins the body of /api/alerts/{id}
// (and each element of /api/alerts, and `alerts show --json`): the golden
// files were written by the build in which the stored alert was also the
// API's body, so the split of the two changed no byte; centres (issue 13)
// added "centre".
func TestTheAlertJSONContractDoesNotChange(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for name, a := range map[string]alerts.Alert{
		"full": {ID: 7, Status: alerts.StatusNoticeSent, Centre: "busan", Case: "2026-0042", Fingerprint: 3, Site: "forum", PageURL: "http://f/p", MediaURL: "http://f/m.jpg",
			MediaSHA256: "ab", Algorithm: "pdq", Distance: 12, QueryView: "original", RegisteredView: "mirror", CreatedAt: at, UpdatedAt: at.Add(time.Hour),
			Reason: "r", Sightings: []alerts.Sighting{{PageURL: "http://f/p", MediaURL: "http://f/m.jpg", FinalURL: "http://cdn/m.jpg", HTTPStatus: 200, FirstSeen: at, LastSeen: at.Add(time.Minute)}},
			Video: &index.VideoEvidence{QueryShare: 0.5, RegisteredShare: 0.25, Rate: 1, OffsetSeconds: 1.5, Frames: 5, Mirrored: true,
				Ranges: []index.VideoRange{{QueryStart: 1, QueryEnd: 2, RegisteredStart: 3, RegisteredEnd: 4}}},
			ConfirmedAt: at, NoticeSentAt: at, NoticeID: 9, RemovedAt: at, ReappearedAt: at, LastCheckedAt: at, NextCheckAt: at,
			Checks: []alerts.Check{{At: at, Outcome: alerts.CheckGone, Detail: "404", Transition: "removed"}}, Reported: true},
		"min": {ID: 1, Status: alerts.StatusNew, Sightings: []alerts.Sighting{{PageURL: "p"}}},
	} {
		t.Run(name+" alert", func(t *testing.T) {
			want, err := os.ReadFile("testdata/alert-" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(NewAlertJSON(a))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(append(got, '\n'), want) {
				t.Errorf("JSON\n got %s\nwant %s", got, want)
			}
		})
	}
}
