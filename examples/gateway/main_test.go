package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
	"github.com/calbridge/calbridge/freebusy/observe"
	"github.com/calbridge/calbridge/notes/das"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testNow is the demo's "now" in the tests: Wednesday 5 November 2025, so
// the demo week starts on Monday 3 November. Europe/London last changed its
// offset on Sunday 26 October 2025 at 01:00 UTC, so Ada's weekly Tuesday
// review began on Tuesday 30 September (three weeks earlier, in summer
// time): 10:00 BST is 09:00 UTC then, and 10:00 GMT is 10:00 UTC in the
// demo week.
var testNow = time.Date(2025, 11, 5, 12, 0, 0, 0, time.UTC)

func day(d int) time.Time { return time.Date(2025, 11, 3+d, 0, 0, 0, 0, time.UTC) }

func at(d, h, m int) time.Time {
	return day(d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// running is a gateway started in-process.
type running struct {
	bound
	out *syncBuffer
}

// startGateway runs the program's run function with ephemeral ports until
// the test ends; run must then return nil (a graceful shutdown).
func startGateway(t *testing.T, o options) running {
	t.Helper()
	if o.httpFlag == "" {
		o.httpFlag = "127.0.0.1:0"
	}
	if o.rpcFlag == "" {
		o.rpcFlag = "127.0.0.1:0"
	}
	if o.now == nil {
		o.now = func() time.Time { return testNow }
	}
	ready := make(chan bound, 1)
	o.ready = func(b bound) { ready <- b }
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, o, out) }()
	var b bound
	select {
	case b = <-ready:
	case err := <-done:
		cancel()
		require.NoError(t, err)
		t.Fatal("run returned before it was ready")
	}
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "run must shut down cleanly")
		http.DefaultClient.CloseIdleConnections()
	})
	if strings.HasPrefix(b.URL, "http://") {
		waitReady(t, http.DefaultClient, b.URL)
	}
	return running{bound: b, out: out}
}

// waitReady waits until /healthz at base answers 200: the gateway prints
// that it listens before its links have connected, and on a loaded
// machine a link (a TLS handshake, say) may take longer than the second
// /healthz gives it. The loop paces itself, since /healthz waits up to a
// second for a link that is not ready.
func waitReady(t *testing.T, c *http.Client, base string) {
	t.Helper()
	var last string
	for range 60 {
		resp, err := c.Get(base + "/healthz")
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		if resp.StatusCode == http.StatusOK {
			return
		}
		last = string(b)
	}
	t.Fatalf("the gateway never became ready: %s", last)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func post(t *testing.T, url, contentType, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, contentType, strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// dasBusy asks the DAS door and returns the busy periods.
func dasBusy(t *testing.T, base, name string, start, end time.Time) []freebusy.Interval {
	t.Helper()
	resp, body := get(t, base+das.PathBusyTime+"?name="+urlQuery(name)+"&since="+das.FormatTime(start)+"&before="+das.FormatTime(end))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	bt, err := das.DecodeBusyTime(strings.NewReader(body))
	require.NoError(t, err)
	out, err := bt.Intervals()
	require.NoError(t, err)
	return out
}

func urlQuery(s string) string {
	r := strings.NewReplacer(" ", "%20", "/", "%2F", "=", "%3D", "@", "%40", "(", "%28", ")", "%29")
	return r.Replace(s)
}

func iv(s, e time.Time, st freebusy.Status) freebusy.Interval { return freebusy.NewInterval(s, e, st) }

// TestRunPrintsURLsAndGrid checks what the program prints at start: where
// everything is, and the grid of a cross-system query.
func TestRunPrintsURLsAndGrid(t *testing.T) {
	g := startGateway(t, options{})
	out := g.out.String()
	for _, want := range []string{
		"status page  " + g.URL + "/",
		g.URL + "/api/freebusy/busytime?name=",
		g.URL + "/EWS/Exchange.asmx",
		g.URL + "/freebusy/ada.lovelace@notes.acme.example.vfb",
		g.URL + "/healthz", g.URL + "/metrics",
		"serves RPC on " + g.RPC,
	} {
		assert.Contains(t, out, want)
	}
	rows := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && strings.Contains(f[0], "@") {
			rows[f[0]] = append(rows[f[0]], f[1])
		}
	}
	// Monday: Ada and Grace meet 15:00-16:00 UTC (slots 18-19 from 06:00);
	// Alan's 09:00-12:00 London block is 09:00-12:00 UTC (slots 6-11).
	require.Len(t, rows["ada.lovelace@notes.acme.example"], 5, out)
	assert.Equal(t, strings.Repeat(".", 18)+"BB"+strings.Repeat(".", 12), rows["ada.lovelace@notes.acme.example"][0])
	assert.Equal(t, strings.Repeat(".", 18)+"BB"+strings.Repeat(".", 12), rows["grace.hopper@exchange.acme.example"][0])
	assert.Equal(t, strings.Repeat(".", 6)+strings.Repeat("B", 6)+strings.Repeat(".", 20), rows["alan.turing@notes.acme.example"][0])
	// Wednesday: Edsger works elsewhere all day, drawn as such.
	assert.Equal(t, strings.Repeat("w", 32), rows["edsger.dijkstra@exchange.acme.example"][2])
	// Friday: Grace is out of office all day in New York (05:00 UTC on).
	assert.Equal(t, strings.Repeat("O", 32), rows["grace.hopper@exchange.acme.example"][4])
	assert.Equal(t, strings.Repeat("?", 32), rows["nobody@acme.example"][0])
	assert.Contains(t, out, "(unknown-attendee)")
}

// TestEndpoints checks every front door of a gateway running both halves
// in one process.
func TestEndpoints(t *testing.T) {
	g := startGateway(t, options{})
	base := g.URL

	t.Run("DAS about an Exchange user", func(t *testing.T) {
		busy := dasBusy(t, base, "grace.hopper@exchange.acme.example", day(0), day(5))
		assert.Equal(t, []freebusy.Interval{
			iv(at(0, 15, 0), at(0, 16, 0), freebusy.Busy),
			iv(at(1, 14, 0), at(1, 15, 30), freebusy.Busy), // tentative: busy in DAS (docs/mapping.md §4.5)
			iv(at(2, 16, 0), at(2, 18, 0), freebusy.Busy),
			iv(at(4, 5, 0), day(5), freebusy.Busy), // out of office: busy in DAS (§4.1)
		}, busy)
	})
	t.Run("DAS by Notes name, abbreviated with a domain", func(t *testing.T) {
		busy := dasBusy(t, base, "Ada Lovelace/Research/Acme@AcmeMail", day(1), day(2))
		assert.Equal(t, []freebusy.Interval{iv(at(1, 10, 0), at(1, 11, 0), freebusy.Busy)}, busy)
	})
	t.Run("DAS unknown name", func(t *testing.T) {
		resp, body := get(t, base+das.PathBusyTime+"?name=nobody@acme.example")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, body, das.MessageNameNotFound)
	})
	t.Run("DAS links", func(t *testing.T) {
		resp, body := get(t, base+das.PathRoot)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, body, "busytime")
	})
	t.Run("EWS about Notes users", func(t *testing.T) {
		c, err := ews.NewClient(base + "/EWS/Exchange.asmx")
		require.NoError(t, err)
		q := freebusy.Query{Attendees: []string{"ada.lovelace@notes.acme.example", "alan.turing@notes.acme.example", "nobody@acme.example"}, Start: day(0), End: day(5)}
		out, err := c.FreeBusy(context.Background(), q)
		require.NoError(t, err)
		require.Len(t, out, 3)
		assert.Equal(t, []freebusy.Interval{
			iv(at(0, 15, 0), at(0, 16, 0), freebusy.Busy),
			iv(at(1, 10, 0), at(1, 11, 0), freebusy.Busy),
			iv(at(2, 14, 0), at(2, 15, 30), freebusy.Tentative), // penciled in
			iv(day(3), day(4), freebusy.Busy),                   // all day in London
		}, out[0].Intervals)
		require.Nil(t, out[1].Err)
		assert.Contains(t, out[1].Intervals, iv(at(4, 10, 0), at(4, 11, 30), freebusy.Tentative))
		assert.Contains(t, out[1].Intervals, iv(at(2, 13, 0), at(2, 14, 0), freebusy.Busy)) // private: busy, no details
		require.NotNil(t, out[2].Err)
		assert.Equal(t, freebusy.ReasonUnknownAttendee, out[2].Err.Reason)
	})
	t.Run("EWS by legacyExchangeDN", func(t *testing.T) {
		req := strings.Replace(ewsRequest, "<t:Address>user@example.com</t:Address><t:RoutingType>SMTP</t:RoutingType>",
			"<t:Address>/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper</t:Address><t:RoutingType>EX</t:RoutingType>", 1)
		resp, body := post(t, base+"/EWS/Exchange.asmx", "text/xml; charset=utf-8", req)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		r, err := ews.DecodeAvailabilityResponse(strings.NewReader(body))
		require.NoError(t, err)
		require.Len(t, r.Responses, 1)
		// Friday, 30-minute slots from 00:00 UTC: free until 05:00 in New
		// York, then out of office.
		assert.Equal(t, strings.Repeat("0", 10)+strings.Repeat("3", 38), r.Responses[0].View.MergedFreeBusy)
	})
	t.Run("Autodiscover POX", func(t *testing.T) {
		resp, body := post(t, base+"/autodiscover/autodiscover.xml", "text/xml", `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>grace.hopper@exchange.acme.example</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, body, "<EwsUrl>"+base+"/EWS/Exchange.asmx</EwsUrl>")
	})
	t.Run("Autodiscover SOAP", func(t *testing.T) {
		resp, body := post(t, base+"/autodiscover/autodiscover.svc", "text/xml; charset=utf-8", soapAutodiscover)
		assert.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Contains(t, body, base+"/EWS/Exchange.asmx")
	})
	t.Run("VFREEBUSY", func(t *testing.T) {
		resp, body := get(t, base+"/freebusy/grace.hopper@exchange.acme.example.vfb?start=2025-11-03&end=2025-11-08")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, "text/calendar; charset=utf-8", resp.Header.Get("Content-Type"))
		sc, _, err := ical.DecodeVFreeBusy(strings.NewReader(body))
		require.NoError(t, err)
		require.Len(t, sc, 1)
		assert.Contains(t, sc[0].Intervals, iv(at(1, 14, 0), at(1, 15, 30), freebusy.Tentative))
		assert.Contains(t, sc[0].Intervals, iv(at(4, 5, 0), day(5), freebusy.OutOfOffice))

		resp, body = get(t, base+"/freebusy/nobody@acme.example.vfb")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, body)
		assert.Equal(t, "unknown-attendee", resp.Header.Get("X-Calbridge-Reason"))
		resp, _ = get(t, base+"/freebusy/grace.hopper@exchange.acme.example.vfb?start=tomorrow")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
	t.Run("healthz", func(t *testing.T) {
		resp, body := get(t, base+"/healthz")
		assert.Equal(t, http.StatusOK, resp.StatusCode, body)
		var rep observe.Summary
		require.NoError(t, json.Unmarshal([]byte(body), &rep))
		assert.True(t, rep.Ready)
		var names []string
		for _, c := range rep.Components {
			names = append(names, c.Name)
			assert.True(t, c.Ready, c.Name)
		}
		assert.ElementsMatch(t, []string{"notes-backend", "notes-link", "exchange-backend", "exchange-link"}, names)
	})
	t.Run("metrics", func(t *testing.T) {
		resp, body := get(t, base+"/metrics")
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		for _, want := range []string{
			`calbridge_transport_state{link="notes-link",state="ready"} 1`,
			`calbridge_link_state{half="notes"} 2`,
			`calbridge_queries_total{reason="none",source="notes-front"}`,
			`calbridge_outcomes_total{reason="unknown-attendee",source="notes-front"}`,
			`calbridge_cache_requests_total{cache="notes-remote",result="miss"}`,
			`calbridge_cache_hits_total{cache="remote",half="notes"}`,
			`calbridge_query_duration_seconds_bucket{source="exchange-backend"`,
		} {
			assert.Contains(t, body, want)
		}
	})
	t.Run("status page", func(t *testing.T) {
		resp, body := get(t, base+"/")
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.NotContains(t, body, "<script")
		assert.Contains(t, body, `<span class="link-state ready">ready</span>`)
		assert.Contains(t, body, `id="caches"`)
		assert.Contains(t, body, `<td class="cell oof" title="12:00 UTC out of office">O</td>`)
		assert.Contains(t, body, "2025-09-30") // Ada's series start
		resp, _ = get(t, base+"/nothing-here")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
}

// ewsRequest is a GetUserAvailability request for Friday, as Outlook sends
// it (docs/exchange.md §2.2).
const ewsRequest = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
  xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
 <soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>
 <soap:Body>
  <m:GetUserAvailabilityRequest>
   <t:TimeZone><t:Bias>0</t:Bias>
    <t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime>
    <t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime>
   </t:TimeZone>
   <m:MailboxDataArray><t:MailboxData>
     <t:Email><t:Address>user@example.com</t:Address><t:RoutingType>SMTP</t:RoutingType></t:Email>
     <t:AttendeeType>Required</t:AttendeeType><t:ExcludeConflicts>false</t:ExcludeConflicts>
   </t:MailboxData></m:MailboxDataArray>
   <t:FreeBusyViewOptions>
    <t:TimeWindow><t:StartTime>2025-11-07T00:00:00</t:StartTime><t:EndTime>2025-11-08T00:00:00</t:EndTime></t:TimeWindow>
    <t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes>
    <t:RequestedView>FreeBusyMerged</t:RequestedView>
   </t:FreeBusyViewOptions>
  </m:GetUserAvailabilityRequest>
 </soap:Body>
</soap:Envelope>`

// soapAutodiscover is a GetUserSettings request as the EWS Managed API
// sends it ([MS-OXWSADISC]).
const soapAutodiscover = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:a="http://schemas.microsoft.com/exchange/2010/Autodiscover" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><a:RequestedServerVersion>Exchange2013_SP1</a:RequestedServerVersion><wsa:Action>http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings</wsa:Action></soap:Header><soap:Body><a:GetUserSettingsRequestMessage><a:Request><a:Users><a:User><a:Mailbox>grace.hopper@exchange.acme.example</a:Mailbox></a:User></a:Users><a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting><a:Setting>InternalEwsUrl</a:Setting></a:RequestedSettings></a:Request></a:GetUserSettingsRequestMessage></soap:Body></soap:Envelope>`

// TestDSTRecurrence checks Ada's weekly review on both sides of
// Europe/London's change of offset: 10:00 London time each week, which is
// 09:00 UTC in summer time and 10:00 UTC after the change, in every door.
func TestDSTRecurrence(t *testing.T) {
	w, err := newDemoWeek(testNow)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2025, 10, 26, 1, 0, 0, 0, time.UTC), w.Transition)
	assert.Equal(t, "2025-09-30 10:00 BST", w.SeriesStart.Format("2006-01-02 15:04 MST"))

	g := startGateway(t, options{})
	before := dasBusy(t, g.URL, "ada.lovelace@notes.acme.example", time.Date(2025, 10, 21, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 22, 0, 0, 0, 0, time.UTC))
	after := dasBusy(t, g.URL, "ada.lovelace@notes.acme.example", time.Date(2025, 10, 28, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 29, 0, 0, 0, 0, time.UTC))
	assert.Equal(t, []freebusy.Interval{iv(time.Date(2025, 10, 21, 9, 0, 0, 0, time.UTC), time.Date(2025, 10, 21, 10, 0, 0, 0, time.UTC), freebusy.Busy)}, before)
	assert.Equal(t, []freebusy.Interval{iv(time.Date(2025, 10, 28, 10, 0, 0, 0, time.UTC), time.Date(2025, 10, 28, 11, 0, 0, 0, time.UTC), freebusy.Busy)}, after)
}

// TestDemoWeek checks the demo week over the year: the series always
// starts on a Tuesday before the zone's last change, so it crosses it.
func TestDemoWeek(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC), // the Sunday of a change
		time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC),  // the Monday after
		time.Date(2026, 7, 15, 23, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC),
	} {
		w, err := newDemoWeek(now)
		require.NoError(t, err)
		assert.Equal(t, time.Monday, w.Monday.Weekday(), now)
		assert.False(t, w.Monday.After(now), now)
		assert.Less(t, now.Sub(w.Monday), 7*24*time.Hour, now)
		require.False(t, w.Transition.IsZero(), now)
		assert.True(t, w.Transition.Before(w.Monday) || w.Transition.Equal(w.Monday), now)
		assert.Equal(t, time.Tuesday, w.SeriesStart.Weekday(), now)
		assert.True(t, w.SeriesStart.Before(w.Transition), now)
		_, offBefore := w.SeriesStart.Zone()
		_, offNow := w.Day(1).Add(10 * time.Hour).In(w.SeriesStart.Location()).Zone()
		assert.NotEqual(t, offBefore, offNow, "%v: the series crosses a change of offset", now)
	}
}

// TestConfig checks the configuration file: secrets from the environment,
// typed errors for what cannot work.
func TestConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
		return p
	}
	c, err := loadConfig(write("ok.json", `{"cache": {"ttl": "5m"}, "exchange": {"kind": "ews", "url": "https://mail.example/EWS/Exchange.asmx", "auth": "ntlm", "username": "ACME\\svc", "passwordEnv": "GW_TEST_PW"}}`))
	require.NoError(t, err)
	assert.Equal(t, Duration(5*time.Minute), c.Cache.TTL)
	_, err = backendHTTPClient("exchange", c.Exchange)
	assert.ErrorIs(t, err, errConfig, "the password's variable is not set")
	t.Setenv("GW_TEST_PW", "s3cret")
	hc, err := backendHTTPClient("exchange", c.Exchange)
	require.NoError(t, err)
	assert.NotNil(t, hc.Transport)

	c, err = loadConfig(write("short.json", `{"cache": "rediss://gw@cache.acme.example:6380/2", "transport": "nats://a.example:4222,tls://b.example:4222"}`))
	require.NoError(t, err)
	assert.Equal(t, "rediss://gw@cache.acme.example:6380/2", c.Cache.Redis)
	assert.Equal(t, "nats://a.example:4222,tls://b.example:4222", c.Transport.NATS)
	c, err = loadConfig(write("long.json", `{"cache": {"ttl": "1m", "redis": "redis://127.0.0.1:6379", "redisPasswordEnv": "P"}, "transport": {"nats": "nats://127.0.0.1:4222", "subject": "acme"}}`))
	require.NoError(t, err)
	assert.Equal(t, Duration(time.Minute), c.Cache.TTL)
	assert.Equal(t, "P", c.Cache.RedisPasswordEnv)
	assert.Equal(t, "acme", c.Transport.Subject)

	for name, body := range map[string]string{
		"unknown cache field":     `{"cache": {"tll": "5m"}}`,
		"unknown transport field": `{"transport": {"url": "nats://x:1"}}`,
		"not redis":               `{"cache": "memcache://x:1"}`,
		"redis for no cache":      `{"cache": {"disabled": true, "redis": "redis://x:1"}}`,
		"not nats":                `{"transport": "http://x:1"}`,
		"unknown field":           `{"htp": {}}`,
		"bad kind":                `{"notes": {"kind": "lotus"}}`,
		"ntlm for graph":          `{"exchange": {"kind": "graph", "auth": "ntlm", "username": "u", "passwordEnv": "P", "tenantId": "t", "clientId": "c", "clientSecretEnv": "S"}}`,
		"graph":                   `{"exchange": {"kind": "graph"}}`,
		"das no url":              `{"notes": {"kind": "das"}}`,
		"bad address":             `{"http": {"listen": "8080"}}`,
		"cert only":               `{"http": {"tls": {"certFile": "x.pem"}}}`,
	} {
		_, err := loadConfig(write("bad.json", body))
		assert.ErrorIs(t, err, errConfig, name)
	}
	_, err = loadConfig(filepath.Join(dir, "missing.json"))
	assert.Error(t, err)
}

// TestHTTPAuth checks basic and bearer authentication on every door but
// /healthz.
func TestHTTPAuth(t *testing.T) {
	t.Setenv("GW_TEST_HTTP_PW", "pw")
	t.Setenv("GW_TEST_HTTP_TOKEN", "tok")
	var cfg Config
	cfg.HTTP.Auth = AuthConfig{User: "ops", PasswordEnv: "GW_TEST_HTTP_PW", BearerTokenEnv: "GW_TEST_HTTP_TOKEN"}
	g := startGateway(t, options{cfg: cfg, quiet: true})
	do := func(path string, set func(*http.Request)) int {
		req, err := http.NewRequest(http.MethodGet, g.URL+path, nil)
		require.NoError(t, err)
		if set != nil {
			set(req)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, do("/metrics", nil))
	assert.Equal(t, http.StatusUnauthorized, do(das.PathRoot, func(r *http.Request) { r.SetBasicAuth("ops", "wrong") }))
	assert.Equal(t, http.StatusOK, do(das.PathRoot, func(r *http.Request) { r.SetBasicAuth("ops", "pw") }))
	assert.Equal(t, http.StatusOK, do("/metrics", func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") }))
	assert.Equal(t, http.StatusUnauthorized, do("/metrics", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }))
	assert.Equal(t, http.StatusOK, do("/healthz", nil))
}

// TestDirectory checks the name forms the demo directory resolves, with
// both sides' normalizers.
func TestDirectory(t *testing.T) {
	d, err := loadDirectory("")
	require.NoError(t, err)
	ctx := context.Background()
	for name, want := range map[string]string{
		"CN=Ada Lovelace/OU=Research/O=Acme":                                                  "ada.lovelace@notes.acme.example",
		"Ada Lovelace/Research/Acme":                                                          "ada.lovelace@notes.acme.example",
		"Ada Lovelace/Research/Acme@AcmeMail":                                                 "ada.lovelace@notes.acme.example",
		"SMTP:Alan.Turing@Notes.Acme.Example":                                                 "alan.turing@notes.acme.example",
		"grace.hopper@exchange.acme.example":                                                  "grace.hopper@exchange.acme.example",
		"/O=ACME/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=GHOPPER": "grace.hopper@exchange.acme.example",
	} {
		p, err := d.Lookup(ctx, name)
		if assert.NoError(t, err, name) {
			assert.Equal(t, want, label(p), name)
		}
	}
	for _, name := range []string{"nobody@acme.example", "CN=Nobody/O=Acme", "/o=Acme/cn=nobody"} {
		_, err := d.Lookup(ctx, name)
		assert.Equal(t, freebusy.ReasonUnknownAttendee, freebusy.ReasonOf(err), name)
	}
	bad := filepath.Join(t.TempDir(), "martians.csv")
	require.NoError(t, os.WriteFile(bad, []byte("id,side,address\nm,mars,x@y.example\n"), 0o600))
	_, err = loadDirectory(bad)
	assert.ErrorIs(t, err, errDirectory)
}

// TestPrivacy checks that the privacy policy is read from the
// configuration and that a requester at the default level gets status
// only, whatever view it asks for: no subject leaves. (The demo backends
// supply no event details, so the full level has nothing more to show;
// package freebusy/privacy's tests cover the levels.)
func TestPrivacy(t *testing.T) {
	t.Setenv("GW_TEST_HTTP_PW", "pw")
	var cfg Config
	cfg.HTTP.Auth = AuthConfig{User: "ops", PasswordEnv: "GW_TEST_HTTP_PW"}
	require.NoError(t, json.Unmarshal([]byte(`{"default": "status", "requesters": {"helpdesk": "full"}}`), &cfg.Privacy))
	g := startGateway(t, options{cfg: cfg, quiet: true})
	req := strings.NewReplacer(
		"<t:Address>user@example.com</t:Address>", "<t:Address>ada.lovelace@notes.acme.example</t:Address>",
		"2025-11-07T00:00:00", "2025-11-03T00:00:00",
		"<t:RequestedView>FreeBusyMerged</t:RequestedView>", "<t:RequestedView>Detailed</t:RequestedView>",
	).Replace(ewsRequest)
	r, err := http.NewRequest(http.MethodPost, g.URL+"/EWS/Exchange.asmx", strings.NewReader(req))
	require.NoError(t, err)
	r.Header.Set("Content-Type", "text/xml; charset=utf-8")
	r.SetBasicAuth("ops", "pw")
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	assert.Contains(t, string(b), "<t:BusyType>Tentative</t:BusyType>")
	assert.NotContains(t, string(b), "Subject")
	assert.NotContains(t, string(b), "Difference Engine")

	_, err = loadConfig(writeTemp(t, `{"privacy": {"default": "everything"}}`))
	assert.Error(t, err)
}

func writeTemp(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
	return p
}
