package hashing

import (
	"bytes"
	"errors"
	"testing"
)

func TestSignList(t *testing.T) {
	privPEM, pubPEM, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPEM, _ := GenerateKey()
	other, _ := ParsePublicKey(otherPEM)
	list := []byte("# hashwatch-list format=pdq version=2 algorithm=pdq count=2\n" + bridge + ",100\n" + bridge + ",64\n")
	signed := SignList(list, priv)
	flipped := bytes.Replace(signed, []byte(",64\n"), []byte(",65\n"), 1)
	tests := []struct {
		name string
		data []byte
		key  []byte
		err  error
	}{
		{"the list as signed verifies", signed, pub, nil},
		{"a changed quality is refused", flipped, pub, ErrBadSignature},
		{"a line removed is refused", bytes.Replace(signed, []byte(bridge+",100\n"), nil, 1), pub, ErrBadSignature},
		{"a line appended after the signature is refused", append(bytes.Clone(signed), []byte(bridge+",100\n")...), pub, ErrUnsigned},
		{"another centre's key is refused", signed, other, ErrBadSignature},
		{"an unsigned list is refused", list, pub, ErrUnsigned},
		{"a mangled signature is refused", bytes.Replace(signed, []byte("sig="), []byte("sig=AA"), 1), pub, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyList(tt.data, tt.key)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && !bytes.Equal(got, list) {
				t.Errorf("signed part = %q, want the list", got)
			}
		})
	}
	if _, err := ParsePrivateKey(pubPEM); err == nil {
		t.Error("a public key was read as a private key")
	}
	if _, err := ParsePublicKey(privPEM); err == nil {
		t.Error("a private key was read as a public key")
	}
}
