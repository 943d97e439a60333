package ews

import (
	"context"
	"strings"

	"github.com/calbridge/calbridge/freebusy"
)

// AutodiscoverUser is what an AutodiscoverHandler says about one user, as
// a UserLookup found it.
type AutodiscoverUser struct {
	// Address is the user's primary SMTP address, answered as
	// AutoDiscoverSMTPAddress; "" means the address that was asked about.
	Address string
	// DisplayName is answered as UserDisplayName (SOAP) and DisplayName
	// (POX); "" leaves them out of the answer, as Exchange leaves out a
	// setting without a value.
	DisplayName string
	// LegacyDN is the user's legacyExchangeDN (docs/exchange.md §5.1),
	// answered as UserDN (SOAP) and LegacyDN (POX); "" leaves them out.
	LegacyDN string
}

// UserLookup tells an AutodiscoverHandler who address is. An error
// matching freebusy.ErrUnknownAttendee (a *freebusy.Error with
// ReasonUnknownAttendee, say) makes the user unknown: SOAP ErrorCode
// InvalidUser, POX ErrorCode 500. An error whose freebusy.ReasonOf is
// temporary (timeout, unavailable, throttled) is SOAP ServerBusy; any
// other error is SOAP InternalServerError; both are POX ErrorCode 603.
type UserLookup func(ctx context.Context, address string) (AutodiscoverUser, error)

// defaultUserLookup knows every syntactically plausible address: one "@"
// with text on both sides, and nothing else about it.
func defaultUserLookup(_ context.Context, address string) (AutodiscoverUser, error) {
	if !plausibleAddress(address) {
		return AutodiscoverUser{}, freebusy.NewError(address, freebusy.ReasonUnknownAttendee, nil)
	}
	return AutodiscoverUser{Address: address}, nil
}

// plausibleAddress reports whether s looks like local@domain.
func plausibleAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.IndexByte(s[at+1:], '@') < 0
}

// autodiscoverSettings is what the options of this file set; the
// options.go config carries the knobs shared with the other constructors.
type autodiscoverSettings struct {
	lookup      UserLookup
	internalURL string // "" means the external EWS URL
}

// autodiscoverOption is an AutodiscoverOption of this file: set changes
// the settings, and a problem found when the option was made (problem
// non-empty) is reported through the config when the option is applied.
type autodiscoverOption struct {
	name    string
	problem string
	set     func(*autodiscoverSettings)
}

func (o autodiscoverOption) applyAutodiscover(c *autodiscoverConfig) {
	if o.problem != "" {
		c.Invalid(pkg, o.name, "%s", o.problem)
	}
}

// applySettings applies the options of this file among opts to s.
func applySettings(s *autodiscoverSettings, opts []AutodiscoverOption) {
	for _, o := range opts {
		if o, ok := o.(autodiscoverOption); ok && o.problem == "" {
			o.set(s)
		}
	}
}

// WithUserLookup sets how an AutodiscoverHandler finds the users it is
// asked about, so that a directory can answer: their SMTP address, display
// name and legacyExchangeDN, or that they are unknown (see UserLookup).
// The default, and nil, know every address of the form local@domain and
// nothing more about it (no display name, no legacyExchangeDN).
func WithUserLookup(l UserLookup) AutodiscoverOption {
	return autodiscoverOption{name: "WithUserLookup", set: func(s *autodiscoverSettings) {
		if l == nil {
			l = defaultUserLookup
		}
		s.lookup = l
	}}
}

// WithInternalEWSURL sets the URL an AutodiscoverHandler answers as
// InternalEwsUrl, for clients inside the network (Exchange's availability
// service asks for it). The default is the handler's EWS URL. A URL that
// is not an absolute http or https URL makes NewAutodiscoverHandler fail.
func WithInternalEWSURL(rawURL string) AutodiscoverOption {
	u, err := parseEndpoint("internal EWS", rawURL)
	if err != nil {
		return autodiscoverOption{name: "WithInternalEWSURL", problem: "not an absolute http(s) URL"}
	}
	internal := u.String()
	return autodiscoverOption{name: "WithInternalEWSURL", set: func(s *autodiscoverSettings) { s.internalURL = internal }}
}
