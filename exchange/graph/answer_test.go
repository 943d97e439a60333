package graph

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// weekStart is the Monday the answer-path tests start at.
var weekStart = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)

// rawWeek returns attendee m's calendar for the week as a calendar holds
// it, in a shuffled order: meetings of 15 to 90 minutes on working days,
// overlapping their neighbours, of every status, some touching others of
// the same status; nothing normalized.
func rawWeek(m int) []freebusy.Interval {
	mix := func(a, b int) uint32 {
		h := uint32(2166136261)
		for _, v := range [3]int{m, a, b} {
			h ^= uint32(v)
			h *= 16777619
			h ^= h >> 13
		}
		return h
	}
	statuses := []freebusy.Status{freebusy.Busy, freebusy.Busy, freebusy.Tentative, freebusy.OutOfOffice, freebusy.WorkingElsewhere, freebusy.Unknown, freebusy.Busy}
	var ivs []freebusy.Interval
	for d := range 5 {
		at := 7 * time.Hour
		for k := 0; at < 19*time.Hour; k++ {
			h := mix(d, k)
			length := [...]time.Duration{15, 30, 45, 60, 90}[h%5] * time.Minute
			s := weekStart.AddDate(0, 0, d).Add(at)
			ivs = append(ivs, freebusy.Interval{Start: s, End: s.Add(length), Status: statuses[h>>8%uint32(len(statuses))]})
			at += length + [...]time.Duration{-30, -15, 0, 15}[h>>16%4]*time.Minute
		}
	}
	for i := len(ivs) - 1; i > 0; i-- {
		j := int(mix(i, -1) % uint32(i+1))
		ivs[i], ivs[j] = ivs[j], ivs[i]
	}
	return ivs
}

// weekSource answers "user<m>@contoso.com" with rawWeek(m) (normalized
// when canonical is set), with whole Events for user1 and a failure for
// anyone else.
func weekSource(canonical bool) freebusy.Source {
	return freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			n, ok := strings.CutPrefix(a, "user")
			n, ok2 := strings.CutSuffix(n, "@contoso.com")
			m, err := strconv.Atoi(n)
			if !ok || !ok2 || err != nil {
				out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
				continue
			}
			s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: rawWeek(m), WorkingHours: &freebusy.WorkingHours{
				Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: 8 * time.Hour, End: 17 * time.Hour}},
			}}
			if canonical {
				if _, err := s.Normalize(); err != nil {
					return nil, err
				}
			}
			if m == 1 {
				for _, iv := range rawWeek(m)[:6] {
					s.Events = append(s.Events, freebusy.Event{Start: iv.Start, End: iv.End, Status: iv.Status, Subject: "Review " + iv.Start.Format("15:04")})
				}
			}
			out[i] = s
		}
		return out, nil
	})
}

// weekRequest asks for the week at minutes-long slots.
func weekRequest(minutes int) string {
	return `{"schedules":["user0@contoso.com","user1@contoso.com","nobody@contoso.com","user2@contoso.com","user3@contoso.com"],` +
		`"startTime":{"dateTime":"2024-03-04T00:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2024-03-11T00:00:00","timeZone":"UTC"},` +
		`"availabilityViewInterval":` + strconv.Itoa(minutes) + `}`
}

// goldenAnswers is the week answered at 30 minutes in UTC and at 60
// minutes in Pacific time (Prefer: outlook.timezone), with details.
func goldenAnswers(t *testing.T, src freebusy.Source) []byte {
	t.Helper()
	h, err := NewHandler(src, WithDetails(true))
	require.NoError(t, err)
	var out bytes.Buffer
	for _, c := range []struct {
		minutes int
		prefer  string
	}{{30, ""}, {60, `outlook.timezone="Pacific Standard Time"`}} {
		req := httptest.NewRequest(http.MethodPost, "/v1.0/me/calendar/getSchedule", strings.NewReader(weekRequest(c.minutes)))
		if c.prefer != "" {
			req.Header.Set("Prefer", c.prefer)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		out.WriteString("== " + strconv.Itoa(c.minutes) + " " + c.prefer + "\n")
		out.Write(w.Body.Bytes())
	}
	return out.Bytes()
}

// TestGraphAnswerGolden: getSchedule answers are byte for byte those of
// the answer path before it normalized once (testdata/answer-week.golden
// was written by that code), from raw and from canonical schedules.
func TestGraphAnswerGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/answer-week.golden")
	require.NoError(t, err)
	for _, canonical := range []bool{false, true} {
		assert.Equal(t, string(want), string(goldenAnswers(t, weekSource(canonical))), "canonical=%v", canonical)
	}
}

// TestScheduleInformationNormalizesOnce: on unnormalized, overlapping,
// out-of-order intervals the single-normalize path gives the
// availabilityView of the old path (AvailabilityView normalizing the raw
// intervals itself) and one item per interval of Normalize, at several
// slot lengths; the schedule is not modified.
func TestScheduleInformationNormalizesOnce(t *testing.T) {
	start, end := weekStart, weekStart.AddDate(0, 0, 7)
	for m := range 20 {
		raw := rawWeek(m)
		require.False(t, freebusy.IsCanonical(raw, start, end))
		canon, _, err := freebusy.Normalize(raw, start, end, freebusy.NormalizeOptions{})
		require.NoError(t, err)
		for _, slot := range []time.Duration{5 * time.Minute, 30 * time.Minute, 90 * time.Minute} {
			q := freebusy.Query{Attendees: []string{"a@contoso.com"}, Start: start, End: end, Granularity: slot}
			info, err := NewScheduleInformation(&freebusy.Schedule{Attendee: "a@contoso.com", Start: start, End: end, Intervals: raw}, q, ResponseOptions{})
			require.NoError(t, err)
			old, err := freebusy.AvailabilityView(raw, start, end, slot, freebusy.ViewOptions{})
			require.NoError(t, err)
			assert.Equal(t, old, info.AvailabilityView, "attendee %d slot %s", m, slot)
			require.Len(t, info.ScheduleItems, len(canon))
			for k, iv := range canon {
				assert.Equal(t, ScheduleItem{Status: StatusOf(iv.Status), Start: NewDateTimeTimeZone(iv.Start, time.UTC, "UTC"), End: NewDateTimeTimeZone(iv.End, time.UTC, "UTC")}, info.ScheduleItems[k])
			}
		}
		assert.Equal(t, rawWeek(m), raw, "the schedule is not modified")
	}
}

// TestScheduleInformationErrorsAsBefore: a schedule that does not
// normalize fails as the view of its raw intervals does, the view's own
// arguments checked first.
func TestScheduleInformationErrorsAsBefore(t *testing.T) {
	start, end := weekStart, weekStart.Add(time.Hour)
	bad := &freebusy.Schedule{Attendee: "a@contoso.com", Start: start, End: end, Intervals: []freebusy.Interval{{Start: start, End: end, Status: freebusy.Status(42)}}}
	for _, q := range []freebusy.Query{
		{Attendees: []string{"a@contoso.com"}, Start: start, End: end, Granularity: 30 * time.Minute},
		{Attendees: []string{"a@contoso.com"}, Start: end, End: start, Granularity: 30 * time.Minute},
	} {
		_, want := freebusy.AvailabilityView(bad.Intervals, q.Start, q.End, q.Slot(), freebusy.ViewOptions{})
		require.Error(t, want)
		_, err := NewScheduleInformation(bad, q, ResponseOptions{})
		assert.Equal(t, want, err)
	}
}
