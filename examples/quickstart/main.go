// Command quickstart is calbridge's first tour: it reads three people's
// calendars (embedded .ics files, one per person, each in its owner's time
// zone), prints a scheduling-assistant grid of their week, finds the first
// hour they can all meet within everyone's working hours, and prints the
// VFREEBUSY that a gateway would send for them.
//
// It needs no flags and no network:
//
//	go run ./examples/quickstart
//
// The week is the one after the United States changed to summer time
// (8 March 2026) and before Europe did (29 March): New York is four hours
// behind London instead of five, which is where hand-written DST tables go
// wrong. The times here come from real tzdata.
package main

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy/ical"

	"github.com/calbridge/calbridge/freebusy"
)

//go:embed calendars/*.ics
var calendars embed.FS

// person is one attendee of the sample: whose calendar, in which zone.
type person struct {
	name    string
	address string
	file    string
	zone    string
}

var people = []person{
	{"alice", "alice@example.com", "calendars/alice.ics", "America/New_York"},
	{"bob", "bob@example.com", "calendars/bob.ics", "Europe/London"},
	{"carol", "carol@example.com", "calendars/carol.ics", "America/Los_Angeles"},
}

// The grid: Monday to Friday, 08:00-18:00 in the viewer's zone, 15-minute
// slots, one character each.
const (
	viewerZone = "America/New_York"
	slot       = 15 * time.Minute
	dayFrom    = 8 * time.Hour
	dayTo      = 18 * time.Hour
)

// glyphs maps availability-view digits to grid characters. WorkingElsewhere
// gets the private digit '5' so that the grid can tell it from free time.
var glyphs = map[byte]byte{
	freebusy.DigitFree:      '.',
	freebusy.DigitTentative: 't',
	freebusy.DigitBusy:      '#',
	freebusy.DigitOOF:       'O',
	freebusy.DigitNoData:    '?',
	'5':                     'w',
}

const legend = "Legend: . free  t tentative  # busy  O out of office  w working elsewhere  ? no data"

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run does the whole tour, writing to w.
func run(w io.Writer) error {
	viewer, err := time.LoadLocation(viewerZone)
	if err != nil {
		return err
	}
	weekStart := time.Date(2026, 3, 9, 0, 0, 0, 0, viewer)
	weekEnd := weekStart.AddDate(0, 0, 5)
	// The data was produced at a fixed instant, so that the output (and
	// its DTSTAMP) is the same on every run.
	asOf := time.Date(2026, 3, 8, 22, 0, 0, 0, time.UTC)

	schedules := make([]freebusy.Schedule, 0, len(people))
	fmt.Fprintf(w, "calbridge quickstart: week of %s, times in %s\n\n", weekStart.Format("Mon 2 Jan 2006"), viewerZone)
	for _, p := range people {
		s, rep, err := load(p, weekStart, weekEnd, asOf)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-6s %-20s %d events, %d instances this week (%d free), %d skipped as invalid\n",
			p.name, p.zone, rep.Events, rep.Occurrences, rep.Free, rep.Invalid)
		schedules = append(schedules, s)
	}
	fmt.Fprintln(w)

	if err := grid(w, schedules, weekStart, viewer); err != nil {
		return err
	}

	free, err := freebusy.FindFreeTime(schedules, freebusy.FreeTimeRequest{
		Start:    weekStart,
		End:      weekEnd,
		Duration: time.Hour,
		Step:     30 * time.Minute,
		Max:      1,
	})
	if err != nil {
		return err
	}
	if len(free) == 0 {
		fmt.Fprintln(w, "No hour this week suits everyone within working hours.")
	} else {
		first := free[0].Start.In(viewer)
		fmt.Fprintf(w, "First hour everyone can meet, within everyone's working hours (09:00-17:00 local):\n  %s - %s\n",
			first.Format("Mon 2 Jan 15:04 MST"), first.Add(time.Hour).Format("15:04 MST"))
	}

	fmt.Fprintln(w, "\nThe VFREEBUSY (RFC 5545 §3.6.4) a gateway would answer with:")
	var buf bytes.Buffer
	if err := ical.EncodeVFreeBusy(&buf, schedules, ical.VFreeBusyOptions{Organizer: "alice@example.com", Method: "REPLY"}); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// load reads one person's embedded calendar into a schedule for the week.
func load(p person, start, end, asOf time.Time) (freebusy.Schedule, ical.CalendarReport, error) {
	loc, err := time.LoadLocation(p.zone)
	if err != nil {
		return freebusy.Schedule{}, ical.CalendarReport{}, err
	}
	f, err := calendars.Open(p.file)
	if err != nil {
		return freebusy.Schedule{}, ical.CalendarReport{}, err
	}
	defer f.Close()
	ivs, rep, err := ical.DecodeCalendar(f, start, end, ical.CalendarOptions{Location: loc})
	if err != nil {
		return freebusy.Schedule{}, rep, fmt.Errorf("%s: %w", p.file, err)
	}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	return freebusy.Schedule{
		Attendee:  p.address,
		Start:     start.UTC(),
		End:       end.UTC(),
		Intervals: ivs,
		AsOf:      asOf,
		WorkingHours: &freebusy.WorkingHours{
			Location: loc,
			Periods:  []freebusy.WorkingPeriod{{Days: weekdays, Start: 9 * time.Hour, End: 17 * time.Hour}},
		},
	}, rep, nil
}

// grid prints one block per day: an hour ruler, then one row per person.
func grid(w io.Writer, schedules []freebusy.Schedule, weekStart time.Time, viewer *time.Location) error {
	perHour := int(time.Hour / slot)
	var ruler strings.Builder
	for h := dayFrom; h < dayTo; h += time.Hour {
		label := fmt.Sprintf("%02d", int(h.Hours()))
		ruler.WriteString(label + strings.Repeat(" ", perHour-len(label)))
	}
	for d := 0; d < 5; d++ {
		day := weekStart.AddDate(0, 0, d)
		from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, viewer).Add(dayFrom)
		to := from.Add(dayTo - dayFrom)
		fmt.Fprintf(w, "%-10s %s\n", day.Format("Mon 2 Jan"), strings.TrimRight(ruler.String(), " "))
		for i, s := range schedules {
			view, err := freebusy.AvailabilityView(s.Intervals, from, to, slot, freebusy.ViewOptions{WorkingElsewhereDigit: '5'})
			if err != nil {
				return err
			}
			row := []byte(view)
			for j, c := range row {
				row[j] = glyphs[c]
			}
			fmt.Fprintf(w, "  %-8s %s\n", people[i].name, row)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, legend)
	fmt.Fprintln(w)
	return nil
}
