// Package index holds everything hashwatch keeps: cases, registered
// fingerprints, alerts and crawl state, in one bbolt file, plus the
// in-memory matcher that answers "which registered fingerprints does this
// media resemble?".
//
// # Guarantees
//
//   - Durability. Every logical change (a registration with all its
//     fingerprints, an alert with its de-duplication key, a withdrawal with
//     the alerts it closes) is one bbolt transaction, committed and fsynced
//     before the call returns. A process killed at any moment leaves a file
//     that opens with every acknowledged write in it.
//   - Hashes only. A registered fingerprint is hashes, dimensions, the
//     SHA-256 of the registered bytes and case metadata; this package has no
//     way to store media bytes or thumbnails of registered content.
//   - Immediate effect. A registration is visible to the next Match; a
//     withdrawn case's fingerprints are deleted and invisible to the next
//     Match.
//   - One alert per (media SHA-256, fingerprint). Seeing the same media again,
//     at the same or another URL, adds a sighting to the existing alert.
//
// # Layout
//
// Buckets: meta (schema version), cases (case ID → case), fingerprints
// (big-endian uint64 ID → fingerprint), alerts (big-endian uint64 ID →
// alert), alertkeys (SHA-256 ‖ fingerprint ID → alert ID), sites (site name →
// crawl status) and crawl (crawler state). Keys sort in creation order.
// Values are a one-byte encoding version followed by JSON, so a later version
// can migrate old values as it reads them.
//
// The package knows nothing of HTTP or crawling; it imports only hashing,
// for the fingerprint types and the match rule.
package index
