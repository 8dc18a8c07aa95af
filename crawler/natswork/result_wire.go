package natswork

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/index"
)

// The binary forms of protocol 3: a crawl result (resultMsg), which the
// coordinator decodes once per item, and a lookup request, once per
// medium. As JSON they took the larger part of the coordinator's decoding
// time after protocol 2's match requests; here decoding is a walk over
// the bytes, in the layout of fingerprint_wire.go (version byte, then the
// fields in order, varints, length-prefixed strings and lists).
//
// A match result's Matches (registered fingerprints the bytes matched:
// rare, and of a rich shape) travel as their JSON, length-prefixed; every
// other field is binary. A JSON message (protocol 1 and 2 workers) starts
// with '{' and is still read.
const (
	resultMsgV3     byte = 3
	lookupRequestV3 byte = 3
)

// encodeResult is a result as it travels to a coordinator of protocol
// proto.
func encodeResult(rm *resultMsg, proto int) ([]byte, error) {
	if proto < 3 {
		return json.Marshal(rm)
	}
	return appendResultMsg(make([]byte, 0, 512), rm)
}

// decodeResult reads a result of any protocol.
func decodeResult(data []byte, rm *resultMsg) error {
	if len(data) > 0 && data[0] == '{' {
		return json.Unmarshal(data, rm)
	}
	return parseResultMsg(data, rm)
}

// encodeLookup is a lookup request as it travels to a coordinator of
// protocol proto.
func encodeLookup(r *work.ResolveRequest, proto int) ([]byte, error) {
	if proto < 3 {
		return json.Marshal(r)
	}
	return appendResolveRequest(append(make([]byte, 0, 128), lookupRequestV3), r), nil
}

// decodeLookup reads a lookup request of any protocol.
func decodeLookup(data []byte, r *work.ResolveRequest) error {
	if len(data) > 0 && data[0] == '{' {
		return json.Unmarshal(data, r)
	}
	d := wireReader{b: data}
	if v := d.byte(); v != lookupRequestV3 {
		return fmt.Errorf("lookup request: version %d, want %d", v, lookupRequestV3)
	}
	readResolveRequest(&d, r)
	return d.end("lookup request")
}

// appendResolveRequest appends r's fields (a match request's first ones
// too).
func appendResolveRequest(b []byte, q *work.ResolveRequest) []byte {
	b = appendString(b, q.Site)
	b = binary.AppendUvarint(b, q.Pass)
	b = appendString(b, q.What)
	b = appendString(b, q.URL)
	b = append(b, q.SHA256[:]...)
	return binary.AppendUvarint(b, q.Watermark)
}

func readResolveRequest(d *wireReader, q *work.ResolveRequest) {
	q.Site = d.string()
	q.Pass = d.uvarint()
	q.What = d.string()
	q.URL = d.string()
	d.sum(&q.SHA256)
	q.Watermark = d.uvarint()
}

// end reports the first read error, or bytes left after the message.
func (d *wireReader) end(what string) error {
	if d.err != nil {
		return fmt.Errorf("%s: %w", what, d.err)
	}
	if len(d.b) > 0 {
		return fmt.Errorf("%s: %d bytes after its end", what, len(d.b))
	}
	return nil
}

// Result flags, one bit each.
const (
	resCancelled = 1 << iota
	resRetry
	resParked
	resDenied
	resRobotsBlocked
	resPage
	resMedia
)

// Page result flags.
const (
	pageNotModified = 1 << iota
	pageErr
)

func appendResultMsg(b []byte, rm *resultMsg) ([]byte, error) {
	b = append(b, resultMsgV3)
	b = appendString(b, rm.Epoch)
	b = binary.AppendUvarint(b, rm.Key)
	b = appendString(b, rm.Worker)
	r := &rm.Result
	b = appendString(b, r.Site)
	b = binary.AppendUvarint(b, r.Pass)
	it := &r.Item
	b = append(b, byte(it.Kind))
	b = appendString(b, it.URL)
	b = appendString(b, it.Page)
	b = binary.AppendVarint(b, int64(it.Depth))
	b = appendBool(b, it.Visited)
	b = binary.AppendUvarint(b, it.ID)
	var flags byte
	for _, f := range []struct {
		on  bool
		bit byte
	}{{r.Cancelled, resCancelled}, {r.Retry, resRetry}, {r.Parked, resParked}, {r.Denied, resDenied},
		{r.RobotsBlocked, resRobotsBlocked}, {r.Page != nil, resPage}, {r.Media != nil, resMedia}} {
		if f.on {
			flags |= f.bit
		}
	}
	b = append(b, flags)
	b = appendString(b, r.ParkReason)
	b = appendString(b, r.Worker)
	b = binary.AppendUvarint(b, uint64(len(r.Errors)))
	for i := range r.Errors {
		b = appendResultError(b, &r.Errors[i])
	}
	// In key order, so that one result always has one form.
	keys := make([]string, 0, len(r.Recovered))
	for k := range r.Recovered {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = binary.AppendVarint(b, int64(r.Recovered[k]))
	}
	if p := r.Page; p != nil {
		var pf byte
		if p.NotModified {
			pf |= pageNotModified
		}
		if p.Err != nil {
			pf |= pageErr
		}
		b = append(b, pf)
		b = appendString(b, p.Serves)
		b = appendString(b, p.Final)
		b = appendString(b, p.ETag)
		b = appendString(b, p.LastModified)
		b = binary.AppendVarint(b, int64(p.Bytes))
		for _, l := range [][]string{p.Links, p.VisitedLinks, p.Media, p.Videos} {
			b = appendStrings(b, l)
		}
		b = binary.AppendVarint(b, int64(p.Dropped))
		if p.Err != nil {
			b = appendResultError(b, p.Err)
		}
	}
	if m := r.Media; m != nil {
		b = appendString(b, m.Outcome)
		b = appendString(b, m.ETag)
		b = appendString(b, m.LastModified)
		b = appendString(b, m.FinalURL)
		b = binary.AppendVarint(b, int64(m.Status))
		b = binary.AppendVarint(b, m.Size)
		b = binary.AppendVarint(b, m.Bytes)
		b = append(b, m.SHA256[:]...)
		h := &m.Hash // its SHA256 is not sent, as in JSON
		b = appendString(b, h.Rule)
		b = binary.AppendUvarint(b, h.Watermark)
		var matches []byte
		if len(h.Matches) > 0 {
			var err error
			if matches, err = json.Marshal(h.Matches); err != nil {
				return nil, fmt.Errorf("result matches: %w", err)
			}
		}
		b = appendString(b, string(matches))
		b = appendString(b, h.Failure)
		b = appendString(b, h.Message)
		b = appendTime(b, h.Checked)
		b = appendString(b, string(m.Preview))
		b = appendBool(b, m.Err != nil)
		if m.Err != nil {
			b = appendResultError(b, m.Err)
		}
	}
	return b, nil
}

func parseResultMsg(data []byte, rm *resultMsg) error {
	d := wireReader{b: data}
	if v := d.byte(); v != resultMsgV3 {
		return fmt.Errorf("crawl result: version %d, want %d", v, resultMsgV3)
	}
	*rm = resultMsg{}
	rm.Epoch = d.string()
	rm.Key = d.uvarint()
	rm.Worker = d.string()
	r := &rm.Result
	r.Site = d.string()
	r.Pass = d.uvarint()
	it := &r.Item
	it.Kind = work.ItemKind(d.byte())
	it.URL = d.string()
	it.Page = d.string()
	it.Depth = int(d.varint())
	it.Visited = d.byte() == 1
	it.ID = d.uvarint()
	flags := d.byte()
	r.Cancelled, r.Retry, r.Parked = flags&resCancelled != 0, flags&resRetry != 0, flags&resParked != 0
	r.Denied, r.RobotsBlocked = flags&resDenied != 0, flags&resRobotsBlocked != 0
	r.ParkReason = d.string()
	r.Worker = d.string()
	// A result error takes at least its three lengths.
	if n := d.count(3); n > 0 {
		r.Errors = make([]work.ResultError, n)
		for i := range r.Errors {
			readResultError(&d, &r.Errors[i])
		}
	}
	if n := d.count(2); n > 0 {
		r.Recovered = make(map[string]int, n)
		for range n {
			k := d.string()
			r.Recovered[k] = int(d.varint())
		}
	}
	if flags&resPage != 0 {
		p := &work.PageResult{}
		r.Page = p
		pf := d.byte()
		p.NotModified = pf&pageNotModified != 0
		p.Serves = name(&d, "page", "media", "video")
		p.Final = d.string()
		p.ETag = d.string()
		p.LastModified = d.string()
		p.Bytes = int(d.varint())
		for _, l := range []*[]string{&p.Links, &p.VisitedLinks, &p.Media, &p.Videos} {
			*l = d.strings()
		}
		p.Dropped = int(d.varint())
		if pf&pageErr != 0 {
			p.Err = &work.ResultError{}
			readResultError(&d, p.Err)
		}
	}
	if flags&resMedia != 0 {
		m := &crawler.MediaResult{}
		r.Media = m
		m.Outcome = name(&d, work.MediaFetched, work.MediaNotModified, work.MediaVideo, work.MediaTooLarge, work.MediaError)
		m.ETag = d.string()
		m.LastModified = d.string()
		m.FinalURL = d.string()
		m.Status = int(d.varint())
		m.Size = d.varint()
		m.Bytes = d.varint()
		d.sum(&m.SHA256)
		h := &m.Hash
		h.Rule = d.string()
		h.Watermark = d.uvarint()
		if matches := d.take(d.count(1)); len(matches) > 0 {
			var ms []index.Match
			if err := json.Unmarshal(matches, &ms); err != nil {
				return fmt.Errorf("crawl result: matches: %w", err)
			}
			h.Matches = ms
		}
		h.Failure = d.string()
		h.Message = d.string()
		h.Checked = d.time()
		if pv := d.take(d.count(1)); len(pv) > 0 {
			m.Preview = append([]byte(nil), pv...)
		}
		if d.byte() == 1 {
			m.Err = &work.ResultError{}
			readResultError(&d, m.Err)
		}
	}
	return d.end("crawl result")
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

func appendResultError(b []byte, e *work.ResultError) []byte {
	b = appendString(b, e.Kind)
	b = appendString(b, e.URL)
	return appendString(b, e.Message)
}

func readResultError(d *wireReader, e *work.ResultError) {
	e.Kind = d.string()
	e.URL = d.string()
	e.Message = d.string()
}

// appendTime keeps an instant to the nanosecond (as UTC, which is how
// results carry their times); the zero time stays zero.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

func (d *wireReader) time() time.Time {
	if d.byte() != 1 {
		return time.Time{}
	}
	s := d.varint()
	ns := d.uvarint()
	if ns >= uint64(time.Second) {
		d.fail(errTruncated)
		return time.Time{}
	}
	return time.Unix(s, int64(ns)).UTC()
}

// strings reads a list of strings (nil when empty, as JSON's omitempty
// leaves it).
func (d *wireReader) strings() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.string()
	}
	return ss
}
