package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/directory"
)

// The availability grid of the demo query, shared by the text printed at
// start and the status page, so that both draw the same thing with the same
// legend.

// legendEntry is one symbol of the grid.
type legendEntry struct {
	Digit  byte   // the availability-view digit it stands for
	Symbol string // what is drawn
	Class  string // CSS class on the status page
	Name   string
}

// legend is every symbol the grid can draw, and only those. Working
// elsewhere is drawn from the private view digit '5' (ViewOptions), so it
// is not folded into free as the standard digits would (docs/mapping.md
// §4.2).
var legend = []legendEntry{
	{'0', ".", "free", "free"},
	{'1', "t", "tentative", "tentative"},
	{'2', "B", "busy", "busy"},
	{'3', "O", "oof", "out of office"},
	{'5', "w", "elsewhere", "working elsewhere"},
	{'4', "?", "nodata", "no data"},
}

var gridView = freebusy.ViewOptions{WorkingElsewhereDigit: '5'}

func legendFor(digit byte) legendEntry {
	for _, l := range legend {
		if l.Digit == digit {
			return l
		}
	}
	return legend[len(legend)-1]
}

// demoAttendees are the people of the demo query, each named as a caller
// on the other side might: Ada by her canonical Notes name, Alan by his
// Internet address, Grace by her legacyExchangeDN, Edsger by his SMTP
// address, and someone the directory does not know.
var demoAttendees = []string{
	"CN=Ada Lovelace/OU=Research/O=Acme",
	"alan.turing@notes.acme.example",
	"/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper",
	"edsger.dijkstra@exchange.acme.example",
	"nobody@acme.example",
}

// Grid hours, UTC: the working days of London, Amsterdam and New York.
const (
	gridFirstHour = 6
	gridLastHour  = 22
	gridSlot      = 30 * time.Minute
)

type gridCell struct {
	legendEntry
	Title string
}

type gridRow struct {
	Label string
	Cells []gridCell
	// Note is the reason of a failed schedule, or "stale".
	Note string
}

type gridDay struct {
	Date  time.Time
	Hours []int // the hour of every other cell, for the ruler
	Rows  []gridRow
}

type grid struct {
	Days  []gridDay
	AsOf  time.Time
	Error string
}

// demoGrid asks src for the demo attendees over the demo week (Monday to
// Friday) and draws one block per day.
func demoGrid(ctx context.Context, src freebusy.Source, dir directory.Interface, week demoWeek) grid {
	q := freebusy.Query{Attendees: demoAttendees, Start: week.Day(0), End: week.Day(5), Granularity: gridSlot}
	out, err := src.FreeBusy(ctx, q)
	if err != nil {
		out = freebusy.FailAll(q, freebusy.ReasonOf(err), err)
	}
	var g grid
	for d := 0; d < 5; d++ {
		day := week.Day(d)
		from := day.Add(gridFirstHour * time.Hour)
		to := day.Add(gridLastHour * time.Hour)
		gd := gridDay{Date: day}
		for h := gridFirstHour; h < gridLastHour; h++ {
			gd.Hours = append(gd.Hours, h)
		}
		for _, s := range out {
			row := gridRow{Label: lookupLabel(ctx, dir, s.Attendee)}
			var view string
			switch {
			case s.Err != nil:
				row.Note = s.Err.Reason.String()
				view = strings.Repeat("4", int(to.Sub(from)/gridSlot))
			default:
				v, err := freebusy.AvailabilityView(s.Intervals, from, to, gridSlot, gridView)
				if err != nil {
					row.Note = err.Error()
					v = strings.Repeat("4", int(to.Sub(from)/gridSlot))
				}
				view = v
				if s.Stale {
					row.Note = "stale"
				}
			}
			for i := 0; i < len(view); i++ {
				at := from.Add(time.Duration(i) * gridSlot)
				l := legendFor(view[i])
				row.Cells = append(row.Cells, gridCell{legendEntry: l, Title: at.Format("15:04") + " UTC " + l.Name})
			}
			gd.Rows = append(gd.Rows, row)
		}
		g.Days = append(g.Days, gd)
	}
	return g
}

// symbols returns the row as text.
func (r gridRow) symbols() string {
	var b strings.Builder
	for _, c := range r.Cells {
		b.WriteString(c.Symbol)
	}
	return b.String()
}

// printGrid writes g as text: per day an hour ruler (UTC) and one line per
// attendee.
func printGrid(w io.Writer, g grid) {
	var keys []string
	for _, l := range legend {
		keys = append(keys, l.Symbol+" "+l.Name)
	}
	fmt.Fprintf(w, "legend: %s (30-minute slots, UTC)\n", strings.Join(keys, "  "))
	width := 0
	for _, d := range g.Days {
		for _, r := range d.Rows {
			width = max(width, len(r.Label))
		}
	}
	for _, d := range g.Days {
		ruler := make([]byte, 0, 2*len(d.Hours))
		for _, h := range d.Hours {
			if h%2 == 0 {
				ruler = append(ruler, fmt.Sprintf("%02d  ", h)...)
			}
		}
		fmt.Fprintf(w, "\n%-*s %s\n", width, d.Date.Format("Mon 2006-01-02"), strings.TrimRight(string(ruler), " "))
		for _, r := range d.Rows {
			note := ""
			if r.Note != "" {
				note = "  (" + r.Note + ")"
			}
			fmt.Fprintf(w, "%-*s %s%s\n", width, r.Label, r.symbols(), note)
		}
	}
}
