package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hashwatch/hashwatch/console"
	"github.com/hashwatch/hashwatch/notice"
)

// smtpPasswordEnv holds the SMTP password when no --smtp-password-file is
// given: never a flag, which other users see in the process list.
const smtpPasswordEnv = "HASHWATCH_SMTP_PASSWORD"

// smtpOptions are serve's mail delivery settings.
type smtpOptions struct {
	addr, startTLS, user, passwordFile string
}

func smtpFlags(cmd *cobra.Command, o *smtpOptions) {
	f := cmd.Flags()
	f.StringVar(&o.addr, "smtp-addr", "", "send notices by mail through this SMTP server (host:port, e.g. mail.centre.example:587); without it notices are exported and sent by hand")
	f.StringVar(&o.startTLS, "smtp-starttls", string(notice.StartTLSRequired), "required (refuse a server without STARTTLS) or opportunistic (encrypt when offered)")
	f.StringVar(&o.user, "smtp-user", "", "SMTP user name (AUTH PLAIN, over TLS only); the password comes from --smtp-password-file or $"+smtpPasswordEnv)
	f.StringVar(&o.passwordFile, "smtp-password-file", "", "file holding the SMTP password (first line)")
}

// mailer builds the notice mailer, or nil when no SMTP server is set. The
// From address must be the centre's own (--notice-from).
func (o smtpOptions) mailer(from string) (console.Mailer, error) {
	if o.addr == "" {
		return nil, nil
	}
	if from == "" {
		return nil, usagef("serve: --smtp-addr needs --notice-from, the centre's address notices are sent from")
	}
	c := notice.SMTP{Addr: o.addr, StartTLS: notice.StartTLS(o.startTLS), Username: o.user}
	if err := c.Check(); err != nil {
		return nil, usagef("serve: %v", err)
	}
	if o.user != "" {
		switch {
		case o.passwordFile != "":
			b, err := os.ReadFile(o.passwordFile)
			if err != nil {
				return nil, fmt.Errorf("serve: --smtp-password-file: %w", err)
			}
			c.Password, _, _ = strings.Cut(string(b), "\n")
			c.Password = strings.TrimRight(c.Password, "\r")
		default:
			c.Password = os.Getenv(smtpPasswordEnv)
		}
		if c.Password == "" {
			return nil, usagef("serve: --smtp-user %s has no password: put it in --smtp-password-file or $%s", o.user, smtpPasswordEnv)
		}
	}
	return c, nil
}
