package das

import (
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// dasOptions are the knobs of Client and Handler. Zero values mean the
// documented defaults, resolved by the accessors below.
type dasOptions struct {
	maxBodyBytes  int64
	icalendar     bool
	tentative     freebusy.Status
	timeout       time.Duration
	directories   []RoomDirectory
	directoriesOn bool
}

// DefaultMaxBodyBytes is the default of WithMaxBodyBytes: 1 MiB, some ten
// times a busy user's 62-day busytime answer.
const DefaultMaxBodyBytes = 1 << 20

// DefaultHandlerTimeout is the default of WithHandlerTimeout.
const DefaultHandlerTimeout = 30 * time.Second

func (o *dasOptions) bodyLimit() int64 {
	if o.maxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return min(o.maxBodyBytes, MaxDASDocumentBytes)
}

func (o *dasOptions) handlerTimeout() time.Duration {
	if o.timeout <= 0 {
		return DefaultHandlerTimeout
	}
	return o.timeout
}

// WithMaxBodyBytes bounds the body of every DAS response the Client reads
// and of every request the Handler accepts. The default, and values below
// 1, mean DefaultMaxBodyBytes; values above MaxDASDocumentBytes mean that.
// A longer response fails its attendee with freebusy.ReasonInvalid.
func WithMaxBodyBytes(n int64) Option {
	return optionFunc(func(o *options) { o.das.maxBodyBytes = n })
}

// WithICalendar makes the Client ask DAS for format=icalendar (a
// VFREEBUSY, notes-freebusy.md §2.2.4) instead of JSON. Both carry the
// same information; the option exists for servers or proxies that only
// pass one of them.
func WithICalendar(on bool) Option {
	return optionFunc(func(o *options) { o.das.icalendar = on })
}

// WithTentativeAs sets what the Handler sends for tentative time, which
// DAS cannot express: freebusy.Busy (the default) or freebusy.Free (Notes'
// own penciled-in semantics). Other values mean Busy. The reasoning is in
// dasconvert.go: the Exchange Calendar Connector showed tentative as free
// (KB Q199643) and users booked over real meetings.
func WithTentativeAs(s freebusy.Status) Option {
	return optionFunc(func(o *options) { o.das.tentative = s })
}

// WithHandlerTimeout bounds how long the Handler waits for its Source per
// request (the request's own context still applies). The default, and
// values below 1, mean DefaultHandlerTimeout.
func WithHandlerTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) { o.das.timeout = d })
}

// WithRoomDirectories turns on the Handler's freerooms, directories and
// sites resources and serves them from dirs (notes-freebusy.md §2.2.5).
// Without it those resources answer 404, as a DAS server does with the
// feature off. Free rooms are computed by asking the Handler's Source about
// each configured room; a room whose free/busy cannot be had is not free.
func WithRoomDirectories(dirs ...RoomDirectory) Option {
	return optionFunc(func(o *options) {
		o.das.directories = append([]RoomDirectory(nil), dirs...)
		o.das.directoriesOn = true
	})
}

// RoomDirectory is one directory the Handler serves under
// /api/freebusy/directories.
type RoomDirectory struct {
	// ID is the directory id that appears, URL-escaped, as the last
	// segment of the sites link; DAS uses "<server canonical>!!<path>",
	// e.g. "CN=Zealand/O=Peaks!!names.nsf".
	ID string
	// DisplayName is shown to users.
	DisplayName string
	// Sites are the directory's sites (buildings).
	Sites []RoomSite
}

// RoomSite is one site of a RoomDirectory and its rooms.
type RoomSite struct {
	// DisplayName names the site; freerooms requests select it by this
	// name.
	DisplayName string
	// Rooms are the site's rooms. Email, when set, is the name the
	// Handler's Source is asked about; otherwise DistinguishedName is.
	Rooms []DASRoom
}
