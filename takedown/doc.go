// Package takedown is the room of takedown notices: the notices a centre
// drafts and sends to sites, its edited notice templates and the site
// contacts it saved, and the dashboard that counts notices left
// unanswered. Rendering a notice is package notice's job; this package
// stores them.
//
// # Guarantees
//
//   - A notice lists only confirmed alerts of its own site; marking it sent
//     moves those alerts to notice_sent in the same transaction
//     (alerts.NoticeSentIn), with its audit record.
//   - A template is validated (notice.Validate) before it is stored.
package takedown
