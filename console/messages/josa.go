package messages

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Korean particles (josa) take one of two forms after a word, by whether
// the word as read ends in a consonant (받침): "사건은" but "알림은"/"사이트는".
// A message written with both forms ("%s을(를)") is resolved here once the
// word is known, so the reader sees "hashwatch를", not "hashwatch을(를)".

// josaPairs are the particles handled: the form after a final consonant,
// the form after a vowel, and how messages write the undecided pair.
var josaPairs = []struct{ consonant, vowel, both string }{
	{"은", "는", "은(는)"},
	{"이", "가", "이(가)"},
	{"을", "를", "을(를)"},
	{"과", "와", "과(와)"},
	{"으로", "로", "(으)로"},
}

// Josa returns word followed by the form of particle that fits it.
// particle is either form or the pair written "은/는", "은(는)", "(으)로".
// A word whose ending cannot be read (a symbol) keeps the pair as
// messages write it.
func Josa(word, particle string) string {
	for _, p := range josaPairs {
		if particle == p.consonant || particle == p.vowel || particle == p.both || particle == p.consonant+"/"+p.vowel {
			return word + pick(word, p.consonant, p.vowel, p.both)
		}
	}
	return word + particle
}

// FixJosa resolves every undecided pair in s ("을(를)", "(으)로", …) by the
// word before it.
func FixJosa(s string) string {
	if !strings.Contains(s, ")") {
		return s
	}
	for _, p := range josaPairs {
		for from := 0; ; {
			i := strings.Index(s[from:], p.both)
			if i < 0 {
				break
			}
			i += from
			form := pick(s[:i], p.consonant, p.vowel, p.both)
			s = s[:i] + form + s[i+len(p.both):]
			from = i + len(form)
		}
	}
	return s
}

// pick chooses the particle form after text (its last word).
func pick(text, consonant, vowel, both string) string {
	text = strings.TrimRight(text, `'"’”)]」』`)
	r, _ := utf8.DecodeLastRuneInString(text)
	final, ok := finalConsonant(text, r)
	switch {
	case !ok:
		return both
	case final == 0:
		return vowel
	case consonant == "으로" && final == 8: // ㄹ takes 로: "서울로"
		return vowel
	}
	return consonant
}

// finalConsonant is the final consonant of how text's last character is
// read (0: none; 8: ㄹ; otherwise another), and whether it could tell.
// Hangul syllables carry it; digits and Latin letters are read as
// Koreans read them ("1" 일, "hashwatch" 해시워치, "Google" 구글).
func finalConsonant(text string, r rune) (int, bool) {
	switch {
	case r >= 0xAC00 && r <= 0xD7A3:
		return int(r-0xAC00) % 28, true
	case r >= '0' && r <= '9':
		// 영 일 이 삼 사 오 육 칠 팔 구
		return [...]int{21, 8, 0, 16, 0, 0, 1, 8, 8, 0}[r-'0'], true
	case r < unicode.MaxASCII && unicode.IsLetter(r):
		return latinFinal(strings.ToLower(text)), true
	}
	return 0, false
}

// latinFinal guesses whether a Latin word read in Korean ends in a
// consonant: after m, n, ng and l it does ("team" 팀, "admin" 어드민,
// "email" 이메일 — ㄹ), and after a short vowel then k, p or t ("chat"
// 챗, "book" 북); otherwise the reading ends in a vowel ("hashwatch"
// 해시워치, "site" 사이트, "user" 유저).
func latinFinal(w string) int {
	n := len(w)
	last := w[n-1]
	vowel := func(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }
	switch {
	case last == 'l':
		return 8
	case last == 'm', last == 'n', strings.HasSuffix(w, "ng"):
		return 4
	case (last == 'k' || last == 'p' || last == 't') && n >= 2 && vowel(w[n-2]):
		return 1
	}
	return 0
}
