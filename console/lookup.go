package console

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
)

// The lookup API (issue 16) is for partner platforms checking uploads
// before they go live: is this picture's PDQ hash (this video's frames)
// registered, and how near. It answers match and distance only — never a
// case, a label, a centre or a fingerprint ID — and it matches through
// the index's matcher with the same rule as crawled media (Config.Rule),
// among the fingerprints the caller's centre sees. A token of scope
// lookup can call these two routes and nothing else (tokenAllows).
//
// What is kept: per partner (the token's owner) and day, counts of
// requests, hashes, frames and matches (accounts.CountLookup) — never the
// hashes asked about. Limits: the body (Limits.LookupBytes), the hashes
// and frames of one request (LookupHashes, LookupFrames), and a rate per
// token (LookupPerSecond, lookupLimiter).
//
// The feed (GET /api/lookup/feed?since=) lets a partner keep a copy of
// the list: additions carry the hash (PDQ and quality; a video's frames
// as vPDQ lines) and an opaque ID, withdrawals the ID only (index.Feed).

// lookupRequest is the body of POST /api/lookup.
type lookupRequest struct {
	// PDQ are pictures' hashes: 64 hex digits, optionally ",quality".
	PDQ []string `json:"pdq"`
	// Videos are videos' frame lists, each frame a vPDQ line
	// "frame,quality,pdq-hex,timestamp".
	Videos []lookupVideo `json:"videos"`
}

type lookupVideo struct {
	Frames []string `json:"frames"`
	// Duration is the video's length in seconds; without it the video
	// ends one frame interval after its last frame.
	Duration float64 `json:"duration,omitempty"`
}

// lookupResult answers one picture hash. Distance is the PDQ distance to
// the nearest registered fingerprint the rule matched, present only when
// Match is true: a miss says nothing of how near the nearest is, so the
// API cannot be used to walk towards a registered hash.
type lookupResult struct {
	PDQ      string `json:"pdq"`
	Match    bool   `json:"match"`
	Distance *int   `json:"distance,omitempty"`
}

// lookupVideoResult answers one video: whether it shows a registered
// video (or a registered picture in a frame), the PDQ distance of the
// best match, and the share of the query's time that matched.
type lookupVideoResult struct {
	Frames     int      `json:"frames"`
	Match      bool     `json:"match"`
	Distance   *int     `json:"distance,omitempty"`
	QueryShare *float64 `json:"query_share,omitempty"`
}

type lookupAnswer struct {
	Results []lookupResult      `json:"results"`
	Videos  []lookupVideoResult `json:"videos,omitempty"`
}

func (s *Server) apiLookup(w http.ResponseWriter, r *http.Request, rq *request) error {
	var req lookupRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	frames := 0
	for _, v := range req.Videos {
		frames += len(v.Frames)
	}
	switch {
	case len(req.PDQ) == 0 && len(req.Videos) == 0:
		return refuse(http.StatusBadRequest, "err.lookup_empty")
	case len(req.PDQ) > s.limits.LookupHashes:
		return refuse(http.StatusRequestEntityTooLarge, "err.lookup_hashes", len(req.PDQ), s.limits.LookupHashes)
	case frames > s.limits.LookupFrames || len(req.Videos) > s.limits.LookupHashes:
		return refuse(http.StatusRequestEntityTooLarge, "err.lookup_frames", len(req.Videos), frames, s.limits.LookupFrames)
	}
	if ok, wait := s.lookups.take(s.lookupKey(rq), len(req.PDQ)+frames); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return refuse(http.StatusTooManyRequests, "err.lookup_rate", s.limits.LookupPerSecond, retrySeconds(wait))
	}
	ans := lookupAnswer{Results: make([]lookupResult, 0, len(req.PDQ))}
	matched := 0
	for i, text := range req.PDQ {
		h, err := hashing.ParsePDQ(text)
		if err != nil {
			return refuseWith(http.StatusBadRequest, err, "err.lookup_pdq", i)
		}
		ms, err := s.db.Index.MatchPDQ(r.Context(), h, s.rule)
		if err != nil {
			return err
		}
		res := lookupResult{PDQ: h.Hex()}
		if best, ok := s.nearest(rq, ms); ok {
			res.Match, res.Distance = true, &best.d
			matched++
		}
		ans.Results = append(ans.Results, res)
	}
	for i, v := range req.Videos {
		e := hashing.VideoEntry{}
		if v.Duration < 0 || v.Duration > 24*3600 || math.IsNaN(v.Duration) {
			return refuse(http.StatusBadRequest, "err.lookup_duration", i, v.Duration)
		}
		e.Duration = time.Duration(v.Duration * float64(time.Second))
		for j, line := range v.Frames {
			f, err := hashing.ParseVPDQLine(line)
			if err != nil {
				return refuseWith(http.StatusBadRequest, err, "err.lookup_frame", i, j)
			}
			f.Cropped = nil // a query's frames are matched as shown
			e.Frames = append(e.Frames, f)
		}
		res := lookupVideoResult{Frames: len(e.Frames)}
		if len(e.Frames) > 0 {
			ms, err := s.db.Index.Match(r.Context(), e.Fingerprint(), s.rule)
			if err != nil {
				return err
			}
			if best, ok := s.nearest(rq, ms); ok {
				res.Match, res.Distance = true, &best.d
				if best.share >= 0 {
					res.QueryShare = &best.share
				}
				matched++
			}
		}
		ans.Videos = append(ans.Videos, res)
	}
	if err := s.db.Accounts.CountLookup(r.Context(), rq.user.Name, len(req.PDQ)+len(req.Videos), frames, matched); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

type lookupBest struct {
	d     int
	share float64 // -1 for a picture
}

// nearest is the best of ms the caller's centre may see: the smallest PDQ
// distance, and for a video the largest share of the query matched.
func (s *Server) nearest(rq *request, ms []index.Match) (lookupBest, bool) {
	best, found := lookupBest{d: math.MaxInt, share: -1}, false
	for _, m := range ms {
		if !rq.sees(m.Centre) {
			continue
		}
		d := m.Evidence.Distance
		if pd, ok := m.Evidence.Distances[hashing.PDQ]; ok {
			d = pd
		}
		found = true
		best.d = min(best.d, d)
		if m.Video != nil {
			best.share = max(best.share, m.Video.QueryShare)
		}
	}
	return best, found
}

// lookupKey is what the lookup rate is counted against: the API token, or
// for a console session its user.
func (s *Server) lookupKey(rq *request) string {
	if rq.token != nil {
		return "token:" + rq.token.ID
	}
	return "user:" + rq.user.Name
}

// feedItemJSON is one entry of the feed. An addition carries the hash — a
// picture's PDQ and quality, or a video's frames as vPDQ lines — and the
// ID the feed names it by; a removal the ID only. Nothing else: no case,
// label, centre or time of registration.
type feedItemJSON struct {
	Op      string   `json:"op"` // add or remove
	ID      uint64   `json:"id"`
	PDQ     string   `json:"pdq,omitempty"`
	Quality *int     `json:"quality,omitempty"`
	Frames  []string `json:"frames,omitempty"`
	// Duration is a video's length in seconds.
	Duration float64 `json:"duration,omitempty"`
}

type feedJSON struct {
	// Reset: drop the local copy; this page starts a full list.
	Reset   bool           `json:"reset"`
	Changes []feedItemJSON `json:"changes"`
	// Next is the since of the next request; More says to ask again at
	// once.
	Next string `json:"next"`
	More bool   `json:"more"`
}

func (s *Server) apiLookupFeed(w http.ResponseWriter, r *http.Request, rq *request) error {
	since := r.URL.Query().Get("since")
	if len(since) > 64 {
		return refuse(http.StatusBadRequest, "err.lookup_since")
	}
	if ok, wait := s.lookups.take(s.lookupKey(rq), 1); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return refuse(http.StatusTooManyRequests, "err.lookup_rate_feed", retrySeconds(wait))
	}
	page, err := s.db.Index.Feed(since, s.limits.LookupFeedPage, rq.user.Centre)
	if err != nil {
		return err
	}
	out := feedJSON{Reset: page.Reset, Changes: make([]feedItemJSON, 0, len(page.Items)), Next: page.Next, More: page.More}
	for _, it := range page.Items {
		j := feedItemJSON{Op: it.Op, ID: it.Fingerprint}
		if it.Print != nil {
			fp := it.Print.Print
			if fp.Kind == hashing.KindVideo && len(fp.Frames) > 0 {
				v := hashing.VideoEntryOf(fp, "")
				for _, f := range v.Frames {
					j.Frames = append(j.Frames, f.String())
				}
				j.Duration = math.Round(fp.Duration.Seconds()*1000) / 1000
			} else if h, ok := fp.SharedPDQ(); ok {
				j.PDQ, j.Quality = h.Hex(), &h.Quality
			} else {
				continue
			}
		}
		out.Changes = append(out.Changes, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// isLookupRoute reports whether a route is the lookup API's, whose bodies
// take Limits.LookupBytes rather than the form limit.
func isLookupRoute(path string) bool {
	return path == "/api/lookup" || strings.HasPrefix(path, "/api/lookup/")
}

// lookupLimiter is a token bucket per key (an API token): each key may
// spend perSecond hashes or frames a second, up to burst at once. Memory
// is bounded: at most maxLimiterKeys keys, the fullest (idle longest)
// dropped first — a dropped key starts full again, which only ever
// favours a partner that was idle.
type lookupLimiter struct {
	perSecond, burst float64
	now              func() time.Time
	mu               sync.Mutex
	keys             map[string]*lookupBucket
}

type lookupBucket struct {
	tokens float64
	at     time.Time
}

// maxLookupKeys bounds the limiter's memory.
const maxLookupKeys = 10000

func newLookupLimiter(perSecond, burst int, now func() time.Time) *lookupLimiter {
	return &lookupLimiter{perSecond: float64(perSecond), burst: float64(burst), now: now,
		keys: map[string]*lookupBucket{}}
}

// take spends n from key's bucket, or says how long until it could.
func (l *lookupLimiter) take(key string, n int) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= maxLookupKeys {
			l.evict(now)
		}
		b = &lookupBucket{tokens: l.burst, at: now}
		l.keys[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.perSecond)
	b.at = now
	cost := math.Min(float64(n), l.burst) // a request as large as allowed always fits a full bucket
	if b.tokens < cost {
		return false, time.Duration((cost - b.tokens) / l.perSecond * float64(time.Second))
	}
	b.tokens -= cost
	return true, 0
}

// evict drops the keys that have refilled completely, or, if none has,
// the one idle longest.
func (l *lookupLimiter) evict(now time.Time) {
	var oldest string
	var at time.Time
	for k, b := range l.keys {
		if b.tokens+now.Sub(b.at).Seconds()*l.perSecond >= l.burst {
			delete(l.keys, k)
			continue
		}
		if oldest == "" || b.at.Before(at) {
			oldest, at = k, b.at
		}
	}
	if len(l.keys) >= maxLookupKeys {
		delete(l.keys, oldest)
	}
}

// retrySeconds is how long a caller waits before retrying, in whole
// seconds (at least one).
func retrySeconds(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}
