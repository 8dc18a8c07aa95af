package work

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gocolly/colly/v2"
	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// PageFetch is what fetching one page gave. colly's callbacks fill it; they
// run on the goroutine that called Pages.Fetch.
type PageFetch struct {
	Status      int
	NotModified bool
	// Serves is "page", or "media"/"video" when the URL's Content-Type said
	// so and the body was not read.
	Serves             string
	Final              *url.URL
	ETag, LastModified string
	Bytes              int
	Links              []string
	Media              []string
	Videos             []string
	// Dropped counts references beyond the site's max_links_per_page.
	Dropped int
	Err     error
}

// Pages drives colly one page at a time. The pass's frontier decides
// what is fetched, in what order and at what depth, and records what was
// visited only after the page is done; colly fetches (through the site's
// polite, guarded transport), decodes the charset, parses the HTML and
// resolves references against the page's URL or its base element.
//
// colly's own visited set, queue, depth limit, domain filter and robots.txt
// check are all off (AllowURLRevisit, MaxDepth 0, IgnoreRobotsTxt): its
// visited set is recorded before a fetch succeeds and lives in memory, its
// queue cannot be run twice, and a page is never visited through
// e.Request.Visit, so nothing colly keeps needs to survive a restart.
type Pages struct {
	col  *colly.Collector
	site *siteconfig.Site
}

const pageFetchKey = "hashwatch.page"

func NewPages(ctx context.Context, site *siteconfig.Site, transport http.RoundTripper, userAgent string) *Pages {
	col := colly.NewCollector(
		colly.UserAgent(userAgent),
		colly.StdlibContext(ctx),
		// One byte over the limit, so that a page over it is detected and
		// refused instead of silently truncated (see OnResponse).
		colly.MaxBodySize(int(min(site.MaxPageBytes+1, int64(^uint(0)>>1)))),
		colly.AllowURLRevisit(),
	)
	col.IgnoreRobotsTxt = true
	col.WithTransport(gunzipTransport{transport})
	// No client-wide timeout (colly's default is 10 s): the transport times
	// each request from its polite turn, not from when it started waiting.
	col.SetRequestTimeout(0)
	col.SetRedirectHandler(func(req *http.Request, via []*http.Request) error {
		if len(via) > site.MaxRedirects {
			return fmt.Errorf("%d redirects: %w", len(via), errTooManyRedirects)
		}
		if !site.InScope(req.URL) {
			return fmt.Errorf("redirect to out-of-scope %s refused: %w", req.URL, ErrOutOfScope)
		}
		return nil
	})
	get := func(c *colly.Context) *PageFetch {
		pf, _ := c.GetAny(pageFetchKey).(*PageFetch)
		if pf == nil {
			pf = &PageFetch{} // not ours; filled and dropped
		}
		return pf
	}
	col.OnResponseHeaders(func(r *colly.Response) {
		pf := get(r.Ctx)
		pf.Status, pf.Final = r.StatusCode, r.Request.URL
		ct := r.Headers.Get("Content-Type")
		switch {
		case isImageType(ct):
			// A link without an image extension that serves an image: the
			// media path has the right limits, so hand it over unread.
			pf.Serves = "media"
			r.Request.Abort()
			return
		case isVideoType(ct):
			pf.Serves = "video"
			r.Request.Abort()
			return
		}
		if n, err := strconv.ParseInt(r.Headers.Get("Content-Length"), 10, 64); err == nil && n > site.MaxPageBytes {
			pf.Err = fmt.Errorf("page %s declares %d bytes, limit %d: %w", r.Request.URL, n, site.MaxPageBytes, hashing.ErrTooLarge)
			r.Request.Abort()
		}
	})
	col.OnResponse(func(r *colly.Response) {
		pf := get(r.Ctx)
		pf.Status, pf.Final, pf.Bytes = r.StatusCode, r.Request.URL, len(r.Body)
		pf.ETag, pf.LastModified = r.Headers.Get("ETag"), r.Headers.Get("Last-Modified")
		if int64(len(r.Body)) > site.MaxPageBytes {
			pf.Err = fmt.Errorf("page %s: more than %d bytes: %w", r.Request.URL, site.MaxPageBytes, hashing.ErrTooLarge)
			return
		}
		// Sites serve pictures and videos as text/html too (a viewer
		// script, a misconfigured server): trust the bytes, not the
		// header, and hand them to the media path like an image type.
		switch {
		case hashing.Sniff(r.Body) != "":
			pf.Serves = "media"
		case video.Sniff(r.Body) != "":
			pf.Serves = "video"
		}
	})
	col.OnHTML("html", func(e *colly.HTMLElement) {
		pf := get(e.Request.Ctx)
		if pf.Err != nil || pf.Serves != "page" {
			return // never parse a truncated page, or a picture
		}
		d := discover(e.DOM)
		// Media first: they are what a pass is for; then videos, then links.
		left := site.MaxLinksPerPage
		take := func(refs []string, to *[]string) {
			for _, ref := range refs {
				if left <= 0 {
					pf.Dropped++
					continue
				}
				if u := resolve(e.Request, ref); u != nil {
					*to = append(*to, u.String())
					left--
				}
			}
		}
		take(d.media, &pf.Media)
		take(d.videos, &pf.Videos)
		take(d.links, &pf.Links)
	})
	col.OnError(func(r *colly.Response, err error) {
		pf := get(r.Ctx)
		if errors.Is(err, colly.ErrAbortedAfterHeaders) {
			return // OnResponseHeaders aborted it and said why in pf
		}
		if r.StatusCode != 0 {
			pf.Status = r.StatusCode
		}
		switch {
		case r.StatusCode == http.StatusNotModified:
			pf.NotModified = true
		case r.StatusCode >= 300:
			pf.Err = fmt.Errorf("page %s: %d %s: %w", r.Request.URL, r.StatusCode, http.StatusText(r.StatusCode), ErrHTTPStatus)
		default:
			pf.Err = fmt.Errorf("page %s: %w", r.Request.URL, err)
		}
	})
	return &Pages{col: col, site: site}
}

// gunzipTransport decodes the gzip bodies colly would otherwise decode
// itself. colly caps the bytes it reads from the wire (MaxBodySize) and then
// gunzips all of them into memory, so a page of a few KiB served as
// "text/html; x=gzip", or at a .xml.gz path, could expand to gigabytes.
// Decoding here and marking the response Uncompressed puts colly's cap on
// the decoded bytes instead.
type gunzipTransport struct{ base http.RoundTripper }

func (t gunzipTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Uncompressed || !collyGunzips(resp) {
		return resp, err
	}
	resp.Body = &gunzipBody{raw: resp.Body}
	resp.Uncompressed = true
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length") // counted the compressed bytes
	resp.ContentLength = -1
	return resp, nil
}

// collyGunzips is colly's test (http_backend.go) for a body it gunzips.
func collyGunzips(resp *http.Response) bool {
	ce := strings.ToLower(resp.Header.Get("Content-Encoding"))
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	path := ""
	if resp.Request != nil {
		path = strings.ToLower(resp.Request.URL.Path)
	}
	return strings.Contains(ce, "gzip") || (ce == "" && strings.Contains(ct, "gzip")) || strings.HasSuffix(path, ".xml.gz")
}

// gunzipBody gunzips raw as it is read; the gzip header is read on the
// first Read, so RoundTrip does not wait for the body.
type gunzipBody struct {
	raw io.ReadCloser
	zr  *gzip.Reader
	err error
}

func (b *gunzipBody) Read(p []byte) (int, error) {
	if b.zr == nil && b.err == nil {
		b.zr, b.err = gzip.NewReader(b.raw)
		if b.err != nil {
			b.err = fmt.Errorf("gzip body: %w", b.err)
		}
	}
	if b.err != nil {
		return 0, b.err
	}
	return b.zr.Read(p)
}

func (b *gunzipBody) Close() error { return b.raw.Close() }

// ErrOutOfScope reports a redirect from a page to a URL outside the site's
// scope, which is not followed.
var ErrOutOfScope = errors.New("out of scope")

// fetch gets one page, conditionally if cond has validators.
func (f *Pages) Fetch(u string, cond Validators) *PageFetch {
	pf := &PageFetch{Serves: "page"}
	cctx := colly.NewContext()
	cctx.Put(pageFetchKey, pf)
	hdr := http.Header{}
	hdr.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	cond.set(hdr)
	err := f.col.Request(http.MethodGet, u, nil, cctx, hdr)
	switch {
	case pf.Serves != "page" || pf.NotModified || pf.Err != nil:
	case errors.Is(err, colly.ErrAbortedAfterHeaders):
	case err != nil:
		pf.Err = fmt.Errorf("page %s: %w", u, err)
	}
	return pf
}

// resolve makes ref absolute against the page (honouring <base href>) and
// returns nil for references that are not http(s) URLs.
func resolve(r *colly.Request, ref string) *url.URL {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(ref)), "data:") {
		return nil
	}
	abs := r.AbsoluteURL(ref)
	if abs == "" {
		return nil
	}
	u, err := url.Parse(abs)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	u.Fragment, u.RawFragment = "", ""
	return u
}
