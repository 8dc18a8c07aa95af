package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/hashwatch/hashwatch/adminsock"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/store"
	"github.com/spf13/cobra"
)

func (a *app) backupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database to FILE",
		Long: `backup copies the database to FILE as one consistent snapshot: the copy is written
beside FILE, fsynced, checked page by page, and only then renamed to FILE, so FILE is
either the old file or a complete, checked backup. The copy opens as a database
(hashwatch --db FILE ...). It is not compressed or encrypted: it holds the cases,
fingerprints and alerts, so keep it as safe as the database.

backup opens the database read-only, so other readers (verify, another backup) may
run alongside. While serve or a crawl holds the database, backup runs inside that
process (see "CLI beside the server" in the README): the copy is one of its read
transactions, written while its own writes go on.`,
		Example: `  hashwatch --db /var/lib/hashwatch/hashwatch.db backup /backups/hashwatch-$(date +%F).db`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dst := args[0]
			if same, _ := sameFile(a.localPath(a.dbPath), a.localPath(dst)); same {
				return usagef("backup: %s is the database itself; name another file", dst)
			}
			db, err := a.openForInspection("backup")
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := db.Store.BackupFile(cmd.Context(), a.localPath(dst))
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "backed up %s to %s (%d bytes, pages checked); run 'hashwatch --db %s verify' to check its contents\n", a.dbPath, dst, n, dst)
			return nil
		},
	}
}

// openForInspection opens the database read-only for backup or verify, or
// borrows the holder's when the command runs inside it. A database another
// process holds without answering on its socket gets a message that says
// why these commands cannot work around the lock and what to do instead.
func (a *app) openForInspection(command string) (*database.DB, error) {
	if a.held != nil {
		return a.held.db.Borrow(), nil
	}
	path := a.dbPath
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s: %w", command, err)
	}
	db, err := database.Open(path, store.Options{ReadOnly: true})
	var inUse *store.InUseError
	switch {
	case errors.As(err, &inUse):
		who := "another process"
		if inUse.PID > 0 {
			who = fmt.Sprintf("PID %d", inUse.PID)
		}
		return nil, &lockedError{msg: fmt.Sprintf("%s: %s: database in use by %s, which does not answer on %s. bbolt locks the file while a process writes it, so %s cannot read a consistent state from outside; stop that process (every write it acknowledged is on disk) and run %s again: %v",
			command, path, who, adminsock.SocketPath(path), command, command, store.ErrInUse), holder: inUse}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", command, err)
	}
	return db, nil
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// lockedError is openForInspection's message for a locked database; it
// unwraps to the *store.InUseError, so callers can find the holder's PID.
type lockedError struct {
	msg    string
	holder *store.InUseError
}

func (e *lockedError) Error() string { return e.msg }
func (e *lockedError) Unwrap() error { return e.holder }
