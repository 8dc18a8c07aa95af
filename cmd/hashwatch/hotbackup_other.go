//go:build !unix

package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hashwatch/hashwatch/database"
)

// serveBackups is a no-op where there are no Unix signals.
func serveBackups(context.Context, *database.DB, *slog.Logger) func() { return func() {} }

// requestBackup needs Unix signals.
func requestBackup(context.Context, string, int, string, time.Duration) (int64, error) {
	return 0, errors.New("hot backup of a database another process holds needs Unix signals")
}
