package work

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/siteconfig"
)

func TestIsPrivateAddress(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"fe80::1", true}, {"fd00:ec2::254", true}, {"0.0.0.0", true}, {"::", true},
		{"100.64.0.1", true}, {"::ffff:127.0.0.1", true}, {"224.0.0.1", true},
		{"64:ff9b:1::a00:1", true}, {"::ffff:8.8.8.8", true}, {"::ffff:0:808:808", true}, {"2001::1", true},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", true}, {"fec0::1", true}, {"2001:db8::1", true},
		{"93.184.215.14", false}, {"2606:2800:21f:cb07:6820:80da:af6b:8b2c", false}, {"8.8.8.8", false},
	}
	for _, tt := range tests {
		if got := IsPrivateAddress(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("IsPrivateAddress(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestGuardRefusesLoopbackAtConnectTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the guarded client reached the server: %s", r.URL)
	}))
	defer srv.Close()
	site := &siteconfig.Site{RequestTimeout: siteconfig.Duration(5 * time.Second), Parallelism: 1, MaxRedirects: 3}
	f := NewFetcher(site, NewTransport(site), "test")
	// "localhost" resolves to loopback: the check must happen on the
	// resolved address, not on the name.
	for _, u := range []string{srv.URL + "/x.jpg", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/x.jpg"} {
		_, err := f.Get(context.Background(), u, 1<<20, Validators{})
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("get %s: err = %v, want ErrPrivateAddress", u, err)
		}
	}
}

func TestGuardRefusesRedirectToPrivateAddress(t *testing.T) {
	// The target is loopback too, but with allow_private false nothing on
	// loopback can be reached; a redirect is the same connection check.
	site := &siteconfig.Site{RequestTimeout: siteconfig.Duration(5 * time.Second), Parallelism: 1, MaxRedirects: 3}
	f := NewFetcher(site, NewTransport(site), "test")
	_, err := f.Get(context.Background(), "http://169.254.169.254/latest/meta-data/", 1<<20, Validators{})
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("metadata address: err = %v, want ErrPrivateAddress", err)
	}
}

func TestAllowNetworksLetsOnlyThoseNetworksThrough(t *testing.T) {
	// The guard is called directly, as the dialer would before connecting:
	// no connection is attempted, so no packet can leave for 10.0.0.1.
	check := guard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	tests := []struct {
		addr    string
		allowed bool
	}{
		{"127.0.0.1:8080", true},
		{"[::ffff:127.0.0.1]:8080", true},
		{"10.0.0.1:80", false},
		{"169.254.169.254:80", false},
		{"[::1]:80", false},
		{"93.184.215.14:443", true},
	}
	for _, tt := range tests {
		err := check("tcp", tt.addr, nil)
		if (err == nil) != tt.allowed || (err != nil && !errors.Is(err, ErrPrivateAddress)) {
			t.Errorf("guard(%s) = %v, want allowed %v", tt.addr, err, tt.allowed)
		}
	}
}
