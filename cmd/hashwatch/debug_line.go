package main

// loopLine is one line of `debug write-loop` (debug.go, built only with
// -tags hashwatch_debug), here so that the crash test reads what the tool
// writes in the same type: a change about to be made
// ("begin") or committed and fsynced ("ack"). The crash test kills the
// process at random and checks that every acknowledged change survived and
// that the one in flight is wholly there or wholly absent.
type loopLine struct {
	Op    string `json:"op"`    // register, alert, withdraw
	State string `json:"state"` // begin, ack
	Case  string `json:"case"`
	// Count is the number of fingerprints registered (register) or deleted
	// (withdraw).
	Count        int      `json:"count"`
	Fingerprints []uint64 `json:"fingerprints,omitempty"` // register ack
	Fingerprint  uint64   `json:"fingerprint,omitempty"`  // alert
	MediaSHA256  string   `json:"media_sha256,omitempty"` // alert
	Alert        uint64   `json:"alert,omitempty"`        // alert ack
}
