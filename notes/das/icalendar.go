package das

import (
	"errors"
	"io"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
)

// The format=icalendar variant of busytime (docs/notes.md §2.2.4): one
// VCALENDAR holding one VFREEBUSY with DTSTAMP, DTSTART and DTEND (the
// window) and one FREEBUSY line per busy period, UTC start/end, no FBTYPE
// and no ATTENDEE. The VFREEBUSY codec is package freebusy/ical; this file
// only maps it to and from the DAS wire model.

// ICalendarProdID is the PRODID the Handler writes on its iCalendar
// answers. DAS itself writes "-//IBM Corporation//NONSGML Domino 9.0//EN".
const ICalendarProdID = "-//calbridge//DAS freebusy//EN"

// ErrNoVFreeBusy is the condition of an iCalendar answer without a
// VFREEBUSY component.
var ErrNoVFreeBusy = errors.New("das: iCalendar answer has no VFREEBUSY")

// DecodeBusyTimeICalendar reads the format=icalendar answer of busytime
// (docs/notes.md §2.2.4) with ical.DecodeVFreeBusy and returns it in
// the JSON wire model, so that both formats convert alike. DAS serializes
// only its first VFREEBUSY, so only the first schedule is used.
//
// Unlike DecodeBusyTime, the periods come back already repaired: the ical
// decoder drops the inverted first period of §2.2.6 and counts it in the
// report's Normalize.Inverted. A period with FBTYPE=FREE is dropped rather
// than read as busy (DAS itself never writes FBTYPE); any other FBTYPE is
// busy. A VFREEBUSY carrying calbridge's X-CALBRIDGE-ERROR is returned as
// its *freebusy.Error.
//
// Errors: the *freebusy.ParseError of ical.DecodeVFreeBusy; a *freebusy.ParseError
// of Kind "DAS iCalendar" with Err ErrNoVFreeBusy when there is no
// VFREEBUSY; read errors of r as they are.
func DecodeBusyTimeICalendar(r io.Reader) (*BusyTime, ical.VFreeBusyReport, error) {
	scheds, rep, err := ical.DecodeVFreeBusy(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return nil, rep, err
	}
	if len(scheds) == 0 {
		return nil, rep, &freebusy.ParseError{Kind: "DAS iCalendar", Err: ErrNoVFreeBusy}
	}
	s := scheds[0]
	if s.Err != nil {
		return nil, rep, s.Err
	}
	out := &BusyTime{Start: NewDateTime(s.Start), End: NewDateTime(ceilSecond(s.End))}
	for _, iv := range s.Intervals {
		if iv.Status.Available() {
			continue
		}
		out.BusyTimes = append(out.BusyTimes, DateTimeRange{Start: NewDateTime(iv.Start), End: NewDateTime(ceilSecond(iv.End))})
	}
	return out, rep, nil
}

// EncodeBusyTimeICalendar writes b as the format=icalendar answer of
// busytime with ical.EncodeVFreeBusy: DTSTAMP stamp, DTSTART/DTEND the
// window, one FREEBUSY line per period in UTC start/end form, no ATTENDEE,
// as DAS writes it (docs/notes.md §2.2.4). The one difference: every
// period carries FBTYPE=BUSY, which RFC 5545 §3.2.9 defines as the meaning
// of DAS's missing FBTYPE, and which some clients need (package ical writes it
// always). Inverted and empty periods of b are dropped.
//
// Errors: a *freebusy.ParseError for an invalid exDateTime in b, and the
// errors of ical.EncodeVFreeBusy (an empty or inverted window among them).
func EncodeBusyTimeICalendar(w io.Writer, b *BusyTime, stamp time.Time) error {
	start, end, err := b.Window()
	if err != nil {
		return err
	}
	ivs, err := b.Intervals()
	if err != nil {
		return err
	}
	s := freebusy.Schedule{Start: start, End: end, Intervals: ivs}
	return ical.EncodeVFreeBusy(w, []freebusy.Schedule{s}, ical.VFreeBusyOptions{Stamp: stamp.UTC().Truncate(time.Second), ProdID: ICalendarProdID})
}
