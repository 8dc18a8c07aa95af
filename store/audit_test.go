package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLongAuditFieldsAreCutAtACharacterBoundary(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "hw.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	long := strings.Repeat("가", maxAuditField) // 3 bytes each
	if err := db.Audit(ctx, AuditEntry{Action: "x", Detail: "a" + long}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.AuditLog(AuditFilter{Limit: 1})
	if d := got[0].Detail; !utf8.ValidString(d) || len(d) > maxAuditField+len("…") || !strings.HasSuffix(d, "…") {
		t.Errorf("detail of %d bytes, valid UTF-8 %v", len(d), utf8.ValidString(d))
	}
}
