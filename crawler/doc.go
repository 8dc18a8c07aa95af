// Package crawler watches websites for re-uploads: it reads the watched-site
// configuration (sites.yaml), crawls each site's pages with colly, discovers
// the images they show or link, fetches each with a size- and time-limited
// streaming client, fingerprints it with package hashing, matches it against
// package index and records an alert for every match.
//
// # Guarantees
//
//   - Scope. Only URLs on a site's allowed domains (and their subdomains),
//     within max_depth link hops of a seed and passing the include/exclude
//     patterns are fetched; robots.txt is honoured unless a site sets
//     respect_robots: false.
//   - Safety. Unless a site sets allow_private: true, connections to
//     loopback, private, link-local, multicast and cloud-metadata addresses
//     are refused when the socket connects, so neither DNS answers nor
//     redirects can steer the crawler into an internal network.
//   - Limits. Every response has a byte, time and redirect limit. Media over
//     the byte limit is counted as skipped with its URL and size, never
//     truncated and hashed.
//   - Carries on. A bad page, a bad file or a hostile server costs one
//     logged, counted error; the pass goes on.
//   - Keeps nothing. Media bytes live in memory while hashed; only the
//     fingerprint comparison's result (an alert with URLs, SHA-256 and
//     distance) is stored.
//
// The crawler imports hashing and index; neither of them knows it exists.
package crawler
