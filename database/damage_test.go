package database

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// TestADamagedFileCostsAnErrorNotTheProcess flips the page-type bytes of
// the second half of a database file, as a failing disk might: bbolt's page
// checks panic on such pages, and every call must instead fail with
// ErrDamaged, and no write may go into the damaged file.
func TestADamagedFileCostsAnErrorNotTheProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hw.db")
	db, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for c := range 40 {
		var regs []index.Registration
		for i := range 50 {
			regs = append(regs, index.Registration{Source: fmt.Sprintf("f%d-%d.jpg", c, i), Print: hashingtest.Image(uint64(c*100+i), uint64(i), byte(c))})
		}
		if _, err := db.Index.Register(ctx, fmt.Sprintf("case-%d", c), "a label long enough to fill pages", regs, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	keep := map[uint64]bool{0: true, 1: true}
	for _, m := range []int{0, pageSize} {
		keep[binary.LittleEndian.Uint64(data[m+48:])] = true // the freelist page
	}
	for pg := uint64(len(data)/pageSize) / 2; pg < uint64(len(data)/pageSize); pg++ {
		if !keep[pg] {
			binary.LittleEndian.PutUint16(data[pg*pageSize+8:], 0x0bad)
		}
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	if ro, err := Open(path, store.Options{ReadOnly: true}); err == nil {
		r, err := ro.Verify(ctx)
		ro.Close()
		if err != nil || !r.Damaged || r.OK() {
			t.Errorf("verify of the damaged file: damaged %v, ok %v, err %v", r.Damaged, r.OK(), err)
		}
	}
	db, err = Open(path, store.Options{})
	if err != nil {
		if !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("opening a damaged file: %v, want store.ErrCorrupt", err)
		}
		return
	}
	defer db.Close()
	var hit error
	for _, read := range []func() error{
		func() error { _, err := db.Index.Cases(); return err },
		func() error { _, err := db.Index.Fingerprints("case-39"); return err },
		func() error { _, err := db.Alerts.Alerts(alerts.AlertFilter{}); return err },
	} {
		if err := read(); err != nil && hit == nil {
			hit = err
		}
	}
	if !errors.Is(hit, store.ErrDamaged) {
		t.Fatalf("reads of a damaged file: %v, want ErrDamaged", hit)
	}
	before, _ := os.ReadFile(path)
	if _, err := db.Index.Register(ctx, "new", "", []index.Registration{{Print: hashingtest.Image(9999, 1, 1)}}, store.Actor{}); !errors.Is(err, store.ErrDamaged) {
		t.Errorf("a write after the damage: %v, want ErrDamaged", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the damaged file was written")
	}
}

func TestAZeroedHeaderIsExplained(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hw.db")
	db, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	clear(data[:2*4096]) // both meta pages
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, store.Options{})
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "restore from a backup") {
		t.Errorf("opening a file with zeroed headers: %v; want ErrDamaged with the remedy", err)
	}
}
