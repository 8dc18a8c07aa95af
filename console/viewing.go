package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
)

// Graduated viewing (issue 15): an operator who cannot judge a match from
// the blurred preview asks for a clearer picture, then for the picture
// itself. Each step is an audited action of its own, allowed only after
// the one before (the reveal of the preview, then the clearer view), for
// this session and for revealFor. Both live steps fetch the media from the
// source at the moment they are shown, through the crawler's guard and
// limits (crawler.Inspector.FetchForViewing), render it in memory
// (hashing.Render) and stream it to the browser: nothing is stored. They
// are grey unless the operator ticks "in colour", which the audit record
// notes.

// viewSteps are the live steps by their path name.
var viewSteps = map[string]hashing.ViewStep{"clearer": hashing.ViewClearer, "full": hashing.ViewFull}

// colourStep marks, among a session's viewing grants, that a step was
// asked in colour.
const colourStep = 100

// viewAllowed reports whether rq's session may take step of alert a: the
// step before it taken (the preview's reveal, when a preview is stored).
func (s *Server) viewAllowed(rq *request, a alerts.Alert, step hashing.ViewStep, hasPreview bool) bool {
	if rq.session == nil {
		return false
	}
	if step == hashing.ViewFull {
		return s.isRevealedStep(rq.session.ID, a.ID, int(hashing.ViewClearer))
	}
	return !hasPreview || s.isRevealedStep(rq.session.ID, a.ID, 0)
}

// viewStep grants the session the next viewing step of an alert: POST
// /alerts/{id}/view/{clearer|full}, with "colour" to see it in colour.
func (s *Server) viewStep(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	step, ok := viewSteps[r.PathValue("step")]
	if !ok {
		return errorf(http.StatusNotFound, "no viewing step %q (clearer or full)", truncate(r.PathValue("step"), 20))
	}
	a, err := s.alertFor(rq, id)
	if err != nil {
		return err
	}
	switch {
	case rq.session == nil:
		return errorf(400, "pictures are viewed in a browser session")
	case s.cfg.Inspector == nil:
		return refuse(http.StatusConflict, "view.no_fetcher")
	case a.Video != nil:
		return refuse(http.StatusConflict, "view.video")
	}
	_, perr := s.db.Alerts.Preview(a.MediaSHA256)
	if !s.viewAllowed(rq, a, step, perr == nil) {
		return refuse(http.StatusConflict, "view.step_first")
	}
	colour := r.PostForm.Get("colour") != ""
	detail := "grey"
	if colour {
		detail = "colour"
	}
	action := "alert.view_clearer"
	if step == hashing.ViewFull {
		action = "alert.view_full"
	}
	if err := s.db.Store.Audit(r.Context(), store.AuditEntry{User: rq.user.Name, Remote: rq.remote, Token: rq.actor().Token, Centre: a.Centre,
		Action: action, Target: fmt.Sprint(id), Detail: detail}); err != nil {
		return err // no record, no view
	}
	s.revealStep(rq.session.ID, id, int(step))
	if colour {
		s.revealStep(rq.session.ID, id, colourStep+int(step))
	}
	http.Redirect(w, r, backTo(r, id)+"#preview", http.StatusSeeOther)
	return nil
}

// maxViewSources bounds the sightings tried when the first no longer
// serves the media.
const maxViewSources = 3

// viewImage streams a granted viewing step: the media fetched live from
// where it was seen, rendered, never stored.
func (s *Server) viewImage(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	step, ok := viewSteps[r.PathValue("step")]
	if !ok {
		return errorf(http.StatusNotFound, "no viewing step %q (clearer or full)", truncate(r.PathValue("step"), 20))
	}
	a, err := s.alertFor(rq, id)
	if err != nil {
		return err
	}
	if rq.session == nil || !s.isRevealedStep(rq.session.ID, id, int(step)) {
		return refuse(http.StatusConflict, "view.step_first")
	}
	if s.cfg.Inspector == nil {
		return refuse(http.StatusConflict, "view.no_fetcher")
	}
	urls := []string{a.MediaURL}
	for _, sg := range a.Sightings {
		if len(urls) < maxViewSources && sg.MediaURL != "" && sg.MediaURL != urls[0] {
			urls = append(urls, sg.MediaURL)
		}
	}
	var errs []error
	for _, u := range urls {
		data, err := s.cfg.Inspector.FetchForViewing(r.Context(), u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out, err := s.hasher.Render(r.Context(), data, step, s.isRevealedStep(rq.session.ID, id, colourStep+int(step)))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Disposition", "inline")
		_, _ = w.Write(out)
		return nil
	}
	s.log.Info("live view failed", "alert", id, "err", errors.Join(errs...))
	return refuse(http.StatusBadGateway, "view.gone")
}
