package crawler

import (
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/work"
)

// A pass's items, jobs and results are package work's, the database-free
// side of crawling; the crawler instantiates work's generic types with its
// match result, crawlstate.HashResult, which a worker carries unread.

// Item is one URL a pass has to visit.
type Item = work.Item

// ItemKind says whether an item is a page, a media file or a video.
type ItemKind = work.ItemKind

// Item kinds.
const (
	PageItem  = work.PageItem
	MediaItem = work.MediaItem
	VideoItem = work.VideoItem
)

// Result is what a worker did with one Job, as the pass commits it.
type Result = work.Result[crawlstate.HashResult]

// MediaResult is what a worker's fetch and fingerprint of one picture or
// video gave.
type MediaResult = work.MediaResult[crawlstate.HashResult]

// Central is what a worker asks the coordinator while it processes a Job.
type Central = work.Central[crawlstate.HashResult]

// Worker processes Jobs for a coordinator on another machine.
type Worker = work.Worker[crawlstate.HashResult]

// Errors the crawler's callers test for, from package work.
var (
	// ErrVideo reports a URL that serves a video where a picture was
	// expected.
	ErrVideo = work.ErrVideo
	// ErrHTTPStatus reports a response status other than success.
	ErrHTTPStatus = work.ErrHTTPStatus
	// ErrPrivateAddress reports a connection refused by the SSRF guard.
	ErrPrivateAddress = work.ErrPrivateAddress
	// ErrCentralUnavailable reports that a worker could not reach the
	// coordinator.
	ErrCentralUnavailable = work.ErrCentralUnavailable
)

// ErrorKind names the kind of an error as the per-site error counts do
// (work.ErrorKind).
func ErrorKind(err error) string { return work.ErrorKind(err) }
