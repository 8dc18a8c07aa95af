package main

import (
	"errors"
	"fmt"
	"os"
	"time"

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
run alongside. A process that writes the database (a crawl) holds bbolt's lock, and a
copy taken behind its back could be torn, so backup asks that process — named by the
lock's PID file — to write the copy from inside one of its own read transactions
(a hot backup: its writes go on) and waits for the answer. Only hashwatch crawls
answer; anything else holding the file makes backup fail, naming the PID.`,
		Example: `  hashwatch --db /var/lib/hashwatch/hashwatch.db backup /backups/hashwatch-$(date +%F).db`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dst := args[0]
			if same, _ := sameFile(a.dbPath, dst); same {
				return usagef("backup: %s is the database itself; name another file", dst)
			}
			db, err := openForInspection(a.dbPath, "backup")
			var inUse *store.InUseError
			if errors.As(err, &inUse) && inUse.PID > 0 {
				// A crawl holds the database: ask it for the copy.
				n, err := store.RequestHotBackup(cmd.Context(), a.dbPath, inUse.PID, dst, 5*time.Minute)
				if err != nil {
					return fmt.Errorf("backup: %s is in use by PID %d, which was asked for a hot backup: %w", a.dbPath, inUse.PID, err)
				}
				fmt.Fprintf(a.stdout, "hot backup of %s written by PID %d to %s (%d bytes, pages checked); run 'hashwatch --db %s verify' to check its contents\n", a.dbPath, inUse.PID, dst, n, dst)
				return nil
			}
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := db.Store.BackupFile(cmd.Context(), dst)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "backed up %s to %s (%d bytes, pages checked); run 'hashwatch --db %s verify' to check its contents\n", a.dbPath, dst, n, dst)
			return nil
		},
	}
}

// openForInspection opens the database read-only for backup or verify. A
// database another process is writing gets a message that says why these
// commands cannot work around the lock and what to do instead.
func openForInspection(path, command string) (*database.DB, error) {
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
		return nil, &lockedError{msg: fmt.Sprintf("%s: %s: database in use by %s. bbolt locks the file while a hashwatch process writes it, so %s cannot read a consistent state from outside; stop that process (every write it acknowledged is on disk) and run %s again: %v",
			command, path, who, command, command, store.ErrInUse), holder: inUse}
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
