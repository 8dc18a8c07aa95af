package work

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/hashing"
)

// Job is one frontier item as a worker receives it, with what the
// coordinator knows that the worker needs.
type Job struct {
	Site string `json:"site"`
	Pass uint64 `json:"pass"`
	// Config is the site's configuration (sites.yaml syntax, one site), so
	// a worker on another machine applies the same scope, limits,
	// politeness and SSRF guard; ConfigDigest names it for caching.
	Config       []byte `json:"config"`
	ConfigDigest string `json:"config_digest"`
	UserAgent    string `json:"user_agent"`
	Item         Item   `json:"item"`
	// Fetch is false for a page the coordinator can answer from its
	// records (it served media before, or was fetched earlier in this very
	// pass): the worker checks robots.txt only.
	Fetch bool `json:"fetch"`
	// ETag and LastModified, when set, make the request conditional.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Watermark is the highest fingerprint ID registered when the item was
	// prepared (index.Index.FingerprintWatermark).
	Watermark uint64 `json:"watermark"`
}

func (j *Job) cond() Validators { return Validators{ETag: j.ETag, LastModified: j.LastModified} }

// Result is what a worker did with one Job: never media bytes, only what
// the coordinator stores or counts.
type Result[H any] struct {
	Site string `json:"site"`
	Pass uint64 `json:"pass"`
	Item Item   `json:"item"`
	// Cancelled means the worker stopped before the item's work was
	// complete: the item stays queued.
	Cancelled bool `json:"cancelled,omitempty"`
	// Retry means the coordinator could not be asked (it is restarting):
	// the item is redelivered later, nothing is committed.
	Retry bool `json:"retry,omitempty"`
	// Parked means the item was delivered too many times without a result
	// (it kills or stalls workers): it is recorded and not tried again in
	// this pass.
	Parked     bool   `json:"parked,omitempty"`
	ParkReason string `json:"park_reason,omitempty"`
	// Denied means robots.txt refused the URL or could not be read (see
	// RobotsBlocked and Errors); the item is done.
	Denied        bool          `json:"denied,omitempty"`
	RobotsBlocked bool          `json:"robots_blocked,omitempty"`
	Errors        []ResultError `json:"errors,omitempty"`
	// Recovered counts requests that succeeded on a retry, by the kind of
	// their first failure (remote workers only; in one process the pass
	// counts them as they happen).
	Recovered map[string]int  `json:"recovered,omitempty"`
	Page      *PageResult     `json:"page,omitempty"`
	Media     *MediaResult[H] `json:"media,omitempty"`
	// Worker names the worker that processed the item, for per-worker
	// throughput.
	Worker string `json:"worker,omitempty"`
}

// ResultError is one error a worker met, by the kind the site's error
// counts use (ErrorKind) and its message.
type ResultError struct {
	Kind    string `json:"kind"`
	URL     string `json:"url"`
	Message string `json:"message"`
}

func (e ResultError) Error() string { return e.Message }

// PageResult is what fetching a page gave.
type PageResult struct {
	// Serves is "page", or "media"/"video" when the URL turned out to serve
	// one (Content-Type or sniffed bytes) and was handed over unread.
	Serves       string   `json:"serves"`
	NotModified  bool     `json:"not_modified,omitempty"`
	Final        string   `json:"final,omitempty"`
	ETag         string   `json:"etag,omitempty"`
	LastModified string   `json:"last_modified,omitempty"`
	Bytes        int      `json:"bytes,omitempty"`
	Links        []string `json:"links,omitempty"`
	// VisitedLinks are links the worker left out of Links because the
	// coordinator's visited marks (natswork's bucket) say the pass has
	// done those pages: they belong in the page's record (a later 304
	// follows them) but are not queued again.
	VisitedLinks []string `json:"visited_links,omitempty"`
	Media        []string `json:"media,omitempty"`
	Videos       []string `json:"videos,omitempty"`
	Dropped      int      `json:"dropped,omitempty"`
	// Err is set when the fetch failed; the item is done.
	Err *ResultError `json:"err,omitempty"`
}

// Media outcomes.
const (
	MediaFetched     = "fetched"      // bytes read, SHA-256 and result known
	MediaNotModified = "not_modified" // 304 to the conditional request
	MediaVideo       = "video"        // the URL serves a video
	MediaTooLarge    = "too_large"    // over the byte limit, not read
	MediaError       = "error"        // failed (Err)
)

// MediaResult is what fetching and fingerprinting one picture or video
// gave.
type MediaResult[H any] struct {
	Outcome      string `json:"outcome"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	FinalURL     string `json:"final_url,omitempty"`
	Status       int    `json:"status,omitempty"`
	Size         int64  `json:"size,omitempty"`
	// Bytes counts the body bytes read.
	Bytes  int64          `json:"bytes,omitempty"`
	SHA256 hashing.SHA256 `json:"sha256,omitzero"`
	// Hash is the match result of the bytes (established by the
	// coordinator through Central).
	Hash H `json:"hash"`
	// Preview is the blurred thumbnail of bytes that matched, sent only
	// when the coordinator asked for it (it has none yet).
	Preview []byte       `json:"preview,omitempty"`
	Err     *ResultError `json:"err,omitempty"`
}

func resultErr(u string, err error) *ResultError {
	return &ResultError{Kind: classify(err), URL: u, Message: err.Error()}
}

// JobConfig is a site's configuration as a job carries it (Job.Config).
func JobConfig(userAgent string, s *siteconfig.Site) ([]byte, error) {
	b, err := yaml.Marshal(siteconfig.Config{UserAgent: userAgent, Sites: []siteconfig.Site{*s}})
	if err != nil {
		return nil, fmt.Errorf("site %s configuration: %w", s.Name, err)
	}
	return b, nil
}
