package crawler

import "github.com/hashwatch/hashwatch/crawler/crawlstate"

// tally is what one item of a pass counted while it was handled. It
// travels with the item's Done write (Frontier.Done) and is added to the
// pass's stored counts in the same transaction, so an item is counted
// exactly when it is done: a pass killed at any moment and resumed counts
// every item once, and an item put back (cancelled, or its alerts could
// not be stored) counts nothing until it is done.
type tally struct {
	// own is the item's own counts (a page fetched, an alert raised).
	own crawlstate.PassTally
	// url is, for a media item, what its URL counted: fetched, matched or
	// failed once per pass however many pages show it, so the frontier
	// adds it only for the first of the URL's items done.
	url crawlstate.PassTally
	// videos are the video URLs the item found, recorded (and counted
	// once per pass) with its Done.
	videos []crawlstate.VideoRecord
}

// addError counts an error of kind in t.
func addError(t *crawlstate.PassTally, kind string) {
	if t.Errors == nil {
		t.Errors = map[string]int{}
	}
	t.Errors[kind]++
}
