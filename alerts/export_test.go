package alerts

import (
	"context"
	"fmt"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
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

// PutPreview stores the blurred preview of the media whose SHA-256 is sha,
// replacing any earlier one, outside any alert's transaction: a test
// helper (production stores previews together with their alert,
// AlertInput.Preview).
func (al *Store) PutPreview(ctx context.Context, sha [32]byte, jpeg []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkPreview(jpeg); err != nil {
		return err
	}
	now := al.st.Now().UTC()
	return al.st.Update(func(tx *bolt.Tx) error {
		v, err := previewCodec.Encode(preview{JPEG: jpeg, CreatedAt: now})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketPreviews).Put(sha[:], v)
	}, nil)
}
