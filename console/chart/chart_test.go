package chart

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// svg is the part of the output the tests read back with encoding/xml.
type svg struct {
	XMLName xml.Name `xml:"svg"`
	Role    string   `xml:"role,attr"`
	Width   int      `xml:"width,attr"`
	Height  int      `xml:"height,attr"`
	Title   string   `xml:"title"`
	Bars    []struct {
		X      float64 `xml:"x,attr"`
		Y      float64 `xml:"y,attr"`
		Width  float64 `xml:"width,attr"`
		Height float64 `xml:"height,attr"`
		Title  string  `xml:"title"`
	} `xml:"g>rect"`
	Points []struct {
		CY    float64 `xml:"cy,attr"`
		Title string  `xml:"title"`
	} `xml:"g>circle"`
	Polyline struct {
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Texts []struct {
		Class string `xml:"class,attr"`
		Text  string `xml:",chardata"`
	} `xml:"text"`
}

func parse(t *testing.T, out string) svg {
	t.Helper()
	var s svg
	if err := xml.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("output is not well-formed SVG: %v\n%s", err, out)
	}
	if s.Role != "img" || s.Title == "" {
		t.Errorf("chart lacks role=img or a title: role %q title %q", s.Role, s.Title)
	}
	return s
}

func TestBarsAreScaledToTheLargestValue(t *testing.T) {
	pts := []Point{{"Mon", 2}, {"Tue", 0}, {"Wed", 8}, {"Thu", 4}, {"Fri", -3}, {"Sat", math.NaN()}}
	s := parse(t, string(Bars("Alerts per day", pts, Options{Width: 300, Height: 136})))
	if s.Title != "Alerts per day" || s.Width != 300 || s.Height != 136 {
		t.Errorf("title %q size %dx%d", s.Title, s.Width, s.Height)
	}
	if len(s.Bars) != len(pts) {
		t.Fatalf("%d bars, want %d", len(s.Bars), len(pts))
	}
	plot := float64(136 - marginTop - marginBottom) // 100
	want := []float64{25, 0, 100, 50, 0, 0}
	for i, b := range s.Bars {
		if math.Abs(b.Height-want[i]*plot/100) > 0.01 {
			t.Errorf("bar %d (%s) is %.2f high, want %.2f", i, pts[i].Label, b.Height, want[i]*plot/100)
		}
		if math.Abs(b.Y+b.Height-float64(136-marginBottom)) > 0.01 {
			t.Errorf("bar %d does not stand on the axis: y %.2f + h %.2f", i, b.Y, b.Height)
		}
		if i > 0 && b.X <= s.Bars[i-1].X {
			t.Errorf("bar %d is not right of bar %d", i, i-1)
		}
		if b.X < marginLeft || b.X+b.Width > 300 {
			t.Errorf("bar %d at x %.2f..%.2f is outside the chart", i, b.X, b.X+b.Width)
		}
	}
	if s.Bars[2].Title != "Wed: 8" || s.Bars[4].Title != "Fri: 0" {
		t.Errorf("bar titles %q, %q", s.Bars[2].Title, s.Bars[4].Title)
	}
}

func TestLabelsAreEscaped(t *testing.T) {
	evil := `<script>alert("x")</script>&`
	out := string(Bars(evil, []Point{{evil, 1}}, Options{}))
	if strings.Contains(out, "<script>") {
		t.Fatalf("unescaped markup in the chart:\n%s", out)
	}
	s := parse(t, out)
	if s.Title != evil || s.Bars[0].Title != evil+": 1" {
		t.Errorf("escaped text does not read back: title %q bar %q", s.Title, s.Bars[0].Title)
	}
	var labels []string
	for _, tx := range s.Texts {
		if tx.Class == "label" {
			labels = append(labels, tx.Text)
		}
	}
	if len(labels) != 1 || labels[0] != evil {
		t.Errorf("x labels %q", labels)
	}
}

func TestLineAndFormat(t *testing.T) {
	hours := func(v float64) string { return (time.Duration(v) * time.Hour).String() }
	pts := []Point{{"a", 1}, {"b", 4}, {"c", 2}}
	s := parse(t, string(Line("Time to removal", pts, Options{Height: 120, Format: hours})))
	if len(s.Points) != 3 || len(strings.Fields(s.Polyline.Points)) != 3 {
		t.Fatalf("%d points, polyline %q", len(s.Points), s.Polyline.Points)
	}
	bottom := float64(120 - marginBottom)
	plot := float64(120 - marginTop - marginBottom)
	for i, p := range s.Points {
		want := bottom - pts[i].Value/4*plot
		if math.Abs(p.CY-want) > 0.01 {
			t.Errorf("point %d at y %.2f, want %.2f", i, p.CY, want)
		}
	}
	if s.Points[1].Title != "b: 4h0m0s" {
		t.Errorf("point title %q", s.Points[1].Title)
	}
	for _, tx := range s.Texts {
		if tx.Class == "max" && tx.Text != "4h0m0s" {
			t.Errorf("axis maximum %q", tx.Text)
		}
	}
}

func TestEmptyAndLongSeries(t *testing.T) {
	for _, draw := range []func(string, []Point, Options) string{
		func(t string, p []Point, o Options) string { return string(Bars(t, p, o)) },
		func(t string, p []Point, o Options) string { return string(Line(t, p, o)) },
	} {
		s := parse(t, draw("nothing yet", nil, Options{}))
		if len(s.Bars)+len(s.Points) != 0 {
			t.Errorf("an empty chart has marks")
		}
		var many []Point
		for i := range 2 * maxPoints {
			many = append(many, Point{strconv.Itoa(i), float64(i % 7)})
		}
		s = parse(t, draw("many", many, Options{}))
		if n := len(s.Bars) + len(s.Points); n != maxPoints {
			t.Errorf("%d marks drawn of %d points, want the last %d", n, len(many), maxPoints)
		}
		labels := 0
		for _, tx := range s.Texts {
			if tx.Class == "label" {
				labels++
			}
		}
		if labels > 10 {
			t.Errorf("%d x labels on a long series, want about ten", labels)
		}
	}
}
