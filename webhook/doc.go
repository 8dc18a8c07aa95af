// Package webhook tells a centre's other systems (a messenger, a ticketing
// system) what happened in hashwatch: a new alert, a notice left
// unanswered past its deadline, content found removed. Each event is POSTed
// as JSON to one URL configured per deployment, signed with HMAC-SHA256
// under a shared secret.
//
// # Guarantees
//
//   - Durable: an event is written to a bbolt queue file before delivery is
//     tried and deleted only after the receiver answered 2xx, so a restart
//     loses nothing undelivered. The queue is bounded (Config.MaxQueue); an
//     event that does not fit is dropped, counted and logged.
//   - Retried: a failed delivery (an error, a timeout, any non-2xx status)
//     is tried again with exponential backoff up to Config.MaxAttempts.
//     Delivery is at least once: a receiver dedupes on the event's ID
//     (also sent as the Hashwatch-Delivery header), which only repeats if
//     the process stops between the receiver's 2xx and the deletion.
//   - Signed: Hashwatch-Signature: t=UNIX,v1=HEX, where HEX is
//     HMAC-SHA256(secret, "UNIX.BODY") (the scheme Stripe uses); the
//     receiver recomputes it and refuses stale timestamps (Verify).
//
// # What it never sends
//
// Events carry IDs, URLs, site names, statuses and times only: never media,
// hashes, case names or labels, or anything typed about a victim. The Event
// type has no field that could hold them.
//
// Events are found by polling the store (Watcher): alert IDs only grow, so
// new alerts are those above the last ID seen; removals and overdue notices
// are announced once each, remembered in the queue file. The cursors and
// the queued events change in one transaction, so each event is queued
// exactly once.
package webhook
