package adminsock

import (
	"context"
	"errors"
	"os"
	"time"
)

// Limits of the protocol.
const (
	// MaxRequestBytes bounds one request (a command line, a folder and a
	// few environment variables are far smaller).
	MaxRequestBytes = 1 << 20
	// RequestTimeout is how long a connected client has to send its
	// request.
	RequestTimeout = 10 * time.Second
	// MaxConcurrent is how many forwarded commands run at once.
	MaxConcurrent = 8
	// DefaultGrace is how long Close lets running commands finish before
	// cancelling their contexts.
	DefaultGrace = 10 * time.Second
	// maxResponseBytes bounds the holder's answer.
	maxResponseBytes = 64 << 10
	// maxSocketPath is the longest path sockaddr_un holds, its NUL aside.
	maxSocketPath = 107
)

// ErrNoServer means nothing answers on the database's socket: no holder,
// or one that was killed and left its socket behind. The caller then opens
// the file itself.
var ErrNoServer = errors.New("no hashwatch process answers on the database's socket")

// ErrUnsupported means this system cannot offer the socket.
var ErrUnsupported = errors.New("the CLI socket needs Linux (SO_PEERCRED)")

// SocketPath is the socket beside the database file at db.
func SocketPath(db string) string { return db + ".sock" }

// Request is one command a client asks the holder to run.
type Request struct {
	// Args is the command line after the program name.
	Args []string `json:"args"`
	// Dir is the client's working directory, absolute; relative paths
	// among Args mean paths below it.
	Dir string `json:"dir"`
	// Env holds the client's values of the environment variables it chose
	// to send (absent: unset).
	Env map[string]string `json:"env"`
	// DB is the absolute path of the database the client means; the holder
	// refuses a request for another file.
	DB string `json:"db"`
	// Stdin, Stdout and Stderr are the client's own, received over the
	// socket. The handler must not keep them: they are closed when it
	// returns.
	Stdin  *os.File `json:"-"`
	Stdout *os.File `json:"-"`
	Stderr *os.File `json:"-"`
}

// Handler runs one request and returns its exit status. ctx is cancelled
// when the client goes away or the holder stops.
type Handler func(ctx context.Context, r *Request) int

// response is the holder's answer: an exit status, or why the request was
// refused before it ran.
type response struct {
	Exit  int    `json:"exit"`
	Error string `json:"error,omitempty"`
}

// RefusedError is the holder's reason for not running a request (another
// user, another database, a malformed request).
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }
