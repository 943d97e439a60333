package ews

import (
	"time"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

// The wire model of GetUserAvailability (docs/exchange.md §2). The
// response side is exported, for reading answers with
// DecodeAvailabilityResponse; requests are built and read by Client and
// Handler.

// serverVersion is the RequestServerVersion the client sends: Exchange
// 2013 is the first version that reports WorkingElsewhere (§2.4). The
// Handler answers as DefaultServerVersion.
const serverVersion = "Exchange2013"

// FreeBusyViewType is the kind of view requested (RequestedView) or returned
// (FreeBusyViewType) for a mailbox (docs/exchange.md §2.2, §2.4, §2.5;
// EWS reference "FreeBusyViewType", "RequestedView").
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

// requestable reports whether v may appear in RequestedView (every view but
// None).
func (v FreeBusyViewType) requestable() bool {
	switch v {
	case ViewMergedOnly, ViewFreeBusy, ViewFreeBusyMerged, ViewDetailed, ViewDetailedMerged:
		return true
	}
	return false
}

// merged reports whether the view carries a MergedFreeBusy string.
func (v FreeBusyViewType) merged() bool {
	return v == ViewMergedOnly || v == ViewFreeBusyMerged || v == ViewDetailedMerged
}

// hasEvents reports whether the view carries a CalendarEventArray (and
// working hours).
func (v FreeBusyViewType) hasEvents() bool {
	return v == ViewFreeBusy || v == ViewFreeBusyMerged || v == ViewDetailed || v == ViewDetailedMerged
}

// detailed reports whether the view carries CalendarEventDetails.
func (v FreeBusyViewType) detailed() bool { return v == ViewDetailed || v == ViewDetailedMerged }

// withoutDetails returns the view Exchange answers instead of a Detailed
// one when details may not be shown (§2.5): Detailed becomes FreeBusy and
// DetailedMerged FreeBusyMerged; other views are unchanged.
func (v FreeBusyViewType) withoutDetails() FreeBusyViewType {
	switch v {
	case ViewDetailed:
		return ViewFreeBusy
	case ViewDetailedMerged:
		return ViewFreeBusyMerged
	}
	return v
}

// BusyType is the status of a CalendarEvent (docs/exchange.md §2.4 and
// §6, docs/mapping.md §3.1; EWS reference "BusyType").
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

// status maps a BusyType to the canonical status (§6; docs/mapping.md
// §3.1): NoData is Unknown; ok is false for a value EWS does not define.
func (b BusyType) status() (s freebusy.Status, ok bool) {
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

// busyTypeOf maps a canonical status to its BusyType (§6; docs/mapping.md
// §3.1): Unknown is NoData.
func busyTypeOf(s freebusy.Status) BusyType {
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

// availabilityRequest is the body of a GetUserAvailability request
// (docs/exchange.md §2.2 and §2.9; EWS reference
// "GetUserAvailabilityRequest") with the SOAP headers that matter to it.
type availabilityRequest struct {
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
	Mailboxes []mailboxData
	// FreeBusyViewOptions is nil when the request asks for suggestions only.
	FreeBusyViewOptions *freeBusyViewOptions
	// suggestions is set by the decoder when the request has
	// t:SuggestionsViewOptions (meeting suggestions, which calbridge does
	// not serve).
	suggestions bool
	// soap12 is set by the decoder when the request came in a SOAP 1.2
	// envelope; Handler answers such a request in SOAP 1.2. The encoder
	// always writes SOAP 1.1, which is what EWS speaks (§2.1).
	soap12 bool
}

// mailboxData is one t:MailboxData of a request (§2.2; EWS reference
// "MailboxData").
type mailboxData struct {
	Email EmailAddress
	// AttendeeType is Organizer, Required, Optional, Room or Resource.
	AttendeeType string
	// ExcludeConflicts is nil when the element is absent (Outlook omits it).
	ExcludeConflicts *bool
}

// EmailAddress is a t:Email of a request (§2.2, §5.2; EWS reference
// "Email (EmailAddressType)"): what a MailboxResolver is given.
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

// freeBusyViewOptions is t:FreeBusyViewOptions (§2.2; EWS reference
// "FreeBusyViewOptions", "TimeWindow").
type freeBusyViewOptions struct {
	// StartTime and EndTime are the t:TimeWindow.
	StartTime DateTime
	EndTime   DateTime
	// MergedFreeBusyIntervalInMinutes is 0 when absent (meaning 30).
	MergedFreeBusyIntervalInMinutes int
	// RequestedView is "" when absent (meaning FreeBusy).
	RequestedView FreeBusyViewType
}

// AvailabilityResponse is the body of a GetUserAvailability response
// (docs/exchange.md §2.4; EWS reference "GetUserAvailabilityResponse").
type AvailabilityResponse struct {
	// Responses holds one m:FreeBusyResponse per requested mailbox, in
	// request order.
	Responses []FreeBusyResponse
}

// FreeBusyResponse is one m:FreeBusyResponse (§2.4; EWS reference
// "FreeBusyResponse").
type FreeBusyResponse struct {
	// ResponseMessage says whether the mailbox was answered.
	ResponseMessage ResponseMessage
	// View is the mailbox's m:FreeBusyView; of type None on errors.
	View FreeBusyView
}

// ResponseMessage is an m:ResponseMessage (§2.4, §2.7).
type ResponseMessage struct {
	// Class is the ResponseClass attribute: Success, Warning or Error.
	Class ResponseClass
	// Code is the m:ResponseCode: NoError or one of §2.7.
	Code exchange.ResponseCode
	// MessageText is the server's explanation, for people.
	MessageText string
	// MessageXML holds the m:MessageXml children calbridge understands.
	MessageXML MessageXML
}

// MessageXML is the m:MessageXml of a response message or SOAP fault: the
// exception that caused an error (OpenChange capture, §2.7) and name/value
// pairs such as BackOffMilliseconds for ErrorServerBusy.
type MessageXML struct {
	// ExceptionType is the .NET exception Exchange names, or "".
	ExceptionType string
	// ExceptionCode is 0 when absent (5009 for MailRecipientNotFound).
	ExceptionCode int
	// BackOff is the t:Value Name="BackOffMilliseconds" hint, or zero.
	BackOff time.Duration
}

// FreeBusyView is an m:FreeBusyView (§2.4; EWS reference "FreeBusyView").
type FreeBusyView struct {
	// ViewType is the view actually answered (§2.5 downgrades).
	ViewType FreeBusyViewType
	// MergedFreeBusy is the digit string of merged views (§2.6), or "".
	MergedFreeBusy string
	// CalendarEvents is nil when t:CalendarEventArray is absent.
	CalendarEvents []CalendarEvent
	// WorkingHours is nil when absent.
	WorkingHours *WorkingHours
}

// CalendarEvent is a t:CalendarEvent (§2.4; EWS reference "CalendarEvent").
type CalendarEvent struct {
	// StartTime and EndTime bound the event, in the request's zone when
	// they carry no offset.
	StartTime DateTime
	EndTime   DateTime
	// BusyType is the event's status.
	BusyType BusyType
	// Details is set in Detailed views only.
	Details *CalendarEventDetails
}

// CalendarEventDetails is t:CalendarEventDetails (§2.4; EWS reference
// "CalendarEventDetails"). For private items only the flags are shown.
type CalendarEventDetails struct {
	// ID, Subject and Location are empty for private items.
	ID       string
	Subject  string
	Location string
	// The flags of the item.
	IsMeeting     bool
	IsRecurring   bool
	IsException   bool
	IsReminderSet bool
	IsPrivate     bool
}

// WorkingHours is t:WorkingHours: the mailbox owner's working periods in
// the owner's own zone (§2.3, §2.4; EWS reference "WorkingHours").
type WorkingHours struct {
	// TimeZone is the owner's zone, in which the periods are given.
	TimeZone SerializableTimeZone
	// Periods are the working periods of the week.
	Periods []WorkingPeriod
}

// WorkingPeriod is a t:WorkingPeriod (§2.4; EWS reference "WorkingPeriod").
type WorkingPeriod struct {
	// Days are the t:DayOfWeek list, in Sunday..Saturday order when written.
	Days []time.Weekday
	// StartTimeInMinutes and EndTimeInMinutes are minutes after local
	// midnight, 0..1440.
	StartTimeInMinutes int
	EndTimeInMinutes   int
}
