package alerts

import (
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
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

var alertCodec = &store.Codec{Kind: "alert", Version: 2,
	Upgrades: map[byte]func(json.RawMessage) (json.RawMessage, error){1: store.AddField("centre", centres.National)}}

// MigrateCentres is this room's part of the migration to centres (schema
// 2 → 3): every alert, quarantine record and URL report is rewritten at
// the encoding version that names its centre — the national centre, which
// held everything before. The alert indexes, keyed by centre since then,
// are rebuilt at Open (alertIndexVersion).
func MigrateCentres(tx *bolt.Tx) error {
	for _, m := range []struct {
		bucket []byte
		codec  *store.Codec
	}{{bucketAlerts, alertCodec}, {bucketQuarantine, quarantineCodec}, {bucketReports, reportCodec}} {
		if err := store.Reencode(tx, m.bucket, m.codec); err != nil {
			return err
		}
	}
	return nil
}

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
