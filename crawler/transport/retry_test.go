package transport

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, header string
		want         time.Duration
	}{
		{"absent means the transport's own backoff", "", 0},
		{"seconds are taken as given", "7", 7 * time.Second},
		{"an HTTP date is a wait until then", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"a date in the past means no wait", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"garbage is ignored", "soon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfter(tt.header, now); got != tt.want {
				t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}
