// Package transport holds the HTTP round trippers a crawl pass stacks
// under its page and media clients: Polite, one budget per host of the
// site (parallelism, spacing between requests, robots.txt Crawl-delay,
// per-request timeout from the request's turn), and NewRetry, which tries
// idempotent requests again after transient failures (429, 502–504,
// timeouts, resets) with jittered backoff and Retry-After.
//
// Guarantees: every attempt, retries included, waits its polite turn; a
// Crawl-delay can only slow a host down, never below MaxCrawlDelay per
// request; the caller's cancellation, a 404 or a refused private address
// are never retried.
package transport
