package das

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
	"github.com/calbridge/calbridge/internal/fanout"
)

// Client is a freebusy.Source backed by the Domino Access Services freebusy
// API of one Domino server (docs/notes.md §2.1, §2.2). DAS answers for one
// name per request, so FreeBusy sends one busytime request per attendee,
// WithConcurrency of them at a time, and reports each attendee's outcome in
// its own schedule.
//
// Authentication is the HTTP client's business: pass one whose Transport
// adds credentials with WithHTTPClient. A Client is safe for concurrent use.
type Client struct {
	base string // scheme://host[/prefix], without a trailing slash
	cfg  clientConfig
}

var _ freebusy.Source = (*Client)(nil)

// ErrBadBaseURL is the condition NewClient reports for a base URL it cannot
// use.
var ErrBadBaseURL = errors.New("das: base URL must be an absolute http or https URL")

// NewClient returns a Client for the DAS server at baseURL, e.g.
// "https://domino.example.com". The URL may include a path prefix (a
// reverse proxy's) and may end in "/api/freebusy"; the resource paths of
// docs/notes.md §2.2 are appended to what remains.
//
// A base URL that is not absolute http or https with a host, or that
// carries a query or a fragment, is an error matching ErrBadBaseURL; an
// option given a value it cannot take is an error matching
// ErrInvalidOption.
func NewClient(baseURL string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: %q", ErrBadBaseURL, baseURL)
	}
	cfg, err := newClientConfig(opts)
	if err != nil {
		return nil, err
	}
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	p = strings.TrimSuffix(p, PathRoot)
	return &Client{base: u.Scheme + "://" + u.Host + p, cfg: cfg}, nil
}

// FreeBusy implements freebusy.Source. It validates q against the
// configured limits (a *freebusy.QueryError), then asks DAS about each
// attendee with since and before covering q's window in whole seconds.
//
// Per attendee: a DAS 400 "Name not found" is ReasonUnknownAttendee; 401
// and 403 ReasonAccessDenied; 429 ReasonThrottled and 503
// ReasonUnavailable, both with Retry-After; 408 and 504 ReasonTimeout;
// other 5xx and 404 (DAS not enabled) ReasonUnavailable; an undecodable
// answer ReasonInvalid. Once ctx has ended no further request starts: the
// attendees not yet asked fail with ReasonTimeout (deadline) or
// ReasonUnavailable (cancelled), and a ctx that has ended before the call
// fails it as a whole with that error. The *Error received, if any, is the
// Cause.
//
// AsOf is the answer's Last-Modified (a calbridge Handler relaying cached
// data sets it), else its Date, else the time it was received; Stale is
// set by an HTTP Warning 110 (which a calbridge Handler sends). Busy time
// is Busy; asked time outside the window DAS answered for is Unknown (see
// BusyTime.Schedule and docs/mapping.md §3.7).
func (c *Client) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	ctx, cancel := c.cfg.BoundCall(ctx)
	defer cancel()
	if err := c.cfg.Limits.Validate(q); err != nil {
		return nil, err
	}
	if err := fanout.Err(ctx); err != nil {
		return nil, err
	}
	out := make([]freebusy.Schedule, len(q.Attendees))
	fanout.Run(ctx, len(q.Attendees), c.cfg.Concurrency,
		func(i int) { out[i] = c.schedule(ctx, q.Attendees[i], q) },
		func(i int, err *freebusy.Error) {
			out[i] = freebusy.Failed(q.Attendees[i], q.Start, q.End, err.Reason, err.Cause)
		})
	return out, nil
}

// schedule asks DAS about one attendee.
func (c *Client) schedule(ctx context.Context, attendee string, q freebusy.Query) freebusy.Schedule {
	since, before := q.Start.UTC().Truncate(time.Second), ceilSecond(q.End.UTC())
	bt, hdr, err := c.busyTime(ctx, lookupName(attendee), since, before)
	if err != nil {
		return failedSchedule(attendee, q, err)
	}
	s, rep, err := bt.Schedule(attendee, q.Start, q.End)
	if err != nil {
		return freebusy.Failed(attendee, q.Start, q.End, freebusy.ReasonInvalid, err)
	}
	s.AsOf = c.asOf(hdr)
	s.Stale = isStale(hdr)
	if rep.Inverted > 0 || rep.Empty > 0 || rep.Uncovered > 0 {
		c.cfg.Logger.Debug("das: busytime repaired",
			zap.String("attendee", attendee),
			zap.Int("inverted", rep.Inverted),
			zap.Int("empty", rep.Empty),
			zap.Duration("uncovered", rep.Uncovered))
	}
	return s
}

// failedSchedule turns an error of busyTime into attendee's failed
// schedule, keeping a *freebusy.Error's reason and retry hint.
func failedSchedule(attendee string, q freebusy.Query, err error) freebusy.Schedule {
	s := freebusy.Failed(attendee, q.Start, q.End, freebusy.ReasonOf(err), err)
	var fe *freebusy.Error
	if errors.As(err, &fe) {
		s.Err.Message, s.Err.RetryAfter, s.Err.Cause = fe.Message, fe.RetryAfter, fe.Cause
	}
	return s
}

// asOf reads when the answer was produced from its headers.
func (c *Client) asOf(h http.Header) time.Time {
	for _, key := range []string{"Last-Modified", "Date"} {
		if v := h.Get(key); v != "" {
			if t, err := http.ParseTime(v); err == nil {
				return t.UTC()
			}
		}
	}
	return c.cfg.Now().UTC()
}

// isStale reports whether the answer carries the HTTP warning 110
// (Response is Stale), which a calbridge Handler sends for stale data.
func isStale(h http.Header) bool {
	for _, v := range h.Values("Warning") {
		if strings.HasPrefix(strings.TrimSpace(v), "110 ") {
			return true
		}
	}
	return false
}

// BusyTime sends one GET /api/freebusy/busytime for name over [since,
// before) (sent as TimeLayout, fractional seconds truncated) and returns
// the decoded answer as sent, without conversion. Failures are
// *freebusy.Error values classified as described on FreeBusy, with an
// empty Attendee.
func (c *Client) BusyTime(ctx context.Context, name string, since, before time.Time) (*BusyTime, error) {
	bt, _, err := c.busyTime(ctx, name, since, before)
	return bt, err
}

func (c *Client) busyTime(ctx context.Context, name string, since, before time.Time) (*BusyTime, http.Header, error) {
	v := url.Values{}
	v.Set("name", name)
	v.Set("since", FormatTime(since))
	v.Set("before", FormatTime(before))
	accept := "application/json"
	if c.cfg.icalendar {
		v.Set("format", "icalendar")
		accept = "text/calendar"
	}
	body, hdr, err := c.get(ctx, PathBusyTime+"?"+v.Encode(), accept)
	if err != nil {
		return nil, nil, err
	}
	var bt *BusyTime
	if c.cfg.icalendar {
		var rep ical.VFreeBusyReport
		bt, rep, err = DecodeBusyTimeICalendar(bytes.NewReader(body))
		if rep.Normalize.Inverted > 0 {
			c.cfg.Logger.Debug("das: iCalendar busytime repaired",
				zap.String("attendee", name), zap.Int("inverted", rep.Normalize.Inverted))
		}
	} else {
		bt, err = decodeBusyTimeBytes(body)
	}
	var fe *freebusy.Error
	switch {
	case errors.As(err, &fe):
		return nil, nil, fe // a failure the server encoded in the VFREEBUSY
	case err != nil:
		return nil, nil, freebusy.NewError("", freebusy.ReasonInvalid, err)
	}
	return bt, hdr, nil
}

// Links fetches the root document, GET /api/freebusy (§2.2.1).
func (c *Client) Links(ctx context.Context) (*Links, error) {
	return getDAS(ctx, c, PathRoot, DecodeLinks)
}

// FreeRoomsRequest is the input of Client.FreeRooms (docs/notes.md
// §2.2.5).
type FreeRoomsRequest struct {
	// Site is the site's display name, as listed by Sites.
	Site string
	// Start and End bound the time the rooms must be free.
	Start, End time.Time
	// Capacity is the least capacity wanted; zero means
	// DefaultFreeRoomsCapacity, as in DAS.
	Capacity int
}

// FreeRooms asks GET /api/freebusy/freerooms for the rooms of a site that
// are free over the request's window (§2.2.5).
func (c *Client) FreeRooms(ctx context.Context, req FreeRoomsRequest) (*FreeRooms, error) {
	v := url.Values{}
	v.Set("site", req.Site)
	v.Set("start", FormatTime(req.Start))
	v.Set("end", FormatTime(ceilSecond(req.End.UTC())))
	if req.Capacity > 0 {
		v.Set("capacity", strconv.Itoa(req.Capacity))
	}
	return getDAS(ctx, c, PathFreeRooms+"?"+v.Encode(), DecodeFreeRooms)
}

// Directories fetches GET /api/freebusy/directories (§2.2.5).
func (c *Client) Directories(ctx context.Context) (*Directories, error) {
	return getDAS(ctx, c, PathDirectories, DecodeDirectories)
}

// Sites fetches the sites of dir by following its "sites" link, as DAS
// asks clients to (§2.2.5). A directory without that link is a
// *freebusy.Error with ReasonInvalid.
func (c *Client) Sites(ctx context.Context, dir Directory) (*Sites, error) {
	for _, l := range dir.Links {
		if l.Rel != "sites" {
			continue
		}
		// The link may be relative, as in IBM's sample, or absolute; only
		// its path is followed, on this client's server.
		u, err := url.Parse(l.Href)
		if err == nil && strings.HasPrefix(u.EscapedPath(), PathSites) {
			return getDAS(ctx, c, u.EscapedPath(), DecodeSites)
		}
	}
	return nil, &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: "das: directory has no sites link"}
}

func getDAS[T any](ctx context.Context, c *Client, pathQuery string, decode func(io.Reader) (*T, error)) (*T, error) {
	body, _, err := c.get(ctx, pathQuery, "application/json")
	if err != nil {
		return nil, err
	}
	v, err := decode(bytes.NewReader(body))
	if err != nil {
		return nil, freebusy.NewError("", freebusy.ReasonInvalid, err)
	}
	return v, nil
}

// get performs one GET and returns the body of a 200 answer, or a
// *freebusy.Error classifying the failure.
func (c *Client) get(ctx context.Context, pathQuery, accept string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+pathQuery, nil)
	if err != nil {
		return nil, nil, freebusy.NewError("", freebusy.ReasonInvalid, err)
	}
	req.Header.Set("Accept", accept)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	limit := c.cfg.maxBodyBytes
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, transportError(ctx, err)
	}
	if int64(len(body)) > limit {
		return nil, nil, &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: fmt.Sprintf("das: answer exceeds %d bytes", limit), Cause: ErrTooLarge}
	}
	if resp.StatusCode == http.StatusOK {
		return body, resp.Header, nil
	}
	return nil, nil, statusError(resp, body, c.cfg.Now())
}

// transportError classifies a failed round trip: the context's end is a
// timeout (or cancellation), anything else makes DAS unavailable. The
// message leaves out the request URL, which names the attendee.
func transportError(ctx context.Context, err error) *freebusy.Error {
	reason := freebusy.ReasonUnavailable
	var ne interface{ Timeout() bool }
	if cerr := ctx.Err(); cerr != nil {
		reason = freebusy.ReasonOf(cerr)
	} else if errors.As(err, &ne) && ne.Timeout() {
		reason = freebusy.ReasonTimeout
	}
	e := freebusy.NewError("", reason, err)
	var ue *url.Error
	if errors.As(err, &ue) {
		e.Message = "das: request failed: " + ue.Err.Error()
	}
	return e
}

// statusError classifies a non-200 answer. The Error in its body, when
// there is one, is the cause.
func statusError(resp *http.Response, body []byte, now time.Time) *freebusy.Error {
	dasErr, derr := DecodeError(bytes.NewReader(body))
	if derr != nil {
		dasErr = &Error{Code: resp.StatusCode, Text: http.StatusText(resp.StatusCode)}
	}
	e := &freebusy.Error{Cause: dasErr, Message: dasErr.Error()}
	switch code := resp.StatusCode; {
	case code == http.StatusBadRequest && strings.EqualFold(strings.TrimSpace(dasErr.Message), MessageNameNotFound):
		e.Reason = freebusy.ReasonUnknownAttendee
	case code == http.StatusBadRequest:
		e.Reason = freebusy.ReasonInvalid
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		e.Reason = freebusy.ReasonAccessDenied
	case code == http.StatusTooManyRequests:
		e.Reason = freebusy.ReasonThrottled
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	case code == http.StatusServiceUnavailable:
		e.Reason = freebusy.ReasonUnavailable
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	case code == http.StatusRequestTimeout, code == http.StatusGatewayTimeout:
		e.Reason = freebusy.ReasonTimeout
	case code == http.StatusNotFound, code >= 500:
		e.Reason = freebusy.ReasonUnavailable
	default:
		e.Reason = freebusy.ReasonInternal
	}
	return e
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3). Anything else, or a date in the past, is zero.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 32); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
