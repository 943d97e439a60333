package transport

import "time"

// Test hooks for the external tests (package transport_test), which see
// only what a user sees plus these.

// LegalTransition reports whether the state machine allows from -> to.
var LegalTransition = legalTransition

// WithRand pins the backoff jitter to r's numbers in [0, 1).
var WithRand = withRand

// Delay is the backoff math: the wait before retry number retries given
// the uniform random number rnd.
func (b Backoff) Delay(retries int, rnd float64) time.Duration { return b.delay(retries, rnd) }
