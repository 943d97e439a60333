package ical

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unfoldLines returns the content lines of folded iCalendar text.
func unfoldLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n ", "")
	return strings.Split(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")), "\n")
}

// linesOf returns the unfolded content lines whose name is name.
func linesOf(s, name string) []string {
	var out []string
	for _, l := range unfoldLines(s) {
		if strings.HasPrefix(l, name+":") || strings.HasPrefix(l, name+";") {
			out = append(out, l)
		}
	}
	return out
}

// RFC 5545 §3.3.9: a PERIOD's end is after its start, and iCalendar
// DATE-TIMEs (§3.3.5) have no fractions of a second. Fractions round
// outward (start down, end up; docs/mapping.md §4.8), the same rule as the
// public-folder and DAS encoders: a busy block [09:00:00.2, 09:00:00.8) is
// written as 09:00:00/09:00:01, never as an empty period, and a second
// that rounding gives to two statuses takes the busier one.
func TestEncodeVFreeBusySubSecondRoundsOutward(t *testing.T) {
	ms := func(sec, milli int) time.Time {
		return time.Date(2026, 1, 5, 9, 0, sec, milli*int(time.Millisecond), time.UTC)
	}
	s := freebusy.Schedule{
		Attendee: "a@example.com", AsOf: ms(0, 0),
		Start: time.Date(2026, 1, 5, 8, 59, 59, 500_000_000, time.UTC), End: ms(10, 250),
		Intervals: []freebusy.Interval{
			interval(ms(0, 200), ms(0, 800), freebusy.Busy),
			interval(ms(0, 800), ms(1, 500), freebusy.Tentative),
			interval(ms(3, 100), ms(3, 200), freebusy.WorkingElsewhere),
			interval(ms(3, 200), ms(3, 300), freebusy.Unknown),
			interval(ms(5, 0), ms(6, 0), freebusy.OutOfOffice),
			interval(ms(9, 999), ms(10, 250), freebusy.Busy),
		},
	}
	var buf bytes.Buffer
	require.NoError(t, EncodeVFreeBusy(&buf, []freebusy.Schedule{s}, VFreeBusyOptions{}))
	out := buf.String()
	assert.Equal(t, []string{"DTSTART:20260105T085959Z"}, linesOf(out, "DTSTART"))
	assert.Equal(t, []string{"DTEND:20260105T090011Z"}, linesOf(out, "DTEND"))
	assert.Equal(t, []string{
		"FREEBUSY;FBTYPE=BUSY:20260105T090000Z/20260105T090001Z",
		"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260105T090001Z/20260105T090002Z",
		// Unknown beats WorkingElsewhere in a shared second: time that is
		// not known to be available never reads available.
		"FREEBUSY;FBTYPE=X-CALBRIDGE-UNKNOWN:20260105T090003Z/20260105T090004Z",
		"FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260105T090005Z/20260105T090006Z",
		"FREEBUSY;FBTYPE=BUSY:20260105T090009Z/20260105T090011Z",
	}, linesOf(out, "FREEBUSY"))

	got, _, err := DecodeVFreeBusy(strings.NewReader(out))
	require.NoError(t, err)
	require.Len(t, got, 1)
	for _, iv := range got[0].Intervals {
		assert.True(t, iv.Start.Before(iv.End), "zero-length period %v (RFC 5545 §3.3.9)", iv)
	}
	// No instant that was taken reads free.
	for _, iv := range s.Intervals {
		for at := iv.Start; at.Before(iv.End); at = at.Add(50 * time.Millisecond) {
			assert.NotEqual(t, freebusy.Free, got[0].StatusAt(at), "%v at %v", iv, at)
		}
	}

	// A failed schedule's Unknown period is rounded the same way.
	failed := freebusy.Failed("a@example.com", ms(0, 200), ms(0, 800), freebusy.ReasonTimeout, nil)
	failed.AsOf = ms(0, 0)
	buf.Reset()
	require.NoError(t, EncodeVFreeBusy(&buf, []freebusy.Schedule{failed}, VFreeBusyOptions{}))
	assert.Equal(t, []string{"FREEBUSY;FBTYPE=X-CALBRIDGE-UNKNOWN:20260105T090000Z/20260105T090001Z"}, linesOf(buf.String(), "FREEBUSY"))

	// Instants before 1970 round down too (towards the past).
	old := freebusy.Schedule{Start: time.Date(1960, 1, 1, 0, 0, 0, 300_000_000, time.UTC), End: time.Date(1960, 1, 1, 0, 0, 0, 600_000_000, time.UTC), AsOf: ms(0, 0),
		Intervals: []freebusy.Interval{interval(time.Date(1960, 1, 1, 0, 0, 0, 400_000_000, time.UTC), time.Date(1960, 1, 1, 0, 0, 0, 500_000_000, time.UTC), freebusy.Busy)}}
	buf.Reset()
	require.NoError(t, EncodeVFreeBusy(&buf, []freebusy.Schedule{old}, VFreeBusyOptions{}))
	assert.Equal(t, []string{"FREEBUSY;FBTYPE=BUSY:19600101T000000Z/19600101T000001Z"}, linesOf(buf.String(), "FREEBUSY"))
}

// propValue returns the value of an unfolded content line: what follows
// the first colon outside a quoted parameter value (RFC 5545 §3.1).
func propValue(line string) string {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return line[i+1:]
			}
		}
	}
	return ""
}

// validURI checks an RFC 3986 URI as RFC 5545 §3.3.3 CAL-ADDRESS wants it:
// ASCII, no spaces, brackets or quotes, and parseable.
func validURI(t *testing.T, v string) {
	t.Helper()
	for i := 0; i < len(v); i++ {
		if uriUnsafe(v[i]) {
			t.Errorf("%q: octet %q is not allowed in a URI (RFC 3986)", v, v[i])
		}
	}
	u, err := url.Parse(v)
	if assert.NoError(t, err, v) {
		assert.NotEmpty(t, u.Scheme, v)
	}
}

// RFC 5545 §3.8.4.1 ATTENDEE and §3.8.4.3 ORGANIZER: the value is a
// CAL-ADDRESS, a URI (§3.3.3); a display name goes to the CN parameter
// (§3.2.2). Non-ASCII and other octets a mailto: URI cannot carry are
// percent-encoded (RFC 6068 §2), and decoding gives back the address.
func TestEncodeVFreeBusyAttendeeDisplayName(t *testing.T) {
	for _, tt := range []struct {
		attendee, line, back string
	}{
		{"Zoë Ünal <zoe@example.com>", "ATTENDEE;CN=Zoë Ünal:mailto:zoe@example.com", "zoe@example.com"},
		{`"Ünal, Zoë" <zoe@example.com>`, `ATTENDEE;CN="Ünal, Zoë":mailto:zoe@example.com`, "zoe@example.com"},
		{`"Zoë \"Z\" Ünal" <zoe@example.com>`, `ATTENDEE;CN=Zoë 'Z' Ünal:mailto:zoe@example.com`, "zoe@example.com"},
		{"<zoe@example.com>", "ATTENDEE:mailto:zoe@example.com", "zoe@example.com"},
		{"zoë@exämple.com", "ATTENDEE:mailto:zo%C3%AB@ex%C3%A4mple.com", "zoë@exämple.com"},
		{"a b%c?d#e/f@example.com", "ATTENDEE:mailto:a%20b%25c%3Fd%23e%2Ff@example.com", "a b%c?d#e/f@example.com"},
		{"MAILTO:zo%C3%AB@example.com", "ATTENDEE:mailto:zo%C3%AB@example.com", "zoë@example.com"},
		{"Zoë <urn:uuid:6f1c9a70-2c1e-4d8e-9a1e-3c2f6d3f0b11>", "ATTENDEE;CN=Zoë:urn:uuid:6f1c9a70-2c1e-4d8e-9a1e-3c2f6d3f0b11", "urn:uuid:6f1c9a70-2c1e-4d8e-9a1e-3c2f6d3f0b11"},
		{"urn:x-room:Großer Saal", "ATTENDEE:urn:x-room:Gro%C3%9Fer%20Saal", "urn:x-room:Großer Saal"},
	} {
		s := freebusy.Schedule{Attendee: tt.attendee, Start: utc(2026, 1, 1, 0, 0, 0), End: utc(2026, 1, 2, 0, 0, 0), AsOf: utc(2026, 1, 1, 0, 0, 0)}
		var buf bytes.Buffer
		require.NoError(t, EncodeVFreeBusy(&buf, []freebusy.Schedule{s}, VFreeBusyOptions{Organizer: tt.attendee}), tt.attendee)
		assertLinesFit(t, buf.String())
		lines := linesOf(buf.String(), "ATTENDEE")
		require.Len(t, lines, 1, tt.attendee)
		assert.Equal(t, tt.line, lines[0], tt.attendee)
		assert.Equal(t, []string{"ORGANIZER" + strings.TrimPrefix(tt.line, "ATTENDEE")}, linesOf(buf.String(), "ORGANIZER"))
		validURI(t, propValue(lines[0]))
		got, _, err := DecodeVFreeBusy(&buf)
		require.NoError(t, err, tt.attendee)
		require.Len(t, got, 1)
		assert.Equal(t, tt.back, got[0].Attendee, tt.attendee)
	}
}

// Decoding keeps reading what producers write (RFC 5545 §3.8.4.1, RFC 6068
// §2): CN beside a mailto: URI, percent-encoded addresses, raw non-ASCII
// and spaces that some producers leave unencoded, an upper-case scheme,
// other URI schemes, and the display name inside the value that calbridge
// itself used to write ("mailto:Zoë Ünal <zoe@example.com>").
func TestDecodeVFreeBusyAttendeeForms(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"ATTENDEE;CN=Zoë Ünal:mailto:zoe@example.com", "zoe@example.com"},
		{`ATTENDEE;CN="Ünal, Zoë";ROLE=REQ-PARTICIPANT:MAILTO:zoe@example.com`, "zoe@example.com"},
		{"ATTENDEE:mailto:zo%C3%AB@example.com", "zoë@example.com"},
		{"ATTENDEE:mailto:zoë@example.com", "zoë@example.com"},
		{"ATTENDEE:mailto:Zoë Ünal <zoe@example.com>", "zoe@example.com"},
		{"ATTENDEE:mailto:100%@example.com", "100%@example.com"},
		{"ATTENDEE:zoe@example.com", "zoe@example.com"},
		{"ATTENDEE:urn:uuid:6f1c9a70-2c1e-4d8e-9a1e-3c2f6d3f0b11", "urn:uuid:6f1c9a70-2c1e-4d8e-9a1e-3c2f6d3f0b11"},
		{"ATTENDEE:https://example.com/principals/a%2Fb", "https://example.com/principals/a%2Fb"},
	} {
		in := vfbHeader + tt.line + "\r\nDTSTART:20260101T000000Z\r\nDTEND:20260102T000000Z\r\n" + vfbFooter
		got, _, err := DecodeVFreeBusy(strings.NewReader(in))
		require.NoError(t, err, tt.line)
		require.Len(t, got, 1, tt.line)
		assert.Equal(t, tt.want, got[0].Attendee, tt.line)
	}
}

// Whatever attendee the decoder reads, encoding it and decoding again
// gives the same attendee, and the value written is a valid URI.
func TestAttendeeRoundTripIsStable(t *testing.T) {
	for _, v := range []string{
		"mailto:a%2540b", "mailto:mailto%3Aa@b", "mailto:mailto:a%2540b", "urn:x%20y", "urn:x y",
		"urn:x <y@z>", "mailto:%25%32%30", "mailto:a%zz@b", "mailto:%FF@b", "mailto:<>", "mailto:<a>",
		"x:\"<a>", "mailto: <a@b>", "mailto:\"q\" <a>",
	} {
		a := attendeeOf(v)
		p, err := calAddressProp("ATTENDEE", a)
		require.NoError(t, err, v)
		validURI(t, p.Value)
		assert.Equal(t, a, attendeeOf(p.Value), "%q read as %q, written as %q", v, a, p.Value)
	}
}
