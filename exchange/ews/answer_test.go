package ews

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
)

// answerCase is one GetUserAvailability request of the answer-path
// tests, over the week of the 100x7d benchmarks.
type answerCase struct {
	name    string
	view    FreeBusyViewType
	minutes int
	// version is the RequestServerVersion; Exchange2010 asks for the
	// legacy busy types (WorkingElsewhere written as Free).
	version string
	// zone is a TimeZoneContext id; "" sends a UTC body TimeZone.
	zone   string
	soap12 bool
}

// answerCases cover the interval views, the merged digits at three slot
// lengths, a zone with a daylight-saving change inside the week
// (America/Los_Angeles springs forward on 2024-03-10), the legacy busy
// types and SOAP 1.2.
var answerCases = []answerCase{
	{name: "FreeBusyMerged 30 UTC", view: ViewFreeBusyMerged, minutes: 30, version: "Exchange2013"},
	{name: "FreeBusy 60 Pacific legacy", view: ViewFreeBusy, minutes: 60, version: "Exchange2010", zone: "Pacific Standard Time"},
	{name: "MergedOnly 15 SOAP 1.2", view: ViewMergedOnly, minutes: 15, version: "Exchange2013", soap12: true},
}

// request returns the SOAP body of c for addrs over the benchmark week.
func (c answerCase) request(addrs []string) []byte {
	env := "http://schemas.xmlsoap.org/soap/envelope/"
	if c.soap12 {
		env = "http://www.w3.org/2003/05/soap-envelope"
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="` + env + `" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">`)
	b.WriteString(`<soap:Header><t:RequestServerVersion Version="` + c.version + `"/>`)
	if c.zone != "" {
		b.WriteString(`<t:TimeZoneContext><t:TimeZoneDefinition Id="` + c.zone + `"/></t:TimeZoneContext>`)
	}
	b.WriteString(`</soap:Header><soap:Body><m:GetUserAvailabilityRequest>`)
	if c.zone == "" {
		b.WriteString(`<t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>`)
	}
	b.WriteString(`<m:MailboxDataArray>`)
	for _, a := range addrs {
		b.WriteString(`<t:MailboxData><t:Email><t:Address>` + a + `</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType></t:MailboxData>`)
	}
	b.WriteString(`</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>2024-03-04T00:00:00</t:StartTime><t:EndTime>2024-03-11T00:00:00</t:EndTime></t:TimeWindow>`)
	b.WriteString(`<t:MergedFreeBusyIntervalInMinutes>` + strconv.Itoa(c.minutes) + `</t:MergedFreeBusyIntervalInMinutes><t:RequestedView>` + string(c.view) + `</t:RequestedView></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest></soap:Body></soap:Envelope>`)
	return []byte(b.String())
}

// answerMailboxes are the mailboxes of the answer-path tests: four of the
// benchmark's attendees (one twice, in another case) and one the Source
// does not know.
var answerMailboxes = []string{sample.LoadAttendee(0), sample.LoadAttendee(7), "nobody@exchange.example.com", sample.LoadAttendee(42), "USER7@exchange.example.com", sample.LoadAttendee(99)}

// serveAnswer runs h on body and returns the answer, failing on a status
// other than 200.
func serveAnswer(t testing.TB, h http.Handler, body []byte, soap12 bool) []byte {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(body))
	if soap12 {
		req.Header.Set("Content-Type", "application/soap+xml; charset=utf-8")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, "%.400s", rec.Body.String())
	return rec.Body.Bytes()
}

// goldenAnswers is every answerCase answered over src, one after the
// other, each preceded by a line naming it.
func goldenAnswers(t testing.TB, src freebusy.Source) []byte {
	t.Helper()
	h, err := NewHandler(src)
	require.NoError(t, err)
	var out bytes.Buffer
	for _, c := range answerCases {
		out.WriteString("== " + c.name + "\n")
		out.Write(serveAnswer(t, h, c.request(answerMailboxes), c.soap12))
		out.WriteString("\n")
	}
	return out.Bytes()
}

// TestAnswerGolden: the answers are byte for byte those of the answer
// path before it normalized once, wrote from pooled buffers and shared
// working hours (testdata/answer-week.golden was written by that code),
// whether the Source hands over raw calendar intervals (overlapping, out
// of order) or canonical ones.
func TestAnswerGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/answer-week.golden")
	require.NoError(t, err)
	for _, canonical := range []bool{false, true} {
		_, ss := sample.Load100x7d(canonical)
		got := goldenAnswers(t, sample.LoadSource(ss))
		require.Equal(t, string(want), string(got), "canonical=%v", canonical)
	}
}

// shuffledWeek returns attendee m's raw week intervals in a shuffled
// order: overlapping, out of order, some touching with equal statuses.
func shuffledWeek(m int) []freebusy.Interval {
	ivs := sample.LoadIntervals(m)
	for i := len(ivs) - 1; i > 0; i-- {
		j := int(sample.LoadMix(m, i, 7) % uint32(i+1))
		ivs[i], ivs[j] = ivs[j], ivs[i]
	}
	return ivs
}

// TestFreeBusyResponseNormalizesOnce: on unnormalized, overlapping,
// out-of-order intervals, the single-normalize path gives the merged
// string of the old path (AvailabilityView normalizing the raw intervals
// itself) and the events of Normalize, at every slot length; the pooled
// events and shared working hours of the Handler change nothing.
func TestFreeBusyResponseNormalizesOnce(t *testing.T) {
	start, end := sample.Load100x7dStart, sample.Load100x7dStart.AddDate(0, 0, 7)
	wh := &freebusy.WorkingHours{Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: 8 * time.Hour, End: 17 * time.Hour}}}
	arena := getEventArena()
	defer putEventArena(arena)
	for m := range 20 {
		raw := shuffledWeek(m)
		require.False(t, freebusy.IsCanonical(raw, start, end), "the input must need normalizing")
		s := &freebusy.Schedule{Attendee: sample.LoadAttendee(m), Start: start, End: end, Intervals: raw, WorkingHours: wh}
		canon, _, err := freebusy.Normalize(raw, start, end, freebusy.NormalizeOptions{})
		require.NoError(t, err)
		for _, slot := range []time.Duration{5 * time.Minute, 30 * time.Minute, 60 * time.Minute, 7 * time.Hour} {
			p := viewParams{View: ViewFreeBusyMerged, Start: start, End: end, Slot: slot, Location: time.UTC}
			fr := freeBusyResponseOf(s, p)
			old, err := freebusy.AvailabilityView(raw, start, end, slot, viewOptions)
			require.NoError(t, err)
			assert.Equal(t, old, fr.View.MergedFreeBusy, "attendee %d slot %s", m, slot)
			require.Len(t, fr.View.CalendarEvents, len(canon))
			for k, iv := range canon {
				assert.Equal(t, CalendarEvent{StartTime: localDateTime(iv.Start, time.UTC), EndTime: localDateTime(iv.End, time.UTC), BusyType: busyTypeOf(iv.Status)}, fr.View.CalendarEvents[k])
			}
			pooled := p
			pooled.events, pooled.hours = arena, &hoursCache{}
			assert.Equal(t, fr, freeBusyResponseOf(s, pooled))
		}
		assert.Equal(t, shuffledWeek(m), raw, "the schedule is not modified")
	}
}

// TestLocalDateTimeMatchesFields: the wall time localDateTime computes
// from the zone offset is the one rebuilding the value from its fields in
// the zone gives, across daylight-saving changes, half-hour and
// quarter-hour zones and historical offsets with seconds.
func TestLocalDateTimeMatchesFields(t *testing.T) {
	fields := func(t time.Time, loc *time.Location) DateTime {
		l := t.In(loc)
		return DateTime{Wall: time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)}
	}
	zones := []*time.Location{time.UTC, time.FixedZone("odd", -(3*3600 + 25*60 + 7))}
	for _, name := range []string{"America/Los_Angeles", "Europe/Dublin", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns", "Africa/Monrovia", "Pacific/Apia"} {
		loc, err := time.LoadLocation(name)
		require.NoError(t, err, "tzdata for %s", name)
		zones = append(zones, loc)
	}
	for _, loc := range zones {
		for at := time.Date(1890, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() < 2060; at = at.Add(97*time.Hour + 13*time.Minute + 1234567*time.Nanosecond) {
			require.Equal(t, fields(at, loc), localDateTime(at, loc), "%s in %s", at, loc)
		}
	}
}

// TestCivilDateMatchesTime: civilDate agrees with the time package over
// its whole range, leap days and century years included.
func TestCivilDateMatchesTime(t *testing.T) {
	check := func(days int64) {
		y, m, d := time.Unix(days*86400, 0).UTC().Date()
		gy, gm, gd := civilDate(days)
		require.Equal(t, [3]int{y, int(m), d}, [3]int{gy, int(gm), gd}, "day %d", days)
	}
	for days := int64(minCivilDays); days <= maxCivilDays; days += 89 {
		check(days)
	}
	for _, days := range []int64{minCivilDays, maxCivilDays, -1, 0, 1, 11016, 11017, 10956, 10957, -25567, -25508, 47541} {
		check(days)
	}
}

// TestAppendCachedMatchesAppendTo: writing date-times through one date
// cache, in any order, gives what appendTo gives for each: offsets,
// fractions, years outside 0-9999 and walls built in another zone.
func TestAppendCachedMatchesAppendTo(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	values := []DateTime{
		{Wall: time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)},
		{Wall: time.Date(2024, 3, 4, 23, 59, 59, 0, time.UTC)},
		{Wall: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)},
		{Wall: time.Date(2024, 3, 4, 10, 30, 0, 0, time.UTC)},
		{Wall: time.Date(2024, 2, 29, 8, 0, 0, 500_000_000, time.UTC)},
		{Wall: time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC), Offset: -4 * 3600, HasOffset: true},
		{Wall: time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC), HasOffset: true},
		{Wall: time.Date(2024, 3, 4, 9, 0, 0, 0, la)},
		{Wall: time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)},
		{Wall: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Wall: time.Date(-1, 12, 31, 23, 0, 0, 0, time.UTC)},
		{Wall: time.Date(0, 3, 1, 0, 0, 0, 0, time.UTC)},
		{Wall: time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC)},
		{},
		{Wall: time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	var c dateCache
	var got []byte
	for _, v := range values {
		got = v.appendCached(got[:0], &c)
		assert.Equal(t, v.String(), string(got))
		assert.Equal(t, string(v.appendTo(nil)), string(got))
	}
	assert.Equal(t, "2024-03-04T09:00:00-04:00", values[5].String())
	assert.Equal(t, "2024-03-04T09:00:00", values[7].String(), "a Wall in another zone is written as its own clock")
}

// TestHandlerPooledBuffersConcurrently: requests answered at once, each
// with its pooled encoder and events, get exactly the answers they get
// one at a time (run it with -race).
func TestHandlerPooledBuffersConcurrently(t *testing.T) {
	_, ss := sample.Load100x7d(false)
	h, err := NewHandler(sample.LoadSource(ss))
	require.NoError(t, err)
	type job struct {
		c     answerCase
		addrs []string
		want  []byte
	}
	var jobs []job
	for i, c := range answerCases {
		for _, addrs := range [][]string{answerMailboxes, answerMailboxes[i : i+2], {sample.LoadAttendee(10 + i)}} {
			jobs = append(jobs, job{c: c, addrs: addrs, want: serveAnswer(t, h, c.request(addrs), c.soap12)})
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for r := range 3 * len(jobs) {
				j := jobs[(r*7+w)%len(jobs)]
				got := serveAnswer(t, h, j.c.request(j.addrs), j.c.soap12)
				if !bytes.Equal(j.want, got) {
					t.Errorf("%s for %v: answer differs when served concurrently", j.c.name, j.addrs)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestHandlerContentLength: answers and faults carry a Content-Length that
// is the length of their body, over a real connection.
func TestHandlerContentLength(t *testing.T) {
	_, ss := sample.Load100x7d(true)
	h, err := NewHandler(sample.LoadSource(ss))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, body := range [][]byte{answerCases[0].request(answerMailboxes), []byte("<not-soap")} {
		resp, err := srv.Client().Post(srv.URL+"/EWS/Exchange.asmx", "text/xml; charset=utf-8", bytes.NewReader(body))
		require.NoError(t, err)
		var got bytes.Buffer
		_, err = got.ReadFrom(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, int64(got.Len()), resp.ContentLength, "status %d", resp.StatusCode)
		assert.Empty(t, resp.TransferEncoding)
	}
}

// TestEventArenaClearsOnPut: a pooled arena drops the events it held, so
// that it keeps no subject or zone of an answer alive.
func TestEventArenaClearsOnPut(t *testing.T) {
	a := &eventArena{}
	p := viewParams{events: a}
	evs := p.newEvents(2)
	evs = append(evs, CalendarEvent{BusyType: BusyBusy, Details: &CalendarEventDetails{Subject: "Board"}})
	putEventArena(a)
	assert.Equal(t, CalendarEvent{}, evs[0])
	assert.Zero(t, len(a.events))
}

// TestEventArenaGrows: slices handed out before the arena grows keep
// their events.
func TestEventArenaGrows(t *testing.T) {
	p := viewParams{events: &eventArena{}}
	first := append(p.newEvents(1), CalendarEvent{BusyType: BusyTentative})
	for range 10 {
		_ = append(p.newEvents(300), make([]CalendarEvent, 300)...)
	}
	assert.Equal(t, BusyTentative, first[0].BusyType)
	more := p.newEvents(5)
	assert.Zero(t, len(more))
	assert.Equal(t, 5, cap(more))
}
