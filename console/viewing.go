package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
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

// keyframesStep is a video alert's first viewing step, its grant among a
// session's: a strip of blurred frames at the matched moments, made from
// the video fetched live (a video alert has no stored preview).
const keyframesStep = 3

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

// viewedAlert reads a viewing route, /alerts/{id}/view/{step}: the alert
// rq may see and its picture step, or keyframes for a video's strip; any
// other step is not found.
func (s *Server) viewedAlert(r *http.Request, rq *request) (a alerts.Alert, step hashing.ViewStep, keyframes bool, err error) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return a, 0, false, err
	}
	name := r.PathValue("step")
	step, ok := viewSteps[name]
	if keyframes = name == "keyframes"; !ok && !keyframes {
		return a, 0, false, refuse(http.StatusNotFound, "err.bad_choice", "step", truncate(name, 20), "clearer, full, keyframes")
	}
	a, err = s.alertFor(rq, id)
	return a, step, keyframes, err
}

// viewStep grants the session the next viewing step of an alert: POST
// /alerts/{id}/view/{clearer|full}, with "colour" to see it in colour.
func (s *Server) viewStep(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, step, keyframes, err := s.viewedAlert(r, rq)
	if err != nil {
		return err
	}
	if keyframes {
		return s.viewKeyframesStep(w, r, rq, a)
	}
	id := a.ID
	switch {
	case rq.session == nil:
		return refuse(400, "err.session_only")
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
	a, step, keyframes, err := s.viewedAlert(r, rq)
	if err != nil {
		return err
	}
	if keyframes {
		return s.keyframesImage(w, r, rq, a)
	}
	id := a.ID
	if rq.session == nil || !s.isRevealedStep(rq.session.ID, id, int(step)) {
		return refuse(http.StatusConflict, "view.step_first")
	}
	if s.cfg.Inspector == nil {
		return refuse(http.StatusConflict, "view.no_fetcher")
	}
	var errs []error
	for _, u := range viewSources(a) {
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

// viewSources are the URLs a live view tries, in order: where the alert's
// media was first seen, then other sightings, at most maxViewSources.
func viewSources(a alerts.Alert) []string {
	urls := []string{a.MediaURL}
	for _, sg := range a.Sightings {
		if len(urls) < maxViewSources && sg.MediaURL != "" && !slices.Contains(urls, sg.MediaURL) {
			urls = append(urls, sg.MediaURL)
		}
	}
	return urls
}

// keyframesReady says why a video alert's keyframe strip cannot be made
// here, or nil.
func (s *Server) keyframesReady(rq *request, a alerts.Alert) error {
	switch {
	case rq.session == nil:
		return refuse(400, "err.session_only")
	case a.Video == nil || len(a.Video.Ranges) == 0:
		return refuse(http.StatusConflict, "view.not_video")
	case s.cfg.Inspector == nil || s.cfg.Video == nil:
		return refuse(http.StatusConflict, "view.no_fetcher")
	}
	return nil
}

// viewKeyframesStep grants the session a video alert's keyframe strip:
// POST /alerts/{id}/view/keyframes, audited as alert.view_keyframes.
func (s *Server) viewKeyframesStep(w http.ResponseWriter, r *http.Request, rq *request, a alerts.Alert) error {
	id := a.ID
	if err := s.keyframesReady(rq, a); err != nil {
		return err
	}
	if err := s.db.Store.Audit(r.Context(), store.AuditEntry{User: rq.user.Name, Remote: rq.remote, Token: rq.actor().Token, Centre: a.Centre,
		Action: "alert.view_keyframes", Target: fmt.Sprint(id)}); err != nil {
		return err // no record, no view
	}
	s.revealStep(rq.session.ID, id, keyframesStep)
	http.Redirect(w, r, backTo(r, id)+"#preview", http.StatusSeeOther)
	return nil
}

// keyframeTimes are the moments of the found video a strip shows: a few
// evenly inside each matched stretch, at most video.MaxKeyframes.
func keyframeTimes(v *index.VideoEvidence) []time.Duration {
	per := max(1, min(3, video.MaxKeyframes/max(1, len(v.Ranges))))
	var out []time.Duration
	for _, rg := range v.Ranges {
		for i := range per {
			if len(out) == video.MaxKeyframes {
				return out
			}
			at := rg.QueryStart + (rg.QueryEnd-rg.QueryStart)*(float64(i)+0.5)/float64(per)
			out = append(out, time.Duration(at*float64(time.Second)))
		}
	}
	return out
}

// keyframesImage streams a granted keyframe strip: the video fetched live
// from where it was seen, its frames at the matched moments blurred as a
// preview is, side by side; nothing is stored.
func (s *Server) keyframesImage(w http.ResponseWriter, r *http.Request, rq *request, a alerts.Alert) error {
	id := a.ID
	if err := s.keyframesReady(rq, a); err != nil {
		return err
	}
	if !s.isRevealedStep(rq.session.ID, id, keyframesStep) {
		return refuse(http.StatusConflict, "view.step_first")
	}
	var errs []error
	for _, u := range viewSources(a) {
		data, err := s.cfg.Inspector.FetchVideoForViewing(r.Context(), u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		frames, err := s.cfg.Video.Keyframes(r.Context(), data, keyframeTimes(a.Video))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		strip, err := hashing.PreviewStrip(frames)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Disposition", "inline")
		_, _ = w.Write(strip)
		return nil
	}
	s.log.Info("keyframe strip failed", "alert", id, "err", errors.Join(errs...))
	return refuse(http.StatusBadGateway, "view.gone")
}
