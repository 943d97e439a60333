package graph

import "strings"

// DefaultGraphBaseURL is the Microsoft Graph v1.0 endpoint.
const DefaultGraphBaseURL = "https://graph.microsoft.com/v1.0"

// DefaultGraphMaxRetries is how often the Graph client retries a request
// the server throttled (HTTP 429, or 503 with Retry-After), by default.
const DefaultGraphMaxRetries = 3

// graphOptions are the knobs of GraphClient and GraphHandler, kept in the
// shared options struct.
type graphOptions struct {
	baseURL    string
	user       string
	maxRetries int
	retriesSet bool
}

// WithGraphBaseURL sets the base URL GraphClient posts to, without the
// trailing "/me/calendar/getSchedule". The default is DefaultGraphBaseURL;
// tests and gateways point it at a GraphHandler. An invalid URL makes every
// FreeBusy call fail with ReasonInvalid.
func WithGraphBaseURL(u string) Option {
	return optionFunc(func(o *options) { o.graph.baseURL = strings.TrimRight(u, "/") })
}

// WithGraphUser sets the mailbox whose calendar GraphClient calls
// getSchedule on: POST /users/{user}/calendar/getSchedule, as app-only
// tokens require. The default, "", posts to /me/calendar/getSchedule
// (delegated tokens). The mailbox only hosts the call; the schedules asked
// for are the query's attendees.
func WithGraphUser(user string) Option {
	return optionFunc(func(o *options) { o.graph.user = user })
}

// WithGraphMaxRetries sets how often GraphClient retries a throttled
// request, honouring the server's Retry-After as long as the caller's
// deadline allows. The default is DefaultGraphMaxRetries; values below 0
// mean 0.
func WithGraphMaxRetries(n int) Option {
	return optionFunc(func(o *options) {
		if n < 0 {
			n = 0
		}
		o.graph.maxRetries, o.graph.retriesSet = n, true
	})
}
