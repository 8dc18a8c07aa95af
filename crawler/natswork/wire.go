package natswork

import (
	"encoding/json"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/hashing"
)

// jobMsg is a job as it sits in the work stream.
type jobMsg struct {
	// Epoch names the coordinator process that dispatched it; Key the
	// dispatch, unique within the epoch.
	Epoch string    `json:"epoch"`
	Key   uint64    `json:"key"`
	Job   *work.Job `json:"job"`
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
}

// matchReply answers a match request; WantPreview asks the worker for the
// blurred preview of bytes that matched and have none stored.
type matchReply struct {
	Hash        crawlstate.HashResult `json:"hash"`
	WantPreview bool                  `json:"want_preview"`
	Err         string                `json:"err,omitempty"`
	Unavailable bool                  `json:"unavailable,omitempty"`
}

// encodeMatchRequest is a match request as it travels.
func encodeMatchRequest(r *matchRequest) ([]byte, error) { return json.Marshal(r) }

// decodeMatchRequest reads a match request encodeMatchRequest wrote.
func decodeMatchRequest(data []byte, r *matchRequest) error { return json.Unmarshal(data, r) }
