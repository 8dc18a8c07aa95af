package hashing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// SHA256 is the SHA-256 of a file's bytes: what alerts, match results,
// crawl records and previews are keyed by. As text (JSON included) it is
// 64 lowercase hex digits, so one type serves the stored records, the API
// and the command line.
type SHA256 [32]byte

// SumSHA256 is the SHA-256 of b.
func SumSHA256(b []byte) SHA256 { return sha256.Sum256(b) }

// ParseSHA256 reads 64 hex digits.
func ParseSHA256(s string) (SHA256, error) {
	var sum SHA256
	if len(s) != 2*len(sum) {
		return sum, fmt.Errorf("SHA-256 %q is not 64 hex digits", s)
	}
	if _, err := hex.Decode(sum[:], []byte(s)); err != nil {
		return SHA256{}, fmt.Errorf("SHA-256 %q is not 64 hex digits", s)
	}
	return sum, nil
}

// String is the sum as 64 lowercase hex digits.
func (s SHA256) String() string { return hex.EncodeToString(s[:]) }

// IsZero reports whether s is the zero value (no sum), which omitzero
// leaves out of JSON.
func (s SHA256) IsZero() bool { return s == SHA256{} }

// MarshalText writes the sum as 64 lowercase hex digits.
func (s SHA256) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads 64 hex digits.
func (s *SHA256) UnmarshalText(b []byte) error {
	sum, err := ParseSHA256(string(b))
	if err != nil {
		return err
	}
	*s = sum
	return nil
}
