// Package index is the fingerprint index: cases, the fingerprints
// registered under them (pictures and videos), and the in-memory matcher
// that answers "which registered fingerprints does this media resemble?".
// The matcher keeps every view's codes in exact multi-index Hamming
// indexes (package hamming), one per algorithm, loaded from the store at
// Open and changed in place by registrations and withdrawals; Match
// returns exactly what comparing the query with every registered view
// would. Video queries are aligned frame by frame (MatchVideo).
//
// # Guarantees
//
//   - Hashes only. A registered fingerprint is hashes, dimensions, the
//     SHA-256 of the registered bytes and case metadata; this package has no
//     way to store media bytes or thumbnails of registered content.
//   - Immediate effect. A registration is visible to the next Match; a
//     withdrawn case's fingerprints are deleted and invisible to the next
//     Match. The matcher applies changes in commit order (store.DB.Update).
//     Other rooms check Registered inside their own transactions, so a
//     match made before a withdrawal can no longer raise an alert.
//   - One transaction per change. A registration with all its fingerprints,
//     or a withdrawal with what Options.OnWithdraw closes (the case's
//     alerts), commits together with its audit record: every write
//     (Register, Withdraw, DeleteFingerprint) names the store.Actor who
//     made it.
//   - PINs only as hashes. A case's self-submission PIN (pins.go), for a
//     victim adding fingerprints to their own case from the console's
//     public page, is stored only as a bcrypt hash in the case record,
//     with its expiry and a count of wrong tries that locks it; issue,
//     revoke and every wrong try are audited.
//
// # Layout
//
// Buckets cases (case ID → case, with its PIN's hash if one was issued) and fingerprints (big-endian uint64 ID →
// fingerprint record; views and a video's frames packed, see packed.go and
// video.go). Fingerprint records are private (fingerprintRecord); callers
// see Fingerprint. Bucket fingerprintchanges (big-endian sequence → the
// fingerprint IDs one transaction added or removed, never their hashes)
// feeds partners' copies of the list (Feed, changes.go). Bucket
// fingerprintfeatures (big-endian ID → a registered picture's corner set
// for the geometric verifier: positions, orientations and descriptors,
// never pixels) is written and deleted with the fingerprint and read only
// for the candidates the verifier checks (MatchVerified, features.go),
// never loaded into the matcher. A partner's PDQ
// is matched by MatchPDQ, which also compares registered pictures'
// reference PDQ (shared.go).
//
// The package knows nothing of alerts, HTTP or crawling; it imports
// hashing, hashing/video, index/hamming and store.
package index
