package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
	"github.com/calbridge/calbridge/freebusy/privacy"
	"github.com/calbridge/calbridge/notes/das"
)

// httpServer is one HTTP listener with its server.
type httpServer struct {
	addr string
	tls  bool
	srv  *http.Server
	ln   net.Listener
	// errs receives Serve's error when it is not the normal end.
	errs chan error
}

// listenHTTP listens on addr and prepares a server with every phase of a
// request bounded, so that slow clients, or clients slow on purpose, cannot
// hold connections, goroutines and buffers: headers within 5 s, the whole
// request within 30 s (the handlers' own body deadline is 30 s too), the
// answer within 60 s of the request's start (which leaves the handlers
// time to ask their Source), keep-alive connections closed after 2 minutes
// idle, and request headers capped at 64 KiB.
func listenHTTP(addr string, h http.Handler, tc *tls.Config, log *zap.Logger) (*httpServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("gateway: http: %w", err)
	}
	errLog, _ := zap.NewStdLogAt(log.Named("http"), zap.DebugLevel)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tc,
		ErrorLog:          errLog,
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	return &httpServer{addr: ln.Addr().String(), tls: tc != nil, srv: srv, ln: ln, errs: make(chan error, 1)}, nil
}

// serve runs the server until close; an error other than the normal end is
// sent on errs.
func (s *httpServer) serve() {
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.errs <- fmt.Errorf("gateway: http %s: %w", s.addr, err)
	}
}

// close shuts the server down gracefully within ctx, then closes it.
func (s *httpServer) close(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

// url is the server's base URL.
func (s *httpServer) url() string {
	if s.tls {
		return "https://" + s.addr
	}
	return "http://" + s.addr
}

// doors are the Sources behind each front door of one HTTP server.
type doors struct {
	// das answers Notes-side tools (about Exchange users, or anyone).
	das freebusy.Source
	// ews answers Exchange (about Notes users, or anyone).
	ews freebusy.Source
	// vfb answers Internet free/busy URLs.
	vfb freebusy.Source
}

// routes builds the handler of one HTTP server: the DAS routes, EWS and
// Autodiscover, VFREEBUSY, /healthz, /metrics and the status page, each an
// ordinary http.Handler, so that any middleware composes with them.
func (g *gateway) routes(d doors, baseURL string) (http.Handler, error) {
	mux := http.NewServeMux()
	dh, err := das.NewHandler(d.das, das.WithLogger(g.log))
	if err != nil {
		return nil, err
	}
	mux.Handle(das.PathRoot, dh)
	mux.Handle(das.PathRoot+"/", dh)

	eh, err := ews.NewHandler(d.ews, ews.WithLogger(g.log),
		// Details leave only as far as the privacy policy lets them: the
		// Source below strips them for requesters who may not see them.
		ews.WithDetails(true),
		// Exchange names mailboxes by SMTP address or, with RoutingType EX,
		// by legacyExchangeDN: both go to the directory as they are.
		ews.WithMailboxResolver(func(_ context.Context, m ews.EmailAddress) (string, error) { return m.Address, nil }))
	if err != nil {
		return nil, err
	}
	ewsPath := "/EWS/Exchange.asmx"
	mux.Handle(ewsPath, eh)
	mux.Handle("/ews/exchange.asmx", eh)
	// Autodiscover answers from the directory: a person it knows gets
	// their SMTP address, display name and legacyExchangeDN; anyone else
	// is InvalidUser, as Exchange answers for a mailbox it does not hold.
	ah, err := ews.NewAutodiscoverHandler(baseURL+ewsPath, ews.WithUserLookup(g.autodiscoverUser))
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml", "/autodiscover/autodiscover.svc", "/Autodiscover/Autodiscover.svc"} {
		mux.Handle(p, ah)
	}

	mux.Handle("GET /freebusy/{file}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { g.serveVFB(w, r, d.vfb) }))
	mux.HandleFunc("GET /healthz", g.serveHealth)
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.metrics.reg, promhttp.HandlerOpts{ErrorLog: zap.NewStdLog(g.log)}))
	mux.HandleFunc("GET /{$}", g.serveStatus)

	var h http.Handler = mux
	auth, err := g.authMiddleware()
	if err != nil {
		return nil, err
	}
	if auth != nil {
		h = auth(h)
	}
	return h, nil
}

// authMiddleware requires HTTP basic or bearer authentication (RFC 7617,
// RFC 6750) on every route but /healthz, which probes must reach; nil when
// the configuration asks for none. Secrets come from the environment and
// are compared in constant time.
func (g *gateway) authMiddleware() (func(http.Handler) http.Handler, error) {
	a := g.cfg.HTTP.Auth
	if a.User == "" && a.BearerTokenEnv == "" {
		return nil, nil
	}
	password, err := secret("http.auth.passwordEnv", a.PasswordEnv)
	if err != nil {
		return nil, err
	}
	token, err := secret("http.auth.bearerTokenEnv", a.BearerTokenEnv)
	if err != nil {
		return nil, err
	}
	eq := func(x, y string) bool {
		hx, hy := sha256.Sum256([]byte(x)), sha256.Sum256([]byte(y))
		return subtle.ConstantTimeCompare(hx[:], hy[:]) == 1
	}
	// requester returns who authenticated, or false.
	requester := func(r *http.Request) (string, bool) {
		if token != "" {
			if v, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found && eq(strings.TrimSpace(v), token) {
				return "bearer", true
			}
		}
		if a.User != "" {
			if u, p, found := r.BasicAuth(); found && eq(u, a.User) && eq(p, password) {
				return u, true
			}
		}
		return "", false
	}
	var challenge []string
	if a.User != "" {
		challenge = append(challenge, `Basic realm="calbridge", charset="UTF-8"`)
	}
	if token != "" {
		challenge = append(challenge, `Bearer realm="calbridge"`)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/healthz" {
				next.ServeHTTP(w, r)
				return
			}
			if who, ok := requester(r); ok {
				// The privacy policy reads the requester from the context.
				next.ServeHTTP(w, r.WithContext(privacy.WithRequester(r.Context(), who)))
				return
			}
			for _, c := range challenge {
				w.Header().Add("WWW-Authenticate", c)
			}
			http.Error(w, "authentication required", http.StatusUnauthorized)
		})
	}, nil
}

// serveVFB answers GET /freebusy/{address}.vfb with a VFREEBUSY (RFC 5545
// §3.6.4) for the window start..end (RFC 3339 or YYYY-MM-DD query
// parameters; default the demo week's Monday and four weeks on). A failed
// schedule is an error status with the reason, never an empty (all free)
// answer: 404 for an unknown attendee, 503 (or 504 for a timeout) when the
// attendee's side cannot answer.
func (g *gateway) serveVFB(w http.ResponseWriter, r *http.Request, src freebusy.Source) {
	file := r.PathValue("file")
	who, found := strings.CutSuffix(file, ".vfb")
	if !found || who == "" {
		http.NotFound(w, r)
		return
	}
	start, end := g.week.Monday, g.week.Monday.AddDate(0, 0, 28)
	var err error
	if v := r.URL.Query().Get("start"); v != "" {
		if start, err = parseWhen(v); err != nil {
			http.Error(w, "start: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	if v := r.URL.Query().Get("end"); v != "" {
		if end, err = parseWhen(v); err != nil {
			http.Error(w, "end: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	q := freebusy.Query{Attendees: []string{who}, Start: start, End: end}
	if err := q.Validate(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	out, err := src.FreeBusy(ctx, q)
	// A query that failed as a whole as invalid was the caller's fault
	// (400); one attendee's data failing as invalid is the backend's, a
	// bad gateway (502).
	badRequest := err != nil
	if err == nil && len(out) == 1 && out[0].Err != nil {
		err = out[0].Err
	}
	if err != nil {
		code := http.StatusServiceUnavailable
		switch freebusy.ReasonOf(err) {
		case freebusy.ReasonUnknownAttendee:
			code = http.StatusNotFound
		case freebusy.ReasonInvalid:
			code = http.StatusBadGateway
			if badRequest {
				code = http.StatusBadRequest
			}
		case freebusy.ReasonAccessDenied:
			code = http.StatusForbidden
		case freebusy.ReasonTimeout:
			code = http.StatusGatewayTimeout
		}
		w.Header().Set("X-Calbridge-Reason", freebusy.ReasonOf(err).String())
		http.Error(w, "no free/busy: "+freebusy.ReasonOf(err).String(), code)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	if out[0].Stale {
		w.Header().Set("Warning", `110 - "Response is Stale"`)
	}
	if err := ical.EncodeVFreeBusy(w, out, ical.VFreeBusyOptions{Stamp: time.Now().UTC(), Method: "PUBLISH"}); err != nil {
		g.log.Debug("vfreebusy encode", zap.Error(err))
	}
}

func parseWhen(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(time.DateOnly, v)
}

// autodiscoverUser is the gateway's ews.UserLookup: the directory's person.
func (g *gateway) autodiscoverUser(ctx context.Context, address string) (ews.AutodiscoverUser, error) {
	p, err := g.dir.Lookup(ctx, address)
	if err != nil {
		return ews.AutodiscoverUser{}, err
	}
	u := ews.AutodiscoverUser{Address: label(p), DisplayName: p.DisplayName}
	for _, a := range append([]string{p.Address}, p.Aliases...) {
		if len(a) > 3 && strings.EqualFold(a[:3], "/o=") {
			u.LegacyDN = a
			break
		}
	}
	return u, nil
}
