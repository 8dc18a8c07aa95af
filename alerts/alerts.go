package alerts

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Status is where an alert stands in its review lifecycle:
// new → confirmed → notice_sent → removed, or new → dismissed; an alert of a
// withdrawn case is closed as withdrawn. An alert of a flooding fingerprint
// is held as quarantined (quarantine.go) until staff release it to new or
// retire the fingerprint, which dismisses it.
type Status string

// Alert statuses.
const (
	StatusNew        Status = "new"
	StatusConfirmed  Status = "confirmed"
	StatusDismissed  Status = "dismissed"
	StatusNoticeSent Status = "notice_sent"
	StatusRemoved    Status = "removed"
	StatusWithdrawn  Status = "withdrawn"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusNew, StatusConfirmed, StatusDismissed, StatusNoticeSent, StatusRemoved, StatusWithdrawn, StatusQuarantined:
		return true
	}
	return false
}

// open reports whether an alert in status s still awaits the centre's work
// (a quarantined one awaits staff's), so a withdrawal closes it.
func (s Status) open() bool {
	return s == StatusNew || s == StatusConfirmed || s == StatusNoticeSent || s == StatusQuarantined
}

// maxSightings caps how many URLs one alert remembers, so a file mirrored on
// thousands of pages cannot grow one record without bound.
const maxSightings = 100

// Sighting is one place the alerted media was seen.
type Sighting struct {
	PageURL    string
	MediaURL   string
	FinalURL   string
	HTTPStatus int
	FirstSeen  time.Time
	LastSeen   time.Time
}

// Alert is one (media SHA-256, registered fingerprint) pair: a likely
// re-upload for an operator to review. The first sighting's URLs are its
// page and media URL; later sightings of the same bytes are appended.
type Alert struct {
	ID     uint64
	Status Status
	// Centre is the centre of the matched fingerprint's case: the alert
	// is its centre's (and national users') to see and work.
	Centre         string
	Case           string
	Fingerprint    uint64
	Site           string
	PageURL        string
	MediaURL       string
	MediaSHA256    string
	Algorithm      string
	Distance       int
	QueryView      string
	RegisteredView string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Reason         string
	Sightings      []Sighting

	// Video says where a registered video was found in the media, for
	// video matches.
	Video *index.VideoEvidence

	// Lifecycle times (see Alert.transition): when an operator confirmed
	// the alert, when a takedown notice for it was marked sent, when
	// re-checks found the content gone (Alert.TimeToRemoval runs from
	// ConfirmedAt, or from ReappearedAt after a reappearance, to RemovedAt)
	// and when it came back after that.
	ConfirmedAt  time.Time
	NoticeSentAt time.Time
	// NoticeID is the last notice marked sent for the alert (0 if none).
	NoticeID     uint64
	RemovedAt    time.Time
	ReappearedAt time.Time
	// LastCheckedAt and NextCheckAt schedule removal re-checks of
	// confirmed, notice-sent and removed alerts; Checks is the latest of
	// them, newest last, bounded by maxChecks.
	LastCheckedAt time.Time
	NextCheckAt   time.Time
	Checks        []Check
	// Reported is true when a reported URL (a hotline's or partner's
	// report, see URLReport) led to the alert rather than a crawl.
	Reported bool
	// QueryPDQ is the PDQ hash (hex) of the crawled media as served, with
	// its quality: what the negative bank keeps when an operator dismisses
	// the media as not this content. Empty for videos.
	QueryPDQ        string
	QueryPDQQuality int
}

// AlertInput is what a crawler knows when a media file matches.
type AlertInput struct {
	Site        string
	MediaSHA256 hashing.SHA256
	Match       index.Match
	Sighting    Sighting
	// Reported marks a sighting that came from a reported URL; the alert
	// then stays marked Reported.
	Reported bool
	// Preview, when set, is the blurred thumbnail of the media
	// (hashing.Preview), stored with the alert in the same transaction
	// unless one is stored already. It is never the media itself.
	Preview []byte
	// QueryPDQ is the as-served PDQ of the media; zero means Match.QueryPDQ.
	QueryPDQ hashing.Hash
}

// RecordAlert stores the alert for (in.MediaSHA256, in.Match.Fingerprint)
// together with its de-duplication key, or adds in.Sighting to the existing
// alert, in one transaction. created reports whether a new alert was made. A
// dismissed pair stays dismissed: seeing it again only refreshes its
// sightings. A match on a fingerprint that is no longer registered (its case
// was withdrawn after the match was made) fails with store.ErrNotFound and records
// nothing, so a withdrawal is never followed by new alerts.
//
// A new alert passes two checks in the same transaction: media in the
// negative bank (negative.go) raise none (ErrSuppressed, nothing recorded),
// and a fingerprint over the flood limit (quarantine.go) gets its alert as
// quarantined instead of new.
func (al *Store) RecordAlert(ctx context.Context, in AlertInput) (a Alert, created bool, err error) {
	if err := ctx.Err(); err != nil {
		return Alert{}, false, err
	}
	now := al.st.Now().UTC()
	s := in.Sighting
	if s.FirstSeen.IsZero() {
		s.FirstSeen = now
	}
	if s.LastSeen.IsZero() {
		s.LastSeen = s.FirstSeen
	}
	key := alertKey(in.MediaSHA256, in.Match.Fingerprint)
	pdq := in.QueryPDQ
	if pdq.Algorithm == "" {
		pdq = in.Match.QueryPDQ
	}
	limit := al.FloodLimit()
	err = al.st.Update(func(tx *bolt.Tx) error {
		centre, caseID, ok, err := index.RegisteredCase(tx, in.Match.Fingerprint)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("fingerprint %d is no longer registered (case %s withdrawn?): %w", in.Match.Fingerprint, in.Match.Case, store.ErrNotFound)
		}
		keys, alerts := tx.Bucket(bucketAlertKeys), tx.Bucket(bucketAlerts)
		if idb := keys.Get(key); idb != nil {
			v := alerts.Get(idb)
			if v == nil {
				return fmt.Errorf("alert key %x points at missing alert %x: %w", key, idb, store.ErrCorrupt)
			}
			if err := decodeAlert(v, &a); err != nil {
				return err
			}
			a.addSighting(s)
			a.Reported = a.Reported || in.Reported
			a.UpdatedAt = now
			if err := putPreviewIfAbsent(tx, in.MediaSHA256, in.Preview, now); err != nil {
				return err
			}
			return putAlert(alerts, &a)
		}
		if err := negativeCheck(tx, in.MediaSHA256, pdq); err != nil {
			return err
		}
		status, err := floodStatus(tx, in.Match, in.MediaSHA256, now, limit)
		if err != nil {
			return err
		}
		id, err := alerts.NextSequence()
		if err != nil {
			return err
		}
		a = Alert{
			// The stored fingerprint's case, not the match's: a case
			// moved to another centre since the match routes its alert
			// there.
			ID: id, Status: status, Centre: centre, Case: caseID, Fingerprint: in.Match.Fingerprint,
			Site: in.Site, PageURL: s.PageURL, MediaURL: s.MediaURL,
			MediaSHA256:    hex.EncodeToString(in.MediaSHA256[:]),
			Algorithm:      string(in.Match.Evidence.Algorithm),
			Distance:       in.Match.Evidence.Distance,
			QueryView:      in.Match.Evidence.QueryView,
			RegisteredView: in.Match.Evidence.RegisteredView,
			Video:          in.Match.Video,
			CreatedAt:      now, UpdatedAt: now,
			Sightings: []Sighting{s},
			Reported:  in.Reported,
		}
		if pdq.Algorithm == hashing.PDQ {
			a.QueryPDQ, a.QueryPDQQuality = pdq.Hex(), pdq.Quality
		}
		created = true
		if err := keys.Put(key, store.IDKey(id)); err != nil {
			return err
		}
		if err := putPreviewIfAbsent(tx, in.MediaSHA256, in.Preview, now); err != nil {
			return err
		}
		return putAlert(alerts, &a)
	}, nil)
	if err != nil {
		return Alert{}, false, fmt.Errorf("record alert: %w", err)
	}
	return a, created, nil
}

func (a *Alert) addSighting(s Sighting) {
	for i := range a.Sightings {
		if a.Sightings[i].PageURL == s.PageURL && a.Sightings[i].MediaURL == s.MediaURL {
			a.Sightings[i].LastSeen = s.LastSeen
			a.Sightings[i].HTTPStatus = s.HTTPStatus
			if s.FinalURL != "" {
				a.Sightings[i].FinalURL = s.FinalURL
			}
			return
		}
	}
	if len(a.Sightings) < maxSightings {
		a.Sightings = append(a.Sightings, s)
	}
}

// alertKey is an alert's de-duplication key in bucket alertkeys: the media's
// SHA-256 followed by the fingerprint's big-endian ID, so all alerts of the
// same bytes sort together.
func alertKey(sha [32]byte, fingerprint uint64) []byte {
	return append(append(make([]byte, 0, 40), sha[:]...), store.IDKey(fingerprint)...)
}

// putAlert stores a and, in the same transaction, moves its entries in the
// queue's secondary indexes (indexAlert) from the stored version, if any.
// Every alert write goes through it.
func putAlert(b *bolt.Bucket, a *Alert) error {
	v, err := encodeAlert(a)
	if err != nil {
		return err
	}
	var old *Alert
	if ov := b.Get(store.IDKey(a.ID)); ov != nil {
		old = new(Alert)
		if err := decodeAlert(ov, old); err != nil {
			return fmt.Errorf("alert %d: %w", a.ID, err)
		}
	}
	if err := indexAlert(b.Tx(), old, a); err != nil {
		return err
	}
	return b.Put(store.IDKey(a.ID), v)
}

// AlertFilter selects alerts; zero fields match everything.
type AlertFilter struct {
	Status Status
	Site   string
	// Centre keeps one centre's alerts (empty: every centre's); Case
	// keeps a case's, of any centre unless Centre names one.
	Centre string
	Case   string
}

// Alerts lists the alerts that match f, oldest first. With a status it
// reads only that status's alerts, through the status index; without one
// it reads them all (QueryAlerts pages any filter without that).
func (al *Store) Alerts(f AlertFilter) ([]Alert, error) {
	var out []Alert
	err := al.st.View(func(tx *bolt.Tx) error {
		keep := func(a *Alert) bool {
			return (f.Status == "" || a.Status == f.Status) && (f.Site == "" || a.Site == f.Site) &&
				(f.Centre == "" || a.Centre == f.Centre) && (f.Case == "" || a.Case == f.Case)
		}
		if f.Status != "" && alertIndexCurrent(tx) {
			err := alertsUnder(tx, bucketAlertsByStatus, lp(nil, f.Status), func(a *Alert) error {
				if keep(a) {
					out = append(out, *a)
				}
				return nil
			})
			if err != nil {
				return err
			}
			// The index orders by creation time; callers expect ID order.
			slices.SortFunc(out, func(a, b Alert) int { return cmp.Compare(a.ID, b.ID) })
			return nil
		}
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			var a Alert
			if err := decodeAlert(v, &a); err != nil {
				return fmt.Errorf("alert %x: %w", k, err)
			}
			if keep(&a) {
				out = append(out, a)
			}
			return nil
		})
	})
	return out, err
}

// Alert returns one alert.
func (al *Store) Alert(id uint64) (Alert, error) {
	var a Alert
	err := al.st.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketAlerts).Get(store.IDKey(id))
		if v == nil {
			return fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
		}
		return decodeAlert(v, &a)
	})
	return a, err
}

// DecideAlert records a person's decision on an alert — confirm a new one,
// or dismiss a new or confirmed one with a reason — together with its audit
// record, in one transaction: the decision and the record of who made it
// commit or fail together, and two people deciding the same alert at once
// (in one process or two) get one decision and one store.ErrConflict (a
// *StateError). to must be StatusConfirmed or StatusDismissed. An alert of
// a centre by's centre does not see (centres.Sees) is store.ErrNotFound to
// it; an alert another person has claimed (claims.go) is a *ClaimedError.
func (al *Store) DecideAlert(ctx context.Context, id uint64, to Status, reason string, by store.Actor) (Alert, error) {
	if err := ctx.Err(); err != nil {
		return Alert{}, err
	}
	action, err := decision(id, to, reason)
	if err != nil {
		return Alert{}, err
	}
	return al.setAlertStatus(ctx, id, to, reason, func(tx *bolt.Tx, a *Alert, now time.Time) error {
		return decideIn(tx, a, to, action, reason, by, now)
	})
}

// decision checks a decision's target status and reason and names its
// audit action.
func decision(id uint64, to Status, reason string) (string, error) {
	switch to {
	case StatusConfirmed:
		return "alert.confirm", nil
	case StatusDismissed:
		if reason == "" {
			return "", fmt.Errorf("dismissing alert %d needs a reason: %w", id, store.ErrInvalid)
		}
		return "alert.dismiss", nil
	}
	return "", fmt.Errorf("a decision confirms or dismisses, not %q: %w", to, store.ErrInvalid)
}

// StateError is a decision the alert's status does not allow: confirming
// anything but a new alert, dismissing anything but a new or confirmed one.
type StateError struct {
	ID     uint64
	Status Status // the alert's
	To     Status // the decision's
}

func (e *StateError) Error() string {
	return fmt.Sprintf("alert %d is %s; it cannot become %s", e.ID, e.Status, e.To)
}

// Unwrap makes a StateError a store.ErrConflict.
func (e *StateError) Unwrap() error { return store.ErrConflict }

// decideIn is the one check and record of a decision on a, inside the
// transaction that stores it: the alert is by's centre's to see, its
// status allows the move, nobody else holds it; the audit record is
// appended, the decider's claim ends and what the decision changes is kept
// for an undo (undo.go). The caller moves and stores a.
func decideIn(tx *bolt.Tx, a *Alert, to Status, action, reason string, by store.Actor, now time.Time) error {
	if !centres.Sees(by.Centre, a.Centre) {
		return fmt.Errorf("alert %d: %w", a.ID, store.ErrNotFound)
	}
	if to == StatusConfirmed && a.Status != StatusNew ||
		to == StatusDismissed && a.Status != StatusNew && a.Status != StatusConfirmed {
		return &StateError{ID: a.ID, Status: a.Status, To: to}
	}
	if err := checkClaim(tx, a.ID, by.User, now); err != nil {
		return err
	}
	if err := endClaim(tx, a.ID); err != nil {
		return err
	}
	if err := keepUndo(tx, a, action, to, reason, by, now); err != nil {
		return err
	}
	return store.AppendAudit(tx, by.EntryFor(a.Centre, now, action, strconv.FormatUint(a.ID, 10), reason))
}

// setAlertStatus moves alert id to status inside one transaction; check,
// when set, runs first on the stored alert and may refuse the change or
// write more (an audit record) in the same transaction.
func (al *Store) setAlertStatus(ctx context.Context, id uint64, status Status, reason string, check func(*bolt.Tx, *Alert, time.Time) error) (Alert, error) {
	if err := ctx.Err(); err != nil {
		return Alert{}, err
	}
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
		now := al.st.Now().UTC()
		if check != nil {
			if err := check(tx, &a, now); err != nil {
				return err
			}
		}
		a.transition(status, now)
		a.Reason = reason
		return putAlert(b, &a)
	}, nil)
	if err != nil {
		return a, err
	}
	return a, nil
}

// CloseCase sets every open alert of caseID to withdrawn inside tx,
// deletes the previews of all the case's alerts and forgets the flood
// state of its deleted fingerprints: the index.WithdrawHook that
// database.Open gives the fingerprint index.
func CloseCase(tx *bolt.Tx, centre, caseID string, deleted []uint64, now time.Time) (int, error) {
	if err := dropQuarantine(tx, deleted); err != nil {
		return 0, err
	}
	b := tx.Bucket(bucketAlerts)
	var closed []Alert
	var shas []string // of all the case's alerts, open or not
	visit := func(a *Alert) error {
		if a.Centre == centre && a.Case == caseID {
			shas = append(shas, a.MediaSHA256)
			if a.Status.open() {
				closed = append(closed, *a)
			}
		}
		return nil
	}
	if alertIndexCurrent(tx) {
		// Only the case's alerts, through the case index, so a withdrawal
		// costs its own alerts, not the file's.
		if err := alertsUnder(tx, bucketAlertsByCase, lp2(nil, centres.Key(centre, caseID)), visit); err != nil {
			return 0, err
		}
	} else if err := b.ForEach(func(k, v []byte) error {
		var a Alert
		if err := decodeAlert(v, &a); err != nil {
			return fmt.Errorf("alert %x: %w", k, err)
		}
		return visit(&a)
	}); err != nil {
		return 0, err
	}
	for i := range closed {
		closed[i].Status, closed[i].Reason, closed[i].UpdatedAt = StatusWithdrawn, "case withdrawn", now
		if err := putAlert(b, &closed[i]); err != nil {
			return 0, err
		}
	}
	// The victim's right: a withdrawn case leaves no picture of its
	// content behind, not even a blurred one, unless the same media still
	// has an alert of another case.
	for _, sha := range shas {
		if err := dropPreviewIfUnused(tx, sha, centre, caseID); err != nil {
			return 0, err
		}
	}
	return len(closed), nil
}

// MoveCase gives centre to the alerts of centre from's case caseID, and
// the quarantine records of its fingerprints, inside a case move's
// transaction (index.MoveHook, which database.Open gives the fingerprint
// index): the queue indexes move with each alert (putAlert), so the case's
// alerts leave from's queue and join to's in the same commit.
func MoveCase(tx *bolt.Tx, from, to, caseID string, now time.Time) (int, error) {
	var moving []Alert
	if err := alertsUnder(tx, bucketAlertsByCase, lp2(nil, centres.Key(from, caseID)), func(a *Alert) error {
		moving = append(moving, *a)
		return nil
	}); err != nil {
		return 0, err
	}
	b := tx.Bucket(bucketAlerts)
	for i := range moving {
		moving[i].Centre = to
		if err := putAlert(b, &moving[i]); err != nil {
			return 0, err
		}
	}
	qb := tx.Bucket(bucketQuarantine)
	type kv struct{ k, v []byte }
	var rewrites []kv
	if err := qb.ForEach(func(k, v []byte) error {
		var q Quarantine
		if err := quarantineCodec.Decode(v, &q); err != nil {
			return fmt.Errorf("quarantine %x: %w", k, err)
		}
		if q.Centre != from || q.Case != caseID {
			return nil
		}
		q.Centre = to
		nv, err := quarantineCodec.Encode(&q)
		if err != nil {
			return err
		}
		rewrites = append(rewrites, kv{store.Clone(k), nv})
		return nil
	}); err != nil {
		return 0, err
	}
	for _, r := range rewrites {
		if err := qb.Put(r.k, r.v); err != nil {
			return 0, err
		}
	}
	return len(moving), nil
}

// AlertIn reads alert id inside tx, for rooms that act on alerts in their
// own transactions (takedown notices); ok is false when there is none.
func AlertIn(tx *bolt.Tx, id uint64) (a Alert, ok bool, err error) {
	v := tx.Bucket(bucketAlerts).Get(store.IDKey(id))
	if v == nil {
		return a, false, nil
	}
	if err := decodeAlert(v, &a); err != nil {
		return a, false, err
	}
	return a, true, nil
}

// NoticeSentIn moves alert id to notice_sent under notice noticeID inside
// tx, when it is confirmed or already notice_sent; any other alert, or a
// missing one, is left alone. It is the alerts' half of marking a takedown
// notice sent, which commits both in one transaction.
func NoticeSentIn(tx *bolt.Tx, id, noticeID uint64, now time.Time) error {
	alerts := tx.Bucket(bucketAlerts)
	av := alerts.Get(store.IDKey(id))
	if av == nil {
		return nil
	}
	var a Alert
	if err := decodeAlert(av, &a); err != nil {
		return err
	}
	if a.Status != StatusConfirmed && a.Status != StatusNoticeSent {
		return nil
	}
	a.transition(StatusNoticeSent, now)
	a.NoticeID = noticeID
	return putAlert(alerts, &a)
}
