package takedown

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/notice"
	"github.com/hashwatch/hashwatch/store"
)

// TestEachCentreHasItsOwnNoticeTemplates checks that a regional centre's
// template is its own, that it falls back to the national centre's and
// then to the shipped one, and that a centre cannot edit another's.
func TestEachCentreHasItsOwnNoticeTemplates(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	shipped, _ := notice.Default("en")
	national := shipped + "\nNational footer"
	busan := shipped + "\nBusan footer"
	if err := db.SetNoticeTemplate(ctx, "en", national, store.Actor{User: "n1", Centre: "national"}); err != nil {
		t.Fatal(err)
	}
	if text, custom, err := db.NoticeTemplateOf("busan", "en"); err != nil || custom || text != national {
		t.Fatalf("busan without its own template: custom %v, %v, national's: %v", custom, err, text == national)
	}
	if err := db.SetNoticeTemplateOf(ctx, "busan", "en", busan, store.Actor{User: "b1", Centre: "daegu"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("daegu's user editing busan's template: %v", err)
	}
	if err := db.SetNoticeTemplateOf(ctx, "busan", "en", busan, store.Actor{User: "b1", Centre: "busan"}); err != nil {
		t.Fatal(err)
	}
	if text, custom, err := db.NoticeTemplateOf("busan", "en"); err != nil || !custom || !strings.Contains(text, "Busan footer") {
		t.Fatalf("busan's template: %v %v %q", custom, err, text)
	}
	if text, _, err := db.NoticeTemplate("en"); err != nil || text != national {
		t.Fatalf("the national template changed with busan's: %v", err)
	}
	if text, custom, err := db.NoticeTemplateOf("daegu", "ko"); err != nil || custom || text == "" {
		t.Fatalf("daegu's Korean template, shipped: %v %v", custom, err)
	}
}
