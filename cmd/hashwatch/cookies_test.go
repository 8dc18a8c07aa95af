package main

import (
	"net"
	"testing"
)

// TestTheCookieWarningIsForAPublicConsole checks when serve warns that
// session cookies may travel in clear: a console off loopback without
// --secure-cookies, not --public given for the NATS listener alone.
func TestTheCookieWarningIsForAPublicConsole(t *testing.T) {
	tests := []struct {
		name           string
		addr           string
		public, secure bool
		want           bool
	}{
		{"a console on loopback never warns", "127.0.0.1:8080", false, false, false},
		{"--public for --nats-listen with the console on loopback does not warn", "127.0.0.1:8080", true, false, false},
		{"--public on IPv6 loopback does not warn", "[::1]:8080", true, false, false},
		{"a public console without --secure-cookies warns", "0.0.0.0:8080", true, false, true},
		{"a public console with --secure-cookies does not warn", "192.0.2.1:8080", true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := net.ResolveTCPAddr("tcp", tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got := cookiesInClear(a, tt.public, tt.secure); got != tt.want {
				t.Errorf("cookiesInClear(%s, public %v, secure %v) = %v, want %v", tt.addr, tt.public, tt.secure, got, tt.want)
			}
		})
	}
}
