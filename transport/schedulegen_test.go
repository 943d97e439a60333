package transport

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// weekLoadStart is the Monday the week-long benchmark load starts on.
var weekLoadStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// weekLoad returns a query for n attendees over 7 days at 30-minute slots
// and the schedules an EWS FreeBusyMerged answer for it carries: on each
// working day several busy, tentative and out-of-office blocks on the slot
// grid (some off it), each with a few calendar events behind it; working
// hours in the attendee's zone; the as-of instant of the data, some of it
// stale; and a few attendees that failed. It is deterministic: the same n
// gives the same schedules.
func weekLoad(n int) (freebusy.Query, []freebusy.Schedule) {
	q := freebusy.Query{Start: weekLoadStart, End: weekLoadStart.AddDate(0, 0, 7), Granularity: 30 * time.Minute, Detail: freebusy.DetailFull}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	newYork, _ := time.LoadLocation("America/New_York")
	subjects := []string{"Weekly sync", "1:1 with manager", "Design review: calendar gateway", "Customer call (ACME)", "Lunch", "Interview – backend role", "Sprint planning", "Focus time"}
	locations := []string{"Room 4.12", "Teams meeting", "Building B / Floor 2 / \"Aquarium\"", "", "Cafeteria", "Zoom"}
	statuses := []freebusy.Status{freebusy.Busy, freebusy.Busy, freebusy.Tentative, freebusy.Busy, freebusy.WorkingElsewhere, freebusy.Busy, freebusy.OutOfOffice}
	asOf := weekLoadStart.Add(-90*time.Second - 123456789*time.Nanosecond)
	out := make([]freebusy.Schedule, n)
	for m := range n {
		a := fmt.Sprintf("user%03d.lastname@example.com", m)
		q.Attendees = append(q.Attendees, a)
		if m%37 == 36 {
			out[m] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
			out[m].Err.Message = "ErrorMailRecipientNotFound"
			continue
		}
		if m%53 == 52 {
			out[m] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonThrottled, nil)
			out[m].Err.Message = "ErrorServerBusy"
			out[m].Err.RetryAfter = 1500 * time.Millisecond
			continue
		}
		loc, shift := berlin, -1 // March: UTC+1
		if m%4 == 3 {
			loc, shift = newYork, 5 // UTC-5
		}
		s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, AsOf: asOf.Add(time.Duration(m) * time.Second)}
		s.WorkingHours = &freebusy.WorkingHours{Location: loc, Periods: []freebusy.WorkingPeriod{
			{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}, Start: 8 * time.Hour, End: 17 * time.Hour},
			{Days: []time.Weekday{time.Friday}, Start: 8 * time.Hour, End: 14*time.Hour + 30*time.Minute},
		}}
		if m%9 == 0 {
			s.Stale, s.StaleReason = true, freebusy.ReasonUnavailable
		}
		for d := range 7 {
			day := q.Start.AddDate(0, 0, d)
			if d >= 5 { // the weekend: one block, sometimes
				if (m+d)%3 == 0 {
					st := day.Add(10 * time.Hour)
					s.Intervals = append(s.Intervals, freebusy.Interval{Start: st, End: st.Add(2 * time.Hour), Status: freebusy.Tentative})
				}
				continue
			}
			if (m*7+d)%29 == 0 { // a day out of office
				s.Intervals = append(s.Intervals, freebusy.Interval{Start: day, End: day.AddDate(0, 0, 1), Status: freebusy.OutOfOffice})
				s.Events = append(s.Events, freebusy.Event{Start: day, End: day.AddDate(0, 0, 1), Status: freebusy.OutOfOffice, ID: eventID(m, d, 0), Subject: "Vacation", Reminder: false})
				continue
			}
			// Blocks every hour or so from 08:00 local, 30 to 90 minutes
			// long, on the slot grid except now and then a quarter hour.
			slot := 16 + 2*shift // 08:00 local, in half hours from UTC midnight
			for b := 0; b < 8 && slot < 2*(18+shift); b++ {
				slot += (m + 3*d + b) % 2
				length := time.Duration(1+(m+d+b)%3) * 30 * time.Minute
				st := day.Add(time.Duration(slot) * 30 * time.Minute)
				if (m+d+b)%11 == 0 {
					st = st.Add(15 * time.Minute)
				}
				en := st.Add(length)
				status := statuses[(m+2*d+b)%len(statuses)]
				s.Intervals = append(s.Intervals, freebusy.Interval{Start: st, End: en, Status: status})
				for e := range 1 + (m+b)%5/4 { // an event or two behind the block
					es := st.Add(time.Duration(e) * 15 * time.Minute)
					ev := freebusy.Event{Start: es, End: en, Status: status, ID: eventID(m, d, b*2+e)}
					if (m+b+e)%3 == 0 {
						ev.Private = true
					} else {
						ev.Subject = subjects[(m+d+b+e)%len(subjects)]
						ev.Location = locations[(m+b)%len(locations)]
					}
					ev.Meeting = (b+e)%3 != 0
					ev.Recurring = (m+b)%4 == 0
					ev.Exception = ev.Recurring && d == 2
					ev.Reminder = (m+d+e)%2 == 0
					s.Events = append(s.Events, ev)
				}
				slot += int(length / (30 * time.Minute))
			}
		}
		out[m] = s
	}
	return q, out
}

// eventID is an EWS-like item id for event e of day d of attendee m.
func eventID(m, d, e int) string {
	return "AAMkADc3MWUyMGQ5LTdk" + strconv.Itoa(m) + "-" + strconv.Itoa(d) + "-" + strconv.Itoa(e) + "AAA="
}

// memorySource answers queries from precomputed schedules by attendee:
// the in-memory Source of the week-load benchmarks, which costs nothing
// beyond a slice per call.
type memorySource map[string]freebusy.Schedule

func newMemorySource(ss []freebusy.Schedule) memorySource {
	m := make(memorySource, len(ss))
	for _, s := range ss {
		m[s.Attendee] = s
	}
	return m
}

// FreeBusy implements freebusy.Source.
func (m memorySource) FreeBusy(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		s, ok := m[a]
		if !ok {
			s = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
		}
		out[i] = s
	}
	return out, nil
}
