package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// EntryVersion is the version of the binary encoding of an Entry that
// AppendEntry writes, its first byte. A shared tier may hold entries
// written by other builds: DecodeEntry refuses a version it does not know
// with an *EntryVersionError, which the tier treats as a miss, so that a
// rolling upgrade costs refetches, never wrong answers.
const EntryVersion = 1

// ErrBadEntry is matched (errors.Is) by every error DecodeEntry returns.
var ErrBadEntry = errors.New("cache: bad entry encoding")

// EntryVersionError reports an encoded entry of a version DecodeEntry does
// not read (an empty input has version 0).
type EntryVersionError struct {
	// Version is the version byte found.
	Version byte
}

// Error implements error.
func (e *EntryVersionError) Error() string {
	return "cache: entry encoding version " + strconv.Itoa(int(e.Version)) + " (this build reads version " + strconv.Itoa(EntryVersion) + ")"
}

// Is makes an *EntryVersionError match ErrBadEntry.
func (e *EntryVersionError) Is(target error) bool { return target == ErrBadEntry }

// EntryFormatError reports a malformed encoded entry: what is wrong, and
// the byte offset where DecodeEntry found it.
type EntryFormatError struct {
	// Offset is the position of the problem in the input.
	Offset int
	// Problem says what is wrong ("truncated", "invalid status 9").
	Problem string
}

// Error implements error.
func (e *EntryFormatError) Error() string {
	return fmt.Sprintf("cache: bad entry encoding at offset %d: %s", e.Offset, e.Problem)
}

// Is makes an *EntryFormatError match ErrBadEntry.
func (e *EntryFormatError) Is(target error) bool { return target == ErrBadEntry }

// The bits of the flags byte of an entry.
const (
	entryStale = 1 << iota
	entryHours
	entryErr
	entryRetry // RetryAt is set (it rarely is)
	entryFlags = entryStale | entryHours | entryErr | entryRetry
)

// The bits of the flags byte of an event.
const (
	eventPrivate = 1 << iota
	eventMeeting
	eventRecurring
	eventException
	eventReminder
	eventFlags = eventPrivate | eventMeeting | eventRecurring | eventException | eventReminder
)

// How the location of working hours is written.
const (
	locNone  = iota // a nil location
	locUTC          // time.UTC
	locName         // a zone loaded by name (time.LoadLocation)
	locFixed        // a zone of one offset forever: name and offset
	numLocKinds
)

// Minimum encoded sizes of repeated elements, which bound the counts a
// decoder accepts so that a short input cannot make it allocate much.
const (
	minTime     = 2                 // delta and nanoseconds
	minInterval = 2*minTime + 1     // start, end, status
	minEvent    = 2*minTime + 2 + 3 // times, status, flags, three strings
	minPeriod   = 1 + 1 + 1         // day count, start, end
)

// Bounds of decoded values beyond which an input is refused.
const (
	maxLocName  = 255                         // bytes of a zone name
	maxOffset   = 48 * 60 * 60                // seconds east of UTC of a fixed zone, either way
	maxDuration = int64(366 * 24 * time.Hour) // working period offsets and RetryAfter, either way
)

// AppendEntry appends the binary encoding of e to dst and returns the
// extended slice: a compact form for a shared tier, read by DecodeEntry.
//
// Version 1, in order: the version byte; a flags byte (Stale, working
// hours present, Err present, RetryAt set); AsOf, Stored and RetryAt
// (when set); Failure; the
// intervals; the events with all their fields; the working hours (their
// zone as UTC, an IANA name, or a fixed zone's name and offset; their
// periods); the error's attendee, reason, message and RetryAfter. Counts,
// lengths and reasons are unsigned varints (encoding/binary); instants are
// whole seconds as a signed varint difference from the instant written
// before (so that the times of one day take a few bytes each) followed by
// the nanoseconds as an unsigned varint.
//
// What it cannot carry: instants are decoded in UTC and without a
// monotonic clock reading (the cache stores them so); Err.Cause, which
// stays in the process as it does across a transport; a zone that is
// neither UTC, nor loadable by name, nor of one fixed offset, such as one
// built from a Windows zone's rules: its name is written, and DecodeEntry
// reports an *EntryFormatError where the name does not load.
func AppendEntry(dst []byte, e Entry) []byte {
	w := entryWriter{b: dst}
	var flags byte
	if e.Stale {
		flags |= entryStale
	}
	if e.WorkingHours != nil {
		flags |= entryHours
	}
	if e.Err != nil {
		flags |= entryErr
	}
	if !e.RetryAt.IsZero() {
		flags |= entryRetry
	}
	w.b = append(w.b, EntryVersion, flags)
	w.time(e.AsOf)
	w.time(e.Stored)
	if !e.RetryAt.IsZero() {
		w.time(e.RetryAt)
	}
	w.uvarint(uint64(e.Failure))
	w.uvarint(uint64(len(e.Intervals)))
	for _, iv := range e.Intervals {
		w.time(iv.Start)
		w.time(iv.End)
		w.b = append(w.b, byte(iv.Status))
	}
	w.uvarint(uint64(len(e.Events)))
	for _, ev := range e.Events {
		w.time(ev.Start)
		w.time(ev.End)
		w.b = append(w.b, byte(ev.Status), eventFlagsOf(ev))
		w.string(ev.ID)
		w.string(ev.Subject)
		w.string(ev.Location)
	}
	if h := e.WorkingHours; h != nil {
		w.location(h.Location)
		w.uvarint(uint64(len(h.Periods)))
		for _, p := range h.Periods {
			w.uvarint(uint64(len(p.Days)))
			for _, d := range p.Days {
				w.b = append(w.b, byte(d))
			}
			w.varint(int64(p.Start))
			w.varint(int64(p.End))
		}
	}
	if er := e.Err; er != nil {
		w.string(er.Attendee)
		w.uvarint(uint64(er.Reason))
		w.string(er.Message)
		w.varint(int64(er.RetryAfter))
	}
	return w.b
}

func eventFlagsOf(ev freebusy.Event) byte {
	var f byte
	if ev.Private {
		f |= eventPrivate
	}
	if ev.Meeting {
		f |= eventMeeting
	}
	if ev.Recurring {
		f |= eventRecurring
	}
	if ev.Exception {
		f |= eventException
	}
	if ev.Reminder {
		f |= eventReminder
	}
	return f
}

// entryWriter appends the parts of an encoded entry.
type entryWriter struct {
	b    []byte
	prev int64 // the seconds of the instant written last
}

func (w *entryWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *entryWriter) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }

func (w *entryWriter) string(s string) {
	w.uvarint(uint64(len(s)))
	w.b = append(w.b, s...)
}

// time writes t's seconds as a difference from the previous instant's
// (wrapping, which the decoder undoes exactly), then its nanoseconds.
func (w *entryWriter) time(t time.Time) {
	sec := t.Unix()
	w.varint(sec - w.prev)
	w.uvarint(uint64(t.Nanosecond()))
	w.prev = sec
}

func (w *entryWriter) location(loc *time.Location) {
	switch {
	case loc == nil:
		w.b = append(w.b, locNone)
	case loc == time.UTC:
		w.b = append(w.b, locUTC)
	case loc != time.Local && isFixedZone(loc) && !decodedZone(loc):
		_, off := time.Unix(0, 0).In(loc).Zone()
		w.b = append(w.b, locFixed)
		w.string(loc.String())
		w.varint(int64(off))
	default:
		w.b = append(w.b, locName)
		w.string(loc.String())
	}
}

// isFixedZone reports whether loc has one offset forever (time.FixedZone,
// or a loaded zone such as Etc/GMT-1).
func isFixedZone(loc *time.Location) bool {
	start, end := time.Unix(0, 0).In(loc).ZoneBounds()
	return start.IsZero() && end.IsZero()
}

// loadZone returns the location of name, from the process's zone cache
// (freebusy.LoadZone): a shared tier decodes the same few zones over and
// over.
func loadZone(name string) (*time.Location, error) { return freebusy.LoadZone(name) }

// decodedZone reports whether loc is the one DecodeEntry hands out for its
// name (the cache's), so that it is written by name again.
func decodedZone(loc *time.Location) bool {
	l, err := freebusy.LoadZone(loc.String())
	return err == nil && l == loc
}

// DecodeEntry decodes what AppendEntry wrote. Bad input gives an error
// matching ErrBadEntry (an *EntryVersionError or an *EntryFormatError),
// never a panic; the input is not retained.
func DecodeEntry(b []byte) (Entry, error) {
	if len(b) == 0 || b[0] != EntryVersion {
		var v byte
		if len(b) > 0 {
			v = b[0]
		}
		return Entry{}, &EntryVersionError{Version: v}
	}
	r := entryReader{b: b, off: 1}
	var e Entry
	flags := r.byte()
	if r.err == nil && flags&^entryFlags != 0 {
		r.fail(r.off-1, "unknown entry flags %#x", flags)
	}
	e.Stale = flags&entryStale != 0
	e.AsOf = r.time()
	e.Stored = r.time()
	if flags&entryRetry != 0 {
		e.RetryAt = r.time()
	}
	e.Failure = r.reason()
	if n := r.count(minInterval); n > 0 {
		e.Intervals = make([]freebusy.Interval, n)
		for i := range e.Intervals {
			e.Intervals[i] = freebusy.Interval{Start: r.time(), End: r.time(), Status: r.status()}
		}
	}
	if n := r.count(minEvent); n > 0 {
		e.Events = make([]freebusy.Event, n)
		for i := range e.Events {
			ev := freebusy.Event{Start: r.time(), End: r.time(), Status: r.status()}
			at := r.off
			f := r.byte()
			if r.err == nil && f&^eventFlags != 0 {
				r.fail(at, "unknown event flags %#x", f)
			}
			ev.Private, ev.Meeting, ev.Recurring = f&eventPrivate != 0, f&eventMeeting != 0, f&eventRecurring != 0
			ev.Exception, ev.Reminder = f&eventException != 0, f&eventReminder != 0
			ev.ID, ev.Subject, ev.Location = r.string(), r.string(), r.string()
			e.Events[i] = ev
		}
	}
	if flags&entryHours != 0 {
		h := &freebusy.WorkingHours{Location: r.location()}
		if n := r.count(minPeriod); n > 0 {
			h.Periods = make([]freebusy.WorkingPeriod, n)
			for i := range h.Periods {
				var p freebusy.WorkingPeriod
				if nd := r.count(1); nd > 0 {
					p.Days = make([]time.Weekday, nd)
					for k := range p.Days {
						p.Days[k] = r.weekday()
					}
				}
				p.Start, p.End = r.duration(), r.duration()
				h.Periods[i] = p
			}
		}
		e.WorkingHours = h
	}
	if flags&entryErr != 0 {
		e.Err = &freebusy.Error{Attendee: r.string(), Reason: r.reason(), Message: r.string(), RetryAfter: r.duration()}
	}
	if r.err == nil && r.off != len(b) {
		r.fail(r.off, "%d bytes after the entry", len(b)-r.off)
	}
	if r.err != nil {
		return Entry{}, r.err
	}
	return e, nil
}

// entryReader reads the parts of an encoded entry; after the first
// problem it records, every read returns a zero value.
type entryReader struct {
	b    []byte
	off  int
	prev int64
	err  *EntryFormatError
}

func (r *entryReader) fail(at int, format string, args ...any) {
	if r.err == nil {
		r.err = &EntryFormatError{Offset: at, Problem: fmt.Sprintf(format, args...)}
	}
}

func (r *entryReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail(r.off, "truncated")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *entryReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if !r.advance(n) {
		return 0
	}
	return v
}

func (r *entryReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if !r.advance(n) {
		return 0
	}
	return v
}

// advance moves past a varint of n bytes, as encoding/binary reports n:
// 0 for a truncated varint and less than 0 for one that overflows.
func (r *entryReader) advance(n int) bool {
	switch {
	case n == 0:
		r.fail(r.off, "truncated")
		return false
	case n < 0:
		r.fail(r.off, "varint overflows 64 bits")
		return false
	}
	r.off += n
	return true
}

// count reads the number of elements that follow, each at least min
// bytes long, and refuses one the rest of the input cannot hold.
func (r *entryReader) count(min int) int {
	at := r.off
	n := r.uvarint()
	if r.err != nil {
		return 0
	}
	if n > uint64((len(r.b)-r.off)/min) {
		r.fail(at, "count %d exceeds the input", n)
		return 0
	}
	return int(n)
}

func (r *entryReader) string() string {
	at := r.off
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(at, "string length %d exceeds the input", n)
		return ""
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s
}

// maxUnix is the last second time.Unix represents without overflow.
const maxUnix = 1<<63 - 1 - 62135596800

func (r *entryReader) time() time.Time {
	at := r.off
	sec := r.prev + r.varint() // wraps as the writer's difference did
	nsec := r.uvarint()
	if r.err != nil {
		return time.Time{}
	}
	if nsec >= 1e9 {
		r.fail(at, "nanoseconds %d out of range", nsec)
		return time.Time{}
	}
	if sec > maxUnix {
		r.fail(at, "instant %d out of range", sec)
		return time.Time{}
	}
	r.prev = sec
	return time.Unix(sec, int64(nsec)).UTC()
}

func (r *entryReader) status() freebusy.Status {
	at := r.off
	s := freebusy.Status(r.byte())
	if r.err == nil && !s.Valid() {
		r.fail(at, "invalid status %d", s)
		return 0
	}
	return s
}

func (r *entryReader) reason() freebusy.Reason {
	at := r.off
	v := r.uvarint()
	if r.err != nil {
		return 0
	}
	if v > 255 || v != 0 && freebusy.Reason(v).Sentinel() == nil {
		r.fail(at, "invalid reason %d", v)
		return 0
	}
	return freebusy.Reason(v)
}

func (r *entryReader) weekday() time.Weekday {
	at := r.off
	d := r.byte()
	if r.err == nil && d > byte(time.Saturday) {
		r.fail(at, "invalid weekday %d", d)
		return 0
	}
	return time.Weekday(d)
}

func (r *entryReader) duration() time.Duration {
	at := r.off
	d := r.varint()
	if r.err == nil && (d > maxDuration || d < -maxDuration) {
		r.fail(at, "duration %d out of range", d)
		return 0
	}
	return time.Duration(d)
}

func (r *entryReader) location() *time.Location {
	at := r.off
	switch kind := r.byte(); {
	case r.err != nil:
		return nil
	case kind == locNone:
		return nil
	case kind == locUTC:
		return time.UTC
	case kind == locName:
		name := r.string()
		if r.err != nil {
			return nil
		}
		if len(name) > maxLocName {
			r.fail(at, "zone name of %d bytes", len(name))
			return nil
		}
		loc, err := loadZone(name)
		if err != nil {
			r.fail(at, "unknown time zone %q", name)
			return nil
		}
		return loc
	case kind == locFixed:
		name := r.string()
		off := r.varint()
		if r.err == nil && (off > maxOffset || off < -maxOffset) {
			r.fail(at, "zone offset %d out of range", off)
		}
		if r.err != nil {
			return nil
		}
		return time.FixedZone(name, int(off))
	default:
		r.fail(at, "unknown zone kind %d", kind)
		return nil
	}
}
