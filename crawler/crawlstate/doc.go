// Package crawlstate is the crawler's durable state in the store: each
// site's frontier (the running pass's queue and visited set), the
// validators and records of pages and media that make the next pass cheap
// (conditional requests, no re-download of unchanged files), per-SHA-256
// match results, site status, and which sites are paused.
//
// # Guarantees
//
//   - Resumable. A queue entry is removed only when its item is done, in
//     the same transaction that queues what the item discovered
//     (ApplyCrawlWrites), so a process killed at any moment resumes with
//     every undone item still queued.
//   - Grouped writes. ApplyCrawlWrites stores many workers' writes in one
//     transaction, so one fsync serves them all.
//   - No media. Records hold URLs, validators, SHA-256 sums and match
//     results, never bytes.
package crawlstate
