//go:build !unix

package store

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"
)

// AnswerHotBackup is a no-op where there are no Unix signals to ask for it.
func (db *DB) AnswerHotBackup(context.Context, *slog.Logger) {}

// RequestHotBackup needs Unix signals.
func RequestHotBackup(context.Context, string, int, string, time.Duration) (int64, error) {
	return 0, errors.New("hot backup of a database another process holds needs Unix signals")
}

// HotBackupSignal is nil where there are no Unix signals.
func HotBackupSignal() os.Signal { return nil }
