// Package chart draws the console's small charts as inline SVG: bar charts
// of counts per day and line charts of durations, readable without
// JavaScript. The output is a template.HTML safe to place in an
// html/template page: every label is escaped, numbers are formatted by this
// package, and each chart carries a <title> (and every bar or point its
// own) for screen readers and hover text.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Point is one bar or point: a label for the x axis and hover text, and a
// value. Negative, NaN and infinite values are drawn as zero.
type Point struct {
	Label string
	Value float64
}

// Options size a chart. Zero fields take the defaults.
type Options struct {
	Width, Height int // in CSS pixels; default 480×160
	// Format writes a value for hover text and the axis maximum; nil
	// writes it with %g.
	Format func(float64) string
	// LabelEvery shows every n-th x label (default: enough to keep about
	// ten), so a month of days stays legible.
	LabelEvery int
}

const (
	marginTop    = 16
	marginBottom = 20
	marginLeft   = 36
	marginRight  = 8
	maxPoints    = 1000
)

func (o *Options) defaults(n int) {
	if o.Width <= 0 {
		o.Width = 480
	}
	if o.Height <= 0 {
		o.Height = 160
	}
	o.Width, o.Height = max(o.Width, marginLeft+marginRight+10), max(o.Height, marginTop+marginBottom+10)
	if o.Format == nil {
		o.Format = func(v float64) string { return fmt.Sprintf("%g", v) }
	}
	if o.LabelEvery <= 0 {
		o.LabelEvery = max(1, (n+9)/10)
	}
}

func clean(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// frame holds what Bars and Line share: the scale and the SVG being built.
type frame struct {
	b            strings.Builder
	o            Options
	pts          []Point
	top          float64
	plotW, plotH float64
	x0, y0       float64 // plot origin: left edge, bottom edge
}

func newFrame(kind, title string, pts []Point, o Options) *frame {
	if len(pts) > maxPoints {
		pts = pts[len(pts)-maxPoints:]
	}
	o.defaults(len(pts))
	f := &frame{o: o, pts: pts}
	for _, p := range pts {
		f.top = max(f.top, clean(p.Value))
	}
	if f.top == 0 {
		f.top = 1
	}
	f.plotW = float64(o.Width - marginLeft - marginRight)
	f.plotH = float64(o.Height - marginTop - marginBottom)
	f.x0, f.y0 = marginLeft, float64(o.Height-marginBottom)
	fmt.Fprintf(&f.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-%s" role="img" width="%d" height="%d" viewBox="0 0 %d %d">`,
		kind, o.Width, o.Height, o.Width, o.Height)
	fmt.Fprintf(&f.b, `<title>%s</title>`, esc(title))
	// Axes and the maximum value.
	fmt.Fprintf(&f.b, `<line class="axis" x1="%d" y1="%s" x2="%d" y2="%s" stroke="currentColor" stroke-opacity="0.4"/>`,
		marginLeft, num(f.y0), o.Width-marginRight, num(f.y0))
	fmt.Fprintf(&f.b, `<text class="max" x="%d" y="%d" font-size="10" text-anchor="end" fill="currentColor">%s</text>`,
		marginLeft-4, marginTop+4, esc(o.Format(f.top)))
	if len(pts) == 0 {
		fmt.Fprintf(&f.b, `<text class="empty" x="%d" y="%d" font-size="12" text-anchor="middle" fill="currentColor">-</text>`,
			o.Width/2, o.Height/2)
	}
	return f
}

// height is the drawn height of v.
func (f *frame) height(v float64) float64 { return clean(v) / f.top * f.plotH }

func (f *frame) label(i int, x float64) {
	if i%f.o.LabelEvery != 0 {
		return
	}
	fmt.Fprintf(&f.b, `<text class="label" x="%s" y="%d" font-size="10" text-anchor="middle" fill="currentColor">%s</text>`,
		num(x), f.o.Height-6, esc(f.pts[i].Label))
}

func (f *frame) end() template.HTML {
	f.b.WriteString(`</svg>`)
	// Safe: built only from escaped text and numbers formatted here.
	return template.HTML(f.b.String())
}

// Bars draws a bar chart of pts, left to right, scaled so the largest value
// fills the height. At most 1000 points are drawn (the last ones).
func Bars(title string, pts []Point, o Options) template.HTML {
	f := newFrame("bars", title, pts, o)
	if len(f.pts) > 0 {
		slot := f.plotW / float64(len(f.pts))
		w := max(slot*0.8, 1)
		f.b.WriteString(`<g class="bars" fill="currentColor">`)
		for i, p := range f.pts {
			h := f.height(p.Value)
			x := f.x0 + float64(i)*slot + (slot-w)/2
			fmt.Fprintf(&f.b, `<rect x="%s" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>`,
				num(x), num(f.y0-h), num(w), num(h), esc(p.Label), esc(f.o.Format(clean(p.Value))))
		}
		f.b.WriteString(`</g>`)
		for i := range f.pts {
			f.label(i, f.x0+(float64(i)+0.5)*slot)
		}
	}
	return f.end()
}

// Line draws a line chart of pts with a marked point for each, scaled like
// Bars.
func Line(title string, pts []Point, o Options) template.HTML {
	f := newFrame("line", title, pts, o)
	if len(f.pts) > 0 {
		step := f.plotW / float64(max(len(f.pts)-1, 1))
		xy := make([]string, len(f.pts))
		for i, p := range f.pts {
			xy[i] = num(f.x0+float64(i)*step) + "," + num(f.y0-f.height(p.Value))
		}
		fmt.Fprintf(&f.b, `<polyline class="line" fill="none" stroke="currentColor" stroke-width="2" points="%s"/>`, strings.Join(xy, " "))
		f.b.WriteString(`<g class="points" fill="currentColor">`)
		for i, p := range f.pts {
			x, y, _ := strings.Cut(xy[i], ",")
			fmt.Fprintf(&f.b, `<circle cx="%s" cy="%s" r="3"><title>%s: %s</title></circle>`,
				x, y, esc(p.Label), esc(f.o.Format(clean(p.Value))))
		}
		f.b.WriteString(`</g>`)
		for i := range f.pts {
			f.label(i, f.x0+float64(i)*step)
		}
	}
	return f.end()
}

// esc escapes text for SVG inside HTML (the five XML specials).
func esc(s string) string { return html.EscapeString(s) }

// num formats a coordinate with at most two decimals.
func num(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}
