package console

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
)

// why is the alert page's account of why an alert was raised, in words an
// operator can weigh: how far apart the two fingerprints are on the hash's
// scale and where the alert threshold lies, which transforms matched,
// how sure that makes it, how often the media was seen, what is known of
// the registered side (never the file), and for a video where in it the
// registered video appears.
type why struct {
	Distance   string
	Threshold  string
	Confidence string
	// Level is "high", "medium" or "low", for the page's colour.
	Level      string
	Views      string
	Sightings  string
	Registered string
	Reported   bool
	// Timeline places the matched stretches of a video on a 0–100 scale
	// of the found video's length; Length is that length in words.
	Timeline []timelineBar
	Length   string
}

// timelineBar is one matched stretch on the video timeline, in per cent
// of the found video's length.
type timelineBar struct {
	X, W  float64
	Title string
}

// thresholds are the rule's limits for algorithm a: strict, where a's
// distance alone (the other hashes only if present) may raise an alert,
// and wide, the most any clause accepts when other hashes agree as well.
func thresholds(rule hashing.Rule, a hashing.Algorithm) (strict, wide int) {
	for _, c := range rule.Clauses {
		alone, limit := true, -1
		for _, t := range c {
			switch {
			case t.Algorithm == a:
				limit = t.MaxDistance
			case !t.IfPresent:
				alone = false
			}
		}
		if limit < 0 {
			continue
		}
		wide = max(wide, limit)
		if alone {
			strict = max(strict, limit)
		}
	}
	if strict == 0 {
		strict = wide
	}
	return strict, wide
}

// why explains a in rq's language.
func (s *Server) why(rq *request, a alerts.Alert) *why {
	l := rq.loc
	w := &why{Reported: a.Reported}
	alg := hashing.Algorithm(a.Algorithm)
	if bits := alg.Bits(); bits > 0 {
		w.Distance = l.T("why.distance", a.Distance, bits, algorithmName(a.Algorithm))
		if a.Video == nil {
			strict, wide := thresholds(hashing.DefaultRule(), alg)
			if wide > strict {
				w.Threshold = l.T("why.threshold_wide", strict, wide)
			} else if strict > 0 {
				w.Threshold = l.T("why.threshold", strict)
			}
			switch {
			case strict <= 0:
			case a.Distance == 0:
				w.Confidence, w.Level = l.T("why.conf_exact"), "high"
			case float64(a.Distance) <= 0.35*float64(strict):
				w.Confidence, w.Level = l.T("why.conf_high"), "high"
			case a.Distance <= strict:
				w.Confidence, w.Level = l.T("why.conf_medium"), "medium"
			default:
				w.Confidence, w.Level = l.T("why.conf_low"), "low"
			}
		}
	}
	if a.QueryView != "" || a.RegisteredView != "" {
		w.Views = l.T("why.views", describeView(l, a.QueryView), describeView(l, a.RegisteredView))
	}
	if n := len(a.Sightings); n > 0 {
		first, last := a.Sightings[0].FirstSeen, a.Sightings[0].LastSeen
		pages := map[string]bool{}
		for _, sg := range a.Sightings {
			if sg.FirstSeen.Before(first) {
				first = sg.FirstSeen
			}
			if sg.LastSeen.After(last) {
				last = sg.LastSeen
			}
			pages[sg.PageURL] = true
		}
		w.Sightings = l.T("why.sightings", n, len(pages), l.Time(first), l.Time(last))
	}
	w.Registered = s.registeredSide(rq, a)
	if v := a.Video; v != nil && len(v.Ranges) > 0 {
		var matched, end float64
		for _, r := range v.Ranges {
			matched += r.QueryEnd - r.QueryStart
			end = max(end, r.QueryEnd)
		}
		length := end
		if v.QueryShare > 0 {
			length = max(end, matched/v.QueryShare)
		}
		if length > 0 {
			w.Length = l.Seconds(length)
			for _, r := range v.Ranges {
				w.Timeline = append(w.Timeline, timelineBar{X: 100 * r.QueryStart / length, W: max(0.5, 100*(r.QueryEnd-r.QueryStart)/length),
					Title: l.T("alert.video_range", l.Seconds(r.QueryStart), l.Seconds(r.QueryEnd), l.Seconds(r.RegisteredStart), l.Seconds(r.RegisteredEnd))})
			}
		}
	}
	return w
}

// registeredSide says what is known of the registered file — its case,
// size and when it was registered — the file itself never being kept.
func (s *Server) registeredSide(rq *request, a alerts.Alert) string {
	fps, err := s.db.Index.FingerprintsOf(a.Centre, a.Case)
	if err != nil {
		return ""
	}
	for _, f := range fps {
		if f.ID != a.Fingerprint {
			continue
		}
		p := f.Print
		if p.Kind == hashing.KindVideo {
			return rq.loc.T("why.registered_video", a.Case, rq.loc.Time(f.CreatedAt), p.Width, p.Height, rq.loc.Seconds(p.Duration.Seconds()))
		}
		return rq.loc.T("why.registered_image", a.Case, rq.loc.Time(f.CreatedAt), p.Width, p.Height)
	}
	return ""
}

var (
	viewTurn     = regexp.MustCompile(`^rot(90|180|270)$`)
	viewTilt     = regexp.MustCompile(`^rot([+-]\d+)$`)
	viewStraight = regexp.MustCompile(`^straight([+-]\d+)$`)
	viewCrop     = regexp.MustCompile(`^crop-(c|l|r|t|b|tl|tr|bl|br)(\d+)$`)
	viewCut      = regexp.MustCompile(`^cut-(top|bottom|left|right)-(\d+)$`)
	viewPart     = regexp.MustCompile(`^part-(top|bottom|left|right)(?:-(left|right))?$`)
	viewFrameAt  = regexp.MustCompile(`^frame@([\d.]+)s$`)
)

// describeView names a fingerprint view (hashing's registration and query
// views, index's video views) in the reader's words: "mirrored", "with
// 10% cut from the left", "with its caption band at the top cut". A name
// this build does not know is shown as it is.
func describeView(l *locale, name string) string {
	switch name {
	case "", hashing.ViewOriginal:
		return l.T("view.original")
	case hashing.ViewTrimmed:
		return l.T("view.trimmed")
	case hashing.ViewMirror, hashing.ViewMirrored:
		return l.T("view.mirror")
	case hashing.ViewUncaptionedTop:
		return l.T("view.uncaptioned", l.T("side.t"))
	case hashing.ViewUncaptionedBottom:
		return l.T("view.uncaptioned", l.T("side.b"))
	case hashing.ViewUncaptioned:
		return l.T("view.uncaptioned_both")
	case "frames":
		return l.T("view.frames")
	case "frames-mirrored":
		return l.T("view.frames_mirrored")
	}
	if rest, ok := strings.CutPrefix(name, "trimmed-"); ok {
		return l.T("view.then", l.T("view.trimmed"), describeView(l, rest))
	}
	if rest, ok := strings.CutPrefix(name, "mirror-"); ok {
		return l.T("view.then", l.T("view.mirror"), describeView(l, rest))
	}
	if m := viewTurn.FindStringSubmatch(name); m != nil {
		deg, _ := strconv.Atoi(m[1])
		return l.T("view.turn", deg)
	}
	if m := viewTilt.FindStringSubmatch(name); m != nil {
		return l.T("view.tilt", m[1])
	}
	if m := viewStraight.FindStringSubmatch(name); m != nil {
		return l.T("view.straight", m[1])
	}
	if m := viewCrop.FindStringSubmatch(name); m != nil {
		pct, _ := strconv.Atoi(m[2])
		if m[1] == "c" {
			return l.T("view.crop_all", pct)
		}
		return l.T("view.crop_side", pct, l.T("side."+m[1]))
	}
	if m := viewCut.FindStringSubmatch(name); m != nil {
		// The crawled picture cut at one side (hashing's query cuts):
		// said as the registered side crops are.
		pct, _ := strconv.Atoi(m[2])
		return l.T("view.crop_side", pct, l.T("side."+m[1][:1]))
	}
	if m := viewPart.FindStringSubmatch(name); m != nil {
		// A half or a quarter of the crawled picture (hashing's
		// partViews): a photo in a collage or a grid.
		if m[2] == "" {
			return l.T("view.half", l.T("side."+m[1][:1]))
		}
		return l.T("view.quarter", l.T("side."+m[1][:1]+m[2][:1]))
	}
	if m := viewFrameAt.FindStringSubmatch(name); m != nil {
		f, _ := strconv.ParseFloat(m[1], 64)
		return l.T("view.frame_at", l.Seconds(f))
	}
	return fmt.Sprintf("%q", name)
}
