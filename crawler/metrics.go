package crawler

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the crawler's Prometheus instruments, labelled by site. They
// are registered on a registry the caller passes in (no global registry),
// so the binary decides where they are served and tests can read them.
type Metrics struct {
	pages       *prometheus.CounterVec
	media       *prometheus.CounterVec
	bytes       *prometheus.CounterVec
	errors      *prometheus.CounterVec
	skipped     *prometheus.CounterVec
	videos      *prometheus.CounterVec
	robots      *prometheus.CounterVec
	alerts      *prometheus.CounterVec
	queue       *prometheus.GaugeVec
	running     *prometheus.GaugeVec
	lastPassEnd *prometheus.GaugeVec
	lastPassDur *prometheus.GaugeVec
	hash        prometheus.Histogram
}

// NewMetrics creates the crawler's instruments and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	site := []string{"site"}
	m := &Metrics{
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashwatch_crawl_pages_total",
			Help: "Pages handled, by outcome: fetched, not_modified (304) or error."}, []string{"site", "outcome"}),
		media: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashwatch_crawl_media_total",
			Help: "Media files whose match result was established, by how: fetched (body read), not_modified (304) or cached (result known for this pass)."}, []string{"site", "outcome"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashwatch_crawl_bytes_total",
			Help: "Response body bytes read, pages and media."}, site),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashwatch_crawl_errors_total",
			Help: "Failed pages and media, by kind (timeout, http_status, corrupt, too_large, private_address, …)."}, []string{"site", "kind"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashwatch_crawl_media_skipped_total",
			Help: "Media files over a size or pixel limit, never fingerprinted."}, site),
		videos: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashwatch_crawl_videos_found_total",
			Help: "Video URLs found, counted once per pass; they are fetched and fingerprinted when the crawler hashes videos (ffmpeg)."}, site),
		robots: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashwatch_crawl_robots_blocked_total",
			Help: "URLs not fetched because robots.txt disallows them."}, site),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashwatch_crawl_new_alerts_total",
			Help: "Alerts raised by crawling."}, site),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hashwatch_crawl_queue_depth",
			Help: "Frontier items waiting or in flight in the running pass, by kind."}, []string{"site", "kind"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hashwatch_crawl_pass_running",
			Help: "1 while a pass of the site runs."}, site),
		lastPassEnd: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hashwatch_crawl_last_pass_end_seconds",
			Help: "Unix time the site's last pass ended (finished or interrupted)."}, site),
		lastPassDur: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hashwatch_crawl_last_pass_duration_seconds",
			Help: "Wall time of the site's last finished pass."}, site),
		hash: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hashwatch_crawl_hash_seconds",
			Help:    "Time to decode and fingerprint one media file.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
	}
	for _, c := range []prometheus.Collector{m.pages, m.media, m.bytes, m.errors, m.skipped, m.videos, m.robots,
		m.alerts, m.queue, m.running, m.lastPassEnd, m.lastPassDur, m.hash} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register crawl metrics: %w", err)
		}
	}
	return m, nil
}

// siteMetrics is Metrics bound to one site. A nil *siteMetrics (no Metrics
// configured) ignores every call, so the crawl code needs no checks.
type siteMetrics struct {
	m    *Metrics
	site string
}

func (m *Metrics) forSite(site string) *siteMetrics {
	if m == nil {
		return nil
	}
	return &siteMetrics{m: m, site: site}
}

func (s *siteMetrics) page(outcome string, bytes int) {
	if s == nil {
		return
	}
	s.m.pages.WithLabelValues(s.site, outcome).Inc()
	if bytes > 0 {
		s.m.bytes.WithLabelValues(s.site).Add(float64(bytes))
	}
}

func (s *siteMetrics) media(outcome string, bytes int) {
	if s == nil {
		return
	}
	s.m.media.WithLabelValues(s.site, outcome).Inc()
	if bytes > 0 {
		s.m.bytes.WithLabelValues(s.site).Add(float64(bytes))
	}
}

func (s *siteMetrics) error(kind string) {
	if s != nil {
		s.m.errors.WithLabelValues(s.site, kind).Inc()
	}
}

func (s *siteMetrics) skipped() {
	if s != nil {
		s.m.skipped.WithLabelValues(s.site).Inc()
	}
}

func (s *siteMetrics) videos(n int) {
	if s != nil {
		s.m.videos.WithLabelValues(s.site).Add(float64(n))
	}
}

func (s *siteMetrics) robots() {
	if s != nil {
		s.m.robots.WithLabelValues(s.site).Inc()
	}
}

func (s *siteMetrics) alert() {
	if s != nil {
		s.m.alerts.WithLabelValues(s.site).Inc()
	}
}

func (s *siteMetrics) hashed(d time.Duration) {
	if s != nil {
		s.m.hash.Observe(d.Seconds())
	}
}

func (s *siteMetrics) queue(q QueueCounts) {
	if s != nil {
		s.m.queue.WithLabelValues(s.site, "page").Set(float64(q.Pages))
		s.m.queue.WithLabelValues(s.site, "media").Set(float64(q.Media))
		s.m.queue.WithLabelValues(s.site, "video").Set(float64(q.Videos))
	}
}

func (s *siteMetrics) passStarted() {
	if s != nil {
		s.m.running.WithLabelValues(s.site).Set(1)
	}
}

func (s *siteMetrics) passEnded(st PassStats) {
	if s == nil {
		return
	}
	s.m.running.WithLabelValues(s.site).Set(0)
	s.m.lastPassEnd.WithLabelValues(s.site).Set(float64(st.End.Unix()))
	if !st.Interrupted {
		s.m.lastPassDur.WithLabelValues(s.site).Set(st.End.Sub(st.Start).Seconds())
		s.queue(QueueCounts{})
	}
}
