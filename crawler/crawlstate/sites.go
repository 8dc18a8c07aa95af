package crawlstate

import (
	"fmt"
	"sort"
	"time"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// SiteStatus is what the last crawl pass of one watched site did, kept so
// analysts can see a monitor's health without reading logs. While a pass
// runs the crawler stores it every few seconds with Running set, so a pass
// interrupted by a crash shows as running (and resumes where it stopped).
type SiteStatus struct {
	Name      string    `json:"name"`
	PassStart time.Time `json:"pass_start,omitzero"`
	PassEnd   time.Time `json:"pass_end,omitzero"`
	// Running is true while a pass is in progress, or was stopped before it
	// finished and will resume.
	Running bool `json:"running"`
	// PassNumber counts the site's passes from 1.
	PassNumber uint64 `json:"pass_number,omitempty"`
	Counts
	// Queued counts the pages, media and videos the pass still had to
	// visit when the status was stored.
	Queued     int            `json:"queued"`
	Errors     map[string]int `json:"errors"`
	TotalPass  int            `json:"passes"`
	LastErrors []string       `json:"last_errors,omitempty"`
	// RecentSkipped lists the latest media skipped for a limit, newest last
	// and bounded, so an analyst can see what was not checked and why.
	RecentSkipped []SkippedMedia `json:"recent_skipped,omitempty"`
	// Bounds counts the site bounds the last pass reached (max_pages,
	// max_pass_duration, max_links_per_page), so an analyst sees that a
	// pass was cut short and why.
	Bounds map[string]int `json:"bounds,omitempty"`
	// Recovered counts requests that succeeded on a retry, by the kind of
	// their first failure (reset, timeout, http_status).
	Recovered map[string]int `json:"recovered,omitempty"`
	// RecentParked lists the latest items parked (newest last, bounded):
	// delivered to crawl workers again and again without a result, because
	// each delivery killed or stalled its worker. They are not retried in
	// the pass; Counts.Parked counts them.
	RecentParked []ParkedItem `json:"recent_parked,omitempty"`
	// Untallied is, while a pass runs, what it counted outside its items
	// (bounds of the pass, a robots.txt over its limit), included in the
	// counts above: a resumed pass restores it from here, and its items'
	// counts from the frontier, where each is stored with its item's Done.
	Untallied *PassTally `json:"untallied,omitempty"`
	// Queue is the crawl work queue as the last checkpoint saw it, when
	// the site is crawled by workers over NATS JetStream (serve); nil when
	// one process crawls.
	Queue *QueueStatus `json:"queue,omitempty"`
}

// QueueStatus is the state of the work queue shared by crawl workers.
type QueueStatus struct {
	// Depth counts jobs (all sites') waiting for a worker, InFlight jobs a
	// worker holds unacknowledged, Redelivered jobs delivered more than
	// once; Dispatched this site's jobs awaiting their results.
	Depth       uint64 `json:"depth"`
	InFlight    int    `json:"in_flight"`
	Redelivered int    `json:"redelivered"`
	Dispatched  int    `json:"dispatched"`
	// DuplicateResults counts results dropped because their job already
	// had one (a worker died between publishing and acking).
	DuplicateResults int64          `json:"duplicate_results"`
	Workers          []WorkerStatus `json:"workers"`
	At               time.Time      `json:"at"`
}

// WorkerStatus is one crawl worker as the coordinator knows it.
type WorkerStatus struct {
	Name    string `json:"name"`
	Results int64  `json:"results"`
	// PerSecond is the worker's results per second between the first and
	// the last it returned.
	PerSecond float64   `json:"per_second"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// ParkedItem is one frontier item a pass gave up on after a bounded
// number of deliveries to crawl workers.
type ParkedItem struct {
	Kind string `json:"kind"`
	URL  string `json:"url"`
	Page string `json:"page,omitempty"`
	// Reason says why: how many deliveries ended without a result.
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Counts are what one pass of one site did, counted as it goes: the one
// counter type that the crawler's PassStats, the stored SiteStatus and the
// command line's JSON embed, so a new counter is added in one place.
type Counts struct {
	Pages int `json:"pages"` // pages fetched, or revalidated with 304 Not Modified
	// Media counts media files whose match result the pass established:
	// fingerprinted now (Hashed) or known from earlier bytes (304, or the
	// same SHA-256 already fingerprinted).
	Media       int   `json:"media"`
	Hashed      int   `json:"hashed"`
	NotModified int   `json:"not_modified"` // pages and media answered 304 Not Modified
	Bytes       int64 `json:"bytes"`
	Matches     int   `json:"matches"` // media files that matched at least one fingerprint
	NewAlerts   int   `json:"new_alerts"`
	// Quarantined counts the new alerts held for staff because their
	// fingerprint matched too many distinct media (alerts.FloodLimit);
	// Suppressed the matches the negative bank kept from alerting.
	Quarantined int `json:"quarantined"`
	Suppressed  int `json:"suppressed"`
	Skipped     int `json:"skipped"`        // media over a limit, never fingerprinted
	Videos      int `json:"videos"`         // video URLs found and recorded
	Robots      int `json:"robots_blocked"` // URLs robots.txt did not allow
	// Parked counts items given up on after they killed or stalled crawl
	// workers on every delivery (see SiteStatus.RecentParked).
	Parked int `json:"parked"`
}

// Add adds o's counts to c.
func (c *Counts) Add(o Counts) {
	c.Pages += o.Pages
	c.Media += o.Media
	c.Hashed += o.Hashed
	c.NotModified += o.NotModified
	c.Bytes += o.Bytes
	c.Matches += o.Matches
	c.NewAlerts += o.NewAlerts
	c.Quarantined += o.Quarantined
	c.Suppressed += o.Suppressed
	c.Skipped += o.Skipped
	c.Videos += o.Videos
	c.Robots += o.Robots
	c.Parked += o.Parked
}

// SkippedMedia is one media file a pass did not fingerprint because it was
// over a limit.
type SkippedMedia struct {
	URL  string `json:"url"`
	Page string `json:"page,omitempty"`
	// Size is the file's size in bytes as declared or counted (0 if
	// unknown); Limit the limit it crossed; Reason says which.
	Size   int64     `json:"size"`
	Limit  int64     `json:"limit,omitempty"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// PutSiteStatus stores a site's status, replacing the previous one.
func (cs *Store) PutSiteStatus(s SiteStatus) error {
	if s.Name == "" {
		return fmt.Errorf("site status without a name: %w", store.ErrInvalid)
	}
	v, err := siteCodec.Encode(s)
	if err != nil {
		return err
	}
	err = cs.st.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSites).Put([]byte(s.Name), v)
	}, nil)
	if err != nil {
		return fmt.Errorf("site %s status: %w", s.Name, err)
	}
	return nil
}

// SiteStatus returns one site's status; ok is false if it never ran.
func (cs *Store) SiteStatus(name string) (s SiteStatus, ok bool, err error) {
	err = cs.st.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSites).Get([]byte(name))
		if v == nil {
			return nil
		}
		ok = true
		return siteCodec.Decode(v, &s)
	})
	if err != nil {
		return SiteStatus{}, false, fmt.Errorf("site %s status: %w", name, err)
	}
	return s, ok, nil
}

// SiteStatuses lists every site that has run, by name.
func (cs *Store) SiteStatuses() ([]SiteStatus, error) {
	var out []SiteStatus
	err := cs.st.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSites).ForEach(func(k, v []byte) error {
			var s SiteStatus
			if err := siteCodec.Decode(v, &s); err != nil {
				return fmt.Errorf("site %s: %w", k, err)
			}
			out = append(out, s)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}
