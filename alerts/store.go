package alerts

import (
	"fmt"
	"sync/atomic"

	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// The buckets this room keeps (see store's layout); the alert query
// indexes are in alertquery.go.
var (
	bucketMeta      = []byte("meta")
	bucketAlerts    = []byte("alerts")
	bucketAlertKeys = []byte("alertkeys")
	bucketPreviews  = []byte("previews")
	bucketReports   = []byte("reports")
)

var alertCodec = &store.Codec{Kind: "alert", Version: 1}

// Store is the alerts room over one store: alerts and their lifecycle, the
// review queue's indexes, sightings, previews, removal re-checks, the
// dashboard's figures and reported URLs. It is safe for concurrent use.
type Store struct {
	st *store.DB
	ix *index.Index
	// flood is the flood quarantine's limit (SetFloodLimit); nil means
	// DefaultFloodLimit.
	flood atomic.Pointer[FloodLimit]
}

// Open opens the alerts room of st, building the alert query indexes of a
// file written before they existed (or with another layout of them). ix is
// the fingerprint index over the same store, whose fingerprints a retired
// quarantine deletes.
func Open(st *store.DB, ix *index.Index) (*Store, error) {
	al := &Store{st: st, ix: ix}
	if err := al.ensureAlertIndex(); err != nil {
		return nil, fmt.Errorf("open %s: %w", st.Path(), err)
	}
	return al, nil
}
