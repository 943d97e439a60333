package freebusy

import (
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"
)

// The availability-view digits shared by EWS MergedFreeBusy
// (docs/exchange.md §2.6) and Graph availabilityView (docs/exchange.md
// §3.2), as docs/mapping.md §3.1 and §3.2 map them.
const (
	// DigitFree is a slot that is free throughout.
	DigitFree byte = '0'
	// DigitTentative is a slot whose busiest status is Tentative.
	DigitTentative byte = '1'
	// DigitBusy is a slot whose busiest status is Busy.
	DigitBusy byte = '2'
	// DigitOOF is a slot holding some OutOfOffice time.
	DigitOOF byte = '3'
	// DigitNoData is a slot with Unknown time and no busy time (EWS "No
	// data"; Graph documents no digit for it).
	DigitNoData byte = '4'
)

// maxViewSlots bounds the length of a rendered view (a 62-day window at
// 5-minute slots is 17,856), so that a nanosecond slot cannot make
// AvailabilityView allocate gigabytes.
const maxViewSlots = 1 << 20

// ViewOptions tune AvailabilityView and ParseAvailabilityView. The zero value
// writes and reads what Graph does.
type ViewOptions struct {
	// WorkingElsewhereDigit is the digit written for a slot whose status is
	// WorkingElsewhere. Zero means '0', Graph's choice (current getSchedule
	// docs: "0 = free or working elsewhere"); EWS documents no digit for it.
	//
	// Any digit '0' to '9' is accepted. One of the standard digits '0' to
	// '4' keeps its standard meaning when parsing, so WorkingElsewhere does
	// not survive a round trip ('0' reads back as Free, '4' as Unknown);
	// '5' to '9' are private digits that read back as WorkingElsewhere, for
	// a lossless view between two calbridge peers.
	WorkingElsewhereDigit byte
}

// weDigit returns the effective WorkingElsewhere digit, or an error for a
// value outside '0'..'9'.
func (o ViewOptions) weDigit() (byte, error) {
	switch d := o.WorkingElsewhereDigit; {
	case d == 0:
		return DigitFree, nil
	case d >= '0' && d <= '9':
		return d, nil
	default:
		return 0, &QueryError{Field: "WorkingElsewhereDigit", Detail: fmt.Sprintf("%q is not a digit", d), Err: ErrBadOption}
	}
}

// byConservative lists the statuses from the one that wins a collapse to the
// one that loses, when several statuses must become one: the statuses of one
// view slot, or of several attendees at one instant (MergeGroup). Busy kinds
// win as in Precedence, since time known to be taken is taken whatever else
// is known about it. Unknown comes next, above the available statuses: time
// that is free for some and unknown for others, or free in part of a slot
// and unknown in the rest, cannot be promised, so it is never shown as free.
var byConservative = [numStatuses]Status{OutOfOffice, Busy, Tentative, Unknown, WorkingElsewhere, Free}

// collapse returns the status that wins among those set in mask (bit s for
// Status s), by byConservative. An empty mask gives Free.
func collapse(mask uint8) Status {
	for _, s := range byConservative {
		if mask&(1<<s) != 0 {
			return s
		}
	}
	return Free
}

// AvailabilityView renders ivs over the window [start, end) as a digit
// string with one digit per slot: DigitFree, DigitTentative, DigitBusy,
// DigitOOF, DigitNoData (EWS MergedFreeBusy, docs/exchange.md §2.6; Graph
// availabilityView, docs/exchange.md §3.2), and opt.WorkingElsewhereDigit
// for WorkingElsewhere (docs/mapping.md §4.2).
//
// ivs mean what Schedule.Intervals mean: time inside the window that no
// interval covers is Free, and overlapping intervals resolve by Precedence;
// they need not be normalized (inverted ones are dropped, as by Normalize).
// Intervals already canonical over the window (IsCanonical), such as
// Normalize's result, are rendered without normalizing them again.
// Slot i covers [start+i*slot, start+(i+1)*slot), and the last slot ends at
// end, so there are ceil((end-start)/slot) digits, as EWS counts them.
//
// A slot holding several statuses shows the first of OutOfOffice, Busy,
// Tentative, Unknown, WorkingElsewhere, Free that it holds. So any busy kind
// wins, as in the EWS and Graph examples (a half-busy slot shows 2); a slot
// that is partly free and partly unknown shows DigitNoData, because a user
// who sees '0' books the whole slot and the unknown part may be taken; and
// DigitFree means free throughout the slot.
//
// Errors are *QueryError: ErrEmptyWindow when start is not before end,
// ErrBadGranularity when slot is not positive or the view would exceed
// 1,048,576 digits, ErrBadOption for opt; and *IntervalError for an
// undeclared status.
func AvailabilityView(ivs []Interval, start, end time.Time, slot time.Duration, opt ViewOptions) (string, error) {
	we, n, err := checkView(start, end, slot, opt)
	if err != nil {
		return "", err
	}
	canon := ivs
	if !IsCanonical(ivs, start, end) {
		// Intervals a caller has already normalized over this window, as
		// every answer path does, are rendered as they are: normalizing
		// them again would give the same instants.
		if canon, _, err = normalizeSweep(ivs, start, end, NormalizeOptions{}); err != nil {
			return "", err
		}
	}
	return renderView(canon, start.UTC(), end.UTC(), slot, n, we), nil
}

// AvailabilityView renders s over its window; see the function
// AvailabilityView. A failed schedule knows nothing: every digit is
// DigitNoData.
func (s *Schedule) AvailabilityView(slot time.Duration, opt ViewOptions) (string, error) {
	if s.Err == nil {
		return AvailabilityView(s.Intervals, s.Start, s.End, slot, opt)
	}
	_, n, err := checkView(s.Start, s.End, slot, opt)
	if err != nil {
		return "", err
	}
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = DigitNoData
	}
	return string(buf), nil
}

// checkView validates the arguments of a rendering and returns the
// WorkingElsewhere digit and the number of slots.
func checkView(start, end time.Time, slot time.Duration, opt ViewOptions) (byte, int, error) {
	we, err := opt.weDigit()
	if err != nil {
		return 0, 0, err
	}
	if !start.Before(end) {
		return 0, 0, &QueryError{Field: "Start", Detail: "view window is empty or inverted", Err: ErrEmptyWindow}
	}
	if slot <= 0 {
		return 0, 0, &QueryError{Field: "slot", Detail: fmt.Sprintf("slot of %s is not positive", slot), Err: ErrBadGranularity}
	}
	// Sub saturates for windows beyond ~292 years; such a window always has
	// too many slots for any slot that does not overflow below.
	window := end.Sub(start)
	n := window / slot
	if window%slot != 0 {
		n++
	}
	if n > maxViewSlots || window == math.MaxInt64 {
		return 0, 0, &QueryError{Field: "slot", Detail: fmt.Sprintf("window of %s in slots of %s exceeds %d slots", window, slot, maxViewSlots), Err: ErrBadGranularity}
	}
	return we, int(n), nil
}

// renderView writes n digits for canonical intervals canon over [start,
// end). One pass: each slot takes the statuses of the intervals reaching
// into it, plus Free for any gap; the runs of slots that lie wholly in a
// gap or wholly inside one interval, most of a view, are filled at once.
// It works in nanosecond offsets from start, which checkView guarantees
// fit an int64, so that no slot costs a time.Time operation.
func renderView(canon []Interval, start, end time.Time, slot time.Duration, n int, we byte) string {
	digitOf := &viewDigits[we-'0']
	const freeBit = 1 << Free
	type segment struct {
		from, to time.Duration
		status   Status
	}
	// A week of meetings fits on the stack; a longer schedule allocates.
	var stack [128]segment
	segs := stack[:0]
	if len(canon) > len(stack) {
		segs = make([]segment, 0, len(canon))
	}
	for _, iv := range canon {
		segs = append(segs, segment{iv.Start.Sub(start), iv.End.Sub(start), iv.Status})
	}
	window := end.Sub(start)
	// slotEnd is where slot i ends. (i+1)*slot cannot overflow before the
	// last slot: i+1 < n means (i+1)*slot < end-start.
	slotEnd := func(i int) time.Duration {
		if i+1 < n {
			return time.Duration(i+1) * slot
		}
		return window
	}
	buf := make([]byte, n)
	j := 0 // the first segment that ends after the start of slot i
	for i := 0; i < n; {
		a, b := time.Duration(i)*slot, slotEnd(i)
		if j == len(segs) {
			fill(buf[i:], digitOf[freeBit])
			break
		}
		sg := &segs[j]
		switch {
		case sg.from >= b:
			// A gap: every slot that ends by the next segment's start is
			// free (k > i, and k < n since the segment starts inside the
			// window).
			k := int(sg.from / slot)
			fill(buf[i:k], digitOf[freeBit])
			i = k
			continue
		case sg.from <= a && sg.to >= b:
			// Inside one segment: every slot that ends by its end holds its
			// status alone.
			k := int(sg.to / slot)
			if sg.to == window {
				k = n
			}
			fill(buf[i:k], digitOf[1<<sg.status])
			if slotEnd(k-1) == sg.to {
				j++
			}
			i = k
			continue
		}
		// A slot with edges inside it: the statuses of the segments
		// reaching into it, plus Free for any gap.
		var mask uint8
		cursor := a
		for j < len(segs) {
			sg := &segs[j]
			if sg.from >= b {
				break
			}
			if sg.from > cursor {
				mask |= freeBit
			}
			mask |= 1 << sg.status
			e := sg.to
			if e > b {
				cursor = b // continues into the next slot
				break
			}
			cursor = e
			j++
		}
		if cursor < b {
			mask |= freeBit
		}
		buf[i] = digitOf[mask]
		i++
	}
	// buf is not touched again: the string may share its memory rather
	// than copy it, as strings.Builder does. A FreeBusyMerged answer for
	// 100 mailboxes makes 100 of these strings.
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}

// fill sets every byte of b to c.
func fill(b []byte, c byte) {
	for i := range b {
		b[i] = c
	}
}

// viewDigits holds, for each WorkingElsewhere digit '0' to '9', the digit
// of every set of statuses a slot can hold (bit s for Status s), so that
// a rendering looks digits up instead of collapsing every slot.
var viewDigits = func() (t [10][1 << numStatuses]byte) {
	for w := range t {
		digits := [numStatuses]byte{
			Unknown:          DigitNoData,
			Free:             DigitFree,
			Tentative:        DigitTentative,
			Busy:             DigitBusy,
			OutOfOffice:      DigitOOF,
			WorkingElsewhere: byte('0' + w),
		}
		for mask := range t[w] {
			t[w][mask] = digits[collapse(uint8(mask))]
		}
	}
	return t
}()

// errViewDigit is the cause in a *ParseError for a byte that is not a digit
// of the view.
var errViewDigit = errors.New("not an availability digit")

// ParseAvailabilityView reads a digit string written by AvailabilityView,
// EWS (MergedFreeBusy) or Graph (availabilityView) back into canonical
// intervals (see Schedule): digit i covers [start+i*slot, start+(i+1)*slot);
// DigitNoData becomes Unknown, DigitFree leaves the slot uncovered (Free),
// and a private WorkingElsewhere digit (opt) becomes WorkingElsewhere. The
// window the view covers is [start, start+len(view)*slot).
//
// The view says what each slot holds at its busiest, not when inside the
// slot: a busy item from 10:00 to 10:30 in an hourly view reads back as busy
// from 10:00 to 11:00. Rendering the result again gives view back.
//
// Errors: a *ParseError (Kind "availability view") with the byte offset of
// the first bad digit, or for an empty view; a *QueryError for a slot that
// is not positive (ErrBadGranularity), a view too long to place in time
// (ErrWindowTooLong) or a bad opt (ErrBadOption).
func ParseAvailabilityView(view string, start time.Time, slot time.Duration, opt ViewOptions) ([]Interval, error) {
	we, err := opt.weDigit()
	if err != nil {
		return nil, err
	}
	if slot <= 0 {
		return nil, &QueryError{Field: "slot", Detail: fmt.Sprintf("slot of %s is not positive", slot), Err: ErrBadGranularity}
	}
	if view == "" {
		return nil, &ParseError{Kind: "availability view", Err: errors.New("empty view")}
	}
	if int64(len(view)) > math.MaxInt64/int64(slot) {
		return nil, &QueryError{Field: "slot", Detail: fmt.Sprintf("%d slots of %s overflow", len(view), slot), Err: ErrWindowTooLong}
	}
	statusOf := func(c byte) (Status, bool) {
		if c == we && we > DigitNoData {
			return WorkingElsewhere, true
		}
		switch c {
		case DigitFree:
			return Free, true
		case DigitTentative:
			return Tentative, true
		case DigitBusy:
			return Busy, true
		case DigitOOF:
			return OutOfOffice, true
		case DigitNoData:
			return Unknown, true
		}
		return Unknown, false
	}
	start = start.UTC()
	var out []Interval
	runStart, runStatus := 0, Free
	flush := func(upTo int) {
		if runStatus != Free && upTo > runStart {
			out = append(out, Interval{
				Start:  start.Add(time.Duration(runStart) * slot),
				End:    start.Add(time.Duration(upTo) * slot),
				Status: runStatus,
			})
		}
	}
	for i := 0; i < len(view); i++ {
		st, ok := statusOf(view[i])
		if !ok {
			return nil, &ParseError{Kind: "availability view", Input: view, Offset: i, Err: fmt.Errorf("byte %d is %q: %w", i, view[i], errViewDigit)}
		}
		if st != runStatus {
			flush(i)
			runStart, runStatus = i, st
		}
	}
	flush(len(view))
	return out, nil
}
