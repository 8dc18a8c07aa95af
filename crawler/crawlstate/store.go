package crawlstate

import "github.com/hashwatch/hashwatch/store"

// The buckets this room keeps (see store's layout); the crawl bucket's
// sub-buckets are described in frontier.go, paused sites are settings.
var (
	bucketSites    = []byte("sites")
	bucketSettings = []byte("settings")
)

var siteCodec = &store.Codec{Kind: "site status", Version: 1}

// Store is the crawl state over one store: each site's frontier and pass,
// the validators and records that make the next pass cheap, per-SHA-256
// match results, site status and paused sites. It is safe for concurrent
// use.
type Store struct {
	st *store.DB
}

// New returns the crawl state room of st.
func New(st *store.DB) *Store { return &Store{st: st} }
