package work

import (
	"mime"
	"net/url"
	"path"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// imageExtensions are the file extensions treated as links to images.
var imageExtensions = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".jfif": true, ".png": true, ".gif": true,
	".webp": true, ".bmp": true, ".tif": true, ".tiff": true,
}

// videoExtensions are the file extensions treated as videos (and streaming
// playlists). Videos are recorded, never downloaded, until video
// fingerprinting arrives.
var videoExtensions = map[string]bool{
	".mp4": true, ".m4v": true, ".webm": true, ".mov": true, ".mkv": true, ".avi": true,
	".ogv": true, ".flv": true, ".wmv": true, ".3gp": true, ".mpg": true, ".mpeg": true,
	".ts": true, ".m3u8": true, ".mpd": true,
}

// isMediaURL reports whether a URL names an image file by its extension.
func IsMediaURL(u *url.URL) bool {
	return imageExtensions[strings.ToLower(path.Ext(u.Path))]
}

// isVideoURL reports whether a URL names a video file by its extension.
func IsVideoURL(u *url.URL) bool {
	return videoExtensions[strings.ToLower(path.Ext(u.Path))]
}

// isImageType and isVideoType classify a Content-Type header.
func isImageType(ct string) bool { return strings.HasPrefix(mediaType(ct), "image/") }

func isVideoType(ct string) bool {
	switch mt := mediaType(ct); {
	case strings.HasPrefix(mt, "video/"):
		return true
	case mt == "application/vnd.apple.mpegurl", mt == "application/x-mpegurl", mt == "application/dash+xml":
		return true
	}
	return false
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

// discovered is what one HTML page refers to, as written in the page.
type discovered struct {
	media  []string // images the page shows
	videos []string // videos the page shows
	links  []string // other pages or files it links
}

// lazyImageAttrs are the attributes lazy-loading scripts keep an image's
// real URL in until it scrolls into view.
var lazyImageAttrs = []string{"src", "data-src", "data-original", "data-lazy-src", "data-lazy", "data-url", "data-full", "data-hi-res-src"}

// lazySrcsetAttrs are srcset and its lazy-loading variants.
var lazySrcsetAttrs = []string{"srcset", "data-srcset", "data-lazy-srcset"}

// discover lists the media, videos and links of a parsed page: img src,
// srcset and their lazy-loading data- variants; picture sources; video src,
// poster and source children; og:image, og:video and twitter:image;
// link rel=image_src; and a href.
func discover(doc *goquery.Selection) discovered {
	var d discovered
	add := func(to *[]string, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*to = append(*to, v)
		}
	}
	addSrcset := func(v string) {
		for _, cand := range strings.Split(v, ",") {
			if f := strings.Fields(cand); len(f) > 0 {
				d.media = append(d.media, f[0])
			}
		}
	}
	doc.Find("img").Each(func(_ int, s *goquery.Selection) {
		for _, attr := range lazyImageAttrs {
			if v, ok := s.Attr(attr); ok {
				add(&d.media, v)
			}
		}
		for _, attr := range lazySrcsetAttrs {
			if v, ok := s.Attr(attr); ok {
				addSrcset(v)
			}
		}
	})
	doc.Find("picture source").Each(func(_ int, s *goquery.Selection) {
		for _, attr := range lazySrcsetAttrs {
			if v, ok := s.Attr(attr); ok {
				addSrcset(v)
			}
		}
	})
	doc.Find("video").Each(func(_ int, s *goquery.Selection) {
		for _, attr := range []string{"src", "data-src"} {
			if v, ok := s.Attr(attr); ok {
				add(&d.videos, v)
			}
		}
		if v, ok := s.Attr("poster"); ok {
			add(&d.media, v)
		}
		s.Find("source").Each(func(_ int, src *goquery.Selection) {
			for _, attr := range []string{"src", "data-src"} {
				if v, ok := src.Attr(attr); ok {
					add(&d.videos, v)
				}
			}
		})
	})
	doc.Find(`meta[property="og:image"], meta[property="og:image:url"], meta[property="og:image:secure_url"], meta[name="twitter:image"], meta[property="twitter:image"]`).Each(func(_ int, s *goquery.Selection) {
		add(&d.media, s.AttrOr("content", ""))
	})
	doc.Find(`meta[property="og:video"], meta[property="og:video:url"], meta[property="og:video:secure_url"]`).Each(func(_ int, s *goquery.Selection) {
		add(&d.videos, s.AttrOr("content", ""))
	})
	doc.Find(`link[rel="image_src"]`).Each(func(_ int, s *goquery.Selection) {
		add(&d.media, s.AttrOr("href", ""))
	})
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		add(&d.links, s.AttrOr("href", ""))
	})
	return d
}
