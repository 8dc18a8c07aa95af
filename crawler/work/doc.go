// Package work is the database-free side of crawling: a Job in, a Result
// out. It holds what a crawl worker does with one frontier item — the
// robots.txt check, the fetch of a page (colly) or of a picture or video
// (a size- and time-limited streaming client), the discovery of a page's
// links, images and videos, and fingerprinting — together with the SSRF
// guard and the polite, retrying transport those fetches go through.
//
// # Model
//
// Every frontier item goes one way: the coordinator (package crawler's
// pass, which holds the database) prepares a Job from the item and what it
// knows about the URL; a worker processes the Job and returns a Result;
// the coordinator commits the Result — frontier Done with what was found,
// validators, hash results and the alert step. In one process the worker
// is a SiteWorker the pass calls; on other machines (hashwatch worker) it
// is a Worker, fed over NATS JetStream by package crawler/natswork, which
// builds each site's fetching state from the configuration the Job
// carries.
//
// Matching stays central: a worker asks the coordinator (Central) whether
// bytes were fingerprinted before and what a fingerprint matches, so a
// registration or withdrawal counts for the very next item any worker
// finishes. The match result's type is the coordinator's (the type
// parameter H): a worker hands it back in the Result unread.
//
// # Invariants
//
//   - No storage. The package depends on no database, store, fingerprint
//     index, alerts or crawl state, and not on package crawler
//     (TestWorkOpensNoDatabase checks it with go list -deps), so what runs
//     on a worker machine cannot open, read or write the database.
//   - No media leaves it. A Result carries links, validators, sizes, a
//     SHA-256, errors and, for matched bytes only when the coordinator asks,
//     a blurred preview — never the bytes.
//   - Limits at every read. Every response has a byte, time and redirect
//     limit; a picture or video over its byte limit is reported too large,
//     never truncated and hashed; a page's references are capped.
//   - Safety at connect time. Unless a site sets allow_private, connections
//     to loopback, private, link-local, multicast and cloud-metadata
//     addresses (except the site's allow_networks) are refused when the
//     socket connects, whatever DNS or a redirect says.
//   - Nothing lost. A Job whose context ends comes back Cancelled (the item
//     stays queued); one whose coordinator could not be asked comes back
//     Retry, never failed.
package work
