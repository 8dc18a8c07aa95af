package alerts

import (
	"bytes"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/index"
)

// goldenAlerts are the alerts whose stored bytes are in testdata: encoding
// version 1 written by the build in which Alert was still the stored record
// (before centres: those alerts are the national centre's), and version 2,
// which names the centre, written by the build that added centres. They pin
// the file format.
func goldenAlerts() map[string]Alert {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	return map[string]Alert{
		"full": {ID: 7, Status: StatusNoticeSent, Centre: "national", Case: "2026-0042", Fingerprint: 3, Site: "forum", PageURL: "http://f/p", MediaURL: "http://f/m.jpg",
			MediaSHA256: "ab", Algorithm: "pdq", Distance: 12, QueryView: "original", RegisteredView: "mirror", CreatedAt: at, UpdatedAt: at.Add(time.Hour),
			Reason: "r", Sightings: []Sighting{{PageURL: "http://f/p", MediaURL: "http://f/m.jpg", FinalURL: "http://cdn/m.jpg", HTTPStatus: 200, FirstSeen: at, LastSeen: at.Add(time.Minute)}},
			Video: &index.VideoEvidence{QueryShare: 0.5, RegisteredShare: 0.25, Rate: 1, OffsetSeconds: 1.5, Frames: 5, Mirrored: true,
				Ranges: []index.VideoRange{{QueryStart: 1, QueryEnd: 2, RegisteredStart: 3, RegisteredEnd: 4}}},
			ConfirmedAt: at, NoticeSentAt: at, NoticeID: 9, RemovedAt: at, ReappearedAt: at, LastCheckedAt: at, NextCheckAt: at,
			Checks: []Check{{At: at, Outcome: CheckGone, Detail: "404", Transition: "removed"}}, Reported: true},
		"min": {ID: 1, Status: StatusNew, Centre: "national", Sightings: []Sighting{{PageURL: "p"}}},
	}
}

func TestTheStoredAlertFormatDoesNotChange(t *testing.T) {
	for name, a := range goldenAlerts() {
		t.Run(name+" alert of encoding version 1 decodes as the national centre's, and only through the upgrade", func(t *testing.T) {
			v1, err := os.ReadFile("testdata/alert-v1-" + name + ".bin")
			if err != nil {
				t.Fatal(err)
			}
			var back Alert
			if err := decodeAlert(v1, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, a) {
				t.Errorf("decoded\n got %+v\nwant %+v", back, a)
			}
			if err := decodeAlertCurrent(v1, &back); err == nil {
				t.Errorf("a version 1 alert passes as current")
			}
		})
		t.Run(name+" alert encodes to the bytes files already hold, and back", func(t *testing.T) {
			want, err := os.ReadFile("testdata/alert-v2-" + name + ".bin")
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeAlert(&a)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("stored form\n got %s\nwant %s", got, want)
			}
			var back Alert
			if err := decodeAlertCurrent(want, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, a) {
				t.Errorf("decoded\n got %+v\nwant %+v", back, a)
			}
		})
	}
}
