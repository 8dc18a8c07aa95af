package alerts

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// CheckOutcome is what one removal re-check of an alert's URLs found.
type CheckOutcome string

// Re-check outcomes. What they do to the alert depends on its status (see
// RecordCheck).
const (
	// CheckPresent: a URL still serves the alerted content (the same
	// bytes, or bytes that still match the fingerprint under the rule).
	CheckPresent CheckOutcome = "present"
	// CheckGone: every URL answered 404, 410 or 451, failed to resolve or
	// refused the connection, or serves something that no longer matches.
	CheckGone CheckOutcome = "gone"
	// CheckFailed: the check could not tell (5xx, timeout, a limit); it
	// changes nothing and is tried again at the next check.
	CheckFailed CheckOutcome = "failed"
)

// Valid reports whether o is a known outcome.
func (o CheckOutcome) Valid() bool {
	return o == CheckPresent || o == CheckGone || o == CheckFailed
}

// maxChecks bounds an alert's check history: an alert re-checked hourly for
// a year must not grow without bound. Older checks are dropped first.
const maxChecks = 48

// maxCheckDetail bounds a check's detail text.
const maxCheckDetail = 500

// Check is one removal re-check of an alert.
type Check struct {
	At      time.Time
	Outcome CheckOutcome
	// Detail says what was seen, for people: "https://…: 404 Not Found".
	Detail string
	// Transition is the status change the check caused: "removed",
	// "reappeared", or "" for none.
	Transition string
}

// Checked reports whether an alert in status s is re-checked for removal:
// confirmed and notice-sent alerts until their content is gone, and removed
// ones in case it comes back.
func (s Status) Checked() bool {
	return s == StatusConfirmed || s == StatusNoticeSent || s == StatusRemoved
}

// transition moves a to status at now and keeps the lifecycle times:
//
//   - confirmed sets ConfirmedAt (once) and makes the alert due for a
//     re-check at once;
//   - notice_sent sets NoticeSentAt;
//   - removed sets RemovedAt (once per removal);
//   - any status that is not re-checked clears NextCheckAt.
func (a *Alert) transition(status Status, now time.Time) {
	a.Status, a.UpdatedAt = status, now
	switch status {
	case StatusConfirmed:
		if a.ConfirmedAt.IsZero() {
			a.ConfirmedAt = now
		}
		a.NextCheckAt = now
	case StatusNoticeSent:
		a.NoticeSentAt = now
		if a.NextCheckAt.IsZero() {
			a.NextCheckAt = now
		}
	case StatusRemoved:
		if a.RemovedAt.IsZero() {
			a.RemovedAt = now
		}
	}
	if !status.Checked() {
		a.NextCheckAt = time.Time{}
	}
}

// TimeToRemoval is how long the site took to remove the content: from when
// the centre confirmed the alert (ConfirmedAt; CreatedAt for alerts
// confirmed before lifecycle times were kept), or from ReappearedAt when the
// content came back after an earlier removal, to RemovedAt. ok is false
// while the content has not been found removed.
func (a Alert) TimeToRemoval() (d time.Duration, ok bool) {
	if a.RemovedAt.IsZero() {
		return 0, false
	}
	start := a.ConfirmedAt
	if start.IsZero() {
		start = a.CreatedAt
	}
	if a.ReappearedAt.After(start) && !a.ReappearedAt.After(a.RemovedAt) {
		start = a.ReappearedAt
	}
	return max(a.RemovedAt.Sub(start), 0), true
}

// DueForCheck returns up to limit alerts that are re-checked for removal
// (Status.Checked, and their fingerprint still registered: a withdrawn
// case's URLs are never fetched again, even for its removed alerts) and due
// at now (NextCheckAt not after now), most overdue first. limit ≤ 0 means
// no limit.
func (al *Store) DueForCheck(now time.Time, limit int) ([]Alert, error) {
	var due []Alert
	err := al.st.View(func(tx *bolt.Tx) error {
		// Only alerts under re-check are read, through the status index:
		// the new and dismissed alerts that make up most of a large file
		// are never decoded.
		for _, st := range []Status{StatusConfirmed, StatusNoticeSent, StatusRemoved} {
			err := alertsUnder(tx, bucketAlertsByStatus, lp(nil, st), func(a *Alert) error {
				if !a.NextCheckAt.After(now) && index.Registered(tx, a.Fingerprint) {
					due = append(due, *a)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].NextCheckAt.Before(due[j].NextCheckAt) })
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	return due, nil
}

// ErrNotChecked reports a check recorded for an alert that is not under
// re-check (an operator dismissed it, or its case was withdrawn, while the
// check ran). Nothing is recorded; the checker moves on.
var ErrNotChecked = fmt.Errorf("alert not under removal re-check: %w", store.ErrInvalid)

// RecordCheck records one re-check of alert id and schedules the next at
// next, in one transaction, applying what the outcome means:
//
//   - CheckGone on a confirmed or notice-sent alert: status removed,
//     RemovedAt = c.At (the end of time-to-removal);
//   - CheckPresent on a removed alert: the content reappeared; status back
//     to confirmed (an operator sends a new notice), ReappearedAt = c.At and
//     RemovedAt cleared, so the next removal is timed from the reappearance;
//   - anything else (CheckFailed always) changes only the check history and
//     schedule.
//
// c.At defaults to now. An alert that is not under re-check (its status, or
// its case withdrawn) fails with ErrNotChecked.
func (al *Store) RecordCheck(ctx context.Context, id uint64, c Check, next time.Time) (Alert, error) {
	if err := ctx.Err(); err != nil {
		return Alert{}, err
	}
	if !c.Outcome.Valid() {
		return Alert{}, fmt.Errorf("check outcome %q: %w", c.Outcome, store.ErrInvalid)
	}
	if c.At.IsZero() {
		c.At = al.st.Now()
	}
	c.At, next = c.At.UTC(), next.UTC()
	if len(c.Detail) > maxCheckDetail {
		c.Detail = c.Detail[:maxCheckDetail] + "…"
	}
	c.Transition = ""
	var a Alert
	err := al.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		v := b.Get(store.IDKey(id))
		if v == nil {
			return fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
		}
		if err := decodeAlert(v, &a); err != nil {
			return err
		}
		if !a.Status.Checked() {
			return fmt.Errorf("alert %d is %s: %w", id, a.Status, ErrNotChecked)
		}
		if !index.Registered(tx, a.Fingerprint) {
			return fmt.Errorf("alert %d: its case %s was withdrawn: %w", id, a.Case, ErrNotChecked)
		}
		switch {
		case c.Outcome == CheckGone && a.Status != StatusRemoved:
			a.RemovedAt = time.Time{}
			a.transition(StatusRemoved, c.At)
			c.Transition = "removed"
		case c.Outcome == CheckPresent && a.Status == StatusRemoved:
			a.transition(StatusConfirmed, c.At)
			a.ReappearedAt, a.RemovedAt = c.At, time.Time{}
			c.Transition = "reappeared"
		}
		a.LastCheckedAt, a.NextCheckAt, a.UpdatedAt = c.At, next, c.At
		a.Checks = append(a.Checks, c)
		if n := len(a.Checks); n > maxChecks {
			a.Checks = append([]Check(nil), a.Checks[n-maxChecks:]...)
		}
		return putAlert(b, &a)
	}, nil)
	if err != nil {
		return Alert{}, fmt.Errorf("record check of alert %d: %w", id, err)
	}
	return a, nil
}
