package accounts

import "github.com/hashwatch/hashwatch/store"

// The buckets this room keeps (see store's layout).
var (
	bucketUsers    = []byte("users")
	bucketSessions = []byte("sessions")
	bucketTokens   = []byte("tokens")
	// bucketLookups counts partners' lookups (lookups.go).
	bucketLookups = []byte("lookupcounts")
)

// Store is the accounts room over one store: the console's users, their
// sessions and their API tokens. It is safe for concurrent use.
type Store struct {
	st *store.DB
}

// New returns the accounts room of st.
func New(st *store.DB) *Store { return &Store{st: st} }
