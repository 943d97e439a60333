package main

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// reportLosses reads the written bytes back with the target format's own
// reader and reports, per attendee, how much time changed status on the
// way, and why (the rule in docs/mapping.md). Formats that cannot be read
// back (none today) are reported as unchecked.
func reportLosses(w io.Writer, o options, before []freebusy.Schedule, written []byte) error {
	read, ok := readers[o.to]
	if !ok {
		fmt.Fprintf(w, "wrote %s: not read back\n", o.to)
		return nil
	}
	back := o
	back.attendees = nil
	for _, s := range before {
		back.attendees = append(back.attendees, s.Attendee)
	}
	if len(before) > 0 {
		back.start, back.end = before[0].Start, before[0].End
	}
	after, _, err := read(written, back)
	if err != nil {
		return fmt.Errorf("reading the %s output back: %w", o.to, err)
	}
	if len(after) != len(before) {
		fmt.Fprintf(w, "lost: %s kept %d of %d schedules\n", o.to, len(after), len(before))
		return nil
	}
	lossless := true
	for i := range before {
		for _, l := range losses(before[i], after[i]) {
			lossless = false
			fmt.Fprintf(w, "lost: %s: %s written as %s for %s%s\n", before[i].Attendee, l.from, l.to, l.d, rule(o.to, l.from, l.to))
		}
	}
	if lossless {
		fmt.Fprintf(w, "wrote %s: nothing lost\n", o.to)
	}
	return nil
}

// change is time whose status went from one value to another.
type change struct {
	from, to freebusy.Status
	d        time.Duration
}

// losses compares two schedules of the same window stretch by stretch.
func losses(a, b freebusy.Schedule) []change {
	if a.Err != nil || b.Err != nil {
		if (a.Err == nil) != (b.Err == nil) {
			return []change{{from: freebusy.Unknown, to: freebusy.Unknown, d: a.End.Sub(a.Start)}}
		}
		return nil
	}
	cuts := []time.Time{a.Start, a.End}
	for _, s := range []freebusy.Schedule{a, b} {
		for _, iv := range s.Intervals {
			cuts = append(cuts, iv.Start, iv.End)
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Before(cuts[j]) })
	sum := map[[2]freebusy.Status]time.Duration{}
	for i := 0; i+1 < len(cuts); i++ {
		from, to := cuts[i], cuts[i+1]
		if !from.Before(to) || from.Before(a.Start) || to.After(a.End) {
			continue
		}
		x, y := a.StatusAt(from), b.StatusAt(from)
		if x != y {
			sum[[2]freebusy.Status{x, y}] += to.Sub(from)
		}
	}
	out := make([]change, 0, len(sum))
	for k, d := range sum {
		out = append(out, change{k[0], k[1], d})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].from != out[j].from {
			return out[i].from < out[j].from
		}
		return out[i].to < out[j].to
	})
	return out
}

// rule names the documented mapping behind a change.
func rule(format string, from, to freebusy.Status) string {
	switch {
	case from == freebusy.WorkingElsewhere && to == freebusy.Free:
		return " (no word for working elsewhere, docs/mapping.md §4.2)"
	case from == freebusy.Unknown:
		return " (no word for \"no data\", docs/mapping.md §4.6)"
	case format == "das":
		return " (DAS has busy time only, docs/mapping.md §4.5)"
	case format == "publicfolder" || format == "graph" || format == "ews":
		return " (the format's resolution or statuses, docs/mapping.md §3)"
	}
	return ""
}
