package store

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestTheDatabaseFilesFollowNoLinkAndStayPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links and modes are POSIX here")
	}
	t.Run("a planted PID-file link does not overwrite its target", func(t *testing.T) {
		dir := t.TempDir()
		victim := filepath.Join(dir, "victim")
		if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, "hw.db")
		if err := os.Symlink(victim, db+".pid"); err != nil {
			t.Fatal(err)
		}
		d, err := Open(db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		if b, _ := os.ReadFile(victim); string(b) != "precious" {
			t.Errorf("the link's target now holds %q", b)
		}
	})
	t.Run("a database path that is a link is refused", func(t *testing.T) {
		dir := t.TempDir()
		real := filepath.Join(dir, "elsewhere.db")
		if err := os.WriteFile(real, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "hw.db")
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		if d, err := Open(link, Options{}); err == nil {
			d.Close()
			t.Fatal("opened a database through a symbolic link")
		} else if !errors.Is(err, ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid naming the link", err)
		}
		if fi, _ := os.Stat(real); fi.Size() != 0 {
			t.Errorf("the link's target was written (%d bytes)", fi.Size())
		}
	})
	t.Run("a database file readable by others is tightened to 0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "hw.db")
		d, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if d, err = Open(path, Options{}); err != nil {
			t.Fatal(err)
		}
		d.Close()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v after a read-write open, want 0600", fi.Mode().Perm())
		}
	})
}
