package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/console/admission"
	"github.com/hashwatch/hashwatch/console/loginlimit"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Limits bound what a request may send. Zero fields take the defaults.
type Limits struct {
	// FormBytes bounds a urlencoded form or a JSON body; default 64 KiB.
	FormBytes int64
	// UploadBytes bounds a whole registration upload; default 256 MiB.
	UploadBytes int64
	// UploadFiles bounds the files of one registration; default 200.
	UploadFiles int
	// HashedBytes bounds the JSON body of a registration hashed in the
	// browser (fingerprints only: some 18 KB a picture with its corner
	// set for the geometric verifier, 0.3 KB a video frame); default
	// 16 MiB.
	HashedBytes int64
	// Media bounds each uploaded file (bytes, pixels) as the hasher does;
	// zero fields take hashing's defaults.
	Media hashing.Limits
	// LoginFailuresPerIP and LoginFailuresPerUser are the failed password
	// checks allowed within LoginWindow before each further attempt must
	// wait a delay doubling from 1 s (429 with Retry-After until then): at
	// most LoginMaxUserDelay for a user name, so failing on purpose cannot
	// lock anyone out, and at most LoginWindow for an address. Defaults
	// 20, 5, 15 minutes and 30 s.
	LoginFailuresPerIP   int
	LoginFailuresPerUser int
	LoginWindow          time.Duration
	LoginMaxUserDelay    time.Duration
	// FormReadTime bounds reading a form or JSON body (not an upload):
	// small bodies arrive at once, and a client trickling one would
	// otherwise hold a connection for the server's upload timeout.
	// Default 10 s.
	FormReadTime time.Duration
	// Handlers bounds the light requests handled at once and
	// HeavyRequests those on routes marked heavy (each default a quarter
	// of GOMAXPROCS, at least 1); HandlerShare
	// the share of the process's CPU time the handlers may take together
	// while the crawl runs (Config.Crawling), measured as their threads'
	// CPU time (default 0.1; negative: no bound).
	// A request that cannot start within QueueWait (default 3 s), or that
	// finds QueueLength requests waiting (default 64), is answered 503
	// with Retry-After. They keep console work from starving the crawl's
	// hashing (console/admission).
	Handlers      int
	HeavyRequests int
	HandlerShare  float64
	QueueWait     time.Duration
	QueueLength   int
	// The lookup API's (lookup.go): LookupBytes bounds a request body
	// (default 2 MiB), LookupHashes the picture hashes (and videos) of
	// one request (default 1,000), LookupFrames the video frames of one
	// request (default 20,000: over five hours at one a second);
	// LookupPerSecond is the hashes and frames one token may look up a
	// second, in bursts of up to the largest request (default 500);
	// LookupFeedPage the items (a video counts its frames) of one feed
	// page (default 5,000).
	LookupBytes     int64
	LookupHashes    int
	LookupFrames    int
	LookupPerSecond int
	LookupFeedPage  int
	// SelfSubmitPerHour is how many fingerprints victims' self-submission
	// (selfsubmit.go) takes an hour from one address and into one case
	// (default 200, at once too): a PIN that leaked cannot flood a case.
	// Wrong PINs are limited as wrong passwords are (LoginFailuresPerIP
	// per address, LoginFailuresPerUser per case, within LoginWindow),
	// and the PIN locks for good after index.MaxPINFailures.
	SelfSubmitPerHour int
}

func (l Limits) withDefaults() Limits {
	if l.FormBytes <= 0 {
		l.FormBytes = 64 << 10
	}
	if l.UploadBytes <= 0 {
		l.UploadBytes = 256 << 20
	}
	if l.UploadFiles <= 0 {
		l.UploadFiles = 200
	}
	if l.HashedBytes <= 0 {
		l.HashedBytes = 16 << 20
	}
	if l.LoginFailuresPerIP <= 0 {
		l.LoginFailuresPerIP = 20
	}
	if l.LoginFailuresPerUser <= 0 {
		l.LoginFailuresPerUser = 5
	}
	if l.LoginWindow <= 0 {
		l.LoginWindow = 15 * time.Minute
	}
	if l.FormReadTime <= 0 {
		l.FormReadTime = 10 * time.Second
	}
	if l.LoginMaxUserDelay <= 0 {
		l.LoginMaxUserDelay = 30 * time.Second
	}
	if l.Handlers <= 0 {
		l.Handlers = max(1, runtime.GOMAXPROCS(0)/4)
	}
	if l.HeavyRequests <= 0 {
		l.HeavyRequests = max(1, runtime.GOMAXPROCS(0)/4)
	}
	if l.HandlerShare == 0 {
		// Measured with 16 clients on a crowded 2-core machine, once the
		// handlers' CPU was read to the present (cputime): 0.2 cost the
		// crawl 23% of its images per second (rounds −31%, −1%, −31%),
		// 0.15 18–19%, 0.1 14–19%. Per core the process got — what a
		// quiet machine shows — 0.15 cost 22–35% and 0.1 14–34%: what
		// the handlers cost outside the share (the HTTP connection, the
		// session check, kept dashboards billed after the fact, garbage
		// collection, about a tenth of the process) comes on top, so the
		// share is the smaller. With the dashboard recomputing outside the
		// share (HeavyNow), two runs at 0.1 cost the crawl 24% and 19%;
		// lists wait longer for it (alert list p99 2.2 s there, where the
		// process got half a core).
		l.HandlerShare = 0.1
	}
	if l.QueueWait <= 0 {
		l.QueueWait = 3 * time.Second
	}
	if l.QueueLength <= 0 {
		l.QueueLength = 64
	}
	if l.LookupBytes <= 0 {
		l.LookupBytes = 2 << 20
	}
	if l.LookupHashes <= 0 {
		l.LookupHashes = 1000
	}
	if l.LookupFrames <= 0 {
		l.LookupFrames = 20000
	}
	if l.LookupPerSecond <= 0 {
		l.LookupPerSecond = 500
	}
	if l.LookupFeedPage <= 0 {
		l.LookupFeedPage = 5000
	}
	if l.SelfSubmitPerHour <= 0 {
		l.SelfSubmitPerHour = 200
	}
	return l
}

// Config is what a Server needs. DB is required; the rest may be nil, and
// the pages that need a missing part say it is not available.
type Config struct {
	DB *database.DB
	// Scheduler crawls the watched sites; nil means no crawling in this
	// process (the sites page still shows stored status).
	Scheduler *crawler.Scheduler
	// Sites are the watched sites from sites.yaml, for contacts and the
	// sites page.
	Sites []*crawler.Site
	// SitesFile is the sites.yaml Sites came from: set, national analysts
	// and admins add, edit and remove sites on the sites page (written back
	// to it) and reload it (ReloadSites); empty, the site list is read-only.
	SitesFile string
	// Metrics serves /metrics; nil means 404.
	Metrics http.Handler
	// SecureCookies marks cookies Secure even when the request came without
	// TLS: set it behind a TLS-terminating reverse proxy.
	SecureCookies bool
	// UndoWindow is how long an operator's decision can be undone (by
	// them or an admin, while nothing irreversible followed); zero means
	// alerts.DefaultUndoWindow.
	UndoWindow time.Duration
	// TrustProxy takes the client's address from the last X-Forwarded-For
	// entry (set it only behind a proxy that writes that header).
	TrustProxy bool
	// Inspector fetches and matches reported URLs; nil means the reported
	// URLs page only lists earlier reports.
	Inspector *crawler.Inspector
	// Video fingerprints uploaded videos and animations for registration;
	// nil means uploads that are videos are refused (pictures still work).
	Video *video.Hasher
	// Wasm holds the browser's hashing module, hashwatch.wasm (cmd/hashwasm)
	// and Go's wasm_exec.js of the same Go, served under /wasm/; nil, or
	// without them, means the registration page uploads files to be hashed
	// here instead of hashing them in the browser.
	Wasm fs.FS
	// NoticeFrom is the From address of exported .eml notices ("Centre
	// <takedown@centre.example>"); NoticeSender the centre's name in the
	// notice text. Defaults say hashwatch.
	NoticeFrom   string
	NoticeSender string
	// Mailer sends notices by mail from NoticeFrom; nil means notices are
	// exported (.eml, text), sent by hand and marked sent.
	Mailer Mailer
	// NoticeOverdue is how long a sent notice may go unanswered before it
	// shows as overdue; zero means takedown.DefaultNoticeOverdue (24 h).
	NoticeOverdue time.Duration
	Session       accounts.SessionOptions
	Limits        Limits
	Logger        *slog.Logger
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
	// Rule is the match rule the lookup API applies: the crawl's, so a
	// partner's upload matches exactly when the same picture crawled
	// would. Zero means hashing.DefaultRule(), what serve gives the crawl.
	Rule hashing.Rule
	// Crawling reports whether a crawl is hashing in this process, when
	// the console's handlers are held to Limits.HandlerShare of the
	// machine; nil means whenever Scheduler runs a pass of any site (never
	// without a Scheduler).
	Crawling func() bool
}

// Server is the console. Create it with New; it is an http.Handler.
type Server struct {
	cfg    Config
	db     *database.DB
	log    *slog.Logger
	now    func() time.Time
	limits Limits
	hasher *hashing.Hasher
	pages  map[string]*pageTemplate
	routes []route
	mux    *http.ServeMux

	ipLimit, userLimit *loginlimit.Limiter
	// selfIPLimit and selfCaseLimit count wrong PINs of victims'
	// self-submission per address and per case; selfRate is its rate of
	// fingerprints per address and per case (selfsubmit.go).
	selfIPLimit, selfCaseLimit *loginlimit.Limiter
	selfRate                   *lookupLimiter
	// rule is Config.Rule; lookups the lookup API's rate per token.
	rule    hashing.Rule
	lookups *lookupLimiter
	// gate bounds the handlers running at once (load.go, console/admission).
	gate *admission.Gate
	// dashboards keeps the rendered dashboards (dashcache.go).
	dashboards dashCache

	// revealed remembers which session revealed which alert's preview, so
	// the preview is served only after the audited reveal.
	revealMu sync.Mutex
	revealed map[string]time.Time

	// sites is the watched site list, replaced whole when sites.yaml is
	// edited or reloaded (sitesedit.go); sitesMu serialises those changes.
	siteList atomic.Pointer[[]*crawler.Site]
	sitesMu  sync.Mutex
}

// revealFor is how long a reveal lets its session load the preview.
const revealFor = 10 * time.Minute

// New checks cfg and builds the server.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil {
		return nil, errors.New("console: no database")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NoticeFrom == "" {
		cfg.NoticeFrom = defaultNoticeFrom
	}
	if cfg.NoticeSender == "" {
		cfg.NoticeSender = defaultNoticeSender
	}
	s := &Server{cfg: cfg, db: cfg.DB, log: cfg.Logger, now: cfg.Now, limits: cfg.Limits.withDefaults(), revealed: map[string]time.Time{}}
	s.hasher = hashing.NewHasher(s.limits.Media)
	s.siteList.Store(&cfg.Sites)
	s.rule = cfg.Rule
	if len(s.rule.Clauses) == 0 {
		s.rule = hashing.DefaultRule()
	}
	if err := s.rule.Validate(); err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	s.lookups = newLookupLimiter(s.limits.LookupPerSecond, max(s.limits.LookupHashes, s.limits.LookupFrames), s.now)
	crawling := cfg.Crawling
	if crawling == nil && cfg.Scheduler != nil {
		sc := cfg.Scheduler
		crawling = func() bool {
			for _, site := range sc.Sites() {
				if sc.Running(site.Name) {
					return true
				}
			}
			return false
		}
	}
	s.gate = newGate(s.limits, crawling)
	s.ipLimit = loginlimit.New(s.limits.LoginFailuresPerIP, s.limits.LoginWindow, s.limits.LoginWindow, s.now)
	s.userLimit = loginlimit.New(s.limits.LoginFailuresPerUser, s.limits.LoginWindow, s.limits.LoginMaxUserDelay, s.now)
	s.selfIPLimit = loginlimit.New(s.limits.LoginFailuresPerIP, s.limits.LoginWindow, s.limits.LoginWindow, s.now)
	s.selfCaseLimit = loginlimit.New(s.limits.LoginFailuresPerUser, s.limits.LoginWindow, s.limits.LoginMaxUserDelay, s.now)
	s.selfRate = &lookupLimiter{perSecond: float64(s.limits.SelfSubmitPerHour) / 3600, burst: float64(s.limits.SelfSubmitPerHour), now: s.now, keys: map[string]*lookupBucket{}}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	if err := checkRoutes(s.routes); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.serve(rt))
	}
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.Handle("GET /wasm/{file}", s.wasmHandler())
	return s, nil
}

// ServeHTTP answers one request: security headers, panic containment, then
// the route table.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Scripts come from the console alone (the registration page's, which
	// hashes in the browser), and 'wasm-unsafe-eval' lets them compile the
	// hashing module and nothing else: no eval, no inline script. The page
	// reads files the person picked (blob: URLs, for videos) and talks to
	// the console only.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; media-src blob:; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if !strings.HasPrefix(r.URL.Path, "/static/") && !strings.HasPrefix(r.URL.Path, "/wasm/") {
		// Pages carry evidence and personal data: never stored by a
		// browser or a proxy.
		h.Set("Cache-Control", "no-store")
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			http.Error(w, s.locale(r, accounts.User{}).T("err.internal"), http.StatusInternalServerError)
		}
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unrouted(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// unrouted answers a request no route takes — no page at the path (404),
// or not with this method (405, with Allow) — as every refusal is
// answered: the error page or, under /api/, JSON, in the reader's
// language, rather than net/http's English "404 page not found".
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r) // net/http's own answer, read for its status and Allow only
	rq := &request{remote: s.remote(r), api: strings.HasPrefix(r.URL.Path, "/api/")}
	_ = s.authenticate(r, rq) // for the reader's language and navigation; anonymous on failure
	rq.loc = s.locale(r, rq.user)
	err := refuse(http.StatusNotFound, "err.no_page")
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		err = refuse(http.StatusMethodNotAllowed, "err.method", r.Method)
	}
	s.answerError(w, r, rq, err)
}

// statusProbe is a ResponseWriter that keeps the status and headers of
// an answer and drops its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }

// remote is the client's address for rate limits and the audit log.
func (s *Server) remote(r *http.Request) string {
	if s.cfg.TrustProxy {
		// The last entry is the one the trusted proxy wrote; anything that
		// is not an address (a proxy misconfigured to pass the client's
		// header on) is ignored rather than logged as the client.
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
				return ip.Unmap().String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// site returns the configured site called name, or nil.
func (s *Server) site(name string) *crawler.Site {
	for _, st := range s.watched() {
		if st.Name == name {
			return st
		}
	}
	return nil
}

// reveal records that session revealed alert id's preview.
func (s *Server) reveal(session string, id uint64) { s.revealStep(session, id, 0) }

// isRevealed reports whether session revealed alert id's preview recently.
func (s *Server) isRevealed(session string, id uint64) bool { return s.isRevealedStep(session, id, 0) }

// revealStep records that session took viewing step (0 the blurred
// preview, then hashing.ViewClearer and hashing.ViewFull; a step above
// 100 marks a colour choice) of alert id.
func (s *Server) revealStep(session string, id uint64, step int) {
	s.revealMu.Lock()
	defer s.revealMu.Unlock()
	now := s.now()
	for k, until := range s.revealed {
		if now.After(until) {
			delete(s.revealed, k)
		}
	}
	s.revealed[fmt.Sprintf("%s/%d/%d", session, id, step)] = now.Add(revealFor)
}

// isRevealedStep reports whether session took viewing step of alert id
// recently.
func (s *Server) isRevealedStep(session string, id uint64, step int) bool {
	s.revealMu.Lock()
	defer s.revealMu.Unlock()
	until, ok := s.revealed[fmt.Sprintf("%s/%d/%d", session, id, step)]
	return ok && s.now().Before(until)
}

// audit records a change made through a call that takes no store.Actor.
// Its failure is logged: the change itself has already happened.
func (s *Server) audit(ctx context.Context, rq *request, action, target, detail string) {
	e := rq.actor().Entry(time.Time{}, action, target, detail)
	if err := s.db.Store.Audit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit record failed", "action", action, "target", target, "err", err)
	}
}
