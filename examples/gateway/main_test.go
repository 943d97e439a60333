package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
)

// TestGateway runs the whole demo: both directions through both halves, and
// the restart of the Notes half, which the same client must survive (the
// Q201280 regression, end to end).
func TestGateway(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	day := time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)
	require.NoError(t, run(ctx, config{Day: day, Slot: 30 * time.Minute, Token: "t"}, &out))
	text := out.String()
	rows := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.Contains(f[0], "@") {
			rows[f[0]] = append(rows[f[0]], f[1])
		}
	}

	// Exchange side, through EWS, RPC and DAS. Alex's stand-up is 08:30-09:00
	// Pacific every weekday; after the 10 March 2024 DST change that is
	// 15:30-16:00 UTC (slot 31), not 16:30 as a stale DST table would say.
	// His tentative design review (10:00-11:30 PDT, 17:00-18:30 UTC) shows
	// as busy: DAS cannot say tentative, and the Notes handler's documented
	// default maps it to busy rather than free (KB Q199643).
	alex := rows["alex.wilber@contoso.example"]
	require.Len(t, alex, 1, text)
	assert.Equal(t, strings.Repeat(".", 31)+"B"+".."+"BBB"+strings.Repeat(".", 11), alex[0])
	// Megan is in London (GMT in March): a customer call 15:00-17:00 UTC
	// (slots 30-33); her weekly 1:1 is on Mondays, and her cancelled meeting
	// blocks nothing.
	megan := rows["megan.bowen@contoso.example"]
	require.Len(t, megan, 1, text)
	assert.Equal(t, strings.Repeat(".", 30)+"BBBB"+strings.Repeat(".", 14), megan[0])

	// Notes side, asked twice: before and after the restart, same answers.
	for _, who := range []string{"jane.doe@acme.example", "klaus.weber@acme.example", "priya.raman@acme.example", "ana.souza@acme.example"} {
		got := rows[who]
		require.Len(t, got, 2, "%s: %s", who, text)
		assert.Len(t, got[0], 48, who)
		assert.Equal(t, got[0], got[1], "%s: the answer after the restart must match the one before", who)
		assert.NotContains(t, got[0], "?", "%s: known users have data", who)
	}
	// An unknown person is "no data" with a reason, never free.
	assert.Equal(t, []string{strings.Repeat("?", 48), strings.Repeat("?", 48)}, rows["nobody@acme.example"])
	assert.Contains(t, text, "(unknown-attendee)")

	assert.Contains(t, text, "Notes half down: Exchange half's link is transient-failure")
	assert.Contains(t, text, "link ready after 1 reconnect(s)")
}

func TestRuler(t *testing.T) {
	start := time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		slot time.Duration
		want string
	}{
		{time.Hour, "00 03 06 09 12 15 18 21"},
		{30 * time.Minute, "00  02  04  06  08  10  12  14  16  18  20  22"},
	} {
		q := freebusyQuery(start, tc.slot)
		assert.Equal(t, tc.want, ruler(q), tc.slot)
	}
}

func freebusyQuery(start time.Time, slot time.Duration) freebusy.Query {
	return freebusy.Query{Attendees: []string{"x"}, Start: start, End: start.Add(24 * time.Hour), Granularity: slot}
}
