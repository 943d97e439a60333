package directory

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/calbridge/calbridge/freebusy"
)

// Person is one person (or room) of the directory.
type Person struct {
	// ID identifies the person within the directory; it is unique.
	ID string `json:"id"`
	// DisplayName is the name to show people. It is not a lookup key.
	DisplayName string `json:"displayName,omitempty"`
	// Side labels the half of the gateway that owns the person's calendar:
	// whatever the program chooses ("notes", "exchange"), matching the
	// names it gives its Sources.
	Side string `json:"side"`
	// Address is the form the Source of Side understands: a Notes canonical
	// name for a Notes user, an SMTP address for an Exchange user.
	Address string `json:"address"`
	// Aliases are every other form the person is known by: SMTP
	// addresses, abbreviated Notes names, legacyExchangeDNs.
	Aliases []string `json:"aliases,omitempty"`
}

// Interface resolves an address, in any form it knows, to its Person.
// Implementations are safe for concurrent use.
type Interface interface {
	// Lookup returns the person address names. An address that names
	// nobody is an error matching ErrNotFound (a *NotFoundError, which
	// freebusy.ReasonOf classifies as ReasonUnknownAttendee); any other
	// error means the directory itself failed.
	Lookup(ctx context.Context, address string) (Person, error)
}

// Normalizer maps an address to its comparison key, or reports ok false
// when it does not understand the address. Addresses that name the same
// person must get the same key. Keys carry a prefix naming their form
// ("smtp:", "notes:", "ex:"), since the keys of all Normalizers share one
// index (see the package documentation).
type Normalizer func(address string) (key string, ok bool)

// foldPrefix sets Fold's keys apart from every other Normalizer's.
const foldPrefix = "="

// Fold is the Normalizer every Table applies after the others: the
// address trimmed of spaces and case-folded, so that a form written exactly
// as listed, in any case, always resolves. It declines only an empty
// address.
func Fold(address string) (key string, ok bool) {
	a := strings.TrimSpace(address)
	if a == "" {
		return "", false
	}
	// Upper then lower folds as strings.EqualFold does for the letters
	// that matter (the Kelvin sign, long s).
	return foldPrefix + strings.ToLower(strings.ToUpper(a)), true
}

// ErrNotFound is matched by every *NotFoundError.
var ErrNotFound = errors.New("directory: not found")

// NotFoundError reports an address that names nobody in the directory. It
// matches ErrNotFound and freebusy.ErrUnknownAttendee with errors.Is, so
// that freebusy.ReasonOf classifies it as ReasonUnknownAttendee.
type NotFoundError struct {
	// Address is the address as looked up.
	Address string
}

// Error implements error.
func (e *NotFoundError) Error() string {
	return "directory: not found: " + strconv.Quote(abbreviate(e.Address))
}

// Is reports whether target is ErrNotFound or freebusy.ErrUnknownAttendee.
func (e *NotFoundError) Is(target error) bool {
	return target == ErrNotFound || target == freebusy.ErrUnknownAttendee
}

// Conditions an *EntryError reports; match them with errors.Is.
var (
	// ErrSyntax: the input is not well-formed CSV or JSON, or not of the
	// documented shape (the cause says where).
	ErrSyntax = errors.New("directory: syntax error")
	// ErrColumn: a CSV header that lacks a required column, names an
	// unknown one or repeats one.
	ErrColumn = errors.New("directory: bad column")
	// ErrMissing: a required field (id, side, address) is empty.
	ErrMissing = errors.New("directory: missing field")
	// ErrValue: a value that is not valid UTF-8, holds a control character
	// or exceeds MaxValueLen bytes.
	ErrValue = errors.New("directory: bad value")
	// ErrDuplicate: an ID used twice, or a person listing one form twice.
	ErrDuplicate = errors.New("directory: duplicate")
	// ErrConflict: a form that names two people (directly, or because a
	// Normalizer gives two people's forms the same key).
	ErrConflict = errors.New("directory: conflicting form")
	// ErrTooLarge: the input exceeds the loader's size limit
	// (WithMaxBytes).
	ErrTooLarge = errors.New("directory: input too large")
)

// MaxValueLen bounds every value of a Person, in bytes: far above the
// longest Notes name (255 bytes, docs/notes.md §5.1) and Exchange proxy
// address (1123 characters, docs/exchange.md §5.2).
const MaxValueLen = 2048

// EntryError reports a bad entry of a directory list or file. It matches
// its condition (Err) with errors.Is.
type EntryError struct {
	// Line is the 1-based line of the input where the problem is, or 0
	// when the list did not come from a file.
	Line int
	// Entry is the 0-based index of the person in the list, or -1 when
	// the problem is not in an entry (a CSV header, the JSON framing).
	Entry int
	// ID is the entry's ID, where known.
	ID string
	// Field names the offending field ("id", "side", "address",
	// "aliases", a CSV column), when one is to blame.
	Field string
	// Value is the offending value, abbreviated to 64 bytes in Error.
	Value string
	// Other is the ID of the other person in an ErrConflict, or of the
	// earlier entry in a duplicate ID.
	Other string
	// Err is the condition: ErrSyntax, ErrColumn, ErrMissing, ErrValue,
	// ErrDuplicate, ErrConflict or ErrTooLarge.
	Err error
	// Cause is the underlying error of an ErrSyntax, if any.
	Cause error
}

// Error implements error.
func (e *EntryError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Entry >= 0 {
		fmt.Fprintf(&b, ": entry %d", e.Entry)
		if e.ID != "" {
			fmt.Fprintf(&b, " (%q)", abbreviate(e.ID))
		}
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
		if e.Value != "" {
			fmt.Fprintf(&b, " %q", abbreviate(e.Value))
		}
	}
	if e.Other != "" {
		fmt.Fprintf(&b, ": also entry %q", abbreviate(e.Other))
	}
	if e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the condition and the cause.
func (e *EntryError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

func abbreviate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
