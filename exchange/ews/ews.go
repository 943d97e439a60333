package ews

import (
	"strconv"
	"time"

	"github.com/calbridge/calbridge/exchange"

	"github.com/calbridge/calbridge/freebusy"
)

// XML namespaces of EWS GetUserAvailability (exchange-freebusy.md §2.1).
// Every element is written, and read, in the namespace the table in §2.1
// gives it: strict peers reject anything else.
const (
	NamespaceSOAP     = "http://schemas.xmlsoap.org/soap/envelope/"
	NamespaceMessages = "http://schemas.microsoft.com/exchange/services/2006/messages"
	NamespaceTypes    = "http://schemas.microsoft.com/exchange/services/2006/types"
	NamespaceErrors   = "http://schemas.microsoft.com/exchange/services/2006/errors"
)

// ServerVersion is the RequestServerVersion the client sends: Exchange 2013
// is the first version that reports WorkingElsewhere (§2.4, exchangelib
// FREE_BUSY_CHOICES).
const ServerVersion = "Exchange2013"

// FreeBusyViewType is the kind of view requested (RequestedView) or returned
// (FreeBusyViewType) for a mailbox (exchange-freebusy.md §2.2, §2.4, §2.5;
// EWS docs freebusyviewtype.md, requestedview.md).
type FreeBusyViewType string

// The view types. ViewNone is response-only: error entries carry it.
const (
	ViewNone           FreeBusyViewType = "None"
	ViewMergedOnly     FreeBusyViewType = "MergedOnly"
	ViewFreeBusy       FreeBusyViewType = "FreeBusy"
	ViewFreeBusyMerged FreeBusyViewType = "FreeBusyMerged"
	ViewDetailed       FreeBusyViewType = "Detailed"
	ViewDetailedMerged FreeBusyViewType = "DetailedMerged"
)

// Requestable reports whether v may appear in RequestedView (every view but
// None).
func (v FreeBusyViewType) Requestable() bool {
	switch v {
	case ViewMergedOnly, ViewFreeBusy, ViewFreeBusyMerged, ViewDetailed, ViewDetailedMerged:
		return true
	}
	return false
}

// Merged reports whether the view carries a MergedFreeBusy string.
func (v FreeBusyViewType) Merged() bool {
	return v == ViewMergedOnly || v == ViewFreeBusyMerged || v == ViewDetailedMerged
}

// HasEvents reports whether the view carries a CalendarEventArray (and
// working hours).
func (v FreeBusyViewType) HasEvents() bool {
	return v == ViewFreeBusy || v == ViewFreeBusyMerged || v == ViewDetailed || v == ViewDetailedMerged
}

// Detailed reports whether the view carries CalendarEventDetails.
func (v FreeBusyViewType) Detailed() bool { return v == ViewDetailed || v == ViewDetailedMerged }

// WithoutDetails returns the view Exchange answers instead of a Detailed
// one when details may not be shown (§2.5): Detailed becomes FreeBusy and
// DetailedMerged FreeBusyMerged; other views are unchanged.
func (v FreeBusyViewType) WithoutDetails() FreeBusyViewType {
	switch v {
	case ViewDetailed:
		return ViewFreeBusy
	case ViewDetailedMerged:
		return ViewFreeBusyMerged
	}
	return v
}

// BusyType is the status of a CalendarEvent (exchange-freebusy.md §2.4 and
// §6; EWS docs busytype.md).
type BusyType string

// The busy types. WorkingElsewhere exists from Exchange 2013.
const (
	BusyFree             BusyType = "Free"
	BusyTentative        BusyType = "Tentative"
	BusyBusy             BusyType = "Busy"
	BusyOOF              BusyType = "OOF"
	BusyWorkingElsewhere BusyType = "WorkingElsewhere"
	BusyNoData           BusyType = "NoData"
)

// Status maps a BusyType to the canonical status (§6): NoData is Unknown;
// ok is false for a value EWS does not define.
func (b BusyType) Status() (s freebusy.Status, ok bool) {
	switch b {
	case BusyFree:
		return freebusy.Free, true
	case BusyTentative:
		return freebusy.Tentative, true
	case BusyBusy:
		return freebusy.Busy, true
	case BusyOOF:
		return freebusy.OutOfOffice, true
	case BusyWorkingElsewhere:
		return freebusy.WorkingElsewhere, true
	case BusyNoData:
		return freebusy.Unknown, true
	}
	return freebusy.Unknown, false
}

// BusyTypeOf maps a canonical status to its BusyType (§6): Unknown is
// NoData.
func BusyTypeOf(s freebusy.Status) BusyType {
	switch s {
	case freebusy.Free:
		return BusyFree
	case freebusy.Tentative:
		return BusyTentative
	case freebusy.Busy:
		return BusyBusy
	case freebusy.OutOfOffice:
		return BusyOOF
	case freebusy.WorkingElsewhere:
		return BusyWorkingElsewhere
	}
	return BusyNoData
}

// ResponseClass is the ResponseClass attribute of a ResponseMessage (§2.4).
type ResponseClass string

// The response classes.
const (
	ClassSuccess ResponseClass = "Success"
	ClassWarning ResponseClass = "Warning"
	ClassError   ResponseClass = "Error"
)

// AvailabilityRequest is the body of a GetUserAvailability request
// (exchange-freebusy.md §2.2 and §2.9; EWS docs getuseravailabilityrequest.md)
// with the SOAP headers that matter to it.
type AvailabilityRequest struct {
	// ServerVersion is the Version attribute of the t:RequestServerVersion
	// header ("Exchange2013"), or "" when absent.
	ServerVersion string
	// TimeZoneContext is the Id of the t:TimeZoneContext header's
	// t:TimeZoneDefinition (a Windows zone id, Exchange 2010+), or "".
	TimeZoneContext string
	// TimeZone is the body t:TimeZone, or nil when absent (clients that rely
	// on TimeZoneContext, §2.3).
	TimeZone *SerializableTimeZone
	// Mailboxes are the m:MailboxDataArray entries, in request order.
	Mailboxes []MailboxData
	// FreeBusyViewOptions is nil when the request asks for suggestions only.
	FreeBusyViewOptions *FreeBusyViewOptions
	// Suggestions is set when the request has t:SuggestionsViewOptions
	// (meeting suggestions, which calbridge does not serve).
	Suggestions bool
	// SOAP12 is set by the decoder when the request came in a SOAP 1.2
	// envelope; Handler answers such a request in SOAP 1.2. The encoder
	// always writes SOAP 1.1, which is what EWS speaks (§2.1).
	SOAP12 bool
}

// MailboxData is one t:MailboxData of a request (§2.2; EWS docs mailboxdata.md).
type MailboxData struct {
	Email EmailAddress
	// AttendeeType is Organizer, Required, Optional, Room or Resource.
	AttendeeType string
	// ExcludeConflicts is nil when the element is absent (Outlook omits it).
	ExcludeConflicts *bool
}

// EmailAddress is a t:Email (§2.2, §5.2; EWS docs email-emailaddresstype.md).
type EmailAddress struct {
	// Name is the optional display name.
	Name string
	// Address is an SMTP address, or a legacyExchangeDN when RoutingType
	// is "EX".
	Address string
	// RoutingType is "SMTP" (the default when empty) or "EX".
	RoutingType string
}

// String formats the address as Exchange does in error texts (§2.2):
// "<Name>TYPE:address".
func (e EmailAddress) String() string {
	rt := e.RoutingType
	if rt == "" {
		rt = "SMTP"
	}
	return "<" + e.Name + ">" + rt + ":" + e.Address
}

// FreeBusyViewOptions is t:FreeBusyViewOptions (§2.2; EWS docs
// freebusyviewoptions.md, timewindow.md).
type FreeBusyViewOptions struct {
	// StartTime and EndTime are the t:TimeWindow.
	StartTime DateTime
	EndTime   DateTime
	// MergedFreeBusyIntervalInMinutes is 0 when absent (meaning 30).
	MergedFreeBusyIntervalInMinutes int
	// RequestedView is "" when absent (meaning FreeBusy).
	RequestedView FreeBusyViewType
}

// AvailabilityResponse is the body of a GetUserAvailability response
// (exchange-freebusy.md §2.4; EWS docs getuseravailabilityresponse.md).
type AvailabilityResponse struct {
	// Responses holds one m:FreeBusyResponse per requested mailbox, in
	// request order.
	Responses []FreeBusyResponse
}

// FreeBusyResponse is one m:FreeBusyResponse (§2.4; EWS docs freebusyresponse.md).
type FreeBusyResponse struct {
	ResponseMessage ResponseMessage
	View            FreeBusyView
}

// ResponseMessage is an m:ResponseMessage (§2.4, §2.7).
type ResponseMessage struct {
	Class ResponseClass
	// Code is the m:ResponseCode: NoError or one of §2.7.
	Code        exchange.ResponseCode
	MessageText string
	// DescriptiveLinkKey is written as 0 on errors, as Exchange does.
	DescriptiveLinkKey int
	// MessageXML holds the m:MessageXml children calbridge understands.
	MessageXML MessageXML
}

// MessageXML is the m:MessageXml of a response message or SOAP fault: the
// exception that caused an error (OpenChange capture, §2.7) and name/value
// pairs such as BackOffMilliseconds for ErrorServerBusy.
type MessageXML struct {
	ExceptionType string
	// ExceptionCode is 0 when absent (5009 for MailRecipientNotFound).
	ExceptionCode int
	// BackOff is the t:Value Name="BackOffMilliseconds" hint, or zero.
	BackOff time.Duration
}

// FreeBusyView is an m:FreeBusyView (§2.4; EWS docs freebusyview.md).
type FreeBusyView struct {
	ViewType FreeBusyViewType
	// MergedFreeBusy is the digit string of merged views (§2.6), or "".
	MergedFreeBusy string
	// CalendarEvents is nil when t:CalendarEventArray is absent.
	CalendarEvents []CalendarEvent
	// WorkingHours is nil when absent.
	WorkingHours *WorkingHours
}

// CalendarEvent is a t:CalendarEvent (§2.4; EWS docs calendarevent.md).
type CalendarEvent struct {
	StartTime DateTime
	EndTime   DateTime
	BusyType  BusyType
	// Details is set in Detailed views only.
	Details *CalendarEventDetails
}

// CalendarEventDetails is t:CalendarEventDetails (§2.4; EWS docs
// calendareventdetails.md). For private items only the flags are shown.
type CalendarEventDetails struct {
	ID            string
	Subject       string
	Location      string
	IsMeeting     bool
	IsRecurring   bool
	IsException   bool
	IsReminderSet bool
	IsPrivate     bool
}

// WorkingHours is t:WorkingHours: the mailbox owner's working periods in
// the owner's own zone (§2.3, §2.4; EWS docs workinghours-ex15websvcsotherref.md).
type WorkingHours struct {
	TimeZone SerializableTimeZone
	Periods  []WorkingPeriod
}

// WorkingPeriod is a t:WorkingPeriod (§2.4; EWS docs workingperiod.md).
type WorkingPeriod struct {
	// Days are the t:DayOfWeek list, in Sunday..Saturday order when written.
	Days []time.Weekday
	// StartTimeInMinutes and EndTimeInMinutes are minutes after local
	// midnight, 0..1440.
	StartTimeInMinutes int
	EndTimeInMinutes   int
}

// DateTime is an xs:dateTime as EWS writes it (exchange-freebusy.md §2.4,
// §7 item 11): with an offset ("2012-05-16T08:00:00-04:00", "...Z"), or
// without one, when it is a wall time in the request's zone
// ("2014-02-13T08:00:00"). Date-only values ("2014-02-13") are read as
// midnight.
type DateTime struct {
	// Wall is the date and clock time as written, carried in time.UTC.
	Wall time.Time
	// Offset is the written offset in seconds east of UTC; it is meaningful
	// only when HasOffset is set.
	Offset    int
	HasOffset bool
}

// LocalDateTime returns t as a wall time in loc, without an offset: what
// the handler writes (§2.4, "encoders should emit naive local time in the
// request zone").
func LocalDateTime(t time.Time, loc *time.Location) DateTime {
	l := t.In(loc)
	return DateTime{Wall: time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)}
}

// OffsetDateTime returns t with its own offset.
func OffsetDateTime(t time.Time) DateTime {
	_, off := t.Zone()
	return DateTime{Wall: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), Offset: off, HasOffset: true}
}

// In returns the instant d denotes, in UTC: a written offset wins, and a
// value without one is a wall time in loc (nil means UTC). Wall times that
// a DST change skips or repeats resolve as time.Date resolves them.
func (d DateTime) In(loc *time.Location) time.Time {
	if d.HasOffset {
		return d.Wall.Add(-time.Duration(d.Offset) * time.Second)
	}
	if loc == nil || loc == time.UTC {
		return d.Wall
	}
	w := d.Wall
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc).UTC()
}

// IsZero reports whether d is the zero DateTime.
func (d DateTime) IsZero() bool { return d.Wall.IsZero() && !d.HasOffset }

// String formats d as xs:dateTime: seconds always, fractional seconds only
// when not zero, then "Z" or "±hh:mm" when d has an offset.
func (d DateTime) String() string { return string(d.appendTo(nil)) }

func (d DateTime) appendTo(b []byte) []byte {
	w := d.Wall
	y, mo, day := w.Date()
	h, mi, s := w.Clock()
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, int(mo))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	if ns := w.Nanosecond(); ns != 0 {
		b = append(b, '.')
		frac := strconv.Itoa(ns + 1e9)[1:]
		for len(frac) > 1 && frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		b = append(b, frac...)
	}
	if d.HasOffset {
		off := d.Offset / 60
		if off == 0 {
			return append(b, 'Z')
		}
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		b = append(b, sign)
		b = append2(b, off/60)
		b = append(b, ':')
		b = append2(b, off%60)
	}
	return b
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10%10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	if v < 0 || v > 9999 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// ParseDateTime parses an xs:dateTime (or xs:date) as EWS peers write it:
// "YYYY-MM-DD", optionally "THH:MM:SS" with optional fractional seconds
// ("24:00:00" is the end of the day), then an optional "Z" or "±HH:MM".
// Bad input gives a *freebusy.ParseError (Kind "EWS date-time").
func ParseDateTime(s string) (DateTime, error) {
	return parseDateTimeBytes([]byte(s))
}

func dateTimeError(b []byte, off int) error {
	return &freebusy.ParseError{Kind: "EWS date-time", Input: string(b), Offset: off}
}

// parseDateTimeBytes is ParseDateTime without the string conversion; b is
// not retained.
func parseDateTimeBytes(b []byte) (DateTime, error) {
	b = trimSpace(b)
	num := func(at, n int) (int, bool) {
		if at+n > len(b) {
			return 0, false
		}
		v := 0
		for _, c := range b[at : at+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	if !ok1 || !ok2 || !ok3 || b[4] != '-' || b[7] != '-' || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) {
		return DateTime{}, dateTimeError(b, 0)
	}
	i := 10
	var h, mi, sec, ns int
	if i < len(b) && b[i] == 'T' {
		var ok4, ok5, ok6 bool
		h, ok4 = num(11, 2)
		mi, ok5 = num(14, 2)
		sec, ok6 = num(17, 2)
		if !ok4 || !ok5 || !ok6 || b[13] != ':' || b[16] != ':' || h > 24 || mi > 59 || sec > 59 || (h == 24 && (mi != 0 || sec != 0)) {
			return DateTime{}, dateTimeError(b, 11)
		}
		i = 19
		if i < len(b) && b[i] == '.' {
			i++
			digits := 0
			for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
				if digits < 9 {
					ns = ns*10 + int(b[i]-'0')
				}
				digits++
			}
			if digits == 0 {
				return DateTime{}, dateTimeError(b, i)
			}
			for ; digits < 9; digits++ {
				ns *= 10
			}
			if h == 24 && ns != 0 {
				return DateTime{}, dateTimeError(b, 11)
			}
		}
	}
	dt := DateTime{Wall: time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)}
	switch {
	case i == len(b):
	case b[i] == 'Z' && i+1 == len(b):
		dt.HasOffset = true
	case (b[i] == '+' || b[i] == '-') && i+6 == len(b) && b[i+3] == ':':
		oh, ok1 := num(i+1, 2)
		om, ok2 := num(i+4, 2)
		if !ok1 || !ok2 || oh > 14 || om > 59 {
			return DateTime{}, dateTimeError(b, i)
		}
		dt.HasOffset = true
		dt.Offset = (oh*60 + om) * 60
		if b[i] == '-' {
			dt.Offset = -dt.Offset
		}
	default:
		return DateTime{}, dateTimeError(b, i)
	}
	return dt, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isXMLSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isXMLSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
