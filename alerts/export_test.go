package alerts

import (
	"context"
	"fmt"

	"github.com/hashwatch/hashwatch/store"
)

// SetAlertStatus moves an alert to any status, past the lifecycle rules
// and without an audit record: a test helper for putting an alert where a
// test needs it (production changes go through DecideAlert, RecordCheck
// and takedown notices). It records reason (required for
// dismissals). Dismissal is what keeps the pair from alerting again: the
// de-duplication key stays, so later sightings land on the dismissed alert.
// The lifecycle times follow (see Alert.transition): confirming sets
// ConfirmedAt and schedules the first removal re-check at once.
func (al *Store) SetAlertStatus(ctx context.Context, id uint64, status Status, reason string) (Alert, error) {
	if err := ctx.Err(); err != nil {
		return Alert{}, err
	}
	if !status.Valid() {
		return Alert{}, fmt.Errorf("status %q: %w", status, store.ErrInvalid)
	}
	if status == StatusDismissed && reason == "" {
		return Alert{}, fmt.Errorf("dismissing alert %d needs a reason: %w", id, store.ErrInvalid)
	}
	return al.setAlertStatus(ctx, id, status, reason, nil)
}
