package alerts

import (
	"time"

	"github.com/hashwatch/hashwatch/index"
)

// alertRecord is an alert as stored (encoding version 2 of alertCodec;
// version 1, before centres, had no centre: its alerts are the national
// centre's):
// private, so that Alert can change without a migration and the console's
// and the CLI's JSON can change without touching the file. Its JSON is
// what files already hold; change it only with a codec version and a
// migration (see store.Codec).
type alertRecord struct {
	ID             uint64           `json:"id"`
	Status         Status           `json:"status"`
	Centre         string           `json:"centre"`
	Case           string           `json:"case"`
	Fingerprint    uint64           `json:"fingerprint"`
	Site           string           `json:"site"`
	PageURL        string           `json:"page_url"`
	MediaURL       string           `json:"media_url"`
	MediaSHA256    string           `json:"media_sha256"`
	Algorithm      string           `json:"algorithm"`
	Distance       int              `json:"distance"`
	QueryView      string           `json:"query_view,omitempty"`
	RegisteredView string           `json:"registered_view,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	Reason         string           `json:"reason,omitempty"`
	Sightings      []sightingRecord `json:"sightings"`

	Video *index.VideoEvidence `json:"video,omitempty"`

	ConfirmedAt     time.Time     `json:"confirmed_at,omitzero"`
	NoticeSentAt    time.Time     `json:"notice_sent_at,omitzero"`
	NoticeID        uint64        `json:"notice_id,omitempty"`
	RemovedAt       time.Time     `json:"removed_at,omitzero"`
	ReappearedAt    time.Time     `json:"reappeared_at,omitzero"`
	LastCheckedAt   time.Time     `json:"last_checked_at,omitzero"`
	NextCheckAt     time.Time     `json:"next_check_at,omitzero"`
	Checks          []checkRecord `json:"checks,omitempty"`
	Reported        bool          `json:"reported,omitempty"`
	QueryPDQ        string        `json:"query_pdq,omitempty"`
	QueryPDQQuality int           `json:"query_pdq_quality,omitempty"`
}

// sightingRecord is a Sighting as stored.
type sightingRecord struct {
	PageURL    string    `json:"page_url"`
	MediaURL   string    `json:"media_url"`
	FinalURL   string    `json:"final_url,omitempty"`
	HTTPStatus int       `json:"http_status,omitempty"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
}

// checkRecord is a Check as stored.
type checkRecord struct {
	At         time.Time    `json:"at"`
	Outcome    CheckOutcome `json:"outcome"`
	Detail     string       `json:"detail,omitempty"`
	Transition string       `json:"transition,omitempty"`
}

func (a *Alert) record() *alertRecord {
	r := &alertRecord{
		ID: a.ID, Status: a.Status, Centre: a.Centre, Case: a.Case, Fingerprint: a.Fingerprint, Site: a.Site,
		PageURL: a.PageURL, MediaURL: a.MediaURL, MediaSHA256: a.MediaSHA256,
		Algorithm: a.Algorithm, Distance: a.Distance, QueryView: a.QueryView, RegisteredView: a.RegisteredView,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Reason: a.Reason, Video: a.Video,
		ConfirmedAt: a.ConfirmedAt, NoticeSentAt: a.NoticeSentAt, NoticeID: a.NoticeID,
		RemovedAt: a.RemovedAt, ReappearedAt: a.ReappearedAt,
		LastCheckedAt: a.LastCheckedAt, NextCheckAt: a.NextCheckAt, Reported: a.Reported,
		QueryPDQ: a.QueryPDQ, QueryPDQQuality: a.QueryPDQQuality,
	}
	if a.Sightings != nil {
		r.Sightings = make([]sightingRecord, len(a.Sightings))
		for i, s := range a.Sightings {
			r.Sightings[i] = sightingRecord(s)
		}
	}
	if a.Checks != nil {
		r.Checks = make([]checkRecord, len(a.Checks))
		for i, c := range a.Checks {
			r.Checks[i] = checkRecord(c)
		}
	}
	return r
}

func (r *alertRecord) alert() Alert {
	a := Alert{
		ID: r.ID, Status: r.Status, Centre: r.Centre, Case: r.Case, Fingerprint: r.Fingerprint, Site: r.Site,
		PageURL: r.PageURL, MediaURL: r.MediaURL, MediaSHA256: r.MediaSHA256,
		Algorithm: r.Algorithm, Distance: r.Distance, QueryView: r.QueryView, RegisteredView: r.RegisteredView,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Reason: r.Reason, Video: r.Video,
		ConfirmedAt: r.ConfirmedAt, NoticeSentAt: r.NoticeSentAt, NoticeID: r.NoticeID,
		RemovedAt: r.RemovedAt, ReappearedAt: r.ReappearedAt,
		LastCheckedAt: r.LastCheckedAt, NextCheckAt: r.NextCheckAt, Reported: r.Reported,
		QueryPDQ: r.QueryPDQ, QueryPDQQuality: r.QueryPDQQuality,
	}
	if r.Sightings != nil {
		a.Sightings = make([]Sighting, len(r.Sightings))
		for i, s := range r.Sightings {
			a.Sightings[i] = Sighting(s)
		}
	}
	if r.Checks != nil {
		a.Checks = make([]Check, len(r.Checks))
		for i, c := range r.Checks {
			a.Checks[i] = Check(c)
		}
	}
	return a
}

// encodeAlert is the stored form of a.
func encodeAlert(a *Alert) ([]byte, error) { return alertCodec.Encode(a.record()) }

// decodeAlert reads a stored alert into a.
func decodeAlert(v []byte, a *Alert) error {
	var r alertRecord
	if err := alertCodec.Decode(v, &r); err != nil {
		return err
	}
	*a = r.alert()
	return nil
}

// decodeAlertCurrent is decodeAlert that refuses an older encoding version
// (store.Codec.DecodeCurrent), for Verify.
func decodeAlertCurrent(v []byte, a *Alert) error {
	var r alertRecord
	if err := alertCodec.DecodeCurrent(v, &r); err != nil {
		return err
	}
	*a = r.alert()
	return nil
}
