// Package console is hashwatch's web console and JSON API: the place where
// operators review alerts, staff register and withdraw cases, analysts
// watch and steer crawls, and admins manage accounts and read the audit
// log. It is a plain net/http server rendering html/template pages embedded
// in the binary — no JavaScript framework, no build step, no inline script —
// plus a JSON API under /api/ for scripts and Prometheus metrics at
// /metrics.
//
// # Access
//
// One route table (routes.go) names, for every route, the roles allowed to
// use it, its CSRF rule and whether it answers HTML or JSON; nothing else
// grants access, the table is checked for contradictions when the server
// is built, and a test enumerates every route × role. Browsers log in with a name and password and hold a session cookie
// (HttpOnly, SameSite=Strict, Secure behind TLS); every state-changing
// request from a browser carries the session's CSRF token. Scripts send an
// API token as "Authorization: Bearer", accepted only on /api/ and
// /metrics and exempt from CSRF (a browser never sends it by itself).
// Failed logins — and wrong current passwords on the settings page — are
// rate-limited per remote address (per /64 for IPv6) and per user name;
// X-Forwarded-For is read only with Config.TrustProxy, and only when its
// last entry is an address. Logging in replaces any session the browser
// held; changing a password ends the account's other sessions; a role
// change or a disabled account applies to the very next request of every
// session and token. Post-login redirects stay on the site.
//
// Reported URLs are seen by operators (they review the alerts those
// reports raise) and otherwise only by whoever submitted them.
//
// # What it guarantees
//
//   - Every state change writes an audit record naming who, what, which
//     target, when and from where; revealing a blurred preview is recorded
//     too. The log is append-only (package index has no call to edit it).
//   - Bad input — malformed forms, JSON, IDs, oversized bodies — gets a 4xx
//     with a message, never a 500 or a stack trace; every body has a size
//     limit.
//   - Nothing uploaded is kept: a registration streams each file into a
//     bounded memory buffer, fingerprints it and drops it; no temporary
//     files (multipart bodies are read part by part, never with
//     ParseMultipartForm, which spills to disk).
//   - Operators see evidence, not content: a match's blurred preview is
//     served only after an explicit, audited reveal, and pages that show
//     evidence are never cached. Clearer views, the picture itself and a
//     video's keyframe strip are further audited steps, each after the one
//     before, fetched live through the crawler's guard and never stored
//     (viewing.go).
//
// # Handlers
//
// A handler returns an error instead of answering it; one adapter
// (answer.go) logs it and answers it as the route says — JSON on API
// routes, an error page on HTML routes — with the status and message an
// httpError carries: a catalog key, shown in the reader's language, and
// apart from it the lower-level cause as detail. A JSON error is
// {"error", "code", "detail"}: scripts match on the code (the key, or the
// store error's kind), which stays when the words change; a store's own
// error gets a sentence for its status in the reader's language (explain).
// A request no route takes is answered the same way (404, 405). A page
// and its API twin are one handler that builds the data
// once and hands it to respond, which writes the page, the form post's
// redirect with its flash message, or the JSON body.
//
// The console holds no state of its own beyond short-lived memory (login
// rate limits, partners' lookup rates, revealed previews and viewing
// steps): everything durable is in package index, and crawling is package
// crawler's. The partners' lookup API (lookup.go) answers match and
// distance only.
package console
