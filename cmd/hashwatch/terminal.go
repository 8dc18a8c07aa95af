package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// safe makes an outside string — a case label, a URL, a file name, a user
// name, an error naming one of those — harmless in a terminal table: control
// characters (C0 including tab and newline, DEL, C1), bidirectional
// overrides and bytes that are not UTF-8 are shown as \xNN or \uNNNN, so a
// label cannot retitle or clear the terminal, move the cursor, forge a row
// or reorder what is shown. Plain text passes unchanged. JSON output needs
// no such care: encoding/json escapes what JSON requires and the reader is
// a program.
func safe(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports the runes safe escapes; utf8.RuneError stands for an
// invalid byte.
func unsafeRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == utf8.RuneError ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
