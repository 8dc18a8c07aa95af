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
	ipKey, userKey := loginlimit.Key(remote), strings.ToLower(user)
	if ok, at := s.ipLimit.Admit(ipKey); !ok {
		return nil, false, at
	}
	if ok, at := s.userLimit.Admit(userKey); !ok {
		s.ipLimit.Settle(ipKey, true, false)
		return nil, false, at
	}
	return func(ok bool) {
		s.ipLimit.Settle(ipKey, ok, false)
		s.userLimit.Settle(userKey, ok, true)
	}, true, time.Time{}
}
