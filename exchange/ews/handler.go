package ews

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/schedpool"
)

// Handler is an http.Handler that answers EWS GetUserAvailability
// (docs/exchange.md §2) from any freebusy.Source, so that an Exchange
// availability address space, or any EWS client, can ask for the
// free/busy of users who live elsewhere. It is also the test double of
// Client.
//
// It accepts requests as real EWS clients send them (§2.2 client quirks):
// date-only windows with a dummy UTC zone, a TimeZoneContext header with or
// without a body TimeZone, no ExcludeConflicts, RoutingType EX with a
// legacyExchangeDN (see WithMailboxResolver). It answers the RequestedView
// (FreeBusy when absent), with details only when WithDetails allows them
// and the Source supplies Events, else with the §2.5 downgrade. Request
// problems are SOAP faults with the §2.7 codes: ErrorIndividualMailboxLimitReached
// (more mailboxes than the limits allow, 100 by default),
// ErrorTimeIntervalTooBig (window over the limit, 62 days by default,
// counted on the wall clock of the request's zone so that a change to or
// from daylight time neither adds nor takes an hour),
// ErrorInvalidTimeInterval, ErrorInvalidMergedFreeBusyInterval (outside
// 5..1440 minutes or longer than the window), ErrorInvalidFreeBusyViewType,
// ErrorTimeZone, ErrorSchemaValidation (malformed XML, DOCTYPE) and
// ErrorInvalidRequest (too large, suggestions only). Per-mailbox failures
// are ResponseMessages with the code of their reason. A body that does not
// arrive within the read timeout (WithReadTimeout, 30 s by default) is cut
// off and answered 408 Request Timeout, with an ErrorInvalidRequest fault.
// A request nested deeper than MaxDepth or with more than
// MaxRequestElements elements (WithMaxDepth, WithMaxElements) is refused
// at the first element past the limit, with ErrorSchemaValidation.
//
// Besides GetUserAvailability it answers GetServerTimeZones
// ([MS-OXWSGTZ]; docs/exchange.md §2.10) from tzdata, and any other
// operation with an HTTP 500 ErrorInvalidOperation fault. Every answer,
// faults included, carries the ServerVersionInfo SOAP header
// (WithServerVersion).
//
// A SOAP 1.2 request (envelope namespace
// http://www.w3.org/2003/05/soap-envelope) is answered in SOAP 1.2, with
// Content-Type application/soap+xml, and its faults in the 1.2 form
// (env:Code env:Sender or env:Receiver with the EWS code as subcode,
// env:Reason, env:Detail) with status 400 for env:Sender and 500 for
// env:Receiver (SOAP 1.2 Part 2 §7.5.1.2). A request that cannot be decoded
// is answered in 1.2 when its Content-Type is application/soap+xml. SOAP
// 1.1 requests get SOAP 1.1, text/xml and status 500 faults, as from EWS.
//
// A Handler is safe for concurrent use.
type Handler struct {
	src    freebusy.Source
	cfg    handlerConfig
	log    *zap.Logger
	limits xmlLimits
}

// MailboxResolver turns a mailbox of an incoming GetUserAvailability
// request into the attendee name the Handler's Source understands: an SMTP
// address as is, a legacyExchangeDN (RoutingType "EX", docs/exchange.md
// §5.1) looked up in a directory (package exchange parses and compares
// them). Returning an error fails that mailbox only; a *freebusy.Error
// chooses the reason (ReasonUnknownAttendee becomes
// ErrorMailRecipientNotFound), any other error is ReasonUnknownAttendee.
type MailboxResolver func(ctx context.Context, mailbox EmailAddress) (attendee string, err error)

// defaultResolver passes addresses through.
func defaultResolver(_ context.Context, mb EmailAddress) (string, error) {
	if mb.Address == "" {
		return "", &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: "empty address"}
	}
	return mb.Address, nil
}

// NewHandler returns a Handler answering from src, which must not be nil
// (an error matching freebusy.ErrInvalid otherwise). An option given a
// value it cannot take makes it fail at once, with an error that names the
// option; each With* function says which values it takes.
func NewHandler(src freebusy.Source, opts ...HandlerOption) (*Handler, error) {
	if src == nil {
		return nil, &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: "ews: NewHandler needs a Source"}
	}
	cfg, err := newHandlerConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Handler{src: src, cfg: cfg, log: cfg.Logger.Named("ews"), limits: cfg.xmlLimits(MaxRequestBytes, MaxRequestElements)}, nil
}

// requestFault is a request-level problem, answered as a SOAP fault.
func requestFault(code exchange.ResponseCode, msg string) *SOAPFault {
	return &SOAPFault{ResponseCode: code, String: msg, Message: msg}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	timedOut := h.cfg.BoundBody(w, r)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "ews: GetUserAvailability needs POST", http.StatusMethodNotAllowed)
		return
	}
	// One byte of slack, so that the decoder's own limit reports ErrTooLarge.
	body := http.MaxBytesReader(w, r.Body, h.limits.bytes+1)
	op, err := decodeOperation(body, h.limits)
	if err != nil {
		var de *DecodeError
		status, code := http.StatusInternalServerError, exchange.CodeSchemaValidation
		msg := err.Error()
		switch {
		case timedOut():
			status, code = http.StatusRequestTimeout, exchange.CodeInvalidRequest
			msg = "ews: the request body did not arrive in time"
		case errors.As(err, &de) && errors.Is(de.Err, ErrTooLarge):
			status, code = http.StatusRequestEntityTooLarge, exchange.CodeInvalidRequest
		}
		h.log.Debug("bad request", zap.Error(err))
		h.writeFault(w, status, requestFault(code, msg), isSOAP12ContentType(r.Header.Get("Content-Type")))
		return
	}
	switch op.Operation {
	case opGetUserAvailability:
		h.serveAvailability(w, r, op.Availability)
	case opGetServerTimeZones:
		h.serveTimeZones(w, op)
	case "":
		h.writeFault(w, http.StatusInternalServerError, requestFault(exchange.CodeSchemaValidation, "ews: the soap:Body names no operation"), op.soap12)
	default:
		h.log.Debug("unsupported operation", zap.String("operation", op.Operation))
		h.writeFault(w, http.StatusInternalServerError, requestFault(codeInvalidOperation,
			"ews: operation "+abbreviate([]byte(op.Operation))+" is not supported; this server answers GetUserAvailability and GetServerTimeZones"), op.soap12)
	}
}

// serveAvailability answers a decoded GetUserAvailability request.
func (h *Handler) serveAvailability(w http.ResponseWriter, r *http.Request, req *availabilityRequest) {
	events := getEventArena()
	defer putEventArena(events) // after the answer is written: it holds the events
	// The schedules' memory, reused from answer to answer when the Source
	// is a freebusy.BufferedSource (transport.Client, natstransport.Client).
	buf := schedpool.Get()
	defer schedpool.Put(buf)
	resp, fault := h.answerWith(r.Context(), req, events, buf)
	if fault != nil {
		h.log.Debug("request refused", zap.String("code", string(fault.ResponseCode)))
		h.writeFault(w, http.StatusInternalServerError, fault, req.soap12)
		return
	}
	e := getEncoder(estimateResponse(resp))
	defer putEncoder(e)
	e.availabilityResponse(resp, req.soap12, &h.cfg.version)
	h.writeOK(w, e.b, req.soap12)
}

// writeOK answers 200 with the SOAP document b, written as it is: the
// caller's buffer goes to the connection without another copy.
func (h *Handler) writeOK(w http.ResponseWriter, b []byte, soap12 bool) {
	hd := w.Header()
	hd.Set("Content-Type", soapContentType(soap12))
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeFault answers with f in the request's SOAP version, with the
// ServerVersionInfo header. status is the SOAP 1.1 status (500, 413 for a
// body that is too large, or 408 for one that did not arrive in time); a
// SOAP 1.2 fault other than 413 and 408 gets 400 for env:Sender and 500
// for env:Receiver (SOAP 1.2 Part 2 §7.5.1.2).
func (h *Handler) writeFault(w http.ResponseWriter, status int, f *SOAPFault, soap12 bool) {
	e := getEncoder(0)
	defer putEncoder(e)
	e.soapFault(f, soap12, &h.cfg.version)
	if soap12 && status == http.StatusInternalServerError && faultSender12(f) {
		status = http.StatusBadRequest
	}
	hd := w.Header()
	hd.Set("Content-Type", soapContentType(soap12))
	hd.Set("Content-Length", strconv.Itoa(len(e.b)))
	w.WriteHeader(status)
	_, _ = w.Write(e.b)
}

// soapContentType returns the Content-Type of a SOAP 1.2 or 1.1 message.
func soapContentType(soap12 bool) string {
	if soap12 {
		return contentTypeSOAP12
	}
	return contentTypeSOAP11
}

// isSOAP12ContentType reports whether a Content-Type header names SOAP
// 1.2's media type, application/soap+xml.
func isSOAP12ContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/soap+xml"
}

// requestZone returns the zone the request's naive date-times are in: the
// body TimeZone when present (the spec's rule, §2.3), else the
// TimeZoneContext header's Windows zone, else UTC.
func requestZone(req *availabilityRequest, year int) (*time.Location, *SOAPFault) {
	if req.TimeZone != nil {
		loc, err := req.TimeZone.Location(year)
		if err != nil {
			return nil, requestFault(exchange.CodeTimeZone, err.Error())
		}
		return loc, nil
	}
	if id := req.TimeZoneContext; id != "" {
		iana, ok := freebusy.WindowsToIANA(id)
		if !ok {
			return nil, requestFault(exchange.CodeTimeZone, "ews: unknown time zone id "+id)
		}
		loc, err := freebusy.LoadZone(iana)
		if err != nil {
			return nil, requestFault(exchange.CodeTimeZone, "ews: time zone "+iana+" is not in tzdata")
		}
		return loc, nil
	}
	return time.UTC, nil
}

// wallDuration returns the time from start to end as read on the wall
// clock of their zone (pass both in the request's zone): whole days count
// as days however long they were. Exchange checks the window limit in whole
// days of the request's zone (MaximumQueryIntervalDays, docs/exchange.md
// §2.8), so 62 calendar days across a daylight-saving change, 62 days and
// an hour of elapsed time, are within a 62-day limit.
func wallDuration(start, end time.Time) time.Duration {
	wall := func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	}
	return wall(end).Sub(wall(start))
}

// answer validates req and asks the Source; a non-nil fault refuses the
// whole request.
func (h *Handler) answer(ctx context.Context, req *availabilityRequest) (*AvailabilityResponse, *SOAPFault) {
	return h.answerWith(ctx, req, nil, nil)
}

// answerWith is answer with the CalendarEvents of the response in events
// (nil allocates them) and the Source's schedules in buf (nil: the Source
// allocates them): the response is valid until events is reused, and buf
// is not Reset before the response is written.
func (h *Handler) answerWith(ctx context.Context, req *availabilityRequest, events *eventArena, buf *freebusy.ScheduleBuffer) (*AvailabilityResponse, *SOAPFault) {
	lim := h.cfg.Limits.WithDefaults()
	opts := req.FreeBusyViewOptions
	if opts == nil && req.suggestions {
		return nil, requestFault(exchange.CodeInvalidRequest, "ews: only FreeBusyViewOptions are served, not meeting suggestions")
	}
	if opts == nil {
		return nil, requestFault(exchange.CodeInvalidRequest, "ews: no FreeBusyViewOptions")
	}
	if len(req.Mailboxes) == 0 {
		return nil, requestFault(exchange.CodeInvalidRequest, "ews: no MailboxData")
	}
	if len(req.Mailboxes) > lim.MaxAttendees {
		return nil, requestFault(exchange.CodeIndividualMailboxLimitReached, "ews: "+strconv.Itoa(len(req.Mailboxes))+" mailboxes, at most "+strconv.Itoa(lim.MaxAttendees)+" allowed")
	}
	if opts.StartTime.IsZero() || opts.EndTime.IsZero() {
		return nil, requestFault(exchange.CodeInvalidTimeInterval, "ews: TimeWindow needs StartTime and EndTime")
	}
	loc, fault := requestZone(req, opts.StartTime.Wall.Year())
	if fault != nil {
		return nil, fault
	}
	start, end := opts.StartTime.In(loc), opts.EndTime.In(loc)
	if !start.Before(end) {
		return nil, requestFault(exchange.CodeInvalidTimeInterval, "ews: StartTime must be earlier than EndTime")
	}
	if wallDuration(start.In(loc), end.In(loc)) > lim.MaxWindow {
		return nil, requestFault(exchange.CodeTimeIntervalTooBig, "ews: the requested time window is too long; the allowed limit = "+strconv.Itoa(int(lim.MaxWindow/(24*time.Hour)))+" days")
	}
	slot := 30 * time.Minute
	if n := opts.MergedFreeBusyIntervalInMinutes; n != 0 {
		slot = time.Duration(n) * time.Minute
		if n < 0 || n > 1<<20 || slot < lim.MinGranularity || slot > lim.MaxGranularity || slot > end.Sub(start) {
			return nil, requestFault(exchange.CodeInvalidMergedFreeBusyInterval, "ews: MergedFreeBusyIntervalInMinutes "+strconv.Itoa(n)+" is out of range")
		}
	}
	view := opts.RequestedView
	if view == "" {
		view = ViewFreeBusy
	}
	if !view.requestable() {
		return nil, requestFault(exchange.CodeInvalidFreeBusyViewType, "ews: invalid RequestedView "+string(view))
	}
	if !h.cfg.details {
		view = view.withoutDetails()
	}

	// Resolve and de-duplicate the mailboxes: the Source gets each attendee
	// once, the response lists every mailbox in request order.
	n := len(req.Mailboxes)
	index := make([]int, n) // mailbox -> attendee index, or -1
	failed := make([]*freebusy.Error, n)
	q := freebusy.Query{Start: start, End: end, Granularity: slot}
	if view.detailed() {
		q.Detail = freebusy.DetailFull
	}
	seen := make(map[string]int, n)
	for i, mb := range req.Mailboxes {
		index[i] = -1
		a, err := h.cfg.resolver(ctx, mb.Email)
		if err == nil && strings.TrimSpace(a) == "" {
			err = &freebusy.Error{Reason: freebusy.ReasonUnknownAttendee}
		}
		if err != nil {
			fe := &freebusy.Error{Reason: freebusy.ReasonUnknownAttendee, Cause: err}
			if e, ok := errors.AsType[*freebusy.Error](err); ok && e.Reason != freebusy.ReasonNone {
				fe.Reason = e.Reason
			}
			failed[i] = fe
			continue
		}
		key := strings.ToLower(a)
		k, dup := seen[key]
		if !dup {
			k = len(q.Attendees)
			seen[key] = k
			q.Attendees = append(q.Attendees, a)
		}
		index[i] = k
	}
	var schedules []freebusy.Schedule
	if len(q.Attendees) > 0 {
		var err error
		schedules, err = freebusy.AnswerInto(ctx, h.src, q, buf)
		if err == nil {
			err = freebusy.CheckResult(q, schedules)
		}
		if err != nil {
			if _, ok := errors.AsType[*freebusy.QueryError](err); ok {
				return nil, requestFault(exchange.CodeInvalidRequest, err.Error())
			}
			h.log.Debug("source failed", zap.Error(err))
			schedules = freebusy.FailAll(q, freebusy.ReasonOf(err), err)
			var retry time.Duration
			if e, ok := errors.AsType[*freebusy.Error](err); ok {
				retry = e.RetryAfter
			}
			for k := range schedules {
				schedules[k].Err.Message = "" // the cause may be internal: keep it off the wire
				schedules[k].Err.RetryAfter = retry
			}
		}
	}
	params := viewParams{View: view, Start: start, End: end, Slot: slot, Location: loc, LegacyBusyTypes: legacyServerVersion(req.ServerVersion), events: events, hours: &hoursCache{}}
	resp := &AvailabilityResponse{Responses: make([]FreeBusyResponse, n)}
	for i, mb := range req.Mailboxes {
		var s *freebusy.Schedule
		if index[i] >= 0 {
			s = &schedules[index[i]]
		} else {
			s = &freebusy.Schedule{Attendee: mb.Email.Address, Start: start, End: end, Err: failed[i]}
		}
		fr := freeBusyResponseOf(s, params)
		if s.Err != nil && s.Err.Reason == freebusy.ReasonUnknownAttendee {
			// Exchange's own wording (§2.7, OpenChange capture).
			fr.ResponseMessage.MessageText = "Unable to resolve e-mail address " + mb.Email.String() + " to an Active Directory object."
			fr.ResponseMessage.MessageXML.ExceptionType = "Microsoft.Exchange.InfoWorker.Common.Availability.MailRecipientNotFoundException"
		}
		resp.Responses[i] = fr
	}
	h.log.Debug("answered", zap.Int("mailboxes", n), zap.String("view", string(view)))
	return resp, nil
}
