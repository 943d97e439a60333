package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"go.uber.org/zap"
)

// GraphClient asks Microsoft Graph getSchedule for free/busy
// (exchange-freebusy.md §3). It is a freebusy.Source and safe for
// concurrent use.
//
// A query is cut into requests Graph accepts: at most GraphMaxSchedules
// attendees each, and windows shorter than GraphMaxWindow (a whole number
// of slots each). As Client does, it accepts queries of up to 100 times
// the limits of WithLimits (by default 10000 attendees and 6200 days), so a
// 70-day or 101-attendee query is split rather than refused; the requests run at most WithConcurrency at a time and
// their answers are joined into one schedule per attendee. A throttled
// request (HTTP 429, or 503 with Retry-After) is retried after the
// server's Retry-After (one second when a 429 gives none), at most
// WithGraphMaxRetries times, as long as the wait ends before the caller's
// deadline; otherwise its attendees fail with ReasonThrottled and the
// server's RetryAfter.
// Whatever has not finished when ctx ends fails with ReasonTimeout (or
// ReasonUnavailable when ctx was cancelled), per attendee.
//
// Authentication belongs in the HTTP client's Transport (WithHTTPClient).
type GraphClient struct {
	opts    options
	base    string
	baseErr error
	log     *zap.Logger
}

var _ freebusy.Source = (*GraphClient)(nil)

// NewGraphClient returns a client for the Graph endpoint of
// WithGraphBaseURL (DefaultGraphBaseURL by default). It reads
// WithHTTPClient, WithLogger, WithConcurrency, WithLimits, WithGraphUser
// and WithGraphMaxRetries.
func NewGraphClient(opts ...Option) *GraphClient {
	o := newOptions(opts)
	if !o.graph.retriesSet {
		o.graph.maxRetries = DefaultGraphMaxRetries
	}
	c := &GraphClient{opts: o, base: o.graph.baseURL, log: o.logger.Named("graph")}
	if c.base == "" {
		c.base = DefaultGraphBaseURL
	}
	if u, err := url.Parse(c.base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.baseErr = fmt.Errorf("exchange: graph base URL %q is not an absolute http(s) URL", c.base)
	}
	return c
}

// endpoint returns the getSchedule URL.
func (c *GraphClient) endpoint() string {
	if c.opts.graph.user == "" {
		return c.base + "/me/calendar/getSchedule"
	}
	return c.base + "/users/" + url.PathEscape(c.opts.graph.user) + "/calendar/getSchedule"
}

// graphJob is one getSchedule request: a chunk of attendees over a piece
// of the window.
type graphJob struct {
	q         freebusy.Query
	first     int // index of q.Attendees[0] in the whole query
	piece     int
	schedules []freebusy.Schedule
	err       *freebusy.Error // the request failed as a whole
}

// FreeBusy implements freebusy.Source. It returns a *freebusy.QueryError
// for a query outside 100 times the client's limits (the granularity
// limits apply as they are), and an *freebusy.Error when no
// request got an answer at all (the endpoint is unreachable or refuses
// every request, or ctx ended first); otherwise one schedule per attendee,
// with per-attendee failures in Schedule.Err.
func (c *GraphClient) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	ctx, cancel := c.opts.boundCall(ctx)
	defer cancel()
	// Like the EWS client, split up to graphMaxSplit times the limits; each request
	// then keeps to Graph's own (GraphMaxSchedules, under GraphMaxWindow).
	wide := c.opts.limits.WithDefaults()
	wide.MaxAttendees *= graphMaxSplit
	wide.MaxWindow *= graphMaxSplit
	if err := wide.Validate(q); err != nil {
		return nil, err
	}
	if c.baseErr != nil {
		return nil, freebusy.NewError("", freebusy.ReasonInvalid, c.baseErr)
	}
	q.Start, q.End = q.Start.UTC(), q.End.UTC()
	pieces := splitGraphWindow(q.Start, q.End, q.Slot())
	var jobs []*graphJob
	for first := 0; first < len(q.Attendees); first += GraphMaxSchedules {
		last := min(first+GraphMaxSchedules, len(q.Attendees))
		for p, w := range pieces {
			sub := q
			sub.Attendees = q.Attendees[first:last]
			sub.Start, sub.End = w[0], w[1]
			jobs = append(jobs, &graphJob{q: sub, first: first, piece: p})
		}
	}
	c.log.Debug("getSchedule", zap.Int("attendees", len(q.Attendees)), zap.Int("requests", len(jobs)))

	sem := make(chan struct{}, c.opts.concurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			j.err = ctxError(ctx)
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			j.schedules, j.err = c.do(ctx, j.q)
		}()
	}
	wg.Wait()
	return assembleGraph(q, pieces, jobs)
}

// ctxError classifies a finished ctx: ReasonTimeout for a deadline,
// ReasonUnavailable for a cancellation.
func ctxError(ctx context.Context) *freebusy.Error {
	return freebusy.NewError("", freebusy.ReasonOf(ctx.Err()), ctx.Err())
}

// splitGraphWindow cuts [start, end) into pieces shorter than
// GraphMaxWindow, each a whole number of slots but the last.
func splitGraphWindow(start, end time.Time, slot time.Duration) [][2]time.Time {
	maxPiece := (GraphMaxWindow - 1) / slot * slot
	if maxPiece <= 0 {
		maxPiece = GraphMaxWindow - time.Minute
	}
	var out [][2]time.Time
	for a := start; a.Before(end); {
		b := a.Add(maxPiece)
		if b.After(end) {
			b = end
		}
		out = append(out, [2]time.Time{a, b})
		a = b
	}
	return out
}

// assembleGraph joins the pieces of each attendee's answer. An attendee
// fails when any of its pieces failed; its schedule otherwise is the union
// of the pieces, normalized over the whole window.
func assembleGraph(q freebusy.Query, pieces [][2]time.Time, jobs []*graphJob) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
	}
	answered := false
	var firstErr *freebusy.Error
	for _, j := range jobs {
		if j.err != nil {
			if firstErr == nil {
				firstErr = j.err
			}
			for k, a := range j.q.Attendees {
				s := &out[j.first+k]
				if s.Err == nil {
					*s = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Err: attendeeError(a, j.err)}
				}
			}
			continue
		}
		answered = true
		for k, piece := range j.schedules {
			s := &out[j.first+k]
			if s.Err != nil {
				continue
			}
			if piece.Err != nil {
				*s = freebusy.Schedule{Attendee: s.Attendee, Start: q.Start, End: q.End, Err: piece.Err}
				continue
			}
			s.Intervals = append(s.Intervals, piece.Intervals...)
			s.Events = append(s.Events, piece.Events...)
			if s.WorkingHours == nil {
				s.WorkingHours = piece.WorkingHours
			}
		}
	}
	if !answered && firstErr != nil {
		return nil, firstErr
	}
	for i := range out {
		s := &out[i]
		if s.Err != nil {
			continue
		}
		if _, err := s.Normalize(); err != nil {
			*s = freebusy.Failed(s.Attendee, q.Start, q.End, freebusy.ReasonInvalid, err)
			continue
		}
		if len(pieces) > 1 {
			s.Events = dedupEvents(s.Events)
		}
	}
	return out, nil
}

// attendeeError copies a request-wide error for one attendee.
func attendeeError(attendee string, e *freebusy.Error) *freebusy.Error {
	c := *e
	c.Attendee = attendee
	return &c
}

// dedupEvents drops the copies of items that overlapped two pieces of the
// window and so came back twice.
func dedupEvents(evs []freebusy.Event) []freebusy.Event {
	type key struct {
		start, end int64
		st         freebusy.Status
		subject    string
	}
	seen := make(map[key]bool, len(evs))
	out := evs[:0]
	for _, ev := range evs {
		k := key{ev.Start.UnixNano(), ev.End.UnixNano(), ev.Status, ev.Subject}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, ev)
	}
	return out
}

// do runs one getSchedule request, retrying after throttling while the
// deadline allows.
func (c *GraphClient) do(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, *freebusy.Error) {
	var body bytes.Buffer
	if err := EncodeGetScheduleRequest(&body, NewGraphScheduleRequest(q)); err != nil {
		return nil, freebusy.NewError("", freebusy.ReasonInternal, err)
	}
	for attempt := 0; ; attempt++ {
		resp, herr := c.roundTrip(ctx, body.Bytes())
		if herr == nil {
			return resp.Schedules(q), nil
		}
		var ge *GraphHTTPError
		if !errors.As(herr.Cause, &ge) || !graphRetryable(ge) || attempt >= c.opts.graph.maxRetries {
			return nil, herr
		}
		wait := ge.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if dl, ok := ctx.Deadline(); ok && !c.opts.now().Add(wait).Before(dl) {
			c.log.Debug("throttled beyond the deadline", zap.Duration("retryAfter", wait))
			return nil, herr
		}
		c.log.Debug("throttled, retrying", zap.Duration("retryAfter", wait), zap.Int("attempt", attempt+1))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctxError(ctx)
		}
	}
}

// graphRetryable reports whether Graph asked us to come back later.
func graphRetryable(e *GraphHTTPError) bool {
	return e.StatusCode == http.StatusTooManyRequests ||
		(e.StatusCode == http.StatusServiceUnavailable && e.RetryAfter > 0)
}

// roundTrip posts one request body and decodes the answer.
func (c *GraphClient) roundTrip(ctx context.Context, body []byte) (*GraphScheduleResponse, *freebusy.Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(), bytes.NewReader(body))
	if err != nil {
		return nil, freebusy.NewError("", freebusy.ReasonInvalid, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Prefer", `outlook.timezone="UTC"`)
	resp, err := c.opts.httpClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx)
		}
		// The URL in a *url.Error may carry credentials in its query: keep
		// only the operation and the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("exchange: graph getSchedule: %s: %v", strings.ToLower(ue.Op), ue.Err)
		}
		return nil, freebusy.NewError("", freebusy.ReasonUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ge := &GraphHTTPError{StatusCode: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.opts.now())}
		var env GraphErrorResponse
		if b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10)); err == nil && json.Unmarshal(b, &env) == nil {
			ge.Code, ge.Message = env.Error.Code, env.Error.Message
		}
		fe := freebusy.NewError("", ge.Reason(), ge)
		fe.RetryAfter = ge.RetryAfter
		return nil, fe
	}
	out, err := DecodeGetScheduleResponse(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx)
		}
		return nil, freebusy.NewError("", freebusy.ReasonInvalid, err)
	}
	return out, nil
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date. It returns zero when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > 24*3600 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 && d <= 24*time.Hour {
			return d
		}
	}
	return 0
}

// graphMaxSplit bounds how far GraphClient splits one query: at most this
// many times the limits, in attendees and in window length.
const graphMaxSplit = 100
