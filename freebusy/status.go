package freebusy

import (
	"fmt"
	"strings"
)

// Status is what is known about one stretch of an attendee's time.
//
// The zero value is Unknown ("no data"), so a Status that nobody set never
// reads as Free. The numeric values are not wire digits: each protocol maps
// them at its own edge (EWS and Graph digits, RFC 5545 FBTYPE, Notes schedule
// attributes). The cross-format table is in the package documentation.
type Status uint8

// The statuses, in declaration order. Merging precedence is a separate order,
// see Precedence.
const (
	// Unknown means no data: the source could not say. It is never treated as
	// Free, and it only survives a merge where nothing else is known.
	Unknown Status = iota
	// Free time is available for meetings.
	Free
	// Tentative time is held but not committed (EWS Tentative, RFC 5545
	// BUSY-TENTATIVE, Notes penciled-in).
	Tentative
	// Busy time is committed.
	Busy
	// OutOfOffice time is away (EWS OOF, RFC 5545 BUSY-UNAVAILABLE).
	OutOfOffice
	// WorkingElsewhere time is available but away from the usual place
	// (EWS WorkingElsewhere, Graph workingElsewhere).
	WorkingElsewhere
)

// numStatuses is one past the last valid Status.
const numStatuses = 6

var statusNames = [numStatuses]string{
	Unknown:          "unknown",
	Free:             "free",
	Tentative:        "tentative",
	Busy:             "busy",
	OutOfOffice:      "out-of-office",
	WorkingElsewhere: "working-elsewhere",
}

// precedence ranks statuses for merging overlapping time inside one schedule:
// OutOfOffice > Busy > Tentative > WorkingElsewhere > Free > Unknown.
var precedence = [numStatuses]uint8{
	Unknown:          0,
	Free:             1,
	WorkingElsewhere: 2,
	Tentative:        3,
	Busy:             4,
	OutOfOffice:      5,
}

// Valid reports whether s is one of the declared statuses.
func (s Status) Valid() bool { return s < numStatuses }

// String returns the lower-case, hyphenated name of s ("out-of-office"), or
// "Status(N)" for an undeclared value.
func (s Status) String() string {
	if s.Valid() {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Precedence returns the rank of s when overlapping time is merged: the higher
// rank wins. OutOfOffice ranks highest, then Busy, Tentative,
// WorkingElsewhere, Free, and Unknown lowest, so that Unknown remains only
// where nothing is known. Undeclared values rank below Unknown.
func (s Status) Precedence() int {
	if !s.Valid() {
		return -1
	}
	return int(precedence[s])
}

// Available reports whether a meeting may be placed in time of this status:
// Free and WorkingElsewhere are available; Unknown is not.
func (s Status) Available() bool { return s == Free || s == WorkingElsewhere }

// ParseStatus parses a status name as written by String. It is
// case-insensitive and also accepts the protocol spellings that mean the same
// thing: "oof", "outofoffice", "away", "nodata", "workingelsewhere",
// "busy-tentative", "busy-unavailable".
func ParseStatus(text string) (Status, error) {
	key := strings.ToLower(strings.TrimSpace(text))
	for i, name := range statusNames {
		if key == name {
			return Status(i), nil
		}
	}
	switch key {
	case "oof", "outofoffice", "out_of_office", "away", "busy-unavailable":
		return OutOfOffice, nil
	case "nodata", "no-data", "no_data":
		return Unknown, nil
	case "workingelsewhere", "working_elsewhere":
		return WorkingElsewhere, nil
	case "busy-tentative":
		return Tentative, nil
	}
	return Unknown, &ParseError{Kind: "status", Input: text}
}

// MarshalText implements encoding.TextMarshaler. It refuses undeclared values
// rather than writing something no reader can parse.
func (s Status) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, &ParseError{Kind: "status", Input: s.String()}
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseStatus.
func (s *Status) UnmarshalText(text []byte) error {
	v, err := ParseStatus(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
