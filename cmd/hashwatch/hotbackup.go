package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/store"
)

// serveBackups routes the hot-backup signal (store.HotBackupSignal) to
// db's store until the returned stop function is called (it waits for an
// answer in progress). The protocol itself is the store's.
func serveBackups(ctx context.Context, db *database.DB, log *slog.Logger) (stop func()) {
	sig := make(chan os.Signal, 1)
	if hs := store.HotBackupSignal(); hs != nil {
		signal.Notify(sig, hs)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				db.Store.AnswerHotBackup(ctx, log)
			}
		}
	}()
	return func() {
		signal.Stop(sig)
		cancel()
		<-done
	}
}
