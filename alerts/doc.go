// Package alerts is the alerts room: every likely re-upload the crawl, an
// inspected URL report or a re-check found, with its lifecycle
// (new → confirmed → notice_sent → removed, or new → dismissed; withdrawn
// when its case is; quarantined while its fingerprint floods), its
// sightings, a blurred preview, its removal
// re-checks, the review queue's query indexes, the dashboard's figures and
// reported URLs.
//
// # Guarantees
//
//   - One alert per (media SHA-256, fingerprint): bucket alertkeys maps the
//     pair to its alert, so seeing the same media again, at the same or
//     another URL, adds a sighting (at most maxSightings) to the existing
//     alert; a dismissed pair stays dismissed.
//   - No alert for a withdrawn case: RecordAlert checks, in its own
//     transaction, that the matched fingerprint is still registered
//     (index.Registered), and CloseCase — run inside the withdrawal's
//     transaction — closes the case's open alerts and drops previews no
//     other case needs.
//   - Decisions are recorded with who made them: DecideAlert writes its
//     audit record in the decision's own transaction, and two people
//     deciding the same alert at once get one decision and one ErrConflict.
//     A bulk decision (DecideAlerts) is one transaction, all or nothing,
//     each alert audited; any alert refused refuses the whole batch with a
//     per-alert BulkRefusedError.
//   - Claims (claims.go): an operator working an alert holds it for a few
//     minutes; every decision checks the claim in its own transaction and
//     ends it, and a claim lapses by itself, so none locks an alert away.
//   - The query indexes (alertquery.go) are derived data written in every
//     alert's transaction (putAlert), rebuilt at Open when their version
//     differs, and checked by VerifyIndex.
//   - A flooding fingerprint (more than FloodLimit distinct media in its
//     window) gets its new alerts quarantined, in the alert's own
//     transaction, until staff release or retire it (quarantine.go); media
//     an operator dismissed as not this content go to the negative bank
//     and raise no alert again (ErrSuppressed, negative.go).
//   - A preview is a blurred thumbnail of at most MaxPreviewBytes, never the
//     media itself.
package alerts
