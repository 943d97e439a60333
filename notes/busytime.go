package notes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/calbridge/calbridge/freebusy"
)

// SchedAttr is the Attr byte of a busytime SCHED_ENTRY
// (docs/notes.md §1.1, nsfdata.h SCHED_ATTR_xxx). The low nibble is the
// type; bit 3 (SCHED_ATTR_BUSY_BASE) set means the time is busy; the upper
// nibble holds flags.
type SchedAttr uint8

// The schedule attributes and flags of nsfdata.h (§1.1).
const (
	// SchedAttrNull is a placeholder that blocks nothing.
	SchedAttrNull SchedAttr = 0x00
	// SchedAttrPenciled is a penciled-in entry, which Notes treats as
	// available.
	SchedAttrPenciled SchedAttr = 0x01
	// SchedAttrAppt is an ordinary busy entry: appointment, meeting, event.
	SchedAttrAppt SchedAttr = 0x08
	// SchedAttrNonWork is time outside the owner's working hours, derived
	// from the Calendar Profile.
	SchedAttrNonWork SchedAttr = 0x09
	// schedAttrBusyBase is the bit that makes a type busy.
	schedAttrBusyBase SchedAttr = 0x08
	// SchedAttrForeignUNID flags an entry whose UNID is a foreign id
	// (gateways set it).
	SchedAttrForeignUNID SchedAttr = 0x10
	// SchedAttrRepeatEvent flags an R5 repeating meeting.
	SchedAttrRepeatEvent SchedAttr = 0x20

	schedAttrTypeMask SchedAttr = 0x0F
)

// Type returns the type of a, without flags (SCHED_ATTR_TYPE: a & 0x0F).
func (a SchedAttr) Type() SchedAttr { return a & schedAttrTypeMask }

// Available reports whether Notes counts the time as available
// (SCHED_ATTR_AVAILABLE: bit 3 clear). Penciled-in time is available.
func (a SchedAttr) Available() bool { return a&schedAttrBusyBase == 0 }

// NonWork reports whether a marks time outside working hours.
func (a SchedAttr) NonWork() bool { return a.Type() == SchedAttrNonWork }

// String names the type and flags: "APPT|FOREIGN_UNID", "FREE_RESERVED2".
func (a SchedAttr) String() string {
	var name string
	switch t := a.Type(); {
	case t == SchedAttrNull:
		name = "NULL"
	case t == SchedAttrPenciled:
		name = "PENCILED"
	case t == SchedAttrAppt:
		name = "APPT"
	case t == SchedAttrNonWork:
		name = "NONWORK"
	case t < schedAttrBusyBase:
		name = "FREE_RESERVED" + strconv.Itoa(int(t))
	default:
		name = "BUSY_RESERVED" + strconv.Itoa(int(t-schedAttrBusyBase))
	}
	if a&SchedAttrForeignUNID != 0 {
		name += "|FOREIGN_UNID"
	}
	if a&SchedAttrRepeatEvent != 0 {
		name += "|REPEAT_EVENT"
	}
	if rest := a &^ (schedAttrTypeMask | SchedAttrForeignUNID | SchedAttrRepeatEvent); rest != 0 {
		name += fmt.Sprintf("|0x%02X", uint8(rest))
	}
	return name
}

// BusyPolicy is the one place where Notes busy-time meaning is mapped to
// the canonical statuses (docs/notes.md §1.3, §6.1). The zero value is
// the documented default:
//
//	Notes                              canonical
//	APPT 0x08 (and BUSY_RESERVED)      Busy
//	PENCILED 0x01                      Tentative (Free with PenciledAsFree)
//	NONWORK 0x09                       not an interval: working-hours metadata
//	NULL 0x00, FREE_RESERVED           not an interval (free)
//	appointment, meeting, all-day      Busy
//	anniversary, reminder              not an interval (they block no time)
//	TRANSP:TRANSPARENT (pencil in)     as PENCILED
//	STATUS:TENTATIVE                   as PENCILED
//	STATUS:CANCELLED                   not an interval
//
// and in the other direction (Attr): Busy and OutOfOffice become APPT
// (Notes has no out-of-office), Tentative becomes PENCILED (still free in
// Notes, but the information survives; the old connector sent it as free,
// KB Q199643), Free and WorkingElsewhere are omitted, and Unknown has no
// Notes form at all: report it as a per-user error, never as free time.
type BusyPolicy struct {
	// PenciledAsFree reports penciled-in (and tentative) time as Free, as
	// Notes itself shows it, instead of Tentative. Free time is not an
	// interval, so such entries disappear from schedules.
	PenciledAsFree bool
}

// Status maps a schedule attribute to a canonical status. The second result
// is false when the entry is no busy time at all (NULL, reserved free types,
// NONWORK, penciled-in under PenciledAsFree) and contributes no interval.
// NONWORK is working-hours metadata; check a.NonWork to collect it.
func (p BusyPolicy) Status(a SchedAttr) (freebusy.Status, bool) {
	switch t := a.Type(); {
	case t == SchedAttrNonWork:
		return freebusy.Free, false
	case t == SchedAttrPenciled:
		return p.penciled()
	case !a.Available():
		return freebusy.Busy, true
	}
	return freebusy.Free, false
}

func (p BusyPolicy) penciled() (freebusy.Status, bool) {
	if p.PenciledAsFree {
		return freebusy.Free, false
	}
	return freebusy.Tentative, true
}

// Attr maps a canonical status to the schedule attribute a gateway writes
// for Notes (§1.3, Exchange to Notes). The second result is false when the
// status has no busytime entry: Free and WorkingElsewhere (omitted) and
// Unknown (report a per-user error instead).
func (p BusyPolicy) Attr(s freebusy.Status) (SchedAttr, bool) {
	switch s {
	case freebusy.Busy, freebusy.OutOfOffice:
		return SchedAttrAppt, true
	case freebusy.Tentative:
		return SchedAttrPenciled, true
	}
	return SchedAttrNull, false
}

// AppointmentType is the Notes AppointmentType item, exported to
// iCalendar as X-LOTUS-APPTTYPE (docs/notes.md §1.1, §6.1).
type AppointmentType uint8

// The appointment types.
const (
	// Appointment (0) blocks time (R5-era Notes user documentation, §6.1).
	Appointment AppointmentType = 0
	// Anniversary (1, also a personal to-do) blocks no time (R5-era Notes
	// user documentation, §6.1).
	Anniversary AppointmentType = 1
	// AllDayEvent (2, also a group to-do) blocks the day in the owner's
	// zone, per the R5-era Notes user documentation; newer defaults are
	// unverified (§11).
	AllDayEvent AppointmentType = 2
	// Meeting (3) blocks time.
	Meeting AppointmentType = 3
	// Reminder (4) is a point in time and blocks none: Notes does not show
	// reminders in busytime (a policy choice; unverified by a primary
	// source, §11).
	Reminder AppointmentType = 4
)

// errAppointmentType is matched by the error of parseAppointmentType.
var errAppointmentType = errors.New("notes: unknown appointment type")

// parseAppointmentType parses an AppointmentType or X-LOTUS-APPTTYPE value
// ("0".."4", spaces trimmed).
func parseAppointmentType(s string) (AppointmentType, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 8)
	if err != nil || v > uint64(Reminder) {
		return 0, fmt.Errorf("%w %q", errAppointmentType, s)
	}
	return AppointmentType(v), nil
}

// BlocksTime reports whether entries of type t block time by default
// (§6.1): appointments, all-day events and meetings do; anniversaries and
// reminders do not.
func (t AppointmentType) BlocksTime() bool {
	return t == Appointment || t == AllDayEvent || t == Meeting
}

// String returns the type's name ("meeting").
func (t AppointmentType) String() string {
	switch t {
	case Appointment:
		return "appointment"
	case Anniversary:
		return "anniversary"
	case AllDayEvent:
		return "all-day-event"
	case Meeting:
		return "meeting"
	case Reminder:
		return "reminder"
	}
	return "AppointmentType(" + strconv.Itoa(int(t)) + ")"
}

// EventStatus maps a Notes calendar entry, as exported to iCalendar, to a
// canonical status (see the table on BusyPolicy). transp and status are the
// raw TRANSP and STATUS values ("" when absent); they are compared
// case-insensitively. The second result is false when the entry blocks no
// time.
func (p BusyPolicy) EventStatus(t AppointmentType, transp, status string) (freebusy.Status, bool) {
	switch {
	case !t.BlocksTime():
		return freebusy.Free, false
	case strings.EqualFold(strings.TrimSpace(status), "CANCELLED"):
		return freebusy.Free, false
	case strings.EqualFold(strings.TrimSpace(transp), "TRANSPARENT"),
		strings.EqualFold(strings.TrimSpace(status), "TENTATIVE"):
		// $BusyPriority "2": penciled-in and tentative entries (§1.1).
		return p.penciled()
	}
	return freebusy.Busy, true
}
