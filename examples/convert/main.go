// Command convert translates free/busy between every representation
// calbridge reads and writes, through the canonical model of package
// freebusy, and says what the target format could not carry.
//
//	go run ./examples/convert -from FORMAT -to FORMAT [flags] < in > out
//
// Formats (r: can be read, w: can be written):
//
//	das           rw  Domino Access Services busytime JSON (one person)
//	ews           rw  EWS GetUserAvailabilityResponse (SOAP; written in the -view asked for)
//	graph         rw  Microsoft Graph getSchedule response JSON
//	vfreebusy     rw  iCalendar VFREEBUSY (RFC 5545 §3.6.4)
//	ics           r   a Notes or Outlook calendar export (VEVENTs, recurrence, VTIMEZONE)
//	publicfolder  rw  an Exchange public-folder free/busy message ([MS-OXOPFFB]) as JSON
//
// Some inputs do not say whose data they are or for which window (an EWS
// response lists no addresses; a Graph response and a calendar name no
// window): -attendee and -start/-end say it then.
//
// After writing, convert reads its own output back and compares it with
// what it read: every stretch of time whose status the target format
// changed (tentative that DAS can only call busy, "no data" that a public
// folder cannot say, working elsewhere that Graph writes as free) is
// reported on standard error, with the rule from docs/mapping.md.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "convert:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// options is the parsed command line.
type options struct {
	from, to   string
	attendees  []string
	start, end time.Time
	zone       *time.Location
	owner      string
	unknownAs  string
	view       string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var attendees, start, end, zone string
	fs.StringVar(&o.from, "from", "", "input format: "+strings.Join(readable(), ", "))
	fs.StringVar(&o.to, "to", "", "output format: "+strings.Join(writable(), ", "))
	fs.StringVar(&attendees, "attendee", "", "comma-separated attendees, where the input does not name them (ews, das, ics)")
	fs.StringVar(&start, "start", "", "window start, RFC 3339, where the input has none (ews, graph, ics)")
	fs.StringVar(&end, "end", "", "window end, RFC 3339")
	fs.StringVar(&zone, "zone", "UTC", "IANA zone for floating calendar times (ics) and written times (graph, ews)")
	fs.StringVar(&o.view, "view", "FreeBusyMerged", "EWS view written (ews output): FreeBusy, FreeBusyMerged, Detailed, DetailedMerged or MergedOnly")
	fs.StringVar(&o.owner, "owner", "", "legacyExchangeDN of the owner (publicfolder output)")
	fs.StringVar(&o.unknownAs, "unknown-as", "busy", "what a public folder publishes for \"no data\": busy, tentative, oof or free")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err.Error()}
	}
	if fs.NArg() != 0 {
		return o, usageError{fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	if _, ok := readers[o.from]; !ok {
		return o, usageError{fmt.Sprintf("-from %q: want one of %s", o.from, strings.Join(readable(), ", "))}
	}
	if _, ok := writers[o.to]; !ok {
		return o, usageError{fmt.Sprintf("-to %q: want one of %s", o.to, strings.Join(writable(), ", "))}
	}
	if attendees != "" {
		for _, a := range strings.Split(attendees, ",") {
			o.attendees = append(o.attendees, strings.TrimSpace(a))
		}
	}
	var err error
	if o.start, err = parseTime("-start", start); err != nil {
		return o, err
	}
	if o.end, err = parseTime("-end", end); err != nil {
		return o, err
	}
	if o.zone, err = time.LoadLocation(zone); err != nil {
		return o, usageError{fmt.Sprintf("-zone: %v", err)}
	}
	return o, nil
}

func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("%s: %v", name, err)}
	}
	return t.UTC(), nil
}

// run converts in to out as args say, reporting to stderr.
func run(args []string, in io.Reader, out, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(in, maxInput+1))
	if err != nil {
		return err
	}
	if len(data) > maxInput {
		return fmt.Errorf("input larger than %d bytes", maxInput)
	}
	schedules, notes, err := readers[o.from](data, o)
	if err != nil {
		return fmt.Errorf("reading %s: %w", o.from, err)
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "read %s: %s\n", o.from, n)
	}
	var buf bytes.Buffer
	if err := writers[o.to](&buf, schedules, o); err != nil {
		return fmt.Errorf("writing %s: %w", o.to, err)
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return err
	}
	return reportLosses(stderr, o, schedules, buf.Bytes())
}

// maxInput bounds what convert reads: the decoders have their own limits,
// this one keeps a mistaken pipe from filling memory first.
const maxInput = 64 << 20
