package transport

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/calbridge/calbridge/freebusy"
)

// Sentinel errors.
var (
	// ErrClosed is returned by every call on a Client or Local after
	// Close, and by calls that Close interrupted.
	ErrClosed = errors.New("transport: client closed")
	// ErrServerClosed is returned by Server.Serve after Shutdown or Close.
	ErrServerClosed = errors.New("transport: server closed")
	// ErrQueueFull is the cause of the Unavailable error a call gets when
	// more callers than WithMaxWaiting allows are already waiting for a
	// connection.
	ErrQueueFull = errors.New("transport: too many callers waiting for a connection")
	// ErrHeartbeatTimeout is the cause of a connection's failure when its
	// peer did not answer a heartbeat in time (a half-open or hung peer).
	ErrHeartbeatTimeout = errors.New("transport: heartbeat timeout")
	// ErrConnectionLost is the cause given to calls pending on a connection
	// that was discarded because another call's write failed.
	ErrConnectionLost = errors.New("transport: connection lost")
	// ErrMessageTooLarge reports a message over the configured size limit.
	ErrMessageTooLarge = errors.New("transport: message too large")
	// ErrVersionMismatch matches a RemoteError refusing the handshake for
	// protocol version skew (CodeVersionMismatch).
	ErrVersionMismatch = errors.New("transport: protocol version mismatch")
	// ErrUnauthorized matches a RemoteError refusing the handshake for a
	// missing or wrong token (CodeUnauthorized).
	ErrUnauthorized = errors.New("transport: unauthorized")
	// ErrProtocol reports a peer that broke the wire protocol (PROTOCOL.md):
	// a line that is not a JSON-RPC response, an unexpected id.
	ErrProtocol = errors.New("transport: protocol violation")
	// ErrInvalidOption is matched (errors.Is) by the error NewClient or
	// NewServer returns for an option value it cannot take.
	ErrInvalidOption = errors.New("transport: invalid option")
)

// CallError reports a call, or a connection attempt, that failed because
// of the connection rather than the server's answer: dial, handshake, write
// or read errors, a heartbeat timeout, a framing error. The connection is
// discarded when one happens.
//
// MaySent tells whether the server may have acted on the request: false
// when the request provably never left the client, true when it was (or
// may have been) written. Free/busy queries are reads, so the Client
// retries them either way; the flag matters to callers layering writes.
//
// A CallError matches freebusy.ErrUnavailable with errors.Is (or
// freebusy.ErrTimeout when its cause is a deadline), so freebusy.ReasonOf
// classifies it as ReasonUnavailable (ReasonTimeout).
type CallError struct {
	// Op is the step that failed: "dial", "handshake", "write", "read",
	// "heartbeat" or "call".
	Op string
	// Addr is the server address.
	Addr string
	// Attempts is how many attempts the call made, when the error is the
	// final answer to a call; zero for a connection attempt.
	Attempts int
	// MaySent reports whether the server may have acted on the request.
	MaySent bool
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *CallError) Error() string {
	var b strings.Builder
	b.WriteString("transport: ")
	b.WriteString(e.Op)
	if e.Addr != "" {
		b.WriteString(" ")
		b.WriteString(e.Addr)
	}
	if e.Attempts > 0 {
		b.WriteString(" (")
		b.WriteString(strconv.Itoa(e.Attempts))
		b.WriteString(" attempts)")
	}
	if e.MaySent {
		b.WriteString(" (server may have acted)")
	} else {
		b.WriteString(" (not sent)")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *CallError) Unwrap() error { return e.Err }

// Is makes a CallError match freebusy.ErrTimeout when its cause is a
// deadline, and freebusy.ErrUnavailable otherwise.
func (e *CallError) Is(target error) bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return target == freebusy.ErrTimeout
	}
	return target == freebusy.ErrUnavailable
}

// RemoteError is a JSON-RPC error object received from the server
// (PROTOCOL.md "Error codes"). The Client returns application errors to
// callers as a *freebusy.Error whose Cause is the RemoteError; handshake
// refusals appear as the Err of a CallError with Op "handshake".
type RemoteError struct {
	// Code is the JSON-RPC error code.
	Code int
	// Message is the server's message.
	Message string
	// Data is the raw data member, if any.
	Data json.RawMessage
	// Reason is the freebusy reason: from data.reason when the server sent
	// one, else from the code table.
	Reason freebusy.Reason
	// NotProcessed is set for codes that guarantee the server did not run
	// the call (overloaded, shutting down, handshake refusals).
	NotProcessed bool
	// Info is the decoded data member when it had this server's shape.
	Info ErrorData
}

// Error implements error.
func (e *RemoteError) Error() string {
	return "transport: server error " + strconv.Itoa(e.Code) + ": " + e.Message
}

// Is matches ErrVersionMismatch and ErrUnauthorized by code, and the
// freebusy sentinel of the error's reason.
func (e *RemoteError) Is(target error) bool {
	switch target {
	case ErrVersionMismatch:
		return e.Code == CodeVersionMismatch
	case ErrUnauthorized:
		return e.Code == CodeUnauthorized
	case ErrMessageTooLarge:
		return e.Code == CodeMessageTooLarge
	}
	s := e.Reason.Sentinel()
	return s != nil && s == target
}

// newRemoteError builds a RemoteError from a wire error object.
func newRemoteError(we *wireError) *RemoteError {
	re := &RemoteError{Code: we.Code, Message: we.Message, Data: we.Data, Reason: reasonForCode(we.Code)}
	if e, ok := codeTable[we.Code]; ok {
		re.NotProcessed = e.notProcessed
	}
	if len(we.Data) > 0 && we.Data[0] == '{' {
		var d ErrorData
		if json.Unmarshal(we.Data, &d) == nil {
			re.Info = d
			if d.Reason != freebusy.ReasonNone {
				re.Reason = d.Reason
			}
		}
	}
	return re
}

// asFreeBusyError converts a RemoteError to the *freebusy.Error a Client
// returns to its caller.
func (e *RemoteError) asFreeBusyError() *freebusy.Error {
	return &freebusy.Error{Reason: e.Reason, Message: e.Message, RetryAfter: e.Info.RetryAfter, Cause: e}
}

// unavailable returns the fail-fast error: Unavailable, carrying cause.
func unavailable(msg string, cause error) *freebusy.Error {
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: msg, Cause: cause}
}
