package natstransport

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/bufpool"
	"github.com/calbridge/calbridge/internal/jsonguard"
	"github.com/calbridge/calbridge/transport"
)

// ProtocolVersion is the version of the envelope a Client sends and a
// Server answers in (member "v"; see the package documentation).
const ProtocolVersion = 1

// Headers of the protocol (see the package documentation).
const (
	hdrKind      = "Calbridge-Kind"      // on every reply: one of the kinds below
	hdrHops      = "Calbridge-Hops"      // on a query: gateway hops made so far
	hdrTimeout   = "Calbridge-Timeout"   // on a query: milliseconds the caller still waits
	hdrHeartbeat = "Calbridge-Heartbeat" // on an ack: the worker's heartbeat interval, milliseconds
	hdrWorker    = "Calbridge-Worker"    // on an ack: the worker's id, for logs
	hdrForms     = "Calbridge-Forms"     // on a query: the schedule forms the caller reads besides JSON
	hdrForm      = "Calbridge-Form"      // on an answer: the form of its schedules, when not JSON
	hdrStatus    = "Status"              // set by the NATS server: "503" means no responders
)

// Kinds of reply.
const (
	kindAck      = "ack"      // the worker took the query and is running it
	kindProgress = "progress" // heartbeat: still running
	kindBusy     = "busy"     // refused at the concurrency limit; not run
	kindGone     = "gone"     // the worker is closing and gave the query up
	kindAnswer   = "answer"   // the final answer; the body is the envelope
)

// Bounds of what the decoders accept.
const (
	maxRequestBytes = 64 << 10 // a query of 100 long addresses is a few KiB
	maxHops         = 1 << 20  // far above any router's limit; keeps the count an int
	maxTimeoutMs    = 24 * 60 * 60 * 1000
)

// Limits on the shape of the JSON documents, checked before they are
// decoded (internal/jsonguard): requests are flat; answers nest seven
// deep at most (schedules, a schedule, its working hours, their periods,
// a period, its days).
var (
	requestShape = jsonguard.Limits{MaxDepth: 2, MaxElements: 4 << 10}
	answerShape  = jsonguard.Limits{MaxDepth: 8, MaxElements: 1 << 20}
)

// Conditions of a *DecodeError.
var (
	// ErrTooLarge: the message is longer than the decoder accepts.
	ErrTooLarge = errors.New("natstransport: message too large")
	// ErrVersion: the envelope's "v" is missing or not ProtocolVersion.
	ErrVersion = errors.New("natstransport: unsupported protocol version")
	// ErrMalformed: the message is not what the protocol says (bad JSON,
	// a bad header, an answer with neither schedules nor an error).
	ErrMalformed = errors.New("natstransport: malformed message")
)

// DecodeError reports a query or answer that does not follow the
// protocol. It matches freebusy.ErrInvalid, and its condition (ErrTooLarge,
// ErrVersion, ErrMalformed) with errors.Is.
type DecodeError struct {
	// Message is "query" or "answer".
	Message string
	// Err is the condition.
	Err error
	// Detail says what was wrong, when the condition does not.
	Detail string
}

// Error implements error.
func (e *DecodeError) Error() string {
	msg := "natstransport: bad " + e.Message + ": " + e.Err.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the condition.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is makes a DecodeError match freebusy.ErrInvalid.
func (e *DecodeError) Is(target error) bool { return target == freebusy.ErrInvalid }

func badQuery(err error, detail string) *DecodeError {
	return &DecodeError{Message: "query", Err: err, Detail: detail}
}

func badAnswer(err error, detail string) *DecodeError {
	return &DecodeError{Message: "answer", Err: err, Detail: detail}
}

// request is a decoded query message.
type request struct {
	q       freebusy.Query
	hops    int
	timeout time.Duration // zero: the caller sent none
	// compact: the caller reads schedules in transport's compact form.
	compact bool
}

// encodeRequest returns the body of a query message: the query's JSON
// (freebusy.Query.MarshalJSON) with "v" in front.
func encodeRequest(q freebusy.Query) ([]byte, error) {
	b, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	// b is an object; reopen it with the version as its first member.
	out := make([]byte, 0, len(b)+8)
	out = append(out, `{"v":`...)
	out = strconv.AppendInt(out, ProtocolVersion, 10)
	if len(b) > 2 {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

// versionOnly reads the envelope's version.
type versionOnly struct {
	V *int `json:"v"`
}

// decodeRequest reads a query message: its body and headers. Members the
// envelope does not define are ignored, so that later versions can add
// optional ones without a new version number. The query is not validated
// (freebusy.Query.Validate); its instants are made UTC.
func decodeRequest(hdr nats.Header, data []byte) (request, error) {
	var r request
	if len(data) > maxRequestBytes {
		return r, badQuery(ErrTooLarge, strconv.Itoa(len(data))+" bytes")
	}
	if err := jsonguard.Check(data, requestShape); err != nil {
		return r, badQuery(ErrMalformed, err.Error())
	}
	var v versionOnly
	if err := json.Unmarshal(data, &v); err != nil {
		return r, badQuery(ErrMalformed, err.Error())
	}
	if v.V == nil || *v.V != ProtocolVersion {
		return r, badQuery(ErrVersion, versionDetail(v.V))
	}
	if err := json.Unmarshal(data, &r.q); err != nil {
		return r, badQuery(ErrMalformed, err.Error())
	}
	r.q.Start, r.q.End = r.q.Start.UTC(), r.q.End.UTC()
	var err error
	if r.hops, err = headerInt(hdr, hdrHops, maxHops); err != nil {
		return r, badQuery(ErrMalformed, err.Error())
	}
	ms, err := headerInt(hdr, hdrTimeout, maxTimeoutMs)
	if err != nil {
		return r, badQuery(ErrMalformed, err.Error())
	}
	r.timeout = time.Duration(ms) * time.Millisecond
	r.compact = offers(hdr.Get(hdrForms), transport.CompactForm)
	return r, nil
}

// offers reports whether a Calbridge-Forms header (form names separated
// by commas, with optional spaces) names form.
func offers(forms, form string) bool {
	for f := range strings.SplitSeq(forms, ",") {
		if strings.TrimSpace(f) == form {
			return true
		}
	}
	return false
}

func versionDetail(v *int) string {
	if v == nil {
		return `no "v"; this end speaks ` + strconv.Itoa(ProtocolVersion)
	}
	return "version " + strconv.Itoa(*v) + "; this end speaks " + strconv.Itoa(ProtocolVersion)
}

// headerInt reads a header holding a decimal integer from 0 to limit; an
// absent header reads as 0.
func headerInt(hdr nats.Header, key string, limit int) (int, error) {
	s := hdr.Get(key)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > limit {
		return 0, errors.New("header " + key + " is " + strconv.Quote(truncate(s)) + ", not an integer from 0 to " + strconv.Itoa(limit))
	}
	return n, nil
}

// answerJSON is the envelope of an answer: exactly one of Schedules and
// Error is set, or, in the compact form, Compact alone.
type answerJSON struct {
	V         *int                `json:"v"`
	Schedules []freebusy.Schedule `json:"schedules,omitempty"`
	Error     *freebusy.Error     `json:"error,omitempty"`
	Compact   json.RawMessage     `json:"compact,omitempty"`
}

// compactAnswerPrefix starts every compact answer this package writes;
// the decoder takes the schedules of an answer so framed without
// decoding the envelope as JSON.
var compactAnswerPrefix = `{"v":` + strconv.Itoa(ProtocolVersion) + `,"compact":`

// appendCompactAnswer appends the body of an answer whose schedules
// travel in transport's compact form (transport/PROTOCOL.md, "Compact
// schedules"): {"v":1,"compact":{"form":"compact1",...}}. Errors are never
// sent so; encodeAnswer writes them.
func appendCompactAnswer(dst []byte, out []freebusy.Schedule) ([]byte, error) {
	dst = append(dst, compactAnswerPrefix...)
	dst, err := transport.AppendCompactSchedules(dst, out)
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// answerBodies recycles the bodies of compact answers between the
// queries a worker runs, each on a goroutine of its own. A body may go
// back as soon as PublishMsg returns: nats.go copies the message into the
// connection's buffer first.
var answerBodies = bufpool.Pool[*[]byte]{
	New:  func() *[]byte { return new([]byte) },
	Size: func(b *[]byte) int { return cap(*b) },
}

// encodeAnswer returns the body of an answer: the schedules, or the
// error with its reason, message and retry hint (never its cause).
func encodeAnswer(out []freebusy.Schedule, err error) ([]byte, error) {
	v := ProtocolVersion
	if err != nil {
		return json.Marshal(answerJSON{V: &v, Error: wireError(err)})
	}
	return json.Marshal(answerJSON{V: &v, Schedules: out})
}

// wireError is what crosses the wire of a Source's error.
func wireError(err error) *freebusy.Error {
	if fe, ok := errors.AsType[*freebusy.Error](err); ok {
		return &freebusy.Error{Attendee: fe.Attendee, Reason: fe.Reason, Message: fe.Message, RetryAfter: fe.RetryAfter}
	}
	return &freebusy.Error{Reason: freebusy.ReasonOf(err), Message: err.Error()}
}

// decodeAnswer reads an answer's body, whose schedules are in the form
// its Calbridge-Form header names (form; "" for JSON): the schedules, or
// the worker's error (an *freebusy.Error; its Reason is never
// ReasonNone), or a *DecodeError.
//
// Compact schedules are decoded into buf's memory when buf is not nil
// (freebusy.ScheduleBuffer); JSON ones never are.
func decodeAnswer(form string, data []byte, maxBytes int, buf *freebusy.ScheduleBuffer) ([]freebusy.Schedule, *freebusy.Error, error) {
	if len(data) > maxBytes {
		return nil, nil, badAnswer(ErrTooLarge, strconv.Itoa(len(data))+" bytes")
	}
	switch form {
	case "":
	case transport.CompactForm:
		return decodeCompactAnswer(data, buf)
	default:
		return nil, nil, badAnswer(ErrMalformed, "schedules in form "+strconv.Quote(truncate(form))+", which this client does not read")
	}
	a, err := decodeEnvelope(data)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case a.Compact != nil:
		return nil, nil, badAnswer(ErrMalformed, "compact schedules without the "+hdrForm+" header")
	case a.Error != nil && a.Schedules != nil:
		return nil, nil, badAnswer(ErrMalformed, "both schedules and an error")
	case a.Error != nil:
		return nil, a.Error, nil
	case len(a.Schedules) == 0:
		// A query names at least one attendee, so an answer holds at
		// least one schedule.
		return nil, nil, badAnswer(ErrMalformed, "neither schedules nor an error")
	}
	return a.Schedules, nil, nil
}

// decodeEnvelope reads an answer's envelope as JSON, within answerShape,
// and checks its version.
func decodeEnvelope(data []byte) (answerJSON, error) {
	var a answerJSON
	if err := jsonguard.Check(data, answerShape); err != nil {
		return a, badAnswer(ErrMalformed, err.Error())
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, badAnswer(ErrMalformed, err.Error())
	}
	if a.V == nil || *a.V != ProtocolVersion {
		return a, badAnswer(ErrVersion, versionDetail(a.V))
	}
	return a, nil
}

// decodeCompactAnswer reads the body of an answer in the compact form.
// The answer this package writes is read in one pass: the prefix, the
// compact object (transport.DecodeCompactSchedules, which bounds and
// checks everything it reads), the closing brace. Any other framing (the
// members in another order, spaces) goes through encoding/json first.
func decodeCompactAnswer(data []byte, buf *freebusy.ScheduleBuffer) ([]freebusy.Schedule, *freebusy.Error, error) {
	raw, ok := bytes.CutPrefix(data, []byte(compactAnswerPrefix))
	if ok {
		raw, ok = bytes.CutSuffix(raw, []byte("}"))
	}
	if !ok {
		a, err := decodeEnvelope(data)
		if err != nil {
			return nil, nil, err
		}
		if a.Compact == nil || a.Schedules != nil || a.Error != nil {
			return nil, nil, badAnswer(ErrMalformed, `a compact answer holds "compact" and nothing else`)
		}
		raw = a.Compact
	}
	out, err := transport.DecodeCompactSchedulesInto(raw, buf)
	if err != nil {
		return nil, nil, badAnswer(ErrMalformed, err.Error())
	}
	if len(out) == 0 {
		return nil, nil, badAnswer(ErrMalformed, "no schedules")
	}
	return out, nil, nil
}

// truncate shortens a peer's string for an error message.
func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
