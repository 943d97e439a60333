package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/exchange/graph"
	"github.com/calbridge/calbridge/exchange/publicfolder"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
	"github.com/calbridge/calbridge/notes/das"
)

// A reader turns one format's bytes into schedules, with notes on anything
// it dropped or reinterpreted.
type reader func(data []byte, o options) ([]freebusy.Schedule, []string, error)

// A writer writes schedules in one format.
type writer func(w io.Writer, schedules []freebusy.Schedule, o options) error

var readers = map[string]reader{
	"das":          readDAS,
	"ews":          readEWS,
	"graph":        readGraph,
	"vfreebusy":    readVFreeBusy,
	"ics":          readCalendar,
	"publicfolder": readPublicFolder,
}

var writers = map[string]writer{
	"das":          writeDAS,
	"ews":          writeEWS,
	"graph":        writeGraph,
	"vfreebusy":    writeVFreeBusy,
	"publicfolder": writePublicFolder,
}

func readable() []string { return keys(readers) }
func writable() []string { return keys(writers) }

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// errNeedWindow and errNeedAttendee say which flag an input needs.
var (
	errNeedWindow   = usageError{"this input names no window: give -start and -end"}
	errNeedAttendee = usageError{"this input names nobody: give -attendee"}
)

func (o options) window() (time.Time, time.Time, error) {
	if o.start.IsZero() || o.end.IsZero() {
		return time.Time{}, time.Time{}, errNeedWindow
	}
	return o.start, o.end, nil
}

func (o options) attendee(i int) (string, error) {
	if i < len(o.attendees) {
		return o.attendees[i], nil
	}
	return "", errNeedAttendee
}

func readDAS(data []byte, o options) ([]freebusy.Schedule, []string, error) {
	b, err := das.DecodeBusyTime(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	start, end := o.start, o.end
	if start.IsZero() || end.IsZero() {
		if start, end, err = b.Window(); err != nil {
			return nil, nil, err
		}
	}
	who, err := o.attendee(0)
	if err != nil {
		return nil, nil, err
	}
	s, rep, err := b.Schedule(who, start, end)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	notes = appendNormalizeNotes(notes, rep.NormalizeReport)
	if rep.Uncovered > 0 {
		notes = append(notes, fmt.Sprintf("%s of the window lies outside what DAS answered for: no data (Unknown)", rep.Uncovered))
	}
	notes = append(notes, "DAS writes every busy kind as plain busy time: all of it reads as Busy (docs/mapping.md §4.5)")
	return []freebusy.Schedule{s}, notes, nil
}

func readEWS(data []byte, o options) ([]freebusy.Schedule, []string, error) {
	resp, err := ews.DecodeAvailabilityResponse(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	start, end, err := o.window()
	if err != nil {
		return nil, nil, err
	}
	if len(o.attendees) != len(resp.Responses) {
		return nil, nil, usageError{fmt.Sprintf("the response has %d mailboxes and lists no addresses: give them, in request order, with -attendee", len(resp.Responses))}
	}
	q := freebusy.Query{Attendees: o.attendees, Start: start, End: end}
	schedules, err := resp.Schedules(q, o.zone)
	return schedules, nil, err
}

func readGraph(data []byte, o options) ([]freebusy.Schedule, []string, error) {
	resp, err := graph.DecodeGetScheduleResponse(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	start, end, err := o.window()
	if err != nil {
		return nil, nil, err
	}
	q := freebusy.Query{Start: start, End: end}
	for _, v := range resp.Value {
		q.Attendees = append(q.Attendees, v.ScheduleID)
	}
	return resp.Schedules(q), nil, nil
}

func readVFreeBusy(data []byte, o options) ([]freebusy.Schedule, []string, error) {
	schedules, rep, err := ical.DecodeVFreeBusy(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	if rep.UnknownTypes > 0 {
		notes = append(notes, fmt.Sprintf("%d periods of an FBTYPE calbridge does not know, read as Busy (RFC 5545 §3.2.9)", rep.UnknownTypes))
	}
	if rep.Incomplete > 0 {
		notes = append(notes, fmt.Sprintf("%d components without a complete interval could not be read", rep.Incomplete))
	}
	return schedules, appendNormalizeNotes(notes, rep.Normalize), nil
}

func readCalendar(data []byte, o options) ([]freebusy.Schedule, []string, error) {
	start, end, err := o.window()
	if err != nil {
		return nil, nil, err
	}
	who, err := o.attendee(0)
	if err != nil {
		return nil, nil, err
	}
	ivs, rep, err := ical.DecodeCalendar(bytes.NewReader(data), start, end, ical.CalendarOptions{Location: o.zone})
	if err != nil {
		return nil, nil, err
	}
	notes := []string{fmt.Sprintf("%d events, %d instances in the window (%d block no time)", rep.Events, rep.Occurrences, rep.Free)}
	if rep.Invalid > 0 {
		notes = append(notes, fmt.Sprintf("%d components skipped as invalid: %v", rep.Invalid, rep.Problems))
	}
	s := freebusy.Schedule{Attendee: who, Start: start, End: end, Intervals: ivs}
	if _, err := s.Normalize(); err != nil {
		return nil, nil, err
	}
	return []freebusy.Schedule{s}, notes, nil
}

func readPublicFolder(data []byte, o options) ([]freebusy.Schedule, []string, error) {
	var m publicfolder.Message
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, nil, err
	}
	who, _ := o.attendee(0)
	s, err := publicfolder.Decode(&m, publicfolder.DecodeOptions{Attendee: who, Start: o.start, End: o.end})
	if err != nil {
		return nil, nil, err
	}
	return []freebusy.Schedule{s}, nil, nil
}

// one returns the only schedule of a one-person format.
func one(schedules []freebusy.Schedule, format string) (*freebusy.Schedule, error) {
	if len(schedules) != 1 {
		return nil, fmt.Errorf("%s holds one person's data; the input has %d", format, len(schedules))
	}
	if schedules[0].Err != nil {
		return nil, fmt.Errorf("%s cannot carry a failure: %s has %v", format, schedules[0].Attendee, schedules[0].Err)
	}
	return &schedules[0], nil
}

func writeDAS(w io.Writer, schedules []freebusy.Schedule, o options) error {
	s, err := one(schedules, "das")
	if err != nil {
		return err
	}
	b, _, err := das.NewBusyTime(*s, das.BusyTimeOptions{})
	if err != nil {
		return err
	}
	return das.EncodeBusyTime(w, b)
}

func writeGraph(w io.Writer, schedules []freebusy.Schedule, o options) error {
	q, err := queryOf(schedules)
	if err != nil {
		return err
	}
	resp, err := graph.NewScheduleResponse(q, schedules, graph.ResponseOptions{Location: o.zone, TimeZone: o.zone.String()})
	if err != nil {
		return err
	}
	return graph.EncodeGetScheduleResponse(w, resp)
}

func writeEWS(w io.Writer, schedules []freebusy.Schedule, o options) error {
	q, err := queryOf(schedules)
	if err != nil {
		return err
	}
	resp, err := ews.NewAvailabilityResponse(q, schedules, ews.ResponseOptions{View: ews.FreeBusyViewType(o.view), Location: o.zone})
	if err != nil {
		if errors.Is(err, ews.ErrResponseOptions) {
			return usageError{fmt.Sprintf("-view: %v", err)}
		}
		return err
	}
	return ews.EncodeAvailabilityResponse(w, resp)
}

func writeVFreeBusy(w io.Writer, schedules []freebusy.Schedule, o options) error {
	// DTSTAMP is when the data was produced: the schedule's AsOf where the
	// input said, else the window's start, so that the output depends on
	// the input alone.
	opt := ical.VFreeBusyOptions{Method: "PUBLISH"}
	if len(schedules) > 0 {
		opt.Stamp = schedules[0].Start
	}
	return ical.EncodeVFreeBusy(w, schedules, opt)
}

func writePublicFolder(w io.Writer, schedules []freebusy.Schedule, o options) error {
	s, err := one(schedules, "publicfolder")
	if err != nil {
		return err
	}
	unknownAs, err := freebusy.ParseStatus(o.unknownAs)
	if err != nil {
		return usageError{fmt.Sprintf("-unknown-as: %v", err)}
	}
	m, err := publicfolder.Encode(s, publicfolder.EncodeOptions{Owner: o.owner, UnknownAs: unknownAs})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// queryOf rebuilds the query a set of schedules answers.
func queryOf(schedules []freebusy.Schedule) (freebusy.Query, error) {
	if len(schedules) == 0 {
		return freebusy.Query{}, errors.New("the input holds no schedules")
	}
	q := freebusy.Query{Start: schedules[0].Start, End: schedules[0].End}
	for _, s := range schedules {
		if !s.Start.Equal(q.Start) || !s.End.Equal(q.End) {
			return q, fmt.Errorf("the schedules cover different windows (%s has %s–%s)", s.Attendee, s.Start, s.End)
		}
		q.Attendees = append(q.Attendees, s.Attendee)
	}
	return q, q.Validate()
}

func appendNormalizeNotes(notes []string, r freebusy.NormalizeReport) []string {
	if r.Inverted > 0 {
		notes = append(notes, fmt.Sprintf("%d intervals ended before they started and were dropped", r.Inverted))
	}
	if r.Outside > 0 {
		notes = append(notes, fmt.Sprintf("%d intervals lay outside the window and were dropped", r.Outside))
	}
	if r.Clipped > 0 {
		notes = append(notes, fmt.Sprintf("%d intervals were cut at the window's edge", r.Clipped))
	}
	return notes
}
