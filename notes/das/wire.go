package das

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/notes"
)

// This file holds the wire model of the Domino Access Services (DAS)
// freebusy API: Go types that mirror the JSON documents of
// /api/freebusy and its resources, field for field, with the exact key
// names of docs/notes.md §2.2 (IBM's freebusy.yaml and the
// extlib adapters). Bytes <-> wire model is codec.go and icalendar.go,
// wire model <-> freebusy is convert.go.

// DAS resource paths (docs/notes.md §2.2.1). The directory id of
// PathSites is appended as one URL-escaped path segment.
const (
	// PathRoot is the root document, the links list; a Handler serves
	// everything below it, so mount it at PathRoot + "/".
	PathRoot = "/api/freebusy"
	// PathBusyTime is the busytime resource (§2.2.2).
	PathBusyTime = "/api/freebusy/busytime"
	// PathFreeRooms is the freerooms resource (§2.2.5).
	PathFreeRooms = "/api/freebusy/freerooms"
	// PathDirectories is the directories resource (§2.2.5).
	PathDirectories = "/api/freebusy/directories"
	// PathSites is the prefix of a directory's sites resource (§2.2.5).
	PathSites = "/api/freebusy/sites/"
)

// TimeLayout is the layout of the since, before, start and end query
// parameters: exactly YYYY-MM-DDTHH:MM:SSZ, no fractional seconds, no
// offset. DAS rejects "2017-09-01T13:00:00.000Z" with "Unparseable date"
// (docs/notes.md §2.2.2, §10 vector 5).
const TimeLayout = "2006-01-02T15:04:05Z"

// FormatTime formats t in UTC with TimeLayout. Fractional seconds are
// truncated; callers that need a window to be covered round the end up
// first (the Client does).
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime parses a query parameter written with TimeLayout, and
// nothing else: fractional seconds and offsets are refused, as DAS refuses
// them. The error is a *freebusy.ParseError of Kind "DAS date".
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil || len(s) != len(TimeLayout) {
		return time.Time{}, &freebusy.ParseError{Kind: "DAS date", Input: s, Err: errUnparseableDate}
	}
	return t, nil
}

// DateTime is the exDateTime of freebusy.yaml (docs/notes.md
// §2.2.3): a date "YYYY-MM-DD" and a time "HH:MM:SS", with UTC true. The
// calendar API variant carries TZID instead of UTC; the two are mutually
// exclusive. The busytime resource always writes UTC.
type DateTime struct {
	// Date is the day, "YYYY-MM-DD".
	Date string `json:"date"`
	// Time is the time of day, "HH:MM:SS".
	Time string `json:"time"`
	// UTC says that Date and Time are UTC.
	UTC bool `json:"utc,omitempty"`
	// TZID names the IANA zone of Date and Time instead.
	TZID string `json:"tzid,omitempty"`
}

// NewDateTime returns t as a UTC exDateTime. Fractional seconds are
// truncated, since the wire has whole seconds only.
func NewDateTime(t time.Time) DateTime {
	t = t.UTC()
	return DateTime{Date: t.Format("2006-01-02"), Time: t.Format("15:04:05"), UTC: true}
}

// Instant returns the instant d denotes. UTC is honoured; a TZID is resolved
// with time.LoadLocation (real tzdata). An exDateTime with neither is read
// as UTC, as IBM's sample clients do (docs/notes.md §2.2.6); one with
// both, an unknown zone (or "Local"), or a malformed date or time is a
// *freebusy.ParseError of Kind "DAS exDateTime".
func (d DateTime) Instant() (time.Time, error) {
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
		l, err := freebusy.LoadZone(d.TZID)
		// "Local" would be this machine's zone, which the sender cannot mean.
		if err != nil || d.TZID == "Local" {
			return fail(fmt.Errorf("das: unknown tzid %q", d.TZID))
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
func (d DateTime) String() string {
	s := d.Date + " " + d.Time
	switch {
	case d.UTC:
		s += "Z"
	case d.TZID != "":
		s += " " + d.TZID
	}
	return s
}

// DateTimeRange is the exDateTimeRange of freebusy.yaml: one busy
// period (docs/notes.md §2.2.3).
type DateTimeRange struct {
	// Start is when the period begins.
	Start DateTime `json:"start"`
	// End is when it ends; DAS has been seen to send an End before Start.
	End DateTime `json:"end"`
}

// BusyTime is the busyTimeResponse of GET /api/freebusy/busytime
// (docs/notes.md §2.2.3): the window DAS actually used and the busy
// periods in it. DAS derives it from an internal VFREEBUSY and drops FBTYPE,
// so every period is busy; BusyTimes is omitted when there are none. The
// first period may be inverted (§2.2.6): decoders keep it, conversion drops
// and counts it.
type BusyTime struct {
	// Start is the start of the window DAS answered for.
	Start DateTime `json:"start"`
	// End is the end of that window.
	End DateTime `json:"end"`
	// BusyTimes are the busy periods, in the order sent.
	BusyTimes []DateTimeRange `json:"busyTimes,omitempty"`
}

// Error is the errorResponse of DAS (docs/notes.md §2.2.3), e.g.
// {"code":400,"text":"Bad request","message":"Name not found"}. It is also
// an error: the Client puts it, as received, in the Cause of the
// *freebusy.Error it reports.
type Error struct {
	// Code repeats the HTTP status code.
	Code int `json:"code"`
	// Text is the status text ("Bad request").
	Text string `json:"text"`
	// Message says what went wrong ("Name not found").
	Message string `json:"message"`
	// Data is an optional detail, such as a stack trace.
	Data string `json:"data,omitempty"`
	// Type is the type of Data ("text") when there is one.
	Type string `json:"type,omitempty"`
}

// Error implements error: "das: error 400 Bad request: Name not found".
func (e *Error) Error() string {
	msg := "das: error " + strconv.Itoa(e.Code)
	if e.Text != "" {
		msg += " " + e.Text
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// MessageNameNotFound is the message of DAS's 400 answer for a name the
// directory does not know (docs/notes.md §2.2.2).
const MessageNameNotFound = "Name not found"

// Link is one {"rel","href"} entry of a links list.
type Link struct {
	// Rel names the resource: "busytime", "freerooms", "directories",
	// "sites".
	Rel string `json:"rel"`
	// Href is its path, or an absolute URL.
	Href string `json:"href"`
}

// Links is the answer of GET /api/freebusy (docs/notes.md §2.2.1).
type Links struct {
	// Links lists the resources the server offers.
	Links []Link `json:"links"`
}

// Room is one room of a freerooms answer (docs/notes.md §2.2.5).
// DistinguishedName is the abbreviated Notes name, e.g.
// "Room 1001/Boston Building 1".
type Room struct {
	// DisplayName is shown to users ("Room 1001").
	DisplayName string `json:"displayName"`
	// DistinguishedName is the room's abbreviated Notes name.
	DistinguishedName string `json:"distinguishedName"`
	// Email is the room's Internet address, when it has one.
	Email string `json:"email,omitempty"`
	// Capacity is how many people the room seats.
	Capacity int `json:"capacity"`
}

// FreeRooms is the answer of GET /api/freebusy/freerooms
// (docs/notes.md §2.2.5).
type FreeRooms struct {
	// Rooms are the rooms free over the whole window asked about.
	Rooms []Room `json:"rooms"`
}

// Directory is one entry of a directories answer: a display name and a
// "sites" link whose last segment is the URL-escaped directory id
// ("<server canonical>!!<path>", docs/notes.md §2.2.5). Clients use the
// link rather than building the id themselves.
type Directory struct {
	// Links holds the "sites" link.
	Links []Link `json:"links"`
	// DisplayName is shown to users.
	DisplayName string `json:"displayName"`
}

// Directories is the answer of GET /api/freebusy/directories
// (docs/notes.md §2.2.5).
type Directories struct {
	// Directories are the directories that hold rooms.
	Directories []Directory `json:"directories"`
}

// Site is one site (a building, in IBM's examples) of a directory.
type Site struct {
	// DisplayName names the site; freerooms requests select it by it.
	DisplayName string `json:"displayName"`
}

// Sites is the answer of GET /api/freebusy/sites/{directory}
// (docs/notes.md §2.2.5).
type Sites struct {
	// Sites are the directory's sites.
	Sites []Site `json:"sites"`
}

// DefaultFreeRoomsCapacity is the capacity a freerooms request asks for
// when it names none (docs/notes.md §2.2.5).
const DefaultFreeRoomsCapacity = 5

// lookupName returns the form of name to look up: a Notes name with a
// routing domain loses the domain ("Jane Doe/Acme@AcmeMail" becomes
// "Jane Doe/Acme"), because busytime lookups resolve names without it
// (Microsoft KB Q222893, Q271590: the old connector timed out on the other
// form; docs/notes.md §5.2). The
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
