package index

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/notice"
	bolt "go.etcd.io/bbolt"
)

// DefaultNoticeOverdue is how long a sent notice may go unanswered (its
// content not yet found removed) before it shows as overdue.
const DefaultNoticeOverdue = 24 * time.Hour

// Limits on what a notice holds.
const (
	maxNoticeAlerts = 1000
	maxNoticeBody   = notice.MaxOutputBytes
	maxNoticeField  = 1000 // site, recipient, subject, language
)

// Notice is a takedown notice: the rendered message asking a site to remove
// the content of some of its alerts. It is stored as written (an operator
// may have edited the text), so what was sent stays on record. It holds
// URLs and hashes, never media.
type Notice struct {
	ID   uint64 `json:"id"`
	Site string `json:"site"`
	// To is the recipient: the site's contact when the notice was made.
	To        string    `json:"to"`
	Lang      string    `json:"lang"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	AlertIDs  []uint64  `json:"alert_ids"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	// SentAt is when an operator marked the notice sent (hashwatch does not
	// send mail itself: the notice is exported as .eml or text and sent by
	// the operator); zero while it is a draft.
	SentAt time.Time `json:"sent_at,omitzero"`
	SentBy string    `json:"sent_by,omitempty"`
}

// Sent reports whether the notice was marked sent.
func (n Notice) Sent() bool { return !n.SentAt.IsZero() }

var noticeCodec = &codec{kind: "notice", version: 1}

// CreateNotice stores n as a draft notice and returns it with its ID and
// creation time. Every alert it lists must exist, belong to n.Site and be
// confirmed or already notice-sent (a reminder); the subject and body must
// be set. The creation is audited (action "notice.create") in the same
// transaction.
func (db *DB) CreateNotice(ctx context.Context, n Notice, by Actor) (Notice, error) {
	if err := ctx.Err(); err != nil {
		return Notice{}, err
	}
	switch {
	case n.Site == "" || n.Subject == "" || strings.TrimSpace(n.Body) == "":
		return Notice{}, fmt.Errorf("notice needs a site, a subject and a body: %w", ErrInvalid)
	case len(n.AlertIDs) == 0 || len(n.AlertIDs) > maxNoticeAlerts:
		return Notice{}, fmt.Errorf("notice lists %d alerts, want 1 to %d: %w", len(n.AlertIDs), maxNoticeAlerts, ErrInvalid)
	case len(n.Body) > maxNoticeBody:
		return Notice{}, fmt.Errorf("notice body of %d bytes, limit %d: %w", len(n.Body), maxNoticeBody, ErrInvalid)
	case strings.ContainsAny(n.Subject, "\r\n"):
		return Notice{}, fmt.Errorf("notice subject spans lines: %w", ErrInvalid)
	}
	for _, f := range []string{n.Site, n.To, n.Lang, n.Subject} {
		if len(f) > maxNoticeField {
			return Notice{}, fmt.Errorf("notice field of %d bytes, limit %d: %w", len(f), maxNoticeField, ErrInvalid)
		}
	}
	ids := append([]uint64(nil), n.AlertIDs...)
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	n.AlertIDs = ids[:0]
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			n.AlertIDs = append(n.AlertIDs, id)
		}
	}
	n.CreatedAt, n.CreatedBy, n.SentAt, n.SentBy = db.now().UTC(), by.User, time.Time{}, ""
	err := db.update(func(tx *bolt.Tx) error {
		alerts := tx.Bucket(bucketAlerts)
		for _, id := range n.AlertIDs {
			v := alerts.Get(idKey(id))
			if v == nil {
				return fmt.Errorf("alert %d: %w", id, ErrNotFound)
			}
			var a Alert
			if err := alertCodec.decode(v, &a); err != nil {
				return err
			}
			if a.Site != n.Site {
				return fmt.Errorf("alert %d is of site %q, not %q: %w", id, a.Site, n.Site, ErrInvalid)
			}
			if a.Status != StatusConfirmed && a.Status != StatusNoticeSent {
				return fmt.Errorf("alert %d is %s; a notice needs confirmed alerts: %w", id, a.Status, ErrInvalid)
			}
		}
		b := tx.Bucket(bucketNotices)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		n.ID = id
		v, err := noticeCodec.encode(&n)
		if err != nil {
			return err
		}
		if err := b.Put(idKey(id), v); err != nil {
			return err
		}
		return appendAudit(tx, AuditEntry{At: n.CreatedAt, User: by.User, Remote: by.Remote, Token: by.Token, Action: "notice.create",
			Target: strconv.FormatUint(id, 10), Detail: fmt.Sprintf("site %s, alerts %v", n.Site, n.AlertIDs)})
	}, nil)
	if err != nil {
		return Notice{}, fmt.Errorf("create notice: %w", err)
	}
	return n, nil
}

// Notice returns one notice.
func (db *DB) Notice(id uint64) (Notice, error) {
	var n Notice
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketNotices).Get(idKey(id))
		if v == nil {
			return fmt.Errorf("notice %d: %w", id, ErrNotFound)
		}
		return noticeCodec.decode(v, &n)
	})
	return n, err
}

// NoticeFilter selects notices; zero fields match everything.
type NoticeFilter struct {
	Site string
	// Alert selects the notices that list this alert.
	Alert uint64
	// Drafts selects notices not yet marked sent; Sent those marked sent.
	Drafts, Sent bool
}

// Notices lists the notices that match f, newest first.
func (db *DB) Notices(f NoticeFilter) ([]Notice, error) {
	var out []Notice
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketNotices).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var n Notice
			if err := noticeCodec.decode(v, &n); err != nil {
				return fmt.Errorf("notice %x: %w", k, err)
			}
			if f.Site != "" && n.Site != f.Site || f.Drafts && n.Sent() || f.Sent && !n.Sent() {
				continue
			}
			if f.Alert != 0 && !containsID(n.AlertIDs, f.Alert) {
				continue
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

func containsID(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// MarkNoticeSent records that the notice was sent, by whom, and in the
// same transaction moves each of its confirmed alerts to notice_sent
// (NoticeSentAt, NoticeID), audited as "notice.sent". Alerts that moved on
// meanwhile (dismissed, removed, withdrawn) are left as they are; already
// notice-sent ones (a reminder) get the new NoticeSentAt. A notice is
// marked sent once: a second call fails with ErrInvalid.
func (db *DB) MarkNoticeSent(ctx context.Context, id uint64, by Actor) (Notice, error) {
	if err := ctx.Err(); err != nil {
		return Notice{}, err
	}
	now := db.now().UTC()
	var n Notice
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNotices)
		v := b.Get(idKey(id))
		if v == nil {
			return fmt.Errorf("notice %d: %w", id, ErrNotFound)
		}
		if err := noticeCodec.decode(v, &n); err != nil {
			return err
		}
		if n.Sent() {
			return fmt.Errorf("notice %d was marked sent at %s by %q already: %w", id, n.SentAt.Format(time.RFC3339), n.SentBy, ErrInvalid)
		}
		n.SentAt, n.SentBy = now, by.User
		nv, err := noticeCodec.encode(&n)
		if err != nil {
			return err
		}
		if err := b.Put(idKey(id), nv); err != nil {
			return err
		}
		alerts := tx.Bucket(bucketAlerts)
		for _, aid := range n.AlertIDs {
			av := alerts.Get(idKey(aid))
			if av == nil {
				continue
			}
			var a Alert
			if err := alertCodec.decode(av, &a); err != nil {
				return err
			}
			if a.Status != StatusConfirmed && a.Status != StatusNoticeSent {
				continue
			}
			a.transition(StatusNoticeSent, now)
			a.NoticeID = id
			if err := putAlert(alerts, &a); err != nil {
				return err
			}
		}
		return appendAudit(tx, AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Action: "notice.sent",
			Target: strconv.FormatUint(id, 10), Detail: fmt.Sprintf("site %s, to %s", n.Site, n.To)})
	}, nil)
	if err != nil {
		return Notice{}, fmt.Errorf("mark notice %d sent: %w", id, err)
	}
	return n, nil
}

// OverdueNotices returns the sent notices left unanswered for longer than
// after (DefaultNoticeOverdue when after ≤ 0) at now, oldest first: sent
// at least after ago, with at least one of their alerts still notice_sent
// under that notice (not yet found removed, dismissed or withdrawn).
func (db *DB) OverdueNotices(now time.Time, after time.Duration) ([]Notice, error) {
	if after <= 0 {
		after = DefaultNoticeOverdue
	}
	var out []Notice
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		out, err = overdueNotices(tx, now, after)
		return err
	})
	return out, err
}

func overdueNotices(tx *bolt.Tx, now time.Time, after time.Duration) ([]Notice, error) {
	var out []Notice
	alerts := tx.Bucket(bucketAlerts)
	err := tx.Bucket(bucketNotices).ForEach(func(k, v []byte) error {
		var n Notice
		if err := noticeCodec.decode(v, &n); err != nil {
			return fmt.Errorf("notice %x: %w", k, err)
		}
		if !n.Sent() || now.Sub(n.SentAt) < after {
			return nil
		}
		for _, aid := range n.AlertIDs {
			av := alerts.Get(idKey(aid))
			if av == nil {
				continue
			}
			var a Alert
			if err := alertCodec.decode(av, &a); err != nil {
				return err
			}
			if a.Status == StatusNoticeSent && a.NoticeID == n.ID {
				out = append(out, n)
				return nil
			}
		}
		return nil
	})
	return out, err
}

// Settings keys of notice templates and site contacts.
const (
	noticeTemplatePrefix = "notice_template/"
	siteContactPrefix    = "site_contact/"
)

// setting is an editable value in the settings bucket, with who changed it
// and when.
type setting struct {
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

var settingCodec = &codec{kind: "setting", version: 1}

func (db *DB) getSetting(key string) (s setting, ok bool, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSettings).Get([]byte(key))
		if v == nil {
			return nil
		}
		ok = true
		return settingCodec.decode(v, &s)
	})
	return s, ok, err
}

// putSetting stores value under key (deleting it when value is empty) and
// audits the change as action, in one transaction.
func (db *DB) putSetting(key, value, action, target string, by Actor) error {
	now := db.now().UTC()
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		if value == "" {
			if err := b.Delete([]byte(key)); err != nil {
				return err
			}
		} else {
			v, err := settingCodec.encode(setting{Value: value, UpdatedAt: now, UpdatedBy: by.User})
			if err != nil {
				return err
			}
			if err := b.Put([]byte(key), v); err != nil {
				return err
			}
		}
		return appendAudit(tx, AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Action: action, Target: target})
	}, nil)
}

// NoticeTemplate returns the notice template for lang ("ko", "en"): the
// centre's edited one if it saved one, else the shipped one
// (notice.Default). custom reports which. A language no template is
// shipped for fails with ErrNotFound.
func (db *DB) NoticeTemplate(lang string) (text string, custom bool, err error) {
	def, ok := notice.Default(lang)
	if !ok {
		return "", false, fmt.Errorf("notice template for language %q (have %v): %w", lang, notice.Languages(), ErrNotFound)
	}
	s, ok, err := db.getSetting(noticeTemplatePrefix + lang)
	if err != nil || !ok {
		return def, false, err
	}
	return s.Value, true, nil
}

// SetNoticeTemplate saves an edited notice template for lang after
// checking that it renders (notice.Validate; the error says what is wrong
// and wraps ErrInvalid). An empty text restores the shipped template. The
// change is audited as "notice.template".
func (db *DB) SetNoticeTemplate(ctx context.Context, lang, text string, by Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, ok := notice.Default(lang); !ok {
		return fmt.Errorf("notice template for language %q (have %v): %w", lang, notice.Languages(), ErrInvalid)
	}
	if strings.TrimSpace(text) == "" {
		text = ""
	} else if err := notice.Validate(text); err != nil {
		return fmt.Errorf("notice template %s: %v: %w", lang, err, ErrInvalid)
	}
	return db.putSetting(noticeTemplatePrefix+lang, text, "notice.template", lang, by)
}

// SiteContact returns the takedown contact saved for site in the console,
// which overrides sites.yaml's contact; ok is false when none is saved and
// the configured one applies.
func (db *DB) SiteContact(site string) (contact string, ok bool, err error) {
	s, ok, err := db.getSetting(siteContactPrefix + site)
	return s.Value, ok, err
}

// maxContact bounds a site contact.
const maxContact = 500

// ValidContact checks a takedown contact: one or more mail addresses
// ("abuse@site.example, Legal <legal@site.example>") or an http(s) URL of
// the site's report form.
func ValidContact(contact string) error {
	switch {
	case len(contact) > maxContact:
		return fmt.Errorf("contact of %d bytes, limit %d: %w", len(contact), maxContact, ErrInvalid)
	case strings.ContainsAny(contact, "\r\n"):
		return fmt.Errorf("contact spans lines: %w", ErrInvalid)
	}
	if u, err := url.Parse(contact); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	if _, err := mail.ParseAddressList(contact); err != nil {
		return fmt.Errorf("contact %q is neither mail addresses nor an http(s) URL: %w", contact, ErrInvalid)
	}
	return nil
}

// SetSiteContact saves the takedown contact of site, overriding sites.yaml;
// an empty contact removes the override. Audited as "site.contact".
func (db *DB) SetSiteContact(ctx context.Context, site, contact string, by Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if site == "" || len(site) > maxNoticeField {
		return fmt.Errorf("site name %q: %w", site, ErrInvalid)
	}
	contact = strings.TrimSpace(contact)
	if contact != "" {
		if err := ValidContact(contact); err != nil {
			return err
		}
	}
	return db.putSetting(siteContactPrefix+site, contact, "site.contact", site, by)
}

// verifyNotices checks stored notices and the settings this file owns.
func verifyNotices(ctx context.Context, tx *bolt.Tx, r *Report) error {
	tick := ticker(ctx)
	if b := tx.Bucket(bucketNotices); b != nil {
		alerts := tx.Bucket(bucketAlerts)
		seq := b.Sequence()
		if err := b.ForEach(func(k, v []byte) error {
			where, id, ok := idWhere("notices", k, seq, r)
			var n Notice
			if err := noticeCodec.decodeCurrent(v, &n); err != nil {
				r.add(where, "%v", err)
				return tick()
			}
			if ok && n.ID != id {
				r.add(where, "holds notice %d", n.ID)
			}
			for _, aid := range n.AlertIDs {
				if alerts != nil && alerts.Get(idKey(aid)) == nil {
					r.add(where, "lists alert %d, which does not exist", aid)
				}
			}
			return tick()
		}); err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketSettings); b != nil {
		return b.ForEach(func(k, v []byte) error {
			key := string(k)
			if !strings.HasPrefix(key, noticeTemplatePrefix) && !strings.HasPrefix(key, siteContactPrefix) {
				return nil
			}
			var s setting
			if err := settingCodec.decodeCurrent(v, &s); err != nil {
				r.add("settings/"+strconv.Quote(key), "%v", err)
			}
			return tick()
		})
	}
	return nil
}

// NoticeItems turns alerts into the evidence a notice lists: each alert's
// page, media and final URL (its first sighting), SHA-256, when it was last
// seen and the match's algorithm and distance.
func NoticeItems(alerts []Alert) []notice.Item {
	out := make([]notice.Item, 0, len(alerts))
	for _, a := range alerts {
		it := notice.Item{AlertID: a.ID, PageURL: a.PageURL, MediaURL: a.MediaURL, SHA256: a.MediaSHA256,
			SeenAt: a.CreatedAt, Algorithm: a.Algorithm, Distance: a.Distance}
		for i, s := range a.Sightings {
			if i == 0 {
				it.FinalURL = s.FinalURL
			}
			if s.LastSeen.After(it.SeenAt) {
				it.SeenAt = s.LastSeen
			}
		}
		out = append(out, it)
	}
	return out
}

// RenderNotice fills the notice template for lang (NoticeTemplate: the
// edited one, else the shipped one) with d and the evidence of the given
// alerts (NoticeItems, in the order given; d.Items is replaced), ready for
// an operator to review and CreateNotice. Errors wrap notice.ErrTemplate
// for a template that fails, ErrNotFound for a missing alert or language.
func (db *DB) RenderNotice(lang string, alertIDs []uint64, d notice.Data) (subject, body string, err error) {
	text, _, err := db.NoticeTemplate(lang)
	if err != nil {
		return "", "", err
	}
	alerts := make([]Alert, 0, len(alertIDs))
	for _, id := range alertIDs {
		a, err := db.Alert(id)
		if err != nil {
			return "", "", err
		}
		alerts = append(alerts, a)
	}
	d.Items = NoticeItems(alerts)
	return notice.Render(text, d)
}
