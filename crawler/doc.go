// Package crawler watches websites for re-uploads: it reads the watched-site
// configuration (sites.yaml), runs each site's passes on its interval, fetches
// pages with colly and discovers the images and videos they show or link,
// fetches each image and video with a size- and time-limited streaming
// client, fingerprints it with package hashing (videos through
// hashing/video and ffmpeg), matches it against package index and records an
// alert (package alerts) for every match.
//
// Around the passes it provides what a long-running service needs: a
// Scheduler (the round-the-clock passes, with pass-now, pause and resume),
// a Rechecker (re-fetches confirmed and notice-sent URLs, images and videos,
// to verify removal and time it) and an Inspector (fetches and matches one
// reported URL: an image, a video, or a page and the images and videos it
// shows).
//
// # Model
//
// A pass is driven by the site's Frontier: the queue of pages, media and
// videos still to visit and the pass's visited set. Page, media and video
// workers pop items of their kind, and an item is marked done — together
// with what it led to — only when its work is complete (for media and
// videos: once their alerts are stored), so the frontier always says what
// is left. The default frontier
// lives in the hashwatch database (package crawlstate), so a pass stopped in any
// way, kill -9 included, resumes on the next start.
//
// Every item takes one path: the pass prepares a Job from the item and
// its records (validators, whether a fetch is needed, the site's
// configuration), a worker processes it into a Result — robots.txt, fetch,
// discovery, fingerprinting, in package crawler/work, which holds no
// database and asks the pass (Central) for stored results and matches —
// and the pass commits the Result: frontier Done with what was found,
// records, and the alert step. In one process (crawl) the worker is a
// function call; serve sets Crawler.Dispatch to hand jobs to workers on
// any machine over NATS JetStream (package crawler/natswork), the bbolt
// frontier staying the source of truth, with politeness held across
// workers by the pass's gate (gate.go).
//
// # Packages
//
// The crawler is the coordinator's side; around it:
//
//   - crawler/siteconfig: sites.yaml, decoded strictly and validated once;
//     Site, Config, ParseConfig and LoadConfig here are its names.
//   - crawler/work: the database-free worker side, a Job in and a Result
//     out; Item, Result, Central and Worker here are its types, with the
//     crawler's match result (crawlstate.HashResult).
//   - crawler/transport: the polite, retrying round trippers under every
//     fetch, and the gate that spaces remote workers' requests.
//   - crawler/crawlstate: the crawl's records in the hashwatch database
//     (frontier, pages, media, hash results, site status).
//   - crawler/natswork: jobs and results over NATS JetStream.
//
// colly fetches and parses one page at a time on behalf of the frontier:
// its own visited set, queue, depth and domain checks and robots.txt check
// are switched off, because its visited set is recorded before a fetch
// succeeds and its queue cannot be run twice.
//
// Workers' database writes go through one group committer per pass, so one
// fsync serves many items.
//
// # Guarantees
//
//   - Resumable. Each page, media and video URL is fetched once per pass,
//     apart from the items in flight when a process died; nothing
//     discovered is lost, videos included.
//   - Cheap recrawls. Pages and media are revalidated with conditional
//     requests; a page answered 304 yields its stored links and media; bytes
//     whose match result is stored are not decoded again while no
//     fingerprint has been registered since.
//   - Scope. Only URLs on a site's allowed domains (and their subdomains),
//     within max_depth link hops of a seed and passing the include/exclude
//     patterns are fetched as pages; robots.txt is honoured for pages and
//     media unless a site sets respect_robots: false.
//   - Politeness. delay and parallelism hold per host:port for every request
//     of a site, raised by a robots.txt Crawl-delay; transient failures
//     (429, 5xx gateways, timeouts, resets) are retried with backoff within
//     the pass, each attempt taking its polite turn.
//   - Safety. Unless a site sets allow_private: true, connections to
//     loopback, private, link-local, multicast and cloud-metadata addresses
//     (except the site's allow_networks) are refused when the socket
//     connects, so neither DNS answers nor redirects can steer the crawler
//     into an internal network.
//   - Limits. Every response has a byte, time and redirect limit. Media over
//     the byte limit is recorded as skipped with its URL and size, never
//     truncated and hashed. Videos are queued and fetched only when
//     Crawler.Video is set (and ffmpeg found; otherwise they are only
//     recorded), under max_video_bytes and hashing/video's duration, frame
//     and time limits; a cancelled crawl leaves no ffmpeg process or temp
//     file.
//   - Carries on. A bad page, a bad file or a hostile server costs one
//     logged, counted error; the pass goes on.
//   - Keeps nothing. Media bytes live in memory while hashed; only a file's
//     URL, validators, SHA-256 and match result are stored, plus a small
//     blurred preview of media that matched, for operators' review.
//
// The crawler imports hashing and index; neither of them knows it exists.
// Data flows siteconfig → work → crawler → natswork: no package on the
// left imports one on its right.
package crawler
