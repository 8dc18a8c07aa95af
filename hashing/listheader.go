package hashing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The formats of the lists hashwatch exchanges, as the header names them.
const (
	// FormatPDQList is a picture list: "hex,quality[,label]" per line.
	FormatPDQList = "pdq"
	// FormatVPDQList is a video list: vPDQ frame lines
	// "frame,quality,hex,timestamp" in sections, one per video (vpdq.go).
	FormatVPDQList = "vpdq"
)

// The versions this build writes. Version 1 of the picture list is the
// headerless one; version 2 adds the header and writes no labels unless
// asked.
const (
	PDQListVersion  = 2
	VPDQListVersion = 1
)

// listHeaderPrefix starts a header line. It is a comment, so readers that
// skip '#' lines (hashwatch before headers, most partners' tools) read the
// list unchanged.
const listHeaderPrefix = "# hashwatch-list "

// ErrListFormat marks a list whose header names another format than the
// reader expects (a video list given to the picture reader).
var ErrListFormat = errors.New("not a list of this format")

// ErrListCount marks a list whose header counts another number of hash
// lines than it holds: it was cut short or edited after it was written.
var ErrListCount = errors.New("hash count differs from the header")

// ListHeader is the first line of a list hashwatch writes: what the list
// is, so a reader can tell a truncated or mistaken file at once.
//
//	# hashwatch-list format=pdq version=2 algorithm=pdq count=8
//	# hashwatch-list format=vpdq version=1 algorithm=pdq videos=2 count=240
//
// Count is the number of hash lines (for a video list, frame lines);
// Videos the number of videos of a video list. Unknown keys are ignored,
// so later versions may add some.
type ListHeader struct {
	Format    string
	Version   int
	Algorithm Algorithm
	Count     int
	Videos    int
}

// String formats the header line (without a newline).
func (h ListHeader) String() string {
	s := fmt.Sprintf("%sformat=%s version=%d algorithm=%s", listHeaderPrefix, h.Format, h.Version, h.Algorithm)
	if h.Format == FormatVPDQList {
		s += fmt.Sprintf(" videos=%d", h.Videos)
	}
	return s + fmt.Sprintf(" count=%d", h.Count)
}

func isListHeader(text string) bool { return strings.HasPrefix(text, listHeaderPrefix) }

// ParseListHeader reads a header line. It errs (wrapping ErrHashList) on a
// line that is not one, or that lacks a format, algorithm or count.
func ParseListHeader(text string) (ListHeader, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(text), strings.TrimSpace(listHeaderPrefix))
	if !ok {
		return ListHeader{}, fmt.Errorf("not a hashwatch-list header: %w", ErrHashList)
	}
	var h ListHeader
	seen := map[string]bool{}
	for _, f := range strings.Fields(rest) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return ListHeader{}, fmt.Errorf("header field %q is not key=value: %w", f, ErrHashList)
		}
		seen[k] = true
		var err error
		switch k {
		case "format":
			h.Format = v
		case "algorithm":
			h.Algorithm = Algorithm(v)
		case "version":
			h.Version, err = strconv.Atoi(v)
		case "count":
			h.Count, err = strconv.Atoi(v)
		case "videos":
			h.Videos, err = strconv.Atoi(v)
		}
		if err != nil || h.Version < 0 || h.Count < 0 || h.Videos < 0 {
			return ListHeader{}, fmt.Errorf("header field %q is not a whole number: %w", f, ErrHashList)
		}
	}
	if !seen["format"] || !seen["count"] || !seen["algorithm"] {
		return ListHeader{}, fmt.Errorf("header %q lacks format, algorithm or count: %w", text, ErrHashList)
	}
	if h.Algorithm != PDQ {
		return ListHeader{}, fmt.Errorf("header names algorithm %q; hashwatch exchanges pdq: %w", h.Algorithm, ErrHashList)
	}
	return h, nil
}

// DetectListFormat tells a picture list from a video list by its header,
// or, for a list without one, by its first hash line: a vPDQ frame line
// has at least four fields, a frame number first and 64 hex digits in the
// third (or, as vPDQ's Python binding prints them, the second).
func DetectListFormat(data []byte) string {
	for line := range strings.Lines(string(data)) {
		text := strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		if isListHeader(text) {
			if h, err := ParseListHeader(text); err == nil {
				return h.Format
			}
			continue
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if _, err := parseVPDQLine(text); err == nil {
			return FormatVPDQList
		}
		return FormatPDQList
	}
	return FormatPDQList
}
