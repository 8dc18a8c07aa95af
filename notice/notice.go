package notice

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"
	tparse "text/template/parse"
	"time"
)

// ErrTemplate reports a template that does not parse, fails to execute, or
// does not produce a "Subject:" line followed by a body.
var ErrTemplate = errors.New("invalid notice template")

// Limits on templates and what they produce, so that an edited template
// cannot fill memory.
const (
	MaxTemplateBytes = 64 << 10
	MaxOutputBytes   = 1 << 20
)

// Item is one piece of content the notice asks to remove, with the
// evidence for it. It holds URLs and hashes, never the media.
type Item struct {
	AlertID  uint64
	PageURL  string
	MediaURL string
	// FinalURL is where MediaURL led after redirects, when different.
	FinalURL string
	SHA256   string
	SeenAt   time.Time
	// Algorithm and Distance are the match's evidence: the hash algorithm
	// ("pdq", "phash", …) and the Hamming distance to the registered hash.
	Algorithm string
	Distance  int
}

// Data is what a template is filled with.
type Data struct {
	// Site is the watched site's name as configured.
	Site string
	// To is the recipient (the site's contact), for templates that name it.
	To string
	// Sender is the centre sending the notice; SenderContact how the site
	// reaches it (an address, a phone number).
	Sender        string
	SenderContact string
	// Reference identifies the notice in replies ("notice 12").
	Reference string
	Date      time.Time
	Items     []Item
	// Location is the time zone times are written in; nil means UTC.
	Location *time.Location
}

//go:embed templates/*.tmpl
var shipped embed.FS

// Languages lists the languages templates are shipped for, sorted.
func Languages() []string {
	entries, _ := shipped.ReadDir("templates")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".tmpl"))
	}
	slices.Sort(out)
	return out
}

// Default returns the shipped template for lang ("ko", "en"); ok is false
// for a language none is shipped for.
func Default(lang string) (text string, ok bool) {
	if strings.ContainsAny(lang, "/.\\") {
		return "", false
	}
	b, err := shipped.ReadFile("templates/" + lang + ".tmpl")
	if err != nil {
		return "", false
	}
	return string(b), true
}

// funcs are the functions templates may call: datetime writes a time in the
// data's location ("2006-01-02 15:04:05 MST"), inc adds one (for 1-based
// numbering).
func funcs(loc *time.Location) template.FuncMap {
	if loc == nil {
		loc = time.UTC
	}
	return template.FuncMap{
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return t.In(loc).Format("2006-01-02 15:04:05 MST")
		},
		"inc": func(i int) int { return i + 1 },
		// The print functions are bounded: a wide printf whose result is
		// thrown away ({{if printf "%0999999d" 0}}) would cost time and
		// memory without ever reaching the output limit.
		"printf": func(format string, args ...any) (string, error) {
			return bounded(fmt.Sprintf(format, args...))
		},
		"print":   func(args ...any) (string, error) { return bounded(fmt.Sprint(args...)) },
		"println": func(args ...any) (string, error) { return bounded(fmt.Sprintln(args...)) },
	}
}

// maxPrintBytes bounds one print, printf or println in a template.
const maxPrintBytes = 4 << 10

func bounded(s string) (string, error) {
	if len(s) > maxPrintBytes {
		return "", fmt.Errorf("print result of %d bytes, limit %d: %w", len(s), maxPrintBytes, ErrTemplate)
	}
	return s, nil
}

func parse(text string, loc *time.Location) (*template.Template, error) {
	if len(text) > MaxTemplateBytes {
		return nil, fmt.Errorf("template of %d bytes, limit %d: %w", len(text), MaxTemplateBytes, ErrTemplate)
	}
	t, err := template.New("notice").Funcs(funcs(loc)).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrTemplate)
	}
	if err := checkCost(t); err != nil {
		return nil, err
	}
	return t, nil
}

// checkCost refuses the constructs that let a short template run for
// minutes without writing a byte (an operator edits templates; one saved
// or drafted template must not be able to hold a server core): a range
// over anything but .Items (a number, .Date.Unix), a range inside a range,
// and defined templates, which can call themselves. What is left runs in
// time linear in the template's size times the number of items.
func checkCost(t *template.Template) error {
	if len(t.Templates()) > 1 {
		return fmt.Errorf("define, block and template are not available in notice templates: %w", ErrTemplate)
	}
	var walk func(n tparse.Node, inRange bool) error
	walk = func(n tparse.Node, inRange bool) error {
		switch n := n.(type) {
		case *tparse.ListNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Nodes {
				if err := walk(c, inRange); err != nil {
					return err
				}
			}
		case *tparse.TemplateNode:
			return fmt.Errorf("line %d: template calls are not available in notice templates: %w", lineOf(t, n), ErrTemplate)
		case *tparse.RangeNode:
			if inRange {
				return fmt.Errorf("line %d: a range inside a range is not available in notice templates: %w", lineOf(t, n), ErrTemplate)
			}
			if !overItems(n.Pipe) {
				return fmt.Errorf("line %d: range may only go over .Items: %w", lineOf(t, n), ErrTemplate)
			}
			if err := walk(n.List, true); err != nil {
				return err
			}
			return walk(n.ElseList, inRange)
		case *tparse.IfNode:
			if err := walk(n.List, inRange); err != nil {
				return err
			}
			return walk(n.ElseList, inRange)
		case *tparse.WithNode:
			if err := walk(n.List, inRange); err != nil {
				return err
			}
			return walk(n.ElseList, inRange)
		}
		return nil
	}
	return walk(t.Tree.Root, false)
}

// overItems reports whether a range pipeline is exactly .Items or $.Items.
func overItems(p *tparse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *tparse.FieldNode:
		return slices.Equal(a.Ident, []string{"Items"})
	case *tparse.VariableNode:
		return slices.Equal(a.Ident, []string{"$", "Items"})
	}
	return false
}

func lineOf(t *template.Template, n tparse.Node) int {
	_, ctx := t.Tree.ErrorContext(n)
	_, rest, _ := strings.Cut(ctx, ":")
	line, _, _ := strings.Cut(rest, ":")
	var l int
	fmt.Sscan(line, &l)
	return l
}

// limitedBuffer fails writes past its limit.
type limitedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.limit {
		return 0, fmt.Errorf("output over %d bytes: %w", b.limit, ErrTemplate)
	}
	return b.Buffer.Write(p)
}

// Render fills the template text with data and splits the output into the
// subject (the "Subject:" line, which must come first and not be empty)
// and the body (everything after the blank line that follows it). Errors
// wrap ErrTemplate.
func Render(text string, data Data) (subject, body string, err error) {
	t, err := parse(text, data.Location)
	if err != nil {
		return "", "", err
	}
	out := &limitedBuffer{limit: MaxOutputBytes}
	if err := t.Execute(out, data); err != nil {
		if errors.Is(err, ErrTemplate) {
			return "", "", err
		}
		return "", "", fmt.Errorf("%v: %w", err, ErrTemplate)
	}
	s := strings.ReplaceAll(out.String(), "\r\n", "\n")
	s = strings.TrimLeft(s, " \t\n")
	head, rest, _ := strings.Cut(s, "\n")
	subj, ok := strings.CutPrefix(head, "Subject:")
	subj = strings.TrimSpace(subj)
	if !ok || subj == "" {
		return "", "", fmt.Errorf("output must start with a \"Subject: …\" line: %w", ErrTemplate)
	}
	body = strings.TrimSpace(rest)
	if body == "" {
		return "", "", fmt.Errorf("output has a subject but no body: %w", ErrTemplate)
	}
	return subj, body + "\n", nil
}

// sample is the data Validate renders a template with: every field set, so
// that a misspelt field or a broken construct shows before the template is
// saved rather than when a notice is due.
var sample = Data{
	Site: "example-site", To: "abuse@example.com", Sender: "Support Centre", SenderContact: "help@example.org",
	Reference: "notice 1", Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	Items: []Item{{AlertID: 1, PageURL: "https://example.com/p/1", MediaURL: "https://example.com/m/1.jpg",
		FinalURL: "https://cdn.example.com/m/1.jpg", SHA256: strings.Repeat("ab", 32),
		SeenAt: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), Algorithm: "pdq", Distance: 12}},
}

// Validate reports whether text is a usable template: it parses, and
// rendered with sample data it gives a subject and a body. Errors wrap
// ErrTemplate and say what is wrong (text/template's messages name the
// line).
func Validate(text string) error {
	_, _, err := Render(text, sample)
	return err
}
