package natswork

import (
	"sync"

	"github.com/hashwatch/hashwatch/crawler/work"
)

// Asking before fingerprinting: a worker asks the coordinator whether
// bytes are known (hw.central.lookup) before it fingerprints them, and
// sends the fingerprint (hw.central.match) only when they are not. The
// match request is the lookup's superset: the coordinator answers it from
// what it knows of the bytes (the pass's own result for them, or a stored
// result still valid) before it looks at the fingerprint, exactly as it
// answers a lookup. So while a pass's lookups keep answering "not known"
// (a first pass over a site, where nearly every picture is new), a worker
// sends the match request alone: two messages and a bbolt read fewer per
// medium for the coordinator, the one process that does not scale out.
// What it can cost is a picture fingerprinted in vain, when the
// coordinator knew it after all; so the worker keeps asking first for one
// picture in lookupProbeEvery, and asks first again for every picture
// once those asks find known bytes often (lookupSkipBelow). Videos, whose
// fingerprint costs seconds of ffmpeg, are always asked about first.

const (
	// lookupSkipBelow is the share of lookups answered "known", as the
	// worker estimates it for a site's pass, below which it skips them.
	lookupSkipBelow = 1.0 / 8
	// lookupProbeEvery is how often a skipping worker still asks first,
	// to notice when known bytes come back.
	lookupProbeEvery = 8
	// lookupWeight is the weight of one lookup's answer in the estimate
	// (an exponential moving average that starts at "always known").
	lookupWeight = 1.0 / 8
)

// lookupOdds estimates, per site and pass, how often a worker's lookups
// find the bytes known.
type lookupOdds struct {
	mu    sync.Mutex
	sites map[string]*siteOdds
}

type siteOdds struct {
	pass    uint64
	known   float64 // the estimate
	skipped int     // pictures sent without a lookup since the last one
}

// ask says whether to look bytes up before fingerprinting them.
func (o *lookupOdds) ask(r work.ResolveRequest) bool {
	if o == nil || r.What != "media" {
		return true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.site(r)
	if s.known >= lookupSkipBelow || s.skipped+1 >= lookupProbeEvery {
		s.skipped = 0
		return true
	}
	s.skipped++
	return false
}

// answered records a lookup's answer.
func (o *lookupOdds) answered(r work.ResolveRequest, known bool) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.site(r)
	v := 0.0
	if known {
		v = 1
	}
	s.known += lookupWeight * (v - s.known)
}

// site is r's site's odds, started afresh for a new pass. Called with mu
// held.
func (o *lookupOdds) site(r work.ResolveRequest) *siteOdds {
	if o.sites == nil {
		o.sites = map[string]*siteOdds{}
	}
	s := o.sites[r.Site]
	if s == nil || s.pass != r.Pass {
		s = &siteOdds{pass: r.Pass, known: 1}
		o.sites[r.Site] = s
	}
	return s
}
