package console

import (
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/console/loginlimit"
)

// passwordAttempt admits one password check from remote for user, counted
// as a failure before it runs. When it is refused it returns false and when
// to come back; otherwise the check must end with the returned settle,
// given whether the password was right.
func (s *Server) passwordAttempt(remote, user string) (settle func(ok bool), admitted bool, retry time.Time) {
	return secretAttempt(s.ipLimit, s.userLimit, loginlimit.Key(remote), strings.ToLower(user))
}

// secretAttempt admits one check of a secret (a password, a case's PIN)
// against two limiters: the caller's address (ipKey) and what the secret
// guards (key: a user name, a case). It is counted as a failure in both
// before it runs; a right secret takes it back, and forgets key's earlier
// failures.
func secretAttempt(ipLimit, keyLimit *loginlimit.Limiter, ipKey, key string) (settle func(ok bool), admitted bool, retry time.Time) {
	if ok, at := ipLimit.Admit(ipKey); !ok {
		return nil, false, at
	}
	if ok, at := keyLimit.Admit(key); !ok {
		ipLimit.Settle(ipKey, true, false)
		return nil, false, at
	}
	return func(ok bool) {
		ipLimit.Settle(ipKey, ok, false)
		keyLimit.Settle(key, ok, true)
	}, true, time.Time{}
}
