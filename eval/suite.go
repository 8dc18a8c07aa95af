package eval

import (
	"image/color"

	"github.com/hashwatch/hashwatch/fixtures"
)

// Group is a family of edits with the recall it should reach.
type Group struct {
	Name   string
	Target float64
	Edits  []fixtures.Edit
}

// DefaultSuite is the evaluation's edit suite, grouped as in the hashing
// issue's targets. Every edit is a deterministic Go transform.
func DefaultSuite() []Group {
	black, white := color.Black, color.White
	return []Group{
		{"re-encode and resize", 0.99, []fixtures.Edit{
			fixtures.JPEGQuality(90), fixtures.JPEGQuality(70), fixtures.JPEGQuality(50), fixtures.JPEGQuality(30),
			fixtures.PNG(), fixtures.WebP(75), fixtures.WebP(50), fixtures.Resize(0.25), fixtures.Resize(0.5), fixtures.Resize(2),
		}},
		{"mirror and quarter turns", 0.99, []fixtures.Edit{
			fixtures.Mirror(), fixtures.Rotate(90), fixtures.Rotate(180), fixtures.Rotate(270),
		}},
		{"tone, blur and noise", 0.98, []fixtures.Edit{
			fixtures.Grayscale(), fixtures.Brightness(20), fixtures.Brightness(-20),
			fixtures.Contrast(20), fixtures.Contrast(-20), fixtures.Gamma(0.7), fixtures.Gamma(1.4),
			fixtures.Blur(1), fixtures.Blur(2), fixtures.Noise(8, 1),
		}},
		{"bars, canvas and stretch", 0.95, []fixtures.Edit{
			fixtures.Letterbox(0.10, black), fixtures.Letterbox(0.20, white),
			fixtures.Pillarbox(0.10, white), fixtures.Pillarbox(0.20, black),
			fixtures.Pad(1.5, black), fixtures.Pad(1.5, white), fixtures.Stretch(16, 9),
		}},
		{"light crops and overlays", 0.95, []fixtures.Edit{
			fixtures.Crop(0.05, 0.05, 0.05, 0.05), fixtures.Crop(0.10, 0.10, 0.10, 0.10),
			fixtures.Crop(0.10, 0, 0, 0), fixtures.Crop(0, 0.10, 0.10, 0),
			fixtures.CaptionAbove(0.10), fixtures.CaptionBelow(0.10),
			fixtures.Watermark(fixtures.BottomRight, 0.25), fixtures.Watermark(fixtures.TopLeft, 0.25),
		}},
		{"heavy crops, small rotations, combinations", 0.80, []fixtures.Edit{
			fixtures.Crop(0.20, 0.20, 0.20, 0.20), fixtures.Crop(0.20, 0, 0, 0), fixtures.Crop(0, 0.20, 0.20, 0),
			fixtures.Rotate(5), fixtures.Rotate(-5),
			// Corner crops: 15% cut from two adjacent sides (85% × 85%
			// kept from one corner), and an off-grid 18% from another
			// corner that no registered view was cut at.
			fixtures.Crop(0.15, 0.15, 0, 0), fixtures.Crop(0, 0, 0.15, 0.15), fixtures.Crop(0.18, 0, 0, 0.18),
			fixtures.Combine("mirror+crop-all10+jpeg-q50", fixtures.Mirror(), fixtures.Crop(0.10, 0.10, 0.10, 0.10), fixtures.JPEGQuality(50)),
		}},
	}
}
