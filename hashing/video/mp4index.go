package video

import (
	"encoding/binary"
	"errors"
	"time"
)

// The keyframe times of an MP4 are in its index (the moov box): the sync
// sample table (stss) names the keyframes, the time-to-sample table (stts)
// gives every sample's decoding time, the composition offsets (ctts) turn
// that into presentation time, and the edit list (elst) says where
// presentation starts. Reading them costs microseconds, where asking
// ffmpeg for them (a keyframe-only decode) costs a process and some 0.2 s
// of CPU for a 60-s 720p video: for MP4s with sparse keyframes, the
// segmented decode starts at once.

// mp4Keys is what mp4Keyframes reads from the first video track.
type mp4Keys struct {
	// Keys are the keyframes' presentation times in the file's timeline,
	// in decoding order (which for keyframes is also presentation order).
	Keys []time.Duration
	// Duration is where the last sample ends.
	Duration time.Duration
}

// errNoIndex says the MP4's index cannot give keyframe times simply
// (fragmented, an edit list of several edits, every sample a keyframe,
// or damaged); ffmpeg is asked instead.
var errNoIndex = errors.New("mp4: no simple keyframe index")

// mp4MaxSamples bounds the samples of one track walked (a day at 120 fps).
const mp4MaxSamples = 10_000_000

// mp4Keyframes returns the keyframe times of the first video track of the
// MP4 in data.
func mp4Keyframes(data []byte) (mp4Keys, error) {
	moov, ok := child(data, "moov")
	if !ok {
		return mp4Keys{}, errNoIndex
	}
	if _, frag := child(moov, "mvex"); frag {
		return mp4Keys{}, errNoIndex
	}
	for rest := moov; ; {
		trak, next, ok := nextBox(rest, "trak")
		if !ok {
			return mp4Keys{}, errNoIndex
		}
		rest = next
		mdia, ok := child(trak, "mdia")
		if !ok {
			continue
		}
		if hdlr, ok := child(mdia, "hdlr"); !ok || len(hdlr) < 12 || string(hdlr[8:12]) != "vide" {
			continue
		}
		return trackKeys(trak, mdia)
	}
}

func trackKeys(trak, mdia []byte) (mp4Keys, error) {
	mdhd, ok := child(mdia, "mdhd")
	if !ok || len(mdhd) < 4 {
		return mp4Keys{}, errNoIndex
	}
	var scale uint64
	if mdhd[0] == 1 {
		if len(mdhd) < 24 {
			return mp4Keys{}, errNoIndex
		}
		scale = uint64(binary.BigEndian.Uint32(mdhd[20:24]))
	} else {
		if len(mdhd) < 16 {
			return mp4Keys{}, errNoIndex
		}
		scale = uint64(binary.BigEndian.Uint32(mdhd[12:16]))
	}
	stbl, ok := path(mdia, "minf", "stbl")
	if scale == 0 || !ok {
		return mp4Keys{}, errNoIndex
	}
	// Where presentation starts: one edit (or an empty edit first, then
	// one), else give up.
	var mediaStart, emptyFirst int64
	if elst, ok := path(trak, "edts", "elst"); ok {
		es, err := edits(elst)
		if err != nil {
			return mp4Keys{}, err
		}
		if len(es) == 2 && es[0].media == -1 {
			emptyFirst, es = es[0].dur, es[1:] // movie timescale: ignored below
		}
		if len(es) != 1 || es[0].media < 0 || emptyFirst != 0 {
			return mp4Keys{}, errNoIndex
		}
		mediaStart = es[0].media
	}
	stss, ok := child(stbl, "stss")
	if !ok {
		return mp4Keys{}, errNoIndex // every sample is a keyframe
	}
	stts, ok := child(stbl, "stts")
	if !ok {
		return mp4Keys{}, errNoIndex
	}
	sync, err := table(stss, 4)
	if err != nil || len(sync) == 0 {
		return mp4Keys{}, errNoIndex
	}
	deltas, err := table(stts, 8)
	if err != nil {
		return mp4Keys{}, err
	}
	var cts cttsCursor
	if ctts, ok := child(stbl, "ctts"); ok {
		if cts.runs, err = table(ctts, 8); err != nil {
			return mp4Keys{}, err
		}
		cts.signed = ctts[0] == 1
		cts.first = 1
	}
	toTime := func(t int64) time.Duration {
		return time.Duration(t * int64(time.Second) / int64(scale))
	}
	// Walk samples in runs: stts runs give decoding times, ctts runs the
	// composition offsets, stss the sync sample numbers (1-based,
	// increasing).
	var out mp4Keys
	var dts int64
	sample := uint64(1)
	si := 0
	for len(deltas) >= 8 {
		count := uint64(binary.BigEndian.Uint32(deltas))
		delta := int64(binary.BigEndian.Uint32(deltas[4:8]))
		deltas = deltas[8:]
		if sample+count > mp4MaxSamples {
			return mp4Keys{}, errNoIndex
		}
		end := sample + count
		for si < len(sync)/4 {
			n := uint64(binary.BigEndian.Uint32(sync[4*si:]))
			if n >= end {
				break
			}
			if n < sample {
				return mp4Keys{}, errNoIndex // not increasing
			}
			off, ok := cts.offset(n)
			if !ok {
				return mp4Keys{}, errNoIndex
			}
			pts := dts + int64(n-sample)*delta + off - mediaStart
			out.Keys = append(out.Keys, toTime(max(pts, 0)))
			si++
		}
		dts += int64(count) * delta
		sample = end
	}
	if si < len(sync)/4 || len(out.Keys) == 0 {
		return mp4Keys{}, errNoIndex
	}
	// The last sample ends at the end of decoding; the edit list shifts
	// presentation by the decoder delay it also adds at the start.
	out.Duration = toTime(dts)
	return out, nil
}

// cttsCursor walks the composition offset runs for increasing samples.
type cttsCursor struct {
	runs   []byte // 8-byte entries: count, offset
	first  uint64 // number of the first sample of runs[0:8]
	signed bool
}

// offset returns sample n's composition offset (0 without a ctts box).
func (c *cttsCursor) offset(n uint64) (int64, bool) {
	if c.first == 0 {
		return 0, true
	}
	for len(c.runs) >= 8 {
		count := uint64(binary.BigEndian.Uint32(c.runs))
		if n < c.first+count {
			v := binary.BigEndian.Uint32(c.runs[4:8])
			if c.signed {
				return int64(int32(v)), true
			}
			return int64(v), true
		}
		c.first += count
		c.runs = c.runs[8:]
	}
	return 0, false
}

// edit is one entry of an edit list, in the movie's and media's
// timescales.
type edit struct{ dur, media int64 }

func edits(elst []byte) ([]edit, error) {
	if len(elst) < 8 {
		return nil, errNoIndex
	}
	v1 := elst[0] == 1
	n := uint64(binary.BigEndian.Uint32(elst[4:8]))
	size := uint64(12)
	if v1 {
		size = 20
	}
	body := elst[8:]
	if n > 16 || n*size > uint64(len(body)) {
		return nil, errNoIndex
	}
	out := make([]edit, n)
	for i := range out {
		e := body[uint64(i)*size:]
		if v1 {
			out[i] = edit{int64(binary.BigEndian.Uint64(e)), int64(binary.BigEndian.Uint64(e[8:]))}
		} else {
			out[i] = edit{int64(binary.BigEndian.Uint32(e)), int64(int32(binary.BigEndian.Uint32(e[4:])))}
		}
	}
	return out, nil
}

// table returns the entries of a full box holding a 32-bit entry count
// and entries of size bytes, checked against the box's length.
func table(box []byte, size int) ([]byte, error) {
	if len(box) < 8 {
		return nil, errNoIndex
	}
	n := uint64(binary.BigEndian.Uint32(box[4:8]))
	if n > mp4MaxSamples || n*uint64(size) > uint64(len(box)-8) {
		return nil, errNoIndex
	}
	return box[8 : 8+n*uint64(size)], nil
}

// nextBox finds the next box of type typ among the boxes in data and
// returns its body and the boxes after it.
func nextBox(data []byte, typ string) (body, rest []byte, ok bool) {
	for len(data) >= 8 {
		size := uint64(binary.BigEndian.Uint32(data))
		hdr := uint64(8)
		switch size {
		case 0:
			size = uint64(len(data))
		case 1:
			if len(data) < 16 {
				return nil, nil, false
			}
			size, hdr = binary.BigEndian.Uint64(data[8:16]), 16
		}
		if size < hdr || size > uint64(len(data)) {
			return nil, nil, false
		}
		if string(data[4:8]) == typ {
			return data[hdr:size], data[size:], true
		}
		data = data[size:]
	}
	return nil, nil, false
}

// child returns the body of the first box of type typ in data.
func child(data []byte, typ string) ([]byte, bool) {
	b, _, ok := nextBox(data, typ)
	return b, ok
}

// path follows nested boxes.
func path(data []byte, types ...string) ([]byte, bool) {
	for _, t := range types {
		var ok bool
		if data, ok = child(data, t); !ok {
			return nil, false
		}
	}
	return data, true
}
