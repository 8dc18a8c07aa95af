package store

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// widget is a value whose shape changed twice: version 1 called the field
// "colour", version 2 renamed it "color", version 3 added "size".
type widget struct {
	Color string `json:"color"`
	Size  int    `json:"size"`
}

func widgetCodec() *Codec {
	return &Codec{Kind: "widget", Version: 3, Upgrades: map[byte]func(json.RawMessage) (json.RawMessage, error){
		1: func(old json.RawMessage) (json.RawMessage, error) {
			var m map[string]any
			if err := json.Unmarshal(old, &m); err != nil {
				return nil, err
			}
			m["color"] = m["colour"]
			delete(m, "colour")
			return json.Marshal(m)
		},
		2: func(old json.RawMessage) (json.RawMessage, error) {
			var m map[string]any
			if err := json.Unmarshal(old, &m); err != nil {
				return nil, err
			}
			m["size"] = 1
			return json.Marshal(m)
		},
	}}
}

func TestCodecReadsOlderVersions(t *testing.T) {
	c := widgetCodec()
	tests := []struct {
		name    string
		stored  []byte
		want    widget
		wantErr string
	}{
		{"a current value is read as it is", append([]byte{3}, `{"color":"red","size":5}`...), widget{"red", 5}, ""},
		{"a version-2 value is upgraded once", append([]byte{2}, `{"color":"red"}`...), widget{"red", 1}, ""},
		{"a version-1 value is upgraded through every version", append([]byte{1}, `{"colour":"red"}`...), widget{"red", 1}, ""},
		{"a value from a newer build is refused", append([]byte{4}, `{}`...), widget{}, "newer than this build's 3"},
		{"a version without an upgrade is refused", append([]byte{0}, `{}`...), widget{}, "no upgrade from encoding version 0"},
		{"an upgrade that fails is reported", append([]byte{1}, `not json`...), widget{}, "upgrade from encoding version 1"},
		{"an empty value is refused", nil, widget{}, "empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got widget
			err := c.Decode(tt.stored, &got)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrCorrupt with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("decode = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	t.Run("Verify's strict decode refuses a value not yet migrated", func(t *testing.T) {
		var w widget
		if err := c.DecodeCurrent(append([]byte{2}, `{"color":"red"}`...), &w); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestReencodeRewritesOldValues is the body of a future schema migration:
// every value of a bucket rewritten at the current version, in one
// transaction, keeping fields this build does not know.
func TestReencodeRewritesOldValues(t *testing.T) {
	c := widgetCodec()
	bdb, err := bolt.Open(filepath.Join(t.TempDir(), "w.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	name := []byte("widgets")
	stored := map[string][]byte{
		"a": append([]byte{1}, `{"colour":"red","extra":"kept"}`...),
		"b": append([]byte{2}, `{"color":"blue"}`...),
		"c": append([]byte{3}, `{"color":"green","size":7}`...),
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		for k, v := range stored {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return Reencode(tx, name, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]widget{"a": {"red", 1}, "b": {"blue", 1}, "c": {"green", 7}}
	_ = bdb.View(func(tx *bolt.Tx) error {
		return tx.Bucket(name).ForEach(func(k, v []byte) error {
			var w widget
			if err := c.DecodeCurrent(v, &w); err != nil {
				t.Errorf("%s: %v", k, err)
			} else if w != want[string(k)] {
				t.Errorf("%s = %+v, want %+v", k, w, want[string(k)])
			}
			if string(k) == "a" && !strings.Contains(string(v), `"extra":"kept"`) {
				t.Errorf("an unknown field was dropped: %s", v[1:])
			}
			return nil
		})
	})
	t.Run("a value that cannot be upgraded fails the whole rewrite", func(t *testing.T) {
		err := bdb.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(name).Put([]byte("z"), append([]byte{0}, `{}`...)); err != nil {
				return err
			}
			return Reencode(tx, name, c)
		})
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err = %v", err)
		}
	})
}
