package crawler

import (
	"net/url"
	"path"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// imageExtensions are the file extensions treated as links to images.
var imageExtensions = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".png": true, ".gif": true,
	".webp": true, ".bmp": true, ".tif": true, ".tiff": true,
}

// isMediaURL reports whether a URL names an image file by its extension.
func isMediaURL(u *url.URL) bool {
	return imageExtensions[strings.ToLower(path.Ext(u.Path))]
}

// discovered is what one HTML page refers to.
type discovered struct {
	media []string // raw references to media, as written in the page
	links []string // raw references to other pages or files
}

// discover lists the media and links of a parsed page: img src, srcset and
// their lazy-loading data- variants, picture sources, og:image, and a href.
func discover(doc *goquery.Selection) discovered {
	var d discovered
	addSrcset := func(v string) {
		for _, cand := range strings.Split(v, ",") {
			if f := strings.Fields(cand); len(f) > 0 {
				d.media = append(d.media, f[0])
			}
		}
	}
	doc.Find("img").Each(func(_ int, s *goquery.Selection) {
		for _, attr := range []string{"src", "data-src", "data-original", "data-lazy-src"} {
			if v, ok := s.Attr(attr); ok && strings.TrimSpace(v) != "" {
				d.media = append(d.media, strings.TrimSpace(v))
			}
		}
		for _, attr := range []string{"srcset", "data-srcset"} {
			if v, ok := s.Attr(attr); ok {
				addSrcset(v)
			}
		}
	})
	doc.Find("picture source[srcset]").Each(func(_ int, s *goquery.Selection) {
		addSrcset(s.AttrOr("srcset", ""))
	})
	doc.Find(`meta[property="og:image"], meta[property="og:image:url"], meta[property="og:image:secure_url"]`).Each(func(_ int, s *goquery.Selection) {
		if v := strings.TrimSpace(s.AttrOr("content", "")); v != "" {
			d.media = append(d.media, v)
		}
	})
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		if v := strings.TrimSpace(s.AttrOr("href", "")); v != "" {
			d.links = append(d.links, v)
		}
	})
	return d
}
