package main

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"
	"text/template"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
)

// The demo data: calendars of the four people of the demo directory
// (demo/directory.csv), written relative to the current week so that the
// demo is never empty.
//
//   - Ada Lovelace (Notes, London): a weekly Tuesday 10:00-11:00 review that
//     began three weeks before Europe/London's most recent change of
//     offset and repeats without end, so that it crosses that change (and
//     every later one) and must stay at 10:00 London time on both sides of
//     it: a different UTC hour in summer and in winter (docs/mapping.md;
//     zones are real tzdata, never a fixed offset); a Monday meeting with
//     Grace; a penciled-in (tentative) Wednesday demo; an all-day Thursday.
//   - Alan Turing (Notes, London): a Monday morning block, a private
//     Wednesday appointment, a tentatively accepted Friday seminar.
//   - Grace Hopper (Exchange, New York): the Monday meeting with Ada, a
//     tentative Tuesday committee, a Wednesday briefing, and out of office
//     all Friday.
//   - Edsger Dijkstra (Exchange, Amsterdam): a Tuesday lecture, working
//     elsewhere all Wednesday, a Thursday review.
//
//go:embed demo
var demoFiles embed.FS

// demoZones are the zones the demo calendars are written in.
var demoZones = map[string]string{
	"ada.lovelace@notes.acme.example":       "Europe/London",
	"alan.turing@notes.acme.example":        "Europe/London",
	"grace.hopper@exchange.acme.example":    "America/New_York",
	"edsger.dijkstra@exchange.acme.example": "Europe/Amsterdam",
}

// demoWeek is the week the demo calendars are written for.
type demoWeek struct {
	// Monday is 00:00 UTC on the Monday of the week holding now.
	Monday time.Time
	// SeriesStart is the first instance (a Tuesday, 10:00 London) of Ada's
	// weekly review, three weeks before Transition.
	SeriesStart time.Time
	// Transition is Europe/London's most recent change of offset before
	// Monday (zero if the zone had none in the year before).
	Transition time.Time
	// Stamp is the DTSTAMP of every item.
	Stamp time.Time
}

// newDemoWeek returns the demo week holding now.
func newDemoWeek(now time.Time) (demoWeek, error) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		return demoWeek{}, fmt.Errorf("gateway: demo zone: %w", err)
	}
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	w := demoWeek{Monday: monday, Stamp: now.Truncate(time.Second)}
	w.Transition = previousTransition(london, monday)
	first := monday.AddDate(0, 0, -7*4) // a month back if the zone has no DST
	if !w.Transition.IsZero() {
		first = w.Transition.AddDate(0, 0, -21)
	}
	// The Tuesday of that week, 10:00 London.
	first = first.AddDate(0, 0, -((int(first.Weekday())+6)%7)+1)
	w.SeriesStart = time.Date(first.Year(), first.Month(), first.Day(), 10, 0, 0, 0, london)
	return w, nil
}

// previousTransition returns the last instant before t at which loc's UTC
// offset changed, looking back at most a year, or zero.
func previousTransition(loc *time.Location, t time.Time) time.Time {
	_, off := t.In(loc).Zone()
	for d := 1; d <= 366; d++ {
		prev := t.AddDate(0, 0, -d)
		if _, o := prev.In(loc).Zone(); o != off {
			// The change lies within (prev, prev+1 day]: find the hour.
			lo := prev
			for h := 1; h <= 24; h++ {
				next := lo.Add(time.Hour)
				if _, o2 := next.In(loc).Zone(); o2 != o {
					return next.Truncate(time.Hour)
				}
				lo = next
			}
			return prev
		}
	}
	return time.Time{}
}

// Day returns the Monday-based day i of the week (0 Monday .. 5 Saturday).
func (w demoWeek) Day(i int) time.Time { return w.Monday.AddDate(0, 0, i) }

// templateData is what the calendar templates see.
func (w demoWeek) templateData() map[string]string {
	date := func(i int) string { return w.Day(i).Format("20060102") }
	ny, _ := time.LoadLocation("America/New_York")
	london := w.SeriesStart.Location()
	d := w.Day(0)
	sync := time.Date(d.Year(), d.Month(), d.Day(), 15, 0, 0, 0, london).In(ny)
	return map[string]string{
		"Mon": date(0), "Tue": date(1), "Wed": date(2), "Thu": date(3), "Fri": date(4), "Sat": date(5),
		"Stamp":          w.Stamp.UTC().Format("20060102T150405Z"),
		"DSTSeriesStart": w.SeriesStart.Format("20060102"),
		// Grace's side of the Monday meeting, written in her own zone.
		"GraceSync":    sync.Format("150405"),
		"GraceSyncEnd": sync.Add(time.Hour).Format("150405"),
	}
}

// render executes the template file name of the demo directory.
func (w demoWeek) render(name string) ([]byte, error) {
	src, err := demoFiles.ReadFile("demo/" + name)
	if err != nil {
		return nil, err
	}
	t, err := template.New(name).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, w.templateData()); err != nil {
		return nil, err
	}
	// iCalendar lines end in CRLF (RFC 5545 §3.1).
	return bytes.ReplaceAll(bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")), nil
}

// notesCalendars returns the Notes calendar set of the demo week, as
// notes.LoadCalendars reads it.
func (w demoWeek) notesCalendars() (fs.FS, error) {
	manifest, err := demoFiles.ReadFile("demo/calendars.json")
	if err != nil {
		return nil, err
	}
	set := fstest.MapFS{"calendars.json": {Data: manifest}}
	for _, n := range []string{"ada-lovelace.ics", "alan-turing.ics"} {
		b, err := w.render(n + ".tmpl")
		if err != nil {
			return nil, err
		}
		set[n] = &fstest.MapFile{Data: b}
	}
	return set, nil
}

// exchangeMailboxes returns the Exchange mailboxes of the demo week; the
// extra addresses get copies of Grace Hopper's calendar.
func (w demoWeek) exchangeMailboxes(extra ...string) (*mailboxStore, error) {
	m := &mailboxStore{boxes: map[string]mailbox{}, stamp: w.Stamp}
	for addr, file := range map[string]string{
		"grace.hopper@exchange.acme.example":    "grace-hopper.ics.tmpl",
		"edsger.dijkstra@exchange.acme.example": "edsger-dijkstra.ics.tmpl",
	} {
		b, err := w.render(file)
		if err != nil {
			return nil, err
		}
		loc, err := time.LoadLocation(demoZones[addr])
		if err != nil {
			return nil, err
		}
		m.boxes[addr] = mailbox{ics: b, loc: loc}
	}
	for _, addr := range extra {
		m.boxes[addr] = m.boxes["grace.hopper@exchange.acme.example"]
	}
	return m, nil
}

// mailboxStore is the stand-in Exchange mailbox store of the demo: one
// Outlook calendar export per mailbox. The Exchange half does not read it
// directly: it asks a stand-in EWS server (ews.Handler over this store)
// through ews.Client, as it would ask a real Exchange server.
type mailboxStore struct {
	boxes map[string]mailbox
	stamp time.Time
}

type mailbox struct {
	ics []byte
	loc *time.Location
}

// FreeBusy answers from the mailboxes; an address it does not hold is
// ReasonUnknownAttendee.
func (m *mailboxStore) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		box, ok := m.boxes[strings.ToLower(strings.TrimSpace(a))]
		if !ok {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
			continue
		}
		ivs, _, err := ical.DecodeCalendar(bytes.NewReader(box.ics), q.Start, q.End, ical.CalendarOptions{Location: box.loc})
		if err != nil {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonInvalid, err)
			continue
		}
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start.UTC(), End: q.End.UTC(), Intervals: ivs, AsOf: m.stamp}
	}
	return out, nil
}

// maxLoadTestUsers bounds Config's LoadTestUsers.
const maxLoadTestUsers = 100000

// loadTestUsers returns the addresses of n generated Exchange demo users.
func loadTestUsers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%03d@exchange.acme.example", i)
	}
	return out
}
