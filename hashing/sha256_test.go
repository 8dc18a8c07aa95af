package hashing

import (
	"encoding/json"
	"testing"
)

func TestSHA256Text(t *testing.T) {
	// The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	sum := SumSHA256([]byte("abc"))
	if sum.String() != abc {
		t.Fatalf("String = %s, want %s", sum, abc)
	}
	b, err := json.Marshal(struct {
		S SHA256 `json:"s"`
		Z SHA256 `json:"z,omitzero"`
	}{S: sum})
	if err != nil || string(b) != `{"s":"`+abc+`"}` {
		t.Fatalf("JSON = %s, %v", b, err)
	}
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"64 hex digits parse", abc, true},
		{"upper case parses", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", true},
		{"63 digits do not", abc[:63], false},
		{"65 digits do not", abc + "0", false},
		{"a non-hex digit does not", "g" + abc[1:], false},
		{"empty does not", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got SHA256
			err := json.Unmarshal([]byte(`"`+tc.in+`"`), &got)
			if (err == nil) != tc.ok || tc.ok && got != sum {
				t.Fatalf("Unmarshal(%q) = %s, %v", tc.in, got, err)
			}
		})
	}
}
