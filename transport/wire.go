package transport

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/bufpool"
)

// The wire protocol: JSON-RPC 2.0 (https://www.jsonrpc.org/specification),
// one message per line. PROTOCOL.md is the normative description; the
// names here follow its sections.

// ProtocolVersion is the calbridge wire protocol version this package speaks
// (PROTOCOL.md "Handshake and versioning"). A server refuses a hello whose
// version lies outside [MinProtocolVersion, ProtocolVersion].
const ProtocolVersion = 1

// MinProtocolVersion is the oldest protocol version a Server accepts.
const MinProtocolVersion = 1

// Method names (PROTOCOL.md "Methods").
const (
	// methodHello is the handshake; it must be the first call on a connection.
	methodHello = "calbridge.hello"
	// methodPing answers with an empty object; clients use it as a heartbeat.
	methodPing = "calbridge.ping"
	// methodFreeBusy answers a free/busy query.
	methodFreeBusy = "calbridge.freebusy"
)

// JSON-RPC error codes (PROTOCOL.md "Error codes"). The first five are the
// JSON-RPC 2.0 specification's own (§5.1); the rest lie in its range for
// implementation-defined server errors, -32000 to -32099.
const (
	CodeParseError     = -32700 // invalid JSON: the connection is closed after the reply
	CodeInvalidRequest = -32600 // valid JSON, but not a JSON-RPC 2.0 request
	CodeMethodNotFound = -32601 // unknown method
	CodeInvalidParams  = -32602 // params do not decode, or the query is invalid (reason "invalid")
	CodeInternalError  = -32603 // the source failed for an unclassified reason (reason "internal")

	CodeUnknownAttendee = -32001 // reason "unknown-attendee"
	CodeAccessDenied    = -32002 // reason "access-denied"
	CodeTimeout         = -32003 // reason "timeout"
	CodeUnavailable     = -32004 // reason "unavailable"
	CodeThrottled       = -32005 // reason "throttled"

	CodeHandshakeRequired = -32010 // a call before a successful calbridge.hello
	CodeVersionMismatch   = -32011 // hello with an unsupported protocol version
	CodeUnauthorized      = -32012 // hello with a missing or wrong token
	CodeOverloaded        = -32013 // too many calls in flight on this connection; not processed
	CodeShuttingDown      = -32014 // the server is draining; not processed
	CodeMessageTooLarge   = -32015 // a message exceeded the size limit; the connection is closed
)

// codeTable maps each error code to the freebusy reason it carries and
// whether the server guarantees it did not run the call.
var codeTable = map[int]struct {
	reason       freebusy.Reason
	notProcessed bool
}{
	CodeParseError:        {freebusy.ReasonInvalid, true},
	CodeInvalidRequest:    {freebusy.ReasonInvalid, true},
	CodeMethodNotFound:    {freebusy.ReasonInvalid, true},
	CodeInvalidParams:     {freebusy.ReasonInvalid, true},
	CodeInternalError:     {freebusy.ReasonInternal, false},
	CodeUnknownAttendee:   {freebusy.ReasonUnknownAttendee, false},
	CodeAccessDenied:      {freebusy.ReasonAccessDenied, false},
	CodeTimeout:           {freebusy.ReasonTimeout, false},
	CodeUnavailable:       {freebusy.ReasonUnavailable, false},
	CodeThrottled:         {freebusy.ReasonThrottled, false},
	CodeHandshakeRequired: {freebusy.ReasonInvalid, true},
	CodeVersionMismatch:   {freebusy.ReasonUnavailable, true},
	CodeUnauthorized:      {freebusy.ReasonAccessDenied, true},
	CodeOverloaded:        {freebusy.ReasonThrottled, true},
	CodeShuttingDown:      {freebusy.ReasonUnavailable, true},
	CodeMessageTooLarge:   {freebusy.ReasonInvalid, true},
}

// codeForReason returns the JSON-RPC error code for a freebusy reason:
// the inverse of the reason column of the code table for the reasons a
// Source can return.
func codeForReason(r freebusy.Reason) int {
	switch r {
	case freebusy.ReasonUnknownAttendee:
		return CodeUnknownAttendee
	case freebusy.ReasonAccessDenied:
		return CodeAccessDenied
	case freebusy.ReasonTimeout:
		return CodeTimeout
	case freebusy.ReasonUnavailable:
		return CodeUnavailable
	case freebusy.ReasonThrottled:
		return CodeThrottled
	case freebusy.ReasonInvalid:
		return CodeInvalidParams
	}
	return CodeInternalError
}

// reasonForCode returns the freebusy reason an error code carries, and
// ReasonInternal for codes outside the table.
func reasonForCode(code int) freebusy.Reason {
	if e, ok := codeTable[code]; ok {
		return e.reason
	}
	return freebusy.ReasonInternal
}

// helloParams are the params of calbridge.hello (PROTOCOL.md "calbridge.hello").
type helloParams struct {
	// Version is the protocol version the client speaks.
	Version int `json:"version"`
	// Token is the shared secret, when the server requires one.
	Token string `json:"token,omitempty"`
	// Client names the client software, for the server's logs.
	Client string `json:"client,omitempty"`
	// Forms are the forms of calbridge.freebusy results the client reads
	// besides the JSON form (PROTOCOL.md "Compact schedules"). A server
	// older than them refuses the member with CodeInvalidParams, and the
	// client then says hello again without it.
	Forms []string `json:"forms,omitempty"`
}

// helloResult is the result of calbridge.hello.
type helloResult struct {
	// Version is the protocol version the server will speak on this connection.
	Version int `json:"version"`
	// Server names the server software.
	Server string `json:"server"`
	// MaxMessageBytes is the largest request line the server accepts.
	MaxMessageBytes int `json:"maxMessageBytes"`
	// Form is the form, one of those the client offered, in which the
	// server writes calbridge.freebusy results on this connection; empty
	// for the JSON form.
	Form string `json:"form,omitempty"`
}

// freeBusyResult is the result of calbridge.freebusy: one schedule per
// attendee, in query order, in freebusy.Schedule's JSON form or in the
// compact form.
type freeBusyResult struct {
	Schedules []freebusy.Schedule `json:"schedules"`
	// expect is the number of schedules the query asked for: the size the
	// compact decoder allocates at once.
	expect int
	// compact is set when the result came in the compact form, whose
	// instants are already in UTC.
	compact bool
	// buf, when set, lends a compact result its slices
	// (Client.FreeBusyInto); the JSON form does not use it.
	buf *freebusy.ScheduleBuffer
}

// readCompact decodes a result in the compact form.
func (r *freeBusyResult) readCompact(raw []byte) error {
	ss, err := decodeCompactSchedules(raw, r.expect, r.buf)
	if err != nil {
		return err
	}
	r.Schedules, r.compact = ss, true
	return nil
}

// toUTC converts every instant of ss to UTC in place: a result in the
// JSON form keeps the offsets its server wrote, and a caller gets the same
// schedules whichever form its server speaks.
func toUTC(ss []freebusy.Schedule) {
	for i := range ss {
		s := &ss[i]
		s.Start, s.End, s.AsOf = s.Start.UTC(), s.End.UTC(), s.AsOf.UTC()
		for k := range s.Intervals {
			iv := &s.Intervals[k]
			iv.Start, iv.End = iv.Start.UTC(), iv.End.UTC()
		}
		for k := range s.Events {
			ev := &s.Events[k]
			ev.Start, ev.End = ev.Start.UTC(), ev.End.UTC()
		}
	}
}

// compactReader is a result that reads the compact form: roundTrip hands
// it the raw result when the reply carries one.
type compactReader interface {
	readCompact(raw []byte) error
}

// compactResultOf returns the raw result of a reply line in the shape
// this package's server writes, {"jsonrpc":"2.0","id":N,"result":R}, when
// R is in the compact form. Other replies take the full decode.
func compactResultOf(line []byte) ([]byte, bool) {
	if len(line) <= len(responsePrefix) || string(line[:len(responsePrefix)]) != responsePrefix {
		return nil, false
	}
	rest := line[len(responsePrefix):]
	end := 0
	for end < len(rest) && end <= 20 && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	rest = rest[end:]
	const result = `,"result":`
	if end == 0 || len(rest) < len(result)+len(compactPrefix)+1 || string(rest[:len(result)]) != result {
		return nil, false
	}
	raw := rest[len(result) : len(rest)-1]
	if string(raw[:len(compactPrefix)]) != compactPrefix || rest[len(rest)-1] != '}' {
		return nil, false
	}
	return raw, true
}

// ErrorData is the data member of every error object this server sends
// (PROTOCOL.md "Error codes"): the freebusy reason by name, the retry hint
// (in JSON "retryAfterMs", whole milliseconds), and for version skew the
// versions the server accepts.
type ErrorData struct {
	Reason     freebusy.Reason `json:"reason"`
	RetryAfter time.Duration   `json:"retryAfterMs,omitempty"`
	Supported  []int           `json:"supported,omitempty"`
}

// errorDataJSON is ErrorData in JSON, with the retry hint in milliseconds
// like freebusy.Error's.
type errorDataJSON struct {
	Reason       freebusy.Reason `json:"reason"`
	RetryAfterMs int64           `json:"retryAfterMs,omitempty"`
	Supported    []int           `json:"supported,omitempty"`
}

// MarshalJSON writes the retry hint in whole milliseconds, rounded up.
func (d ErrorData) MarshalJSON() ([]byte, error) {
	ms := int64(d.RetryAfter / time.Millisecond)
	if d.RetryAfter%time.Millisecond > 0 {
		ms++
	}
	return json.Marshal(errorDataJSON{Reason: d.Reason, RetryAfterMs: ms, Supported: d.Supported})
}

// UnmarshalJSON reads what MarshalJSON writes; a negative hint reads as none,
// and one over an hour as an hour, so a peer cannot stall the client.
func (d *ErrorData) UnmarshalJSON(b []byte) error {
	var j errorDataJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	ms := min(max(j.RetryAfterMs, 0), int64(time.Hour/time.Millisecond))
	*d = ErrorData{Reason: j.Reason, RetryAfter: time.Duration(ms) * time.Millisecond, Supported: j.Supported}
	return nil
}

// wireError is a JSON-RPC 2.0 error object (specification §5.1).
type wireError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// wireRequest is a JSON-RPC 2.0 request object (specification §4). ID is nil
// when the member is absent (a notification) and "null" when it is null.
type wireRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// wireResponse is a JSON-RPC 2.0 response object (specification §5).
type wireResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *wireError      `json:"error"`
}

// encoder is a reusable buffer with a JSON encoder bound to it, so that a
// message costs one encoding pass and no intermediate copies. The buffer
// is a plain slice, so that hand-written appenders (the compact form)
// append to it in place.
type encoder struct {
	buf []byte
	enc *json.Encoder
}

// Write appends p: the JSON encoder writes through it.
func (e *encoder) Write(p []byte) (int, error) {
	e.buf = append(e.buf, p...)
	return len(p), nil
}

// encoders recycles the encoders messages are written with; the large
// ones wrote replies, each on the goroutine of its call, so that the next
// call's goroutine must find them wherever they were given back.
var encoders = bufpool.Pool[*encoder]{
	New: func() *encoder {
		e := new(encoder)
		e.enc = json.NewEncoder(e)
		e.enc.SetEscapeHTML(false)
		return e
	},
	Size: func(e *encoder) int { return cap(e.buf) },
}

func getEncoder() *encoder {
	e := encoders.Get()
	e.buf = e.buf[:0]
	return e
}

func putEncoder(e *encoder) { encoders.Put(e) }

// value appends v's JSON without the encoder's trailing newline.
func (e *encoder) value(v any) error {
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	e.buf = e.buf[:len(e.buf)-1]
	return nil
}

// request writes a request line: {"jsonrpc":"2.0","id":N,"method":M[,"params":P]}\n.
func (e *encoder) request(id uint64, method string, params any) error {
	e.buf = append(e.buf, `{"jsonrpc":"2.0","id":`...)
	e.buf = strconv.AppendUint(e.buf, id, 10)
	e.buf = append(e.buf, `,"method":"`...)
	e.buf = append(e.buf, method...) // method names are constants without escapes
	e.buf = append(e.buf, '"')
	if params != nil {
		e.buf = append(e.buf, `,"params":`...)
		if err := e.params(params); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, "}\n"...)
	return nil
}

// result writes a success response line echoing the raw request id.
func (e *encoder) result(id json.RawMessage, result any) error {
	e.buf = append(e.buf, `{"jsonrpc":"2.0","id":`...)
	e.buf = append(e.buf, id...)
	e.buf = append(e.buf, `,"result":`...)
	if err := e.value(result); err != nil {
		return err
	}
	e.buf = append(e.buf, "}\n"...)
	return nil
}

// jsonResult writes calbridge.freebusy's success response line with the
// schedules in the JSON form: the bytes result writes, written by hand.
func (e *encoder) jsonResult(id json.RawMessage, ss []freebusy.Schedule) error {
	e.buf = append(e.buf, `{"jsonrpc":"2.0","id":`...)
	e.buf = append(e.buf, id...)
	e.buf = append(e.buf, `,"result":`...)
	var err error
	if e.buf, err = appendJSONResult(e.buf, ss); err != nil {
		return err
	}
	e.buf = append(e.buf, "}\n"...)
	return nil
}

// compactResult writes calbridge.freebusy's success response line with
// the schedules in the compact form.
func (e *encoder) compactResult(id json.RawMessage, ss []freebusy.Schedule) error {
	e.buf = append(e.buf, `{"jsonrpc":"2.0","id":`...)
	e.buf = append(e.buf, id...)
	e.buf = append(e.buf, `,"result":`...)
	var err error
	if e.buf, err = AppendCompactSchedules(e.buf, ss); err != nil {
		return err
	}
	e.buf = append(e.buf, "}\n"...)
	return nil
}

// error writes an error response line echoing the raw request id (null when
// the id could not be read).
func (e *encoder) error(id json.RawMessage, we *wireError) error {
	if len(id) == 0 {
		id = nullID
	}
	e.buf = append(e.buf, `{"jsonrpc":"2.0","id":`...)
	e.buf = append(e.buf, id...)
	e.buf = append(e.buf, `,"error":`...)
	if err := e.value(we); err != nil {
		return err
	}
	e.buf = append(e.buf, "}\n"...)
	return nil
}

var nullID = json.RawMessage("null")

// errLineTooLong is returned by readLine for a message over the limit.
var errLineTooLong = errors.New("message too large")

// readLine returns the next newline-terminated message without its line
// terminator ("\n" or "\r\n"). The slice is valid until the next call. A
// message longer than max bytes (the terminator not counted) yields
// errLineTooLong as soon as that is known, having buffered at most max+2
// bytes besides br's buffer; the rest of the stream is then unusable and
// the caller must close the connection.
func readLine(br *bufio.Reader, max int, scratch *[]byte) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		acc := (*scratch)[:0]
		for err == bufio.ErrBufferFull {
			// No terminator yet: every byte but a trailing '\r' is message.
			if len(acc)+len(line)-1 > max {
				return nil, errLineTooLong
			}
			acc = appendBounded(acc, line, max)
			line, err = br.ReadSlice('\n')
		}
		if err == nil && len(acc)+len(line)-2 > max { // message + "\r\n"
			return nil, errLineTooLong
		}
		acc = appendBounded(acc, line, max)
		*scratch = acc
		line = acc
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return nil, fmt.Errorf("unterminated message at end of stream: %w", err)
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > max {
		return nil, errLineTooLong
	}
	return line, nil
}

// appendBounded appends b to acc, growing acc by doubling but never past
// the max+2 bytes a line with its terminator may take, so that a line
// limit also bounds the memory held for it.
func appendBounded(acc, b []byte, max int) []byte {
	if need := len(acc) + len(b); need > cap(acc) {
		n := 2 * cap(acc)
		if limit := max + 2; limit > 0 && n > limit {
			n = limit
		}
		n = maxInt(n, need)
		grown := make([]byte, len(acc), n)
		copy(grown, acc)
		acc = grown
	}
	return append(acc, b...)
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// validID reports whether raw is a JSON-RPC id: a string, a number or null.
func validID(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	switch c := raw[0]; {
	case c == '"', c == 'n', c == '-', c >= '0' && c <= '9':
		return true
	}
	return false
}
