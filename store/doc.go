// Package store owns hashwatch's one bbolt file: opening and locking it,
// the transaction helpers every room writes through, value codecs, schema
// versions and migrations, backup, verify, settings, and the append-only
// audit log. It knows nothing of what the rooms keep (the centres, the
// fingerprint index, alerts, accounts, takedown notices, crawl state);
// package database opens the file with all of them. It knows one thing of
// centres: an audit entry and an Actor name the centre they concern.
//
// # Guarantees
//
//   - Durability. Every logical change is one bbolt transaction (DB.Update),
//     committed and fsynced before the call returns (bbolt's NoSync stays
//     off). A process killed at any moment leaves a file that opens and
//     verifies with every acknowledged write in it, and each change either
//     wholly there or wholly absent; cmd/hashwatch's crash test checks this
//     by SIGKILLing a writing process. Power loss is covered by the same
//     fsyncs, but is not tested.
//   - Commit order. Update applies a change's in-memory part (the
//     fingerprint matcher's) while still holding the writer's turn, so
//     in-memory state follows commits in order.
//   - Audited with the change. A room writes its change and its audit
//     record (AppendAudit) in the same Update, so they commit or fail
//     together; the audit log has no call that edits or deletes, and its
//     entries are keyed by a sequence so that a gap would show.
//   - Versioned values. Values are a one-byte encoding version per kind
//     followed by JSON (Codec); a later build upgrades old values as it
//     reads them and rewrites them all in a schema migration. The schema
//     version is checked at every Open: older files are migrated in the
//     same transaction that records the new version, newer files are
//     refused. Slices bbolt returns are only valid inside their
//     transaction; everything that outlives one is decoded or copied first.
//
// # Layout
//
// One bucket per kind, each kept by one room (layout.go lists them all).
// Buckets a build adds are created at Open without a migration. Numeric
// keys are big-endian (IDKey) so bbolt's byte order is creation order.
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
// `hashwatch backup FILE` opens the database read-only when no other
// hashwatch writes it; while serve or a crawl holds it, the command runs
// inside that process (package adminsock) and calls DB.BackupFile there.
// serve also offers admins `GET /api/backup`, which streams DB.Backup, and
// `GET /api/verify`, which returns the Report of database.DB.Verify as
// JSON.
//
// DB.Verify checks page consistency (bbolt's Tx.Check), the schema, the
// audit log and then each room's values and cross-references (the Checks
// it is given); it returns a Report listing problems rather than failing on
// the first.
package store
