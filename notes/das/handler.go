package das

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
)

// Handler serves the DAS freebusy API (docs/notes.md §2.2) from any
// freebusy.Source, so that a Domino-side tool can ask the gateway about
// Exchange users as if it were a Domino server with DAS enabled. It is also
// the test double of Client.
//
// Routes: GET /api/freebusy (links), /api/freebusy/busytime (JSON, or
// VFREEBUSY with format=icalendar), and, only WithRoomDirectories,
// /api/freebusy/freerooms, /api/freebusy/directories and
// /api/freebusy/sites/{directory}; everything else is 404. Errors are DAS's
// errorResponse JSON. Status codes by freebusy.Reason: unknown attendee 400
// "Name not found" (what DAS sends), invalid 400, access denied 403,
// throttled 429 and unavailable 503 (both with Retry-After when known),
// timeout 504, internal 500.
//
// Mapping to busyTimes is lossy by necessity (docs/mapping.md §3.7, §4.5,
// §4.6; NewBusyTime): tentative time is busy unless
// WithTentativeAsFree(true); Unknown time inside a good schedule is busy;
// a failed schedule is an error, never an empty (all free) answer. A
// schedule's AsOf is sent as Last-Modified, and a stale schedule gets the
// header `Warning: 110 - "Response is Stale"`.
//
// A Handler is safe for concurrent use.
type Handler struct {
	src freebusy.Source
	cfg handlerConfig
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler answering from src. A nil src, or an option
// given a value it cannot take, is an error matching ErrInvalidOption.
func NewHandler(src freebusy.Source, opts ...HandlerOption) (*Handler, error) {
	cfg, err := newHandlerConfig(opts)
	if src == nil {
		cfg.Invalid(pkg, "NewHandler", "nil Source")
		err = cfg.Err()
	}
	if err != nil {
		return nil, err
	}
	return &Handler{src: src, cfg: cfg}, nil
}

// DAS defaults for the busytime window (docs/notes.md §2.2.2).
const (
	// DefaultSinceOffset is how long before the request time since is when
	// a request names none.
	DefaultSinceOffset = 30 * time.Minute
	// DefaultWindow is how long after since before is when a request
	// names neither before nor days.
	DefaultWindow = 30 * 24 * time.Hour
)

// staleWarning is the Warning header of stale data (RFC 7234 §5.5.1).
const staleWarning = `110 - "Response is Stale"`

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.cfg.BoundBody(w, r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeDASError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	if r.Body != nil {
		// GET has no body; bound whatever a client sends anyway.
		r.Body = http.MaxBytesReader(w, r.Body, h.cfg.maxBodyBytes)
	}
	path := strings.TrimSuffix(r.URL.EscapedPath(), "/")
	switch {
	case path == PathRoot:
		h.serveLinks(w)
	case path == PathBusyTime:
		h.serveBusyTime(w, r)
	case !h.cfg.directoriesOn:
		writeDASError(w, http.StatusNotFound, "Resource not found")
	case path == PathFreeRooms:
		h.serveFreeRooms(w, r)
	case path == PathDirectories:
		h.serveDirectories(w)
	case strings.HasPrefix(path, PathSites):
		h.serveSites(w, strings.TrimPrefix(path, PathSites))
	default:
		writeDASError(w, http.StatusNotFound, "Resource not found")
	}
}

func (h *Handler) serveLinks(w http.ResponseWriter) {
	links := Links{Links: []Link{{Rel: "busytime", Href: PathBusyTime}}}
	if h.cfg.directoriesOn {
		links.Links = append(links.Links,
			Link{Rel: "freerooms", Href: PathFreeRooms},
			Link{Rel: "directories", Href: PathDirectories})
	}
	writeDASJSON(w, &links)
}

// BusyTimeWindow resolves the since, before and days parameters of a
// busytime request as DAS does (docs/notes.md §2.2.2): since defaults
// to now minus 30 minutes; before defaults to since plus days days, or 30
// days when days is absent; before and days are mutually exclusive. Dates
// must be TimeLayout exactly. Errors are *freebusy.ParseError (a date or
// days that does not parse) or *freebusy.QueryError (both before and days,
// or an empty window).
func BusyTimeWindow(params url.Values, now time.Time) (since, before time.Time, err error) {
	since = now.UTC().Add(-DefaultSinceOffset).Truncate(time.Second)
	if v := params.Get("since"); v != "" {
		if since, err = ParseTime(v); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	bv, dv := params.Get("before"), params.Get("days")
	switch {
	case bv != "" && dv != "":
		return time.Time{}, time.Time{}, &freebusy.QueryError{Field: "End", Detail: "before and days are mutually exclusive", Err: freebusy.ErrInvalidQuery}
	case bv != "":
		if before, err = ParseTime(bv); err != nil {
			return time.Time{}, time.Time{}, err
		}
	case dv != "":
		days, perr := strconv.Atoi(dv)
		if perr != nil || days < 1 || days > math.MaxInt32/86400 {
			return time.Time{}, time.Time{}, &freebusy.ParseError{Kind: "DAS days", Input: dv, Err: perr}
		}
		before = since.Add(time.Duration(days) * 24 * time.Hour)
	default:
		before = since.Add(DefaultWindow)
	}
	if !since.Before(before) {
		return time.Time{}, time.Time{}, &freebusy.QueryError{Field: "Start", Detail: "since is not before before", Err: freebusy.ErrEmptyWindow}
	}
	return since, before, nil
}

func (h *Handler) serveBusyTime(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	name := strings.TrimSpace(params.Get("name"))
	if name == "" {
		writeDASError(w, http.StatusBadRequest, "Missing name parameter")
		return
	}
	ical := false
	switch f := params.Get("format"); {
	case f == "", strings.EqualFold(f, "json"):
	case strings.EqualFold(f, "icalendar"):
		ical = true
	default:
		writeDASError(w, http.StatusBadRequest, fmt.Sprintf("Unsupported format %q", f))
		return
	}
	since, before, err := BusyTimeWindow(params, h.cfg.Now())
	if err != nil {
		writeDASError(w, http.StatusBadRequest, windowMessage(err))
		return
	}
	q := freebusy.Query{Attendees: []string{lookupName(name)}, Start: since, End: before}
	if err := h.cfg.Limits.Validate(q); err != nil {
		writeDASError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.sourceTimeout)
	defer cancel()
	scheds, err := h.src.FreeBusy(ctx, q)
	if err == nil {
		err = freebusy.CheckResult(q, scheds)
	}
	if err != nil {
		h.cfg.Logger.Debug("das: handler source failed", zap.String("attendee", name), zap.Error(err))
		writeReasonError(w, err)
		return
	}
	s := scheds[0]
	if s.Err != nil {
		h.cfg.Logger.Debug("das: handler attendee failed", zap.String("attendee", name), zap.Error(s.Err))
		writeReasonError(w, s.Err)
		return
	}
	if s.Start.IsZero() || s.End.IsZero() {
		s.Start, s.End = since, before
	}
	bt, rep, err := NewBusyTime(s, BusyTimeOptions{TentativeAsFree: h.cfg.tentativeAsFree})
	if err != nil {
		h.cfg.Logger.Debug("das: handler got an invalid schedule", zap.String("attendee", name), zap.Error(err))
		writeDASError(w, http.StatusInternalServerError, "Invalid schedule from source")
		return
	}
	if rep.Tentative+rep.Unknown > 0 {
		h.cfg.Logger.Debug("das: handler mapped tentative or unknown time",
			zap.String("attendee", name), zap.Int("tentative", rep.Tentative), zap.Int("unknown", rep.Unknown))
	}
	if !s.AsOf.IsZero() {
		w.Header().Set("Last-Modified", s.AsOf.UTC().Format(http.TimeFormat))
	}
	if s.Stale {
		// DAS has no word for stale; HTTP has (RFC 7234 §5.5.1). The
		// Client reads it back into Schedule.Stale.
		w.Header().Set("Warning", staleWarning)
	}
	if ical {
		// Encoded whole before anything is sent, so that a failure can
		// still be answered as an error, into a pooled buffer.
		buf := icalBuffers.Get().(*bytes.Buffer)
		defer putICalBuffer(buf)
		if err := EncodeBusyTimeICalendar(buf, bt, h.cfg.Now()); err != nil {
			h.cfg.Logger.Debug("das: handler iCalendar encoding failed", zap.String("attendee", name), zap.Error(err))
			writeDASError(w, http.StatusInternalServerError, "iCalendar encoding failed")
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=UTF-8")
		_, _ = w.Write(buf.Bytes())
		return
	}
	writeDASJSON(w, bt)
}

// icalBuffers holds the buffers of VFREEBUSY answers between requests.
var icalBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledICal is the largest buffer putICalBuffer keeps: a busytime
// answer for one person is a few kilobytes, and a rare huge one should
// not stay in memory.
const maxPooledICal = 256 << 10

// putICalBuffer empties buf and returns it to icalBuffers, unless it grew
// too large to keep.
func putICalBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledICal {
		return
	}
	buf.Reset()
	icalBuffers.Put(buf)
}

// windowMessage phrases a BusyTimeWindow error as DAS does: Java's
// "Unparseable date" for a bad date.
func windowMessage(err error) string {
	var pe *freebusy.ParseError
	if errors.As(err, &pe) {
		if pe.Kind == "DAS date" {
			return fmt.Sprintf("Unparseable date: %q", pe.Input)
		}
		return fmt.Sprintf("Invalid %s %q", strings.TrimPrefix(pe.Kind, "DAS "), pe.Input)
	}
	var qe *freebusy.QueryError
	if errors.As(err, &qe) {
		return qe.Detail
	}
	return err.Error()
}

func (h *Handler) serveFreeRooms(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	siteName, sv, ev := params.Get("site"), params.Get("start"), params.Get("end")
	if siteName == "" || sv == "" || ev == "" {
		writeDASError(w, http.StatusBadRequest, "Missing site, start or end parameter")
		return
	}
	start, err := ParseTime(sv)
	if err != nil {
		writeDASError(w, http.StatusBadRequest, windowMessage(err))
		return
	}
	end, err := ParseTime(ev)
	if err != nil {
		writeDASError(w, http.StatusBadRequest, windowMessage(err))
		return
	}
	capacity := DefaultFreeRoomsCapacity
	if cv := params.Get("capacity"); cv != "" {
		if capacity, err = strconv.Atoi(cv); err != nil || capacity < 0 {
			writeDASError(w, http.StatusBadRequest, fmt.Sprintf("Invalid capacity %q", cv))
			return
		}
	}
	site := h.findSite(siteName)
	if site == nil {
		writeDASError(w, http.StatusNotFound, "Site not found")
		return
	}
	var candidates []Room
	for _, room := range site.Rooms {
		if room.Capacity >= capacity {
			candidates = append(candidates, room)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.sourceTimeout)
	defer cancel()
	free, err := h.freeRooms(ctx, candidates, start, end)
	if err != nil {
		writeReasonError(w, err)
		return
	}
	writeDASJSON(w, &FreeRooms{Rooms: free})
}

// freeRooms asks the Source about rooms over [start, end), in batches of
// at most the attendee limit, and keeps those whose whole window is
// available. A room whose schedule failed, or that has Unknown time, is
// not free.
func (h *Handler) freeRooms(ctx context.Context, rooms []Room, start, end time.Time) ([]Room, error) {
	free := []Room{}
	batch := h.cfg.Limits.MaxAttendees
	if batch <= 0 {
		batch = freebusy.DefaultLimits().MaxAttendees
	}
	for len(rooms) > 0 {
		n := min(batch, len(rooms))
		chunk := rooms[:n]
		rooms = rooms[n:]
		q := freebusy.Query{Start: start, End: end}
		for _, room := range chunk {
			q.Attendees = append(q.Attendees, roomName(room))
		}
		if err := h.cfg.Limits.Validate(q); err != nil {
			return nil, err
		}
		scheds, err := h.src.FreeBusy(ctx, q)
		if err == nil {
			err = freebusy.CheckResult(q, scheds)
		}
		if err != nil {
			return nil, err
		}
		for i, s := range scheds {
			if roomIsFree(s) {
				free = append(free, chunk[i])
			}
		}
	}
	return free, nil
}

func roomName(r Room) string {
	if r.Email != "" {
		return r.Email
	}
	return r.DistinguishedName
}

func roomIsFree(s freebusy.Schedule) bool {
	if s.Err != nil {
		return false
	}
	ivs, _, err := freebusy.Normalize(s.Intervals, s.Start, s.End, freebusy.NormalizeOptions{})
	if err != nil {
		return false
	}
	for _, iv := range ivs {
		if !iv.Status.Available() {
			return false
		}
	}
	return true
}

func (h *Handler) findSite(name string) *RoomSite {
	for i := range h.cfg.directories {
		d := &h.cfg.directories[i]
		for j := range d.Sites {
			if strings.EqualFold(d.Sites[j].DisplayName, name) {
				return &d.Sites[j]
			}
		}
	}
	return nil
}

func (h *Handler) serveDirectories(w http.ResponseWriter) {
	out := Directories{Directories: make([]Directory, 0, len(h.cfg.directories))}
	for _, d := range h.cfg.directories {
		out.Directories = append(out.Directories, Directory{
			Links:       []Link{{Rel: "sites", Href: PathSites + escapeDirectoryID(d.ID)}},
			DisplayName: d.DisplayName,
		})
	}
	writeDASJSON(w, &out)
}

// escapeDirectoryID escapes a directory id as DAS does in its sites links:
// every reserved character, '/', '=' and '!' included
// ("CN%3DZealand%2FO%3DPeaks%21%21names.nsf", docs/notes.md §2.2.5).
func escapeDirectoryID(id string) string {
	return strings.ReplaceAll(url.QueryEscape(id), "+", "%20")
}

func (h *Handler) serveSites(w http.ResponseWriter, escapedID string) {
	id, err := url.PathUnescape(escapedID)
	if err != nil || id == "" || strings.Contains(escapedID, "/") {
		writeDASError(w, http.StatusNotFound, "Directory not found")
		return
	}
	for _, d := range h.cfg.directories {
		if d.ID == id {
			out := Sites{Sites: make([]Site, 0, len(d.Sites))}
			for _, s := range d.Sites {
				out.Sites = append(out.Sites, Site{DisplayName: s.DisplayName})
			}
			writeDASJSON(w, &out)
			return
		}
	}
	writeDASError(w, http.StatusNotFound, "Directory not found")
}

// writeReasonError answers err as DAS would, by its freebusy.Reason.
func writeReasonError(w http.ResponseWriter, err error) {
	reason := freebusy.ReasonOf(err)
	var fe *freebusy.Error
	var retry time.Duration
	msg := ""
	if errors.As(err, &fe) {
		retry, msg = fe.RetryAfter, fe.Message
	}
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retry.Seconds())), 10))
	}
	code := http.StatusInternalServerError
	switch reason {
	case freebusy.ReasonUnknownAttendee:
		writeDASError(w, http.StatusBadRequest, MessageNameNotFound)
		return
	case freebusy.ReasonInvalid:
		code = http.StatusBadRequest
		if msg == "" {
			msg = err.Error()
		}
	case freebusy.ReasonAccessDenied:
		code = http.StatusForbidden
	case freebusy.ReasonThrottled:
		code = http.StatusTooManyRequests
	case freebusy.ReasonUnavailable:
		code = http.StatusServiceUnavailable
	case freebusy.ReasonTimeout:
		code = http.StatusGatewayTimeout
	}
	if msg == "" {
		msg = reason.String()
	}
	writeDASError(w, code, msg)
}

// writeDASError writes DAS's errorResponse. The text is "Bad request" for
// 400, as DAS writes it, and the HTTP status text otherwise.
func writeDASError(w http.ResponseWriter, code int, message string) {
	text := http.StatusText(code)
	if code == http.StatusBadRequest {
		text = "Bad request"
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = EncodeError(w, &Error{Code: code, Text: text, Message: message})
}

func writeDASJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = encodeDAS(w, v)
}
