// Package termtable aligns tab-separated columns for a terminal, measuring
// each cell by the columns it takes there: the CLI's tables carry Korean
// case labels, site names and user names, and text/tabwriter, which counts
// one column per rune, leaves them askew.
package termtable

import (
	"bytes"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Writer aligns tab-separated columns like text/tabwriter with padding 2,
// but measures cells by their width on a terminal: a Hangul syllable (or
// any East Asian wide character) takes two columns, where tabwriter counts
// one per rune and leaves Korean case labels and site names askew.
//
// As in tabwriter, a cell is text ended by a tab; the text after a line's
// last tab is not aligned; a column's width holds across a block of
// consecutive lines that all have that column.
type Writer struct {
	w   io.Writer
	buf bytes.Buffer
}

// tablePadding is the space between columns.
const tablePadding = 2

// New returns a Writer that buffers its input until Flush writes it to w.
func New(w io.Writer) *Writer { return &Writer{w: w} }

// Write buffers p; nothing reaches the underlying writer before Flush.
func (t *Writer) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the buffered lines aligned.
func (t *Writer) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	// The text after the last newline (usually none) is a line too, as
	// tabwriter aligns it, written without a newline.
	partial := lines[len(lines)-1] != ""
	if !partial {
		lines = lines[:len(lines)-1]
	}
	cells := make([][]string, len(lines))
	for i, l := range lines {
		cells[i] = strings.Split(l, "\t")
	}
	widths := make([][]int, len(lines))
	layout(cells, widths, 0, 0, len(lines))
	var out strings.Builder
	for i, row := range cells {
		for j, c := range row {
			out.WriteString(c)
			if j < len(row)-1 {
				out.WriteString(strings.Repeat(" ", widths[i][j]-runewidth.StringWidth(c)))
			}
		}
		if i < len(cells)-1 || !partial {
			out.WriteByte('\n')
		}
	}
	_, err := io.WriteString(t.w, out.String())
	return err
}

// layout sets the width of column col for lines [start, end): each run of
// consecutive lines that have a tab-terminated cell in col shares the
// widest cell's width plus padding, and the next column is laid out
// within the run.
func layout(cells [][]string, widths [][]int, col, start, end int) {
	for i := start; i < end; {
		if len(cells[i])-1 <= col {
			i++
			continue
		}
		j, w := i, 0
		for ; j < end && len(cells[j])-1 > col; j++ {
			w = max(w, runewidth.StringWidth(cells[j][col]))
		}
		for k := i; k < j; k++ {
			for len(widths[k]) <= col {
				widths[k] = append(widths[k], 0)
			}
			widths[k][col] = w + tablePadding
		}
		layout(cells, widths, col+1, i, j)
		i = j
	}
}
