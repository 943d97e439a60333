package das

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"github.com/calbridge/calbridge/freebusy"
)

// MaxDASDocumentBytes bounds what the DAS decoders read: 4 MiB, some fifty
// times a busy user's 62-day busytime answer. A longer document is refused
// with ErrDASTooLarge rather than read into memory.
const MaxDASDocumentBytes = 4 << 20

// Conditions of the DAS codec. Every error the decoders return is a
// *freebusy.ParseError (matching freebusy.ErrInvalid) whose Err is one of
// these, a *json.SyntaxError or *json.UnmarshalTypeError, or a cause
// described on the function.
var (
	// ErrDASTooLarge: the document exceeds the size bound.
	ErrDASTooLarge = errors.New("notes: DAS document too large")
	// ErrDASMissingKey: a required exDateTime (start, end) is absent, null
	// or empty.
	ErrDASMissingKey = errors.New("notes: DAS document lacks a required key")
)

var (
	errUnparseableDate = errors.New("notes: Unparseable date")
	errUTCAndTZID      = errors.New("notes: exDateTime has both utc and tzid")
	errDateTimeShape   = errors.New("notes: exDateTime date must be YYYY-MM-DD and time HH:MM:SS")
)

// DecodeBusyTime reads a busyTimeResponse (notes-freebusy.md §2.2.3) from
// r, reading at most MaxDASDocumentBytes. The window (start, end) is
// required; busyTimes may be absent. Every exDateTime must be valid (see
// DASDateTime.Instant). Periods are returned as sent, an inverted one
// included: DASBusyTime.Schedule drops and counts it (§2.2.6).
//
// Errors are *freebusy.ParseError values of Kind "DAS busytime" (see
// ErrDASTooLarge, ErrDASMissingKey); an exDateTime problem is wrapped as
// the Err of that ParseError. Read errors of r are returned as they are.
func DecodeBusyTime(r io.Reader) (*DASBusyTime, error) {
	data, err := readDASDocument(r, "DAS busytime")
	if err != nil {
		return nil, err
	}
	return decodeBusyTimeBytes(data)
}

func decodeBusyTimeBytes(data []byte) (*DASBusyTime, error) {
	const kind = "DAS busytime"
	out := new(DASBusyTime)
	if err := unmarshalDAS(data, out, kind); err != nil {
		return nil, err
	}
	// An absent, null or empty exDateTime decodes to the zero value. The
	// location is formatted only on error: this loop runs per period.
	check := func(d DASDateTime, index int, field string) error {
		where := func() string {
			if index < 0 {
				return field
			}
			return "busyTimes[" + strconv.Itoa(index) + "]." + field
		}
		if d == (DASDateTime{}) {
			return &freebusy.ParseError{Kind: kind, Input: where(), Err: ErrDASMissingKey}
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
func EncodeBusyTime(w io.Writer, b *DASBusyTime) error {
	return encodeDAS(w, b)
}

// DecodeDASError reads an errorResponse (notes-freebusy.md §2.2.3). A
// document without code, text and message is a *freebusy.ParseError of Kind
// "DAS error" with Err ErrDASMissingKey.
func DecodeDASError(r io.Reader) (*DASError, error) {
	const kind = "DAS error"
	data, err := readDASDocument(r, kind)
	if err != nil {
		return nil, err
	}
	var e DASError
	if err := unmarshalDAS(data, &e, kind); err != nil {
		return nil, err
	}
	if e.Code == 0 && e.Text == "" && e.Message == "" {
		return nil, &freebusy.ParseError{Kind: kind, Input: abbreviate(data), Err: ErrDASMissingKey}
	}
	return &e, nil
}

// EncodeDASError writes e as DAS writes an errorResponse.
func EncodeDASError(w io.Writer, e *DASError) error { return encodeDAS(w, e) }

// DecodeDASLinks reads the root document of /api/freebusy (§2.2.1).
func DecodeDASLinks(r io.Reader) (*DASLinks, error) { return decodeDAS[DASLinks](r, "DAS links") }

// DecodeDASFreeRooms reads a freerooms answer (§2.2.5).
func DecodeDASFreeRooms(r io.Reader) (*DASFreeRooms, error) {
	return decodeDAS[DASFreeRooms](r, "DAS freerooms")
}

// DecodeDASDirectories reads a directories answer (§2.2.5).
func DecodeDASDirectories(r io.Reader) (*DASDirectories, error) {
	return decodeDAS[DASDirectories](r, "DAS directories")
}

// DecodeDASSites reads a sites answer (§2.2.5).
func DecodeDASSites(r io.Reader) (*DASSites, error) { return decodeDAS[DASSites](r, "DAS sites") }

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

// readDASDocument reads r up to MaxDASDocumentBytes.
func readDASDocument(r io.Reader, kind string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDASDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDASDocumentBytes {
		return nil, &freebusy.ParseError{Kind: kind, Input: abbreviate(data), Err: ErrDASTooLarge}
	}
	return data, nil
}

// unmarshalDAS decodes one JSON document into v, turning encoding/json's
// errors into a *freebusy.ParseError that locates the problem.
func unmarshalDAS(data []byte, v any, kind string) error {
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

func encodeDAS(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	_, err = w.Write(data)
	return err
}

// abbreviate returns the start of data as a string for error messages.
func abbreviate(data []byte) string {
	data = bytes.TrimSpace(data)
	if len(data) > 64 {
		data = data[:64]
	}
	return string(data)
}
