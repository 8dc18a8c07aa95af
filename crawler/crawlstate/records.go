package crawlstate

import (
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// PageRecord is what a crawler learnt about one page URL of a site: the
// validators for a conditional request next pass, and what the page refers
// to, so that a page answered with 304 Not Modified still leads the crawl to
// its links and media.
type PageRecord struct {
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Serves is what the URL turned out to serve: "page", or "media" /
	// "video" for a link without a media extension whose Content-Type said
	// so, which later passes hand straight to the media path.
	Serves string   `json:"serves,omitempty"`
	Final  string   `json:"final,omitempty"`
	Links  []string `json:"links,omitempty"`
	Media  []string `json:"media,omitempty"`
	Videos []string `json:"videos,omitempty"`
	// Pass is the pass that last fetched or revalidated the page.
	Pass    uint64    `json:"pass"`
	Checked time.Time `json:"checked"`
}

// MediaRecord is what a crawler learnt about one media URL of a site: its
// validators and the SHA-256 of the bytes it served, which keys the
// HashResult, so an unchanged file is neither downloaded nor decoded again.
type MediaRecord struct {
	URL          string         `json:"url"`
	ETag         string         `json:"etag,omitempty"`
	LastModified string         `json:"last_modified,omitempty"`
	SHA256       hashing.SHA256 `json:"sha256,omitzero"`
	Size         int64          `json:"size,omitempty"`
	FinalURL     string         `json:"final_url,omitempty"`
	Status       int            `json:"status,omitempty"`
	// TooLarge is the size in bytes of a file skipped for being over the
	// site's limit (0 if it was not).
	TooLarge int64 `json:"too_large,omitempty"`
	// Pass is the pass that last fetched or revalidated the file; within
	// that pass it is not requested again.
	Pass    uint64    `json:"pass"`
	Checked time.Time `json:"checked"`
}

// VideoRecord is a video URL a crawl found, and the page it was last found
// on: kept whether or not the crawler fingerprints videos (Crawler.Video),
// so analysts can see what a site shows. The work of fetching and
// fingerprinting a video is a frontier item (FrontierVideo), not this
// record.
type VideoRecord struct {
	URL       string    `json:"url"`
	Page      string    `json:"page"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// HashResult is what one file's bytes (by SHA-256) were found to be: the
// registered fingerprints they matched under a rule, or why they could not
// be fingerprinted. It holds no hashes of the file and none of its bytes.
type HashResult struct {
	SHA256 hashing.SHA256 `json:"-"`
	// Rule is the match rule (hashing.Rule.String) the matches were found
	// under; a result under another rule is stale.
	Rule string `json:"rule,omitempty"`
	// Watermark is the highest fingerprint ID registered before matching
	// began (FingerprintWatermark); fingerprints registered later were not
	// compared, so the result is stale once the watermark moves on.
	Watermark uint64        `json:"watermark"`
	Matches   []index.Match `json:"matches,omitempty"`
	// Failure is the kind of error ("corrupt", "unsupported", "too_large")
	// when the bytes could not be fingerprinted; that does not depend on
	// the registered fingerprints, so it never goes stale.
	Failure string    `json:"failure,omitempty"`
	Message string    `json:"message,omitempty"`
	Checked time.Time `json:"checked"`
}

// Fresh reports whether r still answers for the registered fingerprints up
// to watermark under rule.
func (r HashResult) Fresh(rule string, watermark uint64) bool {
	if r.Failure != "" {
		return true
	}
	return r.Rule == rule && r.Watermark >= watermark
}

// PageRecord returns the site's record of a page URL; ok is false if it was
// never fetched.
func (cs *Store) PageRecord(site, url string) (r PageRecord, ok bool, err error) {
	ok, err = cs.getRecord(site, sitePages, pageCodec, url, &r)
	return r, ok, err
}

// MediaRecord returns the site's record of a media URL; ok is false if it
// was never fetched.
func (cs *Store) MediaRecord(site, url string) (r MediaRecord, ok bool, err error) {
	ok, err = cs.getRecord(site, siteMedia, mediaCodec, url, &r)
	return r, ok, err
}

func (cs *Store) getRecord(site string, sub []byte, c *store.Codec, key string, v any) (ok bool, err error) {
	err = cs.st.View(func(tx *bolt.Tx) error {
		b, err := crawlSite(tx, site, sub)
		if err != nil || b == nil {
			return err
		}
		raw := b.Get([]byte(key))
		if raw == nil {
			return nil
		}
		ok = true
		return c.Decode(raw, v)
	})
	if err != nil {
		return false, fmt.Errorf("site %s %s record %s: %w", site, sub, key, err)
	}
	return ok, nil
}

// Videos lists the video URLs found on a site, oldest URL first by key.
func (cs *Store) Videos(site string) ([]VideoRecord, error) {
	var out []VideoRecord
	err := cs.st.View(func(tx *bolt.Tx) error {
		b, err := crawlSite(tx, site, siteVideos)
		if err != nil || b == nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var r VideoRecord
			if err := videoCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("video %s: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// HashResult returns what the bytes with SHA-256 sum were found to be; ok is
// false if they were never fingerprinted.
func (cs *Store) HashResult(sum hashing.SHA256) (r HashResult, ok bool, err error) {
	err = cs.st.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketCrawlState)
		if root == nil {
			return nil
		}
		b := root.Bucket(crawlSHA)
		if b == nil {
			return nil
		}
		raw := b.Get(sum[:])
		if raw == nil {
			return nil
		}
		ok = true
		return hashCodec.Decode(raw, &r)
	})
	if err != nil {
		return HashResult{}, false, fmt.Errorf("hash result %s: %w", sum.String(), err)
	}
	r.SHA256 = sum
	return r, ok, nil
}

func putHashes(tx *bolt.Tx, rs []HashResult) error {
	if len(rs) == 0 {
		return nil
	}
	root, err := tx.CreateBucketIfNotExists(bucketCrawlState)
	if err != nil {
		return err
	}
	b, err := root.CreateBucketIfNotExists(crawlSHA)
	if err != nil {
		return err
	}
	for _, r := range rs {
		v, err := hashCodec.Encode(r)
		if err != nil {
			return err
		}
		if err := b.Put(r.SHA256[:], v); err != nil {
			return err
		}
	}
	return nil
}

// putVideos adds or refreshes video records, keeping when each was first
// seen.
func putVideos(tx *bolt.Tx, site string, rs []VideoRecord) error {
	if len(rs) == 0 {
		return nil
	}
	b, err := crawlSite(tx, site, siteVideos)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.URL == "" {
			return fmt.Errorf("video record without URL: %w", store.ErrInvalid)
		}
		if old := b.Get([]byte(r.URL)); old != nil {
			var prev VideoRecord
			if err := videoCodec.Decode(old, &prev); err == nil && !prev.FirstSeen.IsZero() {
				r.FirstSeen = prev.FirstSeen
			}
		}
		v, err := videoCodec.Encode(r)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(r.URL), v); err != nil {
			return err
		}
	}
	return nil
}
