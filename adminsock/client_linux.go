//go:build linux

package adminsock

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"time"
)

// Forward asks the process holding the database at req.DB to run req, with
// req.Stdin, req.Stdout and req.Stderr as the command's own, and returns
// the exit status it reports. It returns ErrNoServer (and has run nothing)
// when no process answers on the socket, and a *RefusedError when the
// holder would not run the request. When ctx is done it asks the holder to
// cancel the command and still waits for its status.
func Forward(ctx context.Context, req Request) (int, error) {
	if !filepath.IsAbs(req.DB) || !filepath.IsAbs(req.Dir) {
		return 0, errors.New("adminsock: the database and working directory must be absolute")
	}
	path := SocketPath(req.DB)
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "unix", path)
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOTDIR) {
		return 0, ErrNoServer
	}
	if err != nil {
		return 0, fmt.Errorf("reach the process holding %s through %s: %w", req.DB, path, err)
	}
	c := conn.(*net.UnixConn)
	defer c.Close()

	body, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	if len(body) > MaxRequestBytes {
		return 0, fmt.Errorf("command line of %d bytes is too long for %s (at most %d)", len(body), path, MaxRequestBytes)
	}
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	msg = append(msg, body...)
	fds := syscall.UnixRights(int(req.Stdin.Fd()), int(req.Stdout.Fd()), int(req.Stderr.Fd()))
	n, _, err := c.WriteMsgUnix(msg, fds, nil)
	if err == nil && n < len(msg) {
		_, err = c.Write(msg[n:])
	}
	if err != nil {
		// A holder that refuses a peer answers before reading the request
		// and hangs up; its reason is waiting to be read.
		var res response
		if derr := json.NewDecoder(io.LimitReader(c, maxResponseBytes)).Decode(&res); derr == nil && res.Error != "" {
			return res.Exit, &RefusedError{Reason: res.Error}
		}
		return 0, fmt.Errorf("send the command to %s: %w", path, err)
	}

	// Cancelling is a half-close: the holder cancels the command and
	// still answers with its status.
	stop := context.AfterFunc(ctx, func() { c.CloseWrite() })
	defer stop()
	var res response
	if err := json.NewDecoder(io.LimitReader(c, maxResponseBytes)).Decode(&res); err != nil {
		return 0, fmt.Errorf("the process holding %s ended the command without an exit status (did it stop?): %w", req.DB, err)
	}
	if res.Error != "" {
		return res.Exit, &RefusedError{Reason: res.Error}
	}
	return res.Exit, nil
}
