package exchange

import (
	"github.com/calbridge/calbridge/freebusy"
)

// ResponseCode is an EWS m:ResponseCode (docs/exchange.md §2.7; EWS
// reference "ResponseCode"), which Graph's getSchedule reports as well.
type ResponseCode string

// The response codes of GetUserAvailability (§2.7), plus the generic ones a
// server may answer any request with.
const (
	CodeNoError                                    ResponseCode = "NoError"
	CodeMailRecipientNotFound                      ResponseCode = "ErrorMailRecipientNotFound"
	CodeNoFreeBusyAccess                           ResponseCode = "ErrorNoFreeBusyAccess"
	CodeFreeBusyGenerationFailed                   ResponseCode = "ErrorFreeBusyGenerationFailed"
	CodeProxyRequestNotAllowed                     ResponseCode = "ErrorProxyRequestNotAllowed"
	CodeProxyRequestProcessingFailed               ResponseCode = "ErrorProxyRequestProcessingFailed"
	CodeProxyServiceDiscoveryFailed                ResponseCode = "ErrorProxyServiceDiscoveryFailed"
	CodeTimeoutExpired                             ResponseCode = "ErrorTimeoutExpired"
	CodeIndividualMailboxLimitReached              ResponseCode = "ErrorIndividualMailboxLimitReached"
	CodeFreeBusyDLLimitReached                     ResponseCode = "ErrorFreeBusyDLLimitReached"
	CodeInvalidMergedFreeBusyInterval              ResponseCode = "ErrorInvalidMergedFreeBusyInterval"
	CodeTimeIntervalTooBig                         ResponseCode = "ErrorTimeIntervalTooBig"
	CodeInvalidTimeInterval                        ResponseCode = "ErrorInvalidTimeInterval"
	CodeInvalidFreeBusyViewType                    ResponseCode = "ErrorInvalidFreeBusyViewType"
	CodeResultSetTooBig                            ResponseCode = "ErrorResultSetTooBig"
	CodeNoCalendar                                 ResponseCode = "ErrorNoCalendar"
	CodeInvalidSmtpAddress                         ResponseCode = "ErrorInvalidSmtpAddress"
	CodePublicFolderServerNotFound                 ResponseCode = "ErrorPublicFolderServerNotFound"
	CodeNoPublicFolderServerAvailable              ResponseCode = "ErrorNoPublicFolderServerAvailable"
	CodeAvailabilityConfigNotFound                 ResponseCode = "ErrorAvailabilityConfigNotFound"
	CodeMailboxLogonFailed                         ResponseCode = "ErrorMailboxLogonFailed"
	CodeServerBusy                                 ResponseCode = "ErrorServerBusy"
	CodeInvalidOrganizationRelationshipForFreeBusy ResponseCode = "ErrorInvalidOrganizationRelationshipForFreeBusy"
	CodeTimeZone                                   ResponseCode = "ErrorTimeZone"
	CodeInvalidRequest                             ResponseCode = "ErrorInvalidRequest"
	CodeSchemaValidation                           ResponseCode = "ErrorSchemaValidation"
	CodeInternalServerError                        ResponseCode = "ErrorInternalServerError"
	CodeInternalServerTransientError               ResponseCode = "ErrorInternalServerTransientError"
	CodeAccessDenied                               ResponseCode = "ErrorAccessDenied"
)

// codeRow is one row of the response-code table.
type codeRow struct {
	code   ResponseCode
	reason freebusy.Reason
	// primary marks the code written for the reason (one per reason).
	primary bool
}

// responseCodes is THE mapping between EWS response codes and canonical
// reasons, both ways: Reason reads it, CodeFor writes with the primary row.
// Codes not listed read as ReasonInternal.
var responseCodes = [...]codeRow{
	{CodeMailRecipientNotFound, freebusy.ReasonUnknownAttendee, true},
	{CodeNoCalendar, freebusy.ReasonUnknownAttendee, false},
	{CodeNoFreeBusyAccess, freebusy.ReasonAccessDenied, true},
	{CodeProxyRequestNotAllowed, freebusy.ReasonAccessDenied, false},
	{CodeInvalidOrganizationRelationshipForFreeBusy, freebusy.ReasonAccessDenied, false},
	{CodeAccessDenied, freebusy.ReasonAccessDenied, false},
	{CodeTimeoutExpired, freebusy.ReasonTimeout, true},
	{CodeServerBusy, freebusy.ReasonThrottled, true},
	{CodeProxyRequestProcessingFailed, freebusy.ReasonUnavailable, true},
	{CodeProxyServiceDiscoveryFailed, freebusy.ReasonUnavailable, false},
	{CodePublicFolderServerNotFound, freebusy.ReasonUnavailable, false},
	{CodeNoPublicFolderServerAvailable, freebusy.ReasonUnavailable, false},
	{CodeAvailabilityConfigNotFound, freebusy.ReasonUnavailable, false},
	{CodeMailboxLogonFailed, freebusy.ReasonUnavailable, false},
	{CodeInternalServerTransientError, freebusy.ReasonUnavailable, false},
	{CodeInvalidRequest, freebusy.ReasonInvalid, true},
	{CodeInvalidSmtpAddress, freebusy.ReasonInvalid, false},
	{CodeIndividualMailboxLimitReached, freebusy.ReasonInvalid, false},
	{CodeFreeBusyDLLimitReached, freebusy.ReasonInvalid, false},
	{CodeInvalidMergedFreeBusyInterval, freebusy.ReasonInvalid, false},
	{CodeTimeIntervalTooBig, freebusy.ReasonInvalid, false},
	{CodeInvalidTimeInterval, freebusy.ReasonInvalid, false},
	{CodeInvalidFreeBusyViewType, freebusy.ReasonInvalid, false},
	{CodeResultSetTooBig, freebusy.ReasonInvalid, false},
	{CodeTimeZone, freebusy.ReasonInvalid, false},
	{CodeSchemaValidation, freebusy.ReasonInvalid, false},
	{CodeFreeBusyGenerationFailed, freebusy.ReasonInternal, true},
	{CodeInternalServerError, freebusy.ReasonInternal, false},
}

// Reason maps a response code to the canonical reason (the table above):
// ErrorMailRecipientNotFound is ReasonUnknownAttendee,
// ErrorNoFreeBusyAccess ReasonAccessDenied, ErrorTimeoutExpired
// ReasonTimeout, ErrorServerBusy ReasonThrottled, and so on. NoError (and
// "") is ReasonNone; a code the table does not list is ReasonInternal.
func (c ResponseCode) Reason() freebusy.Reason {
	if c == CodeNoError || c == "" {
		return freebusy.ReasonNone
	}
	for _, r := range responseCodes {
		if r.code == c {
			return r.reason
		}
	}
	return freebusy.ReasonInternal
}

// CodeFor returns the response code written for a canonical reason: the
// primary row of the same table. ReasonNone is NoError.
func CodeFor(r freebusy.Reason) ResponseCode {
	if r == freebusy.ReasonNone {
		return CodeNoError
	}
	for _, row := range responseCodes {
		if row.primary && row.reason == r {
			return row.code
		}
	}
	return CodeFreeBusyGenerationFailed
}
