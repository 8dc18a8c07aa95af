package crawler

import (
	"context"
	"errors"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// found is what a crawl, a video worker, a reported-URL inspection or a
// re-check knows when media matched: the input of the alert step.
type found struct {
	Site     string
	SHA256   hashing.SHA256
	Matches  []index.Match
	Sighting alerts.Sighting
	// Reported marks a sighting that came from a reported URL.
	Reported bool
	// Preview makes the blurred thumbnail stored with the alerts; it is
	// called at most once, and only when a match is still registered. nil,
	// or a nil result, stores none.
	Preview func() []byte
}

// raised is one alert the step recorded a sighting on.
type raised struct {
	Alert   alerts.Alert
	Created bool
}

// stepResult is what the alert step did with one file's matches.
type stepResult struct {
	Raised []raised
	// Suppressed counts matches the negative bank kept from alerting.
	Suppressed int
	// Refused are the matches the alerts room refused (ErrInvalid): they
	// would be refused again, so the others go on.
	Refused []error
	// Err stopped the step: ctx ended, or an alert could not be stored (a
	// full disk). The caller leaves its item undone, so a resumed pass
	// raises the alert rather than losing it.
	Err error
}

// recordFunc stores one alert (alerts.Store.RecordAlert; tests stand in a
// failing one).
type recordFunc func(context.Context, alerts.AlertInput) (alerts.Alert, bool, error)

// raiseAlerts is the one step from matches to alerts, with one set of
// rules for every path that finds media:
//
//   - only fingerprints still registered alert: the matches are filtered
//     with index.Index.ActiveMatches (a cached match result may name a withdrawn
//     case), and a fingerprint withdrawn between that and its alert's
//     transaction is skipped (alerts.Store.RecordAlert refuses it with
//     ErrNotFound), never counted as a failure;
//   - media in the negative bank raise nothing (alerts.ErrSuppressed) and
//     are counted as suppressed; a quarantined fingerprint's alert is
//     created quarantined (the alerts room decides, in the alert's
//     transaction);
//   - the preview is made once, for the first alert, and stored with it;
//   - each match records a sighting (the same media at the same or another
//     URL adds to its alert);
//   - cancellation, or an alert that cannot be stored, stops the step at
//     once (Err), so the caller leaves its item undone rather than marking
//     it done half-alerted; a match the alerts room refuses (ErrInvalid)
//     is counted (Refused) and the others go on.
//
// record, when not nil, stands in for db.Alerts.RecordAlert.
func raiseAlerts(ctx context.Context, db *database.DB, record recordFunc, f found) (res stepResult) {
	if err := ctx.Err(); err != nil {
		res.Err = err
		return res
	}
	if record == nil {
		record = db.Alerts.RecordAlert
	}
	matches, err := db.Index.ActiveMatches(f.Matches)
	if err != nil {
		res.Err = err
		return res
	}
	var preview []byte
	made := false
	for _, m := range matches {
		if !made && f.Preview != nil {
			preview, made = f.Preview(), true
		}
		a, created, err := record(ctx, alerts.AlertInput{
			Site: f.Site, MediaSHA256: f.SHA256, Match: m, Sighting: f.Sighting,
			Reported: f.Reported, Preview: preview,
		})
		switch {
		case ctx.Err() != nil:
			res.Err = ctx.Err()
			return res
		case errors.Is(err, store.ErrNotFound):
			continue // the case was withdrawn while matching
		case errors.Is(err, alerts.ErrSuppressed):
			res.Suppressed++
			continue // the negative bank says it is not this content
		case errors.Is(err, store.ErrInvalid):
			res.Refused = append(res.Refused, err)
			continue
		case err != nil:
			res.Err = err
			return res
		}
		res.Raised = append(res.Raised, raised{Alert: a, Created: created})
	}
	return res
}
