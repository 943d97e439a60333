package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
)

// TestSameAvailabilityEverywhere checks that each demo person's
// availability over the demo week agrees across EWS, VFREEBUSY, DAS and the
// status page, apart from the documented lossy mappings (docs/mapping.md):
// EWS and VFREEBUSY carry every status; DAS has only busy, so tentative,
// out-of-office and unknown time are busy there (§3.7, §4.1, §4.5) and
// working elsewhere is free (§4.3); the status page draws 30-minute slots
// (§5) with a symbol per status, working elsewhere included.
func TestSameAvailabilityEverywhere(t *testing.T) {
	g := startGateway(t, options{quiet: true})
	start, end := day(0), day(5)
	people := []string{
		"ada.lovelace@notes.acme.example", "alan.turing@notes.acme.example",
		"grace.hopper@exchange.acme.example", "edsger.dijkstra@exchange.acme.example",
	}
	c, err := ews.NewClient(g.URL + "/EWS/Exchange.asmx")
	require.NoError(t, err)
	viaEWS, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: people, Start: start, End: end})
	require.NoError(t, err)
	resp, page := get(t, g.URL+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	pageRows := statusPageRows(page)

	seen := map[freebusy.Status]bool{}
	for i, who := range people {
		e := viaEWS[i]
		require.Nil(t, e.Err, who)
		require.NotEmpty(t, e.Intervals, who)
		for _, iv := range e.Intervals {
			seen[iv.Status] = true
		}

		// VFREEBUSY: every status, exactly.
		resp, body := get(t, g.URL+"/freebusy/"+who+".vfb?start=2025-11-03&end=2025-11-08")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		vfb, _, err := ical.DecodeVFreeBusy(strings.NewReader(body))
		require.NoError(t, err)
		require.Len(t, vfb, 1)
		assert.Equal(t, e.Intervals, vfb[0].Intervals, "%s: VFREEBUSY and EWS", who)

		// DAS: busy where EWS says anything but free or working elsewhere.
		var wantBusy []freebusy.Interval
		for _, iv := range e.Intervals {
			if iv.Status != freebusy.WorkingElsewhere {
				iv.Status = freebusy.Busy
				wantBusy = append(wantBusy, iv)
			}
		}
		wantBusy = freebusy.Coalesce(wantBusy)
		assert.Equal(t, wantBusy, dasBusy(t, g.URL, who, start, end), "%s: DAS and EWS", who)

		// Status page: the symbol of each slot.
		rows := pageRows[who]
		require.Len(t, rows, 5, who)
		for d, row := range rows {
			from := day(d).Add(gridFirstHour * time.Hour)
			view, err := freebusy.AvailabilityView(e.Intervals, from, day(d).Add(gridLastHour*time.Hour), gridSlot, gridView)
			require.NoError(t, err)
			var want strings.Builder
			for j := 0; j < len(view); j++ {
				want.WriteString(legendFor(view[j]).Symbol)
			}
			assert.Equal(t, want.String(), row, "%s: status page and EWS on %s", who, day(d).Format("Mon"))
		}
	}
	// The demo covers every status but "no data" for known people.
	for _, s := range []freebusy.Status{freebusy.Tentative, freebusy.Busy, freebusy.OutOfOffice, freebusy.WorkingElsewhere} {
		assert.True(t, seen[s], "the demo week has %s time", s)
	}
}

var (
	rowRE  = regexp.MustCompile(`<tr><th scope="row">([^<]*)</th>(.*?)<td class="note">`)
	cellRE = regexp.MustCompile(`<td class="cell [a-z]+" title="[^"]*">([^<]*)</td>`)
)

// statusPageRows reads the grid of the status page: per row label, the
// symbols of each day, in page order.
func statusPageRows(page string) map[string][]string {
	out := map[string][]string{}
	for _, m := range rowRE.FindAllStringSubmatch(page, -1) {
		var b strings.Builder
		for _, c := range cellRE.FindAllStringSubmatch(m[2], -1) {
			b.WriteString(c[1])
		}
		out[m[1]] = append(out[m[1]], b.String())
	}
	return out
}
