package das

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/notes"

	"github.com/calbridge/calbridge/freebusy"
)

// This file holds the wire model of the Domino Access Services (DAS)
// freebusy API: Go types that mirror the JSON documents of
// /api/freebusy and its resources, field for field, with the exact key
// names of reference/notes-freebusy.md §2.2 (IBM's freebusy.yaml and the
// extlib adapters). Bytes <-> wire model is dascodec.go, wire model <->
// freebusy is dasconvert.go.

// DAS resource paths (notes-freebusy.md §2.2.1). The directory id of
// DASPathSites is appended as one URL-escaped path segment.
const (
	DASPathRoot        = "/api/freebusy"
	DASPathBusyTime    = "/api/freebusy/busytime"
	DASPathFreeRooms   = "/api/freebusy/freerooms"
	DASPathDirectories = "/api/freebusy/directories"
	DASPathSites       = "/api/freebusy/sites/"
)

// DASTimeLayout is the layout of the since, before, start and end query
// parameters: exactly YYYY-MM-DDTHH:MM:SSZ, no fractional seconds, no
// offset. DAS rejects "2017-09-01T13:00:00.000Z" with "Unparseable date"
// (notes-freebusy.md §2.2.2, §10 vector 5).
const DASTimeLayout = "2006-01-02T15:04:05Z"

// FormatDASTime formats t in UTC with DASTimeLayout. Fractional seconds are
// truncated; callers that need a window to be covered round the end up
// first (the Client does).
func FormatDASTime(t time.Time) string { return t.UTC().Format(DASTimeLayout) }

// ParseDASTime parses a query parameter written with DASTimeLayout, and
// nothing else: fractional seconds and offsets are refused, as DAS refuses
// them. The error is a *freebusy.ParseError of Kind "DAS date".
func ParseDASTime(s string) (time.Time, error) {
	t, err := time.Parse(DASTimeLayout, s)
	if err != nil || len(s) != len(DASTimeLayout) {
		return time.Time{}, &freebusy.ParseError{Kind: "DAS date", Input: s, Err: errUnparseableDate}
	}
	return t, nil
}

// DASDateTime is the exDateTime of freebusy.yaml (notes-freebusy.md
// §2.2.3): a date "YYYY-MM-DD" and a time "HH:MM:SS", with UTC true. The
// calendar API variant carries TZID instead of UTC; the two are mutually
// exclusive. The busytime resource always writes UTC.
type DASDateTime struct {
	Date string `json:"date"`
	Time string `json:"time"`
	UTC  bool   `json:"utc,omitempty"`
	TZID string `json:"tzid,omitempty"`
}

// NewDASDateTime returns t as a UTC exDateTime. Fractional seconds are
// truncated, since the wire has whole seconds only.
func NewDASDateTime(t time.Time) DASDateTime {
	t = t.UTC()
	return DASDateTime{Date: t.Format("2006-01-02"), Time: t.Format("15:04:05"), UTC: true}
}

// Instant returns the instant d denotes. UTC is honoured; a TZID is resolved
// with time.LoadLocation (real tzdata). An exDateTime with neither is read
// as UTC, as IBM's sample clients do (notes-freebusy.md §2.2.6); one with
// both, an unknown zone (or "Local"), or a malformed date or time is a
// *freebusy.ParseError of Kind "DAS exDateTime".
func (d DASDateTime) Instant() (time.Time, error) {
	fail := func(err error) (time.Time, error) {
		return time.Time{}, &freebusy.ParseError{Kind: "DAS exDateTime", Input: d.String(), Err: err}
	}
	if d.UTC && d.TZID != "" {
		return fail(errUTCAndTZID)
	}
	if len(d.Date) != len("2006-01-02") || len(d.Time) != len("15:04:05") {
		return fail(errDateTimeShape)
	}
	loc := time.UTC
	if d.TZID != "" {
		l, err := time.LoadLocation(d.TZID)
		// "Local" would be this machine's zone, which the sender cannot mean.
		if err != nil || d.TZID == "Local" {
			return fail(fmt.Errorf("notes: unknown tzid %q", d.TZID))
		}
		loc = l
	}
	t, ok := parseDateClock(d.Date, d.Time, loc)
	if !ok {
		return fail(errDateTimeShape)
	}
	return t.UTC(), nil
}

// parseDateClock parses "YYYY-MM-DD" and "HH:MM:SS" in loc, strictly: every
// digit present and every field in range (no 24:00:00, no February 30th,
// no leap second). It is hand-written because it runs twice per busy
// period and time.Parse dominated decoding.
func parseDateClock(date, clock string, loc *time.Location) (time.Time, bool) {
	if len(date) != 10 || date[4] != '-' || date[7] != '-' || len(clock) != 8 || clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d := num(date[:4]), num(date[5:7]), num(date[8:])
	h, mi, sec := num(clock[:2]), num(clock[3:5]), num(clock[6:])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	if d > daysIn(time.Month(mo), y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc), true
}

// daysIn returns the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String returns d as "date time" plus "Z" or the tzid, for messages.
func (d DASDateTime) String() string {
	s := d.Date + " " + d.Time
	switch {
	case d.UTC:
		s += "Z"
	case d.TZID != "":
		s += " " + d.TZID
	}
	return s
}

// DASDateTimeRange is the exDateTimeRange of freebusy.yaml: one busy
// period (notes-freebusy.md §2.2.3).
type DASDateTimeRange struct {
	Start DASDateTime `json:"start"`
	End   DASDateTime `json:"end"`
}

// DASBusyTime is the busyTimeResponse of GET /api/freebusy/busytime
// (notes-freebusy.md §2.2.3): the window DAS actually used and the busy
// periods in it. DAS derives it from an internal VFREEBUSY and drops FBTYPE,
// so every period is busy; BusyTimes is omitted when there are none. The
// first period may be inverted (§2.2.6): decoders keep it, conversion drops
// and counts it.
type DASBusyTime struct {
	Start     DASDateTime        `json:"start"`
	End       DASDateTime        `json:"end"`
	BusyTimes []DASDateTimeRange `json:"busyTimes,omitempty"`
}

// DASError is the errorResponse of DAS (notes-freebusy.md §2.2.3), e.g.
// {"code":400,"text":"Bad request","message":"Name not found"}. It is also
// an error: the Client puts it, as received, in the Cause of the
// *freebusy.Error it reports.
type DASError struct {
	// Code repeats the HTTP status code.
	Code int `json:"code"`
	// Text is the status text ("Bad request").
	Text string `json:"text"`
	// Message says what went wrong ("Name not found").
	Message string `json:"message"`
	// Data and Type are optional details (Type is "text" when present).
	Data string `json:"data,omitempty"`
	Type string `json:"type,omitempty"`
}

// Error implements error: "notes: DAS error 400 Bad request: Name not found".
func (e *DASError) Error() string {
	msg := "notes: DAS error " + strconv.Itoa(e.Code)
	if e.Text != "" {
		msg += " " + e.Text
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// DASMessageNameNotFound is the message of DAS's 400 answer for a name the
// directory does not know (notes-freebusy.md §2.2.2).
const DASMessageNameNotFound = "Name not found"

// DASLink is one {"rel","href"} entry of a links list.
type DASLink struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// DASLinks is the answer of GET /api/freebusy (notes-freebusy.md §2.2.1).
type DASLinks struct {
	Links []DASLink `json:"links"`
}

// DASRoom is one room of a freerooms answer (notes-freebusy.md §2.2.5).
// DistinguishedName is the abbreviated Notes name, e.g.
// "Room 1001/Boston Building 1".
type DASRoom struct {
	DisplayName       string `json:"displayName"`
	DistinguishedName string `json:"distinguishedName"`
	Email             string `json:"email,omitempty"`
	Capacity          int    `json:"capacity"`
}

// DASFreeRooms is the answer of GET /api/freebusy/freerooms
// (notes-freebusy.md §2.2.5).
type DASFreeRooms struct {
	Rooms []DASRoom `json:"rooms"`
}

// DASDirectory is one entry of a directories answer: a display name and a
// "sites" link whose last segment is the URL-escaped directory id
// ("<server canonical>!!<path>", notes-freebusy.md §2.2.5). Clients use the
// link rather than building the id themselves.
type DASDirectory struct {
	Links       []DASLink `json:"links"`
	DisplayName string    `json:"displayName"`
}

// DASDirectories is the answer of GET /api/freebusy/directories
// (notes-freebusy.md §2.2.5).
type DASDirectories struct {
	Directories []DASDirectory `json:"directories"`
}

// DASSite is one site (a building, in IBM's examples) of a directory.
type DASSite struct {
	DisplayName string `json:"displayName"`
}

// DASSites is the answer of GET /api/freebusy/sites/{directory}
// (notes-freebusy.md §2.2.5).
type DASSites struct {
	Sites []DASSite `json:"sites"`
}

// DefaultFreeRoomsCapacity is the capacity a freerooms request asks for
// when it names none (notes-freebusy.md §2.2.5).
const DefaultFreeRoomsCapacity = 5

// lookupName returns the form of name to look up: a Notes name with a
// routing domain loses the domain ("Jane Doe/Acme@AcmeMail" becomes
// "Jane Doe/Acme"), because busytime lookups resolve names without it (KB
// Q222893, Q271590: the old connector timed out on the other form). The
// rest is kept as written. Internet addresses, names without a domain and
// strings that do not parse as names are passed on as they are, for the
// server to judge.
func lookupName(name string) string {
	n, err := notes.ParseName(name)
	if err != nil || n.IsInternet() || n.Domain == "" {
		return name
	}
	if trimmed := strings.TrimSpace(name); strings.HasSuffix(trimmed, "@"+n.Domain) {
		return strings.TrimSpace(strings.TrimSuffix(trimmed, "@"+n.Domain))
	}
	return n.WithoutDomain().Canonical()
}
