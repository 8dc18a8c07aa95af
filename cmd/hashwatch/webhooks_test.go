package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/store"
)

func TestWebhookSettings(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hw.db")
	db, err := database.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, short := write("secret", "0123456789abcdef0123\n"), write("short", "tiny\n")
	a := &app{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		name    string
		o       webhookOptions
		wantErr string
		queue   string
	}{
		{name: "no URL starts nothing"},
		{name: "a URL needs a secret file", o: webhookOptions{url: "https://hooks.example/"}, wantErr: "--webhook-secret-file"},
		{name: "a short secret is refused", o: webhookOptions{url: "https://hooks.example/", secretFile: short}, wantErr: "at least 16"},
		{name: "a URL that is not http(s) is refused", o: webhookOptions{url: "mailto:x@example.com", secretFile: good}, wantErr: "http(s)"},
		{name: "the queue lies beside the database", o: webhookOptions{url: "https://hooks.example/", secretFile: good}, queue: dbPath + ".webhooks"},
		{name: "or where --webhook-queue says", o: webhookOptions{url: "https://hooks.example/", secretFile: good, queueFile: filepath.Join(dir, "q.db")}, queue: filepath.Join(dir, "q.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			closeQ, err := a.startWebhooks(ctx, &wg, tc.o, db, dbPath)
			if tc.wantErr != "" {
				cancel()
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			wg.Wait()
			closeQ()
			if tc.queue != "" {
				if _, err := os.Stat(tc.queue); err != nil {
					t.Errorf("no queue file: %v", err)
				}
			}
		})
	}
}
