package das

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// DefaultCallTimeout bounds a Client's FreeBusy call whose context has no
// deadline, unless WithCallTimeout says otherwise.
const DefaultCallTimeout = config.DefaultCallTimeout

// DefaultMaxBodyBytes is the default of WithMaxBodyBytes: 1 MiB, some ten
// times a busy user's 62-day busytime answer.
const DefaultMaxBodyBytes = 1 << 20

// DefaultSourceTimeout is the default of WithSourceTimeout.
const DefaultSourceTimeout = 30 * time.Second

// DefaultReadTimeout is how long a Handler waits for a request's body,
// unless WithReadTimeout says otherwise.
const DefaultReadTimeout = config.DefaultReadTimeout

// ErrInvalidOption is matched (errors.Is) by the error NewClient and
// NewHandler return for an option given a value it cannot take.
var ErrInvalidOption = config.ErrInvalidOption

// pkg names this package in option errors.
const pkg = "das"

// ClientOption configures NewClient.
type ClientOption interface{ applyClient(*clientConfig) }

// HandlerOption configures NewHandler.
type HandlerOption interface{ applyHandler(*handlerConfig) }

// Option configures both NewClient and NewHandler.
type Option interface {
	ClientOption
	HandlerOption
}

// clientConfig is what NewClient reads.
type clientConfig struct {
	config.Common
	maxBodyBytes int64
	icalendar    bool
}

// handlerConfig is what NewHandler reads.
type handlerConfig struct {
	config.Common
	maxBodyBytes    int64
	tentativeAsFree bool
	sourceTimeout   time.Duration
	directories     []RoomDirectory
	directoriesOn   bool
}

// commonOption sets a knob of config.Common that both constructors read.
type commonOption func(*config.Common)

func (f commonOption) applyClient(c *clientConfig)   { f(&c.Common) }
func (f commonOption) applyHandler(h *handlerConfig) { f(&h.Common) }

// bothOption sets a knob both constructors read that config.Common does
// not hold, with one function per configuration.
type bothOption struct {
	client  func(*clientConfig)
	handler func(*handlerConfig)
}

func (o bothOption) applyClient(c *clientConfig)   { o.client(c) }
func (o bothOption) applyHandler(h *handlerConfig) { o.handler(h) }

// clientOption sets a knob only NewClient reads.
type clientOption func(*clientConfig)

func (f clientOption) applyClient(c *clientConfig) { f(c) }

// handlerOption sets a knob only NewHandler reads.
type handlerOption func(*handlerConfig)

func (f handlerOption) applyHandler(h *handlerConfig) { f(h) }

// WithLogger sets the logger. The default, and a nil logger, mean
// zap.NewNop(). Attendee names and schedule contents are never logged above
// Debug level.
func WithLogger(l *zap.Logger) Option {
	return commonOption(func(c *config.Common) { c.SetLogger(l) })
}

// WithLimits sets the query limits: a Client refuses queries beyond them
// before asking DAS anything, and a Handler refuses busytime windows beyond
// them and asks its Source about free rooms in batches of at most
// MaxAttendees. The default is freebusy.DefaultLimits(); zero fields mean the
// field of freebusy.DefaultLimits(). A negative field, or a minimum
// granularity above the maximum, makes the constructor fail with an error
// matching ErrInvalidOption.
func WithLimits(l freebusy.Limits) Option {
	return commonOption(func(c *config.Common) { c.SetLimits(pkg, l) })
}

// WithMaxBodyBytes bounds the body of every DAS answer a Client reads and
// of every request a Handler accepts. Zero, the default, means
// DefaultMaxBodyBytes. A negative n, or one above MaxDocumentBytes (the
// most the decoders read), makes the constructor fail with an error
// matching ErrInvalidOption. A longer answer fails its attendee with
// freebusy.ReasonInvalid.
func WithMaxBodyBytes(n int64) Option {
	check := func(c *config.Common) bool {
		if n < 0 || n > MaxDocumentBytes {
			c.Invalid(pkg, "WithMaxBodyBytes", "%d is outside 0 to %d", n, MaxDocumentBytes)
			return false
		}
		return true
	}
	return bothOption{
		client: func(c *clientConfig) {
			if check(&c.Common) {
				c.maxBodyBytes = n
			}
		},
		handler: func(h *handlerConfig) {
			if check(&h.Common) {
				h.maxBodyBytes = n
			}
		},
	}
}

// WithHTTPClient sets the HTTP client a Client sends its requests with.
// The default, and nil, mean http.DefaultClient. Authentication belongs in
// the client's Transport (a RoundTripper), never in this package.
func WithHTTPClient(h *http.Client) ClientOption {
	return clientOption(func(c *clientConfig) { c.SetHTTPClient(h) })
}

// WithConcurrency bounds how many busytime requests a Client runs at once
// for one query (DAS answers for one name per request). The default is
// 8; a value below 1 makes NewClient fail with an error matching
// ErrInvalidOption.
func WithConcurrency(n int) ClientOption {
	return clientOption(func(c *clientConfig) { c.SetConcurrency(pkg, n) })
}

// WithCallTimeout sets how long a Client's FreeBusy call may take when its
// context has no deadline (a context deadline always wins). The default is
// DefaultCallTimeout; zero means no bound but the context's; a negative
// duration makes NewClient fail with an error matching ErrInvalidOption.
func WithCallTimeout(d time.Duration) ClientOption {
	return clientOption(func(c *clientConfig) { c.SetCallTimeout(pkg, d) })
}

// WithICalendar makes a Client ask DAS for format=icalendar (a VFREEBUSY,
// docs/notes.md §2.2.4) instead of JSON. Both carry the same information;
// the option exists for servers or proxies that only pass one of them.
// The default is JSON.
func WithICalendar(on bool) ClientOption {
	return clientOption(func(c *clientConfig) { c.icalendar = on })
}

// WithTentativeAsFree sets what a Handler does with tentative time, which
// DAS cannot express (docs/mapping.md §3.7, §4.5). false, the default,
// sends it as a busy period: a Notes user then reschedules rather than
// double-books, where the old Exchange Calendar Connector showed tentative
// time as free "by design" (Microsoft KB Q199643) and users booked over
// meetings that then took place. true omits it, so that it reads as free,
// which is Notes' own view of penciled-in time (docs/mapping.md §4.4).
func WithTentativeAsFree(on bool) HandlerOption {
	return handlerOption(func(h *handlerConfig) { h.tentativeAsFree = on })
}

// WithSourceTimeout bounds how long a Handler waits for its Source per
// request (the request's own context still applies). Zero, the default,
// means DefaultSourceTimeout; a negative duration makes NewHandler fail
// with an error matching ErrInvalidOption.
func WithSourceTimeout(d time.Duration) HandlerOption {
	return handlerOption(func(h *handlerConfig) {
		if d < 0 {
			h.Invalid(pkg, "WithSourceTimeout", "negative duration %v", d)
			return
		}
		h.sourceTimeout = d
	})
}

// WithReadTimeout bounds how long a Handler waits for the body of a
// request, counted from when it starts to serve it. DAS requests are GETs
// without one, but a client may send one anyway, and the server reads what
// the Handler left of it before the connection's next request: a client
// that trickles it is cut off then, so that slow clients cannot hold
// connections open. The Handler sets the connection's read deadline
// through http.ResponseController. The default is DefaultReadTimeout.
// Zero sets no deadline, leaving the body to the http.Server's own
// ReadTimeout; a server ReadTimeout no longer than the Handler's is left
// in force too, and a ResponseWriter that cannot take a deadline
// (httptest.ResponseRecorder) serves unbounded. A negative duration makes
// NewHandler fail with an error matching ErrInvalidOption.
func WithReadTimeout(d time.Duration) HandlerOption {
	return handlerOption(func(h *handlerConfig) { h.SetReadTimeout(pkg, d) })
}

// WithRoomDirectories turns on a Handler's freerooms, directories and sites
// resources and serves them from dirs (docs/notes.md §2.2.5); with no dirs
// the resources are on and list nothing. Without the option they answer
// 404, as a DAS server does with the feature off. Free rooms are computed
// by asking the Handler's Source about each room of the site; a room whose
// free/busy cannot be had is not free.
//
// A directory without an ID, two directories with the same ID, a site
// without a display name, a room with neither Email nor
// DistinguishedName, or a negative capacity makes NewHandler fail with an
// error matching ErrInvalidOption.
func WithRoomDirectories(dirs ...RoomDirectory) HandlerOption {
	return handlerOption(func(h *handlerConfig) {
		if err := checkRoomDirectories(dirs); err != "" {
			h.Invalid(pkg, "WithRoomDirectories", "%s", err)
			return
		}
		h.directories = append([]RoomDirectory(nil), dirs...)
		h.directoriesOn = true
	})
}

// checkRoomDirectories returns what is wrong with dirs, or "".
func checkRoomDirectories(dirs []RoomDirectory) string {
	seen := map[string]bool{}
	for _, d := range dirs {
		switch {
		case d.ID == "":
			return "a directory has no ID"
		case seen[d.ID]:
			return "directory ID " + d.ID + " is listed twice"
		}
		seen[d.ID] = true
		for _, s := range d.Sites {
			if s.DisplayName == "" {
				return "a site of directory " + d.ID + " has no display name"
			}
			for _, r := range s.Rooms {
				switch {
				case r.Email == "" && r.DistinguishedName == "":
					return "a room of site " + s.DisplayName + " has neither email nor distinguished name"
				case r.Capacity < 0:
					return "room " + roomName(r) + " has a negative capacity"
				}
			}
		}
	}
	return ""
}

// RoomDirectory is one directory a Handler serves under
// /api/freebusy/directories (see WithRoomDirectories).
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
	// name, compared case-insensitively.
	DisplayName string
	// Rooms are the site's rooms. Email, when set, is the name the
	// Handler's Source is asked about; otherwise DistinguishedName is.
	Rooms []Room
}

// newClientConfig applies opts over the defaults, nil options skipped,
// and resolves the zero values that mean a default. It returns the first
// invalid option's error.
func newClientConfig(opts []ClientOption) (clientConfig, error) {
	c := clientConfig{Common: config.Defaults()}
	for _, o := range opts {
		if o != nil {
			o.applyClient(&c)
		}
	}
	if c.maxBodyBytes == 0 {
		c.maxBodyBytes = DefaultMaxBodyBytes
	}
	return c, c.Err()
}

// newHandlerConfig applies opts over the defaults, nil options skipped,
// and resolves the zero values that mean a default. It returns the first
// invalid option's error.
func newHandlerConfig(opts []HandlerOption) (handlerConfig, error) {
	h := handlerConfig{Common: config.Defaults()}
	for _, o := range opts {
		if o != nil {
			o.applyHandler(&h)
		}
	}
	if h.maxBodyBytes == 0 {
		h.maxBodyBytes = DefaultMaxBodyBytes
	}
	if h.sourceTimeout == 0 {
		h.sourceTimeout = DefaultSourceTimeout
	}
	return h, h.Err()
}
