package console

import (
	"time"

	"github.com/hashwatch/hashwatch/alerts"
)

// AlertJSON is an alert as the JSON API (/api/alerts, /api/alerts/{id} and
// the decisions) and `hashwatch alerts show --json` print it: a documented
// contract (README), kept apart from the stored record (package alerts) so
// that either can change without breaking the other.
type AlertJSON struct {
	ID             uint64         `json:"id"`
	Status         alerts.Status  `json:"status"`
	Case           string         `json:"case"`
	Fingerprint    uint64         `json:"fingerprint"`
	Site           string         `json:"site"`
	PageURL        string         `json:"page_url"`
	MediaURL       string         `json:"media_url"`
	MediaSHA256    string         `json:"media_sha256"`
	Algorithm      string         `json:"algorithm"`
	Distance       int            `json:"distance"`
	QueryView      string         `json:"query_view,omitempty"`
	RegisteredView string         `json:"registered_view,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	Reason         string         `json:"reason,omitempty"`
	Sightings      []SightingJSON `json:"sightings"`

	Video *VideoEvidenceJSON `json:"video,omitempty"`

	ConfirmedAt     time.Time   `json:"confirmed_at,omitzero"`
	NoticeSentAt    time.Time   `json:"notice_sent_at,omitzero"`
	NoticeID        uint64      `json:"notice_id,omitempty"`
	RemovedAt       time.Time   `json:"removed_at,omitzero"`
	ReappearedAt    time.Time   `json:"reappeared_at,omitzero"`
	LastCheckedAt   time.Time   `json:"last_checked_at,omitzero"`
	NextCheckAt     time.Time   `json:"next_check_at,omitzero"`
	Checks          []CheckJSON `json:"checks,omitempty"`
	Reported        bool        `json:"reported,omitempty"`
	QueryPDQ        string      `json:"query_pdq,omitempty"`
	QueryPDQQuality int         `json:"query_pdq_quality,omitempty"`
}

// SightingJSON is one place an alert's media was seen, in AlertJSON.
type SightingJSON struct {
	PageURL    string    `json:"page_url"`
	MediaURL   string    `json:"media_url"`
	FinalURL   string    `json:"final_url,omitempty"`
	HTTPStatus int       `json:"http_status,omitempty"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
}

// CheckJSON is one removal re-check, in AlertJSON.
type CheckJSON struct {
	At         time.Time           `json:"at"`
	Outcome    alerts.CheckOutcome `json:"outcome"`
	Detail     string              `json:"detail,omitempty"`
	Transition string              `json:"transition,omitempty"`
}

// NewAlertJSON is a's JSON form.
func NewAlertJSON(a alerts.Alert) AlertJSON {
	j := AlertJSON{
		ID: a.ID, Status: a.Status, Case: a.Case, Fingerprint: a.Fingerprint, Site: a.Site,
		PageURL: a.PageURL, MediaURL: a.MediaURL, MediaSHA256: a.MediaSHA256,
		Algorithm: a.Algorithm, Distance: a.Distance, QueryView: a.QueryView, RegisteredView: a.RegisteredView,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Reason: a.Reason, Video: newVideoEvidenceJSON(a.Video),
		ConfirmedAt: a.ConfirmedAt, NoticeSentAt: a.NoticeSentAt, NoticeID: a.NoticeID,
		RemovedAt: a.RemovedAt, ReappearedAt: a.ReappearedAt,
		LastCheckedAt: a.LastCheckedAt, NextCheckAt: a.NextCheckAt, Reported: a.Reported,
		QueryPDQ: a.QueryPDQ, QueryPDQQuality: a.QueryPDQQuality,
	}
	if a.Sightings != nil {
		j.Sightings = make([]SightingJSON, len(a.Sightings))
		for i, s := range a.Sightings {
			j.Sightings[i] = SightingJSON{PageURL: s.PageURL, MediaURL: s.MediaURL, FinalURL: s.FinalURL, HTTPStatus: s.HTTPStatus, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen}
		}
	}
	if a.Checks != nil {
		j.Checks = make([]CheckJSON, len(a.Checks))
		for i, c := range a.Checks {
			j.Checks[i] = CheckJSON{At: c.At, Outcome: c.Outcome, Detail: c.Detail, Transition: c.Transition}
		}
	}
	return j
}

// alertsJSONOf is as in JSON form, never null.
func alertsJSONOf(as []alerts.Alert) []AlertJSON {
	out := make([]AlertJSON, len(as))
	for i, a := range as {
		out[i] = NewAlertJSON(a)
	}
	return out
}
