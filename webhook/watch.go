package webhook

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
	bolt "go.etcd.io/bbolt"
)

// DefaultPoll is how often a Watcher looks for new events.
const DefaultPoll = 30 * time.Second

// State keys of the watcher in the queue file.
var (
	keyLastAlert    = []byte("last_alert")
	keyLastAudit    = []byte("last_audit")
	maxAuditPerRun  = 5000
	prefixRemoved   = "removed/"
	prefixOverdue   = "overdue/"
	maxAlertsPerRun = 1000
)

// Watcher finds events in the store and queues them: alerts raised since
// the last alert it saw, alerts found removed and notices overdue that it
// has not announced. On its first poll it only notes where the store
// stands, so a new webhook does not replay history.
type Watcher struct {
	Queue    *Queue
	Alerts   *alerts.Store
	Takedown *takedown.Store
	// Overdue is a notice's deadline; zero means takedown's default.
	Overdue time.Duration
	// Every is the poll period; zero means DefaultPoll.
	Every time.Duration
	// Audit is the audit log, where decisions are found: each is recorded
	// in its own transaction, so following the log misses none. Nil
	// means no decision events.
	Audit AuditFeed
}

// AuditFeed reads the audit log in order (store.DB does).
type AuditFeed interface {
	AuditAfter(after uint64, limit int) ([]store.AuditEntry, error)
	LastAuditSeq() (uint64, error)
}

// decisionEvents are the audited actions announced, by event type.
var decisionEvents = map[string]string{
	"alert.confirm": AlertConfirmed,
	"alert.dismiss": AlertDismissed,
	"alert.undo":    AlertUndone,
}

// Run polls until ctx is done.
func (w *Watcher) Run(ctx context.Context) error {
	every := w.Every
	if every <= 0 {
		every = DefaultPoll
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := w.Poll(ctx); err != nil {
			w.Queue.cfg.Logger.Error("webhook watch", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Poll queues the events that happened since the last poll and returns
// how many; the cursors move in the same transaction as the events are
// queued.
func (w *Watcher) Poll(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	q := w.Queue
	var last, lastAudit uint64
	started, auditStarted := false, false
	if err := q.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketState).Get(keyLastAlert); len(v) == 8 {
			last, started = binary.BigEndian.Uint64(v), true
		}
		if v := tx.Bucket(bucketState).Get(keyLastAudit); len(v) == 8 {
			lastAudit, auditStarted = binary.BigEndian.Uint64(v), true
		}
		return nil
	}); err != nil {
		return 0, err
	}
	var evs []Event
	newLast := last
	if !started {
		id, err := w.Alerts.LastAlertID()
		if err != nil {
			return 0, err
		}
		newLast = id
	} else {
		fresh, err := w.Alerts.AlertsAfter(last, maxAlertsPerRun)
		if err != nil {
			return 0, err
		}
		for _, a := range fresh {
			newLast = a.ID
			if a.Status == alerts.StatusQuarantined {
				continue // held as a flood, not for anyone's attention
			}
			evs = append(evs, Event{Type: AlertNew, AlertID: a.ID, Site: a.Site, Status: string(a.Status), PageURL: a.PageURL, MediaURL: a.MediaURL})
		}
	}
	newLastAudit := lastAudit
	if w.Audit != nil {
		var err error
		if !auditStarted {
			// A queue file from before decision events, or a new one:
			// start from where the log stands, as for alerts.
			newLastAudit, err = w.Audit.LastAuditSeq()
		} else {
			var decided []Event
			decided, newLastAudit, err = w.decisions(lastAudit)
			evs = append(evs, decided...)
		}
		if err != nil {
			return 0, err
		}
	}
	removed, err := w.Alerts.Alerts(alerts.AlertFilter{Status: alerts.StatusRemoved})
	if err != nil {
		return 0, err
	}
	overdue, err := w.Takedown.OverdueNotices(q.cfg.Now(), w.Overdue)
	if err != nil {
		return 0, err
	}
	n := 0
	err = q.db.Update(func(tx *bolt.Tx) error {
		st := tx.Bucket(bucketState)
		marks := map[string][]byte{}
		for _, a := range removed {
			key := prefixRemoved + strconv.FormatUint(a.ID, 10)
			at := a.RemovedAt.UTC().Format(time.RFC3339Nano)
			if string(st.Get([]byte(key))) == at {
				continue
			}
			marks[key] = []byte(at)
			if started {
				evs = append(evs, Event{Type: AlertRemoved, AlertID: a.ID, Site: a.Site, Status: string(a.Status), PageURL: a.PageURL, MediaURL: a.MediaURL, RemovedAt: a.RemovedAt.UTC()})
			}
		}
		for _, nt := range overdue {
			key := prefixOverdue + strconv.FormatUint(nt.ID, 10)
			if st.Get([]byte(key)) != nil {
				continue
			}
			marks[key] = []byte{1}
			if started {
				evs = append(evs, Event{Type: NoticeOverdue, NoticeID: nt.ID, Site: nt.Site, AlertIDs: nt.AlertIDs, SentAt: nt.SentAt.UTC(), Status: "overdue"})
			}
		}
		for k, v := range marks {
			if err := st.Put([]byte(k), v); err != nil {
				return err
			}
		}
		if err := st.Put(keyLastAlert, binary.BigEndian.AppendUint64(nil, newLast)); err != nil {
			return err
		}
		if w.Audit != nil {
			if err := st.Put(keyLastAudit, binary.BigEndian.AppendUint64(nil, newLastAudit)); err != nil {
				return err
			}
		}
		n = len(evs)
		return q.enqueueIn(tx, evs)
	})
	if n > 0 {
		q.signal()
	}
	return n, err
}

// decisions are the decision events audited after seq, and the last
// sequence read.
func (w *Watcher) decisions(seq uint64) ([]Event, uint64, error) {
	entries, err := w.Audit.AuditAfter(seq, maxAuditPerRun)
	if err != nil {
		return nil, seq, err
	}
	var evs []Event
	for _, e := range entries {
		seq = e.Seq
		typ, ok := decisionEvents[e.Action]
		if !ok {
			continue
		}
		id, err := strconv.ParseUint(e.Target, 10, 64)
		if err != nil {
			continue
		}
		a, err := w.Alerts.Alert(id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, seq, err
		}
		status, ok := statusOf[typ]
		if !ok {
			status = string(a.Status) // an undo: what the alert is again
		}
		evs = append(evs, Event{Type: typ, At: e.At, AlertID: id, Site: a.Site, Status: status, PageURL: a.PageURL, MediaURL: a.MediaURL})
	}
	return evs, seq, nil
}

// statusOf is the status a decision event's alert moved to.
var statusOf = map[string]string{
	AlertConfirmed: string(alerts.StatusConfirmed),
	AlertDismissed: string(alerts.StatusDismissed),
}
