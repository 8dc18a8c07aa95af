package work

import "fmt"

// ItemKind says whether a frontier item is a page (fetched with colly and
// searched for links and media), a media file (fetched, fingerprinted and
// matched) or a video (fetched, fingerprinted frame by frame with ffmpeg
// and matched, by the pass's video workers).
type ItemKind uint8

// Item kinds.
const (
	PageItem ItemKind = iota + 1
	MediaItem
	VideoItem
)

func (k ItemKind) String() string {
	switch k {
	case PageItem:
		return "page"
	case MediaItem:
		return "media"
	case VideoItem:
		return "video"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Item is one URL a pass has to visit.
type Item struct {
	Kind ItemKind
	URL  string
	// Page is, for media, the page that shows it: a media file shown on two
	// pages is two items, so both places are recorded (it is fetched once).
	// For a video it is the first page found showing it: a video is one
	// item per pass however many pages show it, since fingerprinting one
	// costs an ffmpeg run. For a page it is the page that linked it, so
	// that a link which turns out to serve an image can name its page.
	Page string
	// Depth is the number of link hops from a seed.
	Depth int
	// Visited, on an item passed to Done as found, marks the URL visited
	// without queueing it: the final URL of a redirected page.
	Visited bool
	// ID is the frontier's handle on a popped item, for Done and Release.
	ID uint64
}
