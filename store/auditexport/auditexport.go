// Package auditexport writes the audit log for people and tools outside
// hashwatch: CSV with a header row, or one JSON object per line, oldest
// entry first, times in RFC 3339 in the deployment's zone.
//
// Both formats are a contract (`hashwatch audit export`, see README): the
// columns and keys below change only by adding. CSV cells a spreadsheet
// would run as formulas are prefixed with ', since a detail may quote a
// URL or a name someone else chose. The package only reads the store.
package auditexport

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/store"
)

// page is how many entries one read of the log takes.
const page = 1000

// ReadAll reads every entry f keeps, oldest first. The log reads newest
// first, a page at a time (f.Limit and f.Before are set here); ctx is
// checked between pages.
func ReadAll(ctx context.Context, db *store.DB, f store.AuditFilter) ([]store.AuditEntry, error) {
	f.Limit = page
	var all []store.AuditEntry
	for {
		p, err := db.AuditLog(f)
		if err != nil {
			return nil, err
		}
		all = append(all, p...)
		if len(p) < page {
			break
		}
		f.Before = p[len(p)-1].Seq
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	slices.Reverse(all)
	return all, nil
}

// Record is an audit entry as a JSON line.
type Record struct {
	Seq    uint64 `json:"seq"`
	At     string `json:"at"`
	User   string `json:"user"`
	Remote string `json:"remote,omitempty"`
	Token  string `json:"token,omitempty"`
	Action string `json:"action"`
	Target string `json:"target,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Centre is the centre the entry concerns (store.AuditEntry.Centre),
	// "national" for entries that name none.
	Centre string `json:"centre"`
}

// centreOf is the centre an entry is on record for.
func centreOf(e store.AuditEntry) string {
	if e.Centre == "" {
		return "national"
	}
	return e.Centre
}

// WriteJSONL writes each entry as one JSON object (a Record) per line,
// times in loc.
func WriteJSONL(w io.Writer, entries []store.AuditEntry, loc *time.Location) error {
	enc := json.NewEncoder(w)
	for _, e := range entries {
		if err := enc.Encode(Record{Seq: e.Seq, At: e.At.In(loc).Format(time.RFC3339), User: e.User, Remote: e.Remote,
			Token: e.Token, Action: e.Action, Target: e.Target, Detail: e.Detail, Centre: centreOf(e)}); err != nil {
			return err
		}
	}
	return nil
}

// WriteCSV writes a header row and one row per entry, times in loc, text
// cells kept from running as formulas (NoFormula).
func WriteCSV(w io.Writer, entries []store.AuditEntry, loc *time.Location) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"seq", "at", "user", "remote", "token", "action", "target", "detail", "centre"}); err != nil {
		return err
	}
	for _, e := range entries {
		row := []string{strconv.FormatUint(e.Seq, 10), e.At.In(loc).Format(time.RFC3339)}
		for _, v := range []string{e.User, e.Remote, e.Token, e.Action, e.Target, e.Detail, centreOf(e)} {
			row = append(row, NoFormula(v))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	return nil
}

// NoFormula keeps a spreadsheet from running a cell as a formula: a
// detail may quote a URL or a name someone else chose.
func NoFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
