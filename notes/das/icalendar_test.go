package das

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// Golden vector: docs/notes.md §2.2.4 (IBM sample, abridged), §2.2.6
// (its inverted first period 20131105T201317Z/20131105T201000Z) and §10
// vector 6: periods without FBTYPE are busy, DTSTART/DTEND are the window.
func TestDecodeBusyTimeICalendarIBMSample(t *testing.T) {
	bt, rep, err := DecodeBusyTimeICalendar(bytes.NewReader(readDASTestdata(t, "busytime-ibm-sample.ics")))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Normalize.Inverted, "the inverted first period is dropped and counted")
	assert.Equal(t, NewDateTime(dasUTC(2013, 11, 5, 20, 13, 17)), bt.Start)
	assert.Equal(t, NewDateTime(dasUTC(2013, 12, 5, 20, 13, 17)), bt.End)
	assert.Equal(t, []DateTimeRange{
		{Start: NewDateTime(dasUTC(2013, 11, 5, 22, 0, 0)), End: NewDateTime(dasUTC(2013, 11, 6, 14, 0, 0))},
		{Start: NewDateTime(dasUTC(2013, 11, 6, 17, 0, 0)), End: NewDateTime(dasUTC(2013, 11, 6, 18, 0, 0))},
	}, bt.BusyTimes)
}

func TestDecodeBusyTimeICalendarErrors(t *testing.T) {
	_, _, err := DecodeBusyTimeICalendar(strings.NewReader("not a calendar"))
	assert.ErrorIs(t, err, freebusy.ErrInvalid)

	noFB := "BEGIN:VCALENDAR\r\nPRODID:-//x//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20131105T204317Z\r\nDTSTART:20131105T220000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	_, _, err = DecodeBusyTimeICalendar(strings.NewReader(noFB))
	assert.ErrorIs(t, err, ErrNoVFreeBusy)
	assert.ErrorIs(t, err, freebusy.ErrInvalid)

	bad := "BEGIN:VCALENDAR\r\nPRODID:-//x//EN\r\nVERSION:2.0\r\nBEGIN:VFREEBUSY\r\nDTSTAMP:20131105T204317Z\r\nDTSTART:20131105T201317Z\r\nDTEND:20131205T201317Z\r\nFREEBUSY:20131105T220000Z/banana\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
	_, _, err = DecodeBusyTimeICalendar(strings.NewReader(bad))
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
}

// DAS ignores FBTYPE; we do not: a FREE period is not busy time.
func TestDecodeBusyTimeICalendarFreePeriod(t *testing.T) {
	in := "BEGIN:VCALENDAR\r\nPRODID:-//x//EN\r\nVERSION:2.0\r\nBEGIN:VFREEBUSY\r\nDTSTAMP:20131105T204317Z\r\nDTSTART:20131105T000000Z\r\nDTEND:20131106T000000Z\r\n" +
		"FREEBUSY;FBTYPE=FREE:20131105T080000Z/20131105T090000Z\r\nFREEBUSY;FBTYPE=BUSY-TENTATIVE:20131105T100000Z/20131105T110000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
	bt, _, err := DecodeBusyTimeICalendar(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, []DateTimeRange{{Start: NewDateTime(dasUTC(2013, 11, 5, 10, 0, 0)), End: NewDateTime(dasUTC(2013, 11, 5, 11, 0, 0))}}, bt.BusyTimes)
}

// The encoder writes what DAS writes (§2.2.4): one period per FREEBUSY line,
// UTC start/end, the window as DTSTART/DTEND, no ATTENDEE; the JSON
// sample's inverted period (§2.2.6) is not written.
func TestEncodeBusyTimeICalendar(t *testing.T) {
	bt, err := DecodeBusyTime(bytes.NewReader(readDASTestdata(t, "busytime-ibm-sample.json")))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, EncodeBusyTimeICalendar(&buf, bt, dasUTC(2013, 11, 5, 20, 43, 17).Add(500*time.Millisecond)))
	out := buf.String()
	for _, line := range []string{
		"PRODID:" + ICalendarProdID,
		"DTSTAMP:20131105T204317Z",
		"DTSTART:20131105T200835Z",
		"DTEND:20131205T200835Z",
		"FREEBUSY;FBTYPE=BUSY:20131105T220000Z/20131106T140000Z",
		"FREEBUSY;FBTYPE=BUSY:20131106T170000Z/20131106T180000Z",
		"FREEBUSY;FBTYPE=BUSY:20131106T220000Z/20131107T140000Z",
	} {
		assert.Contains(t, out, line+"\r\n")
	}
	assert.Equal(t, 3, strings.Count(out, "FREEBUSY;"))
	assert.NotContains(t, out, "ATTENDEE")
	assert.NotContains(t, out, "20131105T200500Z", "the inverted period is dropped")

	back, rep, err := DecodeBusyTimeICalendar(&buf)
	require.NoError(t, err)
	assert.Zero(t, rep.Normalize.Inverted)
	assert.Equal(t, bt.Start, back.Start)
	assert.Equal(t, bt.End, back.End)
	assert.Equal(t, bt.BusyTimes[1:], back.BusyTimes)

	err = EncodeBusyTimeICalendar(&buf, &BusyTime{Start: DateTime{Date: "x"}, End: bt.End}, time.Now())
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
	err = EncodeBusyTimeICalendar(&buf, &BusyTime{Start: bt.End, End: bt.Start}, time.Now())
	assert.Error(t, err, "inverted window")
}

// format=icalendar through the handler, and the client asking for it gets
// the same schedule as over JSON.
func TestICalendarClientAgainstHandler(t *testing.T) {
	start, end := dasWindow()
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		return []freebusy.Schedule{{Attendee: q.Attendees[0], Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
			{Start: start.Add(9 * time.Hour), End: start.Add(10 * time.Hour), Status: freebusy.Busy},
			{Start: start.Add(11 * time.Hour), End: start.Add(12 * time.Hour), Status: freebusy.OutOfOffice},
		}}}, nil
	})
	rec := dasServe(t, newHandler(t, src, dasWithNow(start)), "/api/freebusy/busytime?name=a&format=icalendar&since=2026-03-02T00:00:00Z&days=1")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/calendar; charset=UTF-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), "FREEBUSY;FBTYPE=BUSY:20260302T090000Z/20260302T100000Z\r\n")

	q := freebusy.Query{Attendees: []string{"a", "b"}, Start: start, End: end}
	jsonClient, srv := newDASPair(t, src, nil)
	icalClient, err := NewClient(srv.URL, WithHTTPClient(srv.Client()), WithICalendar(true))
	require.NoError(t, err)
	viaJSON, err := jsonClient.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	viaICal, err := icalClient.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.Len(t, viaICal, 2)
	for i := range viaJSON {
		assert.Nil(t, viaICal[i].Err)
		assert.Equal(t, viaJSON[i].Intervals, viaICal[i].Intervals)
		assert.Len(t, viaICal[i].Intervals, 2)
	}
}
