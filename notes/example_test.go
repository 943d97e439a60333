package notes_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
	"github.com/calbridge/calbridge/notes"
)

// Names come in several written forms; all of them parse to the same Name,
// and a routing domain does not make a different person (KB Q271590).
func ExampleParseName() {
	n, err := notes.ParseName("Jayne Doe/Inside Sales/Sales/ABCorp/US@ABMail")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.Canonical())
	fmt.Println(n.WithoutDomain().Abbreviated())
	fmt.Println(n.OrgUnits, n.Organization, n.Country, n.Domain)
	fmt.Println(notes.EqualNames("cn=jayne doe/ou=inside sales/ou=sales/o=abcorp/c=us", n.Canonical()))

	// A canonical name whose abbreviation would be ambiguous stays canonical.
	odd, _ := notes.ParseName("CN=John B Goode/OU=East")
	fmt.Println(odd.Abbreviated())

	_, err = notes.ParseName("CN=Jane Doe/Acme")
	fmt.Println(errors.Is(err, notes.ErrMixedLabels), err)
	// Output:
	// CN=Jayne Doe/OU=Inside Sales/OU=Sales/O=ABCorp/C=US@ABMail
	// Jayne Doe/Inside Sales/Sales/ABCorp/US
	// [Inside Sales Sales] ABCorp US ABMail
	// true
	// CN=John B Goode/OU=East
	// true notes: invalid name "CN=Jane Doe/Acme": labelled and unlabelled name components mixed
}

// A TIMEDATE's two words are GMT; the zone bits only say where it was
// written. This is the IBM example of docs/notes.md §4.4.
func ExampleDecodeTimeDate() {
	raw, _ := hex.DecodeString("c0dc6c00fc632585")
	td, err := notes.DecodeTimeDate(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	at, _ := td.Time()
	fmt.Println(at)
	fmt.Println(td.Zone())
	fmt.Println(td)
	// Output:
	// 1996-12-10 19:49:04 +0000 UTC
	// -05:00 DST
	// 1996-12-10T19:49:04.00Z
}

// Encoding takes the zone bits from the instant's location, through tzdata:
// the standard offset, and the DST bit when the zone observes DST.
func ExampleNewTimeDate() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		fmt.Println(err)
		return
	}
	td, err := notes.NewTimeDate(time.Date(2024, 3, 15, 15, 30, 0, 0, berlin))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := td.MarshalBinary()
	fmt.Printf("%08X %08X % x\n", td.Innards[0], td.Innards[1], b)

	day, _ := notes.NewDateOnly(2024, time.March, 15)
	fmt.Println(day, day.IsAllDay())
	// Output:
	// 004FA6A0 C1258AE1 a0 a6 4f 00 e1 8a 25 c1
	// 2024-03-15 true
}

// The Notes time-zone string of a Calendar Profile names an IANA zone;
// tzdata does the conversion.
func ExampleParseTimeZone() {
	tz, err := notes.ParseTimeZone("Z=-1$DO=1$DL=3 -1 1 10 -1 1$ZX=134$ZN=W. Europe")
	if err != nil {
		fmt.Println(err)
		return
	}
	loc, err := tz.Location()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tz.Offset, tz.DST, tz.Start, tz.End, loc)
	// Output:
	// 1h0m0s true 3 -1 1 10 -1 1 Europe/Berlin
}

// A Calendar Profile's $AvailableDays and $Times items become canonical
// working hours.
func ExampleCalendarProfile_WorkingHours() {
	p := notes.CalendarProfile{
		AvailableDays: []string{"2", "3", "4", "5", "6"},
		TimeZone:      "Z=5$DO=1$DL=3 2 1 11 1 1$ZX=11$ZN=Eastern",
	}
	p.Times[5] = []string{"8:00 AM - 1:00 PM"} // $Times6: Friday
	wh, err := p.WorkingHours()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(wh.Location)
	for _, period := range wh.Periods {
		fmt.Println(period.Days, period.Start, period.End)
	}
	// Output:
	// America/New_York
	// [Monday Tuesday Wednesday Thursday] 9h0m0s 12h0m0s
	// [Monday Tuesday Wednesday Thursday] 13h0m0s 17h0m0s
	// [Friday] 8h0m0s 13h0m0s
}

// The busy-time policy is one documented table: penciled-in time is
// Tentative unless configured to show as Free, as Notes does.
func ExampleBusyPolicy() {
	for _, a := range []notes.SchedAttr{notes.SchedAttrAppt, notes.SchedAttrPenciled, notes.SchedAttrNonWork} {
		s, ok := notes.BusyPolicy{}.Status(a)
		free, okFree := notes.BusyPolicy{PenciledAsFree: true}.Status(a)
		fmt.Println(a, s, ok, free, okFree)
	}
	// Output:
	// APPT busy true busy true
	// PENCILED tentative true free false
	// NONWORK free false free false
}

// A CalendarSource answers free/busy queries from Notes calendar exports.
// This one loads the embedded sample set; any fs.FS with a calendars.json
// works (os.DirFS for a directory of exports).
func ExampleCalendarSource() {
	src, err := notes.LoadCalendars(sample.NotesCalendars())
	if err != nil {
		fmt.Println(err)
		return
	}
	q := freebusy.Query{
		Attendees: []string{"Jane Doe/Sales/Acme/US@Acme", "klaus.weber@acme.example", "Nobody/Acme"},
		Start:     time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC),
		End:       time.Date(2024, 3, 16, 0, 0, 0, 0, time.UTC),
	}
	schedules, err := src.FreeBusy(context.Background(), q)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range schedules {
		if s.Err != nil {
			fmt.Println(s.Attendee, "->", s.Err.Reason)
			continue
		}
		fmt.Println(s.Attendee, "as of", s.AsOf.Format(time.RFC3339))
		for _, iv := range s.Intervals {
			fmt.Println("  ", iv)
		}
	}
	// Output:
	// Jane Doe/Sales/Acme/US@Acme as of 2024-03-08T17:00:00Z
	//    2024-03-14T13:00:00Z/2024-03-14T13:30:00Z tentative
	//    2024-03-15T04:00:00Z/2024-03-16T00:00:00Z busy
	// klaus.weber@acme.example as of 2024-03-10T19:15:00Z
	//    2024-03-15T08:00:00Z/2024-03-15T09:00:00Z busy
	// Nobody/Acme -> unknown-attendee
}

// A CalendarSource is a freebusy.Source, so freebusy.SearchFreeTime finds
// when a group of Notes users is free inside everyone's working hours (the
// Calendar Profiles' $Times), like Notes' SchFreeTimeSearch with first fit.
func ExampleCalendarSource_searchFreeTime() {
	src, err := notes.LoadCalendars(sample.NotesCalendars())
	if err != nil {
		fmt.Println(err)
		return
	}
	meeting := 30 * time.Minute
	slots, err := freebusy.SearchFreeTime(context.Background(), src, freebusy.FreeTimeRequest{
		Attendees: []string{"Jane Doe/Sales/Acme/US", "Klaus Weber/Engineering/Acme/DE", "ana.souza@acme.example"},
		Start:     time.Date(2024, 3, 13, 0, 0, 0, 0, time.UTC),
		End:       time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC),
		Duration:  meeting,
		Max:       1, // first fit
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range slots {
		fmt.Println(s.Start.Format(time.RFC3339), "to", s.Start.Add(meeting).Format(time.RFC3339))
	}
	// Output:
	// 2024-03-13T14:00:00Z to 2024-03-13T14:30:00Z
}
