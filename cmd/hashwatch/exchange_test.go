package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestExportImportSigned signs an export with a key made by `key
// generate` and imports it with --verify: the list as signed imports, a
// list edited after signing, a list signed by another key and an unsigned
// list are refused whole with a message that says why.
func TestExportImportSigned(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	known := filepath.Join("..", "..", "fixtures", "photos", "known")
	if _, errOut, code := cli(t, src, "register", "--case", "c1", known); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	key, other := filepath.Join(dir, "national.key"), filepath.Join(dir, "other.key")
	for _, k := range []string{key, other} {
		if out, errOut, code := cli(t, src, "key", "generate", k); code != 0 || !strings.Contains(out, "public key") {
			t.Fatalf("key generate: %d %s %s", code, out, errOut)
		}
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key file mode %v, %v; want 0600", st.Mode(), err)
	}
	if _, errOut, code := cli(t, src, "key", "generate", key); code == 0 || !strings.Contains(errOut, "exists") {
		t.Errorf("key generate over an existing key: exit %d, %s", code, errOut)
	}
	signed, errOut, code := cli(t, src, "export", "--sign", key)
	if code != 0 {
		t.Fatalf("export --sign: %s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(signed), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "# signature ed25519 key=") {
		t.Fatalf("signed export does not end in a signature line:\n%s", signed)
	}
	unsigned, _, _ := cli(t, src, "export")
	// One hash line changed: its quality.
	tampered := strings.Replace(signed, lines[2], lines[2][:65]+"1", 1)
	tests := []struct {
		name     string
		list     string
		key      string
		code     int
		imported string // what import says, or the refusal on stderr
	}{
		{"the list as signed imports", signed, key + ".pub", 0, "imported 8 PDQ hash(es) into case p1 (signature verified)"},
		{"a list changed after signing is refused", tampered, key + ".pub", 1, "the list was changed after it was signed"},
		{"a list signed by another key is refused", signed, other + ".pub", 1, "not with the given key"},
		{"an unsigned list is refused", unsigned, key + ".pub", 1, "the list is not signed"},
		{"a private key is no public key", signed, key, 1, "PUBLIC KEY"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(dir, "dst"+itoaInt(i)+".db")
			list := filepath.Join(dir, "list"+itoaInt(i)+".txt")
			if err := os.WriteFile(list, []byte(tt.list), 0o600); err != nil {
				t.Fatal(err)
			}
			out, errOut, code := cli(t, dst, "import", "--case", "p1", "--verify", tt.key, list)
			if code != tt.code || !strings.Contains(out+errOut, tt.imported) {
				t.Fatalf("import: exit %d (want %d), stdout %q, stderr %q; want %q", code, tt.code, out, errOut, tt.imported)
			}
			if tt.code != 0 {
				if out, _, _ := cli(t, dst, "export"); strings.Contains(out, ",100\n") {
					t.Errorf("a refused list left hashes behind:\n%s", out)
				}
			}
		})
	}
}

// TestExportImportVideos registers a video natively in one database,
// exports it as vPDQ lines, imports them into a second database, and
// checks that every edit of the video family matches the imported list
// exactly when it matches the native registration, and that unrelated
// footage matches neither.
func TestExportImportVideos(t *testing.T) {
	needFFmpeg(t)
	ctx := context.Background()
	dir := t.TempDir()
	b := fixtures.VideoBuilder{Dir: t.TempDir()}
	known, others := fixtures.Known(), fixtures.Others()
	sec := time.Second
	show := func(s fixtures.Slideshow) []byte {
		t.Helper()
		data, err := b.Slideshow(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	orig := show(fixtures.Slideshow{Photos: [][]byte{known[0].Data, known[1].Data, known[2].Data, known[3].Data}, Durations: []time.Duration{5 * sec}, Fade: sec, Width: 192, Height: 144})
	before := show(fixtures.Slideshow{Photos: [][]byte{others[0].Data, others[1].Data}, Durations: []time.Duration{4 * sec}, Fade: sec, Seed: 1, Width: 192, Height: 144})
	after := show(fixtures.Slideshow{Photos: [][]byte{others[2].Data, others[3].Data}, Durations: []time.Duration{4 * sec}, Fade: sec, Seed: 2, Width: 192, Height: 144})
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src, dst, plain := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db"), filepath.Join(dir, "plain.db")
	if _, errOut, code := cli(t, src, "register", "--case", "v1", "--label", "victim A", write("registered.mp4", orig)); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	list, errOut, code := cli(t, src, "export", "--videos")
	if code != 0 {
		t.Fatalf("export --videos: %s", errOut)
	}
	if !strings.HasPrefix(list, "# hashwatch-list format=vpdq version=1 algorithm=pdq videos=1 count=") || strings.Contains(list, "victim A") {
		t.Fatalf("video export:\n%s", list)
	}
	if pics, errOut, _ := cli(t, src, "export"); !strings.Contains(pics, "count=0") || !strings.Contains(errOut, "--videos") {
		t.Errorf("picture export of a video-only case: %q, stderr %q", pics, errOut)
	}
	if out, errOut, code := cli(t, dst, "import", "--case", "p1", write("videos.txt", []byte(list))); code != 0 || !strings.Contains(out, "imported 1 video(s)") {
		t.Fatalf("import: exit %d, %s %s", code, out, errOut)
	}
	// The same list as vPDQ's own tools write it: no section lines, no
	// crop fields.
	var vpdqOnly []string
	for _, l := range strings.Split(list, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			vpdqOnly = append(vpdqOnly, strings.Split(l, ",")[:4]...)
			vpdqOnly[len(vpdqOnly)-1] += "\n"
		}
	}
	if out, errOut, code := cli(t, plain, "import", "--case", "p1", write("plain.vpdq", []byte(strings.ReplaceAll(strings.Join(vpdqOnly, ","), "\n,", "\n")))); code != 0 || !strings.Contains(out, "imported 1 video(s)") {
		t.Fatalf("import of plain vPDQ: exit %d, %s %s", code, out, errOut)
	}
	// The imported list exports again as the same lines.
	if again, _, _ := cli(t, dst, "export", "--videos"); again != list {
		t.Errorf("re-export differs:\n%s\nwant\n%s", again, list)
	}

	var paths []string
	names := map[string]string{}
	for _, e := range fixtures.VideoEdits(20*sec, 8*sec, before, after) {
		data, err := b.Edit(ctx, orig, e)
		if err != nil {
			t.Fatal(err)
		}
		p := write("edit-"+e.Name+".mp4", data)
		paths, names[p] = append(paths, p), e.Name
	}
	for i, neg := range [][]byte{before, after} {
		p := write("unrelated-"+itoaInt(i)+".mp4", neg)
		paths, names[p] = append(paths, p), "unrelated"
	}
	got := map[string][3]bool{}
	for i, db := range []string{src, dst, plain} {
		out, errOut, code := cli(t, db, append([]string{"match", "--json"}, paths...)...)
		if code != 0 {
			t.Fatalf("match: exit %d: %s", code, errOut)
		}
		for _, l := range parseLines(t, out) {
			r := got[l["path"].(string)]
			r[i] = len(l["matches"].([]any)) > 0
			got[l["path"].(string)] = r
		}
	}
	var natives int
	for _, p := range paths {
		r, name := got[p], names[p]
		t.Logf("%-16s native %v, imported %v, plain vPDQ %v", name, r[0], r[1], r[2])
		if r[0] {
			natives++
		}
		switch {
		case name == "unrelated" && (r[0] || r[1]):
			t.Errorf("unrelated footage matched (native %v, imported %v)", r[0], r[1])
		case r[0] != r[1]:
			t.Errorf("edit %s: native registration matches %v, imported vPDQ list %v", name, r[0], r[1])
		case r[0] != r[2] && !strings.HasPrefix(name, "crop"):
			// Without hashwatch's crop fields only the crops may be lost.
			t.Errorf("edit %s: native registration matches %v, plain vPDQ list %v", name, r[0], r[2])
		}
	}
	if natives < len(paths)-4 {
		t.Errorf("only %d of %d edits match the native registration", natives, len(paths)-2)
	}
}

// TestLookupTokenFromTheCommandLine issues a lookup-scoped token for a
// partner's account and lists the partner's (still empty) lookup counts.
func TestLookupTokenFromTheCommandLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"the partner's account", "a long partner password\n", []string{"user", "add", "platform-x"}, 0, "added user platform-x (analyst)"},
		{"a lookup token", "", []string{"user", "token", "platform-x", "--scope", "lookup", "--name", "uploads"}, 0, "hwt_"},
		{"an unknown scope is a usage error", "", []string{"user", "token", "platform-x", "--scope", "lookups"}, 2, ""},
		{"no lookups yet", "", []string{"user", "lookups"}, 0, "PARTNER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runEnv(t, nil, tt.stdin, append([]string{"--db", db}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.out) {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q", code, tt.code, out, errOut)
			}
		})
	}
	out, _, _ := runEnv(t, nil, "", "--db", db, "audit", "export", "--format", "jsonl", "--action", "token.")
	if !strings.Contains(out, "scope lookup") {
		t.Errorf("the audit log does not name the token's scope: %s", out)
	}
}
