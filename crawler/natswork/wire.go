package natswork

import (
	"encoding/json"
	"slices"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// Protocol is the version of the messages between coordinator and
// workers that this build speaks. Every job carries its coordinator's
// (jobMsg.Proto), and a worker answers in the form that version reads, so
// a coordinator and workers of different builds work together during an
// upgrade:
//
//   - 1 (no proto in the job): every message JSON.
//   - 2: match requests in a binary form (fingerprint_wire.go), a third
//     of the size and a fraction of the coordinator's decoding time. A
//     protocol 2 coordinator still reads protocol 1 workers' JSON
//     requests.
//   - 3: crawl results and lookup requests in a binary form too
//     (result_wire.go), and a result handed to the coordinator as a
//     request (hw.central.result, answered once handed over) rather than
//     through the result stream, which spares the NATS server storing,
//     delivering and acking it. A protocol 3 coordinator still reads the
//     JSON lookups and the results (from the stream) of protocol 1 and 2
//     workers.
//   - 4: match requests carry the worker's part in the geometric
//     verifier (matchRequestV4): when the rule needs the query's corner
//     set for a candidate, the coordinator answers NeedFeatures with the
//     corner finder's configuration; the worker, which still holds the
//     bytes, makes the set and asks again with it (or says why it could
//     not). A protocol 4 coordinator still reads protocol 2 and 3 match
//     requests, whose matches the verifier then leaves unchecked.
//   - 5: a worker hands its results over in batches (batch.go): one
//     hw.central.result request carries several, gathered for at most
//     resultGather while the worker's other jobs may add to them, and
//     each job is acked once the request carrying its result is
//     answered. A protocol 5 coordinator still reads the single results
//     of protocol 3 and 4 workers. Query video frames carry a band strip
//     (package hashing/video) after the three strips of protocol 4; to an
//     older coordinator a worker sends them without it
//     (video.QueryFramesBeforeBand), so that it is not read as the
//     frame's inset.
//   - 6: at a host whose turns no delay spaces, a worker asks the
//     coordinator for a lease of several of the host's parallelism slots
//     for a few seconds (gateRequest.Want, gate.go) rather than a turn
//     per request, and gives them back in one message. A protocol 6
//     coordinator still grants a turn to an ask without Want (protocol 5
//     workers); a protocol 5 coordinator answers an ask with Want with a
//     turn, and a protocol 6 worker then asks turns per request. Later
//     within 6, a worker asks for a lease on hw.gate.ask, in attempts
//     that carry the ask's ID and are each answered within askPoll
//     (gate.go), so that an ask a killed coordinator took is asked again
//     and a lease its worker never got goes back. It needs no new
//     version: a coordinator that predates it has no responder on
//     hw.gate.ask, which the NATS server tells the worker at once, and
//     the worker then asks on hw.gate.acquire as before; a coordinator
//     answers asks there still.
//   - 7: a query picture carries its own mirror image as a view
//     (hashing.ViewMirrored), which the rule compares with registered
//     crop views only and puts to the verifier. To an older coordinator,
//     whose rule would compare it with every registered view, a worker
//     sends the picture without it (viewsFor).
//   - 8: a query picture's cuts (hashing's cut-… views) are cut at all
//     four sides, by 6, 12 and 18%, from the picture as served; the rule
//     compares them only with the registered corner crops of 10% or more
//     on their side and, at the top and bottom, the whole picture
//     (hashing.CutMeets), and puts every match through one to the
//     verifier. An older coordinator's rule would compare them with every
//     registered view and check none, which on the pool's tune split
//     raised the false alerts from 54 to 639, so a worker sends it the
//     picture without its cuts (viewsFor); the caption bands it detects
//     still travel.
//   - 9: a query picture carries its halves and quarters as views
//     (hashing's part-… views), which the rule compares only with the
//     registered picture's whole views (hashing.PartMeets) and puts to
//     the verifier. An older coordinator's rule would compare them with
//     every registered view and check none, so a worker sends it the
//     picture without them (viewsFor).
//
// A job from a coordinator newer than the worker is refused with an
// error that says to upgrade the worker (handle), and handed back to the
// queue for another worker.
const Protocol = 9

// jobMsg is a job as it sits in the work stream.
type jobMsg struct {
	// Epoch names the coordinator process that dispatched it; Key the
	// dispatch, unique within the epoch.
	Epoch string    `json:"epoch"`
	Key   uint64    `json:"key"`
	Job   *work.Job `json:"job"`
	// Proto is the dispatching coordinator's Protocol (0: protocol 1).
	Proto int `json:"proto,omitempty"`
}

// resultMsg is a result as it sits in the result stream.
type resultMsg struct {
	Epoch  string         `json:"epoch"`
	Key    uint64         `json:"key"`
	Worker string         `json:"worker"`
	Result crawler.Result `json:"result"`
}

// lookupReply answers a worker's hw.central.lookup request.
type lookupReply struct {
	Hash crawlstate.HashResult `json:"hash"`
	OK   bool                  `json:"ok"`
	// Err is set when the coordinator could not answer; Unavailable when
	// the pass is not running here (the worker retries the job later).
	Err         string `json:"err,omitempty"`
	Unavailable bool   `json:"unavailable,omitempty"`
}

// matchRequest is a worker's hw.central.match request: the fingerprint of
// bytes, or why they could not be fingerprinted.
type matchRequest struct {
	Req         work.ResolveRequest `json:"req"`
	Fingerprint hashing.Fingerprint `json:"fingerprint"`
	Failure     *work.ResultError   `json:"failure,omitempty"`
	TookNanos   int64               `json:"took_ns"`
	// CanSendFeatures says the worker makes a corner set when asked (a
	// protocol 4 request); the set itself travels as
	// Fingerprint.Features. FeaturesErr says why the worker could not
	// make it. Neither travels in JSON (protocol 1).
	CanSendFeatures bool   `json:"-"`
	FeaturesErr     string `json:"-"`
}

// matchReply answers a match request; WantPreview asks the worker for the
// blurred preview of bytes that matched and have none stored.
type matchReply struct {
	Hash        crawlstate.HashResult `json:"hash"`
	WantPreview bool                  `json:"want_preview"`
	Err         string                `json:"err,omitempty"`
	Unavailable bool                  `json:"unavailable,omitempty"`
	// NeedFeatures (protocol 4) asks the worker for the query's corner
	// set under this configuration and the same request again with it.
	// Err and Unavailable are set too, so an older worker tries the job
	// again later rather than fail it.
	NeedFeatures *features.Config `json:"need_features,omitempty"`
}

// encodeMatchRequest is a match request as it travels to a coordinator of
// protocol proto.
func encodeMatchRequest(r *matchRequest, proto int) ([]byte, error) {
	if proto < 5 && len(r.Fingerprint.Frames) > 0 {
		// Query frames gained a band strip with protocol 5; an older
		// coordinator would take it for the frame's inset.
		old := *r
		old.Fingerprint.Frames = video.QueryFramesBeforeBand(r.Fingerprint.Frames)
		r = &old
	}
	if views := viewsFor(r.Fingerprint.Views, proto); len(views) != len(r.Fingerprint.Views) {
		old := *r
		old.Fingerprint.Views = views
		r = &old
	}
	switch {
	case proto < 2:
		return json.Marshal(r)
	case proto < 4:
		return appendMatchRequest(make([]byte, 0, 1024), r, matchRequestV2)
	}
	return appendMatchRequest(make([]byte, 0, 1024), r, matchRequestV4)
}

// viewsFor returns the query views a coordinator of protocol proto is
// sent: without the query's mirror image before protocol 7, and without
// its cuts before protocol 8, and without its halves and quarters before
// protocol 9, whose rules would compare them with every registered view.
// It shares views' array when nothing is left out.
func viewsFor(views []hashing.View, proto int) []hashing.View {
	drop := func(v hashing.View) bool {
		_, cut := hashing.CutSide(v.Name)
		return (proto < 7 && v.Name == hashing.ViewMirrored) || (proto < 8 && cut) ||
			(proto < 9 && hashing.IsPart(v.Name))
	}
	if !slices.ContainsFunc(views, drop) {
		return views
	}
	return slices.DeleteFunc(slices.Clone(views), drop)
}

// decodeMatchRequest reads a match request of either protocol: JSON
// (protocol 1 workers) starts with '{', the binary form with its version.
func decodeMatchRequest(data []byte, r *matchRequest) error {
	if len(data) > 0 && data[0] == '{' {
		return json.Unmarshal(data, r)
	}
	return parseMatchRequest(data, r)
}
