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

// Dashboard computes the national dashboard at now in one read
// transaction: the alerts' figures (alerts.DashboardIn) and the notices
// sent and left unanswered longer than DefaultNoticeOverdue, counted from
// the alerts room's kept index (alerts.OverdueNoticesIn) rather than by
// reading every notice.
func (tk *Store) Dashboard(now time.Time, loc *time.Location, days int) (alerts.Dashboard, error) {
	return tk.DashboardOf("", now, loc, days)
}

// DashboardOf is Dashboard for one centre's alerts and notices, what a
// regional user is shown; centre "" is the national total.
func (tk *Store) DashboardOf(centre string, now time.Time, loc *time.Location, days int) (alerts.Dashboard, error) {
	var d alerts.Dashboard
	err := tk.st.View(func(tx *bolt.Tx) error {
		var err error
		d, err = dashboardIn(tx, centre, now, loc, days)
		return err
	})
	if err != nil {
		return alerts.Dashboard{}, fmt.Errorf("dashboard: %w", err)
	}
	return d, nil
}

// NationalDashboard is the national total with each of centres' figures
// side by side (Dashboard.Centres, in the order given), all read in one
// transaction so that they add up.
func (tk *Store) NationalDashboard(centres []string, now time.Time, loc *time.Location, days int) (alerts.Dashboard, error) {
	var d alerts.Dashboard
	err := tk.st.View(func(tx *bolt.Tx) error {
		var err error
		if d, err = dashboardIn(tx, "", now, loc, days); err != nil {
			return err
		}
		d.Centres = make([]alerts.Dashboard, 0, len(centres))
		for _, c := range centres {
			cd, err := dashboardIn(tx, c, now, loc, days)
			if err != nil {
				return fmt.Errorf("centre %s: %w", c, err)
			}
			d.Centres = append(d.Centres, cd)
		}
		return nil
	})
	if err != nil {
		return alerts.Dashboard{}, fmt.Errorf("dashboard: %w", err)
	}
	return d, nil
}

// dashboardIn is DashboardOf inside tx.
func dashboardIn(tx *bolt.Tx, centre string, now time.Time, loc *time.Location, days int) (alerts.Dashboard, error) {
	d, err := alerts.CentreDashboardIn(tx, centre, now, loc, days)
	if err != nil {
		return alerts.Dashboard{}, err
	}
	n, ok, err := alerts.CentreOverdueNoticesIn(tx, centre, now.Add(-DefaultNoticeOverdue))
	if err != nil || ok {
		d.OverdueNotices = n
		return d, err
	}
	over, err := overdueNotices(tx, now, DefaultNoticeOverdue)
	for _, n := range over {
		if centre == "" || n.Centre == centre {
			d.OverdueNotices++
		}
	}
	return d, err
}
