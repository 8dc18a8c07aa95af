package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/notice"
)

func TestSMTPSettings(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	from := "Centre <takedown@centre.example>"
	for _, tc := range []struct {
		name, from, env string
		o               smtpOptions
		wantErr         string
		wantPassword    string
	}{
		{name: "no server means no mailer", from: from},
		{name: "a server needs the centre's From", o: smtpOptions{addr: "mail.example:587", startTLS: "required"}, wantErr: "--notice-from"},
		{name: "an address without port is refused", from: from, o: smtpOptions{addr: "mail.example", startTLS: "required"}, wantErr: "host:port"},
		{name: "an unknown STARTTLS mode is refused", from: from, o: smtpOptions{addr: "mail.example:587", startTLS: "maybe"}, wantErr: "starttls"},
		{name: "a user without password is refused", from: from, o: smtpOptions{addr: "mail.example:587", startTLS: "required", user: "u"}, wantErr: "no password"},
		{name: "the password comes from the file", from: from, env: "from-env", o: smtpOptions{addr: "mail.example:587", startTLS: "required", user: "u", passwordFile: pwFile}, wantPassword: "from-file"},
		{name: "else from the environment", from: from, env: "from-env", o: smtpOptions{addr: "mail.example:587", startTLS: "opportunistic", user: "u"}, wantPassword: "from-env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(smtpPasswordEnv, tc.env)
			m, err := tc.o.mailer(tc.from)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.o.addr == "" {
				if m != nil {
					t.Fatalf("mailer %v without a server", m)
				}
				return
			}
			if c := m.(notice.SMTP); c.Password != tc.wantPassword || c.Addr != tc.o.addr {
				t.Errorf("mailer %+v", c)
			}
		})
	}
}
