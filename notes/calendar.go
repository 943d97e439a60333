package notes

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
)

// CalendarManifest is the file at the root of a calendar set that names the
// users and their exports; see LoadCalendars.
const CalendarManifest = "calendars.json"

// maxCalendarBytes bounds one calendar export read by LoadCalendars.
const maxCalendarBytes = 32 << 20

// Conditions of a *CalendarSetError; match them with errors.Is.
var (
	// ErrNoManifest: the file system has no calendars.json at its root.
	ErrNoManifest = errors.New("notes: calendar set has no " + CalendarManifest)
	// ErrBadManifest: calendars.json is malformed or names a user badly.
	ErrBadManifest = errors.New("notes: invalid calendar set manifest")
	// ErrDuplicateUser: two users of a set share a name or an address.
	ErrDuplicateUser = errors.New("notes: user listed twice in calendar set")
)

// CalendarSetError reports a calendar set that LoadCalendars refused. It
// matches its condition and freebusy.ErrInvalid.
type CalendarSetError struct {
	// File is the file concerned, relative to the set's root.
	File string
	// User is the user concerned, as the manifest names them, if any.
	User string
	// Err is the condition, possibly wrapping a cause.
	Err error
}

// Error implements error.
func (e *CalendarSetError) Error() string {
	msg := "notes: calendar set " + e.File
	if e.User != "" {
		msg += fmt.Sprintf(" (user %q)", e.User)
	}
	return msg + ": " + trimPkg(e.Err)
}

// Unwrap returns the condition.
func (e *CalendarSetError) Unwrap() error { return e.Err }

// Is makes every CalendarSetError match freebusy.ErrInvalid.
func (e *CalendarSetError) Is(target error) bool { return target == freebusy.ErrInvalid }

// CalendarUser is one entry of a calendar set's manifest: a user, the file
// holding their Notes calendar export (iCalendar, as Notes writes it with
// X-LOTUS-* properties, §6), and their Calendar Profile.
type CalendarUser struct {
	// Name is the user's Notes name in any form ParseName accepts; queries
	// may use any form of it, with or without @Domain.
	Name string `json:"name"`
	// Emails are the user's Internet addresses, which queries may use too.
	Emails []string `json:"emails,omitempty"`
	// Calendar is the export's path, relative to the manifest.
	Calendar string `json:"calendar"`
	// Profile gives the working hours and the zone in which all-day events
	// and floating times are read. Without one they are read in UTC and
	// schedules carry no working hours.
	Profile *CalendarProfile `json:"profile,omitempty"`
}

type calendarManifest struct {
	Users []CalendarUser `json:"users"`
}

// calendarEntry is one loaded user.
type calendarEntry struct {
	user CalendarUser
	name Name
	data []byte
	asOf time.Time
	loc  *time.Location
	wh   *freebusy.WorkingHours
}

// CalendarSource answers free/busy queries from a set of Notes calendar
// exports, one per user: the Exchange side of a gateway can then see Notes
// users' busy time without a Domino server, from exports a Notes
// administrator or user writes on a schedule (examples/gateway serves them
// to Exchange callers this way). It
// implements freebusy.Source and is safe for concurrent use; it does not
// change after LoadCalendars.
//
// Each schedule's intervals come from ical.DecodeCalendar with the
// user's zone and the BusyPolicy's Classify hook; WorkingHours come from
// the user's Calendar Profile; AsOf is the export file's modification time
// or, where the file system has none (embed.FS), the latest DTSTAMP in it.
// Users not in the set get ReasonUnknownAttendee, a name that does not parse
// ReasonInvalid, and an export that cannot be read ReasonInvalid, each in
// that attendee's Schedule.Err only.
type CalendarSource struct {
	entries []*calendarEntry
	index   map[string][]*calendarEntry // Name.Key, lower-case address, lower-case flat CN
	cfg     sourceConfig
}

var _ freebusy.Source = (*CalendarSource)(nil)

// LoadCalendars loads a calendar set from fsys: calendars.json at the root,
// {"users": [CalendarUser, ...]}, and the exports it names.
//
// Every export is read into memory once; each query decodes the part of it
// that its window needs. Errors are an error matching ErrInvalidOption for
// an option given a value it cannot take, *CalendarSetError values
// (ErrNoManifest, ErrBadManifest, ErrDuplicateUser), or the file system's
// errors for exports that cannot be opened.
func LoadCalendars(fsys fs.FS, opts ...Option) (*CalendarSource, error) {
	cfg, err := newSourceConfig(opts)
	if err != nil {
		return nil, err
	}
	raw, err := fs.ReadFile(fsys, CalendarManifest)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &CalendarSetError{File: CalendarManifest, Err: ErrNoManifest}
		}
		return nil, err
	}
	var m calendarManifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, &CalendarSetError{File: CalendarManifest, Err: fmt.Errorf("%w: %v", ErrBadManifest, err)}
	}
	s := &CalendarSource{index: map[string][]*calendarEntry{}, cfg: cfg}
	keys := map[string]string{}
	for _, u := range m.Users {
		e, err := loadCalendarEntry(fsys, u)
		if err != nil {
			return nil, err
		}
		for _, k := range e.keys() {
			if prev, dup := keys[k]; dup {
				return nil, &CalendarSetError{File: CalendarManifest, User: u.Name, Err: fmt.Errorf("%w: %q is also %q", ErrDuplicateUser, k, prev)}
			}
			keys[k] = u.Name
		}
		s.entries = append(s.entries, e)
		for _, k := range e.lookupKeys() {
			s.index[k] = append(s.index[k], e)
		}
	}
	cfg.Logger.Debug("notes: calendar set loaded", zap.Int("users", len(s.entries)))
	return s, nil
}

func loadCalendarEntry(fsys fs.FS, u CalendarUser) (*calendarEntry, error) {
	bad := func(err error) (*calendarEntry, error) {
		return nil, &CalendarSetError{File: CalendarManifest, User: u.Name, Err: fmt.Errorf("%w: %w", ErrBadManifest, err)}
	}
	n, err := ParseName(u.Name)
	if err != nil {
		return bad(err)
	}
	if n.IsInternet() {
		return bad(errors.New("name is an Internet address; list it under emails"))
	}
	for _, a := range u.Emails {
		if !validInternet(strings.TrimSpace(a)) {
			return bad(fmt.Errorf("bad address %q", a))
		}
	}
	file := path.Clean(u.Calendar)
	if u.Calendar == "" || !fs.ValidPath(file) {
		return bad(fmt.Errorf("bad calendar path %q", u.Calendar))
	}
	e := &calendarEntry{user: u, name: n.WithoutDomain(), loc: time.UTC}
	if u.Profile != nil {
		wh, err := u.Profile.WorkingHours()
		if err != nil {
			return bad(err)
		}
		e.loc, e.wh = wh.Location, wh
	}
	f, err := fsys.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		e.asOf = st.ModTime().UTC()
	}
	e.data, err = io.ReadAll(io.LimitReader(f, maxCalendarBytes+1))
	if err != nil {
		return nil, err
	}
	if len(e.data) > maxCalendarBytes {
		return nil, &CalendarSetError{File: file, User: u.Name, Err: fmt.Errorf("%w: export larger than %d bytes", ErrBadManifest, maxCalendarBytes)}
	}
	if e.asOf.IsZero() || e.asOf.Unix() <= 0 {
		e.asOf = latestDTStamp(e.data)
	}
	return e, nil
}

// keys are the identities that must be unique in a set.
func (e *calendarEntry) keys() []string {
	ks := []string{e.name.Key()}
	for _, a := range e.user.Emails {
		ks = append(ks, strings.ToLower(strings.TrimSpace(a)))
	}
	return ks
}

// lookupKeys are keys plus the bare common name, which a flat name in a
// query may use when it is unambiguous.
func (e *calendarEntry) lookupKeys() []string {
	ks := e.keys()
	if !e.name.IsFlat() {
		ks = append(ks, "flat:"+strings.ToLower(e.name.CommonName))
	}
	return ks
}

// latestDTStamp returns the latest UTC DTSTAMP in an iCalendar text, or
// the zero time.
func latestDTStamp(data []byte) time.Time {
	var latest time.Time
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 8 || !bytes.EqualFold(line[:7], []byte("DTSTAMP")) {
			continue
		}
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			continue
		}
		t, err := time.Parse("20060102T150405Z", strings.TrimSpace(string(line[i+1:])))
		if err == nil && t.After(latest) {
			latest = t
		}
	}
	return latest
}

// Users returns the users of the set, in manifest order.
func (s *CalendarSource) Users() []CalendarUser {
	out := make([]CalendarUser, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.user
	}
	return out
}

// lookup finds the entry for an attendee as a query names them.
func (s *CalendarSource) lookup(attendee string) (*calendarEntry, *freebusy.Error) {
	n, err := ParseName(attendee)
	if err != nil {
		return nil, freebusy.NewError(attendee, freebusy.ReasonInvalid, err)
	}
	var found []*calendarEntry
	switch {
	case n.IsInternet():
		found = s.index[strings.ToLower(n.Internet)]
	default:
		found = s.index[n.Key()]
		if len(found) == 0 && n.IsFlat() {
			found = s.index["flat:"+strings.ToLower(n.CommonName)]
		}
	}
	switch len(found) {
	case 0:
		return nil, &freebusy.Error{Attendee: attendee, Reason: freebusy.ReasonUnknownAttendee, Message: "notes: no calendar for this name"}
	case 1:
		e := found[0]
		if n.Domain != "" && e.user.Name != "" {
			// A domain in the query must not contradict the manifest's.
			if m, err := ParseName(e.user.Name); err == nil && !m.Equal(n) {
				return nil, &freebusy.Error{Attendee: attendee, Reason: freebusy.ReasonUnknownAttendee, Message: "notes: no calendar for this name in that domain"}
			}
		}
		return e, nil
	}
	// ERR_SCHED_NAMENOTUNIQUE (§3.5).
	return nil, &freebusy.Error{Attendee: attendee, Reason: freebusy.ReasonUnknownAttendee, Message: "notes: name not unique in calendar set"}
}

// FreeBusy implements freebusy.Source. It fails as a whole only for an
// invalid query (a *freebusy.QueryError) or an ended ctx.
func (s *CalendarSource) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := s.cfg.Limits.Validate(q); err != nil {
		return nil, err
	}
	start, end := q.Start.UTC(), q.End.UTC()
	now := s.cfg.Now()
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, att := range q.Attendees {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = s.schedule(att, start, end, now)
	}
	return out, nil
}

func (s *CalendarSource) schedule(att string, start, end, now time.Time) freebusy.Schedule {
	sch := freebusy.Schedule{Attendee: att, Start: start, End: end}
	e, ferr := s.lookup(att)
	if ferr != nil {
		sch.Err = ferr
		return sch
	}
	ivs, rep, err := ical.DecodeCalendar(bytes.NewReader(e.data), start, end, s.cfg.policy.decodeOptions(e.loc, s.cfg.maxOccurrences))
	if err != nil {
		sch.Err = freebusy.NewError(att, freebusy.ReasonInvalid, fmt.Errorf("notes: calendar export %s: %w", e.user.Calendar, err))
		return sch
	}
	if rep.Invalid > 0 || rep.Degraded > 0 || rep.Truncated > 0 {
		s.cfg.Logger.Debug("notes: calendar export partly unreadable",
			zap.String("file", e.user.Calendar), zap.Int("invalid", rep.Invalid),
			zap.Int("degraded", rep.Degraded), zap.Int("truncated", rep.Truncated))
	}
	sch.Intervals = ivs
	sch.WorkingHours = cloneWorkingHours(e.wh)
	sch.AsOf = e.asOf
	if d := s.cfg.maxAge; d > 0 && !e.asOf.IsZero() && now.Sub(e.asOf) > d {
		sch.Stale = true
	}
	return sch
}

// decodeOptions returns the ical.DecodeCalendar options that read a Notes
// calendar export under p: all-day events and floating times in the
// owner's zone, and Classify as the hook. maxOccurrences 0 means the
// decoder's default.
func (p BusyPolicy) decodeOptions(owner *time.Location, maxOccurrences int) ical.CalendarOptions {
	return ical.CalendarOptions{Location: owner, MaxOccurrences: maxOccurrences, Classify: p.Classify}
}

// Classify is an ical.ClassifyFunc for Notes exports (§6.1, §1.3): it
// reads X-LOTUS-APPTTYPE (absent: an appointment, or an all-day event for a
// DATE start), TRANSP and STATUS and applies EventStatus, so anniversaries
// and reminders block no time, penciled-in and tentative entries follow
// PenciledAsFree, and all-day events are busy. An Outlook busy status
// (X-MICROSOFT-CDO-BUSYSTATUS) on an imported entry is kept as the decoder
// read it.
func (p BusyPolicy) Classify(ev *ical.CalendarEvent) (freebusy.Status, bool) {
	typ := Appointment
	if ev.AllDay {
		typ = AllDayEvent
	}
	if v, ok := ev.Props["X-LOTUS-APPTTYPE"]; ok {
		if t, err := parseAppointmentType(v); err == nil {
			typ = t
		}
	}
	if _, ok := ev.Props["X-MICROSOFT-CDO-BUSYSTATUS"]; ok {
		if !typ.BlocksTime() || ev.Status == freebusy.Free {
			return freebusy.Free, false
		}
		return ev.Status, true
	}
	return p.EventStatus(typ, ev.Props["TRANSP"], ev.Props["STATUS"])
}

// cloneWorkingHours copies wh, so that callers may change a schedule's
// working hours without touching the source's.
func cloneWorkingHours(wh *freebusy.WorkingHours) *freebusy.WorkingHours {
	if wh == nil {
		return nil
	}
	c := &freebusy.WorkingHours{Location: wh.Location, Periods: make([]freebusy.WorkingPeriod, len(wh.Periods))}
	for i, p := range wh.Periods {
		p.Days = slices.Clone(p.Days)
		c.Periods[i] = p
	}
	return c
}
