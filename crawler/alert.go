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
	// Errs are the matches whose alert could not be stored, or ctx's error
	// when the step was cancelled.
	Errs []error
}

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
//   - cancellation stops the step at once with ctx's error, so the caller
//     leaves its item undone rather than marking it done half-alerted.
//
// A match whose alert cannot be stored does not stop the others; its error
// is in Errs.
func raiseAlerts(ctx context.Context, db *database.DB, f found) (res stepResult) {
	if err := ctx.Err(); err != nil {
		res.Errs = []error{err}
		return res
	}
	matches, err := db.Index.ActiveMatches(f.Matches)
	if err != nil {
		res.Errs = []error{err}
		return res
	}
	var preview []byte
	made := false
	for _, m := range matches {
		if !made && f.Preview != nil {
			preview, made = f.Preview(), true
		}
		a, created, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{
			Site: f.Site, MediaSHA256: f.SHA256, Match: m, Sighting: f.Sighting,
			Reported: f.Reported, Preview: preview,
		})
		switch {
		case ctx.Err() != nil:
			res.Errs = append(res.Errs, ctx.Err())
			return res
		case errors.Is(err, store.ErrNotFound):
			continue // the case was withdrawn while matching
		case errors.Is(err, alerts.ErrSuppressed):
			res.Suppressed++
			continue // the negative bank says it is not this content
		case err != nil:
			res.Errs = append(res.Errs, err)
			continue
		}
		res.Raised = append(res.Raised, raised{Alert: a, Created: created})
	}
	return res
}
