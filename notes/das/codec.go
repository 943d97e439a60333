package das

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/jsonguard"
)

// MaxDocumentBytes bounds what the DAS decoders read: 4 MiB, some fifty
// times a busy user's 62-day busytime answer. A longer document is refused
// with ErrTooLarge rather than read into memory.
const MaxDocumentBytes = 4 << 20

// MaxDocumentDepth bounds how deeply arrays and objects nest in a DAS
// document: busytime needs four levels (the document, busyTimes, a
// period, its start), and encoding/json would accept ten thousand. A
// deeper document is refused with ErrTooDeep before it is decoded.
const MaxDocumentDepth = 16

// MaxDocumentElements bounds the array elements and object members of a
// DAS document, counted as package internal/jsonguard counts them: a
// busytime period has about eight, so this admits some 30,000 periods,
// while megabytes of "{}," cannot become millions of structs. A document
// with more is refused with ErrTooManyElements before it is decoded.
const MaxDocumentElements = 1 << 18

// Conditions of the DAS codec. Every error the decoders return is a
// *freebusy.ParseError (matching freebusy.ErrInvalid) whose Err is one of
// these, a *json.SyntaxError or *json.UnmarshalTypeError, or a cause
// described on the function. ErrTooDeep and ErrTooManyElements come from
// every JSON decoder of the package.
var (
	// ErrTooLarge: the document exceeds the size bound.
	ErrTooLarge = errors.New("das: document too large")
	// ErrMissingKey: a required exDateTime (start, end) is absent, null
	// or empty.
	ErrMissingKey = errors.New("das: document lacks a required key")
	// ErrTooDeep: the document nests deeper than MaxDocumentDepth.
	ErrTooDeep = errors.New("das: document nested too deeply")
	// ErrTooManyElements: the document holds more than
	// MaxDocumentElements elements.
	ErrTooManyElements = errors.New("das: document has too many elements")
)

var (
	errUnparseableDate = errors.New("das: Unparseable date")
	errUTCAndTZID      = errors.New("das: exDateTime has both utc and tzid")
	errDateTimeShape   = errors.New("das: exDateTime date must be YYYY-MM-DD and time HH:MM:SS")
)

// DecodeBusyTime reads a busyTimeResponse (docs/notes.md §2.2.3) from
// r, reading at most MaxDocumentBytes. The window (start, end) is
// required; busyTimes may be absent. Every exDateTime must be valid (see
// DateTime.Instant). Periods are returned as sent, an inverted one
// included: BusyTime.Schedule drops and counts it (§2.2.6).
//
// Errors are *freebusy.ParseError values of Kind "DAS busytime" (see
// ErrTooLarge, ErrMissingKey); an exDateTime problem is wrapped as
// the Err of that ParseError. Read errors of r are returned as they are.
func DecodeBusyTime(r io.Reader) (*BusyTime, error) {
	data, err := readDASDocument(r, "DAS busytime")
	if err != nil {
		return nil, err
	}
	return decodeBusyTimeBytes(data)
}

func decodeBusyTimeBytes(data []byte) (*BusyTime, error) {
	const kind = "DAS busytime"
	out := new(BusyTime)
	if err := unmarshalDAS(data, out, kind); err != nil {
		return nil, err
	}
	// An absent, null or empty exDateTime decodes to the zero value. The
	// location is formatted only on error: this loop runs per period.
	check := func(d DateTime, index int, field string) error {
		where := func() string {
			if index < 0 {
				return field
			}
			return "busyTimes[" + strconv.Itoa(index) + "]." + field
		}
		if d == (DateTime{}) {
			return &freebusy.ParseError{Kind: kind, Input: where(), Err: ErrMissingKey}
		}
		if _, err := d.Instant(); err != nil {
			return &freebusy.ParseError{Kind: kind, Input: where(), Err: err}
		}
		return nil
	}
	if err := check(out.Start, -1, "start"); err != nil {
		return nil, err
	}
	if err := check(out.End, -1, "end"); err != nil {
		return nil, err
	}
	for i, bt := range out.BusyTimes {
		if err := check(bt.Start, i, "start"); err != nil {
			return nil, err
		}
		if err := check(bt.End, i, "end"); err != nil {
			return nil, err
		}
	}
	if len(out.BusyTimes) == 0 {
		out.BusyTimes = nil // absent, null and [] mean the same
	}
	return out, nil
}

// EncodeBusyTime writes b as DAS writes it: one JSON document, busyTimes
// omitted when empty, followed by a newline.
func EncodeBusyTime(w io.Writer, b *BusyTime) error {
	return encodeDAS(w, b)
}

// DecodeError reads an errorResponse (docs/notes.md §2.2.3). A
// document without code, text and message is a *freebusy.ParseError of Kind
// "DAS error" with Err ErrMissingKey.
func DecodeError(r io.Reader) (*Error, error) {
	const kind = "DAS error"
	data, err := readDASDocument(r, kind)
	if err != nil {
		return nil, err
	}
	var e Error
	if err := unmarshalDAS(data, &e, kind); err != nil {
		return nil, err
	}
	if e.Code == 0 && e.Text == "" && e.Message == "" {
		return nil, &freebusy.ParseError{Kind: kind, Input: abbreviate(data), Err: ErrMissingKey}
	}
	return &e, nil
}

// EncodeError writes e as DAS writes an errorResponse.
func EncodeError(w io.Writer, e *Error) error { return encodeDAS(w, e) }

// DecodeLinks reads the root document of /api/freebusy (§2.2.1).
func DecodeLinks(r io.Reader) (*Links, error) { return decodeDAS[Links](r, "DAS links") }

// DecodeFreeRooms reads a freerooms answer (§2.2.5).
func DecodeFreeRooms(r io.Reader) (*FreeRooms, error) {
	return decodeDAS[FreeRooms](r, "DAS freerooms")
}

// DecodeDirectories reads a directories answer (§2.2.5).
func DecodeDirectories(r io.Reader) (*Directories, error) {
	return decodeDAS[Directories](r, "DAS directories")
}

// DecodeSites reads a sites answer (§2.2.5).
func DecodeSites(r io.Reader) (*Sites, error) { return decodeDAS[Sites](r, "DAS sites") }

// decodeDAS reads one JSON document of type T with the shared bounds and
// error shape; the documents of §2.2.1 and §2.2.5 have no required keys
// beyond their shape.
func decodeDAS[T any](r io.Reader, kind string) (*T, error) {
	data, err := readDASDocument(r, kind)
	if err != nil {
		return nil, err
	}
	var v T
	if err := unmarshalDAS(data, &v, kind); err != nil {
		return nil, err
	}
	return &v, nil
}

// readDASDocument reads r up to MaxDocumentBytes.
func readDASDocument(r io.Reader, kind string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocumentBytes {
		return nil, &freebusy.ParseError{Kind: kind, Input: abbreviate(data), Err: ErrTooLarge}
	}
	return data, nil
}

// documentShape bounds a document before encoding/json reads it.
var documentShape = jsonguard.Limits{MaxDepth: MaxDocumentDepth, MaxElements: MaxDocumentElements}

// unmarshalDAS decodes one JSON document into v, turning encoding/json's
// errors into a *freebusy.ParseError that locates the problem. A document
// beyond documentShape is refused first, with ErrTooDeep or
// ErrTooManyElements and the offset of the excess.
func unmarshalDAS(data []byte, v any, kind string) error {
	if err := jsonguard.Check(data, documentShape); err != nil {
		le, _ := errors.AsType[*jsonguard.LimitError](err)
		cond := ErrTooManyElements
		if errors.Is(err, jsonguard.ErrTooDeep) {
			cond = ErrTooDeep
		}
		return &freebusy.ParseError{Kind: kind, Input: abbreviate(data), Offset: le.Offset, Err: cond}
	}
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	pe := &freebusy.ParseError{Kind: kind, Input: abbreviate(data), Err: err}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		pe.Offset = int(se.Offset)
	case errors.As(err, &te):
		pe.Offset = int(te.Offset)
		if te.Field != "" {
			pe.Input = te.Field
		}
	}
	return pe
}

// encodeDAS writes v as one JSON document and a newline, in one Write.
// json.Encoder encodes into its own pooled buffer and writes that out, so
// nothing is copied again on the way to w; it escapes HTML as
// json.Marshal does, so the bytes are the same.
func encodeDAS(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// abbreviate returns the start of data as a string for error messages.
func abbreviate(data []byte) string {
	data = bytes.TrimSpace(data)
	if len(data) > 64 {
		data = data[:64]
	}
	return string(data)
}
