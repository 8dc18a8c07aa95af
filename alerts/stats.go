package alerts

import (
	"fmt"
	"math"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DayCount is the number of alerts raised on one day.
type DayCount struct {
	// Day is the day's midnight in the dashboard's location.
	Day    time.Time `json:"day"`
	Alerts int       `json:"alerts"`
}

// SiteRemoval is how fast one site removed what it was told to remove.
type SiteRemoval struct {
	Site string `json:"site"`
	// Removed counts the alerts whose content the site removed (see
	// Alert.TimeToRemoval); Median and P90 are over their times to removal,
	// by the nearest-rank method (the smallest time at least half, or 90%,
	// of removals took no longer than).
	Removed int           `json:"removed"`
	Median  time.Duration `json:"median"`
	P90     time.Duration `json:"p90"`
}

// Dashboard is the figures management follows: one centre's, or the
// nation's (every centre's) with each centre's side by side.
type Dashboard struct {
	// Centre is the centre the figures are of; empty for the national
	// total.
	Centre string `json:"centre,omitempty"`
	// Days are the alerts raised per day, oldest first, ending today.
	Days []DayCount `json:"days"`
	// Queue counts alerts per status; Open is new + confirmed +
	// notice_sent, the work still to do.
	Queue map[Status]int `json:"queue"`
	Open  int            `json:"open"`
	// Removal is per site, sorted by site name; sites with no removal yet
	// are absent.
	Removal []SiteRemoval `json:"removal"`
	// OverdueNotices counts sent notices unanswered after
	// takedown.DefaultNoticeOverdue (filled by takedown.Store.Dashboard).
	OverdueNotices int `json:"overdue_notices"`
	// Centres are each centre's figures, in the order asked, when the
	// national total was asked with its centres (takedown.Store.
	// NationalDashboard); the total's counts are the sum of theirs.
	Centres []Dashboard `json:"centres,omitempty"`
}

// maxDashboardDays bounds Dashboard's days.
const maxDashboardDays = 366

// DashboardIn computes the alerts' part of the dashboard at now inside tx:
// alerts per day over the last days days (30 when days ≤ 0, at most a
// year), the day boundaries taken in loc (UTC when nil); the open queue;
// and per-site time to removal. takedown.Store.Dashboard adds the overdue
// notices in the same read transaction.
//
// It reads the figures kept with every alert write (dashboard.go), so its
// cost does not grow with the number of alerts; a file whose indexes are
// not built yet (opened read-only before a migration) is scanned instead.
func DashboardIn(tx *bolt.Tx, now time.Time, loc *time.Location, days int) (Dashboard, error) {
	return CentreDashboardIn(tx, "", now, loc, days)
}

// CentreDashboardIn is DashboardIn for one centre's alerts; centre ""
// is the national total, as DashboardIn.
func CentreDashboardIn(tx *bolt.Tx, centre string, now time.Time, loc *time.Location, days int) (Dashboard, error) {
	loc, first, today, days := dashboardRange(now, loc, days)
	if !alertIndexCurrent(tx) {
		return dashboardScan(tx, centre, first, today, loc, days)
	}
	return dashboardFromIndex(tx, centre, first, today, loc, days)
}

// dashboardRange applies DashboardIn's defaults and finds its first day
// and today, as midnights in loc.
func dashboardRange(now time.Time, loc *time.Location, days int) (_ *time.Location, first, today time.Time, _ int) {
	if loc == nil {
		loc = time.UTC
	}
	if days <= 0 {
		days = 30
	}
	days = min(days, maxDashboardDays)
	today = midnight(now.In(loc))
	return loc, today.AddDate(0, 0, -(days - 1)), today, days
}

// dashboardScan computes DashboardIn's figures from every alert: the
// reference the kept figures are tested against, and the answer for a file
// without them. centre keeps one centre's alerts ("": every centre's).
func dashboardScan(tx *bolt.Tx, centre string, first, today time.Time, loc *time.Location, days int) (Dashboard, error) {
	d := Dashboard{Centre: centre, Queue: map[Status]int{}, Days: make([]DayCount, days)}
	for i := range d.Days {
		d.Days[i].Day = first.AddDate(0, 0, i)
	}
	removals := map[string][]time.Duration{}
	err := tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
		var a Alert
		if err := decodeAlert(v, &a); err != nil {
			return fmt.Errorf("alert %x: %w", k, err)
		}
		if centre != "" && a.Centre != centre {
			return nil
		}
		d.Queue[a.Status]++
		if a.Status.open() {
			d.Open++
		}
		created := midnight(a.CreatedAt.In(loc))
		if !created.Before(first) && !created.After(today) {
			// Days differ in length across DST changes, so count them
			// by date rather than dividing durations.
			i := daysBetween(first, created)
			if i >= 0 && i < days {
				d.Days[i].Alerts++
			}
		}
		if ttr, ok := a.TimeToRemoval(); ok {
			removals[a.Site] = append(removals[a.Site], ttr)
		}
		return nil
	})
	if err != nil {
		return Dashboard{}, err
	}
	for site, ds := range removals {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		d.Removal = append(d.Removal, SiteRemoval{Site: site, Removed: len(ds), Median: nearestRank(ds, 0.5), P90: nearestRank(ds, 0.9)})
	}
	sort.Slice(d.Removal, func(i, j int) bool { return d.Removal[i].Site < d.Removal[j].Site })
	return d, nil
}

func midnight(t time.Time) time.Time {
	y, m, day := t.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, t.Location())
}

// daysBetween counts calendar days from a to b (both midnights).
func daysBetween(a, b time.Time) int {
	ua := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	ub := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(ub.Sub(ua).Hours() / 24)
}

// nearestRank returns the p-th percentile (0 < p ≤ 1) of sorted ds: the
// element at rank ⌈p·n⌉.
func nearestRank(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	r := int(math.Ceil(p*float64(len(ds)))) - 1
	return ds[min(max(r, 0), len(ds)-1)]
}
