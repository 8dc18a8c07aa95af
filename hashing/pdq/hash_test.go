package pdq

import (
	"errors"
	"strings"
	"testing"
)

const bridgeHex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

func TestParseHashRoundTrip(t *testing.T) {
	h, err := ParseHash(bridgeHex)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.String(); got != bridgeHex {
		t.Errorf("String() = %s, want %s", got, bridgeHex)
	}
	up, err := ParseHash(strings.ToUpper(bridgeHex))
	if err != nil || up != h {
		t.Errorf("ParseHash(upper) = %v, %v; want %v", up, err, h)
	}
	if z := (Hash{}).String(); z != strings.Repeat("0", 64) {
		t.Errorf("zero hash = %q", z)
	}
}

func TestParseHashErrors(t *testing.T) {
	for _, s := range []string{
		"",
		bridgeHex[:63],
		bridgeHex + "0",
		"0x" + bridgeHex[2:],
		" " + bridgeHex[1:],
		bridgeHex[:10] + "g" + bridgeHex[11:],
		bridgeHex[:63] + "-",
		strings.Repeat("é", 32),
	} {
		h, err := ParseHash(s)
		if err == nil {
			t.Errorf("ParseHash(%q) = %v, want error", s, h)
			continue
		}
		if !errors.Is(err, ErrHashSyntax) {
			t.Errorf("ParseHash(%q) error %v does not wrap ErrHashSyntax", s, err)
		}
		if h != (Hash{}) {
			t.Errorf("ParseHash(%q) returned non-zero hash with error", s)
		}
	}
}

func TestDistance(t *testing.T) {
	a, _ := ParseHash(bridgeHex)
	if d := Distance(a, a); d != 0 {
		t.Errorf("Distance(a, a) = %d", d)
	}
	var zero, ones Hash
	for i := range ones {
		ones[i] = 0xff
	}
	if d := Distance(zero, ones); d != 256 {
		t.Errorf("Distance(zero, ones) = %d, want 256", d)
	}
	b := a
	for _, k := range []int{0, 1, 63, 64, 128, 200, 255} {
		b[31-k/8] ^= 1 << (k % 8)
	}
	if d, d2 := Distance(a, b), Distance(b, a); d != 7 || d2 != 7 {
		t.Errorf("Distance after flipping 7 bits = %d, %d", d, d2)
	}
	// Hex digits 92 vs 93 and 79 vs 39: one bit each.
	p, _ := ParseHash("927962c64fa999d6602e37f98b44d9d3667a8acddff36404026b77fe8901980a")
	q, _ := ParseHash("933962c64fa999d6602e37f98b44d9d3667a8acddff36404026b77fe8901980a")
	if d := Distance(p, q); d != 2 {
		t.Errorf("Distance = %d, want 2", d)
	}
}

// bit reports whether bit k (reference numbering) is set.
func (h *Hash) bit(k int) bool {
	return h[31-k>>3]>>(k&7)&1 != 0
}

// TestBitLayout pins the correspondence between the reference's bit numbers
// (bit k = DCT coefficient 16*(k/16) + k%16, stored in 16-bit word k/16),
// the hex string, the bytes and Words.
func TestBitLayout(t *testing.T) {
	for k := range 256 {
		var h Hash
		h.setBit(k)
		if !h.bit(k) {
			t.Fatalf("bit %d not set", k)
		}
		// Reference format: words w[15]..w[0], 4 hex digits each.
		var w [16]uint16
		w[k/16] = 1 << (k % 16)
		var sb strings.Builder
		for i := 15; i >= 0; i-- {
			const digits = "0123456789abcdef"
			for s := 12; s >= 0; s -= 4 {
				sb.WriteByte(digits[w[i]>>s&0xf])
			}
		}
		if got, want := h.String(), sb.String(); got != want {
			t.Fatalf("bit %d: String() = %s, want %s", k, got, want)
		}
		words := h.Words()
		for i, x := range words {
			want := uint64(0)
			if i == k/64 {
				want = 1 << (k % 64)
			}
			if x != want {
				t.Fatalf("bit %d: Words()[%d] = %#x, want %#x", k, i, x, want)
			}
		}
	}
	h, _ := ParseHash(bridgeHex)
	w := h.Words()
	if w[3] != 0xf8f8f0cee0f4a84f || w[0] != 0x33e6b39c4e9c9b22 {
		t.Errorf("Words() = %#x", w)
	}
}
