// Package notice writes takedown notices: the message a support centre
// sends to a site asking it to remove re-uploads of a victim's images.
//
// A notice lists where the content was found and why the centre believes it
// is the victim's (page URL, media URL, SHA-256 of the bytes served, when
// it was seen, the hash algorithm and distance of the match) and cites the
// legal basis for the request. It never carries the media itself, nor
// anything of the victim's case beyond what the site needs to find the
// content.
//
// Templates are text/template source whose output starts with a
// "Subject: …" line, then a blank line, then the body. Korean and English
// templates are shipped (Default); a centre may edit them, and Validate
// checks an edited one before it is stored. Render fills a template with a
// Data; EML wraps the result as an RFC 5322 message that any mail client
// opens, and SMTP delivers it through the centre's mail server (STARTTLS
// required unless configured otherwise) and returns the server's reply.
// The package holds no state and imports nothing of hashwatch, so the
// console and the command line can use it alike; recording a delivery is
// package takedown's job.
package notice
