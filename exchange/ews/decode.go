package ews

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"time"

	"github.com/calbridge/calbridge/exchange"
)

// The readers of the GetUserAvailability messages. Each reads the element
// the decoder is in, children by local name in any order, skipping what it
// does not know, up to the element's end tag.

// decodeRequest reads a SOAP GetUserAvailability request
// (docs/exchange.md §2.2, §2.9) of at most limit bytes, with the default
// structure limits. It accepts what real clients send (§2.2 client
// quirks): elements are matched by local name whatever their namespace, a
// body TimeZone and a TimeZoneContext header may each be present or
// absent, ExcludeConflicts may be missing, and date-times may carry
// offsets or not. Unknown elements are skipped. Errors are *DecodeError,
// as for DecodeAvailabilityResponse; another operation is
// ErrNotAvailability.
func decodeRequest(r io.Reader, limit int64) (*availabilityRequest, error) {
	req, err := decodeOperation(r, xmlLimits{bytes: limit, elements: MaxRequestElements})
	if err != nil {
		return nil, err
	}
	if req.Operation != opGetUserAvailability {
		return nil, &DecodeError{Message: "request", Element: "Body", Err: ErrNotAvailability, Detail: "no m:GetUserAvailabilityRequest"}
	}
	return req.Availability, nil
}

// The operations a request may ask for, by the local name of the SOAP
// Body's child element ([MS-OXWSAVAIL], [MS-OXWSGTZ]: the operation elements).
const (
	opGetUserAvailability = "GetUserAvailabilityRequest"
	opGetServerTimeZones  = "GetServerTimeZones"
)

// soapRequest is an EWS request as the Handler dispatches it: the
// operation, its SOAP headers and the body of the operations it serves.
type soapRequest struct {
	// Operation is the local name of the Body's first child element, or
	// "" for an empty Body.
	Operation string
	// Availability holds the headers, and the body when Operation is
	// GetUserAvailabilityRequest.
	Availability *availabilityRequest
	// TimeZones is the body of GetServerTimeZones, or nil.
	TimeZones *timeZonesRequest
	// soap12 is set when the envelope is SOAP 1.2.
	soap12 bool
}

// timeZonesRequest is the body of GetServerTimeZones ([MS-OXWSGTZ],
// messages.xsd GetServerTimeZonesType).
type timeZonesRequest struct {
	// Full is the ReturnFullTimeZoneData attribute; true when absent.
	Full bool
	// IDs are the m:Ids/t:Id filters, in request order; nil for all zones.
	IDs []string
}

// maxTimeZoneIDs caps the t:Id filters kept; more are skipped.
const maxTimeZoneIDs = 1024

// decodeOperation reads a SOAP request bounded by lim: its headers, the
// body of the operations the Handler serves, and the name of any other.
// Errors are *DecodeError.
func decodeOperation(r io.Reader, lim xmlLimits) (*soapRequest, error) {
	d := newLimitedDecoder(r, lim, "request")
	req := &availabilityRequest{}
	out := &soapRequest{Availability: req}
	header := func(se xml.StartElement) error {
		switch se.Name.Local {
		case "RequestServerVersion":
			req.ServerVersion = attr(se, "Version")
		case "TimeZoneContext":
			return d.each(func(c xml.StartElement) error {
				if c.Name.Local == "TimeZoneDefinition" {
					req.TimeZoneContext = attr(c, "Id")
				}
				return d.skip()
			})
		}
		return d.skip()
	}
	body := func(se xml.StartElement) error {
		if out.Operation != "" {
			return d.skip() // one operation per request
		}
		out.Operation = se.Name.Local
		switch se.Name.Local {
		case opGetUserAvailability:
			return d.request(req)
		case opGetServerTimeZones:
			tz, err := d.timeZonesRequest(se)
			out.TimeZones = tz
			return err
		}
		return d.skip()
	}
	if err := d.envelope(header, body); err != nil {
		return nil, err
	}
	out.soap12 = d.soap12
	req.soap12 = d.soap12
	return out, nil
}

// timeZonesRequest reads m:GetServerTimeZones: the ReturnFullTimeZoneData
// attribute and the m:Ids/t:Id filters.
func (d *decoder) timeZonesRequest(se xml.StartElement) (*timeZonesRequest, error) {
	tz := &timeZonesRequest{Full: true}
	if v := attr(se, "ReturnFullTimeZoneData"); v != "" {
		full, ok := parseBool(trimSpace([]byte(v)))
		if !ok {
			return nil, d.badValue("ReturnFullTimeZoneData", []byte(v))
		}
		tz.Full = full
	}
	err := d.each(func(c xml.StartElement) error {
		if c.Name.Local != "Ids" {
			return d.skip()
		}
		if tz.IDs == nil {
			tz.IDs = []string{}
		}
		return d.each(func(id xml.StartElement) error {
			if id.Name.Local != "Id" || len(tz.IDs) >= maxTimeZoneIDs {
				return d.skip()
			}
			s, err := d.readString()
			if err == nil {
				tz.IDs = append(tz.IDs, s)
			}
			return err
		})
	})
	return tz, err
}

func (d *decoder) request(req *availabilityRequest) error {
	return d.each(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "TimeZone":
			tz, err := d.timeZone()
			if err != nil {
				return err
			}
			req.TimeZone = &tz
			return nil
		case "MailboxDataArray":
			return d.mailboxes(req)
		case "FreeBusyViewOptions":
			opts, err := d.viewOptions()
			if err != nil {
				return err
			}
			req.FreeBusyViewOptions = &opts
			return nil
		case "SuggestionsViewOptions":
			req.suggestions = true
		}
		return d.skip()
	})
}

func (d *decoder) mailboxes(req *availabilityRequest) error {
	return d.each(func(se xml.StartElement) error {
		if se.Name.Local != "MailboxData" {
			return d.skip()
		}
		if len(req.Mailboxes) >= maxMailboxes {
			return d.fail(ErrTooLarge, "MailboxData", "more than "+strconv.Itoa(maxMailboxes)+" mailboxes")
		}
		var mb mailboxData
		err := d.each(func(c xml.StartElement) (err error) {
			switch c.Name.Local {
			case "Email":
				mb.Email, err = d.email()
			case "AttendeeType":
				mb.AttendeeType, err = d.readString()
			case "ExcludeConflicts":
				var v bool
				if v, err = d.readBool("ExcludeConflicts"); err == nil {
					mb.ExcludeConflicts = &v
				}
			default:
				err = d.skip()
			}
			return err
		})
		if err != nil {
			return err
		}
		req.Mailboxes = append(req.Mailboxes, mb)
		return nil
	})
}

func (d *decoder) email() (EmailAddress, error) {
	var e EmailAddress
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "Name":
			e.Name, err = d.readString()
		case "Address":
			e.Address, err = d.readString()
		case "RoutingType":
			e.RoutingType, err = d.readString()
		default:
			err = d.skip()
		}
		return err
	})
	return e, err
}

func (d *decoder) viewOptions() (freeBusyViewOptions, error) {
	var o freeBusyViewOptions
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "TimeWindow":
			err = d.each(func(w xml.StartElement) (err error) {
				switch w.Name.Local {
				case "StartTime":
					o.StartTime, err = d.readDateTime("StartTime")
				case "EndTime":
					o.EndTime, err = d.readDateTime("EndTime")
				default:
					err = d.skip()
				}
				return err
			})
		case "MergedFreeBusyIntervalInMinutes":
			o.MergedFreeBusyIntervalInMinutes, err = d.readInt("MergedFreeBusyIntervalInMinutes")
		case "RequestedView":
			var s string
			s, err = d.readString()
			o.RequestedView = FreeBusyViewType(s)
		default:
			err = d.skip()
		}
		return err
	})
	return o, err
}

var weekdayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func parseWeekday(b []byte) (time.Weekday, bool) {
	for i, n := range weekdayNames {
		if string(b) == n {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// timeZone reads a SerializableTimeZone (§2.3).
func (d *decoder) timeZone() (SerializableTimeZone, error) {
	var tz SerializableTimeZone
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "Bias":
			tz.Bias, err = d.readInt("Bias")
		case "StandardTime":
			tz.StandardTime, err = d.timeZoneTime("StandardTime")
		case "DaylightTime":
			tz.DaylightTime, err = d.timeZoneTime("DaylightTime")
		default:
			err = d.skip()
		}
		return err
	})
	return tz, err
}

func (d *decoder) timeZoneTime(elem string) (SerializableTimeZoneTime, error) {
	var r SerializableTimeZoneTime
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "Bias":
			r.Bias, err = d.readInt(elem + "/Bias")
		case "Time":
			r.Time, err = readValue(d, elem+"/Time", parseClock)
		case "DayOrder":
			r.DayOrder, err = d.readInt(elem + "/DayOrder")
		case "Month":
			var m int
			m, err = d.readInt(elem + "/Month")
			r.Month = time.Month(m)
		case "DayOfWeek":
			r.DayOfWeek, err = readValue(d, elem+"/DayOfWeek", parseWeekday)
		case "Year":
			r.Year, err = d.readInt(elem + "/Year")
		default:
			err = d.skip()
		}
		return err
	})
	return r, err
}

// parseClock parses "hh:mm:ss" (or "hh:mm") into a duration since midnight.
func parseClock(b []byte) (time.Duration, bool) {
	if len(b) != 8 && len(b) != 5 {
		return 0, false
	}
	v := [3]int{}
	for i := 0; i*3 < len(b); i++ {
		p := b[i*3:]
		if len(p) < 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || (len(p) > 2 && p[2] != ':') {
			return 0, false
		}
		v[i] = int(p[0]-'0')*10 + int(p[1]-'0')
	}
	if v[0] > 24 || v[1] > 59 || v[2] > 59 || (v[0] == 24 && v[1]+v[2] != 0) {
		return 0, false
	}
	return time.Duration(v[0])*time.Hour + time.Duration(v[1])*time.Minute + time.Duration(v[2])*time.Second, true
}

func decodeResponse(r io.Reader, lim xmlLimits) (*AvailabilityResponse, error) {
	d := newLimitedDecoder(r, lim, "response")
	resp := &AvailabilityResponse{}
	var fault *SOAPFault
	found := false
	body := func(se xml.StartElement) error {
		switch se.Name.Local {
		case "GetUserAvailabilityResponse":
			found = true
			return d.response(resp)
		case "Fault":
			f, err := d.fault()
			fault = f
			return err
		}
		return d.skip()
	}
	if err := d.envelope(d.skipElement, body); err != nil {
		return nil, err
	}
	if fault != nil {
		return nil, fault
	}
	if !found {
		return nil, d.fail(ErrNotAvailability, "Body", "no m:GetUserAvailabilityResponse")
	}
	return resp, nil
}

func (d *decoder) response(resp *AvailabilityResponse) error {
	return d.each(func(se xml.StartElement) error {
		if se.Name.Local != "FreeBusyResponseArray" {
			return d.skip()
		}
		return d.each(func(c xml.StartElement) error {
			if c.Name.Local != "FreeBusyResponse" {
				return d.skip()
			}
			if len(resp.Responses) >= maxMailboxes {
				return d.fail(ErrTooLarge, "FreeBusyResponse", "more than "+strconv.Itoa(maxMailboxes)+" responses")
			}
			fr, err := d.freeBusyResponse()
			if err != nil {
				return err
			}
			resp.Responses = append(resp.Responses, fr)
			return nil
		})
	})
}

func (d *decoder) freeBusyResponse() (FreeBusyResponse, error) {
	var fr FreeBusyResponse
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "ResponseMessage":
			fr.ResponseMessage, err = d.responseMessage(c)
		case "FreeBusyView":
			fr.View, err = d.freeBusyView()
		default:
			err = d.skip()
		}
		return err
	})
	return fr, err
}

func (d *decoder) responseMessage(se xml.StartElement) (ResponseMessage, error) {
	rm := ResponseMessage{Class: ResponseClass(attr(se, "ResponseClass"))}
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "MessageText":
			rm.MessageText, err = d.readString()
		case "ResponseCode":
			var b []byte
			if b, err = d.readText(); err == nil {
				if string(b) == string(exchange.CodeNoError) {
					rm.Code = exchange.CodeNoError
				} else {
					rm.Code = exchange.ResponseCode(b)
				}
			}
		case "MessageXml":
			rm.MessageXML, err = d.messageXML()
		default:
			err = d.skip()
		}
		return err
	})
	return rm, err
}

func (d *decoder) freeBusyView() (FreeBusyView, error) {
	var v FreeBusyView
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "FreeBusyViewType":
			var b []byte
			if b, err = d.readText(); err == nil {
				v.ViewType = viewTypeOf(b)
			}
		case "MergedFreeBusy":
			v.MergedFreeBusy, err = d.readString()
		case "CalendarEventArray":
			v.CalendarEvents, err = d.calendarEvents()
		case "WorkingHours":
			var wh WorkingHours
			wh, err = d.workingHours()
			v.WorkingHours = &wh
		default:
			err = d.skip()
		}
		return err
	})
	return v, err
}

// viewTypeOf returns the constant for b without allocating for the
// documented values.
func viewTypeOf(b []byte) FreeBusyViewType {
	for _, v := range [...]FreeBusyViewType{ViewNone, ViewMergedOnly, ViewFreeBusy, ViewFreeBusyMerged, ViewDetailed, ViewDetailedMerged} {
		if string(b) == string(v) {
			return v
		}
	}
	return FreeBusyViewType(b)
}

// parseBusyType returns the constant for b without allocating for the
// documented values.
func parseBusyType(b []byte) BusyType {
	for _, t := range [...]BusyType{BusyBusy, BusyFree, BusyTentative, BusyOOF, BusyWorkingElsewhere, BusyNoData} {
		if string(b) == string(t) {
			return t
		}
	}
	return BusyType(b)
}

// calendarEvents reads a t:CalendarEventArray. The result is not nil when
// the array is present, even empty.
func (d *decoder) calendarEvents() ([]CalendarEvent, error) {
	events := []CalendarEvent{}
	err := d.each(func(c xml.StartElement) error {
		if c.Name.Local != "CalendarEvent" {
			return d.skip()
		}
		if len(events) >= maxEventsPerView {
			return d.fail(ErrTooLarge, "CalendarEvent", "more than "+strconv.Itoa(maxEventsPerView)+" events")
		}
		var ev CalendarEvent
		err := d.each(func(e xml.StartElement) (err error) {
			switch e.Name.Local {
			case "StartTime":
				ev.StartTime, err = d.readDateTime("StartTime")
			case "EndTime":
				ev.EndTime, err = d.readDateTime("EndTime")
			case "BusyType":
				var b []byte
				if b, err = d.readText(); err == nil {
					ev.BusyType = parseBusyType(b)
				}
			case "CalendarEventDetails":
				ev.Details, err = d.eventDetails()
			default:
				err = d.skip()
			}
			return err
		})
		if err != nil {
			return err
		}
		events = append(events, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

func (d *decoder) eventDetails() (*CalendarEventDetails, error) {
	det := &CalendarEventDetails{}
	err := d.each(func(c xml.StartElement) (err error) {
		name := c.Name.Local
		switch name {
		case "ID":
			det.ID, err = d.readString()
		case "Subject":
			det.Subject, err = d.readString()
		case "Location":
			det.Location, err = d.readString()
		case "IsMeeting":
			det.IsMeeting, err = d.readBool(name)
		case "IsRecurring":
			det.IsRecurring, err = d.readBool(name)
		case "IsException":
			det.IsException, err = d.readBool(name)
		case "IsReminderSet":
			det.IsReminderSet, err = d.readBool(name)
		case "IsPrivate":
			det.IsPrivate, err = d.readBool(name)
		default:
			err = d.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return det, nil
}

// maxWorkingPeriods caps the working periods kept per mailbox; more are
// skipped.
const maxWorkingPeriods = 64

func (d *decoder) workingHours() (WorkingHours, error) {
	var wh WorkingHours
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "TimeZone":
			wh.TimeZone, err = d.timeZone()
		case "WorkingPeriodArray":
			err = d.each(func(p xml.StartElement) error {
				if p.Name.Local != "WorkingPeriod" || len(wh.Periods) >= maxWorkingPeriods {
					return d.skip()
				}
				wp, err := d.workingPeriod()
				if err != nil {
					return err
				}
				wh.Periods = append(wh.Periods, wp)
				return nil
			})
		default:
			err = d.skip()
		}
		return err
	})
	return wh, err
}

func (d *decoder) workingPeriod() (WorkingPeriod, error) {
	var wp WorkingPeriod
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "DayOfWeek":
			wp.Days, err = readValue(d, "DayOfWeek", parseDays)
		case "StartTimeInMinutes":
			wp.StartTimeInMinutes, err = d.readInt("StartTimeInMinutes")
		case "EndTimeInMinutes":
			wp.EndTimeInMinutes, err = d.readInt("EndTimeInMinutes")
		default:
			err = d.skip()
		}
		return err
	})
	return wp, err
}

// parseDays reads a space-separated DayOfWeek list, accepting the
// aggregate values Day, Weekday and WeekendDay (§2.4), and returns the
// days in Sunday..Saturday order without repeats.
func parseDays(b []byte) ([]time.Weekday, bool) {
	var mask uint8
	for _, f := range bytes.Fields(b) {
		switch string(f) {
		case "Day":
			mask |= 0x7f
		case "Weekday":
			mask |= 0x3e
		case "WeekendDay":
			mask |= 0x41
		default:
			wd, ok := parseWeekday(f)
			if !ok {
				return nil, false
			}
			mask |= 1 << wd
		}
	}
	return daysOf(mask), true
}

// daysOf lists the days of a Sunday-first weekday bit mask, in
// Sunday..Saturday order.
func daysOf(mask uint8) []time.Weekday {
	var days []time.Weekday
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if mask&(1<<wd) != 0 {
			days = append(days, wd)
		}
	}
	return days
}
