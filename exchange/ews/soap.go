package ews

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/exchange"

	"github.com/calbridge/calbridge/freebusy"
)

// Size limits of the codec. A GetUserAvailability request for 100
// mailboxes is about 30 KB; a FreeBusyMerged response for 100 mailboxes
// over 62 days with ten events a day is about 20 MB.
const (
	// MaxRequestBytes caps a request document (handler default).
	MaxRequestBytes = 1 << 20
	// MaxResponseBytes caps a response document (client default).
	MaxResponseBytes = 64 << 20
	// maxMailboxes caps the MailboxData entries the decoder keeps; the
	// handler enforces the real limit (100) with the documented code.
	maxMailboxes = 10000
	// maxEventsPerView caps the events of one view (Exchange stops at 1000
	// or 10,000, §2.8).
	maxEventsPerView = 100000
)

// DecodeAvailabilityRequest reads a SOAP GetUserAvailability request
// (exchange-freebusy.md §2.2, §2.9) of at most MaxRequestBytes. It accepts
// what real clients send (§2.2 client quirks): elements are matched by
// local name whatever their namespace, a body TimeZone and a TimeZoneContext
// header may each be present or absent, ExcludeConflicts may be missing,
// and date-times may carry offsets or not. Unknown elements are skipped.
//
// Errors are *DecodeError: ErrDTD for a DOCTYPE (entities are never
// expanded), ErrTooLarge, ErrMalformedXML, ErrNotAvailability, ErrBadValue.
func DecodeAvailabilityRequest(r io.Reader) (*AvailabilityRequest, error) {
	return decodeRequest(r, MaxRequestBytes)
}

// DecodeAvailabilityResponse reads a SOAP GetUserAvailability response
// (exchange-freebusy.md §2.4) of at most MaxResponseBytes. A SOAP fault is
// returned as a *SOAPFault error. Other errors are *DecodeError as for
// DecodeAvailabilityRequest.
func DecodeAvailabilityResponse(r io.Reader) (*AvailabilityResponse, error) {
	return decodeResponse(r, MaxResponseBytes)
}

// namespaceSOAP12 is the SOAP 1.2 envelope namespace. EWS speaks SOAP 1.1;
// the decoder also accepts 1.2 envelopes, which ASMX services answer too,
// and Handler answers a 1.2 request in 1.2.
const namespaceSOAP12 = "http://www.w3.org/2003/05/soap-envelope"

// Content types of the two SOAP versions' HTTP bindings: SOAP 1.1 is
// text/xml, SOAP 1.2 application/soap+xml (SOAP 1.2 Part 2 §7.1.4).
const (
	contentTypeSOAP11 = "text/xml; charset=utf-8"
	contentTypeSOAP12 = "application/soap+xml; charset=utf-8"
)

// limitedReader is io.LimitedReader that remembers that it hit the limit.
type limitedReader struct {
	r        io.Reader
	n        int64
	exceeded bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Probe one byte to tell "exactly at the limit" from "over it".
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// decoder is a hand-written token-loop decoder over encoding/xml's
// tokenizer: reflection-based xml.Unmarshal costs several times the
// tokenizer itself on large responses (BenchmarkEWSDecodeResponse100).
type decoder struct {
	x      *xml.Decoder
	lr     *limitedReader
	what   string // "request" or "response"
	text   []byte // character data of the element being read
	soap12 bool   // the envelope is SOAP 1.2
}

func newDecoder(r io.Reader, limit int64, what string) *decoder {
	lr := &limitedReader{r: r, n: limit}
	x := xml.NewDecoder(lr)
	x.Strict = true
	// No Entity map: only the five predefined entities and character
	// references are known; "&foo;" is a syntax error, never an expansion.
	x.CharsetReader = nil
	return &decoder{x: x, lr: lr, what: what}
}

func (d *decoder) fail(cond error, elem, detail string) *DecodeError {
	return &DecodeError{Message: d.what, Element: elem, Offset: d.x.InputOffset(), Err: cond, Detail: detail}
}

// token returns the next token, refusing directives (DOCTYPE and friends)
// and mapping tokenizer errors to *DecodeError.
func (d *decoder) token() (xml.Token, error) {
	tok, err := d.x.Token()
	if err != nil {
		if d.lr.exceeded || errors.Is(err, ErrTooLarge) {
			return nil, d.fail(ErrTooLarge, "", "")
		}
		if err == io.EOF {
			return nil, d.fail(ErrMalformedXML, "", "unexpected end of document")
		}
		return nil, d.fail(ErrMalformedXML, "", err.Error())
	}
	if _, ok := tok.(xml.Directive); ok {
		return nil, d.fail(ErrDTD, "", "")
	}
	return tok, nil
}

// root reads up to the document's root element.
func (d *decoder) root() (xml.StartElement, error) {
	for {
		tok, err := d.token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			// A UTF-8 byte-order mark, which .NET writers may put first,
			// reaches us as text before the prolog.
			if len(trimSpace(bytes.TrimPrefix(t, []byte("\uFEFF")))) != 0 {
				return xml.StartElement{}, d.fail(ErrNotAvailability, "", "text before the root element")
			}
		}
	}
}

// child returns the next child element of the current element, or ok false
// at the current element's end tag. Text between children is ignored.
func (d *decoder) child() (se xml.StartElement, ok bool, err error) {
	for {
		tok, err := d.token()
		if err != nil {
			return se, false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, true, nil
		case xml.EndElement:
			return se, false, nil
		}
	}
}

// skip consumes the rest of the current element, iteratively.
func (d *decoder) skip() error {
	depth := 1
	for depth > 0 {
		tok, err := d.token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// readText returns the character data of the current element, whitespace
// trimmed, and consumes its end tag. Child elements are skipped. The
// result is valid until the next call.
func (d *decoder) readText() ([]byte, error) {
	d.text = d.text[:0]
	for {
		tok, err := d.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			d.text = append(d.text, t...)
		case xml.StartElement:
			if err := d.skip(); err != nil {
				return nil, err
			}
		case xml.EndElement:
			return trimSpace(d.text), nil
		}
	}
}

func (d *decoder) readString() (string, error) {
	b, err := d.readText()
	return string(b), err
}

func (d *decoder) readInt(elem string) (int, error) {
	b, err := d.readText()
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(string(b))
	if err != nil || len(b) > 12 {
		return 0, d.fail(ErrBadValue, elem, strconv.Quote(abbreviate(b)))
	}
	return v, nil
}

func (d *decoder) readBool(elem string) (bool, error) {
	b, err := d.readText()
	if err != nil {
		return false, err
	}
	switch string(b) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, d.fail(ErrBadValue, elem, strconv.Quote(abbreviate(b)))
}

func (d *decoder) readDateTime(elem string) (DateTime, error) {
	b, err := d.readText()
	if err != nil {
		return DateTime{}, err
	}
	dt, err := parseDateTimeBytes(b)
	if err != nil {
		return DateTime{}, d.fail(ErrBadValue, elem, strconv.Quote(abbreviate(b)))
	}
	return dt, nil
}

func abbreviate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// envelope reads the root Envelope and calls header for each child of
// soap:Header and body for each child of soap:Body.
func (d *decoder) envelope(header, body func(se xml.StartElement) error) error {
	root, err := d.root()
	if err != nil {
		return err
	}
	if root.Name.Local != "Envelope" || (root.Name.Space != NamespaceSOAP && root.Name.Space != namespaceSOAP12) {
		return d.fail(ErrNotAvailability, root.Name.Local, "root is not a SOAP envelope")
	}
	d.soap12 = root.Name.Space == namespaceSOAP12
	sawBody := false
	for {
		se, ok, err := d.child()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		var each func(xml.StartElement) error
		switch se.Name.Local {
		case "Header":
			each = header
		case "Body":
			each, sawBody = body, true
		default:
			if err := d.skip(); err != nil {
				return err
			}
			continue
		}
		for {
			c, ok, err := d.child()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if err := each(c); err != nil {
				return err
			}
		}
	}
	if !sawBody {
		return d.fail(ErrNotAvailability, "Envelope", "no soap:Body")
	}
	// Anything after the root must be whitespace, comments or PIs.
	for {
		tok, err := d.x.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if d.lr.exceeded {
				return d.fail(ErrTooLarge, "", "")
			}
			return d.fail(ErrMalformedXML, "", err.Error())
		}
		switch t := tok.(type) {
		case xml.StartElement, xml.Directive:
			return d.fail(ErrMalformedXML, "", "content after the root element")
		case xml.CharData:
			if len(trimSpace(t)) != 0 {
				return d.fail(ErrMalformedXML, "", "text after the root element")
			}
		}
	}
}

func decodeRequest(r io.Reader, limit int64) (*AvailabilityRequest, error) {
	d := newDecoder(r, limit, "request")
	req := &AvailabilityRequest{}
	found := false
	header := func(se xml.StartElement) error {
		switch se.Name.Local {
		case "RequestServerVersion":
			req.ServerVersion = attr(se, "Version")
		case "TimeZoneContext":
			for {
				c, ok, err := d.child()
				if err != nil || !ok {
					return err
				}
				if c.Name.Local == "TimeZoneDefinition" {
					req.TimeZoneContext = attr(c, "Id")
				}
				if err := d.skip(); err != nil {
					return err
				}
			}
		}
		return d.skip()
	}
	body := func(se xml.StartElement) error {
		if se.Name.Local != "GetUserAvailabilityRequest" {
			return d.skip()
		}
		found = true
		return d.request(req)
	}
	if err := d.envelope(header, body); err != nil {
		return nil, err
	}
	if !found {
		return nil, d.fail(ErrNotAvailability, "Body", "no m:GetUserAvailabilityRequest")
	}
	req.SOAP12 = d.soap12
	return req, nil
}

func (d *decoder) request(req *AvailabilityRequest) error {
	for {
		se, ok, err := d.child()
		if err != nil || !ok {
			return err
		}
		switch se.Name.Local {
		case "TimeZone":
			tz, err := d.timeZone()
			if err != nil {
				return err
			}
			req.TimeZone = &tz
		case "MailboxDataArray":
			if err := d.mailboxes(req); err != nil {
				return err
			}
		case "FreeBusyViewOptions":
			opts, err := d.viewOptions()
			if err != nil {
				return err
			}
			req.FreeBusyViewOptions = &opts
		case "SuggestionsViewOptions":
			req.Suggestions = true
			if err := d.skip(); err != nil {
				return err
			}
		default:
			if err := d.skip(); err != nil {
				return err
			}
		}
	}
}

func (d *decoder) mailboxes(req *AvailabilityRequest) error {
	for {
		se, ok, err := d.child()
		if err != nil || !ok {
			return err
		}
		if se.Name.Local != "MailboxData" {
			if err := d.skip(); err != nil {
				return err
			}
			continue
		}
		if len(req.Mailboxes) >= maxMailboxes {
			return d.fail(ErrTooLarge, "MailboxData", "more than "+strconv.Itoa(maxMailboxes)+" mailboxes")
		}
		var mb MailboxData
		for {
			c, ok, err := d.child()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			switch c.Name.Local {
			case "Email":
				if mb.Email, err = d.email(); err != nil {
					return err
				}
			case "AttendeeType":
				if mb.AttendeeType, err = d.readString(); err != nil {
					return err
				}
			case "ExcludeConflicts":
				v, err := d.readBool("ExcludeConflicts")
				if err != nil {
					return err
				}
				mb.ExcludeConflicts = &v
			default:
				if err := d.skip(); err != nil {
					return err
				}
			}
		}
		req.Mailboxes = append(req.Mailboxes, mb)
	}
}

func (d *decoder) email() (EmailAddress, error) {
	var e EmailAddress
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return e, err
		}
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
		if err != nil {
			return e, err
		}
	}
}

func (d *decoder) viewOptions() (FreeBusyViewOptions, error) {
	var o FreeBusyViewOptions
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return o, err
		}
		switch c.Name.Local {
		case "TimeWindow":
			for {
				w, ok, err := d.child()
				if err != nil {
					return o, err
				}
				if !ok {
					break
				}
				switch w.Name.Local {
				case "StartTime":
					o.StartTime, err = d.readDateTime("StartTime")
				case "EndTime":
					o.EndTime, err = d.readDateTime("EndTime")
				default:
					err = d.skip()
				}
				if err != nil {
					return o, err
				}
			}
		case "MergedFreeBusyIntervalInMinutes":
			o.MergedFreeBusyIntervalInMinutes, err = d.readInt("MergedFreeBusyIntervalInMinutes")
		case "RequestedView":
			var s string
			s, err = d.readString()
			o.RequestedView = FreeBusyViewType(s)
		default:
			err = d.skip()
		}
		if err != nil {
			return o, err
		}
	}
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
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return tz, err
		}
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
		if err != nil {
			return tz, err
		}
	}
}

func (d *decoder) timeZoneTime(elem string) (SerializableTimeZoneTime, error) {
	var r SerializableTimeZoneTime
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return r, err
		}
		switch c.Name.Local {
		case "Bias":
			r.Bias, err = d.readInt(elem + "/Bias")
		case "Time":
			var b []byte
			if b, err = d.readText(); err == nil {
				var ok bool
				if r.Time, ok = parseClock(b); !ok {
					err = d.fail(ErrBadValue, elem+"/Time", strconv.Quote(abbreviate(b)))
				}
			}
		case "DayOrder":
			r.DayOrder, err = d.readInt(elem + "/DayOrder")
		case "Month":
			var m int
			m, err = d.readInt(elem + "/Month")
			r.Month = time.Month(m)
		case "DayOfWeek":
			var b []byte
			if b, err = d.readText(); err == nil {
				var ok bool
				if r.DayOfWeek, ok = parseWeekday(b); !ok {
					err = d.fail(ErrBadValue, elem+"/DayOfWeek", strconv.Quote(abbreviate(b)))
				}
			}
		case "Year":
			r.Year, err = d.readInt(elem + "/Year")
		default:
			err = d.skip()
		}
		if err != nil {
			return r, err
		}
	}
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

func decodeResponse(r io.Reader, limit int64) (*AvailabilityResponse, error) {
	d := newDecoder(r, limit, "response")
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
	if err := d.envelope(d.skipHeader, body); err != nil {
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

func (d *decoder) skipHeader(xml.StartElement) error { return d.skip() }

// fault reads a SOAP 1.1 fault (faultcode, faultstring, detail) or a SOAP
// 1.2 one (Code/Value with optional Subcode/Value, Reason/Text, Detail;
// SOAP 1.2 Part 1 §5.4). For 1.2, Code is the innermost Value (the
// specific "a:ErrorServerBusy" subcode when there is one, else
// "env:Sender" or "env:Receiver"), String the first Reason Text; when the
// Detail has no ResponseCode, an EWS code in the subcode stands in.
func (d *decoder) fault() (*SOAPFault, error) {
	f := &SOAPFault{}
	subcode := ""
	for {
		c, ok, err := d.child()
		if err != nil {
			return f, err
		}
		if !ok {
			break
		}
		switch c.Name.Local {
		case "faultcode":
			f.Code, err = d.readString()
		case "faultstring":
			f.String, err = d.readString()
		case "Code":
			f.Code, subcode, err = d.faultCode12()
		case "Reason":
			f.String, err = d.faultReason12()
		case "detail", "Detail":
			err = d.faultDetail(f)
		default:
			err = d.skip()
		}
		if err != nil {
			return f, err
		}
	}
	if f.ResponseCode == "" && subcode != "" {
		local := subcode[strings.LastIndexByte(subcode, ':')+1:]
		if strings.HasPrefix(local, "Error") {
			f.ResponseCode = exchange.ResponseCode(local)
		}
	}
	return f, nil
}

// faultCode12 reads a SOAP 1.2 env:Code: its Value and, recursively, its
// Subcode's. It returns the innermost value and the innermost subcode
// value ("" without a Subcode).
func (d *decoder) faultCode12() (code, subcode string, err error) {
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return code, subcode, err
		}
		switch c.Name.Local {
		case "Value":
			code, err = d.readString()
		case "Subcode":
			var inner, innerSub string
			inner, innerSub, err = d.faultCode12()
			if inner != "" {
				code, subcode = inner, inner
			}
			if innerSub != "" {
				subcode = innerSub
			}
		default:
			err = d.skip()
		}
		if err != nil {
			return code, subcode, err
		}
	}
}

// faultReason12 reads a SOAP 1.2 env:Reason and returns its first Text.
func (d *decoder) faultReason12() (string, error) {
	text, seen := "", false
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return text, err
		}
		if c.Name.Local == "Text" && !seen {
			seen = true
			text, err = d.readString()
		} else {
			err = d.skip()
		}
		if err != nil {
			return text, err
		}
	}
}

// faultDetail reads the EWS detail of a fault (1.1 detail, 1.2 env:Detail):
// e:ResponseCode, e:Message and the MessageXml back-off hint (§2.7).
func (d *decoder) faultDetail(f *SOAPFault) error {
	for {
		dc, ok, err := d.child()
		if err != nil || !ok {
			return err
		}
		switch dc.Name.Local {
		case "ResponseCode":
			var s string
			s, err = d.readString()
			f.ResponseCode = exchange.ResponseCode(s)
		case "Message":
			f.Message, err = d.readString()
		case "MessageXml":
			f.MessageXML, err = d.messageXML()
		default:
			err = d.skip()
		}
		if err != nil {
			return err
		}
	}
}

func (d *decoder) messageXML() (MessageXML, error) {
	var m MessageXML
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return m, err
		}
		switch c.Name.Local {
		case "ExceptionType":
			m.ExceptionType, err = d.readString()
		case "ExceptionCode":
			m.ExceptionCode, err = d.readInt("ExceptionCode")
		case "Value":
			name := attr(c, "Name")
			var b []byte
			if b, err = d.readText(); err == nil && name == "BackOffMilliseconds" {
				ms, perr := strconv.ParseInt(string(b), 10, 64)
				if perr != nil || ms < 0 || ms > int64(24*time.Hour/time.Millisecond) {
					err = d.fail(ErrBadValue, "Value", strconv.Quote(abbreviate(b)))
				} else {
					m.BackOff = time.Duration(ms) * time.Millisecond
				}
			}
		default:
			err = d.skip()
		}
		if err != nil {
			return m, err
		}
	}
}

func (d *decoder) response(resp *AvailabilityResponse) error {
	for {
		se, ok, err := d.child()
		if err != nil || !ok {
			return err
		}
		if se.Name.Local != "FreeBusyResponseArray" {
			if err := d.skip(); err != nil {
				return err
			}
			continue
		}
		for {
			c, ok, err := d.child()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if c.Name.Local != "FreeBusyResponse" {
				if err := d.skip(); err != nil {
					return err
				}
				continue
			}
			if len(resp.Responses) >= maxMailboxes {
				return d.fail(ErrTooLarge, "FreeBusyResponse", "more than "+strconv.Itoa(maxMailboxes)+" responses")
			}
			fr, err := d.freeBusyResponse()
			if err != nil {
				return err
			}
			resp.Responses = append(resp.Responses, fr)
		}
	}
}

func (d *decoder) freeBusyResponse() (FreeBusyResponse, error) {
	var fr FreeBusyResponse
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return fr, err
		}
		switch c.Name.Local {
		case "ResponseMessage":
			fr.ResponseMessage, err = d.responseMessage(c)
		case "FreeBusyView":
			fr.View, err = d.freeBusyView()
		default:
			err = d.skip()
		}
		if err != nil {
			return fr, err
		}
	}
}

func (d *decoder) responseMessage(se xml.StartElement) (ResponseMessage, error) {
	rm := ResponseMessage{Class: ResponseClass(attr(se, "ResponseClass"))}
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return rm, err
		}
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
		case "DescriptiveLinkKey":
			rm.DescriptiveLinkKey, err = d.readInt("DescriptiveLinkKey")
		case "MessageXml":
			rm.MessageXML, err = d.messageXML()
		default:
			err = d.skip()
		}
		if err != nil {
			return rm, err
		}
	}
}

func (d *decoder) freeBusyView() (FreeBusyView, error) {
	var v FreeBusyView
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return v, err
		}
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
		if err != nil {
			return v, err
		}
	}
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

func busyTypeOf(b []byte) BusyType {
	switch string(b) {
	case "Busy":
		return BusyBusy
	case "Free":
		return BusyFree
	case "Tentative":
		return BusyTentative
	case "OOF":
		return BusyOOF
	case "WorkingElsewhere":
		return BusyWorkingElsewhere
	case "NoData":
		return BusyNoData
	}
	return BusyType(b)
}

func (d *decoder) calendarEvents() ([]CalendarEvent, error) {
	events := []CalendarEvent{}
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return events, err
		}
		if c.Name.Local != "CalendarEvent" {
			if err := d.skip(); err != nil {
				return nil, err
			}
			continue
		}
		if len(events) >= maxEventsPerView {
			return nil, d.fail(ErrTooLarge, "CalendarEvent", "more than "+strconv.Itoa(maxEventsPerView)+" events")
		}
		var ev CalendarEvent
		for {
			e, ok, err := d.child()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			switch e.Name.Local {
			case "StartTime":
				ev.StartTime, err = d.readDateTime("StartTime")
			case "EndTime":
				ev.EndTime, err = d.readDateTime("EndTime")
			case "BusyType":
				var b []byte
				if b, err = d.readText(); err == nil {
					ev.BusyType = busyTypeOf(b)
				}
			case "CalendarEventDetails":
				ev.Details, err = d.eventDetails()
			default:
				err = d.skip()
			}
			if err != nil {
				return nil, err
			}
		}
		events = append(events, ev)
	}
}

func (d *decoder) eventDetails() (*CalendarEventDetails, error) {
	det := &CalendarEventDetails{}
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return det, err
		}
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
		if err != nil {
			return nil, err
		}
	}
}

func (d *decoder) workingHours() (WorkingHours, error) {
	var wh WorkingHours
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return wh, err
		}
		switch c.Name.Local {
		case "TimeZone":
			wh.TimeZone, err = d.timeZone()
		case "WorkingPeriodArray":
			for {
				p, ok, perr := d.child()
				if perr != nil {
					return wh, perr
				}
				if !ok {
					break
				}
				if p.Name.Local != "WorkingPeriod" || len(wh.Periods) >= 64 {
					if err := d.skip(); err != nil {
						return wh, err
					}
					continue
				}
				wp, perr := d.workingPeriod()
				if perr != nil {
					return wh, perr
				}
				wh.Periods = append(wh.Periods, wp)
			}
		default:
			err = d.skip()
		}
		if err != nil {
			return wh, err
		}
	}
}

func (d *decoder) workingPeriod() (WorkingPeriod, error) {
	var wp WorkingPeriod
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return wp, err
		}
		switch c.Name.Local {
		case "DayOfWeek":
			var b []byte
			if b, err = d.readText(); err == nil {
				var ok bool
				if wp.Days, ok = parseDays(b); !ok {
					err = d.fail(ErrBadValue, "DayOfWeek", strconv.Quote(abbreviate(b)))
				}
			}
		case "StartTimeInMinutes":
			wp.StartTimeInMinutes, err = d.readInt("StartTimeInMinutes")
		case "EndTimeInMinutes":
			wp.EndTimeInMinutes, err = d.readInt("EndTimeInMinutes")
		default:
			err = d.skip()
		}
		if err != nil {
			return wp, err
		}
	}
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
	var days []time.Weekday
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if mask&(1<<wd) != 0 {
			days = append(days, wd)
		}
	}
	return days, true
}

// ---- Encoding ----

// encoder appends XML to a byte slice; callers write it out at the end.
type encoder struct{ b []byte }

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

func (e *encoder) elem(name, value string) {
	e.b = append(e.b, '<')
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
	e.text(value)
	e.b = append(e.b, "</"...)
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
}

func (e *encoder) elemInt(name string, v int) {
	e.b = append(e.b, '<')
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
	e.b = strconv.AppendInt(e.b, int64(v), 10)
	e.b = append(e.b, "</"...)
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
}

func (e *encoder) elemBool(name string, v bool) {
	if v {
		e.elem(name, "true")
	} else {
		e.elem(name, "false")
	}
}

func (e *encoder) elemDateTime(name string, dt DateTime) {
	e.b = append(e.b, '<')
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
	e.b = dt.appendTo(e.b)
	e.b = append(e.b, "</"...)
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
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
	e.raw("<" + name + ">")
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
	e.raw("</" + name + ">")
}

const xmlHeader = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// EncodeAvailabilityRequest writes req as a SOAP 1.1 GetUserAvailability
// request with every element in its §2.1 namespace: the
// RequestServerVersion and TimeZoneContext headers when set, the body
// TimeZone when set, ExcludeConflicts as given (false when nil, §2.2 "emit
// it for safety"), and view options when set.
func EncodeAvailabilityRequest(w io.Writer, req *AvailabilityRequest) error {
	e := &encoder{b: make([]byte, 0, 1024+256*len(req.Mailboxes))}
	e.raw(xmlHeader)
	e.raw(`<soap:Envelope xmlns:soap="` + NamespaceSOAP + `" xmlns:m="` + NamespaceMessages + `" xmlns:t="` + NamespaceTypes + `">`)
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
	_, err := w.Write(e.b)
	return err
}

// EncodeAvailabilityResponse writes resp as a SOAP 1.1
// GetUserAvailability response (§2.4) with every element in its §2.1
// namespace and a ServerVersionInfo header naming Exchange2013.
func EncodeAvailabilityResponse(w io.Writer, resp *AvailabilityResponse) error {
	return encodeAvailabilityResponse(w, resp, false)
}

// soapNamespace returns the envelope namespace of SOAP 1.2 or 1.1.
func soapNamespace(soap12 bool) string {
	if soap12 {
		return namespaceSOAP12
	}
	return NamespaceSOAP
}

// encodeAvailabilityResponse writes resp in a SOAP 1.1 or, with soap12, a
// SOAP 1.2 envelope; the body is the same in both.
func encodeAvailabilityResponse(w io.Writer, resp *AvailabilityResponse, soap12 bool) error {
	e := &encoder{b: make([]byte, 0, estimateResponse(resp))}
	e.raw(xmlHeader)
	e.raw(`<s:Envelope xmlns:s="` + soapNamespace(soap12) + `"><s:Header>`)
	e.raw(`<h:ServerVersionInfo MajorVersion="15" MinorVersion="0" MajorBuildNumber="0" MinorBuildNumber="0" Version="` + ServerVersion + `" xmlns:h="` + NamespaceTypes + `"/>`)
	e.raw(`</s:Header><s:Body><m:GetUserAvailabilityResponse xmlns:m="` + NamespaceMessages + `" xmlns:t="` + NamespaceTypes + `" xmlns:e="` + NamespaceErrors + `">`)
	e.raw("<m:FreeBusyResponseArray>")
	for i := range resp.Responses {
		e.freeBusyResponse(&resp.Responses[i])
	}
	e.raw("</m:FreeBusyResponseArray></m:GetUserAvailabilityResponse></s:Body></s:Envelope>")
	_, err := w.Write(e.b)
	return err
}

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
		e.elemInt("m:DescriptiveLinkKey", rm.DescriptiveLinkKey)
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
			e.elem("t:DayOfWeek", formatDays(p.Days))
			e.elemInt("t:StartTimeInMinutes", p.StartTimeInMinutes)
			e.elemInt("t:EndTimeInMinutes", p.EndTimeInMinutes)
			e.raw("</t:WorkingPeriod>")
		}
		e.raw("</t:WorkingPeriodArray></t:WorkingHours>")
	}
	e.raw("</m:FreeBusyView></m:FreeBusyResponse>")
}

func (e *encoder) messageXML(open, close string, m MessageXML) {
	if m == (MessageXML{}) {
		return
	}
	e.raw(open)
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
	e.raw(close)
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

// formatDays writes a DayOfWeek list in Sunday..Saturday order (§2.4).
func formatDays(days []time.Weekday) string {
	var mask uint8
	for _, d := range days {
		if d >= time.Sunday && d <= time.Saturday {
			mask |= 1 << d
		}
	}
	var parts []string
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if mask&(1<<wd) != 0 {
			parts = append(parts, weekdayNames[wd])
		}
	}
	return strings.Join(parts, " ")
}

// EncodeSOAPFault writes f as a SOAP 1.1 fault in the shape Exchange uses
// (§2.7): faultcode "a:<ResponseCode>" in the types namespace (or f.Code
// when set), faultstring, and a detail with e:ResponseCode, e:Message and
// the MessageXml back-off hint.
func EncodeSOAPFault(w io.Writer, f *SOAPFault) error {
	return encodeSOAPFault(w, f, false)
}

// encodeSOAPFault writes f as a SOAP 1.1 fault or, with soap12, as a SOAP
// 1.2 one (SOAP 1.2 Part 1 §5.4): env:Code/env:Value env:Sender or
// env:Receiver (faultSender12) with the EWS code as env:Subcode/env:Value,
// env:Reason/env:Text xml:lang, and env:Detail holding the same EWS detail
// as the 1.1 form.
func encodeSOAPFault(w io.Writer, f *SOAPFault, soap12 bool) error {
	e := &encoder{}
	e.raw(xmlHeader)
	if soap12 {
		e.raw(`<env:Envelope xmlns:env="` + namespaceSOAP12 + `"><env:Body><env:Fault><env:Code><env:Value>`)
		if faultSender12(f) {
			e.raw(`env:Sender`)
		} else {
			e.raw(`env:Receiver`)
		}
		e.raw(`</env:Value>`)
		if f.ResponseCode != "" {
			e.raw(`<env:Subcode><env:Value xmlns:a="` + NamespaceTypes + `">a:`)
			e.text(string(f.ResponseCode))
			e.raw(`</env:Value></env:Subcode>`)
		}
		e.raw(`</env:Code><env:Reason><env:Text xml:lang="en-US">`)
		e.text(f.String)
		e.raw(`</env:Text></env:Reason><env:Detail>`)
		e.faultDetail(f)
		e.raw(`</env:Detail></env:Fault></env:Body></env:Envelope>`)
		_, err := w.Write(e.b)
		return err
	}
	e.raw(`<s:Envelope xmlns:s="` + NamespaceSOAP + `"><s:Body><s:Fault>`)
	code := f.Code
	if code == "" {
		rc := f.ResponseCode
		if rc == "" {
			rc = exchange.CodeInternalServerError
		}
		code = "a:" + string(rc)
	}
	e.raw(`<faultcode xmlns:a="` + NamespaceTypes + `">`)
	e.text(code)
	e.raw(`</faultcode><faultstring xml:lang="en-US">`)
	e.text(f.String)
	e.raw(`</faultstring><detail>`)
	e.faultDetail(f)
	e.raw(`</detail></s:Fault></s:Body></s:Envelope>`)
	_, err := w.Write(e.b)
	return err
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
	switch f.Reason() {
	case freebusy.ReasonThrottled, freebusy.ReasonTimeout, freebusy.ReasonUnavailable, freebusy.ReasonInternal:
		return false
	}
	return true
}

// faultDetail writes the EWS fault detail's children (§2.7).
func (e *encoder) faultDetail(f *SOAPFault) {
	if f.ResponseCode != "" {
		e.raw(`<e:ResponseCode xmlns:e="` + NamespaceErrors + `">`)
		e.text(string(f.ResponseCode))
		e.raw(`</e:ResponseCode>`)
	}
	if f.Message != "" {
		e.raw(`<e:Message xmlns:e="` + NamespaceErrors + `">`)
		e.text(f.Message)
		e.raw(`</e:Message>`)
	}
	if f.MessageXML != (MessageXML{}) {
		e.messageXML(`<t:MessageXml xmlns:t="`+NamespaceTypes+`" xmlns:e="`+NamespaceErrors+`">`, "</t:MessageXml>", f.MessageXML)
	}
}
