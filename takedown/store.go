package takedown

import (
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// The buckets this room keeps (see store's layout); templates and contacts
// are settings (store.DB.Setting).
var (
	bucketNotices  = []byte("notices")
	bucketSettings = []byte("settings")
)

// Store is the takedown room over one store: stored notices, the centre's
// notice templates and site contacts. It is safe for concurrent use.
type Store struct {
	st     *store.DB
	alerts *alerts.Store
}

// New returns the takedown room of st; al is the alerts room of the same
// store, whose alerts the notices list.
func New(st *store.DB, al *alerts.Store) *Store { return &Store{st: st, alerts: al} }

// Dashboard computes the dashboard at now in one read transaction: the
// alerts' figures (alerts.DashboardIn) and the notices sent and left
// unanswered longer than DefaultNoticeOverdue, counted from the alerts
// room's kept index (alerts.OverdueNoticesIn) rather than by reading every
// notice.
func (tk *Store) Dashboard(now time.Time, loc *time.Location, days int) (alerts.Dashboard, error) {
	var d alerts.Dashboard
	err := tk.st.View(func(tx *bolt.Tx) error {
		var err error
		if d, err = alerts.DashboardIn(tx, now, loc, days); err != nil {
			return err
		}
		n, ok, err := alerts.OverdueNoticesIn(tx, now.Add(-DefaultNoticeOverdue))
		if err != nil || ok {
			d.OverdueNotices = n
			return err
		}
		over, err := overdueNotices(tx, now, DefaultNoticeOverdue)
		d.OverdueNotices = len(over)
		return err
	})
	if err != nil {
		return alerts.Dashboard{}, fmt.Errorf("dashboard: %w", err)
	}
	return d, nil
}
