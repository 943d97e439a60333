package ews_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/freebusy"
)

// TestExchangelibInterop runs a real EWS client, Python exchangelib
// (Debian's python3-exchangelib, 4.9), against Handler and
// AutodiscoverHandler over loopback TLS, and checks that what exchangelib
// hands its caller is what the Source said, through the package's mapping
// (docs/exchange.md §2.4 BusyType, §2.6 MergedFreeBusy digits, §2.3 zones):
// with a configured server version, with version probing, with POX and
// SOAP Autodiscover, in every view exchangelib can ask for, in UTC and in
// zones with daylight time, over windows across a DST change.
//
// testdata/exchangelib/driver.py does the Python side in one process: it
// maps the test host names to the server, answers DNS itself and never
// touches the network. Without python3 or exchangelib the test is skipped,
// or fails when CI=true (.ci/run installs python3-exchangelib).
func TestExchangelibInterop(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	ewsH, err := ews.NewHandler(interopSource(), ews.WithDetails(true))
	require.NoError(t, err)
	// The configured case talks to a server that says it is Exchange 2010
	// SP2: exchangelib adopts the version of every answer's
	// ServerVersionInfo, so only such a server keeps it at Exchange2010_SP2.
	legacyH, err := ews.NewHandler(interopSource(), ews.WithDetails(true), ews.WithServerVersion(exchange2010SP2))
	require.NoError(t, err)

	rec := &interopRecorder{}
	autodiscover := map[string]http.Handler{} // Autodiscover host -> handler
	for _, d := range []struct{ adHost, domain string }{
		{"autodiscover." + poxDomain, poxDomain}, // POX: the domain itself does not resolve (step 2)
		{soapDomain, soapDomain},                 // SOAP: the domain answers (step 1)
	} {
		h, err := ews.NewAutodiscoverHandler("https://mail." + d.domain + "/EWS/Exchange.asmx")
		require.NoError(t, err)
		autodiscover[d.adHost] = h
	}
	srv := httptest.NewTLSServer(rec.wrap(requireBasic(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := hostOnly(r.Host)
		switch {
		case host == "127.0.0.1" && strings.HasPrefix(r.URL.Path, "/configured/"):
			legacyH.ServeHTTP(w, r)
		case host == "127.0.0.1" || strings.HasPrefix(host, "mail."):
			ewsH.ServeHTTP(w, r)
		case autodiscover[host] != nil:
			autodiscover[host].ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}))))
	t.Cleanup(srv.Close)

	spec := interopSpec(srv.URL)
	// EXCHANGELIB_INTEROP_DUMP=file keeps the driver's output, with
	// exchangelib's wire log of every case, for a look at what it sent.
	spec.Debug = os.Getenv("EXCHANGELIB_INTEROP_DUMP") != ""
	out, ok := runDriver(t, spec)
	if !ok {
		return
	}
	got := map[string]driverCase{}
	for _, c := range out {
		got[c.Name] = c
	}

	for _, c := range spec.Cases {
		t.Run(c.Name, func(t *testing.T) {
			dc, ok := got[c.Name]
			require.True(t, ok, "the driver reported nothing for case %s", c.Name)
			require.Empty(t, dc.Error, "exchangelib failed: %s\n%s\nrequests seen: %s\nexchangelib log (tail):\n%s",
				dc.Message, dc.Traceback, rec.describe(c.Name), tail(dc.Wire, 6000))
			checkConnection(t, c, dc, rec.requests(c.Name))
			require.Len(t, dc.Queries, len(c.Queries))
			for i, q := range c.Queries {
				t.Run(q.Name, func(t *testing.T) {
					checkQuery(t, c, q, dc.Queries[i])
				})
			}
		})
	}
}

// exchange2010SP2 is the ServerVersionInfo of Exchange Server 2010 SP2
// (build 14.2.247.5), whose schema predates BusyType WorkingElsewhere.
var exchange2010SP2 = ews.ServerVersionInfo{MajorVersion: 14, MinorVersion: 2, MajorBuildNumber: 247, MinorBuildNumber: 5, Version: "Exchange2010_SP2"}

// The mailboxes of the interop Source.
const (
	alex    = "alex.wilber@contoso.example"
	megan   = "megan.bowen@contoso.example"
	room    = "room.4711@contoso.example"
	nobody  = "nobody@contoso.example" // not known to the Source
	user    = "interop-user"
	pass    = "interop-p@ss"
	account = "organizer@contoso.example"

	poxDomain  = "pox.example"
	soapDomain = "soap.example"
)

// interopItems are the Source's calendars: every status, an Unknown
// stretch, items that are not slot-aligned, and items across the US (10
// March 2024) and EU (31 March 2024) daylight-saving changes.
var interopItems = map[string][]freebusy.Event{
	alex: {
		{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 10, 30), Status: freebusy.Busy, ID: "a1", Subject: "Planning", Location: "Room 1", Meeting: true},
		{Start: utc(2024, 3, 5, 13, 0), End: utc(2024, 3, 5, 14, 0), Status: freebusy.Tentative, ID: "a2", Subject: "Maybe lunch", Reminder: true},
		{Start: utc(2024, 3, 6, 0, 0), End: utc(2024, 3, 6, 12, 0), Status: freebusy.OutOfOffice, ID: "a3", Subject: "Dentist", Private: true},
		{Start: utc(2024, 3, 6, 14, 0), End: utc(2024, 3, 6, 16, 0), Status: freebusy.WorkingElsewhere, ID: "a4", Subject: "From home"},
		{Start: utc(2024, 3, 11, 8, 0), End: utc(2024, 3, 11, 9, 0), Status: freebusy.Busy, ID: "a5", Subject: "Standup", Recurring: true},
		// 01:30 CET to 04:30 CEST on 31 March: three hours on the wall, two in fact.
		{Start: utc(2024, 3, 31, 0, 30), End: utc(2024, 3, 31, 2, 30), Status: freebusy.Busy, ID: "a6", Subject: "Night shift"},
	},
	megan: {
		{Start: utc(2024, 3, 5, 15, 15), End: utc(2024, 3, 5, 15, 45), Status: freebusy.Tentative, ID: "m1", Subject: "Call", Exception: true},
		{Start: utc(2024, 3, 6, 18, 0), End: utc(2024, 3, 6, 19, 0), Status: freebusy.Busy, ID: "m2", Subject: "Review"},
		{Start: utc(2024, 3, 9, 15, 0), End: utc(2024, 3, 9, 16, 0), Status: freebusy.Tentative, ID: "m3", Subject: "Brunch"},
		// 01:00 EST to 04:00 EDT on 10 March: across the US change.
		{Start: utc(2024, 3, 10, 6, 0), End: utc(2024, 3, 10, 8, 0), Status: freebusy.Busy, ID: "m4", Subject: "Migration"},
		{Start: utc(2024, 3, 11, 13, 0), End: utc(2024, 3, 11, 21, 0), Status: freebusy.OutOfOffice, ID: "m5", Subject: "Offsite"},
	},
	room: {
		{Start: utc(2024, 3, 5, 10, 0), End: utc(2024, 3, 5, 11, 0), Status: freebusy.Busy, ID: "r1", Subject: "Booked"},
		{Start: utc(2024, 3, 10, 12, 0), End: utc(2024, 3, 10, 14, 0), Status: freebusy.Busy, ID: "r2", Subject: "Booked"},
	},
}

// interopUnknown is time the Source has no data for (a calendar not yet
// replicated): Unknown intervals, which are no calendar item.
var interopUnknown = map[string][]freebusy.Interval{
	room: {
		{Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 5, 6, 0), Status: freebusy.Unknown},
		{Start: utc(2024, 3, 9, 0, 0), End: utc(2024, 3, 9, 12, 0), Status: freebusy.Unknown},
	},
}

// interopHours are the working hours, in the owners' zones.
var interopHours = map[string]*freebusy.WorkingHours{
	alex:  {Location: mustZone("Europe/Berlin"), Periods: []freebusy.WorkingPeriod{{Days: weekdays(), Start: 8 * time.Hour, End: 17 * time.Hour}}},
	megan: {Location: mustZone("America/New_York"), Periods: []freebusy.WorkingPeriod{{Days: weekdays(), Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute}, {Days: []time.Weekday{time.Saturday}, Start: 10 * time.Hour, End: 12 * time.Hour}}},
}

// interopSource answers from interopItems: intervals clipped to the window,
// and for DetailFull the whole items that overlap it.
func interopSource() freebusy.Source {
	return freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			key := strings.ToLower(a)
			items, known := interopItems[key]
			if !known {
				out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
				continue
			}
			ivs, err := expectedIntervals(key, q.Start, q.End)
			if err != nil {
				return nil, err
			}
			s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: ivs, WorkingHours: interopHours[key]}
			if q.Detail == freebusy.DetailFull {
				s.Events = overlapping(items, q.Start, q.End)
			}
			out[i] = s
		}
		return out, nil
	})
}

// expectedIntervals is the canonical schedule of a mailbox over a window.
func expectedIntervals(mailbox string, start, end time.Time) ([]freebusy.Interval, error) {
	var ivs []freebusy.Interval
	for _, e := range interopItems[mailbox] {
		ivs = append(ivs, freebusy.Interval{Start: e.Start, End: e.End, Status: e.Status})
	}
	ivs = append(ivs, interopUnknown[mailbox]...)
	out, _, err := freebusy.Normalize(ivs, start, end, freebusy.NormalizeOptions{})
	return out, err
}

// overlapping are the items that overlap [start, end), whole (an item
// partly inside the window is returned whole, docs/exchange.md §2.2).
func overlapping(items []freebusy.Event, start, end time.Time) []freebusy.Event {
	out := []freebusy.Event{}
	for _, e := range items {
		if e.Start.Before(end) && e.End.After(start) {
			out = append(out, e)
		}
	}
	return out
}

// The driver's input: see testdata/exchangelib/driver.py.
type (
	driverSpec struct {
		Hosts map[string]string `json:"hosts"`
		Cases []interopCase     `json:"cases"`
		Debug bool              `json:"debug,omitempty"` // keep exchangelib's log of every case
	}
	interopCase struct {
		Name         string         `json:"name"`
		Email        string         `json:"email"`
		Username     string         `json:"username"`
		Password     string         `json:"password"`
		URL          string         `json:"url,omitempty"`
		Autodiscover string         `json:"autodiscover,omitempty"`
		Build        []int          `json:"build,omitempty"`
		Queries      []interopQuery `json:"queries"`

		// What the test expects of the connection (not sent).
		wantEWSURL string
		wantAPI    string
		legacy     bool // RequestServerVersion before Exchange 2013: WorkingElsewhere reads Free
	}
	interopQuery struct {
		Name      string   `json:"name"`
		TZ        string   `json:"tz"`
		Start     string   `json:"start"` // wall time in TZ
		End       string   `json:"end"`
		Interval  int      `json:"interval"`
		View      string   `json:"view"`
		Mailboxes []string `json:"mailboxes"`
	}
)

// The driver's output.
type (
	driverCase struct {
		Name      string        `json:"name"`
		EWSURL    string        `json:"ews_url"`
		AuthType  string        `json:"auth_type"`
		Initial   driverVersion `json:"initial_version"`
		Version   driverVersion `json:"version"`
		Queries   []driverQuery `json:"queries"`
		Error     string        `json:"error"`
		Message   string        `json:"message"`
		Traceback string        `json:"traceback"`
		Wire      string        `json:"wire"`
	}
	driverVersion struct {
		Build string `json:"build"`
		API   string `json:"api"`
	}
	driverQuery struct {
		Name    string       `json:"name"`
		Results []driverView `json:"results"`
	}
	driverView struct {
		Error                string          `json:"error"`
		Message              string          `json:"message"`
		ViewType             string          `json:"view_type"`
		Merged               *string         `json:"merged"`
		Events               *[]driverEvent  `json:"events"`
		WorkingHours         []driverPeriod  `json:"working_hours"`
		WorkingHoursTimeZone *driverTimeZone `json:"working_hours_timezone"`
	}
	driverEvent struct {
		Start    string         `json:"start"`
		End      string         `json:"end"`
		BusyType string         `json:"busy_type"`
		Details  *driverDetails `json:"details"`
	}
	driverDetails struct {
		ID            *string `json:"id"`
		Subject       *string `json:"subject"`
		Location      *string `json:"location"`
		IsMeeting     bool    `json:"is_meeting"`
		IsRecurring   bool    `json:"is_recurring"`
		IsException   bool    `json:"is_exception"`
		IsReminderSet bool    `json:"is_reminder_set"`
		IsPrivate     bool    `json:"is_private"`
	}
	driverPeriod struct {
		Weekdays []int  `json:"weekdays"` // ISO: 1 Monday .. 7 Sunday
		Start    string `json:"start"`    // HH:MM
		End      string `json:"end"`
	}
	driverTimeZone struct {
		Bias     int               `json:"bias"`
		Standard *driverTransition `json:"standard"`
		Daylight *driverTransition `json:"daylight"`
	}
	driverTransition struct {
		Bias     int    `json:"bias"`
		Time     string `json:"time"`
		DayOrder int    `json:"day_order"`
		Month    int    `json:"month"`
		Weekday  int    `json:"weekday"` // ISO
	}
)

// interopSpec lists the cases: how exchangelib connects, and what it asks.
func interopSpec(srvURL string) driverSpec {
	u, _ := url.Parse(srvURL)
	def := ews.DefaultServerVersion()
	all := []string{alex, megan, room, nobody}
	week := func(name, tz, view string) interopQuery {
		return interopQuery{Name: name, TZ: tz, Start: "2024-03-05T00:00:00", End: "2024-03-07T00:00:00", Interval: 30, View: view, Mailboxes: all}
	}
	usDST := func(name, view string, interval int) interopQuery {
		return interopQuery{Name: name, TZ: "America/New_York", Start: "2024-03-09T00:00:00", End: "2024-03-12T00:00:00", Interval: interval, View: view, Mailboxes: all}
	}
	euDST := func(name, view string) interopQuery {
		return interopQuery{Name: name, TZ: "Europe/Berlin", Start: "2024-03-30T00:00:00", End: "2024-04-01T00:00:00", Interval: 60, View: view, Mailboxes: []string{alex, megan}}
	}
	return driverSpec{
		Hosts: map[string]string{
			"autodiscover." + poxDomain: u.Host,
			"mail." + poxDomain:         u.Host,
			soapDomain:                  u.Host,
			"mail." + soapDomain:        u.Host,
		},
		Cases: []interopCase{
			{
				// A configured Exchange 2010 SP2 (and a server that says so): no
				// probe, and RequestServerVersion Exchange2010_SP2, which predates
				// BusyType WorkingElsewhere.
				Name: "configured_version", Email: account, Username: user, Password: pass,
				URL: srvURL + "/configured/EWS/Exchange.asmx", Build: []int{14, 2},
				Queries: []interopQuery{
					week("utc_freebusy_merged", "UTC", "FreeBusyMerged"),
					week("berlin_freebusy", "Europe/Berlin", "FreeBusy"),
					usDST("newyork_dst_merged_only", "MergedOnly", 15),
				},
				wantEWSURL: srvURL + "/configured/EWS/Exchange.asmx", wantAPI: "Exchange2010_SP2", legacy: true,
			},
			{
				// No version: exchangelib probes with ConvertId and reads the
				// ServerVersionInfo header of the fault.
				Name: "probed_version", Email: account, Username: user, Password: pass,
				URL: srvURL + "/probed/EWS/Exchange.asmx",
				Queries: []interopQuery{
					usDST("newyork_dst_detailed_merged", "DetailedMerged", 30),
					week("utc_detailed", "UTC", "Detailed"),
					euDST("berlin_dst_freebusy_merged", "FreeBusyMerged"),
				},
				wantEWSURL: srvURL + "/probed/EWS/Exchange.asmx", wantAPI: def.Version,
			},
			{
				// POX Autodiscover (exchangelib's default), found at
				// autodiscover.<domain> after <domain> does not resolve.
				Name: "autodiscover_pox", Email: "organizer@" + poxDomain, Username: user, Password: pass,
				Autodiscover: "pox",
				Queries: []interopQuery{
					week("newyork_freebusy_merged", "America/New_York", "FreeBusyMerged"),
					euDST("berlin_dst_detailed", "Detailed"),
				},
				wantEWSURL: "https://mail." + poxDomain + "/EWS/Exchange.asmx", wantAPI: def.Version,
			},
			{
				// SOAP Autodiscover (GetUserSettings) at https://<domain>/.
				Name: "autodiscover_soap", Email: "organizer@" + soapDomain, Username: user, Password: pass,
				Autodiscover: "soap",
				Queries: []interopQuery{
					week("utc_detailed_merged", "UTC", "DetailedMerged"),
					usDST("newyork_dst_freebusy", "FreeBusy", 60),
				},
				wantEWSURL: "https://mail." + soapDomain + "/EWS/Exchange.asmx", wantAPI: def.Version,
			},
		},
	}
}

// checkConnection checks what exchangelib settled on, and what it sent to
// get there.
func checkConnection(t *testing.T, c interopCase, dc driverCase, reqs []seenRequest) {
	t.Helper()
	def := ews.DefaultServerVersion()
	assert.Equal(t, c.wantEWSURL, dc.EWSURL, "EWS URL")
	assert.Equal(t, "basic", dc.AuthType, "exchangelib found Basic from the 401 challenge")
	assert.Equal(t, c.wantAPI, dc.Version.API, "API version")
	// Whatever it started from, exchangelib ends with the build of the
	// last ServerVersionInfo header it read.
	sv := def
	if c.legacy {
		sv = exchange2010SP2
	}
	build := fmt.Sprintf("%d.%d.%d.%d", sv.MajorVersion, sv.MinorVersion, sv.MajorBuildNumber, sv.MinorBuildNumber)
	assert.Equal(t, build, dc.Version.Build, "build from the ServerVersionInfo header")
	switch {
	case c.Build != nil:
		assert.Equal(t, fmt.Sprintf("%d.%d.0.0", c.Build[0], c.Build[1]), dc.Initial.Build, "the configured build, at first")
	case c.Autodiscover == "":
		assert.Equal(t, driverVersion{Build: build, API: c.wantAPI}, dc.Initial, "the probed version")
	}

	var ops []string
	probed := false
	for _, r := range reqs {
		if !r.authorized {
			continue // exchangelib's unauthenticated auth-type probes, answered 401
		}
		ops = append(ops, r.op)
		if r.op == "ConvertId" && r.ews {
			probed = true
			assert.Equal(t, http.StatusInternalServerError, r.status, "the version probe is answered with a fault")
		}
		if r.ews && (r.op == "GetUserAvailabilityRequest" || r.op == "GetServerTimeZones") {
			assert.Equal(t, c.wantAPI, r.version, "RequestServerVersion of %s", r.op)
			assert.Equal(t, http.StatusOK, r.status, "%s answered", r.op)
		}
	}
	// A configured version, or one Autodiscover reported, needs no probe.
	wantProbe := c.Build == nil && c.Autodiscover == ""
	if c.Autodiscover == "" {
		assert.Equal(t, wantProbe, probed, "version probe (ConvertId) sent; requests: %v", ops)
	}
	switch c.Autodiscover {
	case "pox":
		assert.Contains(t, ops, "Autodiscover", "POX Autodiscover request")
		for _, r := range reqs {
			if !r.ews {
				assert.Equal(t, "autodiscover."+poxDomain, r.host, "step 2 host (%s does not resolve)", poxDomain)
			}
		}
	case "soap":
		assert.Contains(t, ops, "GetUserSettingsRequestMessage", "SOAP Autodiscover request")
	}
	n := strings.Count(strings.Join(ops, " "), "GetUserAvailabilityRequest")
	assert.Equal(t, len(c.Queries), n, "one GetUserAvailability per query; requests: %v", ops)
	assert.Equal(t, len(c.Queries), strings.Count(strings.Join(ops, " "), "GetServerTimeZones"),
		"exchangelib asks GetServerTimeZones before each GetUserAvailability; requests: %v", ops)
}

// checkQuery compares exchangelib's FreeBusyViews with the Source.
func checkQuery(t *testing.T, c interopCase, q interopQuery, dq driverQuery) {
	loc := mustZone(q.TZ)
	start, err := time.ParseInLocation(wallLayout, q.Start, loc)
	require.NoError(t, err)
	end, err := time.ParseInLocation(wallLayout, q.End, loc)
	require.NoError(t, err)
	slot := time.Duration(q.Interval) * time.Minute
	require.Equal(t, q.Name, dq.Name)
	require.Len(t, dq.Results, len(q.Mailboxes))

	for i, mb := range q.Mailboxes {
		v := dq.Results[i]
		t.Run(strings.SplitN(mb, "@", 2)[0], func(t *testing.T) {
			if _, known := interopItems[mb]; !known {
				assert.Equal(t, "ErrorMailRecipientNotFound", v.Error, "unknown mailbox: %s", v.Message)
				return
			}
			require.Empty(t, v.Error, v.Message)
			assert.Equal(t, q.View, v.ViewType, "FreeBusyViewType")
			ivs, err := expectedIntervals(mb, start, end)
			require.NoError(t, err)

			merged := strings.Contains(q.View, "Merged")
			if merged {
				want, err := freebusy.AvailabilityView(ivs, start, end, slot, freebusy.ViewOptions{})
				require.NoError(t, err)
				require.NotNil(t, v.Merged, "MergedFreeBusy")
				assert.Equal(t, want, *v.Merged, "MergedFreeBusy")
			} else {
				assert.Nil(t, v.Merged, "no MergedFreeBusy in a %s view", q.View)
			}

			if q.View == "MergedOnly" {
				assert.Nil(t, v.Events, "no events in MergedOnly")
				assert.Nil(t, v.WorkingHours, "no working hours in MergedOnly")
				return
			}
			require.NotNil(t, v.Events, "CalendarEventArray")
			got := make([]freebusy.Event, 0, len(*v.Events))
			for _, e := range *v.Events {
				s, err := parseWall(e.Start, loc)
				require.NoError(t, err)
				en, err := parseWall(e.End, loc)
				require.NoError(t, err)
				ge := freebusy.Event{Start: s, End: en, Status: statusOfBusyType(t, e.BusyType)}
				if d := e.Details; d != nil {
					ge.ID, ge.Subject, ge.Location = deref(d.ID), deref(d.Subject), deref(d.Location)
					ge.Meeting, ge.Recurring, ge.Exception, ge.Reminder, ge.Private = d.IsMeeting, d.IsRecurring, d.IsException, d.IsReminderSet, d.IsPrivate
				}
				got = append(got, ge)
			}
			var want []freebusy.Event
			if strings.HasPrefix(q.View, "Detailed") {
				for _, e := range overlapping(interopItems[mb], start, end) {
					if e.Private {
						e.ID, e.Subject, e.Location = "", "", ""
					}
					want = append(want, e)
				}
			} else {
				for _, iv := range ivs {
					want = append(want, freebusy.Event{Start: iv.Start, End: iv.End, Status: iv.Status})
				}
			}
			for k := range want {
				want[k].Start, want[k].End = want[k].Start.UTC(), want[k].End.UTC()
				if c.legacy && want[k].Status == freebusy.WorkingElsewhere {
					want[k].Status = freebusy.Free // written as Free before Exchange 2013 (§2.4)
				}
			}
			for k := range got {
				got[k].Start, got[k].End = got[k].Start.UTC(), got[k].End.UTC()
			}
			assert.Equal(t, fmtEvents(want), fmtEvents(got), "calendar events")

			checkWorkingHours(t, interopHours[mb], v, start.Year())
		})
	}
}

// checkWorkingHours compares exchangelib's WorkingPeriods and their zone
// with the Source's working hours.
func checkWorkingHours(t *testing.T, wh *freebusy.WorkingHours, v driverView, year int) {
	t.Helper()
	if wh == nil {
		assert.Nil(t, v.WorkingHours, "no working hours")
		return
	}
	require.Len(t, v.WorkingHours, len(wh.Periods), "WorkingPeriods")
	for i, p := range wh.Periods {
		g := v.WorkingHours[i]
		var days []time.Weekday
		for _, d := range g.Weekdays {
			days = append(days, time.Weekday(d%7))
		}
		assert.ElementsMatch(t, p.Days, days, "period %d days", i)
		assert.Equal(t, hhmm(p.Start), g.Start, "period %d start", i)
		assert.Equal(t, hhmm(p.End), g.End, "period %d end", i)
	}
	require.NotNil(t, v.WorkingHoursTimeZone, "WorkingHours TimeZone")
	want := ews.NewSerializableTimeZone(wh.Location, year)
	got := v.WorkingHoursTimeZone
	assert.Equal(t, want.Bias, got.Bias, "zone bias")
	for _, r := range []struct {
		name string
		want ews.SerializableTimeZoneTime
		got  *driverTransition
	}{{"StandardTime", want.StandardTime, got.Standard}, {"DaylightTime", want.DaylightTime, got.Daylight}} {
		if !assert.NotNil(t, r.got, r.name) {
			continue
		}
		assert.Equal(t, r.want.Bias, r.got.Bias, "%s bias", r.name)
		assert.Equal(t, hhmm(r.want.Time), r.got.Time, "%s time", r.name)
		assert.Equal(t, r.want.DayOrder, r.got.DayOrder, "%s day order", r.name)
		assert.Equal(t, int(r.want.Month), r.got.Month, "%s month", r.name)
		assert.Equal(t, r.want.DayOfWeek, time.Weekday(r.got.Weekday%7), "%s weekday", r.name)
	}
}

// statusOfBusyType reads an EWS BusyType back (docs/exchange.md §2.4).
func statusOfBusyType(t *testing.T, bt string) freebusy.Status {
	t.Helper()
	switch ews.BusyType(bt) {
	case ews.BusyFree:
		return freebusy.Free
	case ews.BusyTentative:
		return freebusy.Tentative
	case ews.BusyBusy:
		return freebusy.Busy
	case ews.BusyOOF:
		return freebusy.OutOfOffice
	case ews.BusyWorkingElsewhere:
		return freebusy.WorkingElsewhere
	case ews.BusyNoData:
		return freebusy.Unknown
	}
	t.Errorf("exchangelib returned BusyType %q", bt)
	return freebusy.Unknown
}

const wallLayout = "2006-01-02T15:04:05"

// parseWall reads an exchangelib datetime: naive (a wall time in the
// request zone, as Exchange 2013+ writes) or with an offset.
func parseWall(s string, loc *time.Location) (time.Time, error) {
	if len(s) == len(wallLayout) {
		return time.ParseInLocation(wallLayout, s, loc)
	}
	return time.Parse(time.RFC3339, s)
}

func fmtEvents(es []freebusy.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%s..%s %s id=%q subject=%q location=%q meeting=%t recurring=%t exception=%t reminder=%t private=%t",
			e.Start.Format(time.RFC3339), e.End.Format(time.RFC3339), e.Status, e.ID, e.Subject, e.Location,
			e.Meeting, e.Recurring, e.Exception, e.Reminder, e.Private)
	}
	return out
}

func hhmm(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func weekdays() []time.Weekday {
	return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.ToLower(h)
	}
	return strings.ToLower(hostport)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// requireBasic challenges requests without the test's Basic credentials
// with a 401, as an EWS server in front of the handler would; exchangelib
// learns its auth type from that challenge.
func requireBasic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="calbridge"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// seenRequest is one request the server got, as far as the test checks it.
type seenRequest struct {
	host, path string
	op         string // local name of the soap:Body child (or the POX root)
	version    string // RequestServerVersion's Version
	authorized bool
	ews        bool // sent to the EWS handler
	status     int
}

// interopRecorder notes every request, the 401-challenged ones included.
type interopRecorder struct {
	mu   sync.Mutex
	seen []seenRequest
}

func (rec *interopRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		op, version := soapOperation(body)
		host := hostOnly(r.Host)
		_, _, authorized := r.BasicAuth()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		rec.mu.Lock()
		rec.seen = append(rec.seen, seenRequest{
			host: host, path: r.URL.Path, op: op, version: version, authorized: authorized, status: sw.status,
			ews: host == "127.0.0.1" || strings.HasPrefix(host, "mail."),
		})
		rec.mu.Unlock()
	})
}

// requests are the requests of one case: by path for the cases that are
// given a URL, by domain for the Autodiscover cases.
func (rec *interopRecorder) requests(caseName string) []seenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []seenRequest
	for _, r := range rec.seen {
		var c string
		switch {
		case strings.HasPrefix(r.path, "/configured/"):
			c = "configured_version"
		case strings.HasPrefix(r.path, "/probed/"):
			c = "probed_version"
		case strings.HasSuffix(r.host, poxDomain):
			c = "autodiscover_pox"
		case strings.HasSuffix(r.host, soapDomain):
			c = "autodiscover_soap"
		}
		if c == caseName {
			out = append(out, r)
		}
	}
	return out
}

func (rec *interopRecorder) describe(caseName string) string {
	var b strings.Builder
	for _, r := range rec.requests(caseName) {
		fmt.Fprintf(&b, "\n  %s%s %s version=%q auth=%t -> %d", r.host, r.path, r.op, r.version, r.authorized, r.status)
	}
	return b.String()
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// soapOperation names what a request body asks: the local name of the
// first soap:Body child (or of the root, for POX Autodiscover), and the
// RequestServerVersion header's Version.
func soapOperation(body []byte) (op, version string) {
	d := xml.NewDecoder(bytes.NewReader(body))
	inBody, depth := false, 0
	for {
		tok, err := d.Token()
		if err != nil {
			return op, version
		}
		switch se := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && se.Name.Local != "Envelope" {
				return se.Name.Local, version
			}
			if se.Name.Local == "RequestServerVersion" {
				for _, a := range se.Attr {
					if a.Name.Local == "Version" {
						version = a.Value
					}
				}
			}
			if inBody && depth == 3 {
				return se.Name.Local, version
			}
			if depth == 2 && se.Name.Local == "Body" {
				inBody = true
			}
		case xml.EndElement:
			depth--
		}
	}
}

// runDriver runs driver.py with the first Python that has exchangelib
// ($PYTHON, /usr/bin/python3, python3 on PATH), hermetically: no proxy,
// the Autodiscover cache in a temporary TMPDIR. It reports false when the
// test was skipped.
func runDriver(t *testing.T, spec driverSpec) ([]driverCase, bool) {
	t.Helper()
	in, err := json.Marshal(spec)
	require.NoError(t, err)
	script, err := filepath.Abs(filepath.Join("testdata", "exchangelib", "driver.py"))
	require.NoError(t, err)

	env := []string{"TMPDIR=" + t.TempDir(), "HOME=" + t.TempDir(), "NO_PROXY=*", "no_proxy=*", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" || k == "PYTHONPATH" {
			env = append(env, kv)
		}
	}

	var tried []string
	for _, py := range slices.Compact([]string{os.Getenv("PYTHON"), "/usr/bin/python3", "python3"}) {
		if py == "" {
			continue
		}
		path, err := exec.LookPath(py)
		if err != nil {
			tried = append(tried, py+": "+err.Error())
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, path, script)
		cmd.Env = env
		cmd.Dir = t.TempDir()
		cmd.Stdin = bytes.NewReader(in)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.WaitDelay = 5 * time.Second
		err = cmd.Run()
		cancel()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 3 { // exchangelib is not importable
			tried = append(tried, fmt.Sprintf("%s: %s", py, strings.TrimSpace(stderr.String())))
			continue
		}
		require.NoError(t, err, "driver.py failed (%s):\n%s", path, stderr.String())
		if d := os.Getenv("EXCHANGELIB_INTEROP_DUMP"); d != "" {
			_ = os.WriteFile(d, stdout.Bytes(), 0o644)
		}
		var out []driverCase
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), "driver output:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		return out, true
	}
	msg := "no python3 with exchangelib (apt-get install python3-exchangelib): " + strings.Join(tried, "; ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return nil, false
}
