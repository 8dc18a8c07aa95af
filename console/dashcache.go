package console

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"
)

// The dashboard is opened by everyone who logs in and polled by scripts.
// Its figures cost little to read (alerts keeps them with every write),
// but computing them, drawing the charts and rendering the page took a
// heavy slot of the gate, and on a loaded machine requests queued behind
// it (p99 331–452 ms with 16 clients, issue 14 item 8). So the console
// keeps each rendered dashboard — the page's content, or the API's JSON —
// per scope (a centre, or the national total), language, time zone and
// number of days, and answers from it without a slot of the gate for as
// long as nothing it shows has changed (a light slot was measured first:
// with one light slot on a 2-core machine at load 28, the kept dashboard
// waited with every light request, p99 1.16 s):
//
//   - the alert indexes: alerts.Store.FiguresVersion changes in the
//     transaction of every alert write that changes them, so the first
//     request after such a commit computes afresh;
//   - the centres shown (their names, and on the national total the list);
//   - the day in the viewer's zone (the chart's last bar);
//   - which notices are overdue, which changes with time alone: a kept
//     answer is used for at most dashMaxAge.
//
// The version is read before the figures, so a write that lands between
// the two leaves an answer tagged with the older version, recomputed at
// the next request: an answer is never kept past a change.

// dashMaxAge bounds how long a kept dashboard is used while no alert
// changes: the overdue notices' count moves with the clock.
const dashMaxAge = time.Minute

// dashMaxKept bounds the answers kept: scopes × languages × zones × days
// asked. Past it the cache starts over, which costs one computation per
// key asked again.
const dashMaxKept = 512

// dashKey is what one kept answer is for.
type dashKey struct {
	scope string // a centre's ID; "" the national total
	lang  string
	zone  string
	days  int
	api   bool
}

// dashStamp is what a kept answer was computed from; a request whose stamp
// differs computes afresh.
type dashStamp struct {
	version uint64 // alerts.Store.FiguresVersion
	centres string // the centres shown, IDs and names
	today   int64  // the viewer's midnight, Unix seconds
}

// dashAnswer is one kept answer: the page's content (HTML) or the JSON
// body.
type dashAnswer struct {
	stamp dashStamp
	at    time.Time
	body  []byte
}

// dashCache holds the kept dashboards; it is safe for concurrent use.
type dashCache struct {
	mu   sync.Mutex
	kept map[dashKey]dashAnswer
}

// get returns the answer kept for k if it was computed from stamp less than
// dashMaxAge before now.
func (c *dashCache) get(k dashKey, stamp dashStamp, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.kept[k]
	if !ok || a.stamp != stamp || now.Sub(a.at) >= dashMaxAge || now.Before(a.at) {
		return nil, false
	}
	return a.body, true
}

// put keeps body for k.
func (c *dashCache) put(k dashKey, stamp dashStamp, now time.Time, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kept == nil || len(c.kept) >= dashMaxKept {
		c.kept = map[dashKey]dashAnswer{}
	}
	c.kept[k] = dashAnswer{stamp: stamp, at: now, body: body}
}

// encodeJSON is v as writeJSON sends it.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
