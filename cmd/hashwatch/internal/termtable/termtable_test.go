package termtable

import (
	"bytes"
	"strings"
	"testing"
	"text/tabwriter"
)

func TestTablesAlignHangulByDisplayWidth(t *testing.T) {
	var b bytes.Buffer
	tw := New(&b)
	tw.Write([]byte("ID\tLABEL\tFILES\n"))
	tw.Write([]byte("c1\t피해자 사건\t3\n"))
	tw.Write([]byte("case-2\tdemo\t12\n"))
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	// Expected by hand: LABEL's column is as wide as "피해자 사건" on a
	// terminal (5 syllables × 2 + 1 space = 11) plus 2 of padding.
	want := "ID      LABEL        FILES\n" +
		"c1      피해자 사건  3\n" +
		"case-2  demo         12\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestTablesMatchTabwriterOnASCII(t *testing.T) {
	in := "a\tbb\tccc\n" + "dddd\te\n" + "no tabs here\n" + "f\tgggggg\th\ti\n" + "partial\tline"
	var got, want bytes.Buffer
	tw := New(&got)
	tw.Write([]byte(in))
	tw.Flush()
	ref := tabwriter.NewWriter(&want, 0, 4, 2, ' ', 0)
	ref.Write([]byte(in))
	ref.Flush()
	if got.String() != want.String() {
		t.Errorf("got\n%q\nwant (text/tabwriter)\n%q", got.String(), want.String())
	}
	if !strings.HasSuffix(got.String(), "partial  line") {
		t.Errorf("the partial last line: %q", got.String())
	}
}
