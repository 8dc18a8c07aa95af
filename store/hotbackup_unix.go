//go:build unix

package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Hot backups across processes. bbolt's lock keeps every other process out
// of a database a crawl holds, so `hashwatch backup` cannot read it; instead
// it asks the holder — whose PID the PID file names — to write the copy
// from inside one of its own read transactions, which is consistent while
// its writes go on. The request is a file beside the database (PATH.
// backup-request, holding the copy's absolute path and a nonce) and a
// SIGUSR1; the answer is a result file (PATH.backup-NONCE) the requester
// waits for. The holder's main routes SIGUSR1 to DB.AnswerHotBackup; the
// requester calls RequestHotBackup.

// backupRequest is the request file's content.
type backupRequest struct {
	Path  string `json:"path"`
	Nonce string `json:"nonce"`
}

// backupResult is the result file's content.
type backupResult struct {
	Bytes int64  `json:"bytes"`
	Error string `json:"error,omitempty"`
}

func backupRequestFile(db string) string       { return db + ".backup-request" }
func backupResultFile(db, nonce string) string { return db + ".backup-" + nonce }

// AnswerHotBackup writes the backup the request file beside the database
// asks for, and the result file the requester waits on: what a holder does
// when it receives SIGUSR1. A signal without a valid request is logged and
// ignored.
func (db *DB) AnswerHotBackup(ctx context.Context, log *slog.Logger) {
	reqPath := backupRequestFile(db.path)
	data, err := os.ReadFile(reqPath)
	if err != nil {
		log.Warn("backup signal without a request", "err", err)
		return
	}
	os.Remove(reqPath)
	var req backupRequest
	if err := json.Unmarshal(data, &req); err != nil || !filepath.IsAbs(req.Path) || !validNonce(req.Nonce) {
		log.Warn("malformed backup request ignored", "file", reqPath)
		return
	}
	n, err := db.BackupFile(ctx, req.Path)
	res := backupResult{Bytes: n}
	if err != nil {
		res.Error = err.Error()
		log.Error("hot backup failed", "path", req.Path, "err", err)
	} else {
		log.Info("hot backup written", "path", req.Path, "bytes", n)
	}
	out, _ := json.Marshal(res)
	final := backupResultFile(db.path, req.Nonce)
	if err := os.WriteFile(final+".tmp", out, 0o600); err == nil {
		os.Rename(final+".tmp", final)
	}
}

func validNonce(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 8
}

// RequestHotBackup asks the process pid, which holds dbPath (InUseError
// names it), to back it up to dst, and waits up to timeout for its answer.
func RequestHotBackup(ctx context.Context, dbPath string, pid int, dst string, timeout time.Duration) (int64, error) {
	abs, err := filepath.Abs(dst)
	if err != nil {
		return 0, err
	}
	var nb [8]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return 0, err
	}
	nonce := hex.EncodeToString(nb[:])
	body, _ := json.Marshal(backupRequest{Path: abs, Nonce: nonce})
	reqPath := backupRequestFile(dbPath)
	f, err := os.OpenFile(reqPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return 0, fmt.Errorf("another backup request is pending (%s); wait for it or remove the file", reqPath)
	}
	if err != nil {
		return 0, err
	}
	_, werr := f.Write(body)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(reqPath)
		return 0, werr
	}
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		os.Remove(reqPath)
		return 0, fmt.Errorf("signal PID %d: %w", pid, err)
	}
	resPath := backupResultFile(dbPath, nonce)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			os.Remove(reqPath)
			return 0, ctx.Err()
		case <-deadline.C:
			os.Remove(reqPath)
			return 0, fmt.Errorf("PID %d did not answer the backup request within %v (is it a hashwatch crawl of this database?)", pid, timeout)
		case <-tick.C:
		}
		data, err := os.ReadFile(resPath)
		if err != nil {
			continue
		}
		os.Remove(resPath)
		var res backupResult
		if err := json.Unmarshal(data, &res); err != nil {
			return 0, fmt.Errorf("backup answer from PID %d: %w", pid, err)
		}
		if res.Error != "" {
			return 0, fmt.Errorf("PID %d: %s", pid, res.Error)
		}
		return res.Bytes, nil
	}
}

// HotBackupSignal is the signal RequestHotBackup sends the holder, which
// its main routes to AnswerHotBackup.
func HotBackupSignal() os.Signal { return syscall.SIGUSR1 }
