#!/usr/bin/env python3
"""Busy time of an iCalendar file as python3-recurring-ical-events sees it.

Usage: expand.py FILE START END [ZONE]

START and END are UTC instants (2006-01-02T15:04:05Z); ZONE is the IANA
zone floating times and all-day dates are read in (UTC when omitted), the
same zone the Go test passes to DecodeCalendar as CalendarOptions.Location.

Prints a JSON list of [start, end] pairs in UTC (RFC 3339, "Z"), one per
VEVENT occurrence that recurring_ical_events.of(cal).between(START, END)
returns and that blocks time under calbridge's busy-status rule
(freebusy/ical/calendar.go, genericStatus):

 1. X-MICROSOFT-CDO-BUSYSTATUS (or X-MICROSOFT-MSNCALENDAR-BUSYSTATUS):
    FREE is free; TENTATIVE, BUSY, OOF, OUTOFOFFICE, WORKINGELSEWHERE are
    not free (the test compares non-free time); other values fall through;
 2. STATUS:CANCELLED is free;
 3. TRANSP:TRANSPARENT is free;
 4. anything else blocks time.

Occurrences of zero length (an instant) block nothing and are left out.
The test merges the pairs itself; nothing is merged here.
"""

import datetime
import json
import sys
import zoneinfo

import icalendar
import recurring_ical_events

UTC = datetime.timezone.utc


def parse_utc(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def blocks_time(ev):
    for name in ("X-MICROSOFT-CDO-BUSYSTATUS", "X-MICROSOFT-MSNCALENDAR-BUSYSTATUS"):
        v = ev.get(name)
        if v is not None:
            v = str(v).strip().upper()
            if v == "FREE":
                return False
            if v in ("TENTATIVE", "BUSY", "OOF", "OUTOFOFFICE", "WORKINGELSEWHERE"):
                return True
    status = str(ev.get("STATUS", "")).strip().upper()
    transp = str(ev.get("TRANSP", "")).strip().upper()
    if status == "CANCELLED" or transp == "TRANSPARENT":
        return False
    return True


def to_utc(v, zone):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=zone)
        return v.astimezone(UTC)
    # A DATE: midnight in the owner's zone.
    return datetime.datetime(v.year, v.month, v.day, tzinfo=zone).astimezone(UTC)


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    path, start, end = argv[1], parse_utc(argv[2]), parse_utc(argv[3])
    zone = zoneinfo.ZoneInfo(argv[4]) if len(argv) == 5 and argv[4] != "UTC" else UTC
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    out = []
    for ev in recurring_ical_events.of(cal, components=["VEVENT"]).between(start, end):
        if not blocks_time(ev):
            continue
        s = to_utc(ev["DTSTART"].dt, zone)
        if "DTEND" in ev:
            e = to_utc(ev["DTEND"].dt, zone)
        elif "DURATION" in ev:
            e = to_utc(ev["DTSTART"].dt + ev["DURATION"].dt, zone)
        else:
            e = s
        if e <= s:
            continue
        out.append([fmt(s), fmt(e)])
    out.sort()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
