// Package index holds everything hashwatch keeps: cases, registered
// fingerprints (pictures and videos), alerts with their lifecycle, takedown
// notices, blurred previews, reported URLs, crawl state, and the console's
// accounts, sessions, API tokens and append-only audit log, in one bbolt
// file, plus the
// in-memory matcher that answers "which registered fingerprints does this
// media resemble?". The matcher keeps every view's codes in exact
// multi-index Hamming indexes (package hamming), one per algorithm, loaded
// from the file at Open and changed in place by registrations and
// withdrawals; Match returns exactly what comparing the query with every
// registered view would.
//
// # Guarantees
//
//   - Durability. Every logical change (a registration with all its
//     fingerprints, an alert with its de-duplication key, a withdrawal with
//     the alerts it closes) is one bbolt transaction, committed and fsynced
//     before the call returns (bbolt's NoSync stays off). A process killed
//     at any moment leaves a file that opens and verifies with every
//     acknowledged write in it, and each change either wholly there or
//     wholly absent; cmd/hashwatch's crash test checks this by SIGKILLing a
//     writing process. Power loss is covered by the same fsyncs, but is not
//     tested.
//   - Hashes only. A registered fingerprint is hashes, dimensions, the
//     SHA-256 of the registered bytes and case metadata; this package has no
//     way to store media bytes or thumbnails of registered content.
//   - Immediate effect. A registration is visible to the next Match; a
//     withdrawn case's fingerprints are deleted and invisible to the next
//     Match, and a match made before the withdrawal can no longer raise an
//     alert. The matcher applies changes in commit order.
//   - One alert per (media SHA-256, fingerprint). Seeing the same media again,
//     at the same or another URL, adds a sighting to the existing alert.
//   - Decisions are recorded with who made them. DecideAlert, RegisterAs,
//     WithdrawAs and the account, notice, template and contact calls that
//     take an Actor write their audit record in the change's own
//     transaction; the audit log has no call that edits or deletes.
//   - Secrets only as hashes: passwords (bcrypt), session and API tokens
//     (SHA-256).
//
// # Layout
//
// Buckets: meta (schema version), cases (case ID → case), fingerprints
// (big-endian uint64 ID → fingerprint; a video's frames packed in it, see
// video.go), alerts (big-endian uint64 ID → alert), alertkeys (SHA-256 ‖
// big-endian fingerprint ID → alert ID), the alert query indexes by status,
// site, case, confidence and hour with their counts (alertquery.go), sites
// (site name → crawl status), crawl (the crawler's frontier, validators,
// discovered videos and per-SHA-256 match results, in sub-buckets described
// in frontier.go), users, sessions and tokens (keyed by name or token hash),
// audit (big-endian sequence → entry), notices, previews (media SHA-256 →
// JPEG), reports (reported URLs), settings (notice templates, site
// contacts, paused sites), floodmedia and quarantine (the flood quarantine,
// quarantine.go) and negative, negativesha and negativepdq (the negative
// bank, negative.go). Buckets a build adds are created at Open without
// a migration; the alert indexes are built then for older files. Numeric
// keys are
// big-endian so bbolt's byte order is creation order; cases and sites sort by
// name. Values are a one-byte encoding version per kind followed by JSON; a
// later build upgrades old values as it reads them and rewrites them all in
// a schema migration (see codec). The schema version is checked at every
// Open: older files are migrated in the same transaction that records the
// new version, newer files are refused. Slices bbolt returns are only valid
// inside their transaction; everything that outlives one is decoded or
// copied first.
//
// # Processes, backup and verify
//
// bbolt locks the file: a read-write process holds an exclusive lock for as
// long as it has the database open (a whole crawl), a read-only open
// (Options.ReadOnly, used by backup and verify) a shared one. A second
// process fails within Options.LockTimeout with an *InUseError naming the
// holder's PID, instead of hanging.
//
// So a hot backup — a consistent copy while the database is being written —
// can only be taken by the process that holds it: DB.Backup streams one
// read transaction's snapshot to a writer, DB.BackupFile writes it to a
// file atomically. A copy of the file made by another process without the
// lock (cp, rsync) can be torn, because bbolt reuses freed pages in place.
// `hashwatch backup FILE` opens the database read-only, so it works whenever
// no other hashwatch is writing; while a crawl runs it fails fast saying
// which PID holds the file, unless the holder answers the hot-backup
// request (cmd/hashwatch). The long-running `serve` process offers admins
// `GET /api/backup`, which streams DB.Backup, and `GET /api/verify`, which
// returns DB.Verify's Report as JSON.
//
// DB.Verify checks page consistency (bbolt's Tx.Check), the schema, every
// value's encoding, and the cross-references between buckets; it returns a
// Report listing problems rather than failing on the first.
//
// The package knows nothing of HTTP or crawling; it imports only hashing,
// for the fingerprint types and the match rule.
package index
