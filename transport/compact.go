package transport

import (
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/calbridge/calbridge/freebusy"
)

// The compact form of calbridge.freebusy results (PROTOCOL.md "Compact
// schedules"). The JSON form spells every instant as an RFC 3339 string
// and every status as a word, and encoding/json reaches each of them
// through a reflection-driven MarshalJSON and back through a re-validating
// UnmarshalJSON: for a week of 100 calendars that is most of the link's
// CPU. The compact form is still one JSON value, so that stock JSON-RPC
// readers can parse it, but it writes instants as seconds from a base,
// statuses as digits and intervals as flat number triples with their
// count first, which a hand-written appender writes and a single-pass
// decoder reads with one allocation per slice.

// CompactForm is the name of the compact form of calbridge.freebusy
// results, as a client offers it in the "forms" of its calbridge.hello
// and a server accepts it in the "form" of its reply.
const CompactForm = "compact1"

// compactPrefix opens every compact result: the form comes first, so that
// a reader can tell the forms apart by their first bytes.
const compactPrefix = `{"form":"` + CompactForm + `","base":`

// The instants the compact form carries: those of the years 0000 to 9999,
// in UTC, the range RFC 3339 (and so the JSON form) can write.
const (
	minInstant = -62167219200 // 0000-01-01T00:00:00Z in Unix seconds
	maxInstant = 253402300799 // 9999-12-31T23:59:59Z in Unix seconds
)

// statusDigits and digitStatuses are the status digits of the compact
// form (PROTOCOL.md "Compact schedules"): the protocol's own table, not
// freebusy's numbering, which is not a wire format.
var (
	statusDigits = [...]byte{
		freebusy.Unknown:          '0',
		freebusy.Free:             '1',
		freebusy.Tentative:        '2',
		freebusy.Busy:             '3',
		freebusy.OutOfOffice:      '4',
		freebusy.WorkingElsewhere: '5',
	}
	digitStatuses = [...]freebusy.Status{ // indexed by the digit's value
		0: freebusy.Unknown,
		1: freebusy.Free,
		2: freebusy.Tentative,
		3: freebusy.Busy,
		4: freebusy.OutOfOffice,
		5: freebusy.WorkingElsewhere,
	}
)

// statusDigit returns st's digit, refusing undeclared statuses as
// Status.MarshalText does, and any status the table does not have yet.
func statusDigit(st freebusy.Status) (byte, error) {
	if !st.Valid() || int(st) >= len(statusDigits) {
		return 0, &freebusy.ParseError{Kind: "status", Input: st.String()}
	}
	return statusDigits[st], nil
}

// The flag bits of an event in the compact form.
const (
	eventPrivate = 1 << iota
	eventMeeting
	eventRecurring
	eventException
	eventReminder
	eventFlagsAll = 1<<iota - 1
)

// CompactError reports bytes that are not a compact result this package
// can read: a syntax error, a number or instant out of range, a count that
// does not match its items, or a value the JSON form would refuse too (an
// unknown status, reason or time zone; invalid working hours). Offset is
// the byte offset in the decoded input where the problem was found. A
// CompactError matches ErrProtocol with errors.Is, and unwraps to Err, the
// freebusy error behind a refused value, when there is one.
type CompactError struct {
	// Offset is the byte offset of the problem in the input.
	Offset int
	// Detail says what is wrong.
	Detail string
	// Err is the underlying error (a *freebusy.ParseError, an error
	// matching freebusy.ErrBadWorkingHours), or nil.
	Err error
}

// Error implements error.
func (e *CompactError) Error() string {
	msg := "transport: invalid compact schedules at offset " + strconv.Itoa(e.Offset) + ": " + e.Detail
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *CompactError) Unwrap() error { return e.Err }

// Is makes a CompactError match ErrProtocol: a peer sent what the
// protocol does not allow.
func (e *CompactError) Is(target error) bool { return target == ErrProtocol }

// AppendCompactSchedules appends ss in the compact form to dst: the result
// object of calbridge.freebusy, {"form":"compact1","base":...,"schedules":
// [...]} (PROTOCOL.md "Compact schedules"). It refuses what the JSON form
// refuses: an undeclared status or reason, working hours that do not
// validate, an instant outside the years 0000 to 9999. On an error the
// returned slice holds a partial value and must be discarded.
//
// Instants are carried as instants: a schedule whose times are in another
// zone reads back in UTC, with the same instants.
func AppendCompactSchedules(dst []byte, ss []freebusy.Schedule) ([]byte, error) {
	var base int64
	if len(ss) > 0 {
		base = ss[0].Start.Unix()
	}
	dst = append(dst, compactPrefix...)
	dst = strconv.AppendInt(dst, base, 10)
	dst = append(dst, `,"schedules":[`...)
	for i := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendCompactSchedule(dst, &ss[i], base); err != nil {
			return dst, fmt.Errorf("transport: cannot encode schedule %d: %w", i, err)
		}
	}
	return append(dst, "]}"...), nil
}

func appendCompactSchedule(dst []byte, s *freebusy.Schedule, base int64) ([]byte, error) {
	var err error
	dst = append(dst, `{"attendee":`...)
	dst = appendJSONText(dst, s.Attendee, false)
	dst = append(dst, `,"start":`...)
	if dst, err = appendInstant(dst, s.Start, base); err != nil {
		return dst, err
	}
	dst = append(dst, `,"end":`...)
	if dst, err = appendInstant(dst, s.End, base); err != nil {
		return dst, err
	}
	if len(s.Intervals) > 0 {
		dst = append(dst, `,"intervals":[`...)
		dst = strconv.AppendInt(dst, int64(len(s.Intervals)), 10)
		// Room for all the intervals at once when their offsets have up
		// to seven digits (115 days), so that the loop below appends
		// without growing; appendPlainInterval wants 22 bytes spare.
		dst = slices.Grow(dst, len(s.Intervals)*len(",6048000,6048000,3")+22)
		for k := range s.Intervals {
			iv := &s.Intervals[k]
			if next, ok := appendPlainInterval(dst, iv, base); ok {
				dst = next
				continue
			}
			dst = append(dst, ',')
			if dst, err = appendInstant(dst, iv.Start, base); err != nil {
				return dst, err
			}
			dst = append(dst, ',')
			if dst, err = appendInstant(dst, iv.End, base); err != nil {
				return dst, err
			}
			digit, err := statusDigit(iv.Status)
			if err != nil {
				return dst, err
			}
			dst = append(dst, ',', digit)
		}
		dst = append(dst, ']')
	}
	if len(s.Events) > 0 {
		dst = append(dst, `,"events":[`...)
		dst = strconv.AppendInt(dst, int64(len(s.Events)), 10)
		for k := range s.Events {
			if dst, err = appendCompactEvent(dst, &s.Events[k], base); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	}
	if w := s.WorkingHours; w != nil {
		if err := w.Validate(); err != nil {
			return dst, err
		}
		dst = append(dst, `,"workingHours":[`...)
		dst = appendJSONText(dst, w.Location.String(), false)
		for _, p := range w.Periods {
			dst = append(dst, `,["`...)
			for _, d := range p.Days {
				dst = append(dst, byte('0'+d))
			}
			dst = append(dst, `",`...)
			dst = strconv.AppendInt(dst, int64(p.Start/time.Second), 10)
			dst = append(dst, ',')
			dst = strconv.AppendInt(dst, int64(p.End/time.Second), 10)
			dst = append(dst, ']')
		}
		dst = append(dst, ']')
	}
	if !s.AsOf.IsZero() {
		dst = append(dst, `,"asOf":`...)
		if dst, err = appendInstant(dst, s.AsOf, base); err != nil {
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
		dst = append(dst, `,"staleReason":"`...)
		dst = append(dst, name...)
		dst = append(dst, '"')
	}
	if e := s.Err; e != nil {
		// The error object is the JSON form's, without its HTML
		// escaping (nothing here is read by a browser).
		if dst, err = appendJSONError(dst, e, false); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendCompactEvent appends ,[start,end,status,flags,"id","subject",
// "location"], leaving out trailing empty strings.
func appendCompactEvent(dst []byte, ev *freebusy.Event, base int64) ([]byte, error) {
	var err error
	dst = append(dst, ",["...)
	if dst, err = appendInstant(dst, ev.Start, base); err != nil {
		return dst, err
	}
	dst = append(dst, ',')
	if dst, err = appendInstant(dst, ev.End, base); err != nil {
		return dst, err
	}
	digit, err := statusDigit(ev.Status)
	if err != nil {
		return dst, err
	}
	dst = append(dst, ',', digit, ',')
	var flags byte
	if ev.Private {
		flags |= eventPrivate
	}
	if ev.Meeting {
		flags |= eventMeeting
	}
	if ev.Recurring {
		flags |= eventRecurring
	}
	if ev.Exception {
		flags |= eventException
	}
	if ev.Reminder {
		flags |= eventReminder
	}
	if flags >= 10 {
		dst = append(dst, '0'+flags/10)
		flags %= 10
	}
	dst = append(dst, '0'+flags)
	switch {
	case ev.Location != "":
		dst = append(dst, ',')
		dst = appendJSONText(dst, ev.ID, false)
		dst = append(dst, ',')
		dst = appendJSONText(dst, ev.Subject, false)
		dst = append(dst, ',')
		dst = appendJSONText(dst, ev.Location, false)
	case ev.Subject != "":
		dst = append(dst, ',')
		dst = appendJSONText(dst, ev.ID, false)
		dst = append(dst, ',')
		dst = appendJSONText(dst, ev.Subject, false)
	case ev.ID != "":
		dst = append(dst, ',')
		dst = appendJSONText(dst, ev.ID, false)
	}
	return append(dst, ']'), nil
}

// instantRangeError reports an instant the compact form cannot carry.
func instantRangeError(t time.Time) error {
	return &freebusy.ParseError{Kind: "instant", Input: t.UTC().String(), Err: fmt.Errorf("outside the years 0000 to 9999")}
}

// appendInstant appends t as seconds from base, with up to nine decimals
// for a fraction of a second (no trailing zeros).
func appendInstant(dst []byte, t time.Time, base int64) ([]byte, error) {
	sec := t.Unix()
	if sec < minInstant || sec > maxInstant {
		return dst, instantRangeError(t)
	}
	off, ns := sec-base, int64(t.Nanosecond())
	if ns == 0 {
		return appendInt(dst, off), nil
	}
	if off < 0 {
		// off + ns/1e9 is negative: write its magnitude after a minus.
		dst = append(dst, '-')
		off, ns = -off-1, 1e9-ns
	}
	dst = appendInt(dst, off)
	var frac [10]byte
	frac[0] = '.'
	for i := 9; i >= 1; i-- {
		frac[i] = byte('0' + ns%10)
		ns /= 10
	}
	n := 10
	for frac[n-1] == '0' {
		n--
	}
	return append(dst, frac[:n]...), nil
}

// appendPlainInterval appends ,start,end,status for the common interval:
// both instants whole seconds at most maxPlainOffset after base, and a
// status with a digit. It reports false, having appended nothing, for any
// other interval, which the general path then writes (or refuses).
func appendPlainInterval(dst []byte, iv *freebusy.Interval, base int64) ([]byte, bool) {
	start, end := iv.Start.Unix()-base, iv.End.Unix()-base
	if uint64(start) > maxPlainOffset || uint64(end) > maxPlainOffset ||
		iv.Start.Nanosecond() != 0 || iv.End.Nanosecond() != 0 ||
		uint(iv.Status) >= uint(len(statusDigits)) || !iv.Status.Valid() {
		return dst, false
	}
	if base+end > maxInstant || base+start > maxInstant {
		return dst, false
	}
	// Written in place: ",start,end,d" takes at most 22 bytes.
	n := len(dst)
	if cap(dst)-n < 22 {
		dst = slices.Grow(dst, 22)
	}
	b := dst[n : n+22]
	b[0] = ','
	k := 1 + putUint(b[1:], uint64(start))
	b[k] = ','
	k += 1 + putUint(b[k+1:], uint64(end))
	b[k], b[k+1] = ',', statusDigits[iv.Status]
	return dst[:n+k+2], true
}

// maxPlainOffset is the largest offset from the base that appendUint
// writes and the decoder's fast path reads: nine digits, about 31 years.
const maxPlainOffset = 999_999_999

// appendInt appends n in decimal: strconv.AppendInt, with a shortcut for
// the offsets of a week or a month, which are most of what the form holds.
func appendInt(dst []byte, n int64) []byte {
	if n < 0 || n > maxPlainOffset {
		return strconv.AppendInt(dst, n, 10)
	}
	return appendUint(dst, uint64(n))
}

// appendUint appends n (at most maxPlainOffset) in decimal.
func appendUint(dst []byte, n uint64) []byte {
	var b [10]byte
	return append(dst, b[:putUint(b[:], n)]...)
}

// putUint writes n (at most maxPlainOffset) in decimal at the start of b,
// which has room for nine digits, and returns how many it wrote. It
// writes two digits per division and in place: the offsets of a week
// have six or seven digits, and writing them one division at a time, then
// copying them, was the appender's largest cost.
func putUint(b []byte, n uint64) int {
	k := decimalLen(n)
	i := k
	for n >= 100 {
		q := n / 100
		r := (n - q*100) * 2
		i -= 2
		b[i], b[i+1] = digitPairs[r], digitPairs[r+1]
		n = q
	}
	if n >= 10 {
		b[0], b[1] = digitPairs[n*2], digitPairs[n*2+1]
	} else {
		b[0] = byte('0' + n)
	}
	return k
}

// decimalLen returns the number of decimal digits of n, at most nine.
func decimalLen(n uint64) int {
	switch {
	case n < 10:
		return 1
	case n < 100:
		return 2
	case n < 1000:
		return 3
	case n < 10000:
		return 4
	case n < 100000:
		return 5
	case n < 1000000:
		return 6
	case n < 10000000:
		return 7
	case n < 100000000:
		return 8
	}
	return 9
}

// digitPairs holds "00" to "99": the two decimal digits of n at 2n.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// plainRun returns the index of the first byte of b from i on that is not
// a plainStringByte, or len(b). It tests eight bytes at a time: a word
// without a quote, a backslash, a control character or a byte over 0x7f
// is skipped whole (the bit tricks of "Bit Twiddling Hacks", "Determine
// if a word has a byte less than n"), and the word that has one is looked
// at byte by byte.
func plainRun[T string | []byte](b T, i int) int {
	const (
		ones   = 0x0101010101010101
		highs  = 0x8080808080808080
		quotes = ones * '"'
		slashs = ones * '\\'
	)
	for ; i+8 <= len(b); i += 8 {
		w := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
		q, bs := w^quotes, w^slashs
		control := (w - ones*0x20) &^ w // a byte under 0x20
		quote := (q - ones) &^ q        // a zero byte in q: a quote in w
		slash := (bs - ones) &^ bs      // a backslash in w
		if (control|quote|slash|w)&highs != 0 {
			break
		}
	}
	for i < len(b) && plainStringByte[b[i]] {
		i++
	}
	return i
}

// plainStringByte marks the bytes a JSON string holds as they are: not a
// quote, a backslash, a control character or the start of a multi-byte
// rune.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
