//go:build !linux

package adminsock

import (
	"context"
	"log/slog"
	"time"
)

// Config is what a holder needs to answer on its database's socket.
// Its fields are those of the Linux version.
type Config struct {
	DB     string        // the database file the holder has open
	Handle Handler       // runs each request
	Log    *slog.Logger  // refused connections and failures
	Grace  time.Duration // how long Close lets commands finish
}

// Server is never started here.
type Server struct{}

// Listen is not supported here: there is no SO_PEERCRED to check who
// connects.
func Listen(context.Context, Config) (*Server, error) { return nil, ErrUnsupported }

// Path is empty.
func (s *Server) Path() string { return "" }

// Close does nothing.
func (s *Server) Close() {}

// Forward finds no server here.
func Forward(context.Context, Request) (int, error) { return 0, ErrNoServer }
