package freebusy_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// onMarch5 returns 2024-03-05 at hh:mm UTC.
func onMarch5(hh, mm int) time.Time { return time.Date(2024, 3, 5, hh, mm, 0, 0, time.UTC) }

func ExampleQuery_Validate() {
	q := freebusy.Query{
		Attendees: []string{"alice@example.com", "Alice@Example.com"},
		Start:     onMarch5(8, 0),
		End:       onMarch5(18, 0),
	}
	err := q.Validate()
	fmt.Println(errors.Is(err, freebusy.ErrDuplicateAttendee), errors.Is(err, freebusy.ErrInvalidQuery))
	fmt.Println(freebusy.ReasonOf(err))

	q.Attendees = q.Attendees[:1]
	fmt.Println(q.Validate())
	// Output:
	// true true
	// invalid
	// <nil>
}

func ExampleSchedule_Normalize() {
	s := freebusy.Schedule{
		Attendee: "alice@example.com",
		Start:    onMarch5(8, 0),
		End:      onMarch5(18, 0),
		Intervals: []freebusy.Interval{
			{Start: onMarch5(9, 0), End: onMarch5(11, 0), Status: freebusy.Tentative},
			{Start: onMarch5(10, 0), End: onMarch5(10, 30), Status: freebusy.Busy},
			{Start: onMarch5(7, 0), End: onMarch5(8, 30), Status: freebusy.OutOfOffice}, // starts before the window
			{Start: onMarch5(13, 0), End: onMarch5(12, 0), Status: freebusy.Busy},       // inverted: dropped and counted
			{Start: onMarch5(16, 0), End: onMarch5(18, 0), Status: freebusy.Unknown},
		},
	}
	rep, err := s.Normalize()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, iv := range s.Intervals {
		fmt.Println(iv)
	}
	fmt.Printf("clipped %d, inverted %d\n", rep.Clipped, rep.Inverted)
	fmt.Println(s.StatusAt(onMarch5(10, 15)), s.StatusAt(onMarch5(12, 0)), s.StatusAt(onMarch5(17, 0)))
	// Output:
	// 2024-03-05T08:00:00Z/2024-03-05T08:30:00Z out-of-office
	// 2024-03-05T09:00:00Z/2024-03-05T10:00:00Z tentative
	// 2024-03-05T10:00:00Z/2024-03-05T10:30:00Z busy
	// 2024-03-05T10:30:00Z/2024-03-05T11:00:00Z tentative
	// 2024-03-05T16:00:00Z/2024-03-05T18:00:00Z unknown
	// clipped 1, inverted 1
	// busy free unknown
}

// The Graph getSchedule example for meganb (docs/exchange.md §3.4): an
// item that started before the window makes the first slot busy, and busy
// beats tentative in a slot.
// An answer path normalizes a schedule once and renders the result: the
// view of canonical intervals skips the second normalization.
func ExampleIsCanonical() {
	start, end := onMarch5(8, 0), onMarch5(12, 0)
	raw := []freebusy.Interval{
		{Start: onMarch5(10, 0), End: onMarch5(11, 0), Status: freebusy.Tentative},
		{Start: onMarch5(9, 0), End: onMarch5(10, 30), Status: freebusy.Busy}, // overlaps, out of order
	}
	fmt.Println(freebusy.IsCanonical(raw, start, end))
	canon, _, err := freebusy.Normalize(raw, start, end, freebusy.NormalizeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(freebusy.IsCanonical(canon, start, end))
	view, err := freebusy.AvailabilityView(canon, start, end, 30*time.Minute, freebusy.ViewOptions{})
	fmt.Println(view, err)
	// Output:
	// false
	// true
	// 00222100 <nil>
}

func ExampleAvailabilityView() {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		fmt.Println(err)
		return
	}
	local := func(hh, mm int) time.Time { return time.Date(2019, 3, 15, hh, mm, 0, 0, la) }
	ivs := []freebusy.Interval{
		freebusy.NewInterval(local(8, 30), local(9, 30), freebusy.Busy),
		freebusy.NewInterval(local(12, 0), local(14, 0), freebusy.Busy),
		freebusy.NewInterval(local(12, 0), local(13, 0), freebusy.Tentative),
		freebusy.NewInterval(local(16, 0), local(17, 0), freebusy.Tentative),
	}
	view, err := freebusy.AvailabilityView(ivs, local(9, 0), local(18, 0), time.Hour, freebusy.ViewOptions{})
	fmt.Println(view, err)

	// A failed schedule knows nothing: no data, never free.
	failed := freebusy.Failed("adelev@contoso.com", local(9, 0), local(13, 0), freebusy.ReasonTimeout, nil)
	view, err = failed.AvailabilityView(time.Hour, freebusy.ViewOptions{})
	fmt.Println(view, err)
	// Output:
	// 200220010 <nil>
	// 4444 <nil>
}

// The EWS MergedFreeBusy example (docs/exchange.md §2.6) read back: the
// view says what each slot holds at its busiest, so the 90 minutes of busy
// time come back as two whole slots.
func ExampleParseAvailabilityView() {
	ivs, err := freebusy.ParseAvailabilityView("3220", onMarch5(8, 0), time.Hour, freebusy.ViewOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, iv := range ivs {
		fmt.Println(iv)
	}

	_, err = freebusy.ParseAvailabilityView("02x0", onMarch5(8, 0), time.Hour, freebusy.ViewOptions{})
	var pe *freebusy.ParseError
	if errors.As(err, &pe) {
		fmt.Println("bad digit at offset", pe.Offset)
	}
	// Output:
	// 2024-03-05T08:00:00Z/2024-03-05T09:00:00Z out-of-office
	// 2024-03-05T09:00:00Z/2024-03-05T11:00:00Z busy
	// bad digit at offset 2
}

func ExampleMergeGroup() {
	alice := freebusy.Schedule{Attendee: "alice", Start: onMarch5(8, 0), End: onMarch5(12, 0),
		Intervals: []freebusy.Interval{{Start: onMarch5(9, 0), End: onMarch5(10, 0), Status: freebusy.Busy}}}
	bob := freebusy.Schedule{Attendee: "bob", Start: onMarch5(8, 0), End: onMarch5(12, 0),
		Intervals: []freebusy.Interval{{Start: onMarch5(11, 0), End: onMarch5(12, 0), Status: freebusy.Unknown}}}
	group, err := freebusy.MergeGroup([]freebusy.Schedule{alice, bob}, onMarch5(8, 0), onMarch5(12, 0))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, iv := range group {
		fmt.Println(iv)
	}
	// Output:
	// 2024-03-05T09:00:00Z/2024-03-05T10:00:00Z busy
	// 2024-03-05T11:00:00Z/2024-03-05T12:00:00Z unknown
}

// Find an hour for Berlin and New York inside both working days (working
// hours apply unless IgnoreWorkingHours is set), on 30-minute starts, around
// a meeting that ends at an odd time.
func ExampleFindFreeTime() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		fmt.Println(err)
		return
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		fmt.Println(err)
		return
	}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	nineToFive := func(loc *time.Location) *freebusy.WorkingHours {
		return &freebusy.WorkingHours{Location: loc, Periods: []freebusy.WorkingPeriod{
			{Days: weekdays, Start: 9 * time.Hour, End: 17 * time.Hour},
		}}
	}
	day := func(hh, mm int) time.Time { return time.Date(2024, 3, 5, hh, mm, 0, 0, time.UTC) }
	schedules := []freebusy.Schedule{
		{Attendee: "hans", Start: day(0, 0), End: day(24, 0), WorkingHours: nineToFive(berlin),
			Intervals: []freebusy.Interval{{Start: day(14, 0), End: day(14, 40), Status: freebusy.Busy}}},
		{Attendee: "nancy", Start: day(0, 0), End: day(24, 0), WorkingHours: nineToFive(newYork)},
	}
	free, err := freebusy.FindFreeTime(schedules, freebusy.FreeTimeRequest{
		Start:    day(0, 0),
		End:      day(24, 0),
		Duration: time.Hour,
		Step:     30 * time.Minute,
		Max:      1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, iv := range free {
		fmt.Println(iv.Start.In(berlin).Format("15:04 MST"), "to", iv.End.In(berlin).Format("15:04 MST"))
		fmt.Println(iv.Start.In(newYork).Format("15:04 MST"), "to", iv.End.In(newYork).Format("15:04 MST"))
	}
	// Output:
	// 16:00 CET to 17:00 CET
	// 10:00 EST to 11:00 EST
}

// SearchFreeTime asks a Source for the attendees' schedules, then searches
// them as FindFreeTime does. Max 1 asks for the first fit: the earliest
// meeting starts where the returned stretch starts. An attendee the Source
// cannot answer for stops the search, so that no time they may not have is
// proposed.
func ExampleSearchFreeTime() {
	day := func(hh, mm int) time.Time { return time.Date(2024, 3, 5, hh, mm, 0, 0, time.UTC) }
	calendars := map[string][]freebusy.Interval{
		"alice@example.com": {{Start: day(9, 0), End: day(10, 15), Status: freebusy.Busy}},
		"bob@example.com":   {{Start: day(11, 0), End: day(12, 0), Status: freebusy.Tentative}},
	}
	// A Source over an in-memory store: one schedule per attendee, in
	// query order, and a failed schedule for a name it does not know.
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			ivs, ok := calendars[a]
			if !ok {
				out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
				continue
			}
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: ivs}
		}
		return out, nil
	})

	req := freebusy.FreeTimeRequest{
		Attendees: []string{"alice@example.com", "bob@example.com"},
		Start:     day(9, 0),
		End:       day(17, 0),
		Duration:  45 * time.Minute,
		Step:      15 * time.Minute,
	}
	free, err := freebusy.SearchFreeTime(context.Background(), src, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, iv := range free {
		fmt.Println("free", iv.Start.Format("15:04"), "to", iv.End.Format("15:04"))
	}

	req.Max = 1
	first, err := freebusy.SearchFreeTime(context.Background(), src, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("first meeting", first[0].Start.Format("15:04"), "to", first[0].Start.Add(req.Duration).Format("15:04"))

	req.Attendees = append(req.Attendees, "carol@example.com")
	_, err = freebusy.SearchFreeTime(context.Background(), src, req)
	var fte *freebusy.FreeTimeError
	if errors.As(err, &fte) {
		fmt.Println(fte.Errs[0].Attendee, fte.Errs[0].Reason, errors.Is(err, freebusy.ErrUnknownAttendee))
	}
	// Output:
	// free 10:15 to 11:00
	// free 12:00 to 17:00
	// first meeting 10:15 to 11:00
	// carol@example.com unknown-attendee true
}

// Windows time zone ids, as EWS, Graph, Outlook and Notes write them, map to
// IANA ids and back through the CLDR table.
func ExampleWindowsToIANA() {
	iana, _ := freebusy.WindowsToIANA("W. Europe Standard Time")
	win, _ := freebusy.IANAToWindows("Asia/Kolkata")
	fmt.Println(iana, "|", win)
	// Output: Europe/Berlin | India Standard Time
}

// A zone is loaded from the tz database once per process: every later
// call for its name, from any package, gets the same location.
func ExampleLoadZone() {
	berlin, err := freebusy.LoadZone("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	again, _ := freebusy.LoadZone("Europe/Berlin")
	summer := time.Date(2026, 7, 1, 9, 0, 0, 0, berlin)
	_, err = freebusy.LoadZone("W. Europe Standard Time") // a Windows id, not a tz name
	fmt.Println(summer.UTC().Format(time.Kitchen), berlin == again, err != nil)
	// Output: 7:00AM true true
}

// A handler answering query after query lends each answer a buffer and
// resets it once the answer is written; with a BufferedSource (such as
// transport.Client) the schedules of the next answer reuse its memory.
func ExampleAnswerInto() {
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End,
				Intervals: []freebusy.Interval{{Start: onMarch5(9, 0), End: onMarch5(10, 0), Status: freebusy.Busy}}}
		}
		return out, nil
	})
	pool := sync.Pool{New: func() any { return new(freebusy.ScheduleBuffer) }}
	answer := func(q freebusy.Query) {
		buf := pool.Get().(*freebusy.ScheduleBuffer)
		defer func() { buf.Reset(); pool.Put(buf) }() // once the answer is written
		ss, err := freebusy.AnswerInto(context.Background(), src, q, buf)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, s := range ss {
			view, err := freebusy.AvailabilityView(s.Intervals, q.Start, q.End, time.Hour, freebusy.ViewOptions{})
			fmt.Println(s.Attendee, view, err)
		}
	}
	answer(freebusy.Query{Attendees: []string{"ada@example.com"}, Start: onMarch5(8, 0), End: onMarch5(12, 0)})
	answer(freebusy.Query{Attendees: []string{"grace@example.com"}, Start: onMarch5(8, 0), End: onMarch5(12, 0)})
	// Output:
	// ada@example.com 0200 <nil>
	// grace@example.com 0200 <nil>
}
