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
	"go.uber.org/zap"
)

// GraphHandler serves Microsoft Graph getSchedule from any freebusy.Source
// (exchange-freebusy.md §3): POST /me/calendar/getSchedule and POST
// /users/{id}/calendar/getSchedule, optionally under /v1.0. It is
// GraphClient's test double and a local stand-in for Graph. The mailbox in
// the path only hosts the call; the Source answers for the requested
// schedules.
//
// It enforces Graph's limits (at most GraphMaxSchedules schedules, a
// window shorter than WithLimits' MaxWindow, so less than 62 days by
// default as Graph wants (§3.3), and an interval of 5 to 1440 minutes), honours Prefer: outlook.timezone for the item times, and maps
// a Source's failure of the whole query to an HTTP status with Graph's
// error envelope (a throttled one to 429 with Retry-After).
type GraphHandler struct {
	src  freebusy.Source
	opts options
	log  *zap.Logger
}

var _ http.Handler = (*GraphHandler)(nil)

// NewGraphHandler returns a handler answering from src. It reads
// WithLogger and WithLimits.
func NewGraphHandler(src freebusy.Source, opts ...Option) *GraphHandler {
	o := newOptions(opts)
	return &GraphHandler{src: src, opts: o, log: o.logger.Named("graph")}
}

// ServeHTTP implements http.Handler.
func (h *GraphHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !graphSchedulePath(r.URL.Path) {
		writeGraphError(w, http.StatusNotFound, "ResourceNotFound", "resource not found", 0)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeGraphError(w, http.StatusMethodNotAllowed, "BadRequest", "getSchedule takes POST", 0)
		return
	}
	req, err := DecodeGetScheduleRequest(http.MaxBytesReader(w, r.Body, MaxGraphRequestBytes))
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, ErrGraphTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		writeGraphError(w, status, "BadRequest", err.Error(), 0)
		return
	}
	q, err := req.Query()
	if err != nil {
		writeGraphError(w, http.StatusBadRequest, string(exchange.CodeInvalidRequest), err.Error(), 0)
		return
	}
	if code, msg := h.validate(q); code != "" {
		writeGraphError(w, http.StatusBadRequest, code, msg, 0)
		return
	}

	ropt := GraphResponseOptions{}
	if name, ok := preferredTimeZone(r.Header.Values("Prefer")); ok {
		var zones GraphZones
		if loc, err := zones.Location(name); err == nil {
			ropt.Location, ropt.TimeZone = loc, name
			w.Header().Set("Preference-Applied", `outlook.timezone="`+name+`"`)
		}
	}

	schedules, err := h.src.FreeBusy(r.Context(), q)
	if err == nil {
		err = freebusy.CheckResult(q, schedules)
	}
	if err != nil {
		h.log.Debug("source failed", zap.Error(err))
		status, code, retry := graphStatusFor(err)
		writeGraphError(w, status, code, err.Error(), retry)
		return
	}
	resp, err := NewGraphScheduleResponse(q, schedules, ropt)
	if err != nil {
		writeGraphError(w, http.StatusInternalServerError, string(exchange.CodeInternalServerError), err.Error(), 0)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := EncodeGetScheduleResponse(w, resp); err != nil {
		h.log.Debug("writing the response", zap.Error(err))
	}
}

// validate applies Graph's limits and the handler's; it returns an EWS
// response code (Graph runs on the availability stack, §3.3) and a
// message, or "" when q is acceptable.
func (h *GraphHandler) validate(q freebusy.Query) (code, msg string) {
	lim := h.opts.limits
	if lim.MaxAttendees <= 0 || lim.MaxAttendees > GraphMaxSchedules {
		lim.MaxAttendees = GraphMaxSchedules
	}
	// Graph wants a window of less than 62 days (§3.3), while
	// Limits.MaxWindow is inclusive: refuse a window of exactly the limit.
	maxWindow := lim.MaxWindow
	if maxWindow <= 0 {
		maxWindow = GraphMaxWindow
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

// graphSchedulePath reports whether p is /me/calendar/getSchedule or
// /users/{id}/calendar/getSchedule, optionally under /v1.0.
func graphSchedulePath(p string) bool {
	p = strings.TrimPrefix(p, "/v1.0")
	rest, ok := strings.CutSuffix(p, "/calendar/getSchedule")
	if !ok {
		return false
	}
	if rest == "/me" {
		return true
	}
	id, ok := strings.CutPrefix(rest, "/users/")
	return ok && id != "" && !strings.Contains(id, "/")
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

// graphStatusFor maps a Source's failure to an HTTP status, an error code
// and a Retry-After.
func graphStatusFor(err error) (status int, code string, retry time.Duration) {
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

// writeGraphError writes Graph's error envelope.
func writeGraphError(w http.ResponseWriter, status int, code, msg string, retry time.Duration) {
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retry.Seconds())), 10))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(GraphErrorResponse{Error: GraphErrorDetail{Code: code, Message: msg}})
}
