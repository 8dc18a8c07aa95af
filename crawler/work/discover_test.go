package work

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestDiscoverFindsEveryKindOfReference(t *testing.T) {
	tests := []struct {
		name  string
		html  string
		field string // media, videos or links
		want  []string
	}{
		{"img src", `<img src="/a.jpg">`, "media", []string{"/a.jpg"}},
		{"lazy-loaded img", `<img src="data:," data-src="/lazy.jpg" data-original="/orig.jpg">`, "media", []string{"data:,", "/lazy.jpg", "/orig.jpg"}},
		{"srcset candidates", `<img srcset="/s.jpg 1x, /l.jpg 2x">`, "media", []string{"/s.jpg", "/l.jpg"}},
		{"lazy srcset", `<img data-srcset="/s.jpg 300w">`, "media", []string{"/s.jpg"}},
		{"picture sources", `<picture><source srcset="/p.webp"><img src="/p.jpg"></picture>`, "media", []string{"/p.jpg", "/p.webp"}},
		{"og:image and twitter:image", `<meta property="og:image" content="/og.jpg"><meta name="twitter:image" content="/tw.jpg">`, "media", []string{"/og.jpg", "/tw.jpg"}},
		{"a video poster is an image", `<video src="/v.mp4" poster="/poster.jpg"></video>`, "media", []string{"/poster.jpg"}},
		{"video src and its sources", `<video src="/v.mp4"><source src="/v.webm"></video>`, "videos", []string{"/v.mp4", "/v.webm"}},
		{"og:video", `<meta property="og:video" content="/og.mp4">`, "videos", []string{"/og.mp4"}},
		{"links", `<a href="/next.html">next</a><a href="/x.jpg">x</a>`, "links", []string{"/next.html", "/x.jpg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := goquery.NewDocumentFromReader(strings.NewReader("<html><head></head><body>" + tt.html + "</body></html>"))
			if err != nil {
				t.Fatal(err)
			}
			d := discover(doc.Selection)
			got := map[string][]string{"media": d.media, "videos": d.videos, "links": d.links}[tt.field]
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
}

func TestURLsAreClassifiedByExtensionAndContentType(t *testing.T) {
	tests := []struct {
		url, contentType string
		image, video     bool
	}{
		{"http://a/x.JPG", "image/jpeg", true, false},
		{"http://a/clip.mp4", "video/mp4", false, true},
		{"http://a/live.m3u8", "application/vnd.apple.mpegurl", false, true},
		{"http://a/page.html", "text/html; charset=utf-8", false, false},
		{"http://a/noext", "image/webp; q=1", false, false},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		if IsMediaURL(u) != tt.image || IsVideoURL(u) != tt.video {
			t.Errorf("%s: image %v video %v", tt.url, IsMediaURL(u), IsVideoURL(u))
		}
		if isImageType(tt.contentType) != (tt.image || tt.url == "http://a/noext") || isVideoType(tt.contentType) != tt.video {
			t.Errorf("%s: image type %v video type %v", tt.contentType, isImageType(tt.contentType), isVideoType(tt.contentType))
		}
	}
}
