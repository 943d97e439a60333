package notes

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestSchedAttrClassification is §10 vector 3 of
// docs/notes.md: 0x00 and 0x01 free; 0x08, 0x09,
// 0x18 (APPT|FOREIGN_UNID) and 0x28 busy; the type of 0x29 is 0x09.
func TestSchedAttrClassification(t *testing.T) {
	for _, a := range []SchedAttr{0x00, 0x01} {
		assert.True(t, a.Available(), "%s", a)
	}
	for _, a := range []SchedAttr{0x08, 0x09, 0x18, 0x28} {
		assert.False(t, a.Available(), "%s", a)
	}
	assert.Equal(t, SchedAttrNonWork, SchedAttr(0x29).Type())
	assert.True(t, SchedAttr(0x29).NonWork())

	names := map[SchedAttr]string{
		0x00: "NULL", 0x01: "PENCILED", 0x03: "FREE_RESERVED3", 0x08: "APPT", 0x09: "NONWORK",
		0x0B: "BUSY_RESERVED3", 0x18: "APPT|FOREIGN_UNID", 0x29: "NONWORK|REPEAT_EVENT", 0x88: "APPT|0x80",
	}
	for a, want := range names {
		assert.Equal(t, want, a.String())
	}
}

// TestBusyPolicyStatus is the §1.3 mapping table (docs/notes.md):
// APPT busy, PENCILED tentative by default (free as Notes shows it when
// configured), NONWORK working-hours metadata rather than busy.
func TestBusyPolicyStatus(t *testing.T) {
	type result struct {
		s  freebusy.Status
		ok bool
	}
	tests := []struct {
		attr     SchedAttr
		dflt     result
		penFree  result
		nonWork  bool
		describe string
	}{
		{0x00, result{freebusy.Free, false}, result{freebusy.Free, false}, false, "NULL"},
		{0x01, result{freebusy.Tentative, true}, result{freebusy.Free, false}, false, "PENCILED"},
		{0x21, result{freebusy.Tentative, true}, result{freebusy.Free, false}, false, "PENCILED|REPEAT"},
		{0x05, result{freebusy.Free, false}, result{freebusy.Free, false}, false, "FREE_RESERVED5"},
		{0x08, result{freebusy.Busy, true}, result{freebusy.Busy, true}, false, "APPT"},
		{0x18, result{freebusy.Busy, true}, result{freebusy.Busy, true}, false, "APPT|FOREIGN_UNID"},
		{0x28, result{freebusy.Busy, true}, result{freebusy.Busy, true}, false, "APPT|REPEAT"},
		{0x0C, result{freebusy.Busy, true}, result{freebusy.Busy, true}, false, "BUSY_RESERVED4"},
		{0x09, result{freebusy.Free, false}, result{freebusy.Free, false}, true, "NONWORK"},
		{0x29, result{freebusy.Free, false}, result{freebusy.Free, false}, true, "NONWORK|REPEAT"},
	}
	for _, tt := range tests {
		s, ok := BusyPolicy{}.Status(tt.attr)
		assert.Equal(t, tt.dflt, result{s, ok}, "default %s", tt.describe)
		s, ok = BusyPolicy{PenciledAsFree: true}.Status(tt.attr)
		assert.Equal(t, tt.penFree, result{s, ok}, "penciled-as-free %s", tt.describe)
		assert.Equal(t, tt.nonWork, tt.attr.NonWork(), tt.describe)
	}
}

// TestBusyPolicyAttr is the Exchange -> Notes half of §1.3.
func TestBusyPolicyAttr(t *testing.T) {
	tests := []struct {
		s    freebusy.Status
		attr SchedAttr
		ok   bool
	}{
		{freebusy.Busy, SchedAttrAppt, true},
		{freebusy.OutOfOffice, SchedAttrAppt, true}, // Notes has no OOF
		{freebusy.Tentative, SchedAttrPenciled, true},
		{freebusy.Free, SchedAttrNull, false},
		{freebusy.WorkingElsewhere, SchedAttrNull, false},
		{freebusy.Unknown, SchedAttrNull, false},
	}
	for _, tt := range tests {
		a, ok := BusyPolicy{}.Attr(tt.s)
		assert.Equal(t, tt.attr, a, tt.s.String())
		assert.Equal(t, tt.ok, ok, tt.s.String())
	}
}

// TestSchedEntryGolden reads §10 vector 2 (SCHED_LIST + one SCHED_ENTRY,
// busy 2024-03-15 14:00-15:00Z, Attr=APPT) through TIMEDATE_PAIR and the
// policy, using the SCHED_ENTRY offsets of §3.4.
func TestSchedEntryGolden(t *testing.T) {
	list := []byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}
	entry := append(make([]byte, 16),
		0x80, 0xE7, 0x4C, 0x00, 0xE1, 0x8A, 0x25, 0x00,
		0xC0, 0x65, 0x52, 0x00, 0xE1, 0x8A, 0x25, 0x00,
		0x08, 0x00, 0x00, 0x00)
	require.Len(t, entry, 36)
	assert.Equal(t, byte(1), list[0], "NumEntries")
	assert.Equal(t, []byte{0, 0}, list[6:8], "Spare 0 => 36-byte SCHED_ENTRY")

	pair, err := DecodeTimeDatePair(entry[16:32])
	require.NoError(t, err)
	attr := SchedAttr(entry[32])
	s, ok := BusyPolicy{}.Status(attr)
	require.True(t, ok)
	iv, err := pair.Interval(nil, s)
	require.NoError(t, err)
	assert.Equal(t, freebusy.NewInterval(
		time.Date(2024, 3, 15, 14, 0, 0, 0, time.UTC),
		time.Date(2024, 3, 15, 15, 0, 0, 0, time.UTC), freebusy.Busy), iv)
}

// TestAppointmentTypes is the X-LOTUS-APPTTYPE table of §6.1: appointment,
// all-day event and meeting block time; anniversary and reminder do not.
func TestAppointmentTypes(t *testing.T) {
	tests := []struct {
		in     string
		want   AppointmentType
		blocks bool
		name   string
	}{
		{"0", Appointment, true, "appointment"},
		{"1", Anniversary, false, "anniversary"},
		{" 2 ", AllDayEvent, true, "all-day-event"},
		{"3", Meeting, true, "meeting"},
		{"4", Reminder, false, "reminder"},
	}
	for _, tt := range tests {
		at, err := parseAppointmentType(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, at)
		assert.Equal(t, tt.blocks, at.BlocksTime(), tt.in)
		assert.Equal(t, tt.name, at.String())
	}
	for _, bad := range []string{"", "5", "-1", "x", "256"} {
		_, err := parseAppointmentType(bad)
		assert.ErrorIs(t, err, errAppointmentType, bad)
	}
	assert.Equal(t, "AppointmentType(9)", AppointmentType(9).String())
}

func TestBusyPolicyEventStatus(t *testing.T) {
	tests := []struct {
		name           string
		typ            AppointmentType
		transp, status string
		want           freebusy.Status
		ok             bool
		penFree        bool // ok under PenciledAsFree
	}{
		{"appointment", Appointment, "OPAQUE", "", freebusy.Busy, true, true},
		{"meeting confirmed", Meeting, "", "CONFIRMED", freebusy.Busy, true, true},
		{"all-day", AllDayEvent, "OPAQUE", "", freebusy.Busy, true, true},
		{"anniversary", Anniversary, "OPAQUE", "", freebusy.Free, false, false},
		{"reminder", Reminder, "OPAQUE", "", freebusy.Free, false, false},
		{"pencilled in", Appointment, "transparent", "", freebusy.Tentative, true, false},
		{"tentative meeting", Meeting, "OPAQUE", "TENTATIVE", freebusy.Tentative, true, false},
		{"cancelled", Meeting, "OPAQUE", "CANCELLED", freebusy.Free, false, false},
	}
	for _, tt := range tests {
		s, ok := BusyPolicy{}.EventStatus(tt.typ, tt.transp, tt.status)
		assert.Equal(t, tt.want, s, tt.name)
		assert.Equal(t, tt.ok, ok, tt.name)
		_, ok = BusyPolicy{PenciledAsFree: true}.EventStatus(tt.typ, tt.transp, tt.status)
		assert.Equal(t, tt.penFree, ok, "penciled-as-free %s", tt.name)
	}
}
