package hashing

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Video lists carry frame-level video fingerprints in the line format of
// Meta's vPDQ (ThreatExchange vpdq, vpdqio.cpp), so they can be exchanged
// with hash-sharing programmes that use it. One sampled frame per line:
//
//	frame,quality,pdq-hex,timestamp
//
// frame is the sampled frame's number (hashwatch writes its position among
// the sampled frames, counting from 0), quality PDQ's quality 0–100, and
// timestamp the frame's time in seconds with three decimals. A list holds
// several videos: each starts with a section line, a comment,
//
//	# video 1 frames=118 duration=59.960 [label=TEXT]
//
// and the whole list with a header (ListHeader, format vpdq). A plain vPDQ
// file — vPDQ's own output, no header and no section lines — reads as one
// video; split a list at its section lines (and drop the comment lines) to
// give each video to vPDQ's own tools, which accept no comments. Readers
// also accept the field order vPDQ's Python binding prints
// (frame,pdq-hex,quality,timestamp) and ignore fields after the fourth.
//
// A registered video's frames also carry the PDQ of their centre (see
// Frame.Cropped), which lets a copy cut down to the centre match: hashwatch
// writes them after the fourth field as "crop=HEX:QUALITY", which vPDQ's
// own readers (vpdqio.cpp, the Python binding's tests) ignore, as they
// ignore every field after the fourth. Without them (a list from vPDQ
// itself) a video still matches every edit but the crops.

// maxVideoSeconds bounds a frame's timestamp: no video is a day long.
const maxVideoSeconds = 24 * 60 * 60

// VideoEntry is one video of a video list.
type VideoEntry struct {
	// Line is the line its section starts on (its first frame's line
	// for a plain vPDQ file).
	Line     int
	Label    string
	Frames   []VPDQFrame
	Duration time.Duration // 0: unknown (a plain vPDQ file)
}

// VPDQFrame is one line of a video list: one sampled frame.
type VPDQFrame struct {
	Number int
	Hash   Hash // PDQ, with the frame's quality
	At     time.Duration
	// Cropped are the PDQ hashes of the frame's centre (hashwatch's
	// extension fields; see above).
	Cropped []Hash
}

// Fingerprint is the video as hashwatch registers and matches it: frames
// with their PDQ only, in time order. A video whose length is unknown is
// taken to end one frame interval (the median) after its last frame.
func (v VideoEntry) Fingerprint() Fingerprint {
	frames := slices.Clone(v.Frames)
	slices.SortStableFunc(frames, func(a, b VPDQFrame) int { return int(a.At - b.At) })
	fp := Fingerprint{Kind: KindVideo, Duration: v.Duration}
	for _, f := range frames {
		fp.Frames = append(fp.Frames, Frame{At: f.At, Hashes: []Hash{f.Hash}, Cropped: slices.Clone(f.Cropped)})
	}
	if fp.Duration == 0 && len(frames) > 0 {
		gap := time.Second
		if len(frames) > 1 {
			gaps := make([]time.Duration, 0, len(frames)-1)
			for i := 1; i < len(frames); i++ {
				gaps = append(gaps, frames[i].At-frames[i-1].At)
			}
			slices.Sort(gaps)
			if g := gaps[len(gaps)/2]; g > 0 {
				gap = g
			}
		}
		fp.Duration = frames[len(frames)-1].At + gap
	}
	return fp
}

// VideoEntryOf is the exchanged form of a video fingerprint: the first
// PDQ hash of each frame (the frame as shown, borders trimmed), numbered
// in order.
func VideoEntryOf(fp Fingerprint, label string) VideoEntry {
	v := VideoEntry{Label: label, Duration: fp.Duration}
	for _, f := range fp.Frames {
		for _, h := range f.Hashes {
			if h.Algorithm == PDQ {
				vf := VPDQFrame{Number: len(v.Frames), Hash: h, At: f.At}
				for _, c := range f.Cropped {
					if c.Algorithm == PDQ {
						vf.Cropped = append(vf.Cropped, c)
					}
				}
				v.Frames = append(v.Frames, vf)
				break
			}
		}
	}
	return v
}

// ParseVPDQLine reads one frame line, in vPDQ's C++ field order or its
// Python binding's.
func ParseVPDQLine(text string) (VPDQFrame, error) { return parseVPDQLine(text) }

func parseVPDQLine(text string) (VPDQFrame, error) {
	parts := strings.Split(text, ",")
	if len(parts) < 4 {
		return VPDQFrame{}, fmt.Errorf("want frame,quality,pdq-hex,timestamp, got %d field(s): %w", len(parts), ErrHashList)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	num, err := strconv.Atoi(parts[0])
	if err != nil || num < 0 {
		return VPDQFrame{}, fmt.Errorf("frame number %q is not a whole number: %w", parts[0], ErrHashList)
	}
	qs, hexs := parts[1], parts[2]
	if len(parts[1]) == 64 {
		qs, hexs = parts[2], parts[1]
	}
	code, n, err := ParseCode(strings.ToLower(hexs))
	if err != nil || n != PDQ.Bits() {
		return VPDQFrame{}, fmt.Errorf("want a PDQ hash of 64 hex digits, got %q: %w", hexs, ErrHashList)
	}
	q, err := strconv.Atoi(qs)
	if err != nil || q < 0 || q > 100 {
		return VPDQFrame{}, fmt.Errorf("quality %q is not a whole number from 0 to 100: %w", qs, ErrHashList)
	}
	sec, err := strconv.ParseFloat(parts[3], 64)
	if err != nil || math.IsNaN(sec) || sec < 0 || sec > maxVideoSeconds {
		return VPDQFrame{}, fmt.Errorf("timestamp %q is not a number of seconds from 0 to %d: %w", parts[3], maxVideoSeconds, ErrHashList)
	}
	f := VPDQFrame{Number: num, Hash: Hash{Algorithm: PDQ, Code: code, Quality: q}, At: time.Duration(math.Round(sec*1000)) * time.Millisecond}
	for _, extra := range parts[4:] {
		v, ok := strings.CutPrefix(extra, "crop=")
		if !ok {
			continue // another programme's field
		}
		hexs, qs, _ := strings.Cut(v, ":")
		code, n, err := ParseCode(strings.ToLower(hexs))
		q, qerr := strconv.Atoi(qs)
		if err != nil || n != PDQ.Bits() || qerr != nil || q < 0 || q > 100 {
			return VPDQFrame{}, fmt.Errorf("crop field %q: want crop=PDQ-HEX:QUALITY: %w", extra, ErrHashList)
		}
		if len(f.Cropped) == maxFrameCrops {
			return VPDQFrame{}, fmt.Errorf("more than %d crop fields: %w", maxFrameCrops, ErrHashList)
		}
		f.Cropped = append(f.Cropped, Hash{Algorithm: PDQ, Code: code, Quality: q})
	}
	return f, nil
}

// maxFrameCrops bounds the crop fields of one frame line: a registered
// frame has 11 Cropped hashes and the frame index takes up to 15.
const maxFrameCrops = 15

// String formats the frame as a line of a video list (without a
// newline).
func (f VPDQFrame) String() string {
	s := fmt.Sprintf("%d,%d,%s,%.3f", f.Number, f.Hash.Quality, f.Hash.Hex(), f.At.Seconds())
	for _, c := range f.Cropped {
		s += fmt.Sprintf(",crop=%s:%d", c.Hex(), c.Quality)
	}
	return s
}

// sectionPrefix starts a video's section line.
const sectionPrefix = "# video "

// parseSection reads a section line's duration and label.
func parseSection(text string) (VideoEntry, error) {
	rest := strings.TrimPrefix(text, sectionPrefix)
	var v VideoEntry
	if i := strings.Index(rest, " label="); i >= 0 {
		v.Label = strings.TrimSpace(rest[i+len(" label="):])
		rest = rest[:i]
	}
	for _, f := range strings.Fields(rest) {
		k, val, ok := strings.Cut(f, "=")
		if !ok || k != "duration" {
			continue // the video's number and frame count are for people
		}
		sec, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(sec) || sec < 0 || sec > maxVideoSeconds {
			return VideoEntry{}, fmt.Errorf("duration %q is not a number of seconds from 0 to %d: %w", val, maxVideoSeconds, ErrHashList)
		}
		v.Duration = time.Duration(math.Round(sec*1000)) * time.Millisecond
	}
	return v, nil
}

// ReadVideoList reads a video list or a plain vPDQ file. Bad lines are
// returned as LineErrors and the rest are still read; the error is for I/O
// failures and for a header that does not fit the list (ErrListFormat,
// ErrListCount). A video whose lines were all bad is left out.
func ReadVideoList(r io.Reader) ([]VideoEntry, []LineError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxHashListLine)
	var videos []VideoEntry
	var bad []LineError
	var header *ListHeader
	var cur *VideoEntry
	flush := func() {
		if cur != nil && len(cur.Frames) > 0 {
			videos = append(videos, *cur)
		}
		cur = nil
	}
	frames, line := 0, 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		switch {
		case isListHeader(text):
			h, err := ParseListHeader(text)
			switch {
			case err != nil:
				bad = append(bad, LineError{Line: line, Text: text, Err: err})
			case header != nil:
				bad = append(bad, LineError{Line: line, Text: text, Err: fmt.Errorf("a second header line: %w", ErrHashList)})
			case h.Format != FormatVPDQList:
				return nil, nil, fmt.Errorf("line %d: a %s list, not a vPDQ video list (%s): %w", line, h.Format, text, ErrListFormat)
			default:
				header = &h
			}
		case strings.HasPrefix(text, sectionPrefix):
			flush()
			v, err := parseSection(text)
			if err != nil {
				bad = append(bad, LineError{Line: line, Text: text, Err: err})
			}
			v.Line = line
			cur = &v
		case text == "" || strings.HasPrefix(text, "#"):
		default:
			f, err := parseVPDQLine(text)
			if err != nil {
				bad = append(bad, LineError{Line: line, Text: text, Err: err})
				continue
			}
			if cur == nil {
				cur = &VideoEntry{Line: line}
			}
			cur.Frames = append(cur.Frames, f)
			frames++
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			bad = append(bad, LineError{Line: line + 1, Err: fmt.Errorf("line longer than %d bytes: %w", maxHashListLine, ErrHashList)})
			return videos, bad, nil
		}
		return videos, bad, fmt.Errorf("read video list: %w", err)
	}
	if header != nil && (header.Count != frames || header.Videos != len(videos)) {
		return videos, bad, fmt.Errorf("the header says %d videos of %d frames in all but the list has %d of %d: %w", header.Videos, header.Count, len(videos), frames, ErrListCount)
	}
	return videos, bad, nil
}

// WriteVideoList writes videos as a video list: the header, then each
// video's section line and frame lines.
func WriteVideoList(w io.Writer, videos []VideoEntry) error {
	bw := bufio.NewWriter(w)
	h := ListHeader{Format: FormatVPDQList, Version: VPDQListVersion, Algorithm: PDQ, Videos: len(videos)}
	for _, v := range videos {
		h.Count += len(v.Frames)
	}
	fmt.Fprintln(bw, h)
	for i, v := range videos {
		fmt.Fprintf(bw, "%s%d frames=%d duration=%.3f", sectionPrefix, i+1, len(v.Frames), v.Duration.Seconds())
		if l := strings.NewReplacer("\n", " ", "\r", " ").Replace(v.Label); l != "" {
			fmt.Fprintf(bw, " label=%s", l)
		}
		fmt.Fprintln(bw)
		for _, f := range v.Frames {
			fmt.Fprintln(bw, f)
		}
	}
	return bw.Flush()
}
