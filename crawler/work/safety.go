package work

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/crawler/transport"
)

// ErrPrivateAddress reports a connection refused because its address is
// loopback, private, link-local or otherwise internal, and the site does not
// set allow_private. It is transport.ErrPrivateAddress, which the retrying
// transport never retries.
var ErrPrivateAddress = transport.ErrPrivateAddress

// blockedPrefixes are the ranges a crawler of public websites has no reason
// to reach, beyond what netip's predicates cover: carrier-grade NAT, the
// IETF protocol block, benchmarking and documentation networks, and
// NAT64/6to4 forms that can embed internal IPv4 addresses.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215)
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("2001::/32"),       // Teredo, which embeds an IPv4 address
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local, still routed internally
	netip.MustParsePrefix("::ffff:0:0/96"),   // IPv4-mapped: never a public IPv6 destination
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (SIIT)
}

// IsPrivateAddress reports whether addr is one the crawler refuses unless
// allow_private is set: loopback, RFC 1918 and unique-local, link-local
// (which includes the 169.254.169.254 cloud metadata service), multicast,
// unspecified and the special ranges above.
func IsPrivateAddress(addr netip.Addr) bool {
	for _, p := range blockedPrefixes {
		if p.Contains(addr) {
			return true // the IPv6 forms that carry an IPv4 address included
		}
	}
	addr = addr.Unmap()
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// guard is a net.Dialer Control function that refuses private addresses
// except those in allow. It runs after DNS resolution, on the address
// actually being connected to and before any packet is sent, for every
// connection including those made by redirects.
func guard(allow []netip.Prefix) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("connect %s: unparsable address: %w", address, ErrPrivateAddress)
		}
		addr := ap.Addr()
		if !IsPrivateAddress(addr) {
			return nil
		}
		addr = addr.Unmap() // allow_networks name IPv4 networks as IPv4
		for _, p := range allow {
			if p.Contains(addr) {
				return nil
			}
		}
		return fmt.Errorf("connect %s: %w (set allow_private: true, or list the network in allow_networks, to permit it)", address, ErrPrivateAddress)
	}
}

// NewTransport returns an HTTP transport for one site: no proxy from the
// environment (a proxy would connect on our behalf, past the guard), bounded
// header and handshake times, and the private-address guard unless
// allow_private is set (with the site's allow_networks let through).
func NewTransport(site *siteconfig.Site) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !site.AllowPrivate {
		d.Control = guard(site.AllowedNetworks())
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: time.Duration(site.RequestTimeout),
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   max(site.Parallelism, 2),
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}
