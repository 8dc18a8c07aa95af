package store

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// InUseError reports a database file that another process holds. bbolt
// locks the file for as long as a read-write process has it open (an
// exclusive flock; read-only opens take a shared one), so a second process
// cannot write it, back it up or verify it meanwhile. The holder writes its
// PID next to the file (PATH.pid) so the message can name it.
type InUseError struct {
	Path string
	// PID is the holder's process ID, or 0 when it is not known: the holder
	// is a read-only open (backup, verify), which writes no PID file, or a
	// build without one.
	PID int
}

// Error names the file and its holder, in the words the README promises:
// "database in use by PID N".
func (e *InUseError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = "PID " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("open %s: %v by %s (another hashwatch is running; stop it or use another --db)", e.Path, ErrInUse, who)
}

// Unwrap makes errors.Is(err, ErrInUse) hold.
func (e *InUseError) Unwrap() error { return ErrInUse }

func pidPath(path string) string { return path + ".pid" }

// writePIDFile records this process as the holder. It only improves the
// "in use" message, so failing to write it is not an error. Whatever is at
// PATH.pid — a stale file, or a symbolic link planted to make us overwrite
// another file — is unlinked first, and the new file is created exclusively
// without following links, so the write can only ever land in a fresh file
// of our own.
func writePIDFile(path string) {
	p := pidPath(path)
	_ = os.Remove(p)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return
	}
	f.WriteString(strconv.Itoa(os.Getpid()))
	f.Close()
}

// removePIDFile removes the PID file if it names this process.
func removePIDFile(path string) {
	if readPID(path) == os.Getpid() {
		_ = os.Remove(pidPath(path))
	}
}

func readPID(path string) int {
	b, err := os.ReadFile(pidPath(path))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// holderPID is the PID in the file's PID file if that process still runs.
// A process killed with SIGKILL leaves its PID file behind; naming it would
// send the user after the wrong process.
func holderPID(path string) int {
	pid := readPID(path)
	if pid <= 0 || !processAlive(pid) {
		return 0
	}
	return pid
}
