package webhook

import "time"

// Event types.
const (
	// AlertNew is a new alert raised by a crawl, a re-check or a report.
	AlertNew = "alert.new"
	// NoticeOverdue is a sent notice whose content is still up after the
	// deadline (takedown.DefaultNoticeOverdue unless configured).
	NoticeOverdue = "notice.overdue"
	// AlertRemoved is an alert whose content a re-check found removed.
	AlertRemoved = "alert.removed"
	// AlertConfirmed and AlertDismissed are an operator's decision on an
	// alert (one event per alert of a bulk decision); the dismissal's
	// reason is not sent, as it is typed by a person.
	AlertConfirmed = "alert.confirmed"
	AlertDismissed = "alert.dismissed"
	// AlertUndone is a decision undone (alerts.UndoDecisions): Status is
	// what the alert is again.
	AlertUndone = "alert.undone"
)

// Event is what a receiver gets. It holds identifiers, URLs and statuses,
// never media, hashes or case labels (see the package doc).
type Event struct {
	// ID is unique per queue and never reused: the receiver's dedupe key.
	ID   uint64    `json:"id"`
	Type string    `json:"type"`
	At   time.Time `json:"at"`

	AlertID  uint64   `json:"alert_id,omitempty"`
	NoticeID uint64   `json:"notice_id,omitempty"`
	AlertIDs []uint64 `json:"alert_ids,omitempty"`
	Site     string   `json:"site,omitempty"`
	Status   string   `json:"status,omitempty"`
	PageURL  string   `json:"page_url,omitempty"`
	MediaURL string   `json:"media_url,omitempty"`
	// SentAt is when an overdue notice was sent; RemovedAt when removed
	// content was found gone.
	SentAt    time.Time `json:"sent_at,omitzero"`
	RemovedAt time.Time `json:"removed_at,omitzero"`
}
