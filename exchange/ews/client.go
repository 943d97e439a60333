package ews

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/fanout"
	"github.com/calbridge/calbridge/internal/window"
)

// soapAction is the SOAPAction header of GetUserAvailability.
const soapAction = `"http://schemas.microsoft.com/exchange/services/2006/messages/GetUserAvailability"`

// maxSplit bounds how far Client splits one query: at most this many
// times the per-request limits, so that a typo cannot fire thousands of
// requests.
const maxSplit = 100

// Client is a freebusy.Source that asks an EWS endpoint
// (https://host/EWS/Exchange.asmx) with GetUserAvailability
// (docs/exchange.md §2).
//
// It splits a query into requests of at most the limits' MaxAttendees (100
// by default, §2.8) and windows of at most MaxWindow (62 days) and stitches
// the schedules back (no request is shorter than one MergedFreeBusy
// interval, which EWS refuses: a short last piece asks up to the next slot
// boundary and is clipped back); runs the requests concurrently
// (WithConcurrency); sends RequestServerVersion Exchange2013 so that
// WorkingElsewhere comes back; waits out ErrorServerBusy back-off hints
// (BackOffMilliseconds, Retry-After) when the caller's deadline allows
// (WithMaxRetries); maps per-mailbox errors to per-attendee reasons with
// the response-code table of package exchange; and when the caller's
// context ends returns what finished, with the context's reason for the
// rest (ReasonTimeout at a deadline, ReasonUnavailable on cancellation).
// Authentication belongs in the *http.Client's RoundTripper
// (WithHTTPClient).
//
// A Client is safe for concurrent use.
type Client struct {
	url string
	cfg clientConfig
	log *zap.Logger
}

var _ freebusy.Source = (*Client)(nil)

// NewClient returns a Client for the EWS endpoint at rawURL, which must be
// an absolute http or https URL (an error matching freebusy.ErrInvalid
// otherwise). An option given a value it cannot take makes it fail at once,
// with an error that names the option; each With* function says which
// values it takes.
func NewClient(rawURL string, opts ...ClientOption) (*Client, error) {
	u, err := parseEndpoint("EWS", rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := newClientConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Client{url: u.String(), cfg: cfg, log: cfg.Logger.Named("ews").With(zap.String("host", u.Host))}, nil
}

// parseEndpoint parses the absolute http or https URL of an endpoint.
func parseEndpoint(what, rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: "ews: the " + what + " URL must be an absolute http(s) URL"}
	}
	return u, nil
}

// job is one request: some attendees over one piece of the window.
type job struct {
	first, count int // attendees [first, first+count) of the query
	piece        int // index of the window piece
	q            freebusy.Query
	out          []freebusy.Schedule // one per attendee, set when done
	ok           bool                // some schedule came back from the server
	err          error               // whole-request failure (transport, fault, ended context)
}

// FreeBusy implements freebusy.Source. The query is validated against the
// granularity limits; attendee count and window length are split, up to
// 100 times the limits. It returns an error only when nothing could be
// answered: an invalid query, a caller's context that ended before any
// answer, or a server that could not be reached or understood at all.
func (c *Client) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	ctx, cancel := c.cfg.BoundCall(ctx)
	defer cancel()
	lim := c.cfg.Limits.WithDefaults()
	wide := lim
	wide.MaxAttendees *= maxSplit
	wide.MaxWindow *= maxSplit
	if err := wide.Validate(q); err != nil {
		return nil, err
	}
	start, end := q.Start.UTC(), q.End.UTC()
	// EWS refuses a window shorter than one MergedFreeBusy interval
	// (ErrorInvalidMergedFreeBusyInterval, §2.2, §2.8), so no request is:
	// a piece asks up to its AskEnd, a whole number of slots, and stitch
	// clips the answer back to the piece.
	pieces := window.Split(start, end, q.Slot(), lim.MaxWindow)
	var jobs []*job
	for first := 0; first < len(q.Attendees); first += lim.MaxAttendees {
		count := min(lim.MaxAttendees, len(q.Attendees)-first)
		for p, pc := range pieces {
			sub := freebusy.Query{Attendees: q.Attendees[first : first+count], Start: pc.Start, End: pc.AskEnd, Granularity: q.Granularity, Detail: q.Detail}
			jobs = append(jobs, &job{first: first, count: count, piece: p, q: sub})
		}
	}
	fanout.Run(ctx, len(jobs), c.cfg.Concurrency,
		func(i int) { c.do(ctx, jobs[i]) },
		func(i int, err *freebusy.Error) { jobs[i].err = err })

	answered := false
	var firstErr error
	for _, j := range jobs {
		if j.ok {
			answered = true
		} else if firstErr == nil {
			firstErr = j.err
		}
	}
	if !answered {
		if e := fanout.Err(ctx); e != nil {
			return nil, &freebusy.Error{Reason: e.Reason, Message: "ews: no answer before the context ended", Cause: ctx.Err()}
		}
		var de *DecodeError
		if r := freebusy.ReasonOf(firstErr); r == freebusy.ReasonUnavailable || r == freebusy.ReasonInternal || errors.As(firstErr, &de) {
			return nil, &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: "ews: the EWS endpoint failed", Cause: firstErr}
		}
	}
	return stitch(q, start, end, pieces, jobs), nil
}

// minBackOff is the shortest wait before a throttled request is retried.
const minBackOff = 100 * time.Millisecond

// do performs one job. A throttled request is retried after the server's
// hint; so are the mailboxes the server throttled one by one (a
// per-mailbox ErrorServerBusy with BackOffMilliseconds), as long as
// retries and the deadline allow.
func (c *Client) do(ctx context.Context, j *job) {
	left := c.cfg.maxRetries
	schedules, err := c.ask(ctx, j.q, &left)
	if err != nil {
		j.err = err
		return
	}
	for left > 0 {
		var idx []int
		var wait time.Duration
		for i := range schedules {
			if e := schedules[i].Err; e != nil && e.Reason == freebusy.ReasonThrottled {
				idx = append(idx, i)
				wait = max(wait, e.RetryAfter)
			}
		}
		if len(idx) == 0 || !c.sleep(ctx, max(wait, minBackOff)) {
			break
		}
		left--
		sub := j.q
		sub.Attendees = make([]string, len(idx))
		for k, i := range idx {
			sub.Attendees[k] = j.q.Attendees[i]
		}
		c.log.Debug("mailboxes throttled; asking again", zap.Int("mailboxes", len(idx)), zap.Duration("wait", wait))
		again, err := c.ask(ctx, sub, &left)
		if err != nil {
			break
		}
		for k, i := range idx {
			schedules[i] = again[k]
		}
	}
	j.out, j.ok = schedules, true
}

// ask posts one request for q, retrying it while the server throttles the
// whole request and *left allows.
func (c *Client) ask(ctx context.Context, q freebusy.Query, left *int) ([]freebusy.Schedule, error) {
	var body bytes.Buffer
	_ = encodeAvailabilityRequest(&body, newAvailabilityRequest(q))
	for {
		resp, err := c.post(ctx, body.Bytes())
		if err == nil {
			return resp.Schedules(q, time.UTC)
		}
		wait, retry := c.backOff(err)
		if retry && *left > 0 && c.sleep(ctx, wait) {
			*left--
			c.log.Debug("throttled; retrying", zap.Duration("wait", wait))
			continue
		}
		if e := fanout.Err(ctx); e != nil {
			err = e
		}
		return nil, err
	}
}

// backOff reports whether err asks for a retry later, and after how long.
func (c *Client) backOff(err error) (time.Duration, bool) {
	var f *SOAPFault
	if errors.As(err, &f) && f.ResponseCode == exchange.CodeServerBusy {
		return max(f.MessageXML.BackOff, minBackOff), true
	}
	var he *httpStatusError
	if errors.As(err, &he) && (he.status == http.StatusServiceUnavailable || he.status == http.StatusTooManyRequests) {
		return max(he.retryAfter, minBackOff), true
	}
	return 0, false
}

// sleep waits d unless ctx ends first or cannot last that long.
func (c *Client) sleep(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// httpStatusError is a non-SOAP HTTP failure.
type httpStatusError struct {
	status     int
	retryAfter time.Duration
}

func (e *httpStatusError) Error() string {
	return "ews: HTTP status " + strconv.Itoa(e.status)
}

// reason maps an HTTP status to a canonical reason.
func (e *httpStatusError) reason() freebusy.Reason {
	switch {
	case e.status == http.StatusUnauthorized || e.status == http.StatusForbidden:
		return freebusy.ReasonAccessDenied
	case e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable:
		return freebusy.ReasonThrottled
	case e.status == http.StatusGatewayTimeout || e.status == http.StatusRequestTimeout:
		return freebusy.ReasonTimeout
	case e.status == http.StatusBadRequest || e.status == http.StatusRequestEntityTooLarge:
		return freebusy.ReasonInvalid
	}
	return freebusy.ReasonUnavailable
}

// Is maps the status to the freebusy sentinels.
func (e *httpStatusError) Is(target error) bool { return target == e.reason().Sentinel() }

func (c *Client) post(ctx context.Context, body []byte) (*AvailabilityResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, &freebusy.Error{Reason: freebusy.ReasonInvalid, Cause: err}
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", soapAction)
	req.Header.Set("Accept", "text/xml")
	res, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		reason := freebusy.ReasonUnavailable
		if errors.Is(err, context.DeadlineExceeded) {
			reason = freebusy.ReasonTimeout // the *http.Client's own Timeout
		}
		return nil, &freebusy.Error{Reason: reason, Message: "ews: the EWS request failed", Cause: err}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		_ = res.Body.Close()
	}()
	limit := c.cfg.xmlLimits(MaxResponseBytes, MaxResponseElements)
	switch res.StatusCode {
	case http.StatusOK:
		return decodeResponse(res.Body, limit)
	case http.StatusInternalServerError, http.StatusBadRequest:
		// SOAP 1.1 faults come with status 500; SOAP 1.2 ones with 500
		// (env:Receiver) or 400 (env:Sender). Anything else with those
		// statuses is a plain HTTP error.
		_, err := decodeResponse(res.Body, limit)
		if _, isFault := errors.AsType[*SOAPFault](err); isFault {
			return nil, err
		}
		return nil, &httpStatusError{status: res.StatusCode}
	}
	he := &httpStatusError{status: res.StatusCode}
	if ra := res.Header.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 && secs < 86400 {
			he.retryAfter = time.Duration(secs) * time.Second
		}
	}
	return nil, he
}

// failure turns a whole-request error into the per-attendee error: an
// HTTP status or SOAP fault by its code, an ended context (fanout.Err) or a
// transport failure by the reason it already carries.
func failure(attendee string, err error) *freebusy.Error {
	if err == nil {
		err = errors.New("ews: the request was never answered")
	}
	fe := &freebusy.Error{Attendee: attendee, Reason: freebusy.ReasonOf(err), Cause: err}
	var he *httpStatusError
	var f *SOAPFault
	var e *freebusy.Error
	switch {
	case errors.As(err, &he):
		fe.Reason, fe.Message, fe.RetryAfter = he.reason(), he.Error(), he.retryAfter
	case errors.As(err, &f):
		fe.Reason, fe.Message = f.reason(), string(f.ResponseCode)
		if f.ResponseCode == exchange.CodeServerBusy {
			fe.RetryAfter = f.MessageXML.BackOff
		}
	case errors.As(err, &e):
		fe.Reason, fe.Message, fe.RetryAfter = e.Reason, e.Message, e.RetryAfter
	default:
		fe.Message = err.Error()
	}
	return fe
}

// stitch puts the jobs' schedules back into one schedule per attendee over
// the whole window. Each piece's answer is clipped to the piece (a request
// may have asked up to the piece's AskEnd, past its End); events that
// start after the piece came only from that extra time and are dropped. An
// attendee whose every piece failed gets the first piece's error; one with
// some failed pieces keeps the answered time and gets Unknown intervals (no
// data) over the failed pieces.
func stitch(q freebusy.Query, start, end time.Time, pieces []window.Piece, jobs []*job) []freebusy.Schedule {
	out := make([]freebusy.Schedule, len(q.Attendees))
	type part struct {
		s   *freebusy.Schedule
		err *freebusy.Error
	}
	parts := make([][]part, len(q.Attendees))
	for i := range parts {
		parts[i] = make([]part, len(pieces))
	}
	for _, j := range jobs {
		for k := 0; k < j.count; k++ {
			i := j.first + k
			switch {
			case j.ok && j.out[k].Err == nil:
				parts[i][j.piece] = part{s: &j.out[k]}
			case j.ok:
				parts[i][j.piece] = part{err: j.out[k].Err}
			default:
				parts[i][j.piece] = part{err: failure(q.Attendees[i], j.err)}
			}
		}
	}
	for i, a := range q.Attendees {
		ps := parts[i]
		if len(ps) == 1 && ps[0].s != nil && ps[0].s.End.Equal(end) {
			out[i] = *ps[0].s
			continue
		}
		s := freebusy.Schedule{Attendee: a, Start: start, End: end}
		var firstErr *freebusy.Error
		okCount := 0
		for p, pt := range ps {
			if pt.s == nil {
				if firstErr == nil {
					firstErr = pt.err
				}
				s.Intervals = append(s.Intervals, freebusy.Interval{Start: pieces[p].Start, End: pieces[p].End, Status: freebusy.Unknown})
				continue
			}
			okCount++
			for _, iv := range pt.s.Intervals {
				if c, ok := iv.Clip(pieces[p].Start, pieces[p].End); ok {
					s.Intervals = append(s.Intervals, c)
				}
			}
			s.Events = appendEvents(s.Events, pt.s.Events, pieces[p].End)
			if s.WorkingHours == nil {
				s.WorkingHours = pt.s.WorkingHours
			}
			if s.AsOf.IsZero() || (!pt.s.AsOf.IsZero() && pt.s.AsOf.Before(s.AsOf)) {
				s.AsOf = pt.s.AsOf
			}
			s.Stale = s.Stale || pt.s.Stale
		}
		if okCount == 0 {
			out[i] = freebusy.Schedule{Attendee: a, Start: start, End: end, Err: firstErr}
			continue
		}
		_, _ = s.Normalize()
		out[i] = s
	}
	return out
}

// appendEvents adds events not already present: an event that spans a
// piece boundary is reported whole by both pieces (§2.2 TimeWindow).
// Events that start at or after before belong to time past the piece and
// are left out.
func appendEvents(have, add []freebusy.Event, before time.Time) []freebusy.Event {
	for _, e := range add {
		if !e.Start.Before(before) {
			continue
		}
		dup := false
		for k := len(have) - 1; k >= 0 && k >= len(have)-64; k-- {
			h := have[k]
			if h.Start.Equal(e.Start) && h.End.Equal(e.End) && h.Status == e.Status && h.ID == e.ID && h.Subject == e.Subject {
				dup = true
				break
			}
		}
		if !dup {
			have = append(have, e)
		}
	}
	return have
}
