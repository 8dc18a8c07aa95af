package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/hashwatch/hashwatch/fixtures"
)

// runEnv runs the binary with exactly env (plus PATH), stdin, in dir.
func runEnv(t *testing.T, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

func TestAReadCommandOnAMissingDatabaseIsAnError(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw-typo.db")
	for _, args := range [][]string{
		{"alerts", "list"}, {"alerts", "show", "1"}, {"alerts", "undo", "1"}, {"sites"}, {"case", "list"}, {"user", "list"},
		{"quarantine", "list"}, {"negative", "list"}, {"export"}, {"audit", "export"}, {"match", "x.jpg"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := cli(t, db, args...)
			want := "no database at " + db + "; `register` or `crawl` creates one"
			if code != 1 || !strings.Contains(errOut, want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and %q", code, out, errOut, want)
			}
			if _, err := os.Stat(db); !os.IsNotExist(err) {
				t.Fatalf("%s was created: %v", db, err)
			}
		})
	}
}

func TestTimesAreInTheDeploymentsZoneAndHangulAligns(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	photo := filepath.Join("..", "..", "fixtures", "photos", "known", fixtures.Known()[0].Name)
	if out, errOut, code := runEnv(t, []string{"USER=kim"}, "", "--db", db, "register", "--case", "c1", "--label", "피해자 사건", photo); code != 0 {
		t.Fatalf("register: %d %s %s", code, out, errOut)
	}
	runEnv(t, nil, "", "--db", db, "register", "--case", "case-2", "--label", "demo", photo)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		zone string
	}{
		{"without --tz or $TZ the console's zone", nil, nil, "KST"},
		{"$TZ", []string{"TZ=Asia/Tokyo"}, nil, "JST"},
		{"--tz over $TZ", []string{"TZ=Asia/Tokyo"}, []string{"--tz", "UTC"}, "UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runEnv(t, tc.env, "", append(append([]string{"--db", db}, tc.args...), "case", "list")...)
			if code != 0 {
				t.Fatalf("case list: %d %s", code, errOut)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 3 {
				t.Fatalf("case list:\n%s", out)
			}
			for _, l := range lines[1:] {
				if !strings.Contains(l, " "+tc.zone) {
					t.Errorf("no %s time in %q", tc.zone, l)
				}
			}
			// Every column starts at the same display column on every line.
			col := func(line, cell string) int {
				i := strings.Index(line, cell)
				if i < 0 {
					t.Fatalf("%q lacks %q", line, cell)
				}
				return runewidth.StringWidth(line[:i])
			}
			if a, b, c := col(lines[0], "FINGERPRINTS"), col(lines[1], "  1 ")+2, col(lines[2], "  1 ")+2; a != b || a != c {
				t.Errorf("FINGERPRINTS at display columns %d, %d, %d:\n%s", a, b, c, out)
			}
		})
	}
	if _, errOut, code := runEnv(t, nil, "", "--db", db, "--tz", "Mars/Olympus", "case", "list"); code != 2 || !strings.Contains(errOut, "unknown time zone") {
		t.Errorf("an unknown zone: %d %s", code, errOut)
	}
}

func TestUserAddDefaultsToAnalystAndTheAuditExportNamesTheUID(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	out, errOut, code := runEnv(t, nil, "a-long-password\n", "--db", db, "user", "add", "kim")
	if code != 0 || !strings.Contains(out, "added user kim (analyst)") {
		t.Fatalf("user add: %d %q %q", code, out, errOut)
	}
	uid := "cli:" + strconv.Itoa(os.Getuid())
	t.Run("csv", func(t *testing.T) {
		out, errOut, code := runEnv(t, nil, "", "--db", db, "--tz", "UTC", "audit", "export", "--format", "csv")
		if code != 0 {
			t.Fatalf("%d %s", code, errOut)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("%v:\n%s", err, out)
		}
		if strings.Join(rows[0], ",") != "seq,at,user,remote,token,action,target,detail,centre" {
			t.Errorf("header %v", rows[0])
		}
		if r := rows[1]; r[2] != uid || r[5] != "user.add" || r[6] != "kim" || !strings.HasSuffix(r[1], "Z") {
			t.Errorf("row %v, want user %s", r, uid)
		}
	})
	t.Run("jsonl", func(t *testing.T) {
		out, _, code := runEnv(t, nil, "", "--db", db, "audit", "export", "--format", "jsonl", "--action", "user.")
		var rec map[string]any
		if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rec); code != 0 || err != nil || rec["user"] != uid || !strings.HasSuffix(rec["at"].(string), "+09:00") {
			t.Errorf("%d %v %v: %s", code, err, rec, out)
		}
	})
	if _, errOut, code := runEnv(t, nil, "", "--db", db, "audit", "export", "--format", "xml"); code != 2 || !strings.Contains(errOut, "csv or jsonl") {
		t.Errorf("a bad format: %d %s", code, errOut)
	}
}

// TestCLIAuditEntriesAreTheCentresOfWhatTheyChange runs, as the command
// line (national scope), changes to a busan user: their entries are
// busan's, as `audit export --centre busan` shows, and the command line's
// own national work (adding the centre) stays national's.
func TestCLIAuditEntriesAreTheCentresOfWhatTheyChange(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	for _, args := range [][]string{
		{"centre", "add", "busan", "--name", "Busan"},
		{"user", "add", "bob", "--role", "staff", "--centre", "busan"},
		{"user", "token", "bob", "--name", "script"},
	} {
		if _, errOut, code := runEnv(t, []string{"USER=kim"}, "a-long-password\n", append([]string{"--db", db}, args...)...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, errOut)
		}
	}
	records := func(centre string) map[string]string {
		out, errOut, code := runEnv(t, nil, "", "--db", db, "audit", "export", "--format", "jsonl", "--centre", centre)
		if code != 0 {
			t.Fatalf("export --centre %s: %d %s", centre, code, errOut)
		}
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var rec struct{ User, Action, Target, Centre string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("%v: %q", err, line)
			}
			if rec.Centre != centre {
				t.Errorf("export --centre %s gave a record of %q: %s", centre, rec.Centre, line)
			}
			got[rec.Action+" "+rec.Target] = rec.User
		}
		return got
	}
	busan := records("busan")
	for _, k := range []string{"user.add bob", "token.create bob"} {
		if busan[k] != "cli:kim" {
			t.Errorf("busan's records %v: want %s by cli:kim", busan, k)
		}
	}
	if national := records("national"); national["centre.add busan"] != "cli:kim" || national["token.create bob"] != "" {
		t.Errorf("national's records %v: want centre.add busan only", national)
	}
}
