package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/notice"
	"github.com/hashwatch/hashwatch/takedown"
)

// templateVar is one thing a notice template can write, said in words,
// with what to type for it: the templates page lists them so an operator
// edits a template without reading Go's template syntax.
type templateVar struct {
	Key  string // message key of its description
	Code string
	Item bool // only inside the list of items
}

// templateVars are the fields of notice.Data and notice.Item, in the
// order a notice uses them.
var templateVars = []templateVar{
	{"tvar.site", "{{.Site}}", false},
	{"tvar.to", "{{.To}}", false},
	{"tvar.sender", "{{.Sender}}", false},
	{"tvar.sender_contact", "{{.SenderContact}}", false},
	{"tvar.reference", "{{.Reference}}", false},
	{"tvar.date", "{{datetime .Date}}", false},
	{"tvar.count", "{{len .Items}}", false},
	{"tvar.each", "{{range $i, $it := .Items}} … {{end}}", false},
	{"tvar.number", "{{inc $i}}", true},
	{"tvar.page_url", "{{$it.PageURL}}", true},
	{"tvar.media_url", "{{$it.MediaURL}}", true},
	{"tvar.final_url", "{{$it.FinalURL}}", true},
	{"tvar.sha256", "{{$it.SHA256}}", true},
	{"tvar.seen", "{{datetime $it.SeenAt}}", true},
	{"tvar.algorithm", "{{$it.Algorithm}}", true},
	{"tvar.distance", "{{$it.Distance}}", true},
}

// templatePreview is a template rendered with example data: what a notice
// from it would say, or why it cannot be rendered.
type templatePreview struct {
	Subject, Body string
	Error         string
}

// exampleNotice is the example a template preview is rendered with: two
// items on a made-up site (reserved .example names), nothing from the
// database, so a preview shows no alert's evidence.
func (s *Server) exampleNotice(centre, lang string, loc *time.Location) notice.Data {
	at := s.now()
	return notice.Data{Site: "board", To: "abuse@board.example", Sender: s.senderOf(centre), SenderContact: s.cfg.NoticeFrom,
		Reference: takedown.Reference(lang, 12), Date: at, Location: loc,
		Items: []notice.Item{
			{AlertID: 1, PageURL: "https://board.example/thread/481", MediaURL: "https://cdn.board.example/i/9f2c.jpg",
				SHA256: strings.Repeat("3a7bd3e2", 8), SeenAt: at.Add(-26 * time.Hour), Algorithm: "pdq", Distance: 12},
			{AlertID: 2, PageURL: "https://board.example/thread/502", MediaURL: "https://board.example/img/77",
				FinalURL: "https://cdn.board.example/i/c410.jpg", SHA256: strings.Repeat("0b9e44f1", 8), SeenAt: at.Add(-3 * time.Hour), Algorithm: "pdq", Distance: 4},
		}}
}

// previewTemplate renders the posted template text with example data and
// shows it beside the text, which stays as typed and is not saved: the
// "Preview" button of the templates page. It stores nothing.
func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request, rq *request) error {
	lang := r.PathValue("lang")
	if _, ok := notice.Default(lang); !ok {
		return refuse(http.StatusNotFound, "err.template_lang", truncate(lang, 16))
	}
	text := strings.ReplaceAll(r.PostForm.Get("text"), "\r\n", "\n")
	d, err := s.templatesData(rq)
	if err != nil {
		return err
	}
	var p templatePreview
	if subject, body, err := notice.Render(text, s.exampleNotice(rq.user.Centre, lang, rq.loc.Zone)); err != nil {
		p.Error = err.Error()
	} else {
		p.Subject, p.Body = subject, body
	}
	status := http.StatusOK
	if p.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	for i := range d.Templates {
		if d.Templates[i].Lang == lang {
			d.Templates[i].Text, d.Templates[i].Preview = text, &p
		}
	}
	return s.render(w, r, rq, status, "templates", rq.loc.T("templates.title"), d)
}
