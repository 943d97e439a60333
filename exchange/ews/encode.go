package ews

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/bufpool"
)

// encoder appends XML to a byte slice; callers write it out at the end.
type encoder struct {
	b     []byte
	dates dateCache // the last date elemDateTime wrote
}

func (e *encoder) raw(s string) { e.b = append(e.b, s...) }

// text appends s with the XML special characters escaped. Characters XML
// 1.0 does not allow are replaced by U+FFFD, so that the output always
// parses.
func (e *encoder) text(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '\r':
			esc = "&#xD;"
		case '\t', '\n':
			continue
		default:
			if c < 0x20 {
				esc = "\uFFFD"
			} else if c >= 0x80 {
				// Rare: fall back to encoding/xml for the rest.
				e.b = append(e.b, s[last:i]...)
				var buf bytes.Buffer
				_ = xml.EscapeText(&buf, []byte(s[i:]))
				e.b = append(e.b, buf.Bytes()...)
				return
			} else {
				continue
			}
		}
		e.b = append(e.b, s[last:i]...)
		e.b = append(e.b, esc...)
		last = i + 1
	}
	e.b = append(e.b, s[last:]...)
}

func (e *encoder) openTag(name string) {
	e.b = append(e.b, '<')
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
}

func (e *encoder) closeTag(name string) {
	e.b = append(e.b, "</"...)
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
}

func (e *encoder) elem(name, value string) {
	e.openTag(name)
	e.text(value)
	e.closeTag(name)
}

func (e *encoder) elemInt(name string, v int) {
	e.openTag(name)
	e.b = strconv.AppendInt(e.b, int64(v), 10)
	e.closeTag(name)
}

func (e *encoder) elemBool(name string, v bool) {
	if v {
		e.elem(name, "true")
	} else {
		e.elem(name, "false")
	}
}

func (e *encoder) elemDateTime(name string, dt DateTime) {
	e.openTag(name)
	e.b = dt.appendCached(e.b, &e.dates)
	e.closeTag(name)
}

// writeTo writes the document out.
func (e *encoder) writeTo(w io.Writer) error {
	_, err := w.Write(e.b)
	return err
}

func formatClock(d time.Duration) string {
	s := int(d / time.Second)
	return string(append2(append(append2(append(append2(nil, s/3600), ':'), s/60%60), ':'), s%60))
}

func (e *encoder) timeZone(tz SerializableTimeZone) {
	e.raw("<t:TimeZone>")
	e.elemInt("t:Bias", tz.Bias)
	e.timeZoneTime("t:StandardTime", tz.StandardTime)
	e.timeZoneTime("t:DaylightTime", tz.DaylightTime)
	e.raw("</t:TimeZone>")
}

func (e *encoder) timeZoneTime(name string, r SerializableTimeZoneTime) {
	e.openTag(name)
	e.elemInt("t:Bias", r.Bias)
	e.elem("t:Time", formatClock(r.Time))
	e.elemInt("t:DayOrder", r.DayOrder)
	e.elemInt("t:Month", int(r.Month))
	wd := r.DayOfWeek
	if wd < time.Sunday || wd > time.Saturday {
		wd = time.Sunday
	}
	e.elem("t:DayOfWeek", weekdayNames[wd])
	if r.Year != 0 {
		e.elemInt("t:Year", r.Year)
	}
	e.closeTag(name)
}

const xmlHeader = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// encodeAvailabilityRequest writes req as a SOAP 1.1 GetUserAvailability
// request (docs/exchange.md §2.2) with every element in its §2.1
// namespace: the
// RequestServerVersion and TimeZoneContext headers when set, the body
// TimeZone when set, ExcludeConflicts as given (false when nil, §2.2 "emit
// it for safety"), and view options when set.
func encodeAvailabilityRequest(w io.Writer, req *availabilityRequest) error {
	e := &encoder{b: make([]byte, 0, 1024+256*len(req.Mailboxes))}
	e.raw(xmlHeader)
	e.raw(`<soap:Envelope xmlns:soap="` + namespaceSOAP11 + `" xmlns:m="` + namespaceMessages + `" xmlns:t="` + namespaceTypes + `">`)
	if req.ServerVersion != "" || req.TimeZoneContext != "" {
		e.raw("<soap:Header>")
		if req.ServerVersion != "" {
			e.raw(`<t:RequestServerVersion Version="`)
			e.text(req.ServerVersion)
			e.raw(`"/>`)
		}
		if req.TimeZoneContext != "" {
			e.raw(`<t:TimeZoneContext><t:TimeZoneDefinition Id="`)
			e.text(req.TimeZoneContext)
			e.raw(`"/></t:TimeZoneContext>`)
		}
		e.raw("</soap:Header>")
	}
	e.raw("<soap:Body><m:GetUserAvailabilityRequest>")
	if req.TimeZone != nil {
		e.timeZone(*req.TimeZone)
	}
	e.raw("<m:MailboxDataArray>")
	for _, mb := range req.Mailboxes {
		e.raw("<t:MailboxData><t:Email>")
		if mb.Email.Name != "" {
			e.elem("t:Name", mb.Email.Name)
		}
		e.elem("t:Address", mb.Email.Address)
		rt := mb.Email.RoutingType
		if rt == "" {
			rt = "SMTP"
		}
		e.elem("t:RoutingType", rt)
		e.raw("</t:Email>")
		at := mb.AttendeeType
		if at == "" {
			at = "Required"
		}
		e.elem("t:AttendeeType", at)
		e.elemBool("t:ExcludeConflicts", mb.ExcludeConflicts != nil && *mb.ExcludeConflicts)
		e.raw("</t:MailboxData>")
	}
	e.raw("</m:MailboxDataArray>")
	if o := req.FreeBusyViewOptions; o != nil {
		e.raw("<t:FreeBusyViewOptions><t:TimeWindow>")
		e.elemDateTime("t:StartTime", o.StartTime)
		e.elemDateTime("t:EndTime", o.EndTime)
		e.raw("</t:TimeWindow>")
		if o.MergedFreeBusyIntervalInMinutes != 0 {
			e.elemInt("t:MergedFreeBusyIntervalInMinutes", o.MergedFreeBusyIntervalInMinutes)
		}
		if o.RequestedView != "" {
			e.elem("t:RequestedView", string(o.RequestedView))
		}
		e.raw("</t:FreeBusyViewOptions>")
	}
	e.raw("</m:GetUserAvailabilityRequest></soap:Body></soap:Envelope>")
	return e.writeTo(w)
}

// soapNamespace returns the envelope namespace of SOAP 1.2 or 1.1.
func soapNamespace(soap12 bool) string {
	if soap12 {
		return namespaceSOAP12
	}
	return namespaceSOAP11
}

// encodeAvailabilityResponse writes resp as a GetUserAvailability response
// (docs/exchange.md §2.4) with every element in its §2.1 namespace and the
// DefaultServerVersion header, in a SOAP 1.1 or, with soap12, a SOAP 1.2
// envelope; the body is the same in both.
func encodeAvailabilityResponse(w io.Writer, resp *AvailabilityResponse, soap12 bool) error {
	v := DefaultServerVersion()
	return encodeAvailabilityResponseAs(w, resp, soap12, &v)
}

// encodeAvailabilityResponseAs is encodeAvailabilityResponse with the
// ServerVersionInfo header v.
func encodeAvailabilityResponseAs(w io.Writer, resp *AvailabilityResponse, soap12 bool, v *ServerVersionInfo) error {
	e := &encoder{b: make([]byte, 0, estimateResponse(resp))}
	e.availabilityResponse(resp, soap12, v)
	return e.writeTo(w)
}

// availabilityResponse appends the document encodeAvailabilityResponseAs
// writes.
func (e *encoder) availabilityResponse(resp *AvailabilityResponse, soap12 bool, v *ServerVersionInfo) {
	e.envelopeStart(soap12, v)
	e.raw(`<m:GetUserAvailabilityResponse xmlns:m="` + namespaceMessages + `" xmlns:t="` + namespaceTypes + `" xmlns:e="` + namespaceErrors + `">`)
	e.raw("<m:FreeBusyResponseArray>")
	for i := range resp.Responses {
		e.freeBusyResponse(&resp.Responses[i])
	}
	e.raw("</m:FreeBusyResponseArray></m:GetUserAvailabilityResponse>")
	e.envelopeEnd()
}

// maxPooledAnswer is the largest buffer the handlers put back into
// answerBuffers: an answer for 100 mailboxes over a week at 30 minutes is
// about 1 MB, and a rare larger one (62 days, 5-minute slots) should not
// keep its many megabytes alive between requests.
const maxPooledAnswer = 4 << 20

// answerBuffers holds the encoders of answers the handlers have written,
// so that each answer is encoded into a buffer that is already grown and
// written from it to the connection: no allocation and no second copy of
// the whole body per request. It is a bufpool.Pool, not a bare sync.Pool,
// because the next request often runs on another P than the one that gave
// the encoder back, and would not find it there (BenchmarkEWSHandler100x7d
// grew a new megabyte about one request in fifteen).
var answerBuffers = bufpool.Pool[*encoder]{
	New:  func() *encoder { return new(encoder) },
	Size: func(e *encoder) int { return cap(e.b) },
	Max:  maxPooledAnswer,
}

// getEncoder returns an empty pooled encoder with room for about n bytes.
func getEncoder(n int) *encoder {
	e := answerBuffers.Get()
	if cap(e.b) < n {
		e.b = make([]byte, 0, n)
	}
	e.b = e.b[:0]
	return e
}

// putEncoder returns e to the pool, unless its buffer is too large to
// keep; e must not be used after.
func putEncoder(e *encoder) {
	e.b = e.b[:0]
	answerBuffers.Put(e)
}

// envelopeStart writes the XML declaration, the s:Envelope (SOAP 1.2 with
// soap12, else 1.1), the s:Header with the ServerVersionInfo v (none when
// v is nil) and the opening s:Body.
func (e *encoder) envelopeStart(soap12 bool, v *ServerVersionInfo) {
	e.raw(xmlHeader)
	e.raw(`<s:Envelope xmlns:s="` + soapNamespace(soap12) + `">`)
	if v != nil {
		e.raw(`<s:Header>`)
		e.serverVersionHeader(v)
		e.raw(`</s:Header>`)
	}
	e.raw(`<s:Body>`)
}

// envelopeEnd closes what envelopeStart opened.
func (e *encoder) envelopeEnd() { e.raw(`</s:Body></s:Envelope>`) }

func estimateResponse(resp *AvailabilityResponse) int {
	n := 1024
	for i := range resp.Responses {
		v := &resp.Responses[i].View
		n += 512 + len(v.MergedFreeBusy) + 180*len(v.CalendarEvents)
	}
	return n
}

func (e *encoder) freeBusyResponse(fr *FreeBusyResponse) {
	rm := &fr.ResponseMessage
	class := rm.Class
	if class == "" {
		class = ClassSuccess
	}
	code := rm.Code
	if code == "" {
		code = exchange.CodeNoError
	}
	e.raw(`<m:FreeBusyResponse><m:ResponseMessage ResponseClass="`)
	e.text(string(class))
	e.raw(`">`)
	if rm.MessageText != "" {
		e.elem("m:MessageText", rm.MessageText)
	}
	e.elem("m:ResponseCode", string(code))
	if class != ClassSuccess {
		e.raw("<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>") // as Exchange writes it
	}
	e.messageXML("<m:MessageXml>", "</m:MessageXml>", rm.MessageXML)
	e.raw("</m:ResponseMessage>")
	v := &fr.View
	vt := v.ViewType
	if vt == "" {
		vt = ViewNone
	}
	e.raw("<m:FreeBusyView>")
	e.elem("t:FreeBusyViewType", string(vt))
	if v.MergedFreeBusy != "" {
		e.elem("t:MergedFreeBusy", v.MergedFreeBusy)
	}
	if v.CalendarEvents != nil {
		e.raw("<t:CalendarEventArray>")
		for i := range v.CalendarEvents {
			e.calendarEvent(&v.CalendarEvents[i])
		}
		e.raw("</t:CalendarEventArray>")
	}
	if wh := v.WorkingHours; wh != nil {
		e.raw("<t:WorkingHours>")
		e.timeZone(wh.TimeZone)
		e.raw("<t:WorkingPeriodArray>")
		for _, p := range wh.Periods {
			e.raw("<t:WorkingPeriod>")
			e.raw("<t:DayOfWeek>")
			e.days(p.Days)
			e.raw("</t:DayOfWeek>")
			e.elemInt("t:StartTimeInMinutes", p.StartTimeInMinutes)
			e.elemInt("t:EndTimeInMinutes", p.EndTimeInMinutes)
			e.raw("</t:WorkingPeriod>")
		}
		e.raw("</t:WorkingPeriodArray></t:WorkingHours>")
	}
	e.raw("</m:FreeBusyView></m:FreeBusyResponse>")
}

func (e *encoder) messageXML(openTag, closeTag string, m MessageXML) {
	if m == (MessageXML{}) {
		return
	}
	e.raw(openTag)
	if m.ExceptionType != "" {
		e.elem("e:ExceptionType", m.ExceptionType)
	}
	if m.ExceptionCode != 0 {
		e.elemInt("e:ExceptionCode", m.ExceptionCode)
	}
	if m.BackOff > 0 {
		e.raw(`<t:Value Name="BackOffMilliseconds">`)
		e.b = strconv.AppendInt(e.b, int64(m.BackOff/time.Millisecond), 10)
		e.raw("</t:Value>")
	}
	e.raw(closeTag)
}

func (e *encoder) calendarEvent(ev *CalendarEvent) {
	e.raw("<t:CalendarEvent>")
	e.elemDateTime("t:StartTime", ev.StartTime)
	e.elemDateTime("t:EndTime", ev.EndTime)
	bt := ev.BusyType
	if bt == "" {
		bt = BusyNoData
	}
	e.elem("t:BusyType", string(bt))
	if d := ev.Details; d != nil {
		e.raw("<t:CalendarEventDetails>")
		if d.ID != "" {
			e.elem("t:ID", d.ID)
		}
		if d.Subject != "" {
			e.elem("t:Subject", d.Subject)
		}
		if d.Location != "" {
			e.elem("t:Location", d.Location)
		}
		e.elemBool("t:IsMeeting", d.IsMeeting)
		e.elemBool("t:IsRecurring", d.IsRecurring)
		e.elemBool("t:IsException", d.IsException)
		e.elemBool("t:IsReminderSet", d.IsReminderSet)
		e.elemBool("t:IsPrivate", d.IsPrivate)
		e.raw("</t:CalendarEventDetails>")
	}
	e.raw("</t:CalendarEvent>")
}

// days appends what formatDays returns, without building the string.
func (e *encoder) days(days []time.Weekday) {
	var mask uint8
	for _, d := range days {
		if d >= time.Sunday && d <= time.Saturday {
			mask |= 1 << d
		}
	}
	first := true
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if mask&(1<<wd) == 0 {
			continue
		}
		if !first {
			e.b = append(e.b, ' ')
		}
		e.b = append(e.b, weekdayNames[wd]...)
		first = false
	}
}

// formatDays writes a DayOfWeek list in Sunday..Saturday order (§2.4).
func formatDays(days []time.Weekday) string {
	var e encoder
	e.days(days)
	return string(e.b)
}

// encodeSOAPFault writes f as a SOAP 1.1 fault in the shape Exchange uses
// (docs/exchange.md §2.7): faultcode "a:<ResponseCode>" in the types
// namespace (or f.Code when set), faultstring, and a detail with
// e:ResponseCode, e:Message and the MessageXml back-off hint. With soap12
// it writes a SOAP 1.2 fault instead (SOAP 1.2 Part 1 §5.4):
// env:Code/env:Value env:Sender or env:Receiver (faultSender12) with the
// EWS code as env:Subcode/env:Value, env:Reason/env:Text xml:lang, and
// env:Detail holding the same EWS detail as the 1.1 form. It writes no
// SOAP header; encodeSOAPFaultAs adds the ServerVersionInfo one.
func encodeSOAPFault(w io.Writer, f *SOAPFault, soap12 bool) error {
	return encodeSOAPFaultAs(w, f, soap12, nil)
}

// encodeSOAPFaultAs is encodeSOAPFault with the ServerVersionInfo header
// v, which Exchange writes on faults too; nil writes none.
func encodeSOAPFaultAs(w io.Writer, f *SOAPFault, soap12 bool, v *ServerVersionInfo) error {
	e := &encoder{}
	e.soapFault(f, soap12, v)
	return e.writeTo(w)
}

// soapFault appends the document encodeSOAPFaultAs writes.
func (e *encoder) soapFault(f *SOAPFault, soap12 bool, v *ServerVersionInfo) {
	e.raw(xmlHeader)
	header := func(prefix string) {
		if v != nil {
			e.raw(`<` + prefix + `:Header>`)
			e.serverVersionHeader(v)
			e.raw(`</` + prefix + `:Header>`)
		}
	}
	if soap12 {
		e.raw(`<env:Envelope xmlns:env="` + namespaceSOAP12 + `">`)
		header("env")
		e.raw(`<env:Body><env:Fault><env:Code><env:Value>`)
		if faultSender12(f) {
			e.raw(`env:Sender`)
		} else {
			e.raw(`env:Receiver`)
		}
		e.raw(`</env:Value>`)
		if f.ResponseCode != "" {
			e.raw(`<env:Subcode><env:Value xmlns:a="` + namespaceTypes + `">a:`)
			e.text(string(f.ResponseCode))
			e.raw(`</env:Value></env:Subcode>`)
		}
		e.raw(`</env:Code><env:Reason><env:Text xml:lang="en-US">`)
		e.text(f.String)
		e.raw(`</env:Text></env:Reason><env:Detail>`)
		e.faultDetail(f)
		e.raw(`</env:Detail></env:Fault></env:Body></env:Envelope>`)
		return
	}
	e.raw(`<s:Envelope xmlns:s="` + namespaceSOAP11 + `">`)
	header("s")
	e.raw(`<s:Body><s:Fault>`)
	code := f.Code
	if code == "" {
		rc := f.ResponseCode
		if rc == "" {
			rc = exchange.CodeInternalServerError
		}
		code = "a:" + string(rc)
	}
	e.raw(`<faultcode xmlns:a="` + namespaceTypes + `">`)
	e.text(code)
	e.raw(`</faultcode><faultstring xml:lang="en-US">`)
	e.text(f.String)
	e.raw(`</faultstring><detail>`)
	e.faultDetail(f)
	e.raw(`</detail></s:Fault></s:Body></s:Envelope>`)
}

// faultSender12 reports whether f is the requester's fault (env:Sender)
// rather than the server's (env:Receiver): a 1.1 Code "...Client" or
// "...Server" decides; otherwise throttling, timeouts, unavailability and
// internal errors are the server's, the rest the request's.
func faultSender12(f *SOAPFault) bool {
	local := f.Code[strings.LastIndexByte(f.Code, ':')+1:]
	switch local {
	case "Client", "Sender":
		return true
	case "Server", "Receiver":
		return false
	}
	switch f.reason() {
	case freebusy.ReasonThrottled, freebusy.ReasonTimeout, freebusy.ReasonUnavailable, freebusy.ReasonInternal:
		return false
	}
	return true
}

// faultDetail writes the EWS fault detail's children (§2.7).
func (e *encoder) faultDetail(f *SOAPFault) {
	if f.ResponseCode != "" {
		e.raw(`<e:ResponseCode xmlns:e="` + namespaceErrors + `">`)
		e.text(string(f.ResponseCode))
		e.raw(`</e:ResponseCode>`)
	}
	if f.Message != "" {
		e.raw(`<e:Message xmlns:e="` + namespaceErrors + `">`)
		e.text(f.Message)
		e.raw(`</e:Message>`)
	}
	if f.MessageXML != (MessageXML{}) {
		e.messageXML(`<t:MessageXml xmlns:t="`+namespaceTypes+`" xmlns:e="`+namespaceErrors+`">`, "</t:MessageXml>", f.MessageXML)
	}
}
