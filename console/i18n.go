package console

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/console/messages"
)

// Languages of the console; the first is the default (the users are Korean
// support centres).
var languages = []string{"ko", "en"}

// locale is one request's language and time zone.
type locale struct {
	Lang string
	Zone *time.Location
	msgs map[string]string
}

// T returns the message key in the locale's language, formatted with args
// (fmt verbs). A missing key shows as itself; a test keeps both catalogs
// complete.
func (l *locale) T(key string, args ...any) string {
	m, ok := l.msgs[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		cloned := false
		for i, a := range args {
			if p, ok := a.(phrase); ok {
				if !cloned {
					args, cloned = slices.Clone(args), true
				}
				args[i] = l.T(p.key, p.args...)
			}
		}
		m = fmt.Sprintf(m, args...)
	}
	if l.Lang == "ko" {
		// "알림 #12을(를)" → "알림 #12를", once the word is known.
		m = messages.FixJosa(m)
	}
	return m
}

// phrase is a message used as another's argument ("Alert 3 is %s" with
// the status's word): T puts it in the same language.
type phrase struct {
	key  string
	args []any
}

// words is the phrase of key with args.
func words(key string, args ...any) phrase { return phrase{key, args} }

// Has reports whether key is in the catalog.
func (l *locale) Has(key string) bool { _, ok := l.msgs[key]; return ok }

// Time shows t in the locale's zone, to the minute.
func (l *locale) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(l.Zone).Format("2006-01-02 15:04 MST")
}

// Date shows t's day in the locale's zone.
func (l *locale) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(l.Zone).Format("2006-01-02")
}

// Percent shows a share (0–1) as a whole percentage.
func (l *locale) Percent(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

// Seconds shows a media time as m:ss.s.
func (l *locale) Seconds(f float64) string {
	m := int(f) / 60
	return fmt.Sprintf("%d:%04.1f", m, f-float64(m*60))
}

// Duration shows d rounded for people: to the second under a minute,
// else to the minute; in words in both languages ("8 min", "1 h 30 min",
// "2 d 3 h"; "8분", "1시간 30분", "2일 3시간") rather than Go's "8m0s".
func (l *locale) Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Minute:
		d = d.Round(time.Second)
	default:
		d = d.Round(time.Minute)
	}
	if l.Lang == "ko" {
		return durationWords(d, koreanUnits, "")
	}
	return durationWords(d, englishUnits, " ")
}

// koreanUnits and englishUnits name days, hours, minutes and seconds.
var (
	koreanUnits  = [4]string{"일", "시간", "분", "초"}
	englishUnits = [4]string{"d", "h", "min", "s"}
)

// durationWords writes d in days, hours, minutes and seconds named by
// words (gap between number and word), leaving out the zero ones
// ("1 h 30 min", not "1 h 30 min 0 s").
func durationWords(d time.Duration, words [4]string, gap string) string {
	units := [4]time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second}
	var parts []string
	for i, u := range units {
		if n := d / u; n > 0 {
			parts = append(parts, fmt.Sprintf("%d%s%s", n, gap, words[i]))
			d -= n * u
		}
	}
	if len(parts) == 0 {
		return "0" + gap + words[3]
	}
	return strings.Join(parts, " ")
}

// zones caches loaded time zones (LoadLocation reads a file each call).
var zones sync.Map

func loadZone(name string) *time.Location {
	if name == "" {
		name = accounts.DefaultTimeZone
	}
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location)
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		z = time.UTC
	}
	zones.Store(name, z)
	return z
}

// locale picks the request's language (the user's choice, else the best of
// Accept-Language, else Korean) and time zone (the user's, else Asia/Seoul).
func (s *Server) locale(r *http.Request, u accounts.User) *locale {
	lang := u.Language
	if lang == "" {
		lang = negotiate(r.Header.Get("Accept-Language"))
	}
	return &locale{Lang: lang, Zone: loadZone(u.TimeZone), msgs: messages.For(lang)}
}

// negotiate picks a supported language from an Accept-Language header.
func negotiate(header string) string {
	type choice struct {
		lang string
		q    float64
		pos  int
	}
	var cs []choice
	for i, part := range strings.Split(header, ",") {
		if i > 20 {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if messages.For(base) == nil {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > 0 {
			cs = append(cs, choice{base, q, i})
		}
	}
	if len(cs) == 0 {
		return languages[0]
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].q > cs[j].q })
	return cs[0].lang
}
