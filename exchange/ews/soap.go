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
)

// XML namespaces of EWS GetUserAvailability (docs/exchange.md §2.1). Every
// element is written, and read back, in the namespace the table in §2.1
// gives it: strict peers reject anything else.
const (
	namespaceSOAP11   = "http://schemas.xmlsoap.org/soap/envelope/"
	namespaceMessages = "http://schemas.microsoft.com/exchange/services/2006/messages"
	namespaceTypes    = "http://schemas.microsoft.com/exchange/services/2006/types"
	namespaceErrors   = "http://schemas.microsoft.com/exchange/services/2006/errors"
)

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

// Size limits of the codec. A GetUserAvailability request for 100
// mailboxes is about 30 KB; a FreeBusyMerged response for 100 mailboxes
// over 62 days with ten events a day is about 20 MB.
const (
	// MaxRequestBytes caps the request documents a Handler reads, unless
	// WithMaxBodyBytes says otherwise.
	MaxRequestBytes = 1 << 20
	// MaxResponseBytes caps the response documents
	// DecodeAvailabilityResponse reads, and those a Client reads unless
	// WithMaxBodyBytes says otherwise.
	MaxResponseBytes = 64 << 20
	// maxMailboxes caps the MailboxData entries the decoder keeps; the
	// handler enforces the real limit (100) with the documented code.
	maxMailboxes = 10000
	// maxEventsPerView caps the events of one view (Exchange stops at 1000
	// or 10,000, §2.8).
	maxEventsPerView = 100000
)

// Structure limits of the codec, checked by the tokenizer loop as each
// element starts, so that a hostile document is refused after at most
// that many elements, whatever its size.
const (
	// MaxDepth caps the nesting depth of every document read, unless
	// WithMaxDepth says otherwise. The deepest EWS message calbridge
	// reads nests about 12 levels (Envelope, Body, response, array,
	// response, view, event array, event, details, value).
	MaxDepth = 64
	// MaxRequestElements caps the elements of the request documents a
	// Handler reads, unless WithMaxElements says otherwise: a request for
	// 100 mailboxes has about 1,000; this leaves room for the 10,000
	// mailboxes the decoder keeps, so that too many mailboxes is answered
	// with its own code.
	MaxRequestElements = 1 << 16
	// MaxResponseElements caps the elements of the response documents
	// DecodeAvailabilityResponse reads, and those a Client reads unless
	// WithMaxElements says otherwise: 100 mailboxes of 10,000 Detailed
	// events (Exchange's highest cap, docs/exchange.md §2.8) at 13
	// elements an event are 13 million.
	MaxResponseElements = 1 << 24
)

// xmlLimits bounds one document: bytes, nesting depth, element count.
type xmlLimits struct {
	bytes    int64
	depth    int
	elements int
}

// DecodeAvailabilityResponse reads a SOAP GetUserAvailability response
// (docs/exchange.md §2.4) of at most MaxResponseBytes, in a SOAP 1.1 or
// 1.2 envelope. Elements are matched by local name whatever their
// namespace, and unknown ones are skipped. A SOAP fault is returned as a
// *SOAPFault error. Other errors are *DecodeError: ErrDTD for a DOCTYPE
// (entities are never expanded), ErrTooLarge, ErrTooDeep (deeper than
// MaxDepth), ErrTooManyElements (more than MaxResponseElements), ErrMalformedXML,
// ErrNotAvailability, ErrBadValue.
func DecodeAvailabilityResponse(r io.Reader) (*AvailabilityResponse, error) {
	return decodeResponse(r, xmlLimits{bytes: MaxResponseBytes, depth: MaxDepth, elements: MaxResponseElements})
}

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
// Every document the package reads, SOAP or Autodiscover, goes through it,
// so that one set of rules refuses bad input.
//
// It reads raw tokens (xml.Decoder.RawToken) and checks their nesting
// itself. The readers match elements by local name and look at a
// namespace only on the root element, so translating every prefix, as
// xml.Decoder.Token does, bought nothing; it also boxed each start and end
// tag a second time, about a third of the bytes that decoding a request
// allocated.
type decoder struct {
	x      *xml.Decoder
	lr     *limitedReader
	what   string     // what is decoded, for DecodeError.Message: "request", "response"
	text   []byte     // character data of the element being read
	open   []xml.Name // the open elements' names, outermost first: as written (prefix in Space) on the raw path
	soap12 bool       // the envelope is SOAP 1.2
	// translated reads through xml.Decoder.Token instead: the reference
	// the raw path is fuzzed against (FuzzRawTokensAsTranslated). Only
	// the package's tests set it, by handing in a translatedReader.
	translated bool

	maxDepth              int // the most elements open at once (len(open))
	elements, maxElements int // elements started so far, and the most allowed
}

// newDecoder returns a decoder of at most limit bytes with the default
// structure limits: MaxDepth, and as many elements as limit bytes could
// hold (MaxResponseElements at most).
func newDecoder(r io.Reader, limit int64, what string) *decoder {
	return newLimitedDecoder(r, xmlLimits{bytes: limit}, what)
}

// newLimitedDecoder returns a decoder bounded by lim; zero fields take
// the defaults of newDecoder.
func newLimitedDecoder(r io.Reader, lim xmlLimits, what string) *decoder {
	if lim.depth <= 0 {
		lim.depth = MaxDepth
	}
	if lim.elements <= 0 {
		// An element takes at least 4 bytes ("<a/>").
		lim.elements = int(min(lim.bytes/4+1, MaxResponseElements))
	}
	lr := &limitedReader{r: r, n: lim.bytes}
	x := xml.NewDecoder(lr)
	x.Strict = true
	// No Entity map: only the five predefined entities and character
	// references are known; "&foo;" is a syntax error, never an expansion.
	x.CharsetReader = nil
	_, translated := r.(translatedReader)
	return &decoder{x: x, lr: lr, what: what, maxDepth: lim.depth, maxElements: lim.elements, translated: translated}
}

// translatedReader is a document the decoder reads through
// xml.Decoder.Token, translating prefixes and matching tags as
// encoding/xml does, rather than through its raw-token path. It exists so
// that tests can check that both paths decode every input alike.
type translatedReader struct{ io.Reader }

func (d *decoder) fail(cond error, elem, detail string) *DecodeError {
	return &DecodeError{Message: d.what, Element: elem, Offset: d.x.InputOffset(), Err: cond, Detail: detail}
}

// badValue reports the text b of elem as a value that cannot be parsed.
func (d *decoder) badValue(elem string, b []byte) *DecodeError {
	return d.fail(ErrBadValue, elem, strconv.Quote(abbreviate(b)))
}

// rawToken returns the next token, or io.EOF at the end of the input;
// other tokenizer errors become *DecodeError (ErrTooLarge past the size
// limit, ErrMalformedXML otherwise). It counts elements and nesting as they
// start, and refuses the first element past a structure limit
// (ErrTooDeep, ErrTooManyElements) before reading any further, and an end
// tag that does not close the open element (ErrMalformedXML). Names keep
// their prefixes in Space, as the document wrote them.
func (d *decoder) rawToken() (xml.Token, error) {
	var tok xml.Token
	var err error
	if d.translated {
		tok, err = d.x.Token()
	} else {
		tok, err = d.x.RawToken()
	}
	switch {
	case err == nil:
		switch t := tok.(type) {
		case xml.StartElement:
			d.open = append(d.open, t.Name)
			d.elements++
			if len(d.open) > d.maxDepth {
				return nil, d.fail(ErrTooDeep, t.Name.Local, "more than "+strconv.Itoa(d.maxDepth)+" levels")
			}
			if d.elements > d.maxElements {
				return nil, d.fail(ErrTooManyElements, t.Name.Local, "more than "+strconv.Itoa(d.maxElements)+" elements")
			}
		case xml.EndElement:
			// XML 1.0 §3 (WFC: Element Type Match): the end tag repeats the
			// start tag's name as written, prefix included. (Token has
			// checked it already on the translated path.)
			if len(d.open) == 0 {
				return nil, d.fail(ErrMalformedXML, t.Name.Local, "end tag </"+qualified(t.Name)+"> with no element open")
			}
			if top := d.open[len(d.open)-1]; top != t.Name {
				return nil, d.fail(ErrMalformedXML, top.Local, "element <"+qualified(top)+"> closed by </"+qualified(t.Name)+">")
			}
			d.open = d.open[:len(d.open)-1]
		}
		return tok, nil
	case d.lr.exceeded || errors.Is(err, ErrTooLarge):
		return nil, d.fail(ErrTooLarge, "", "")
	case err == io.EOF:
		return nil, io.EOF
	}
	return nil, d.fail(ErrMalformedXML, "", err.Error())
}

// qualified is name as written: prefix:local, or local alone.
func qualified(name xml.Name) string {
	if name.Space == "" {
		return name.Local
	}
	return name.Space + ":" + name.Local
}

// rootSpace is the namespace of the root element's start tag, from the
// declarations on that tag, the only ones in scope at the root
// ("Namespaces in XML 1.0" §6.1, §6.2): the URI its prefix is bound to,
// or the default namespace for a name without a prefix. As with
// xml.Decoder.Token, the last of repeated declarations counts, and an
// undeclared prefix is left as it is, so that it matches no namespace URI.
func rootSpace(root xml.StartElement) string {
	prefix := root.Name.Space
	if prefix == "xml" {
		return "http://www.w3.org/XML/1998/namespace"
	}
	space := prefix
	for _, a := range root.Attr {
		if (prefix != "" && a.Name.Space == "xmlns" && a.Name.Local == prefix) ||
			(prefix == "" && a.Name.Space == "" && a.Name.Local == "xmlns") {
			space = a.Value
		}
	}
	return space
}

// token returns the next token inside the document: the end of input is
// ErrMalformedXML, and a directive (<!DOCTYPE ...> and the like) is ErrDTD.
// This is the package's one refusal of DTDs: EWS and Autodiscover peers
// never send one, and refusing it rules out entity tricks (encoding/xml
// would not expand the entities, but the answer stays predictable).
func (d *decoder) token() (xml.Token, error) {
	tok, err := d.rawToken()
	if err == io.EOF {
		return nil, d.fail(ErrMalformedXML, "", "unexpected end of document")
	}
	if err != nil {
		return nil, err
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
			if !d.translated {
				t.Name.Space = rootSpace(t)
			}
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

// end reads what follows the root element: only whitespace, comments and
// processing instructions may.
func (d *decoder) end() error {
	for {
		tok, err := d.rawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
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

// each calls fn for every child element of the current element, in order,
// up to and including the current element's end tag, and stops at the
// first error. fn must consume the child it is given: read it, or skip it.
func (d *decoder) each(fn func(c xml.StartElement) error) error {
	for {
		c, ok, err := d.child()
		if err != nil || !ok {
			return err
		}
		if err := fn(c); err != nil {
			return err
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

// skipElement is skip as an each callback.
func (d *decoder) skipElement(xml.StartElement) error { return d.skip() }

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

// readValue reads the text of the current element elem and parses it; text
// parse refuses is ErrBadValue.
func readValue[T any](d *decoder, elem string, parse func([]byte) (T, bool)) (T, error) {
	b, err := d.readText()
	if err != nil {
		var zero T
		return zero, err
	}
	v, ok := parse(b)
	if !ok {
		return v, d.badValue(elem, b)
	}
	return v, nil
}

func parseInt(b []byte) (int, bool) {
	if len(b) > 12 {
		return 0, false
	}
	v, err := strconv.Atoi(string(b))
	return v, err == nil
}

func parseBool(b []byte) (bool, bool) {
	switch string(b) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

func parseDateTimeValue(b []byte) (DateTime, bool) {
	dt, err := parseDateTimeBytes(b)
	return dt, err == nil
}

func (d *decoder) readInt(elem string) (int, error) { return readValue(d, elem, parseInt) }

func (d *decoder) readBool(elem string) (bool, error) { return readValue(d, elem, parseBool) }

func (d *decoder) readDateTime(elem string) (DateTime, error) {
	return readValue(d, elem, parseDateTimeValue)
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

// envelope reads the root Envelope (SOAP 1.1 or 1.2) and calls header for
// each child of soap:Header and body for each child of soap:Body.
func (d *decoder) envelope(header, body func(se xml.StartElement) error) error {
	root, err := d.root()
	if err != nil {
		return err
	}
	if root.Name.Local != "Envelope" || (root.Name.Space != namespaceSOAP11 && root.Name.Space != namespaceSOAP12) {
		return d.fail(ErrNotAvailability, root.Name.Local, "root is not a SOAP envelope")
	}
	d.soap12 = root.Name.Space == namespaceSOAP12
	sawBody := false
	err = d.each(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "Header":
			return d.each(header)
		case "Body":
			sawBody = true
			return d.each(body)
		}
		return d.skip()
	})
	if err != nil {
		return err
	}
	if !sawBody {
		return d.fail(ErrNotAvailability, "Envelope", "no soap:Body")
	}
	return d.end()
}

// fault reads a SOAP 1.1 fault (faultcode, faultstring, detail) or a SOAP
// 1.2 one (Code/Value with optional Subcode/Value, Reason/Text, Detail;
// SOAP 1.2 Part 1 §5.4). For 1.2, Code is the innermost Value (the
// specific "a:ErrorServerBusy" subcode when there is one, else
// "env:Sender" or "env:Receiver"), String the first Reason Text; when the
// Detail has no ResponseCode, an EWS code in the subcode stands in.
func (d *decoder) fault() (*SOAPFault, error) {
	f := &SOAPFault{}
	subcode := ""
	err := d.each(func(c xml.StartElement) (err error) {
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
		return err
	})
	if err != nil {
		return f, err
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
	err = d.each(func(c xml.StartElement) (err error) {
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
		return err
	})
	return code, subcode, err
}

// faultReason12 reads a SOAP 1.2 env:Reason and returns its first Text.
func (d *decoder) faultReason12() (string, error) {
	text, seen := "", false
	err := d.each(func(c xml.StartElement) (err error) {
		if c.Name.Local == "Text" && !seen {
			seen = true
			text, err = d.readString()
			return err
		}
		return d.skip()
	})
	return text, err
}

// faultDetail reads the EWS detail of a fault (1.1 detail, 1.2 env:Detail):
// e:ResponseCode, e:Message and the MessageXml back-off hint (§2.7).
func (d *decoder) faultDetail(f *SOAPFault) error {
	return d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
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
		return err
	})
}

// messageXML reads an m:MessageXml or t:MessageXml (§2.7): the exception
// and the BackOffMilliseconds hint.
func (d *decoder) messageXML() (MessageXML, error) {
	var m MessageXML
	err := d.each(func(c xml.StartElement) (err error) {
		switch c.Name.Local {
		case "ExceptionType":
			m.ExceptionType, err = d.readString()
		case "ExceptionCode":
			m.ExceptionCode, err = d.readInt("ExceptionCode")
		case "Value":
			if attr(c, "Name") != "BackOffMilliseconds" {
				return d.skip()
			}
			m.BackOff, err = readValue(d, "Value", parseBackOff)
		default:
			err = d.skip()
		}
		return err
	})
	return m, err
}

// parseBackOff reads a BackOffMilliseconds value: 0 to one day.
func parseBackOff(b []byte) (time.Duration, bool) {
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || ms < 0 || ms > int64(24*time.Hour/time.Millisecond) {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
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
