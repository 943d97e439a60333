package ews

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

// ResponseError is an error an EWS server reported, for one mailbox (a
// ResponseMessage with ResponseClass Error, Mailbox set) or for the whole
// request (Mailbox empty). It matches the freebusy sentinel of its code's
// Reason with errors.Is (errors.Is(err, freebusy.ErrUnknownAttendee) for
// ErrorMailRecipientNotFound).
type ResponseError struct {
	// Mailbox is the mailbox's address as requested, or "".
	Mailbox string
	// Code is the EWS response code.
	Code exchange.ResponseCode
	// Message is the server's MessageText, or the fault string.
	Message string
	// BackOff is the server's BackOffMilliseconds hint (ErrorServerBusy).
	BackOff time.Duration
}

// Error implements error.
func (e *ResponseError) Error() string {
	msg := "ews: "
	if e.Mailbox != "" {
		msg += strconv.Quote(e.Mailbox) + ": "
	}
	msg += string(e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// reason returns the canonical reason of e's code; freebusy.ReasonOf(e)
// gives the same.
func (e *ResponseError) reason() freebusy.Reason { return e.Code.Reason() }

// Is reports whether target is the freebusy sentinel of e's reason.
func (e *ResponseError) Is(target error) bool { return isSentinel(e.reason(), target) }

// isSentinel reports whether target is the freebusy sentinel of r.
func isSentinel(r freebusy.Reason, target error) bool {
	s := r.Sentinel()
	return s != nil && target == s
}

// SOAPFault is a SOAP Fault (docs/exchange.md §2.1, §2.7; SOAP 1.1, or
// SOAP 1.2 Part 1 §5.4): how EWS reports errors that concern the whole
// request, with the EWS response code in its detail. It matches the
// freebusy sentinel of that code's reason with errors.Is.
type SOAPFault struct {
	// Code is the faultcode ("soap:Client", "a:ErrorServerBusy").
	Code string
	// String is the faultstring.
	String string
	// ResponseCode is the detail's e:ResponseCode, or "" when absent.
	ResponseCode exchange.ResponseCode
	// Message is the detail's e:Message.
	Message string
	// MessageXML holds the detail's exception and back-off hint.
	MessageXML MessageXML
}

// Error implements error.
func (f *SOAPFault) Error() string {
	msg := "ews: soap fault"
	if f.ResponseCode != "" {
		msg += " " + string(f.ResponseCode)
	} else if f.Code != "" {
		msg += " " + f.Code
	}
	if f.String != "" {
		msg += ": " + f.String
	}
	return msg
}

// reason returns the canonical reason of the fault's response code, or
// ReasonInternal when it has none; freebusy.ReasonOf(f) gives the same.
func (f *SOAPFault) reason() freebusy.Reason {
	if f.ResponseCode == "" {
		return freebusy.ReasonInternal
	}
	return f.ResponseCode.Reason()
}

// Is reports whether target is the freebusy sentinel of f's reason.
func (f *SOAPFault) Is(target error) bool { return isSentinel(f.reason(), target) }

// Conditions a DecodeError can report.
var (
	// ErrDTD: the document has a DOCTYPE or other directive. EWS and
	// Autodiscover peers never send one, and refusing it rules out entity
	// tricks.
	ErrDTD = errors.New("ews: document type declarations are not allowed")
	// ErrTooLarge: the document exceeds the size limit.
	ErrTooLarge = errors.New("ews: document too large")
	// ErrNotAvailability: the document is well-formed XML but not the
	// expected message: a SOAP envelope holding the GetUserAvailability
	// element, or an Autodiscover request.
	ErrNotAvailability = errors.New("ews: not a GetUserAvailability message")
	// ErrBadValue: an element has a value that cannot be parsed.
	ErrBadValue = errors.New("ews: invalid element value")
	// ErrMalformedXML: the document is not well-formed XML.
	ErrMalformedXML = errors.New("ews: malformed XML")
	// ErrTooDeep: the document nests elements deeper than the depth limit
	// (MaxDepth, WithMaxDepth).
	ErrTooDeep = errors.New("ews: document nested too deeply")
	// ErrTooManyElements: the document has more elements than the element
	// limit (MaxRequestElements, MaxResponseElements, WithMaxElements).
	ErrTooManyElements = errors.New("ews: document has too many elements")
)

// DecodeError reports a document that could not be decoded. It
// matches its condition (ErrDTD, ErrTooLarge, ErrTooDeep,
// ErrTooManyElements, ErrNotAvailability, ErrBadValue, ErrMalformedXML)
// and freebusy.ErrInvalid with errors.Is.
type DecodeError struct {
	// Message names the document: "request", "response" or
	// "autodiscover request".
	Message string
	// Element is the element being read, when known ("t:StartTime").
	Element string
	// Offset is the input byte offset where the problem was noticed.
	Offset int64
	// Err is the condition.
	Err error
	// Detail says more, for people (the XML parser's message, the value).
	Detail string
}

// Error implements error.
func (e *DecodeError) Error() string {
	msg := "ews: decode " + e.Message + ": "
	if e.Element != "" {
		msg += e.Element + ": "
	}
	msg += strings.TrimPrefix(e.Err.Error(), "ews: ")
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg + " (offset " + strconv.FormatInt(e.Offset, 10) + ")"
}

// Unwrap returns the condition.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is makes every DecodeError match freebusy.ErrInvalid.
func (e *DecodeError) Is(target error) bool { return target == freebusy.ErrInvalid }
