package hashing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// A list is signed so that a centre knows it came from the national
// centre, unchanged: the signer appends one last line,
//
//	# signature ed25519 key=KEYID sig=BASE64
//
// where sig is the Ed25519 signature (RFC 8032, crypto/ed25519) of every
// byte before that line, exactly as written, and KEYID the first 16 hex
// digits of the SHA-256 of the public key, so a reader holding several
// keys can tell which one signed. The line is a comment: a reader that
// does not verify reads the list as if unsigned. Nothing may follow it
// but its newline, so lines appended after signing are refused too.
//
// Keys are PEM files as OpenSSL writes them (PKCS #8 "PRIVATE KEY",
// PKIX "PUBLIC KEY"), so `openssl genpkey -algorithm ed25519` keys work
// and partners can verify with their own tools: the signed bytes are the
// file without its last line, the signature its sig field.

// signaturePrefix starts a signature line.
const signaturePrefix = "# signature ed25519 "

// ErrUnsigned marks a list that carries no signature where one is
// required.
var ErrUnsigned = errors.New("the list is not signed")

// ErrBadSignature marks a list whose signature does not verify: it was
// changed after signing, or signed with another key.
var ErrBadSignature = errors.New("the list's signature does not verify")

// KeyID names a public key in signature lines: the first 16 hex digits
// of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// SignList returns list with its signature line appended. A list that
// does not end in a newline gets one first (it is part of what is
// signed).
func SignList(list []byte, key ed25519.PrivateKey) []byte {
	out := bytes.Clone(list)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	sig := ed25519.Sign(key, out)
	pub := key.Public().(ed25519.PublicKey)
	return fmt.Appendf(out, "%skey=%s sig=%s\n", signaturePrefix, KeyID(pub), base64.StdEncoding.EncodeToString(sig))
}

// VerifyList checks that data ends in a signature by pub over everything
// before it and returns the signed part. It wraps ErrUnsigned when there
// is no signature line (or something follows it) and ErrBadSignature when
// the signature does not hold.
func VerifyList(data []byte, pub ed25519.PublicKey) ([]byte, error) {
	body := bytes.TrimSuffix(data, []byte("\n"))
	body = bytes.TrimSuffix(body, []byte("\r"))
	i := bytes.LastIndexByte(body, '\n')
	signed, last := body[:i+1], string(body[i+1:])
	if !strings.HasPrefix(last, signaturePrefix) {
		if bytes.Contains(data, []byte(signaturePrefix)) {
			return nil, fmt.Errorf("lines follow the signature line (added after signing?): %w", ErrUnsigned)
		}
		return nil, fmt.Errorf("no %q line at its end: %w", strings.TrimSpace(signaturePrefix), ErrUnsigned)
	}
	var keyID, sig64 string
	for _, f := range strings.Fields(strings.TrimPrefix(last, signaturePrefix)) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "key":
			keyID = v
		case "sig":
			sig64 = v
		}
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("the signature line holds no Ed25519 signature: %w", ErrBadSignature)
	}
	if want := KeyID(pub); keyID != want {
		return nil, fmt.Errorf("signed with key %s, not with the given key %s: %w", keyID, want, ErrBadSignature)
	}
	if !ed25519.Verify(pub, signed, sig) {
		return nil, fmt.Errorf("key %s: the list was changed after it was signed: %w", keyID, ErrBadSignature)
	}
	return signed, nil
}

// GenerateKey makes a new signing key pair and returns both as PEM.
func GenerateKey() (private, public []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("generate Ed25519 key: %w", err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}), nil
}

// ParsePrivateKey reads an Ed25519 private key from PEM (PKCS #8).
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" (make one with `hashwatch key generate`)")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key is %T, want Ed25519", k)
	}
	return priv, nil
}

// ParsePublicKey reads an Ed25519 public key from PEM (PKIX).
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM \"PUBLIC KEY\" (the .pub file `hashwatch key generate` wrote)")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is %T, want Ed25519", k)
	}
	return pub, nil
}
