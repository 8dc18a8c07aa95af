package takedown

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/notice"
	"github.com/hashwatch/hashwatch/store"
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

// ErrNoRecipient reports a notice without a recipient: it cannot be saved
// or marked sent, since nobody would receive it. It wraps store.ErrInvalid.
var ErrNoRecipient = fmt.Errorf("notice has no recipient; set the site's takedown contact or type one: %w", store.ErrInvalid)

// Reference is how a notice names itself in its subject and text, so a
// site's reply can be matched to it: "notice no. 12", "요청 번호 12".
func Reference(lang string, id uint64) string {
	if lang == "ko" {
		return fmt.Sprintf("요청 번호 %d", id)
	}
	return fmt.Sprintf("notice no. %d", id)
}

// NextNoticeID is the number the next stored notice will most likely get,
// for a draft to name itself before it is saved (CreateNotice corrects the
// reference when another notice took the number meanwhile).
func (tk *Store) NextNoticeID() (uint64, error) {
	var id uint64
	err := tk.st.View(func(tx *bolt.Tx) error {
		id = tx.Bucket(bucketNotices).Sequence() + 1
		return nil
	})
	return id, err
}

// Notice is a takedown notice: the rendered message asking a site to remove
// the content of some of its alerts. It is stored as written (an operator
// may have edited the text), so what was sent stays on record. It holds
// URLs and hashes, never media.
type Notice struct {
	ID uint64 `json:"id"`
	// Centre is the centre whose alerts the notice lists: it signs the
	// notice, and its users (and national ones) see it.
	Centre string `json:"centre"`
	Site   string `json:"site"`
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
	// Deliveries are the attempts to send the notice by SMTP, oldest
	// first (at most maxDeliveries kept): what the mail server answered.
	Deliveries []Delivery `json:"deliveries,omitempty"`
}

// Delivery is one attempt to send a notice by mail.
type Delivery struct {
	At time.Time `json:"at"`
	By string    `json:"by,omitempty"`
	// To is the recipient it was sent to.
	To string `json:"to"`
	// OK reports that the server accepted the message; Reply is its
	// answer ("250 2.0.0 Ok: queued as …") or, on failure, the error
	// with the server's reply.
	OK    bool   `json:"ok"`
	Reply string `json:"reply"`
}

// maxDeliveries bounds the attempts kept per notice; maxReply one reply.
const (
	maxDeliveries = 20
	maxReply      = 1000
)

// LastDelivery returns the latest delivery attempt; ok is false when the
// notice was never sent by mail.
func (n Notice) LastDelivery() (d Delivery, ok bool) {
	if len(n.Deliveries) == 0 {
		return Delivery{}, false
	}
	return n.Deliveries[len(n.Deliveries)-1], true
}

// Sent reports whether the notice was marked sent.
func (n Notice) Sent() bool { return !n.SentAt.IsZero() }

// noticeCodec: encoding version 2 names the notice's centre; version 1
// notices, from before centres, are the national centre's.
var noticeCodec = &store.Codec{Kind: "notice", Version: 2,
	Upgrades: map[byte]func(json.RawMessage) (json.RawMessage, error){1: store.AddField("centre", centres.National)}}

// MigrateCentres is this room's part of the migration to centres (schema
// 2 → 3): every notice is rewritten as the national centre's.
func MigrateCentres(tx *bolt.Tx) error { return store.Reencode(tx, bucketNotices, noticeCodec) }

// CreateNotice stores n as a draft notice and returns it with its ID and
// creation time. Every alert it lists must exist, belong to n.Site and be
// confirmed or already notice-sent (a reminder), and all be of one
// centre, which becomes the notice's; the subject and body must
// be set, and the recipient must be a valid contact (ValidContact; an empty
// one fails with ErrNoRecipient). When n.ID is set it is the number the
// draft was written for (NextNoticeID); if the notice gets another number,
// Reference(n.Lang, n.ID) in the subject and body becomes the real one. The creation is audited (action "notice.create") in the same
// transaction.
func (tk *Store) CreateNotice(ctx context.Context, n Notice, by store.Actor) (Notice, error) {
	if err := ctx.Err(); err != nil {
		return Notice{}, err
	}
	switch {
	case n.Site == "" || n.Subject == "" || strings.TrimSpace(n.Body) == "":
		return Notice{}, fmt.Errorf("notice needs a site, a subject and a body: %w", store.ErrInvalid)
	case len(n.AlertIDs) == 0 || len(n.AlertIDs) > maxNoticeAlerts:
		return Notice{}, fmt.Errorf("notice lists %d alerts, want 1 to %d: %w", len(n.AlertIDs), maxNoticeAlerts, store.ErrInvalid)
	case len(n.Body) > maxNoticeBody:
		return Notice{}, fmt.Errorf("notice body of %d bytes, limit %d: %w", len(n.Body), maxNoticeBody, store.ErrInvalid)
	case strings.ContainsAny(n.Subject, "\r\n"):
		return Notice{}, fmt.Errorf("notice subject spans lines: %w", store.ErrInvalid)
	}
	n.To = strings.TrimSpace(n.To)
	if n.To == "" {
		return Notice{}, ErrNoRecipient
	}
	if err := ValidContact(n.To); err != nil {
		return Notice{}, fmt.Errorf("recipient: %w", err)
	}
	draftedAs := n.ID
	for _, f := range []string{n.Site, n.To, n.Lang, n.Subject} {
		if len(f) > maxNoticeField {
			return Notice{}, fmt.Errorf("notice field of %d bytes, limit %d: %w", len(f), maxNoticeField, store.ErrInvalid)
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
	n.CreatedAt, n.CreatedBy, n.SentAt, n.SentBy = tk.st.Now().UTC(), by.User, time.Time{}, ""
	err := tk.st.Update(func(tx *bolt.Tx) error {
		for _, id := range n.AlertIDs {
			a, ok, err := alerts.AlertIn(tx, id)
			if err != nil {
				return err
			}
			if !ok || !centres.Sees(by.Centre, a.Centre) {
				return fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
			}
			if n.Centre == "" {
				n.Centre = a.Centre
			}
			if a.Centre != n.Centre {
				return fmt.Errorf("alert %d is of centre %q, not %q; a notice is one centre's: %w", id, a.Centre, n.Centre, store.ErrInvalid)
			}
			if a.Site != n.Site {
				return fmt.Errorf("alert %d is of site %q, not %q: %w", id, a.Site, n.Site, store.ErrInvalid)
			}
			if a.Status != alerts.StatusConfirmed && a.Status != alerts.StatusNoticeSent {
				return fmt.Errorf("alert %d is %s; a notice needs confirmed alerts: %w", id, a.Status, store.ErrInvalid)
			}
		}
		b := tx.Bucket(bucketNotices)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		n.ID = id
		if draftedAs != 0 && draftedAs != id {
			old, cur := Reference(n.Lang, draftedAs), Reference(n.Lang, id)
			n.Subject, n.Body = replaceRef(n.Subject, old, cur), replaceRef(n.Body, old, cur)
		}
		v, err := noticeCodec.Encode(&n)
		if err != nil {
			return err
		}
		if err := b.Put(store.IDKey(id), v); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: n.CreatedAt, User: by.User, Remote: by.Remote, Token: by.Token, Centre: n.Centre, Action: "notice.create",
			Target: strconv.FormatUint(id, 10), Detail: fmt.Sprintf("site %s, alerts %v", n.Site, n.AlertIDs)})
	}, nil)
	if err != nil {
		return Notice{}, fmt.Errorf("create notice: %w", err)
	}
	return n, nil
}

// replaceRef replaces the reference old with cur in s where old stands as
// a whole number ("notice no. 12" but not "notice no. 123").
func replaceRef(s, old, cur string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(old)
		b.WriteString(s[:i])
		if end < len(s) && s[end] >= '0' && s[end] <= '9' {
			b.WriteString(old)
		} else {
			b.WriteString(cur)
		}
		s = s[end:]
	}
}

// Notice returns one notice.
func (tk *Store) Notice(id uint64) (Notice, error) {
	var n Notice
	err := tk.st.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketNotices).Get(store.IDKey(id))
		if v == nil {
			return fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
		}
		return noticeCodec.Decode(v, &n)
	})
	return n, err
}

// NoticeFilter selects notices; zero fields match everything.
type NoticeFilter struct {
	// Centre keeps one centre's notices; empty keeps every centre's.
	Centre string
	Site   string
	// Alert selects the notices that list this alert.
	Alert uint64
	// Drafts selects notices not yet marked sent; Sent those marked sent.
	Drafts, Sent bool
}

// Notices lists the notices that match f, newest first.
func (tk *Store) Notices(f NoticeFilter) ([]Notice, error) {
	var out []Notice
	err := tk.st.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketNotices).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var n Notice
			if err := noticeCodec.Decode(v, &n); err != nil {
				return fmt.Errorf("notice %x: %w", k, err)
			}
			if f.Centre != "" && n.Centre != f.Centre || f.Site != "" && n.Site != f.Site || f.Drafts && n.Sent() || f.Sent && !n.Sent() {
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
// marked sent once: a second call fails with store.ErrInvalid. A notice
// without a recipient (stored before recipients were required) fails with
// ErrNoRecipient and changes nothing.
func (tk *Store) MarkNoticeSent(ctx context.Context, id uint64, by store.Actor) (Notice, error) {
	if err := ctx.Err(); err != nil {
		return Notice{}, err
	}
	now := tk.st.Now().UTC()
	var n Notice
	err := tk.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNotices)
		v := b.Get(store.IDKey(id))
		if v == nil {
			return fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
		}
		if err := noticeCodec.Decode(v, &n); err != nil {
			return err
		}
		if !centres.Sees(by.Centre, n.Centre) {
			return fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
		}
		if strings.TrimSpace(n.To) == "" {
			return ErrNoRecipient
		}
		if n.Sent() {
			return fmt.Errorf("notice %d was marked sent at %s by %q already: %w", id, n.SentAt.Format(time.RFC3339), n.SentBy, store.ErrInvalid)
		}
		return markSentIn(tx, &n, now, by)
	}, nil)
	if err != nil {
		return Notice{}, fmt.Errorf("mark notice %d sent: %w", id, err)
	}
	return n, nil
}

// markSentIn marks n sent at now, stores it and moves its alerts to
// notice_sent, audited as "notice.sent".
func markSentIn(tx *bolt.Tx, n *Notice, now time.Time, by store.Actor) error {
	n.SentAt, n.SentBy = now, by.User
	if err := putNotice(tx, n); err != nil {
		return err
	}
	for _, aid := range n.AlertIDs {
		if err := alerts.NoticeSentIn(tx, aid, n.ID, now); err != nil {
			return err
		}
	}
	return store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Centre: n.Centre, Action: "notice.sent",
		Target: strconv.FormatUint(n.ID, 10), Detail: fmt.Sprintf("site %s, to %s", n.Site, n.To)})
}

func putNotice(tx *bolt.Tx, n *Notice) error {
	v, err := noticeCodec.Encode(n)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketNotices).Put(store.IDKey(n.ID), v)
}

// RecordDelivery records an attempt to send notice id by mail, audited as
// "notice.delivery" with the server's reply. An accepted delivery of a
// notice not yet marked sent also marks it sent, moving its alerts to
// notice_sent, in the same transaction (as MarkNoticeSent); a failed one
// changes nothing else.
func (tk *Store) RecordDelivery(ctx context.Context, id uint64, d Delivery, by store.Actor) (Notice, error) {
	if err := ctx.Err(); err != nil {
		return Notice{}, err
	}
	now := tk.st.Now().UTC()
	d.At, d.By = now, by.User
	if len(d.Reply) > maxReply {
		d.Reply = d.Reply[:maxReply]
	}
	var n Notice
	err := tk.st.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketNotices).Get(store.IDKey(id))
		if v == nil {
			return fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
		}
		if err := noticeCodec.Decode(v, &n); err != nil {
			return err
		}
		if !centres.Sees(by.Centre, n.Centre) {
			return fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
		}
		n.Deliveries = append(n.Deliveries, d)
		if len(n.Deliveries) > maxDeliveries {
			n.Deliveries = n.Deliveries[len(n.Deliveries)-maxDeliveries:]
		}
		outcome := "failed"
		if d.OK {
			outcome = "sent"
		}
		if err := store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Centre: n.Centre, Action: "notice.delivery",
			Target: strconv.FormatUint(id, 10), Detail: fmt.Sprintf("%s to %s: %s", outcome, d.To, d.Reply)}); err != nil {
			return err
		}
		if d.OK && !n.Sent() {
			return markSentIn(tx, &n, now, by)
		}
		return putNotice(tx, &n)
	}, nil)
	if err != nil {
		return Notice{}, fmt.Errorf("record delivery of notice %d: %w", id, err)
	}
	return n, nil
}

// OverdueNotices returns the sent notices left unanswered for longer than
// after (DefaultNoticeOverdue when after ≤ 0) at now, oldest first: sent
// at least after ago, with at least one of their alerts still notice_sent
// under that notice (not yet found removed, dismissed or withdrawn).
func (tk *Store) OverdueNotices(now time.Time, after time.Duration) ([]Notice, error) {
	if after <= 0 {
		after = DefaultNoticeOverdue
	}
	var out []Notice
	err := tk.st.View(func(tx *bolt.Tx) error {
		var err error
		out, err = overdueNotices(tx, now, after)
		return err
	})
	return out, err
}

func overdueNotices(tx *bolt.Tx, now time.Time, after time.Duration) ([]Notice, error) {
	var out []Notice
	err := tx.Bucket(bucketNotices).ForEach(func(k, v []byte) error {
		var n Notice
		if err := noticeCodec.Decode(v, &n); err != nil {
			return fmt.Errorf("notice %x: %w", k, err)
		}
		if !n.Sent() || now.Sub(n.SentAt) < after {
			return nil
		}
		for _, aid := range n.AlertIDs {
			a, ok, err := alerts.AlertIn(tx, aid)
			if err != nil {
				return err
			}
			if ok && a.Status == alerts.StatusNoticeSent && a.NoticeID == n.ID {
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

// NoticeTemplate is NoticeTemplateOf for the national centre.
func (tk *Store) NoticeTemplate(lang string) (text string, custom bool, err error) {
	return tk.NoticeTemplateOf(centres.National, lang)
}

// templateKey is the settings key of centre's template for lang: the
// national centre keeps the key templates had before centres.
func templateKey(centre, lang string) string {
	if centre == centres.National || centre == "" {
		return noticeTemplatePrefix + lang
	}
	return noticeTemplatePrefix + centre + "/" + lang
}

// NoticeTemplateOf returns centre's notice template for lang ("ko",
// "en"): the one the centre saved, else the national centre's saved one,
// else the shipped one (notice.Default). custom reports whether the
// centre saved its own. Each centre signs its own notices. A language no
// template is shipped for fails with store.ErrNotFound.
func (tk *Store) NoticeTemplateOf(centre, lang string) (text string, custom bool, err error) {
	def, ok := notice.Default(lang)
	if !ok {
		return "", false, fmt.Errorf("notice template for language %q (have %v): %w", lang, notice.Languages(), store.ErrNotFound)
	}
	s, ok, err := tk.st.Setting(templateKey(centre, lang))
	if err != nil || ok {
		return s, ok, err
	}
	if centre != centres.National && centre != "" {
		if s, ok, err := tk.st.Setting(templateKey(centres.National, lang)); err != nil || ok {
			return s, false, err
		}
	}
	return def, false, nil
}

// SetNoticeTemplate is SetNoticeTemplateOf for the national centre.
func (tk *Store) SetNoticeTemplate(ctx context.Context, lang, text string, by store.Actor) error {
	return tk.SetNoticeTemplateOf(ctx, centres.National, lang, text, by)
}

// SetNoticeTemplateOf saves centre's edited notice template for lang after
// checking that it renders (notice.Validate; the error says what is wrong
// and wraps store.ErrInvalid). An empty text restores the shipped template. The
// change is audited as "notice.template".
func (tk *Store) SetNoticeTemplateOf(ctx context.Context, centre, lang, text string, by store.Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !centres.Sees(by.Centre, centre) {
		return fmt.Errorf("centre %q: %w", centre, store.ErrNotFound)
	}
	if _, ok := notice.Default(lang); !ok {
		return fmt.Errorf("notice template for language %q (have %v): %w", lang, notice.Languages(), store.ErrInvalid)
	}
	if strings.TrimSpace(text) == "" {
		text = ""
	} else if err := notice.Validate(text); err != nil {
		return fmt.Errorf("notice template %s: %v: %w", lang, err, store.ErrInvalid)
	}
	by.Centre = centre // the audit entry is the template's centre's
	return tk.st.PutSetting(templateKey(centre, lang), text, "notice.template", lang, by)
}

// SiteContact returns the takedown contact saved for site in the console,
// which overrides sites.yaml's contact; ok is false when none is saved and
// the configured one applies.
func (tk *Store) SiteContact(site string) (contact string, ok bool, err error) {
	return tk.st.Setting(siteContactPrefix + site)
}

// maxContact bounds a site contact.
const maxContact = 500

// ValidContact checks a takedown contact: one or more mail addresses
// ("abuse@site.example, Legal <legal@site.example>") or an http(s) URL of
// the site's report form.
func ValidContact(contact string) error {
	switch {
	case len(contact) > maxContact:
		return fmt.Errorf("contact of %d bytes, limit %d: %w", len(contact), maxContact, store.ErrInvalid)
	case strings.ContainsAny(contact, "\r\n"):
		return fmt.Errorf("contact spans lines: %w", store.ErrInvalid)
	}
	if u, err := url.Parse(contact); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	if _, err := mail.ParseAddressList(contact); err != nil {
		return fmt.Errorf("contact %q is neither mail addresses nor an http(s) URL: %w", contact, store.ErrInvalid)
	}
	return nil
}

// SetSiteContact saves the takedown contact of site, overriding sites.yaml;
// an empty contact removes the override. Audited as "site.contact".
func (tk *Store) SetSiteContact(ctx context.Context, site, contact string, by store.Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if site == "" || len(site) > maxNoticeField {
		return fmt.Errorf("site name %q: %w", site, store.ErrInvalid)
	}
	contact = strings.TrimSpace(contact)
	if contact != "" {
		if err := ValidContact(contact); err != nil {
			return err
		}
	}
	return tk.st.PutSetting(siteContactPrefix+site, contact, "site.contact", site, by)
}

// Verify is this room's part of store.DB.Verify: every notice decodes
// under the ID it claims and lists existing alerts, and every template and
// contact setting decodes.
func Verify(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	tick := store.Ticker(ctx)
	if b := tx.Bucket(bucketNotices); b != nil {
		seq := b.Sequence()
		if err := b.ForEach(func(k, v []byte) error {
			where, id, ok := store.IDWhere("notices", k, seq, r)
			var n Notice
			if err := noticeCodec.DecodeCurrent(v, &n); err != nil {
				r.Add(where, "%v", err)
				return tick()
			}
			if ok && n.ID != id {
				r.Add(where, "holds notice %d", n.ID)
			}
			for _, aid := range n.AlertIDs {
				if _, ok, _ := alerts.AlertIn(tx, aid); !ok {
					r.Add(where, "lists alert %d, which does not exist", aid)
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
			if err := store.VerifySetting(v); err != nil {
				r.Add("settings/"+strconv.Quote(key), "%v", err)
			}
			return tick()
		})
	}
	return nil
}

// NoticeItems turns alerts into the evidence a notice lists: each alert's
// page, media and final URL (its first sighting), SHA-256, when it was last
// seen and the match's algorithm and distance.
func NoticeItems(as []alerts.Alert) []notice.Item {
	out := make([]notice.Item, 0, len(as))
	for _, a := range as {
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
// for a template that fails, store.ErrNotFound for a missing alert or language.
func (tk *Store) RenderNotice(lang string, alertIDs []uint64, d notice.Data) (subject, body string, err error) {
	text, _, err := tk.NoticeTemplate(lang)
	if err != nil {
		return "", "", err
	}
	as := make([]alerts.Alert, 0, len(alertIDs))
	for _, id := range alertIDs {
		a, err := tk.alerts.Alert(id)
		if err != nil {
			return "", "", err
		}
		as = append(as, a)
	}
	d.Items = NoticeItems(as)
	return notice.Render(text, d)
}
