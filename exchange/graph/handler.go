package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/exchange"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/schedpool"
	"go.uber.org/zap"
)

// Handler serves Microsoft Graph getSchedule from any freebusy.Source
// (§3): POST /me/calendar/getSchedule and POST
// /users/{id}/calendar/getSchedule, optionally under /v1.0, matched
// case-insensitively as Graph matches its paths
// (/V1.0/Me/Calendar/GetSchedule routes too); any other path is 404 with
// Graph's error envelope. It is Client's test double and a local stand-in
// for Graph. The mailbox in the path only hosts the call; the Source
// answers for the requested schedules.
//
// It asks the Source for DetailFull, so that scheduleItems are whole
// items as Graph writes them (see NewScheduleInformation), and writes
// subjects and locations only under WithDetails. Answers carry
// "@odata.context" naming the service root WithBaseURL sets.
//
// It enforces Graph's limits (§3.3: at most MaxSchedules schedules, a
// window shorter than WithLimits' MaxWindow, so less than 62 days by
// default as Graph wants, and an interval of 5 to 1440 minutes), honours
// Prefer: outlook.timezone for the item times, and maps a Source's failure
// of the whole query to an HTTP status with Graph's error envelope (a
// throttled one to 429 with Retry-After). A body that does not arrive
// within the read timeout (WithReadTimeout, DefaultReadTimeout by default)
// is cut off and answered 408 Request Timeout.
type Handler struct {
	src freebusy.Source
	cfg handlerConfig
	log *zap.Logger
}

var _ http.Handler = (*Handler)(nil)

// errNoSource is NewHandler's error for a nil Source.
var errNoSource = errors.New("graph: NewHandler: nil freebusy.Source")

// NewHandler returns a handler answering from src. It reads WithLimits,
// WithLogger, WithReadTimeout, WithBaseURL and WithDetails, and fails with an error matching ErrInvalidOption, naming the
// first option given a value it cannot take, or with an error when src is
// nil.
func NewHandler(src freebusy.Source, opts ...HandlerOption) (*Handler, error) {
	if src == nil {
		return nil, errNoSource
	}
	cfg, err := newHandlerConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Handler{src: src, cfg: cfg, log: cfg.Logger.Named("graph")}, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	timedOut := h.cfg.BoundBody(w, r)
	if !schedulePath(r.URL.Path) {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "resource not found", 0)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "BadRequest", "getSchedule takes POST", 0)
		return
	}
	req, err := DecodeGetScheduleRequest(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		status, msg := http.StatusBadRequest, err.Error()
		code := "BadRequest"
		switch {
		case timedOut():
			status, msg = http.StatusRequestTimeout, "graph: the request body did not arrive in time"
		case errors.Is(err, ErrTooLarge):
			status = http.StatusRequestEntityTooLarge
		case errors.Is(err, ErrInterval):
			code = string(exchange.CodeInvalidRequest)
		}
		writeError(w, status, code, msg, 0)
		return
	}
	q, err := req.Query()
	if err != nil {
		writeError(w, http.StatusBadRequest, string(exchange.CodeInvalidRequest), err.Error(), 0)
		return
	}
	if code, msg := h.validate(q); code != "" {
		writeError(w, http.StatusBadRequest, code, msg, 0)
		return
	}

	ropt := ResponseOptions{}
	if name, ok := preferredTimeZone(r.Header.Values("Prefer")); ok {
		var zones Zones
		if loc, err := zones.Location(name); err == nil {
			ropt.Location, ropt.TimeZone = loc, name
			w.Header().Set("Preference-Applied", `outlook.timezone="`+name+`"`)
		}
	}

	// Ask for the items whole; what leaves is decided below.
	ask := q
	ask.Detail = freebusy.DetailFull
	if h.cfg.details {
		q.Detail = freebusy.DetailFull
	}
	// The schedules' memory, reused from answer to answer when the Source
	// is a freebusy.BufferedSource (transport.Client, natstransport.Client);
	// put back after the response is written, which may refer to it.
	buf := schedpool.Get()
	defer schedpool.Put(buf)
	schedules, err := freebusy.AnswerInto(r.Context(), h.src, ask, buf)
	if err == nil {
		err = freebusy.CheckResult(ask, schedules)
	}
	if err != nil {
		h.log.Debug("source failed", zap.Error(err))
		status, code, retry := statusFor(err)
		writeError(w, status, code, err.Error(), retry)
		return
	}
	resp, err := NewScheduleResponse(q, schedules, ropt)
	if err != nil {
		writeError(w, http.StatusInternalServerError, string(exchange.CodeInternalServerError), err.Error(), 0)
		return
	}
	resp.ODataContext = h.cfg.baseURL + ODataContextPath
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := EncodeGetScheduleResponse(w, resp); err != nil {
		h.log.Debug("writing the response", zap.Error(err))
	}
}

// validate applies Graph's limits and the handler's; it returns an EWS
// response code (Graph runs on the availability stack, §3.3) and a
// message, or "" when q is acceptable.
func (h *Handler) validate(q freebusy.Query) (code, msg string) {
	lim := h.cfg.Limits
	if lim.MaxAttendees <= 0 || lim.MaxAttendees > MaxSchedules {
		lim.MaxAttendees = MaxSchedules
	}
	// Graph wants a window of less than 62 days (§3.3), while
	// Limits.MaxWindow is inclusive: refuse a window of exactly the limit.
	maxWindow := lim.MaxWindow
	if maxWindow <= 0 {
		maxWindow = MaxWindow
	}
	lim.MaxWindow = maxWindow - time.Nanosecond
	err := lim.Validate(q)
	if err == nil {
		return "", ""
	}
	switch {
	case errors.Is(err, freebusy.ErrWindowTooLong):
		maxDays := maxWindow
		days := int(math.Ceil(q.End.Sub(q.Start).Hours() / 24))
		// The text Graph answers with (§3.3, microsoft-graph-docs-contrib
		// PR #19703).
		return string(exchange.CodeTimeIntervalTooBig), fmt.Sprintf("The requested time duration specified for FreeBusyViewOptions.TimeWindow is too long. The allowed limit = %d days; the actual limit = %d days.", int(maxDays.Hours()/24), days)
	case errors.Is(err, freebusy.ErrBadGranularity):
		return string(exchange.CodeInvalidMergedFreeBusyInterval), err.Error()
	case errors.Is(err, freebusy.ErrEmptyWindow):
		return string(exchange.CodeInvalidTimeInterval), err.Error()
	case errors.Is(err, freebusy.ErrTooManyAttendees):
		return string(exchange.CodeIndividualMailboxLimitReached), err.Error()
	}
	return string(exchange.CodeInvalidRequest), err.Error()
}

// schedulePath reports whether p is /me/calendar/getSchedule or
// /users/{id}/calendar/getSchedule, optionally under /v1.0, in any case:
// Graph's segments are case-insensitive (the documentation writes
// getSchedule, clients send getschedule too).
func schedulePath(p string) bool {
	const version, suffix, users = "/v1.0", "/calendar/getschedule", "/users/"
	if len(p) >= len(version) && strings.EqualFold(p[:len(version)], version) {
		p = p[len(version):]
	}
	if len(p) < len(suffix) || !strings.EqualFold(p[len(p)-len(suffix):], suffix) {
		return false
	}
	rest := p[:len(p)-len(suffix)]
	if strings.EqualFold(rest, "/me") {
		return true
	}
	if len(rest) <= len(users) || !strings.EqualFold(rest[:len(users)], users) {
		return false
	}
	return !strings.Contains(rest[len(users):], "/")
}

// preferredTimeZone finds outlook.timezone in Prefer headers:
// `outlook.timezone="Pacific Standard Time"` (§3.1).
func preferredTimeZone(values []string) (string, bool) {
	for _, v := range values {
		for _, pref := range strings.Split(v, ",") {
			name, val, ok := strings.Cut(strings.TrimSpace(pref), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "outlook.timezone") {
				continue
			}
			val = strings.Trim(strings.TrimSpace(val), `"`)
			if val != "" {
				return val, true
			}
		}
	}
	return "", false
}

// statusFor maps a Source's failure to an HTTP status, an error code
// and a Retry-After.
func statusFor(err error) (status int, code string, retry time.Duration) {
	var fe *freebusy.Error
	if errors.As(err, &fe) {
		retry = fe.RetryAfter
	}
	switch r := freebusy.ReasonOf(err); r {
	case freebusy.ReasonInvalid:
		return http.StatusBadRequest, string(exchange.CodeFor(r)), 0
	case freebusy.ReasonAccessDenied:
		return http.StatusForbidden, "ErrorAccessDenied", 0
	case freebusy.ReasonTimeout:
		return http.StatusGatewayTimeout, string(exchange.CodeFor(r)), 0
	case freebusy.ReasonThrottled:
		return http.StatusTooManyRequests, "TooManyRequests", retry
	case freebusy.ReasonUnavailable:
		return http.StatusServiceUnavailable, "ServiceNotAvailable", retry
	}
	return http.StatusInternalServerError, string(exchange.CodeInternalServerError), 0
}

// writeError writes Graph's error envelope.
func writeError(w http.ResponseWriter, status int, code, msg string, retry time.Duration) {
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retry.Seconds())), 10))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorResponse{Error: ErrorDetail{Code: code, Message: msg}})
}
