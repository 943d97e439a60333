package ews

import (
	"context"

	"github.com/calbridge/calbridge/freebusy"
)

// DefaultEWSMaxRetries is how often Client retries a request the server
// throttled (ErrorServerBusy, HTTP 503 or 429), by default.
const DefaultEWSMaxRetries = 2

// MailboxResolver turns a mailbox of an incoming GetUserAvailability
// request into the attendee name the Handler's Source understands: an SMTP
// address as is, a legacyExchangeDN (RoutingType "EX", §5.1) looked up in a
// directory. Returning an error fails that mailbox only; a *freebusy.Error
// chooses the reason (ReasonUnknownAttendee becomes
// ErrorMailRecipientNotFound), any other error is ReasonUnknownAttendee.
type MailboxResolver func(ctx context.Context, mailbox EmailAddress) (attendee string, err error)

// ewsOptions are the knobs of Client, Handler and AutodiscoverHandler, kept
// in the shared options struct.
type ewsOptions struct {
	allowDetails bool
	maxBodyBytes int64
	resolver     MailboxResolver
	maxRetries   int
	retriesSet   bool
}

// WithDetails sets whether Handler answers Detailed and DetailedMerged
// views with event details (subject, location, flags) when its Source
// supplies them. The default, false, answers them as FreeBusy and
// FreeBusyMerged, as Exchange does for callers without "read details"
// permission (exchange-freebusy.md §2.5).
func WithDetails(allow bool) Option {
	return optionFunc(func(o *options) { o.ews.allowDetails = allow })
}

// WithMaxBodyBytes caps the documents Client and Handler read: the request
// body a Handler accepts (default MaxRequestBytes) and the response body a
// Client accepts (default MaxResponseBytes). Values below 1 mean the
// default.
func WithMaxBodyBytes(n int64) Option {
	return optionFunc(func(o *options) { o.ews.maxBodyBytes = n })
}

// WithMailboxResolver sets how Handler maps request mailboxes to attendees.
// The default passes the address through unchanged, for SMTP and EX alike.
func WithMailboxResolver(r MailboxResolver) Option {
	return optionFunc(func(o *options) { o.ews.resolver = r })
}

// WithEWSMaxRetries sets how often Client retries a throttled request,
// waiting the server's BackOffMilliseconds (or Retry-After) as long as the
// caller's deadline allows. The default is DefaultEWSMaxRetries; values
// below 0 mean 0.
func WithEWSMaxRetries(n int) Option {
	return optionFunc(func(o *options) {
		if n < 0 {
			n = 0
		}
		o.ews.maxRetries, o.ews.retriesSet = n, true
	})
}

func (o *ewsOptions) bodyLimit(def int64) int64 {
	if o.maxBodyBytes > 0 {
		return o.maxBodyBytes
	}
	return def
}

func (o *ewsOptions) retries() int {
	if o.retriesSet {
		return o.maxRetries
	}
	return DefaultEWSMaxRetries
}

// defaultResolver passes addresses through.
func defaultResolver(_ context.Context, mb EmailAddress) (string, error) {
	if mb.Address == "" {
		return "", &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: "empty address"}
	}
	return mb.Address, nil
}
