package notes

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
	"github.com/calbridge/calbridge/internal/sample"
)

func utc(day, h, m int) time.Time { return time.Date(2024, 3, day, h, m, 0, 0, time.UTC) }

func iv(d1, h1, m1, d2, h2, m2 int, s freebusy.Status) freebusy.Interval {
	return freebusy.Interval{Start: utc(d1, h1, m1), End: utc(d2, h2, m2), Status: s}
}

func loadSample(t testing.TB, opts ...Option) *CalendarSource {
	t.Helper()
	src, err := LoadCalendars(sample.NotesCalendars(), opts...)
	require.NoError(t, err)
	return src
}

func weekQuery(attendees ...string) freebusy.Query {
	return freebusy.Query{Attendees: attendees, Start: sample.WeekStart, End: sample.WeekEnd}
}

// TestCalendarSourceSample reads the sample set (internal/sample) and checks
// every user's week. The entry types follow the X-LOTUS-APPTTYPE table of
// docs/notes.md §6.1 (anniversary and reminder not busy, all-day busy in
// the owner's zone) and the policy of docs/notes.md §1.3 and
// docs/mapping.md §3.6 (penciled-in TRANSP:TRANSPARENT and STATUS:TENTATIVE
// are Tentative).
func TestCalendarSourceSample(t *testing.T) {
	src := loadSample(t)
	q := weekQuery(
		"Jane Doe/Sales/Acme/US",
		"klaus.weber@acme.example",
		"Priya Raman/Research/Acme/IN@Acme",
		"CN=Ana Souza/OU=Support/O=Acme/C=BR",
	)
	got, err := src.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, got))

	want := [][]freebusy.Interval{
		{ // Jane, New York (EDT since 2024-03-10)
			iv(11, 14, 0, 11, 15, 0, freebusy.Busy),       // weekly Monday meeting, 10:00 "Eastern" VTIMEZONE
			iv(12, 14, 0, 12, 15, 0, freebusy.Busy),       // shared meeting
			iv(12, 18, 0, 12, 19, 30, freebusy.Busy),      // appointment (APPTTYPE 0)
			iv(13, 13, 0, 13, 14, 0, freebusy.Busy),       // meeting
			iv(14, 13, 0, 14, 13, 30, freebusy.Tentative), // penciled in (TRANSPARENT)
			iv(15, 4, 0, 16, 0, 0, freebusy.Busy),         // all-day event, New York midnight, clipped
			// anniversary (1) on the 14th and reminder (4) are not busy.
		},
		{ // Klaus, Berlin (CET)
			iv(11, 7, 0, 11, 11, 0, freebusy.Busy),
			iv(12, 14, 0, 12, 15, 0, freebusy.Busy),
			iv(13, 8, 0, 13, 9, 0, freebusy.Tentative), // STATUS:TENTATIVE
			iv(13, 14, 30, 13, 15, 0, freebusy.Busy),
			// STATUS:CANCELLED on the 14th is not busy.
			iv(15, 8, 0, 15, 9, 0, freebusy.Busy), // floating 09:00 read in Berlin
		},
		{ // Priya, Bangalore (IST): daily stand-up with an EXDATE on the 13th
			iv(11, 4, 30, 11, 4, 45, freebusy.Busy),
			iv(12, 4, 30, 12, 4, 45, freebusy.Busy),
			iv(12, 14, 0, 12, 15, 0, freebusy.Busy),
			iv(13, 4, 0, 13, 6, 0, freebusy.Busy),
			iv(13, 8, 0, 13, 9, 0, freebusy.Busy),
			iv(14, 4, 30, 14, 4, 45, freebusy.Busy),
			iv(15, 4, 30, 15, 4, 45, freebusy.Busy),
		},
		{ // Ana, São Paulo (BRT)
			iv(11, 15, 0, 11, 16, 0, freebusy.Tentative),
			iv(13, 12, 0, 13, 13, 0, freebusy.Busy),
			iv(14, 3, 0, 15, 3, 0, freebusy.Busy), // all-day "out of office": Notes has no OOF
		},
	}
	wantZones := []string{"America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Sao_Paulo"}
	wantAsOf := []time.Time{
		time.Date(2024, 3, 8, 17, 0, 0, 0, time.UTC),
		time.Date(2024, 3, 10, 19, 15, 0, 0, time.UTC),
		time.Date(2024, 3, 9, 8, 15, 0, 0, time.UTC),
		time.Date(2024, 3, 8, 14, 15, 0, 0, time.UTC),
	}
	for i, s := range got {
		assert.Nil(t, s.Err, s.Attendee)
		assert.Equal(t, q.Attendees[i], s.Attendee)
		assert.Equal(t, want[i], s.Intervals, s.Attendee)
		require.NotNil(t, s.WorkingHours, s.Attendee)
		assert.Equal(t, wantZones[i], s.WorkingHours.Location.String())
		// embed.FS has no modification times: AsOf is the latest DTSTAMP.
		assert.Equal(t, wantAsOf[i], s.AsOf, s.Attendee)
		assert.False(t, s.Stale)
		assert.Equal(t, sample.WeekStart, s.Start)
		assert.Equal(t, sample.WeekEnd, s.End)
	}
}

// TestCalendarSourceNames checks that every written form of a Notes name
// finds the user: canonical, abbreviated, with and without @Domain (KB
// Q271590, docs/notes.md §7.3), any case, Internet address, and a flat
// common name when it is unique.
func TestCalendarSourceNames(t *testing.T) {
	src := loadSample(t)
	forms := []string{
		"CN=Jane Doe/OU=Sales/O=Acme/C=US",
		"Jane Doe/Sales/Acme/US",
		"Jane Doe/Sales/Acme/US@AcmeMail",
		"cn=jane doe/ou=sales/o=acme/c=us@ACME",
		"JANE.DOE@acme.example",
		"Jane Doe <jane.doe@acme.example>",
		"Jane Doe",
	}
	got, err := src.FreeBusy(context.Background(), weekQuery(forms...))
	require.NoError(t, err)
	require.Len(t, got, len(forms))
	for i, s := range got {
		assert.Equal(t, forms[i], s.Attendee)
		assert.Nil(t, s.Err, forms[i])
		assert.Len(t, s.Intervals, 6, forms[i])
	}

	bad := []struct {
		in     string
		reason freebusy.Reason
	}{
		{"John Smith/Sales/Acme/US", freebusy.ReasonUnknownAttendee},
		{"Jane Doe/Marketing/Acme/US", freebusy.ReasonUnknownAttendee},
		{"nobody@acme.example", freebusy.ReasonUnknownAttendee},
		{"Jane", freebusy.ReasonUnknownAttendee},
		{"CN=Jane Doe/Acme", freebusy.ReasonInvalid}, // mixed labels
	}
	q := weekQuery("Jane Doe/Sales/Acme/US")
	for _, b := range bad {
		q.Attendees = append(q.Attendees, b.in)
	}
	got, err = src.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.Nil(t, got[0].Err, "one attendee's failure never fails the batch")
	for i, b := range bad {
		s := got[i+1]
		require.NotNil(t, s.Err, b.in)
		assert.Equal(t, b.reason, s.Err.Reason, b.in)
		assert.Equal(t, b.in, s.Err.Attendee)
		assert.Empty(t, s.Intervals)
	}
	assert.ErrorIs(t, got[1].Err, freebusy.ErrUnknownAttendee)
}

func TestCalendarSourceWorkingHoursAreCopies(t *testing.T) {
	src := loadSample(t)
	got, err := src.FreeBusy(context.Background(), weekQuery("jane.doe@acme.example"))
	require.NoError(t, err)
	got[0].WorkingHours.Periods[0].Days[0] = time.Sunday
	got[0].WorkingHours.Periods = nil
	again, err := src.FreeBusy(context.Background(), weekQuery("jane.doe@acme.example"))
	require.NoError(t, err)
	require.Len(t, again[0].WorkingHours.Periods, 2)
	assert.Equal(t, time.Monday, again[0].WorkingHours.Periods[0].Days[0])
}

func TestCalendarSourceAmbiguousFlatName(t *testing.T) {
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n"
	fsys := fstest.MapFS{
		CalendarManifest: {Data: []byte(`{"users":[
			{"name":"CN=Jane Doe/O=Acme","calendar":"a.ics"},
			{"name":"CN=Jane Doe/O=Other","calendar":"b.ics"}]}`)},
		"a.ics": {Data: []byte(ics)},
		"b.ics": {Data: []byte(ics)},
	}
	src, err := LoadCalendars(fsys)
	require.NoError(t, err)
	got, err := src.FreeBusy(context.Background(), weekQuery("Jane Doe", "Jane Doe/Other"))
	require.NoError(t, err)
	require.NotNil(t, got[0].Err)
	assert.Equal(t, freebusy.ReasonUnknownAttendee, got[0].Err.Reason)
	assert.Contains(t, got[0].Err.Message, "not unique") // ERR_SCHED_NAMENOTUNIQUE, §3.5
	assert.Nil(t, got[1].Err)
	assert.Empty(t, got[1].Intervals) // an empty calendar is all free, not unknown
	assert.Nil(t, got[1].WorkingHours)
}

func TestCalendarSourcePenciledAsFree(t *testing.T) {
	src := loadSample(t, WithBusyPolicy(BusyPolicy{PenciledAsFree: true}))
	got, err := src.FreeBusy(context.Background(), weekQuery("jane.doe@acme.example", "klaus.weber@acme.example"))
	require.NoError(t, err)
	for _, s := range got {
		for _, x := range s.Intervals {
			assert.Equal(t, freebusy.Busy, x.Status, "%s %s", s.Attendee, x)
		}
	}
	assert.Len(t, got[0].Intervals, 5)
	assert.Len(t, got[1].Intervals, 4)
}

// withNow fixes the clock of a CalendarSource under test.
func withNow(now time.Time) Option {
	return option(func(c *sourceConfig) { c.Now = func() time.Time { return now } })
}

func TestCalendarSourceAsOfAndStale(t *testing.T) {
	mtime := time.Date(2024, 3, 10, 6, 0, 0, 0, time.FixedZone("x", 3600))
	fsys := fstest.MapFS{
		CalendarManifest: {Data: []byte(`{"users":[{"name":"Jane Doe/Acme","calendar":"cal/jane.ics"}]}`)},
		"cal/jane.ics": {Data: []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20240301T000000Z\r\n" +
			"DTSTART:20240311T090000Z\r\nDTEND:20240311T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), ModTime: mtime},
	}
	src, err := LoadCalendars(fsys, WithMaxAge(time.Hour), withNow(mtime.Add(90*time.Minute)))
	require.NoError(t, err)
	got, err := src.FreeBusy(context.Background(), weekQuery("Jane Doe/Acme"))
	require.NoError(t, err)
	assert.Equal(t, mtime.UTC(), got[0].AsOf, "the file's modification time wins over DTSTAMP")
	assert.True(t, got[0].Stale)
	assert.Equal(t, []freebusy.Interval{iv(11, 9, 0, 11, 10, 0, freebusy.Busy)}, got[0].Intervals)

	src, err = LoadCalendars(fsys, WithMaxAge(time.Hour), withNow(mtime.Add(30*time.Minute)))
	require.NoError(t, err)
	got, err = src.FreeBusy(context.Background(), weekQuery("Jane Doe/Acme"))
	require.NoError(t, err)
	assert.False(t, got[0].Stale)
}

func TestCalendarSourceBadExport(t *testing.T) {
	fsys := fstest.MapFS{
		CalendarManifest: {Data: []byte(`{"users":[
			{"name":"Jane Doe/Acme","calendar":"jane.ics"},
			{"name":"John Roe/Acme","calendar":"john.ics"}]}`)},
		"jane.ics": {Data: []byte("this is not iCalendar")},
		"john.ics": {Data: []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n")},
	}
	src, err := LoadCalendars(fsys)
	require.NoError(t, err)
	got, err := src.FreeBusy(context.Background(), weekQuery("Jane Doe/Acme", "John Roe/Acme"))
	require.NoError(t, err)
	require.NotNil(t, got[0].Err)
	assert.Equal(t, freebusy.ReasonInvalid, got[0].Err.Reason)
	assert.Nil(t, got[1].Err)
}

func TestLoadCalendarsErrors(t *testing.T) {
	ics := &fstest.MapFile{Data: []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n")}
	tests := []struct {
		name     string
		manifest string
		want     error
	}{
		{"bad json", `{"users":`, ErrBadManifest},
		{"unknown field", `{"users":[],"extra":1}`, ErrBadManifest},
		{"bad name", `{"users":[{"name":"CN=A/B","calendar":"a.ics"}]}`, ErrMixedLabels},
		{"internet name", `{"users":[{"name":"a@b.example","calendar":"a.ics"}]}`, ErrBadManifest},
		{"bad email", `{"users":[{"name":"A/Acme","emails":["nope"],"calendar":"a.ics"}]}`, ErrBadManifest},
		{"no calendar", `{"users":[{"name":"A/Acme"}]}`, ErrBadManifest},
		{"escaping path", `{"users":[{"name":"A/Acme","calendar":"../a.ics"}]}`, ErrBadManifest},
		{"bad profile", `{"users":[{"name":"A/Acme","calendar":"a.ics","profile":{"CurrentTimeZone":"Z=99"}}]}`, ErrBadProfile},
		{"duplicate name", `{"users":[{"name":"A/Acme","calendar":"a.ics"},{"name":"CN=A/O=Acme@Dom","calendar":"a.ics"}]}`, ErrDuplicateUser},
		{"duplicate email", `{"users":[{"name":"A/Acme","emails":["x@y.z"],"calendar":"a.ics"},{"name":"B/Acme","emails":["X@Y.Z"],"calendar":"a.ics"}]}`, ErrDuplicateUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadCalendars(fstest.MapFS{CalendarManifest: {Data: []byte(tt.manifest)}, "a.ics": ics})
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
			assert.ErrorIs(t, err, freebusy.ErrInvalid)
			assert.True(t, strings.HasPrefix(err.Error(), "notes: calendar set"), err.Error())
		})
	}
	_, err := LoadCalendars(fstest.MapFS{})
	assert.ErrorIs(t, err, ErrNoManifest)
	_, err = LoadCalendars(fstest.MapFS{CalendarManifest: {Data: []byte(`{"users":[{"name":"A/Acme","calendar":"missing.ics"}]}`)}})
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestCalendarSourceQueryErrors(t *testing.T) {
	src := loadSample(t)
	_, err := src.FreeBusy(context.Background(), freebusy.Query{Start: sample.WeekStart, End: sample.WeekEnd})
	assert.ErrorIs(t, err, freebusy.ErrNoAttendees)
	_, err = src.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a/b"}, Start: sample.WeekEnd, End: sample.WeekStart})
	assert.ErrorIs(t, err, freebusy.ErrInvalidQuery)
	q := weekQuery("a/b")
	q.End = q.Start.AddDate(0, 3, 0) // beyond DefaultLimits' 62 days
	_, err = src.FreeBusy(context.Background(), q)
	assert.ErrorIs(t, err, freebusy.ErrInvalidQuery)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = src.FreeBusy(ctx, weekQuery("Jane Doe/Sales/Acme/US"))
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCalendarSourceConcurrent(t *testing.T) {
	src := loadSample(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := weekQuery("jane.doe@acme.example", "Klaus Weber/Engineering/Acme/DE")
			q.Start = q.Start.Add(time.Duration(i) * time.Hour)
			got, err := src.FreeBusy(context.Background(), q)
			assert.NoError(t, err)
			assert.NoError(t, freebusy.CheckResult(q, got))
		}()
	}
	wg.Wait()
}

func TestSampleUsers(t *testing.T) {
	src := loadSample(t)
	var names []string
	for _, u := range src.Users() {
		names = append(names, u.Name)
	}
	assert.Equal(t, []string{
		"CN=Jane Doe/OU=Sales/O=Acme/C=US",
		"CN=Klaus Weber/OU=Engineering/O=Acme/C=DE",
		"CN=Priya Raman/OU=Research/O=Acme/C=IN",
		"CN=Ana Souza/OU=Support/O=Acme/C=BR",
	}, names)
}

func TestClassifyOutlookBusyStatus(t *testing.T) {
	// An entry imported from Outlook keeps the decoder's busy status, but
	// an anniversary still blocks nothing.
	ev := &ical.CalendarEvent{Status: freebusy.OutOfOffice, Props: map[string]string{"X-MICROSOFT-CDO-BUSYSTATUS": "OOF"}}
	s, ok := BusyPolicy{}.Classify(ev)
	assert.True(t, ok)
	assert.Equal(t, freebusy.OutOfOffice, s)
	ev.Props["X-LOTUS-APPTTYPE"] = "1"
	_, ok = BusyPolicy{}.Classify(ev)
	assert.False(t, ok)
	// An all-day DATE entry without X-LOTUS-APPTTYPE is an all-day event.
	s, ok = BusyPolicy{}.Classify(&ical.CalendarEvent{AllDay: true, Props: map[string]string{}})
	assert.True(t, ok)
	assert.Equal(t, freebusy.Busy, s)
}
