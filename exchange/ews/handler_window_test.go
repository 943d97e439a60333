package ews

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
)

// The 62-day window limit counts whole days in the request's zone
// (docs/exchange.md §2.8: decompiled MaximumQueryIntervalDays = 62,
// "checked as whole days"), not elapsed time: 62 calendar days in Eastern
// time across the fall-back change are 62 days and an hour long and are
// accepted; one more wall-clock minute is refused.
func TestHandlerWindowLimitInWholeDaysOfTheRequestZone(t *testing.T) {
	eastern := mustLoad(t, "America/New_York")
	naive := func(y int, m time.Month, d, h, mi int) DateTime { return DateTime{Wall: utc(y, m, d, h, mi)} }
	tests := []struct {
		name       string
		start, end DateTime
		zone       string // TimeZoneContext; "" is the body's UTC zone
		ok         bool
	}{
		{"62 days across fall-back, Eastern", naive(2024, 10, 1, 0, 0), naive(2024, 12, 2, 0, 0), "Eastern Standard Time", true},
		{"62 days + 1 min across fall-back, Eastern", naive(2024, 10, 1, 0, 0), naive(2024, 12, 2, 0, 1), "Eastern Standard Time", false},
		{"62 days across spring-forward, Eastern (62 days - 1 h elapsed)", naive(2024, 3, 1, 0, 0), naive(2024, 5, 2, 0, 0), "Eastern Standard Time", true},
		{"63 days across spring-forward, Eastern (63 days - 1 h elapsed)", naive(2024, 3, 1, 0, 0), naive(2024, 5, 3, 0, 0), "Eastern Standard Time", false},
		{"62 days UTC", naive(2024, 10, 1, 0, 0), naive(2024, 12, 2, 0, 0), "", true},
		{"62 days + 1 min UTC", naive(2024, 10, 1, 0, 0), naive(2024, 12, 2, 0, 1), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &recordingSource{}
			req := utcRequest(ViewFreeBusy, 30, tt.start.Wall, tt.end.Wall, "a@x")
			req.FreeBusyViewOptions.StartTime, req.FreeBusyViewOptions.EndTime = tt.start, tt.end
			if tt.zone != "" {
				req.TimeZone, req.TimeZoneContext = nil, tt.zone
			}
			resp, err, status := serve(t, newTestHandler(t, src), encodeRequest(t, req))
			if !tt.ok {
				var f *SOAPFault
				require.ErrorAs(t, err, &f)
				assert.Equal(t, exchange.CodeTimeIntervalTooBig, f.ResponseCode)
				assert.Equal(t, 500, status)
				assert.Empty(t, src.queries)
				return
			}
			require.NoError(t, err)
			require.Len(t, resp.Responses, 1)
			require.Len(t, src.queries, 1)
			if tt.zone != "" {
				q := src.queries[0]
				assert.True(t, time.Date(2024, tt.start.Wall.Month(), tt.start.Wall.Day(), 0, 0, 0, 0, eastern).Equal(q.Start))
				assert.True(t, time.Date(2024, tt.end.Wall.Month(), tt.end.Wall.Day(), 0, 0, 0, 0, eastern).Equal(q.End))
			}
		})
	}
}
