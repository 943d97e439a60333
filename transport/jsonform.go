package transport

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/calbridge/calbridge/freebusy"
)

// The JSON form of calbridge.freebusy results, written by hand. Peers that
// do not speak the compact form (stock JSON-RPC clients, calbridge
// clients before it) still get this form, and encoding/json spends most
// of its time on it in reflection and in MarshalJSON calls that allocate
// for every instant and status. appendJSONResult writes the very bytes
// the server's encoding/json encoder writes (TestJSONFormMatchesEncodingJSON
// and its fuzz target hold it to that), at a fraction of the cost.

// appendJSONResult appends {"schedules":[...]} as encoding/json writes
// freeBusyResult with HTML escaping off, and fails where it fails.
func appendJSONResult(dst []byte, ss []freebusy.Schedule) ([]byte, error) {
	if ss == nil {
		return append(dst, `{"schedules":null}`...), nil
	}
	dst = append(dst, `{"schedules":[`...)
	for i := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendJSONSchedule(dst, &ss[i]); err != nil {
			return dst, err
		}
	}
	return append(dst, "]}"...), nil
}

// appendJSONSchedule writes the members of freebusy.Schedule in their
// declaration order, with their omitempty and omitzero rules.
func appendJSONSchedule(dst []byte, s *freebusy.Schedule) ([]byte, error) {
	var err error
	dst = append(dst, `{"attendee":`...)
	dst = appendJSONText(dst, s.Attendee, false)
	dst = append(dst, `,"start":`...)
	if dst, err = appendJSONTime(dst, s.Start); err != nil {
		return dst, err
	}
	dst = append(dst, `,"end":`...)
	if dst, err = appendJSONTime(dst, s.End); err != nil {
		return dst, err
	}
	if len(s.Intervals) > 0 {
		dst = append(dst, `,"intervals":[`...)
		for k := range s.Intervals {
			iv := &s.Intervals[k]
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"start":`...)
			if dst, err = appendJSONTime(dst, iv.Start); err != nil {
				return dst, err
			}
			dst = append(dst, `,"end":`...)
			if dst, err = appendJSONTime(dst, iv.End); err != nil {
				return dst, err
			}
			if dst, err = appendJSONStatus(dst, iv.Status); err != nil {
				return dst, err
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(s.Events) > 0 {
		dst = append(dst, `,"events":[`...)
		for k := range s.Events {
			if k > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendJSONEvent(dst, &s.Events[k]); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	}
	if w := s.WorkingHours; w != nil {
		if dst, err = appendJSONWorkingHours(dst, w); err != nil {
			return dst, err
		}
	}
	if !s.AsOf.IsZero() {
		dst = append(dst, `,"asOf":`...)
		if dst, err = appendJSONTime(dst, s.AsOf); err != nil {
			return dst, err
		}
	}
	if s.Stale {
		dst = append(dst, `,"stale":true`...)
	}
	if s.StaleReason != freebusy.ReasonNone {
		name, err := s.StaleReason.MarshalText()
		if err != nil {
			return dst, err
		}
		dst = append(dst, `,"staleReason":`...)
		dst = appendJSONText(dst, string(name), false)
	}
	if e := s.Err; e != nil {
		if dst, err = appendJSONError(dst, e, true); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendJSONEvent(dst []byte, ev *freebusy.Event) ([]byte, error) {
	var err error
	dst = append(dst, `{"start":`...)
	if dst, err = appendJSONTime(dst, ev.Start); err != nil {
		return dst, err
	}
	dst = append(dst, `,"end":`...)
	if dst, err = appendJSONTime(dst, ev.End); err != nil {
		return dst, err
	}
	if dst, err = appendJSONStatus(dst, ev.Status); err != nil {
		return dst, err
	}
	for _, m := range [...]struct {
		name, value string
	}{{`,"id":`, ev.ID}, {`,"subject":`, ev.Subject}, {`,"location":`, ev.Location}} {
		if m.value != "" {
			dst = append(dst, m.name...)
			dst = appendJSONText(dst, m.value, false)
		}
	}
	for _, f := range [...]struct {
		name string
		on   bool
	}{{`,"private":true`, ev.Private}, {`,"meeting":true`, ev.Meeting}, {`,"recurring":true`, ev.Recurring}, {`,"exception":true`, ev.Exception}, {`,"reminder":true`, ev.Reminder}} {
		if f.on {
			dst = append(dst, f.name...)
		}
	}
	return append(dst, '}'), nil
}

// appendJSONStatus appends ,"status":"<name>", refusing undeclared
// statuses as Status.MarshalText does.
func appendJSONStatus(dst []byte, st freebusy.Status) ([]byte, error) {
	if !st.Valid() || int(st) >= len(statusNames) {
		return dst, &freebusy.ParseError{Kind: "status", Input: st.String()}
	}
	dst = append(dst, `,"status":"`...)
	dst = append(dst, statusNames[st]...)
	return append(dst, '"'), nil
}

// statusNames are the statuses' names, as Status.String writes them.
var statusNames = func() (names [len(statusDigits)]string) {
	for i := range names {
		names[i] = freebusy.Status(i).String()
	}
	return names
}()

// appendJSONWorkingHours appends ,"workingHours":{...} as
// freebusy.WorkingHours' MarshalJSON writes it (through json.Marshal, so
// with HTML escaping).
func appendJSONWorkingHours(dst []byte, w *freebusy.WorkingHours) ([]byte, error) {
	if err := w.Validate(); err != nil {
		return dst, err
	}
	dst = append(dst, `,"workingHours":{"timeZone":`...)
	dst = appendJSONText(dst, w.Location.String(), true)
	dst = append(dst, `,"periods":[`...)
	for i, p := range w.Periods {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"days":[`...)
		for k, d := range p.Days {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = append(dst, weekdayNames[d]...)
			dst = append(dst, '"')
		}
		dst = append(dst, `],"start":"`...)
		dst = appendClock(dst, p.Start)
		dst = append(dst, `","end":"`...)
		dst = appendClock(dst, p.End)
		dst = append(dst, `"}`...)
	}
	return append(dst, "]}"...), nil
}

// weekdayNames are the lower-case English weekday names the JSON form
// uses.
var weekdayNames = [...]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// appendClock writes "HH:MM", or "HH:MM:SS" when there are seconds, as
// the working hours' JSON does.
func appendClock(dst []byte, d time.Duration) []byte {
	two := func(dst []byte, n int) []byte { return append(dst, byte('0'+n/10), byte('0'+n%10)) }
	dst = two(dst, int(d/time.Hour))
	dst = append(dst, ':')
	dst = two(dst, int(d%time.Hour/time.Minute))
	if sec := int(d % time.Minute / time.Second); sec != 0 {
		dst = append(dst, ':')
		dst = two(dst, sec)
	}
	return dst
}

// appendJSONError appends ,"error":{...} with the members freebusy.Error's
// MarshalJSON writes. With escapeHTML it is byte for byte what that
// method writes (through json.Marshal, so with HTML escaping); the compact
// form writes the same object without the escaping.
func appendJSONError(dst []byte, e *freebusy.Error, escapeHTML bool) ([]byte, error) {
	reason, err := e.Reason.MarshalText()
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"error":{`...)
	if e.Attendee != "" {
		dst = append(dst, `"attendee":`...)
		dst = appendJSONText(dst, e.Attendee, escapeHTML)
		dst = append(dst, ',')
	}
	dst = append(dst, `"reason":`...)
	dst = appendJSONText(dst, string(reason), escapeHTML)
	if e.Message != "" {
		dst = append(dst, `,"message":`...)
		dst = appendJSONText(dst, e.Message, escapeHTML)
	}
	ms := int64(e.RetryAfter / time.Millisecond)
	if e.RetryAfter%time.Millisecond > 0 {
		ms++ // never ask again sooner than the source said
	}
	if ms != 0 {
		dst = append(dst, `,"retryAfterMs":`...)
		dst = strconv.AppendInt(dst, ms, 10)
	}
	return append(dst, '}'), nil
}

var (
	errJSONYear = errors.New("transport: Time.MarshalJSON: year outside of range [0,9999]")
	errJSONZone = errors.New("transport: Time.MarshalJSON: timezone hour outside of range [0,23]")
)

// appendJSONTime appends t as time.Time's MarshalJSON does: RFC 3339 with
// nanoseconds, in t's own zone, refusing what RFC 3339 cannot write.
func appendJSONTime(dst []byte, t time.Time) ([]byte, error) {
	dst = append(dst, '"')
	n0 := len(dst)
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	// The checks of time's appendStrictRFC3339.
	switch {
	case len(dst)-n0 < len("0000-00-00T00:00:00Z") || dst[n0+len("9999")] != '-':
		return dst, errJSONYear
	case dst[len(dst)-1] != 'Z':
		c := dst[len(dst)-len("Z07:00")]
		if ('0' <= c && c <= '9') || 10*(dst[len(dst)-5]-'0')+(dst[len(dst)-4]-'0') >= 24 {
			return dst, errJSONZone
		}
	}
	return append(dst, '"'), nil
}

// appendJSONText appends s as a JSON string as encoding/json writes it:
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped, and with html set
// '<', '>' and '&' escaped too.
func appendJSONText(dst []byte, s string, html bool) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if !html {
			// Runs of bytes that need nothing, eight at a time; with
			// html, '<', '>' and '&' are not among them (and the strings
			// are the rare ones: zones, error messages).
			if i = plainRun(s, i); i == len(s) {
				break
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if plainStringByte[c] && !(html && (c == '<' || c == '>' || c == '&')) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
