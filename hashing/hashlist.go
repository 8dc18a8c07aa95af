package hashing

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Hash lists are how fingerprints travel between partner centres and
// platforms: one PDQ hash per line as 64 hex digits, optionally followed by
// ",quality" (0–100) and ",label". Blank lines and lines starting with '#'
// are ignored. Labels may not contain newlines; a label may contain commas
// (everything after the second comma is the label).
//
// A list hashwatch writes starts with a header line (ListHeader), itself a
// comment, so tools that skip '#' lines read it unchanged:
//
//	# hashwatch-list format=pdq version=2 algorithm=pdq count=8
//
// Readers accept lists without one (every list written before it, and
// other programmes' lists); when there is one, a list of another format
// is refused and a count that differs from the hash lines read (a
// truncated or edited file) is an error.

// maxHashListLine bounds one line, so a hostile file cannot make the reader
// buffer without limit.
const maxHashListLine = 4096

// ListEntry is one hash of a hash list.
type ListEntry struct {
	Line    int
	Hash    Hash
	Label   string
	Quality int
}

// LineError is a line of a hash list that could not be read.
type LineError struct {
	Line int
	Text string
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// ErrHashList marks a malformed hash list line.
var ErrHashList = errors.New("malformed hash list line")

// ReadHashList reads a PDQ hash list. Bad lines are returned as LineErrors
// and the rest are still read; the error is for I/O failures and for a
// header that does not fit the list (ErrListFormat, ErrListCount).
func ReadHashList(r io.Reader) ([]ListEntry, []LineError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxHashListLine)
	var entries []ListEntry
	var bad []LineError
	var header *ListHeader
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if isListHeader(text) {
			h, err := ParseListHeader(text)
			switch {
			case err != nil:
				bad = append(bad, LineError{Line: line, Text: text, Err: err})
			case header != nil:
				bad = append(bad, LineError{Line: line, Text: text, Err: fmt.Errorf("a second header line: %w", ErrHashList)})
			case h.Format != FormatPDQList:
				return nil, nil, fmt.Errorf("line %d: a %s list, not a PDQ picture list (%s): %w", line, h.Format, text, ErrListFormat)
			default:
				header = &h
			}
			continue
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		e, err := parseHashListLine(text)
		if err != nil {
			bad = append(bad, LineError{Line: line, Text: text, Err: err})
			continue
		}
		e.Line = line
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			bad = append(bad, LineError{Line: line + 1, Err: fmt.Errorf("line longer than %d bytes: %w", maxHashListLine, ErrHashList)})
			return entries, bad, nil
		}
		return entries, bad, fmt.Errorf("read hash list: %w", err)
	}
	if header != nil && header.Count != len(entries) {
		return entries, bad, fmt.Errorf("the header says %d hashes but the list has %d: %w", header.Count, len(entries), ErrListCount)
	}
	return entries, bad, nil
}

func parseHashListLine(text string) (ListEntry, error) {
	parts := strings.SplitN(text, ",", 3)
	hexs := strings.ToLower(strings.TrimSpace(parts[0]))
	code, n, err := ParseCode(hexs)
	if err != nil || n != PDQ.Bits() {
		return ListEntry{}, fmt.Errorf("want a PDQ hash of 64 hex digits, got %q: %w", hexs, ErrHashList)
	}
	e := ListEntry{Hash: Hash{Algorithm: PDQ, Code: code, Quality: 100}, Quality: 100}
	if len(parts) > 1 && strings.TrimSpace(parts[1]) != "" {
		q, err := strconv.Atoi(strings.TrimSpace(parts[1]))
		if err != nil || q < 0 || q > 100 {
			return ListEntry{}, fmt.Errorf("quality %q is not a whole number from 0 to 100: %w", strings.TrimSpace(parts[1]), ErrHashList)
		}
		e.Quality, e.Hash.Quality = q, q
	}
	if len(parts) > 2 {
		e.Label = strings.TrimSpace(parts[2])
	}
	return e, nil
}

// WriteHashList writes entries in the hash list format, header first.
func WriteHashList(w io.Writer, entries []ListEntry) error {
	bw := bufio.NewWriter(w)
	h := ListHeader{Format: FormatPDQList, Version: PDQListVersion, Algorithm: PDQ, Count: len(entries)}
	if _, err := fmt.Fprintln(bw, h); err != nil {
		return err
	}
	for _, e := range entries {
		label := strings.NewReplacer("\n", " ", "\r", " ").Replace(e.Label)
		var err error
		if label == "" {
			// No label, no label field: a list for partners carries none.
			_, err = fmt.Fprintf(bw, "%s,%d\n", e.Hash.Hex(), e.Quality)
		} else {
			_, err = fmt.Fprintf(bw, "%s,%d,%s\n", e.Hash.Hex(), e.Quality, label)
		}
		if err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ParsePDQ reads one PDQ hash as a partner sends it: 64 hex digits,
// optionally followed by ",quality" (100 when absent). A label is refused:
// a lookup carries hashes only.
func ParsePDQ(text string) (Hash, error) {
	if strings.Count(text, ",") > 1 {
		return Hash{}, fmt.Errorf("want hex or hex,quality, got a third field: %w", ErrHashList)
	}
	e, err := parseHashListLine(strings.TrimSpace(text))
	return e.Hash, err
}

// SharedPDQ is the PDQ hash a picture's fingerprint is exchanged by: the
// reference PDQ of the picture as registered (as partners compute it, not
// of a derived view), or for a fingerprint imported from a list, the PDQ
// it was imported with.
func (fp Fingerprint) SharedPDQ() (Hash, bool) {
	if len(fp.Reference) > 0 {
		return fp.Reference[0], true
	}
	if v, ok := fp.View(ViewOriginal); ok {
		return v.Hash(PDQ)
	}
	return Hash{}, false
}
