package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/cmd/hashwatch/internal/termtable"
	"github.com/hashwatch/hashwatch/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (a *app) userCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage console accounts: add, list, issue API tokens",
		Args:  cobra.NoArgs,
	}
	var role, lang, tz, centre string
	add := &cobra.Command{
		Use:   "add NAME [--role R[,R…]] [--centre ID] [--lang ko|en] [--tz ZONE]",
		Short: "Add a console account (the password is read from the terminal or stdin)",
		Long: `add creates a console account. The password is never a flag (flags end up in shell
history and process lists): on a terminal it is prompted for twice without echo,
otherwise the first line of standard input is the password. At least 10 bytes.

Roles: admin manages users and reads the audit log; staff register and withdraw
cases; operator reviews alerts and sends notices; analyst manages sites and crawls.
A user may have several (--role operator,staff) and does the work of each.
Without --role the account is an analyst, the role that sees no victim's case,
alert or notice: give more only on purpose.

Every user belongs to one centre (--centre; the national centre by default while
it is the only one, required once there are others). Users of the national
centre see every centre's work; a regional centre's users see only their own.`,
		Example: `  hashwatch user add kim --role operator
  hashwatch user add lee --role staff --centre busan
  printf '%s\n' "$PASSWORD" | hashwatch user add bot --role analyst`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var roles []accounts.Role
			for _, r := range strings.Split(role, ",") {
				r = strings.TrimSpace(r)
				if !accounts.Role(r).Valid() || slices.Contains(roles, accounts.Role(r)) {
					return usagef("user add: --role must be one or more of admin, staff, operator, analyst, comma-separated, each once (got %q)", role)
				}
				roles = append(roles, accounts.Role(r))
			}
			pw, err := readPassword(cmd.InOrStdin(), a.stderr)
			if err != nil {
				return err
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			cs, err := db.Centres.List()
			if err != nil {
				return err
			}
			in, err := centreFlag(cs, centre, "user add")
			if err != nil {
				return err
			}
			u, err := db.Accounts.AddUser(cmd.Context(), accounts.NewUser{Name: args[0], Role: roles[0], AlsoRoles: roles[1:], Centre: in, Password: pw, Language: lang, TimeZone: tz}, a.actor())
			if err != nil {
				if errors.Is(err, store.ErrInvalid) {
					return usageError{err}
				}
				return err
			}
			fmt.Fprintf(a.stdout, "added user %s (%s) in centre %s\n", safe(u.Name), joinRoles(u.Roles()), safe(u.Centre))
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", string(accounts.RoleAnalyst), "analyst (the least powerful), operator, staff or admin, or several comma-separated")
	add.Flags().StringVar(&centre, "centre", "", "the user's centre (default national; required once there are several)")
	add.Flags().StringVar(&lang, "lang", "", "console language: ko or en (default: the browser's)")
	add.Flags().StringVar(&tz, "tz", "", "time zone for shown times (default "+accounts.DefaultTimeZone+")")

	list := &cobra.Command{
		Use:     "list",
		Short:   "List console accounts",
		Example: `  hashwatch user list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			users, err := db.Accounts.Users()
			if err != nil {
				return err
			}
			tw := termtable.New(a.stdout)
			fmt.Fprintln(tw, "NAME\tROLE\tCENTRE\tSTATE\tLANGUAGE\tTIME ZONE\tCREATED")
			for _, u := range users {
				state := "active"
				if u.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", safe(u.Name), joinRoles(u.Roles()), safe(u.Centre), state, safe(orDash(u.Language)), safe(orDash(u.TimeZone)), u.CreatedAt.In(a.loc).Format("2006-01-02"))
			}
			return tw.Flush()
		},
	}

	var tokenName, tokenScope string
	var lookupsJSON bool
	var tokenTTL time.Duration
	token := &cobra.Command{
		Use:   "token NAME [--name LABEL] [--scope S] [--expires 720h]",
		Short: "Issue an API token for a user's scripts (printed once, stored hashed)",
		Long: `token issues a new API token acting with the user's role, narrowed by --scope
(read: GET requests only; report: reported URLs only; operator or staff: what that
role may do; lookup: the partners' lookup API, POST /api/lookup and GET
/api/lookup/feed, and nothing else, whatever the user's role) and ending after
--expires if given. Only its hash is kept: copy it now, it cannot be shown again.
Scripts send it as "Authorization: Bearer TOKEN" to the console's /api/ routes.

For a partner platform, add an account of its own (an analyst, the role that sees
no victim's data) in the centre whose list it checks, and give it lookup tokens.`,
		Example: `  hashwatch user token bot --name nightly-report
  hashwatch user token partner1 --name hotline-feed --scope report --expires 2160h
  hashwatch user token platform-x --name upload-check --scope lookup --expires 8760h`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			scope, err := accounts.ParseTokenScope(tokenScope)
			if err != nil {
				return usagef("user token: %v", err)
			}
			secret, _, err := db.Accounts.CreateTokenWith(cmd.Context(), args[0], tokenName, accounts.TokenOptions{Scope: scope, TTL: tokenTTL}, a.actor())
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, secret)
			return nil
		},
	}
	token.Flags().StringVar(&tokenName, "name", "", "what the token is for")
	token.Flags().StringVar(&tokenScope, "scope", "full", "what the token may do below the user's role: full, read (GET only), report (reported URLs only), operator, staff or lookup (the partners' lookup API only)")
	token.Flags().DurationVar(&tokenTTL, "expires", 0, "lifetime, e.g. 720h (0: until revoked)")
	lookups := &cobra.Command{
		Use:   "lookups [NAME]",
		Short: "Show partners' lookups per day: requests, hashes, frames, matches",
		Long: `lookups prints how often each partner (the owner of a lookup token) called the lookup
API, per day (UTC): requests, picture hashes and videos asked about, video frames, and
how many of them matched. Counts are all that is kept — never the hashes asked about.`,
		Example: `  hashwatch user lookups
  hashwatch user lookups platform-x --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			counts, err := db.Accounts.LookupCounts(name)
			if err != nil {
				return err
			}
			if lookupsJSON {
				enc := json.NewEncoder(a.stdout)
				for _, c := range counts {
					if err := enc.Encode(c); err != nil {
						return err
					}
				}
				return nil
			}
			tw := termtable.New(a.stdout)
			fmt.Fprintln(tw, "PARTNER\tDAY\tREQUESTS\tHASHES\tFRAMES\tMATCHES")
			for _, c := range counts {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", safe(c.User), c.Day, c.Requests, c.Hashes, c.Frames, c.Matches)
			}
			return tw.Flush()
		},
	}
	lookups.Flags().BoolVar(&lookupsJSON, "json", false, "one JSON object per partner and day")
	cmd.AddCommand(add, list, token, lookups)
	return cmd
}

// actor is the audit log's "who" for changes made on the command line:
// the operating-system user ($USER of the shell that ran the command, also
// when the process holding the database runs it), since there is no
// console login; without $USER (cron, systemd) the user ID, which the
// holder's socket only accepts from its own user.
func (a *app) actor() store.Actor {
	name := a.getenv("USER")
	if name == "" {
		name = strconv.Itoa(os.Getuid())
	}
	return store.Actor{User: "cli:" + name}
}

// joinRoles is a user's roles as the --role flag takes them.
func joinRoles(rs []accounts.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// readPassword prompts twice without echo on a terminal, or reads the first
// line of in otherwise.
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", usagef("user add: the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("user add: no password on stdin (one line expected)")
	}
	return line, nil
}
