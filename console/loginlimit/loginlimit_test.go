package loginlimit

import (
	"strconv"
	"testing"
	"time"
)

func TestLimiterKeysIPv6ByPrefixAndStaysBounded(t *testing.T) {
	if got, want := Key("2001:db8:1:2:aaaa::1"), Key("2001:db8:1:2:bbbb::2"); got != want {
		t.Errorf("two addresses of one /64: %q vs %q", got, want)
	}
	if Key("203.0.113.1") == Key("203.0.113.2") {
		t.Error("IPv4 addresses share a key")
	}
	now := time.Now()
	l := New(2, time.Minute, time.Minute, func() time.Time { return now })
	for i := range maxLimiterKeys + 50 {
		if ok, _ := l.Admit(strconv.Itoa(i)); ok {
			l.Settle(strconv.Itoa(i), false, false)
		}
	}
	if n := len(l.hits); n > maxLimiterKeys {
		t.Errorf("%d keys kept, limit %d", n, maxLimiterKeys)
	}
}
