package ical

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	goical "github.com/emersion/go-ical"
)

// VFREEBUSY (RFC 5545 §3.6.4) encoding and decoding. The status mapping
// and the reasons for calbridge's extensions are in the package
// documentation (doc.go).

// iCalendar names calbridge defines. They are documented on
// EncodeVFreeBusy.
const (
	// paramCalbridgeFBType refines FBTYPE with a Status name.
	paramCalbridgeFBType = "X-CALBRIDGE-FBTYPE"
	// fbTypeCalbridgeUnknown is the FBTYPE of Unknown (no data) periods.
	fbTypeCalbridgeUnknown = "X-CALBRIDGE-UNKNOWN"
	// fbTypeCalbridgeWorkingElsewhere is accepted on input as another
	// spelling of WorkingElsewhere.
	fbTypeCalbridgeWorkingElsewhere = "X-CALBRIDGE-WORKING-ELSEWHERE"
	// propCalbridgeError marks a failed schedule: its value is the message,
	// its parameters the reason and retry hint.
	propCalbridgeError       = "X-CALBRIDGE-ERROR"
	paramCalbridgeReason     = "X-CALBRIDGE-REASON"
	paramCalbridgeRetryAfter = "X-CALBRIDGE-RETRY-AFTER"
	// propCalbridgeStale carries freebusy.Schedule.Stale.
	propCalbridgeStale = "X-CALBRIDGE-STALE"
	// propRequestStatus is RFC 5545 §3.8.8.3 REQUEST-STATUS.
	propRequestStatus = "REQUEST-STATUS"
)

// FBTYPE values of RFC 5545 §3.2.9.
const (
	fbTypeFree            = "FREE"
	fbTypeBusy            = "BUSY"
	fbTypeBusyTentative   = "BUSY-TENTATIVE"
	fbTypeBusyUnavailable = "BUSY-UNAVAILABLE"
)

// DefaultProdID is the PRODID written when VFreeBusyOptions.ProdID is empty.
const DefaultProdID = "-//calbridge//calbridge freebusy//EN"

// ErrNoSchedules is returned by EncodeVFreeBusy for an empty batch: an
// iCalendar object needs at least one component (RFC 5545 §3.6).
var ErrNoSchedules = errors.New("ical: no schedules to encode")

// ErrNoStamp is returned by EncodeVFreeBusy when a schedule has no AsOf and
// VFreeBusyOptions.Stamp is zero: DTSTAMP is required (RFC 5545 §3.6.4).
var ErrNoStamp = errors.New("ical: VFREEBUSY needs a DTSTAMP: schedule has no AsOf and VFreeBusyOptions.Stamp is zero")

// VFreeBusyOptions tune EncodeVFreeBusy. The zero value is usable when every
// schedule has AsOf set.
type VFreeBusyOptions struct {
	// Stamp is the DTSTAMP of schedules whose AsOf is zero. DTSTAMP reads
	// back as freebusy.Schedule.AsOf.
	Stamp time.Time
	// Organizer, if set, is written as ORGANIZER (a cal-address; a bare
	// e-mail address gets "mailto:").
	Organizer string
	// ProdID is the calendar's PRODID; empty means DefaultProdID.
	ProdID string
	// Method, if set, is the calendar's METHOD (RFC 5546: "REPLY" for an
	// answer to a free/busy request, "PUBLISH" for published data).
	Method string
}

// EncodeVFreeBusy writes schedules as one iCalendar object holding one
// VFREEBUSY (RFC 5545 §3.6.4) per schedule, in order, with lines folded at
// 75 octets (RFC 5545 §3.1).
//
// Each VFREEBUSY has UID (derived from the attendee and window, so output is
// deterministic), DTSTAMP (Schedule.AsOf, else opt.Stamp), DTSTART and DTEND
// (the window), ATTENDEE, ORGANIZER when set, and one FREEBUSY line per
// interval of the schedule's canonical form (freebusy.Normalize with
// default options; the schedule itself is not modified), with FBTYPE as in
// the table of the package documentation. All times are UTC.
//
// Times are whole seconds: a fraction of a second rounds outward, the
// window's and each interval's start down and end up (docs/mapping.md
// §4.8, the rule of every calbridge encoder), so no busy time shrinks and
// no zero-length period, which RFC 5545 §3.3.9 forbids, is written. A
// second that rounding gives to several statuses takes the first of
// OutOfOffice, Busy, Tentative, Unknown, WorkingElsewhere present. DTSTAMP
// is truncated.
//
// ATTENDEE and ORGANIZER values are always valid URIs (RFC 5545 §3.3.3): an
// address without a URI scheme becomes a mailto: URI, percent-encoded as
// RFC 6068 §2 wants (non-ASCII included), and a display name
// ("Zoë Ünal <zoe@example.com>") goes to the CN parameter (§3.2.2,
// §3.8.4.1).
//
// Extensions, all ignorable by other clients:
//   - X-CALBRIDGE-STALE:TRUE when Schedule.Stale is set.
//   - A failed schedule (Err set) has no data: it gets one
//     FBTYPE=X-CALBRIDGE-UNKNOWN period over its whole window, so that other
//     clients read it as busy rather than free; an
//     X-CALBRIDGE-ERROR;X-CALBRIDGE-REASON=<reason>[;X-CALBRIDGE-RETRY-AFTER=<duration>]:<message>
//     property that DecodeVFreeBusy turns back into Schedule.Err; and an
//     RFC 5546 REQUEST-STATUS (3.7 for an unknown attendee, 3.8 for access
//     denied, 5.1 otherwise) for iTIP-aware clients.
//
// Not carried: Schedule.Events and WorkingHours, and sub-second precision
// (rounded outward, above).
//
// Errors: ErrNoSchedules, ErrNoStamp (wrapped with the schedule's index), a
// *freebusy.QueryError for a schedule whose window is empty or inverted
// (wrapped likewise), a *freebusy.ParseError for a time outside years
// 0-9999 or text iCalendar cannot carry, and write errors from w.
func EncodeVFreeBusy(w io.Writer, schedules []freebusy.Schedule, opt VFreeBusyOptions) error {
	if len(schedules) == 0 {
		return ErrNoSchedules
	}
	cal := goical.NewCalendar()
	prodID := opt.ProdID
	if prodID == "" {
		prodID = DefaultProdID
	}
	cal.Props.SetText(goical.PropProductID, prodID)
	cal.Props.SetText(goical.PropVersion, "2.0")
	if opt.Method != "" {
		cal.Props.SetText(goical.PropMethod, opt.Method)
	}
	params := fbTypeParams()
	var buf []byte
	for i := range schedules {
		comp, err := encodeSchedule(&schedules[i], i, opt, params, &buf)
		if err != nil {
			return fmt.Errorf("ical: encode schedule %d: %w", i, err)
		}
		cal.Children = append(cal.Children, comp)
	}
	if err := goical.NewEncoder(newFoldWriter(w)).Encode(cal); err != nil {
		return fmt.Errorf("ical: encode VFREEBUSY: %w", err)
	}
	return nil
}

// statusCount is the number of canonical statuses (Unknown, the zero value,
// through the last); TestStatusCount checks it against Status.Valid.
const statusCount = 6

// fbTypeParams returns the FREEBUSY parameters of each status. One map per
// status is shared by all the FREEBUSY properties of an encode call: the
// encoder only reads them.
func fbTypeParams() [statusCount]goical.Params {
	return [statusCount]goical.Params{
		freebusy.Unknown:          {goical.ParamFreeBusyType: {fbTypeCalbridgeUnknown}},
		freebusy.Free:             {goical.ParamFreeBusyType: {fbTypeFree}},
		freebusy.Tentative:        {goical.ParamFreeBusyType: {fbTypeBusyTentative}},
		freebusy.Busy:             {goical.ParamFreeBusyType: {fbTypeBusy}},
		freebusy.OutOfOffice:      {goical.ParamFreeBusyType: {fbTypeBusyUnavailable}},
		freebusy.WorkingElsewhere: {goical.ParamFreeBusyType: {fbTypeFree}, paramCalbridgeFBType: {freebusy.WorkingElsewhere.String()}},
	}
}

func encodeSchedule(s *freebusy.Schedule, index int, opt VFreeBusyOptions, params [statusCount]goical.Params, buf *[]byte) (*goical.Component, error) {
	comp := goical.NewComponent(goical.CompFreeBusy)
	stamp := s.AsOf
	if stamp.IsZero() {
		stamp = opt.Stamp
	}
	if stamp.IsZero() {
		return nil, ErrNoStamp
	}
	if err := setUTC(comp.Props, goical.PropDateTimeStamp, stamp, buf); err != nil {
		return nil, err
	}
	comp.Props.Set(&goical.Prop{Name: goical.PropUID, Params: goical.Params{}, Value: scheduleUID(s, index)})
	// The window and every period are rounded outward to whole seconds
	// (docs/mapping.md §4.8): iCalendar has no fractions of a second, and
	// a period rounded any other way can shrink to nothing, which RFC 5545
	// §3.3.9 forbids, and read as free.
	w := freebusy.Interval{Start: s.Start, End: s.End}.RoundOutward(time.Second)
	start, end := w.Start, w.End
	if err := setUTC(comp.Props, goical.PropDateTimeStart, start, buf); err != nil {
		return nil, err
	}
	if err := setUTC(comp.Props, goical.PropDateTimeEnd, end, buf); err != nil {
		return nil, err
	}
	if s.Attendee != "" {
		p, err := calAddressProp(goical.PropAttendee, s.Attendee)
		if err != nil {
			return nil, err
		}
		comp.Props.Set(p)
	}
	if opt.Organizer != "" {
		p, err := calAddressProp(goical.PropOrganizer, opt.Organizer)
		if err != nil {
			return nil, err
		}
		comp.Props.Set(p)
	}
	if s.Stale {
		comp.Props.Set(&goical.Prop{Name: propCalbridgeStale, Params: goical.Params{}, Value: "TRUE"})
	}
	if s.Err != nil {
		encodeFailure(comp.Props, s, start, end, params, buf)
		return comp, nil
	}
	ivs, err := roundOutward(s.Intervals, s.Start, s.End, start, end)
	if err != nil {
		return nil, err
	}
	fb := make([]goical.Prop, 0, len(ivs))
	for _, iv := range ivs {
		*buf = appendPeriod((*buf)[:0], iv.Start, iv.End)
		fb = append(fb, goical.Prop{Name: goical.PropFreeBusy, Params: params[iv.Status], Value: string(*buf)})
	}
	if len(fb) > 0 {
		comp.Props[goical.PropFreeBusy] = fb
	}
	return comp, nil
}

// encodeFailure writes a failed schedule: an Unknown period over the window,
// X-CALBRIDGE-ERROR and REQUEST-STATUS.
func encodeFailure(props goical.Props, s *freebusy.Schedule, start, end time.Time, params [statusCount]goical.Params, buf *[]byte) {
	if s.Start.Before(s.End) {
		*buf = appendPeriod((*buf)[:0], start, end)
		props.Set(&goical.Prop{Name: goical.PropFreeBusy, Params: params[freebusy.Unknown], Value: string(*buf)})
	}
	e := &goical.Prop{Name: propCalbridgeError, Params: goical.Params{}}
	e.Params.Set(paramCalbridgeReason, s.Err.Reason.String())
	if s.Err.RetryAfter > 0 {
		secs := int64((s.Err.RetryAfter + time.Second - 1) / time.Second)
		e.Params.Set(paramCalbridgeRetryAfter, "PT"+strconv.FormatInt(secs, 10)+"S")
	}
	e.Value = escapeText(s.Err.Message)
	props.Set(e)
	props.Set(&goical.Prop{Name: propRequestStatus, Params: goical.Params{}, Value: requestStatus(s.Err.Reason)})
}

// requestStatus returns the RFC 5546 §3.6 REQUEST-STATUS for a failure.
func requestStatus(r freebusy.Reason) string {
	switch r {
	case freebusy.ReasonUnknownAttendee:
		return "3.7;Invalid calendar user"
	case freebusy.ReasonAccessDenied:
		return "3.8;No authority"
	}
	return "5.1;Service unavailable"
}

// roundOutward returns ivs in canonical form over [start, end), with every
// interval widened to whole seconds (start rounded down, end rounded up;
// docs/mapping.md §4.8) over the rounded window [rstart, rend). A second
// that widening gives to several statuses (or to a status and free time)
// is collapsed as a view slot is (docs/mapping.md §5): the first of
// OutOfOffice, Busy, Tentative, Unknown, WorkingElsewhere, Free present
// wins, so no taken or unknown time reads as available. A non-empty
// interval never rounds to an empty one, so no zero-length period
// (forbidden by RFC 5545 §3.3.9) is written, and no busy time shrinks.
func roundOutward(ivs []freebusy.Interval, start, end, rstart, rend time.Time) ([]freebusy.Interval, error) {
	norm, _, err := freebusy.Normalize(ivs, start, end, freebusy.NormalizeOptions{})
	if err != nil {
		return nil, err
	}
	whole := true
	for i := range norm {
		if iv := &norm[i]; iv.Start.Nanosecond() != 0 || iv.End.Nanosecond() != 0 {
			whole = false
			*iv = iv.RoundOutward(time.Second)
		}
	}
	if whole {
		return norm, nil
	}
	// One single-interval schedule per interval: MergeGroup collapses
	// what overlaps by the slot rule, and uncovered time is Free.
	parts := make([]freebusy.Schedule, len(norm))
	for i := range norm {
		parts[i] = freebusy.Schedule{Start: rstart, End: rend, Intervals: norm[i : i+1]}
	}
	return freebusy.MergeGroup(parts, rstart, rend)
}

// setUTC sets a DATE-TIME property in UTC form.
func setUTC(props goical.Props, name string, t time.Time, buf *[]byte) error {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return &freebusy.ParseError{Kind: name, Input: t.String(), Err: errors.New("year outside 0-9999 cannot be written in iCalendar")}
	}
	*buf = appendUTCDateTime((*buf)[:0], t)
	props.Set(&goical.Prop{Name: name, Params: goical.Params{}, Value: string(*buf)})
	return nil
}

// scheduleUID derives a stable UID from the attendee, window and position.
func scheduleUID(s *freebusy.Schedule, index int) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%d", s.Attendee, s.Start.Unix(), s.End.Unix(), index)
	return fmt.Sprintf("%016x@calbridge", h.Sum64())
}

// calAddressProp builds an ATTENDEE or ORGANIZER property (RFC 5545
// §3.8.4.1, §3.8.4.3) from a, which is an e-mail address, a URI, or either
// with a display name ("Zoë Ünal <zoe@example.com>"). The display name
// goes to the CN parameter (§3.2.2); the value is always a valid
// CAL-ADDRESS URI (§3.3.3, RFC 3986): a bare address becomes a mailto: URI
// with its address percent-encoded as RFC 6068 §2 requires (non-ASCII
// octets, spaces, "%", "?", "#", "/" ...), a mailto: URI has its address
// re-encoded the same way, and another URI has the octets RFC 3986 allows
// nowhere (non-ASCII, spaces, "<", ">", DQUOTE, ...) percent-encoded.
// Control characters are refused (*freebusy.ParseError).
func calAddressProp(name, a string) (*goical.Prop, error) {
	if err := checkText(a); err != nil {
		return nil, err
	}
	cn, addr := splitNameAddr(a)
	p := &goical.Prop{Name: name, Params: goical.Params{}, Value: calAddress(addr)}
	if cn != "" {
		// A parameter value cannot carry DQUOTE (§3.1).
		p.Params.Set(goical.ParamCommonName, strings.ReplaceAll(cn, `"`, "'"))
	}
	return p, nil
}

// splitNameAddr splits an RFC 5322 name-addr ("Name <addr>", the name
// optionally quoted) into the display name and the address. Anything else
// is an address without a name.
func splitNameAddr(a string) (name, addr string) {
	t := strings.TrimSpace(a)
	lt := strings.LastIndexByte(t, '<')
	if lt < 0 || !strings.HasSuffix(t, ">") {
		return "", a
	}
	addr = strings.TrimSpace(t[lt+1 : len(t)-1])
	if addr == "" || strings.IndexByte(addr, '>') >= 0 {
		return "", a
	}
	name = strings.TrimSpace(t[:lt])
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		name = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(name[1 : len(name)-1])
	}
	return name, addr
}

// calAddress turns an address into an RFC 5545 §3.3.3 CAL-ADDRESS: a valid
// URI, mailto: when a has no URI scheme.
func calAddress(a string) string {
	switch {
	case hasMailto(a):
		return "mailto:" + escapeMailto(unescapeAll(a[len("mailto:"):]))
	case hasURIScheme(a):
		return escapeURI(a)
	}
	return "mailto:" + escapeMailto(a)
}

// hasMailto reports whether v starts with "mailto:", in any case.
func hasMailto(v string) bool {
	return len(v) >= 7 && strings.EqualFold(v[:7], "mailto:")
}

// mailtoSafe reports whether c may appear unencoded in the address of a
// mailto: URI: RFC 6068 §2 qchar (unreserved and some-delims) without ","
// (which separates addresses).
func mailtoSafe(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$'()*+;:@", c) >= 0
}

// uriUnsafe reports whether c may appear nowhere in an RFC 3986 URI.
func uriUnsafe(c byte) bool {
	return c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}", c) >= 0
}

const upperHex = "0123456789ABCDEF"

func escapeMailto(s string) string { return escapeIf(s, func(c byte) bool { return !mailtoSafe(c) }) }

func escapeURI(s string) string { return escapeIf(s, uriUnsafe) }

// escapeIf percent-encodes the octets of s for which esc is true.
func escapeIf(s string, esc func(byte) bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if esc(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; esc(c) {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

// unescapeAll decodes every %XX of s; a "%" not followed by two hex digits
// is kept as it is.
func unescapeAll(s string) string { return unescapeIf(s, func(byte) bool { return true }) }

// unescapeIf decodes the %XX sequences of s that encode an octet for which
// dec is true.
func unescapeIf(s string, dec func(byte) bool) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if v := hi<<4 | lo; ok1 && ok2 && dec(v) {
				b = append(b, v)
				i += 2
				continue
			}
		}
		b = append(b, c)
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hasURIScheme reports whether s starts with an RFC 3986 scheme and colon.
func hasURIScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// attendeeOf reads the attendee of an ATTENDEE value: the inverse of
// calAddress, lenient about what real producers write. A mailto: URI gives
// its address, percent-decoded (RFC 6068 §2); raw non-ASCII and spaces,
// which some producers write unencoded, are kept. Another URI is kept,
// with only the octets calAddress escapes decoded. A display name in the
// value ("mailto:Zoë Ünal <zoe@example.com>", as calbridge itself once
// wrote it) is dropped: the attendee is the address; the name belongs in
// CN.
func attendeeOf(v string) string {
	// Each pass that changes v shortens it, so the loop ends; it unwraps
	// "mailto:mailto:..." and names around URIs.
	for {
		a := v
		switch {
		case hasMailto(a):
			a = unescapeAll(a[len("mailto:"):])
		case hasURIScheme(a):
			a = unescapeIf(a, uriUnsafe)
		}
		if _, addr := splitNameAddr(a); addr != a {
			a = addr
		}
		if a == v {
			return a
		}
		v = a
	}
}

// checkText refuses control characters, which no property value may carry
// unescaped.
func checkText(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return &freebusy.ParseError{Kind: "cal-address", Input: s, Offset: i, Err: errors.New("control character")}
		}
	}
	return nil
}

// escapeText escapes an RFC 5545 §3.3.11 TEXT value. Line breaks (CR, LF,
// CRLF) become "\n"; other control characters, which TEXT cannot carry,
// become spaces.
func escapeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case '\n':
			b.WriteString(`\n`)
		default:
			if c < 0x20 && c != '\t' || c == 0x7f {
				c = ' '
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// VFreeBusyReport counts what DecodeVFreeBusy read and what it dropped or
// reinterpreted, so that nothing disappears without a trace.
type VFreeBusyReport struct {
	// Components counts the VFREEBUSY components read.
	Components int
	// Merged counts components folded into the schedule of an earlier one
	// for the same attendee (servers that write one VFREEBUSY per interval,
	// docs/peers.md §3.8).
	Merged int
	// Periods counts the FREEBUSY periods read (several may share a line).
	Periods int
	// UnknownTypes counts periods whose FBTYPE calbridge does not know,
	// read as Busy as RFC 5545 §3.2.9 requires.
	UnknownTypes int
	// Ignored counts other components (VEVENT, VTIMEZONE, ...) skipped.
	Ignored int
	// Incomplete counts one-interval components (FBTYPE as a property)
	// whose interval has no start or no end, and so could not be read.
	Incomplete int
	// Normalize sums the Normalize reports of the schedules: Domino DAS's
	// inverted first period (docs/notes.md §2.2.6) is dropped and
	// counted in Normalize.Inverted.
	Normalize freebusy.NormalizeReport
}

// DecodeVFreeBusy reads every VFREEBUSY (RFC 5545 §3.6.4) of one or more
// iCalendar objects from r and returns one Schedule per attendee, in order
// of first appearance, in canonical form (see freebusy.Schedule.Normalize,
// default options), and a report of what was read and dropped.
//
// It accepts what peers write (docs/notes.md §2.2.4, docs/peers.md §3-§4):
// FREEBUSY periods in start/end and start/duration form, several periods per
// line, FBTYPE missing (BUSY), several VFREEBUSY components for the same
// attendee (merged: their windows are joined), one VFREEBUSY per interval
// with the interval in DTSTART/DTEND and FBTYPE as a property (Radicale),
// no ATTENDEE at all (Domino DAS: the schedule's Attendee is ""), and the
// calbridge extensions written by EncodeVFreeBusy. An attendee is the
// address of a mailto: URI, percent-decoded (raw non-ASCII, as some
// producers write it, is kept; a display name inside the value is
// dropped, CN is not read), or another URI as written. DTSTAMP becomes Schedule.AsOf (the latest, when merged).
// A component without DTSTART or DTEND gets the span of its periods as its
// window. Without X-CALBRIDGE-ERROR, a REQUEST-STATUS of 3.7, 3.8 or 5.x
// marks the schedule failed (unknown attendee, access denied, unavailable).
//
// Errors are *freebusy.ParseError (matching freebusy.ErrInvalid): Kind
// "iCalendar" for malformed iCalendar, "FREEBUSY" or the property name for
// a bad value, with the line where go-ical's unfolding allows it to be
// found. Read errors from r are returned as they are.
func DecodeVFreeBusy(r io.Reader) ([]freebusy.Schedule, VFreeBusyReport, error) {
	var rep VFreeBusyReport
	data, err := readAllLimited(r)
	if err != nil {
		return nil, rep, err
	}
	d := vfbDecoder{data: data, rep: &rep, byAttendee: map[string]int{}}
	if err := decodeCalendars(data, d.calendar); err != nil {
		return nil, rep, err
	}
	for i := range d.out {
		s := &d.out[i]
		if s.Err != nil {
			s.Intervals = nil
			continue
		}
		if s.Start.IsZero() || s.End.IsZero() {
			inferWindow(s)
		}
		if !s.Start.Before(s.End) {
			if len(s.Intervals) > 0 {
				return nil, rep, &freebusy.ParseError{Kind: "VFREEBUSY", Input: s.Attendee, Line: componentLine(data, goical.CompFreeBusy, d.first[i], "", 0), Err: errors.New("window is empty or inverted")}
			}
			s.Intervals = nil
			continue
		}
		if isCanonical(s.Intervals, s.Start, s.End) {
			// calbridge's own output, and most servers', needs no work.
			continue
		}
		nr, err := s.Normalize()
		if err != nil {
			return nil, rep, &freebusy.ParseError{Kind: "VFREEBUSY", Input: s.Attendee, Line: componentLine(data, goical.CompFreeBusy, d.first[i], "", 0), Err: err}
		}
		addNormalizeReport(&rep.Normalize, nr)
	}
	return d.out, rep, nil
}

// isCanonical reports whether ivs are already in the form Normalize
// produces over [start, end): sorted, disjoint, inside the window,
// non-empty, never Free, and neighbours that touch differ in status.
func isCanonical(ivs []freebusy.Interval, start, end time.Time) bool {
	for i := range ivs {
		iv := &ivs[i]
		if !iv.Status.Valid() || iv.Status == freebusy.Free || !iv.Start.Before(iv.End) || iv.Start.Before(start) || iv.End.After(end) {
			return false
		}
		if i > 0 {
			prev := &ivs[i-1]
			if iv.Start.Before(prev.End) || iv.Start.Equal(prev.End) && iv.Status == prev.Status {
				return false
			}
		}
	}
	return true
}

// inferWindow sets a missing window edge from the span of the intervals.
func inferWindow(s *freebusy.Schedule) {
	var lo, hi time.Time
	for i, iv := range s.Intervals {
		a, b := iv.Start, iv.End
		if b.Before(a) {
			a, b = b, a
		}
		if i == 0 || a.Before(lo) {
			lo = a
		}
		if i == 0 || b.After(hi) {
			hi = b
		}
	}
	if s.Start.IsZero() {
		s.Start = lo
	}
	if s.End.IsZero() {
		s.End = hi
	}
}

func addNormalizeReport(sum *freebusy.NormalizeReport, r freebusy.NormalizeReport) {
	sum.Empty += r.Empty
	sum.Inverted += r.Inverted
	sum.Clipped += r.Clipped
	sum.Outside += r.Outside
}

// vfbDecoder turns decoded VFREEBUSY components into schedules.
type vfbDecoder struct {
	data       []byte
	rep        *VFreeBusyReport
	out        []freebusy.Schedule
	first      []int          // ordinal of the first component of each schedule, for errors
	byAttendee map[string]int // lower-cased attendee -> index in out
	ordinal    int            // VFREEBUSY components seen, for locating errors
}

func (d *vfbDecoder) calendar(cal *goical.Calendar) error {
	for _, comp := range cal.Children {
		if comp.Name != goical.CompFreeBusy {
			d.rep.Ignored++
			continue
		}
		err := d.component(comp, d.ordinal)
		d.ordinal++
		if err != nil {
			return err
		}
	}
	return nil
}

// fail builds the *ParseError for property prop (its n-th occurrence) of the
// ordinal-th VFREEBUSY.
func (d *vfbDecoder) fail(ordinal int, prop string, n int, input string, offset int, cause error) error {
	return &freebusy.ParseError{Kind: prop, Input: input, Offset: offset, Line: componentLine(d.data, goical.CompFreeBusy, ordinal, prop, n), Err: cause}
}

func (d *vfbDecoder) component(comp *goical.Component, ordinal int) error {
	d.rep.Components++
	props := comp.Props
	attendee := ""
	if p := firstProp(props, goical.PropAttendee); p != nil {
		attendee = attendeeOf(p.Value)
	}
	key := strings.ToLower(attendee)
	idx, merged := d.byAttendee[key]
	if merged {
		d.rep.Merged++
	} else {
		idx = len(d.out)
		d.byAttendee[key] = idx
		d.out = append(d.out, freebusy.Schedule{Attendee: attendee})
		d.first = append(d.first, ordinal)
	}
	s := &d.out[idx]

	start, err := d.utcProp(props, goical.PropDateTimeStart, ordinal)
	if err != nil {
		return err
	}
	end, err := d.utcProp(props, goical.PropDateTimeEnd, ordinal)
	if err != nil {
		return err
	}
	if p := firstProp(props, goical.PropDuration); end.IsZero() && !start.IsZero() && p != nil {
		// RFC 2445 allowed DTSTART with DURATION, and Radicale's
		// one-interval components may use it.
		dur, derr := parseDuration(strings.ToUpper(strings.TrimSpace(p.Value)))
		if derr != nil {
			return d.fail(ordinal, goical.PropDuration, 0, p.Value, 0, derr)
		}
		end = dur.addTo(start)
	}
	stamp, err := d.utcProp(props, goical.PropDateTimeStamp, ordinal)
	if err != nil {
		return err
	}
	if !start.IsZero() && (s.Start.IsZero() || start.Before(s.Start)) {
		s.Start = start
	}
	if !end.IsZero() && (s.End.IsZero() || end.After(s.End)) {
		s.End = end
	}
	if stamp.After(s.AsOf) {
		s.AsOf = stamp
	}
	if p := firstProp(props, propCalbridgeStale); p != nil && strings.EqualFold(p.Value, "TRUE") {
		s.Stale = true
	}
	if e, err := d.failure(props, attendee, ordinal); err != nil {
		return err
	} else if e != nil && s.Err == nil {
		s.Err = e
	}

	fbProps := props[goical.PropFreeBusy]
	if len(fbProps) == 0 {
		// Radicale's shape: the interval is the component's own window and
		// FBTYPE is a property.
		if p := firstProp(props, goical.ParamFreeBusyType); p != nil {
			if start.IsZero() || end.IsZero() {
				d.rep.Incomplete++
				return nil
			}
			st := d.fbStatus(p.Value, "")
			d.rep.Periods++
			s.Intervals = append(s.Intervals, freebusy.Interval{Start: start, End: end, Status: st})
		}
		return nil
	}
	if cap(s.Intervals) == 0 {
		s.Intervals = make([]freebusy.Interval, 0, len(fbProps))
	}
	for n := range fbProps {
		p := &fbProps[n]
		var fbType, refine string
		if len(p.Params) > 0 {
			fbType = firstParam(p.Params, goical.ParamFreeBusyType)
			if len(p.Params) > 1 {
				refine = firstParam(p.Params, paramCalbridgeFBType)
			}
		}
		st := d.fbStatus(fbType, refine)
		value := p.Value
		offset := 0
		for {
			period := value
			comma := strings.IndexByte(value, ',')
			if comma >= 0 {
				period = value[:comma]
			}
			ps, pe, err := parsePeriod(period)
			if err != nil {
				var pe *freebusy.ParseError
				if errors.As(err, &pe) {
					return d.fail(ordinal, goical.PropFreeBusy, n, p.Value, offset+pe.Offset, pe.Err)
				}
				return d.fail(ordinal, goical.PropFreeBusy, n, p.Value, offset, err)
			}
			d.rep.Periods++
			s.Intervals = append(s.Intervals, freebusy.Interval{Start: ps, End: pe, Status: st})
			if comma < 0 {
				break
			}
			value = value[comma+1:]
			offset += comma + 1
		}
	}
	return nil
}

// fbStatus maps an FBTYPE value (RFC 5545 §3.2.9) and calbridge's refining
// x-param to a Status. Unrecognised FBTYPE values read as Busy and are
// counted.
func (d *vfbDecoder) fbStatus(fbType, refine string) freebusy.Status {
	if refine != "" {
		if st, err := freebusy.ParseStatus(refine); err == nil {
			return st
		}
	}
	switch fbType { // exact spellings first: the common case, and cheap
	case "", fbTypeBusy:
		return freebusy.Busy
	case fbTypeBusyTentative:
		return freebusy.Tentative
	case fbTypeBusyUnavailable:
		return freebusy.OutOfOffice
	case fbTypeFree:
		return freebusy.Free
	case fbTypeCalbridgeUnknown:
		return freebusy.Unknown
	}
	switch {
	case strings.EqualFold(fbType, fbTypeBusy):
		return freebusy.Busy
	case strings.EqualFold(fbType, fbTypeBusyTentative):
		return freebusy.Tentative
	case strings.EqualFold(fbType, fbTypeBusyUnavailable):
		return freebusy.OutOfOffice
	case strings.EqualFold(fbType, fbTypeFree):
		return freebusy.Free
	case strings.EqualFold(fbType, fbTypeCalbridgeUnknown):
		return freebusy.Unknown
	case isWorkingElsewhereFBType(fbType):
		return freebusy.WorkingElsewhere
	}
	d.rep.UnknownTypes++
	return freebusy.Busy
}

// isWorkingElsewhereFBType accepts calbridge's x-name and the spellings of
// other Exchange bridges (evolution-ews writes "X-Working elsewhere",
// docs/exchange.md §4.3).
func isWorkingElsewhereFBType(v string) bool {
	if !strings.HasPrefix(strings.ToUpper(v), "X-") {
		return false
	}
	norm := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_':
			return -1
		}
		return r
	}, strings.ToUpper(v[2:]))
	return norm == "WORKINGELSEWHERE" || norm == "CALBRIDGEWORKINGELSEWHERE"
}

// failure reads X-CALBRIDGE-ERROR, or failing that a failing
// REQUEST-STATUS.
func (d *vfbDecoder) failure(props goical.Props, attendee string, ordinal int) (*freebusy.Error, error) {
	if p := firstProp(props, propCalbridgeError); p != nil {
		e := &freebusy.Error{Attendee: attendee, Reason: freebusy.ReasonInternal}
		if r, err := freebusy.ParseReason(strings.ToLower(firstParam(p.Params, paramCalbridgeReason))); err == nil && r != freebusy.ReasonNone {
			e.Reason = r
		}
		if v := firstParam(p.Params, paramCalbridgeRetryAfter); v != "" {
			dur, err := parseDuration(v)
			if err != nil || dur.days < 0 || dur.exact < 0 {
				return nil, d.fail(ordinal, propCalbridgeError, 0, v, 0, errBadDuration)
			}
			e.RetryAfter = time.Duration(dur.days)*24*time.Hour + dur.exact
		}
		msg, err := p.Text()
		if err != nil {
			msg = p.Value
		}
		e.Message = msg
		return e, nil
	}
	for _, p := range props[propRequestStatus] {
		code, text, _ := strings.Cut(p.Value, ";")
		text, _, _ = strings.Cut(text, ";")
		var reason freebusy.Reason
		switch {
		case code == "3.7":
			reason = freebusy.ReasonUnknownAttendee
		case code == "3.8":
			reason = freebusy.ReasonAccessDenied
		case strings.HasPrefix(code, "5."):
			reason = freebusy.ReasonUnavailable
		default:
			continue
		}
		return &freebusy.Error{Attendee: attendee, Reason: reason, Message: text}, nil
	}
	return nil, nil
}

// utcProp reads a DATE-TIME property that RFC 5545 §3.6.4 wants in UTC. A
// local time with TZID is converted when the zone loads; a floating time is
// read as UTC. A missing property gives the zero time.
func (d *vfbDecoder) utcProp(props goical.Props, name string, ordinal int) (time.Time, error) {
	p := firstProp(props, name)
	if p == nil {
		return time.Time{}, nil
	}
	if t, ok := parseUTCDateTime(p.Value); ok {
		return t, nil
	}
	tzid := firstParam(p.Params, goical.ParamTimezoneID)
	t, err := p.DateTime(time.UTC)
	if iana, ok := freebusy.WindowsToIANA(strings.Trim(tzid, `"`)); err != nil && ok {
		// Outlook writes Windows zone ids in TZID.
		if loc := loadIANA(iana); loc != nil {
			if f, fok := parseDateTimeFields(strings.TrimSpace(p.Value)); fok {
				t, err = f.in(loc), nil
			}
		}
	}
	if err != nil || strings.EqualFold(tzid, "Local") {
		if err == nil {
			err = errors.New("TZID=Local names no zone")
		}
		return time.Time{}, d.fail(ordinal, name, 0, p.Value, 0, err)
	}
	return t.UTC(), nil
}

// firstProp returns the first property named name (upper case), or nil.
func firstProp(props goical.Props, name string) *goical.Prop {
	if l := props[name]; len(l) > 0 {
		return &l[0]
	}
	return nil
}

// firstParam returns the first value of parameter name (upper case).
func firstParam(params goical.Params, name string) string {
	if v := params[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
