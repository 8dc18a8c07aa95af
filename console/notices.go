package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/notice"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

// Notice defaults; Config overrides them.
const (
	defaultNoticeFrom   = "hashwatch <takedown@hashwatch.invalid>"
	defaultNoticeSender = "hashwatch"
)

// contactOf is where a site's notices go: the contact saved in the console,
// else the one in sites.yaml.
func (s *Server) contactOf(site string) (string, error) {
	c, ok, err := s.db.Takedown.SiteContact(site)
	if err != nil || ok {
		return c, err
	}
	if st := s.site(site); st != nil {
		return st.Contact, nil
	}
	return "", nil
}

// siteGroup is a site's confirmed alerts awaiting a notice.
type siteGroup struct {
	Site    string
	Contact string
	Alerts  []alerts.Alert
}

type noticesData struct {
	Groups    []siteGroup
	Notices   []takedown.Notice
	Overdue   map[uint64]bool
	Languages []string
	Draft     *takedown.Notice // a generated draft to edit before saving
	Error     string
}

func (s *Server) noticesData(centre string) (noticesData, error) {
	d := noticesData{Overdue: map[uint64]bool{}, Languages: notice.Languages()}
	confirmed, err := s.db.Alerts.Alerts(alerts.AlertFilter{Status: alerts.StatusConfirmed, Centre: centre})
	if err != nil {
		return d, err
	}
	bySite := map[string]*siteGroup{}
	for _, a := range confirmed {
		g := bySite[a.Site]
		if g == nil {
			c, err := s.contactOf(a.Site)
			if err != nil {
				return d, err
			}
			g = &siteGroup{Site: a.Site, Contact: c}
			bySite[a.Site] = g
		}
		g.Alerts = append(g.Alerts, a)
	}
	for _, g := range bySite {
		d.Groups = append(d.Groups, *g)
	}
	slices.SortFunc(d.Groups, func(a, b siteGroup) int { return strings.Compare(a.Site, b.Site) })
	if d.Notices, err = s.db.Takedown.Notices(takedown.NoticeFilter{Centre: centre}); err != nil {
		return d, err
	}
	overdue, err := s.db.Takedown.OverdueNotices(s.now(), s.cfg.NoticeOverdue)
	if err != nil {
		return d, err
	}
	for _, n := range overdue {
		d.Overdue[n.ID] = true
	}
	return d, nil
}

func (s *Server) noticesPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	centre, err := rq.scope(r)
	if err != nil {
		return err
	}
	d, err := s.noticesData(centre)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "notices", rq.loc.T("notices.title"), d)
}

// draftNotice renders the template for the chosen confirmed alerts of one
// site into an editable draft; nothing is stored until it is saved.
func (s *Server) draftNotice(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := r.PostForm
	site, lang := f.Get("site"), f.Get("lang")
	ids, err := parseIDs(f["id"])
	if err != nil {
		return err
	}
	// The site's contact, typed beside the button, is saved first so the
	// draft is addressed (and later drafts too).
	if c, ok := f["contact"]; ok {
		cur, err := s.contactOf(site)
		if err != nil {
			return err
		}
		if typed := strings.TrimSpace(c[0]); typed != "" && typed != cur {
			if err := s.db.Takedown.SetSiteContact(r.Context(), site, typed, rq.actor()); err != nil {
				return err
			}
		}
	}
	var as []alerts.Alert
	for _, id := range ids {
		a, err := s.alertFor(rq, id)
		if err != nil {
			return err
		}
		if a.Site != site {
			return refuse(400, "err.notice_site", id, a.Site, site)
		}
		if a.Status != alerts.StatusConfirmed && a.Status != alerts.StatusNoticeSent {
			// A dismissed or withdrawn alert's URLs do not go into a
			// notice, not even a draft (CreateNotice refuses them too).
			return refuse(http.StatusConflict, "err.notice_unconfirmed", id, words("status."+string(a.Status)))
		}
		as = append(as, a)
	}
	// The notice is its alerts' centre's, in its template, signed by it.
	centre := rq.user.Centre
	if len(as) > 0 {
		centre = as[0].Centre
	}
	text, _, err := s.db.Takedown.NoticeTemplateOf(centre, lang)
	if err != nil {
		return err
	}
	to, err := s.contactOf(site)
	if err != nil {
		return err
	}
	// The draft names the number it will most likely be saved under;
	// CreateNotice corrects it if another notice takes that number first.
	next, err := s.db.Takedown.NextNoticeID()
	if err != nil {
		return err
	}
	subject, body, err := notice.Render(text, notice.Data{Site: site, To: to, Sender: s.senderOf(centre), SenderContact: s.cfg.NoticeFrom,
		Reference: takedown.Reference(lang, next), Date: s.now(), Items: takedown.NoticeItems(as), Location: rq.loc.Zone})
	if err != nil {
		return refuseWith(http.StatusUnprocessableEntity, err, "err.template_broken", lang)
	}
	return s.renderDraft(w, r, rq, http.StatusOK, takedown.Notice{ID: next, Site: site, To: to, Lang: lang, Subject: subject, Body: body, AlertIDs: ids}, "")
}

// renderDraft shows the notices page with draft in its editable form and,
// when problem is set, what is wrong with it: the operator's edits are
// kept.
func (s *Server) renderDraft(w http.ResponseWriter, r *http.Request, rq *request, status int, draft takedown.Notice, problem string) error {
	listed, err := rq.scope(r)
	if err != nil {
		return err
	}
	d, err := s.noticesData(listed)
	if err != nil {
		return err
	}
	d.Draft, d.Error = &draft, problem
	return s.render(w, r, rq, status, "notices", rq.loc.T("notices.title"), d)
}

// createNotice stores the (possibly edited) draft; takedown.Store.CreateNotice
// checks the alerts and audits it.
func (s *Server) createNotice(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := r.PostForm
	ids, err := parseIDs(f["id"])
	if err != nil {
		return err
	}
	// The draft's number, if it names one (see draftNotice).
	drafted, _ := strconv.ParseUint(f.Get("ref"), 10, 64)
	// The recipient is a contact like a site's (mail addresses or a report
	// form's URL), required: a notice nobody receives is not ready. It is
	// never a line break that would add lines to the exported notice
	// (CreateNotice checks both).
	draft := takedown.Notice{ID: drafted, Site: f.Get("site"), To: strings.TrimSpace(f.Get("to")), Lang: f.Get("lang"),
		Subject: strings.TrimSpace(f.Get("subject")), Body: strings.ReplaceAll(f.Get("body"), "\r\n", "\n"), AlertIDs: ids}
	n, err := s.db.Takedown.CreateNotice(r.Context(), draft, rq.actor())
	if errors.Is(err, takedown.ErrNoRecipient) {
		return s.renderDraft(w, r, rq, http.StatusBadRequest, draft, rq.loc.T("notices.no_recipient"))
	}
	if errors.Is(err, store.ErrInvalid) {
		// The form comes back as the operator left it, with the problem.
		return s.renderDraft(w, r, rq, http.StatusBadRequest, draft, explain(rq.loc, err).Text())
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/notices/%d?done=notice_saved", n.ID), http.StatusSeeOther)
	return nil
}

type noticeData struct {
	N       takedown.Notice
	Overdue bool
	Alerts  []alerts.Alert
	// CanMail is set when notices can be sent by mail from here;
	// Delivery is the latest attempt, if any.
	CanMail  bool
	Delivery *takedown.Delivery
}

func (s *Server) noticeByPath(r *http.Request, rq *request) (takedown.Notice, error) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return takedown.Notice{}, err
	}
	return s.noticeFor(rq, id)
}

func (s *Server) noticePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	n, err := s.noticeByPath(r, rq)
	if err != nil {
		return err
	}
	// Mail goes to mail addresses; a report form's URL is for the
	// operator to fill in by hand.
	_, notMail := mail.ParseAddressList(n.To)
	d := noticeData{N: n, CanMail: s.cfg.Mailer != nil && notMail == nil}
	if last, ok := n.LastDelivery(); ok {
		d.Delivery = &last
	}
	overdue, err := s.db.Takedown.OverdueNotices(s.now(), s.cfg.NoticeOverdue)
	if err != nil {
		return err
	}
	for _, o := range overdue {
		d.Overdue = d.Overdue || o.ID == n.ID
	}
	for _, id := range n.AlertIDs {
		if a, err := s.alertFor(rq, id); err == nil {
			d.Alerts = append(d.Alerts, a)
		}
	}
	return s.render(w, r, rq, http.StatusOK, "notice", rq.loc.T("notice.title", n.ID), d)
}

// noticeFile answers a notice as a download: .eml for a mail client, or
// plain text ("txt") for a web form or a letter.
func (s *Server) noticeFile(ext string) handler {
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		n, err := s.noticeByPath(r, rq)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("notice-%d-%s.%s", n.ID, safeFileName(n.Site), ext)
		var data []byte
		ctype := "text/plain; charset=utf-8"
		if ext == "eml" {
			data, err = notice.EML(s.cfg.NoticeFrom, n.To, n.Subject, n.Body, n.CreatedAt, fmt.Sprintf("notice-%d@hashwatch", n.ID))
			if err != nil {
				return refuseWith(http.StatusConflict, err, "notice.no_eml")
			}
			ctype = "message/rfc822"
		} else {
			data = []byte("To: " + n.To + "\nSubject: " + n.Subject + "\n\n" + n.Body)
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		_, _ = w.Write(data)
		return nil
	}
}

// safeFileName keeps letters, digits, '.', '-' and '_' of a site name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return r
		}
		return '_'
	}, s)
}

// markSent records that the operator sent the notice: its alerts become
// notice_sent (takedown.Store.MarkNoticeSent, audited). The form returns
// to the notice; the API answers with it.
func (s *Server) markSent(w http.ResponseWriter, r *http.Request, rq *request) error {
	n, err := s.noticeByPath(r, rq)
	if err == nil {
		n, err = s.db.Takedown.MarkNoticeSent(r.Context(), n.ID, rq.actor())
	}
	if errors.Is(err, takedown.ErrNoRecipient) {
		return refuse(http.StatusConflict, "notices.no_recipient")
	}
	if err != nil {
		return err
	}
	return s.respond(w, r, rq, reply{redirect: fmt.Sprintf("/notices/%d?done=notice_sent", n.ID), json: NewNoticeJSON(n)})
}

// Mailer sends a message by mail; notice.SMTP is one. It is declared here,
// where it is used, so tests and other transports can stand in.
type Mailer interface {
	// Send delivers msg from the envelope sender from to the addresses in
	// to and returns the server's reply.
	Send(ctx context.Context, from, to string, msg []byte) (reply string, err error)
}

// sendNotice sends a notice by mail (Config.Mailer) to its recipient and
// records the attempt with the server's reply (takedown.Store.
// RecordDelivery, audited); an accepted one marks the notice sent and
// moves its alerts to notice_sent. A refused one changes nothing else and
// the notice page shows the reply.
func (s *Server) sendNotice(w http.ResponseWriter, r *http.Request, rq *request) error {
	n, err := s.noticeByPath(r, rq)
	if err != nil {
		return err
	}
	switch {
	case n.Sent():
		return refuse(http.StatusConflict, "notice.already_sent")
	case strings.TrimSpace(n.To) == "":
		return refuse(http.StatusConflict, "notices.no_recipient")
	}
	msg, err := notice.EML(s.cfg.NoticeFrom, n.To, n.Subject, n.Body, s.now(), fmt.Sprintf("notice-%d.%d@hashwatch", n.ID, s.now().Unix()))
	if err != nil {
		return refuseWith(http.StatusConflict, err, "notice.no_eml")
	}
	answer, sendErr := s.cfg.Mailer.Send(r.Context(), s.cfg.NoticeFrom, n.To, msg)
	d := takedown.Delivery{To: n.To, OK: sendErr == nil, Reply: answer}
	if sendErr != nil {
		d.Reply = sendErr.Error()
		s.log.Warn("notice not delivered", "notice", n.ID, "err", sendErr)
	}
	// The attempt happened: record it even if the operator went away.
	n, err = s.db.Takedown.RecordDelivery(context.WithoutCancel(r.Context()), n.ID, d, rq.actor())
	if err != nil {
		return err
	}
	if sendErr != nil {
		if rq.api {
			return refuseWith(http.StatusBadGateway, errors.New(d.Reply), "notice.not_delivered")
		}
		http.Redirect(w, r, fmt.Sprintf("/notices/%d?done=notice_not_delivered", n.ID), http.StatusSeeOther)
		return nil
	}
	return s.respond(w, r, rq, reply{redirect: fmt.Sprintf("/notices/%d?done=notice_delivered", n.ID), json: NewNoticeJSON(n)})
}

// setContact saves a site's takedown contact (empty restores sites.yaml's).
func (s *Server) setContact(w http.ResponseWriter, r *http.Request, rq *request) error {
	site := r.PathValue("site")
	if err := s.db.Takedown.SetSiteContact(r.Context(), site, r.PostForm.Get("contact"), rq.actor()); err != nil {
		return err
	}
	back := "/notices?done=contact_saved"
	if rq.user.Role == accounts.RoleAnalyst {
		back = "/sites?done=contact_saved"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

type templatesData struct {
	Templates []noticeTemplate
	Vars      []templateVar
}

type noticeTemplate struct {
	Lang   string
	Text   string
	Custom bool
	// Preview is the text rendered with example data, after the Preview
	// button.
	Preview *templatePreview
}

// templatesData is the centre's templates, as stored, and what they can
// write.
func (s *Server) templatesData(rq *request) (templatesData, error) {
	d := templatesData{Vars: templateVars}
	for _, lang := range notice.Languages() {
		text, custom, err := s.db.Takedown.NoticeTemplateOf(rq.user.Centre, lang)
		if err != nil {
			return d, err
		}
		d.Templates = append(d.Templates, noticeTemplate{Lang: lang, Text: text, Custom: custom})
	}
	return d, nil
}

func (s *Server) templatesPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.templatesData(rq)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "templates", rq.loc.T("templates.title"), d)
}

// saveTemplate stores an edited template (checked to render); an empty one
// restores the shipped template.
func (s *Server) saveTemplate(w http.ResponseWriter, r *http.Request, rq *request) error {
	lang := r.PathValue("lang")
	text := strings.ReplaceAll(r.PostForm.Get("text"), "\r\n", "\n")
	if r.PostForm.Get("reset") != "" {
		text = ""
	}
	if err := s.db.Takedown.SetNoticeTemplateOf(r.Context(), rq.user.Centre, lang, text, rq.actor()); err != nil {
		return err
	}
	http.Redirect(w, r, "/notice-templates?done=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) apiNotices(w http.ResponseWriter, r *http.Request, rq *request) error {
	centre, err := rq.scope(r)
	if err != nil {
		return err
	}
	f := takedown.NoticeFilter{Centre: centre, Site: r.URL.Query().Get("site")}
	if v := r.URL.Query().Get("alert"); v != "" {
		id, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return refuse(400, "err.bad_id", truncate(v, 40))
		}
		f.Alert = id
	}
	ns, err := s.db.Takedown.Notices(f)
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []takedown.Notice{}
	}
	writeJSON(w, http.StatusOK, convert(ns, NewNoticeJSON))
	return nil
}

// senderOf is the name a centre's notices are signed with: the configured
// sender for the national centre, a regional centre's own name for its
// notices.
func (s *Server) senderOf(centre string) string {
	if centre == centres.National {
		return s.cfg.NoticeSender
	}
	c, err := s.db.Centres.Centre(centre)
	if err != nil {
		return s.cfg.NoticeSender
	}
	return c.Name
}
