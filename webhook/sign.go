package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	HeaderSignature = "Hashwatch-Signature"
	HeaderEvent     = "Hashwatch-Event"
	HeaderDelivery  = "Hashwatch-Delivery"
)

// ErrSignature reports a delivery whose signature does not verify.
var ErrSignature = errors.New("webhook signature invalid")

// Sign returns the Hashwatch-Signature value for body sent at t:
// "t=UNIX,v1=HEX" with HEX = HMAC-SHA256(secret, "UNIX." + body).
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a Hashwatch-Signature header against body, as a receiver
// does: the HMAC must match (compared in constant time) and the timestamp
// be within tolerance of now, so a captured delivery cannot be replayed
// later.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("header %q: want t=UNIX,v1=HEX: %w", header, ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("timestamp %s is %s from now: %w", ts, d.Round(time.Second), ErrSignature)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("no signature matches: %w", ErrSignature)
}

// deliver POSTs one event; any answer but 2xx is an error.
func (q *Queue) deliver(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, q.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hashwatch-webhook")
	req.Header.Set(HeaderEvent, ev.Type)
	req.Header.Set(HeaderDelivery, strconv.FormatUint(ev.ID, 10))
	req.Header.Set(HeaderSignature, Sign(q.cfg.Secret, body, q.cfg.Now()))
	resp, err := q.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}
