package sample

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// The 100x7d load: one request as a gateway sees it from a scheduling
// assistant, an availability request for 100 mailboxes over one week,
// FreeBusyMerged at 30 minutes, answered from an in-memory Source. The
// EWS handler's floor (exchange/ews BenchmarkEWSHandler100x7d) and the
// whole gateway path (internal/e2ebench BenchmarkGatewayEWS100x7d) use
// it, so that their figures compare; TestLoadFingerprint pins the data,
// so that they stay comparable over time.

// Load100x7dStart is the Monday 00:00 UTC the 100x7d load starts at.
var Load100x7dStart = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)

// LoadMix mixes a few small integers into a pseudo-random 32-bit value,
// so that the schedules vary without a random source (same bytes on every
// run).
func LoadMix(a, b, c int) uint32 {
	h := uint32(2166136261)
	for _, v := range [3]int{a, b, c} {
		h ^= uint32(v)
		h *= 16777619
		h ^= h >> 13
	}
	return h
}

// LoadIntervals is one attendee's calendar for the week as a calendar
// holds it: on working days meetings of 15 to 90 minutes from 07:00 to
// about 20:00 (a team across time zones), mostly busy, some tentative, some overlapping their
// neighbour; now and then an out-of-office afternoon, a day working
// elsewhere or a block the source knows nothing about; a weekend errand.
// The intervals are in calendar order, not normalized.
func LoadIntervals(m int) []freebusy.Interval {
	var ivs []freebusy.Interval
	add := func(day int, from, length time.Duration, st freebusy.Status) {
		s := Load100x7dStart.AddDate(0, 0, day).Add(from)
		ivs = append(ivs, freebusy.Interval{Start: s, End: s.Add(length), Status: st})
	}
	for d := range 7 {
		if d >= 5 {
			if LoadMix(m, d, 0)%3 == 0 {
				add(d, 10*time.Hour, 2*time.Hour, freebusy.Busy)
			}
			continue
		}
		at := 7 * time.Hour
		for k := 0; at < 19*time.Hour+30*time.Minute; k++ {
			h := LoadMix(m, d, 100+k)
			length := [...]time.Duration{15, 30, 30, 45, 60, 90}[h%6] * time.Minute
			st := freebusy.Busy
			switch h >> 8 % 10 {
			case 0, 1, 2:
				st = freebusy.Tentative
			case 3:
				st = freebusy.WorkingElsewhere
			}
			add(d, at, length, st)
			// The next meeting starts up to 30 minutes before this one
			// ends (a double booking), when it ends, or 15 minutes later.
			at += length + [...]time.Duration{-30, -15, -15, 0, 15}[h>>16%5]*time.Minute
			at = max(at, 7*time.Hour+time.Duration(k+1)*15*time.Minute)
		}
		switch LoadMix(m, d, 2) % 12 {
		case 0:
			add(d, 13*time.Hour, 5*time.Hour, freebusy.OutOfOffice)
		case 1:
			add(d, 7*time.Hour, 2*time.Hour, freebusy.Unknown)
		}
	}
	return ivs
}

// LoadAttendee names attendee m of the 100x7d benchmarks.
func LoadAttendee(m int) string { return "user" + strconv.Itoa(m) + "@exchange.example.com" }

// Load100x7d returns the 100x7d query and, per attendee, the schedule
// an in-memory Source answers: canonical (normalized) when canonical is
// set, as every calbridge Source (the EWS, Graph and DAS clients, the
// cache, the RPC link relaying them) returns them, else the raw calendar
// order of LoadIntervals. Every schedule has working hours.
func Load100x7d(canonical bool) (freebusy.Query, map[string]freebusy.Schedule) {
	q := freebusy.Query{Start: Load100x7dStart, End: Load100x7dStart.AddDate(0, 0, 7), Granularity: 30 * time.Minute}
	wh := &freebusy.WorkingHours{Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: 8 * time.Hour, End: 17 * time.Hour}}}
	out := make(map[string]freebusy.Schedule, 100)
	for m := range 100 {
		a := LoadAttendee(m)
		q.Attendees = append(q.Attendees, a)
		s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: LoadIntervals(m), WorkingHours: wh}
		if canonical {
			if _, err := s.Normalize(); err != nil {
				panic(err) // the generator is fixed: a failure is a bug in it
			}
		}
		out[strings.ToLower(a)] = s
	}
	return q, out
}

// LoadSource is the in-memory Source of the 100x7d benchmarks: it answers
// each attendee with its stored schedule, and unknown attendees as such.
type LoadSource map[string]freebusy.Schedule

// FreeBusy answers q from the stored schedules, keyed by lower-case
// address.
func (src LoadSource) FreeBusy(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		s, ok := src[strings.ToLower(a)]
		if !ok {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
			continue
		}
		s.Attendee = a
		out[i] = s
	}
	return out, nil
}

// LoadRequest is the SOAP 1.1 GetUserAvailability request of the 100x7d
// benchmarks, as an Exchange 2013 client sends it: a UTC body TimeZone,
// one Required SMTP mailbox per attendee, FreeBusyMerged at 30 minutes.
func LoadRequest(q freebusy.Query) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">` +
		`<soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>` +
		`<soap:Body><m:GetUserAvailabilityRequest>` +
		`<t:TimeZone><t:Bias>0</t:Bias>` +
		`<t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime>` +
		`<t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime>` +
		`</t:TimeZone><m:MailboxDataArray>`)
	for _, a := range q.Attendees {
		b.WriteString(`<t:MailboxData><t:Email><t:Address>` + a + `</t:Address><t:RoutingType>SMTP</t:RoutingType></t:Email>` +
			`<t:AttendeeType>Required</t:AttendeeType><t:ExcludeConflicts>false</t:ExcludeConflicts></t:MailboxData>`)
	}
	b.WriteString(`</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow>` +
		`<t:StartTime>` + q.Start.Format("2006-01-02T15:04:05") + `</t:StartTime>` +
		`<t:EndTime>` + q.End.Format("2006-01-02T15:04:05") + `</t:EndTime></t:TimeWindow>` +
		`<t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes>` +
		`<t:RequestedView>FreeBusyMerged</t:RequestedView></t:FreeBusyViewOptions>` +
		`</m:GetUserAvailabilityRequest></soap:Body></soap:Envelope>`)
	return []byte(b.String())
}
