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
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/fanout"
	"github.com/calbridge/calbridge/internal/jsonguard"
	"github.com/calbridge/calbridge/internal/window"
	"go.uber.org/zap"
)

// Client asks Microsoft Graph getSchedule for free/busy (§3). It is a
// freebusy.Source and safe for concurrent use.
//
// A query is cut into requests Graph accepts: at most MaxSchedules
// attendees each, and windows shorter than MaxWindow. Every request asks
// for a whole number of slots, at least one: a last piece shorter than a
// slot is asked for up to the end of its slot and the answer is clipped
// back to the query's end, because Graph refuses or misreports a window
// shorter than its interval. Like the EWS client, it accepts queries of up
// to 100 times the limits of WithLimits (by default 10000 attendees and
// 6200 days), so a 70-day or 101-attendee query is split rather than
// refused; the requests run at most WithConcurrency at a time and their
// answers are joined into one schedule per attendee. A throttled request
// (HTTP 429, or 503 with Retry-After) is retried after the server's
// Retry-After (one second when a 429 gives none), at most WithMaxRetries
// times, as long as the wait ends before the caller's deadline; otherwise
// its attendees fail with ReasonThrottled and the server's RetryAfter.
// Whatever has not finished when ctx ends fails with ReasonTimeout (or
// ReasonUnavailable when ctx was cancelled), per attendee.
//
// Authentication belongs in the HTTP client's Transport (WithHTTPClient).
type Client struct {
	cfg clientConfig
	log *zap.Logger
}

var _ freebusy.Source = (*Client)(nil)

// NewClient returns a client for the Graph endpoint of WithBaseURL
// (DefaultBaseURL by default). It reads WithBaseURL, WithUser,
// WithMaxRetries, WithHTTPClient, WithConcurrency, WithCallTimeout,
// WithLimits and WithLogger, and fails with an error matching
// ErrInvalidOption, naming the first option given a value it cannot take.
func NewClient(opts ...ClientOption) (*Client, error) {
	cfg, err := newClientConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, log: cfg.Logger.Named("graph")}, nil
}

// endpoint returns the getSchedule URL.
func (c *Client) endpoint() string {
	if c.cfg.user == "" {
		return c.cfg.baseURL + "/me/calendar/getSchedule"
	}
	return c.cfg.baseURL + "/users/" + url.PathEscape(c.cfg.user) + "/calendar/getSchedule"
}

// job is one getSchedule request: a chunk of attendees over a piece of the
// window. q's window is the piece as asked, [Start, AskEnd).
type job struct {
	q         freebusy.Query
	first     int // index of q.Attendees[0] in the whole query
	piece     window.Piece
	schedules []freebusy.Schedule
	err       *freebusy.Error // the request failed as a whole
}

// FreeBusy implements freebusy.Source. It returns a *freebusy.QueryError
// for a query outside 100 times the client's limits (the granularity
// limits apply as they are), and an *freebusy.Error when no request got an
// answer at all (the endpoint is unreachable or refuses every request, or
// ctx ended first); otherwise one schedule per attendee, with per-attendee
// failures in Schedule.Err.
func (c *Client) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	ctx, cancel := c.cfg.BoundCall(ctx)
	defer cancel()
	// Like the EWS client, split up to maxSplit times the limits; each
	// request then keeps to Graph's own (MaxSchedules, under MaxWindow).
	wide := c.cfg.Limits.WithDefaults()
	wide.MaxAttendees *= maxSplit
	wide.MaxWindow *= maxSplit
	if err := wide.Validate(q); err != nil {
		return nil, err
	}
	q.Start, q.End = q.Start.UTC(), q.End.UTC()
	pieces := splitWindow(q.Start, q.End, q.Slot())
	var jobs []*job
	for first := 0; first < len(q.Attendees); first += MaxSchedules {
		last := min(first+MaxSchedules, len(q.Attendees))
		for _, p := range pieces {
			sub := q
			sub.Attendees = q.Attendees[first:last]
			sub.Start, sub.End = p.Start, p.AskEnd
			jobs = append(jobs, &job{q: sub, first: first, piece: p})
		}
	}
	c.log.Debug("getSchedule", zap.Int("attendees", len(q.Attendees)), zap.Int("requests", len(jobs)))

	fanout.Run(ctx, len(jobs), c.cfg.Concurrency, func(i int) {
		j := jobs[i]
		j.schedules, j.err = c.do(ctx, j.q)
	}, func(i int, err *freebusy.Error) {
		jobs[i].err = err
	})
	return assemble(q, len(pieces), jobs)
}

// splitWindow cuts [start, end) into the pieces the client asks for: each
// shorter than MaxWindow, and each asking a whole number of slots, at
// least one (window.Split).
func splitWindow(start, end time.Time, slot time.Duration) []window.Piece {
	return window.Split(start, end, slot, MaxWindow-time.Nanosecond)
}

// clip cuts a piece's answer back from the window asked, [Start, AskEnd),
// to the piece, [Start, End): intervals are clipped, and items that begin
// at or after the piece's end (only the rounding up to a whole slot asked
// for them) are dropped.
func clip(s freebusy.Schedule, p window.Piece) freebusy.Schedule {
	if s.Err != nil || !p.AskEnd.After(p.End) {
		return s
	}
	ivs := s.Intervals[:0:0]
	for _, iv := range s.Intervals {
		if c, ok := iv.Clip(p.Start, p.End); ok {
			ivs = append(ivs, c)
		}
	}
	s.Intervals = ivs
	if s.Events != nil {
		evs := s.Events[:0:0]
		for _, ev := range s.Events {
			if ev.Start.Before(p.End) {
				evs = append(evs, ev)
			}
		}
		s.Events = evs
	}
	s.End = p.End
	return s
}

// assemble joins the pieces of each attendee's answer. An attendee
// fails when any of its pieces failed; its schedule otherwise is the union
// of the pieces, normalized over the whole window.
func assemble(q freebusy.Query, pieces int, jobs []*job) ([]freebusy.Schedule, error) {
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
		for k, answer := range j.schedules {
			piece := clip(answer, j.piece)
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
		if pieces > 1 {
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
func (c *Client) do(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, *freebusy.Error) {
	var body bytes.Buffer
	if err := EncodeGetScheduleRequest(&body, NewScheduleRequest(q)); err != nil {
		return nil, freebusy.NewError("", freebusy.ReasonInternal, err)
	}
	for attempt := 0; ; attempt++ {
		resp, herr := c.roundTrip(ctx, body.Bytes())
		if herr == nil {
			return resp.Schedules(q), nil
		}
		var ge *HTTPError
		if !errors.As(herr.Cause, &ge) || !retryable(ge) || attempt >= c.cfg.maxRetries {
			return nil, herr
		}
		wait := ge.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if dl, ok := ctx.Deadline(); ok && !c.cfg.Now().Add(wait).Before(dl) {
			c.log.Debug("throttled beyond the deadline", zap.Duration("retryAfter", wait))
			return nil, herr
		}
		c.log.Debug("throttled, retrying", zap.Duration("retryAfter", wait), zap.Int("attempt", attempt+1))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fanout.Err(ctx)
		}
	}
}

// retryable reports whether Graph asked us to come back later.
func retryable(e *HTTPError) bool {
	return e.StatusCode == http.StatusTooManyRequests ||
		(e.StatusCode == http.StatusServiceUnavailable && e.RetryAfter > 0)
}

// roundTrip posts one request body and decodes the answer.
func (c *Client) roundTrip(ctx context.Context, body []byte) (*ScheduleResponse, *freebusy.Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(), bytes.NewReader(body))
	if err != nil {
		return nil, freebusy.NewError("", freebusy.ReasonInvalid, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Prefer", `outlook.timezone="UTC"`)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fanout.Err(ctx)
		}
		// The URL in a *url.Error may carry credentials in its query: keep
		// only the operation and the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("graph: getSchedule: %s: %v", strings.ToLower(ue.Op), ue.Err)
		}
		return nil, freebusy.NewError("", freebusy.ReasonUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ge := &HTTPError{StatusCode: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())}
		var env ErrorResponse
		if b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10)); err == nil &&
			jsonguard.Check(b, requestLimits) == nil && json.Unmarshal(b, &env) == nil {
			ge.Code, ge.Message = env.Error.Code, env.Error.Message
		}
		fe := freebusy.NewError("", ge.Reason(), ge)
		fe.RetryAfter = ge.RetryAfter
		return nil, fe
	}
	out, err := DecodeGetScheduleResponse(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fanout.Err(ctx)
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

// maxSplit bounds how far Client splits one query: at most this many
// times the limits, in attendees and in window length.
const maxSplit = 100
