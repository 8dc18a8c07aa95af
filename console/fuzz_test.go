package console

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

// FuzzQueryParsing feeds arbitrary query strings to the parsers of the
// queue, audit and dashboard filters and the Accept-Language header: none
// may panic, and every refusal must be a 4xx for the user.
func FuzzQueryParsing(f *testing.F) {
	for _, s := range []string{"", "status=new&sort=confidence&page=2", "from=2026-02-30&to=x", "per_page=0", "page=99999999999999999999",
		"before=18446744073709551616&limit=-1", "status=%ff", "user=a&action=alert.&target=1"} {
		f.Add(s, "ko-KR,ko;q=0.9,en;q=0.8")
	}
	zone := time.FixedZone("KST", 9*3600)
	f.Fuzz(func(t *testing.T, query, acceptLanguage string) {
		_ = negotiate(acceptLanguage)
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		check := func(err error) {
			if err == nil {
				return
			}
			var he *httpError
			if !errors.As(err, &he) || he.status < 400 || he.status >= 500 || he.msg == "" {
				t.Fatalf("query %q: error %v is not a 4xx with a message", query, err)
			}
		}
		for _, page := range []bool{false, true} {
			qq, err := parseQueue(q, zone, page)
			check(err)
			if err == nil && (qq.Page < 1 || qq.PerPage < 1 || qq.PerPage > maxPerPage) {
				t.Fatalf("query %q: page %d per_page %d accepted", query, qq.Page, qq.PerPage)
			}
		}
		_, err = auditQuery(q, zone)
		check(err)
	})
}
