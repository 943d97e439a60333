package exchange

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/calbridge/calbridge/freebusy"
)

// Source: docs/exchange.md §2.7 — the required mapping
// (ErrorMailRecipientNotFound → UnknownAttendee, ErrorNoFreeBusyAccess →
// AccessDenied, ErrorTimeoutExpired → Timeout, ErrorServerBusy → Throttled)
// and the rest of the one table.
func TestResponseCodeReason(t *testing.T) {
	cases := map[ResponseCode]freebusy.Reason{
		CodeNoError:                       freebusy.ReasonNone,
		"":                                freebusy.ReasonNone,
		CodeMailRecipientNotFound:         freebusy.ReasonUnknownAttendee,
		CodeNoFreeBusyAccess:              freebusy.ReasonAccessDenied,
		CodeTimeoutExpired:                freebusy.ReasonTimeout,
		CodeServerBusy:                    freebusy.ReasonThrottled,
		CodeProxyRequestProcessingFailed:  freebusy.ReasonUnavailable,
		CodeNoPublicFolderServerAvailable: freebusy.ReasonUnavailable,
		CodeTimeIntervalTooBig:            freebusy.ReasonInvalid,
		CodeFreeBusyGenerationFailed:      freebusy.ReasonInternal,
		"ErrorSomethingNew":               freebusy.ReasonInternal,
	}
	for code, want := range cases {
		assert.Equal(t, want, code.Reason(), string(code))
	}
}

// Every reason has exactly one primary code, and that code reads back as
// the reason: the table round-trips.
func TestCodeForRoundTrips(t *testing.T) {
	for r := freebusy.ReasonNone; r <= freebusy.ReasonInternal; r++ {
		code := CodeFor(r)
		assert.Equal(t, r, code.Reason(), "%s -> %s", r, code)
	}
	primaries := map[freebusy.Reason]int{}
	seen := map[ResponseCode]bool{}
	for _, row := range responseCodes {
		assert.False(t, seen[row.code], "duplicate row %s", row.code)
		seen[row.code] = true
		if row.primary {
			primaries[row.reason]++
		}
	}
	for r, n := range primaries {
		assert.Equal(t, 1, n, "primary codes for %s", r)
	}
	assert.Len(t, primaries, int(freebusy.ReasonInternal), "every failure reason has a primary code")
}
