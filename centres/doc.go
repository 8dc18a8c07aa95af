// Package centres is the centres room: the support centres that share one
// national index and one national crawl. Every user, case, alert, notice
// and reported URL belongs to exactly one centre; the national (central)
// centre, ID National, has national scope — its users see every centre's
// work — while a regional centre's users see only their own.
//
// # Guarantees
//
//   - The national centre always exists: a new database gets it when the
//     room is first opened, and the schema migration that introduced
//     centres (Migrate) adds it to an older file in the same transaction
//     that hands it everything already there.
//   - Centre IDs are short lower-case names ([a-z0-9-], 1–32 bytes), so
//     they can prefix other keys with a '/' and never be confused with
//     what follows (see Key).
//   - A centre is added with its audit record in one transaction and is
//     never deleted: what belongs to it must always name an existing
//     centre.
//   - Victims' self-submission is off for every centre until an admin
//     turns it on (SetSelfSubmit, audited); the index checks the setting
//     inside the same transaction as every PIN it issues or checks.
//
// # Layout
//
// Bucket centres: centre ID → centre record (private, centreRecord);
// callers see Centre. The package imports only store, so every other room
// can check a centre inside its own transactions (In, Exists).
package centres
