package ical

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// The differential test of issue 10: every .ics file of the corpus under
// testdata/conformance/<project>/ (sources and licences in each folder's
// SOURCES.md) is read over one year, by DecodeCalendar and by the
// independent expander python3-recurring-ical-events (through
// testdata/conformance/expand.py), and the busy time (every interval that is
// not Free) must be the same to the second, or the disagreement must be
// listed in conformanceDisagreements with the RFC 5545 section that says
// which side is right.

// conformanceZone is the owner's zone: floating times and all-day dates are
// read in it by both sides. A zone with DST, so that a difference in where
// a floating or all-day instance lands shows.
const conformanceZone = "America/New_York"

// conformanceDisagreement is one known difference. calbridgeOnly and
// expanderOnly are the total busy time only one side sees; the test checks
// both exactly, so the entry stays true, and fails when the files agree.
type conformanceDisagreement struct {
	calbridgeOnly, expanderOnly time.Duration
	differs                     string // what differs
	right                       string // which side RFC 5545 says is right, and where
}

// conformanceDisagreements lists, by file (relative to
// testdata/conformance), the disagreements that are not calbridge's bugs.
var conformanceDisagreements = map[string]conformanceDisagreement{
	"python-recurring-ical-events/issue_75_range_parameter.ics": {
		calbridgeOnly: 107*time.Hour + 30*time.Minute, expanderOnly: 100 * time.Hour,
		differs: "RECURRENCE-ID;RANGE=THISANDFUTURE overrides (13 Sep: -3h, 7h long; 21 Sep: +1d+2h22m, 1h51m long): " +
			"calbridge moves and resizes that instance and every later one, RDATE instance included; " +
			"recurring-ical-events 2.0.1 ignores RANGE and changes only the named instance",
		right: "calbridge: RFC 5545 §3.8.4.4 (RANGE=THISANDFUTURE applies to the instance and all subsequent instances) " +
			"and §3.2.13 (RANGE parameter)",
	},
	"icalendar/issue_165_missing_event.ics": {
		calbridgeOnly: 6*time.Hour + 30*time.Minute, expanderOnly: 0,
		differs: "RRULE:FREQ=DAILY;...;BYDAY=MO, TU, WE, TH, FR (Microsoft CDO, blanks in the list): " +
			"calbridge reads the 13 weekday instances 6-22 Jul 2015; recurring-ical-events (dateutil) rejects " +
			"the rule and keeps only DTSTART",
		right: "neither strictly: RFC 5545 §3.3.10's grammar has no blanks in BYDAY, so the value is invalid; " +
			"calbridge reads its evident meaning, as its rule for what cannot be read requires (package doc: " +
			"time taken is never read as free; §3.8.5.3 makes every instance of the rule busy time), " +
			"where dropping the rule reads 13 booked meetings as free",
	},
}

// conformanceExpanderFails lists the corpus files that the expander
// (recurring-ical-events 2.0.1 with icalendar 4.0.3, the Debian package)
// cannot read at all, with a part of its error. These files are only
// decoded by calbridge, which must succeed; the test fails when the
// expander starts reading one, so that it is then compared.
var conformanceExpanderFails = map[string]string{
	// RFC 5545 §3.8.5.2: RDATE;VALUE=PERIOD; the expander sorts periods with date-times.
	"ical.js/recur_instances.ics":                                      "'<' not supported",
	"icalendar/issue_156_RDATE_with_PERIOD_TZID_khal.ics":              "'<' not supported",
	"icalendar/issue_156_RDATE_with_PERIOD_TZID_khal_2.ics":            "'<' not supported",
	"icalendar/issue_1633_rdate_with_dates_and_tzid.ics":               "'<' not supported",
	"icalendar/period_with_timezone.ics":                               "'<' not supported",
	"python-recurring-ical-events/issue_113_period_in_rdate.ics":       "'<' not supported",
	"python-recurring-ical-events/issue_113_period_rdate_duration.ics": "'<' not supported",
	// RFC 5545 §3.8.5.3 allows several RRULEs (SHOULD NOT, but the set is their union).
	"ical.js/multiple_rrules.ics":                     "multiple distinct RRULE",
	"python-recurring-ical-events/multiple_rrule.ics": "multiple distinct RRULE",
	// A malformed RDATE ("20131210Z", a DATE with a Z), which RFC 5545 §3.3.4 does not allow.
	"ical.js/google_birthday.ics": "has no attribute 'dts'",
	// A VTIMEZONE RRULE with a floating UNTIL (RFC 5545 §3.3.10 wants UTC there).
	"icalendar/america_new_york.ics": "UNTIL values must be specified in UTC",
	// A VTIMEZONE observance with several RDATE lines (RFC 5545 §3.6.5 allows them).
	"icalendar/pacific_fiji.ics": "'list' object has no attribute 'dt'",
}

// conformancePython returns a python3 that can import
// recurring_ical_events: $PYTHON, python3 on $PATH, then /usr/bin/python3
// (where the Debian package installs it when $PATH has another python3).
func conformancePython() (string, error) {
	cands := []string{os.Getenv("PYTHON"), "python3", "/usr/bin/python3"}
	var errs []string
	for _, c := range cands {
		if c == "" {
			continue
		}
		out, err := exec.Command(c, "-c", "import recurring_ical_events").CombinedOutput()
		if err == nil {
			return c, nil
		}
		errs = append(errs, fmt.Sprintf("%s: %v %s", c, err, bytes.TrimSpace(out)))
	}
	return "", fmt.Errorf("no python3 with recurring_ical_events (apt-get install python3-recurring-ical-events): %s", strings.Join(errs, "; "))
}

// conformanceYear is the year of the first DTSTART of a VEVENT in data.
func conformanceYear(data []byte) (int, bool) {
	inEvent := false
	year := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.EqualFold(line, "BEGIN:VEVENT"):
			inEvent = true
		case strings.EqualFold(line, "END:VEVENT"):
			inEvent = false
		case inEvent && len(line) > 7 && strings.EqualFold(line[:7], "DTSTART"):
			i := strings.LastIndexByte(line, ':')
			if i < 0 || len(line) < i+5 {
				continue
			}
			y, err := strconv.Atoi(line[i+1 : i+5])
			if err == nil && (year == 0 || y < year) {
				year = y
			}
		}
	}
	return year, year != 0
}

type span struct{ start, end time.Time }

// unionOf merges spans, clipped to [lo, hi), into sorted disjoint spans.
func unionOf(in []span, lo, hi time.Time) []span {
	var clipped []span
	for _, s := range in {
		if s.start.Before(lo) {
			s.start = lo
		}
		if s.end.After(hi) {
			s.end = hi
		}
		if s.start.Before(s.end) {
			clipped = append(clipped, s)
		}
	}
	slices.SortFunc(clipped, func(a, b span) int { return a.start.Compare(b.start) })
	var out []span
	for _, s := range clipped {
		if n := len(out); n > 0 && !s.start.After(out[n-1].end) {
			if s.end.After(out[n-1].end) {
				out[n-1].end = s.end
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// minus returns a − b for sorted disjoint spans.
func minus(a, b []span) []span {
	var out []span
	j := 0
	for _, s := range a {
		cur := s.start
		for j < len(b) && !b[j].end.After(cur) {
			j++
		}
		for k := j; k < len(b) && b[k].start.Before(s.end); k++ {
			if b[k].start.After(cur) {
				out = append(out, span{cur, b[k].start})
			}
			if b[k].end.After(cur) {
				cur = b[k].end
			}
		}
		if cur.Before(s.end) {
			out = append(out, span{cur, s.end})
		}
	}
	return out
}

func total(ss []span) time.Duration {
	var d time.Duration
	for _, s := range ss {
		d += s.end.Sub(s.start)
	}
	return d
}

func describe(ss []span) string {
	var b strings.Builder
	for i, s := range ss {
		if i == 5 {
			fmt.Fprintf(&b, " … (%d in all)", len(ss))
			break
		}
		fmt.Fprintf(&b, " [%s, %s)", s.start.Format(time.RFC3339), s.end.Format(time.RFC3339))
	}
	return b.String()
}

func TestConformanceAgainstRecurringICalEvents(t *testing.T) {
	python, err := conformancePython()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	loc, err := time.LoadLocation(conformanceZone)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*", "*.ics"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("corpus has %d files, want at least 15", len(files))
	}
	seen := map[string]bool{}
	agree := 0
	for _, path := range files {
		name := filepath.ToSlash(strings.TrimPrefix(path, filepath.Join("testdata", "conformance")+string(filepath.Separator)))
		known, listed := conformanceDisagreements[name]
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			year, ok := conformanceYear(data)
			if !ok {
				t.Fatal("no VEVENT with a DTSTART")
			}
			start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
			end := start.AddDate(1, 0, 0)

			ivs, _, err := DecodeCalendar(bytes.NewReader(data), start, end, CalendarOptions{Location: loc})
			if err != nil {
				t.Fatal(err)
			}
			var ours []span
			for _, iv := range ivs {
				if iv.Status != freebusy.Free {
					ours = append(ours, span{iv.Start, iv.End})
				}
			}
			ours = unionOf(ours, start, end)

			cmd := exec.Command(python, filepath.Join("testdata", "conformance", "expand.py"), path,
				start.Format(time.RFC3339), end.Format(time.RFC3339), conformanceZone)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if why, fails := conformanceExpanderFails[name]; fails {
				if err == nil {
					t.Errorf("expand.py now reads this file: remove it from conformanceExpanderFails")
				} else if !strings.Contains(stderr.String(), why) {
					t.Errorf("expand.py fails differently (listed: %q): %v\n%s", why, err, stderr.Bytes())
				} else {
					t.Logf("%d: expander cannot read it (%s); calbridge: %d busy spans, %v", year, why, len(ours), total(ours))
				}
				return
			}
			if err != nil {
				t.Fatalf("expand.py: %v\n%s", err, stderr.Bytes())
			}
			var pairs [][2]string
			if err := json.Unmarshal(out, &pairs); err != nil {
				t.Fatalf("expand.py output: %v\n%s", err, out)
			}
			var theirs []span
			for _, p := range pairs {
				s, err1 := time.Parse(time.RFC3339, p[0])
				e, err2 := time.Parse(time.RFC3339, p[1])
				if err1 != nil || err2 != nil {
					t.Fatalf("expand.py pair %q", p)
				}
				theirs = append(theirs, span{s, e})
			}
			theirs = unionOf(theirs, start, end)

			onlyOurs, onlyTheirs := minus(ours, theirs), minus(theirs, ours)
			if len(onlyOurs) == 0 && len(onlyTheirs) == 0 {
				if listed {
					t.Errorf("listed disagreement no longer occurs (%s): remove it from conformanceDisagreements", known.differs)
				}
				t.Logf("%d: agree on %d busy spans, %v", year, len(ours), total(ours))
				agree++
				return
			}
			got := conformanceDisagreement{calbridgeOnly: total(onlyOurs), expanderOnly: total(onlyTheirs)}
			if !listed {
				t.Errorf("%d: busy time differs\ncalbridge only (%v):%s\nrecurring-ical-events only (%v):%s",
					year, got.calbridgeOnly, describe(onlyOurs), got.expanderOnly, describe(onlyTheirs))
				return
			}
			if got.calbridgeOnly != known.calbridgeOnly || got.expanderOnly != known.expanderOnly {
				t.Errorf("%d: disagreement changed: calbridge only %v (listed %v), recurring-ical-events only %v (listed %v)\ncalbridge only:%s\nrecurring-ical-events only:%s",
					year, got.calbridgeOnly, known.calbridgeOnly, got.expanderOnly, known.expanderOnly, describe(onlyOurs), describe(onlyTheirs))
				return
			}
			t.Logf("%d: known disagreement: %s; %s", year, known.differs, known.right)
		})
	}
	for name := range conformanceDisagreements {
		if !seen[name] {
			t.Errorf("conformanceDisagreements lists %s, which is not in the corpus", name)
		}
		if _, both := conformanceExpanderFails[name]; both {
			t.Errorf("%s is listed both as a disagreement and as unreadable by the expander", name)
		}
	}
	for name := range conformanceExpanderFails {
		if !seen[name] {
			t.Errorf("conformanceExpanderFails lists %s, which is not in the corpus", name)
		}
	}
	t.Logf("%d files, %d compared, %d agree, %d listed disagreements, %d the expander cannot read",
		len(files), len(files)-len(conformanceExpanderFails), agree, len(conformanceDisagreements), len(conformanceExpanderFails))
}
