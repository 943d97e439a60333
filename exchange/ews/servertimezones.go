package ews

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// GetServerTimeZones ([MS-OXWSGTZ]) lists the time zones a server knows,
// as t:TimeZoneDefinition elements: Id (the Windows zone id) and Name and,
// with ReturnFullTimeZoneData (true when absent), the zone's rules as
// Periods, TransitionsGroups and Transitions ([MS-OXWSGTZ];
// types.xsd TimeZoneDefinitionType). Clients ask for it before
// GetUserAvailability to build the request's t:TimeZone from the server's
// own definition (Python exchangelib always does).
//
// The Handler derives the rules from tzdata: for each Windows zone id of
// the CLDR table (freebusy.WindowsZoneIDs) its golden IANA zone, for each
// year of tzFirstYear..tzLastYear the year's rule as a
// SerializableTimeZone (NewSerializableTimeZone), and one TransitionsGroup
// per run of years with the same rule, switched to by an
// AbsoluteDateTransition on 1 January of the run's first year, which is
// how Exchange writes the dynamic daylight-time rules of the Windows
// registry. The rule of tzLastYear holds on for later years.
const (
	tzFirstYear = 2000
	tzLastYear  = 2037
)

// zoneDefinition is one encoded t:TimeZoneDefinition, short (Id and Name)
// and full (with the rules).
type zoneDefinition struct {
	id          string
	short, full []byte
}

// zoneDefinitions encodes the definition of every Windows zone id whose
// IANA zone the local tzdata has, once; the result is read-only.
var zoneDefinitions = sync.OnceValues(func() ([]zoneDefinition, map[string]int) {
	ids := freebusy.WindowsZoneIDs()
	defs := make([]zoneDefinition, 0, len(ids))
	index := make(map[string]int, len(ids))
	for _, id := range ids {
		iana, ok := freebusy.WindowsToIANA(id)
		if !ok {
			continue
		}
		loc, err := time.LoadLocation(iana)
		if err != nil {
			continue
		}
		short, full := encodeZoneDefinition(id, iana, loc)
		index[id] = len(defs)
		defs = append(defs, zoneDefinition{id: id, short: short, full: full})
	}
	return defs, index
})

// zoneRun is a run of years with one rule.
type zoneRun struct {
	year int
	tz   SerializableTimeZone
}

// zoneRuns returns the runs of years of tzFirstYear..tzLastYear in which
// loc keeps one rule, in order.
func zoneRuns(loc *time.Location) []zoneRun {
	var runs []zoneRun
	for y := tzFirstYear; y <= tzLastYear; y++ {
		tz := NewSerializableTimeZone(loc, y).normalized()
		if n := len(runs); n > 0 && runs[n-1].tz == tz {
			continue
		}
		runs = append(runs, zoneRun{year: y, tz: tz})
	}
	return runs
}

// encodeZoneDefinition writes the short and the full t:TimeZoneDefinition
// of the Windows zone id, whose rules are loc's. The Name is the standard
// offset of the latest rule and the IANA zone ("(UTC-08:00)
// America/Los_Angeles"): Windows' display names are not in the CLDR
// table.
func encodeZoneDefinition(id, iana string, loc *time.Location) (short, full []byte) {
	runs := zoneRuns(loc)
	last := runs[len(runs)-1].tz
	name := "(UTC" + formatUTCOffset(-last.Bias) + ") " + iana
	var e encoder
	e.raw(`<t:TimeZoneDefinition Id="`)
	e.text(id)
	e.raw(`" Name="`)
	e.text(name)
	e.raw(`"`)
	short = append(append([]byte(nil), e.b...), "/>"...)
	e.raw(`><t:Periods>`)
	width := len(strconv.Itoa(len(runs) - 1))
	groupID := func(k int) string {
		s := strconv.Itoa(k)
		for len(s) < width {
			s = "0" + s // Ids sort as strings in some clients (exchangelib)
		}
		return s
	}
	periodID := func(r zoneRun, kind string) string {
		return "trule:Microsoft/Registry/" + id + "/" + strconv.Itoa(r.year) + "-" + kind
	}
	for _, r := range runs {
		e.period(periodID(r, "Standard"), "Standard", r.tz.Bias+r.tz.StandardTime.Bias)
		if r.tz.HasDaylight() {
			e.period(periodID(r, "Daylight"), "Daylight", r.tz.Bias+r.tz.DaylightTime.Bias)
		}
	}
	e.raw(`</t:Periods><t:TransitionsGroups>`)
	for k, r := range runs {
		e.raw(`<t:TransitionsGroup Id="` + groupID(k) + `">`)
		if !r.tz.HasDaylight() {
			e.raw(`<t:Transition><t:To Kind="Period">`)
			e.text(periodID(r, "Standard"))
			e.raw(`</t:To></t:Transition>`)
		} else {
			e.recurringDayTransition(periodID(r, "Daylight"), r.tz.DaylightTime)
			e.recurringDayTransition(periodID(r, "Standard"), r.tz.StandardTime)
		}
		e.raw(`</t:TransitionsGroup>`)
	}
	e.raw(`</t:TransitionsGroups><t:Transitions>`)
	for k, r := range runs {
		if k == 0 {
			e.raw(`<t:Transition><t:To Kind="Group">` + groupID(k) + `</t:To></t:Transition>`)
			continue
		}
		e.raw(`<t:AbsoluteDateTransition><t:To Kind="Group">` + groupID(k) + `</t:To><t:DateTime>`)
		e.b = strconv.AppendInt(e.b, int64(r.year), 10)
		e.raw(`-01-01T00:00:00</t:DateTime></t:AbsoluteDateTransition>`)
	}
	e.raw(`</t:Transitions></t:TimeZoneDefinition>`)
	return short, e.b
}

// period writes a t:Period: Bias is minutes west of UTC, written as an
// xs:duration ("PT8H", "-PT1H", "-PT5H30M").
func (e *encoder) period(id, name string, bias int) {
	e.raw(`<t:Period Bias="`)
	e.raw(formatDurationMinutes(bias))
	e.raw(`" Name="` + name + `" Id="`)
	e.text(id)
	e.raw(`"/>`)
}

// recurringDayTransition writes a t:RecurringDayTransition to period id
// from rule r: TimeOffset is the local time of day, Occurrence -1 the last
// occurrence of DayOfWeek in Month, as Exchange writes it.
func (e *encoder) recurringDayTransition(id string, r SerializableTimeZoneTime) {
	e.raw(`<t:RecurringDayTransition><t:To Kind="Period">`)
	e.text(id)
	e.raw(`</t:To><t:TimeOffset>`)
	secs := int(r.Time / time.Second)
	d := "PT" + strconv.Itoa(secs/3600) + "H"
	if m := secs / 60 % 60; m != 0 {
		d += strconv.Itoa(m) + "M"
	}
	if s := secs % 60; s != 0 {
		d += strconv.Itoa(s) + "S"
	}
	e.raw(d)
	e.raw(`</t:TimeOffset>`)
	e.elemInt("t:Month", int(r.Month))
	e.elem("t:DayOfWeek", weekdayNames[r.DayOfWeek])
	order := r.DayOrder
	if order == 5 {
		order = -1
	}
	e.elemInt("t:Occurrence", order)
	e.raw(`</t:RecurringDayTransition>`)
}

// formatDurationMinutes writes minutes as an xs:duration: "PT0H", "PT8H",
// "-PT1H", "-PT5H30M".
func formatDurationMinutes(min int) string {
	sign := ""
	if min < 0 {
		sign, min = "-", -min
	}
	d := sign + "PT" + strconv.Itoa(min/60) + "H"
	if m := min % 60; m != 0 {
		d += strconv.Itoa(m) + "M"
	}
	return d
}

// formatUTCOffset writes minutes east of UTC as "+01:00", "-08:00";
// UTC itself is "".
func formatUTCOffset(east int) string {
	if east == 0 {
		return ""
	}
	s := formatOffsetName(east * 60) // "+0100"
	return s[:3] + ":" + s[3:]
}

// encodeTimeZonesResponse writes the GetServerTimeZones response
// ([MS-OXWSGTZ]; messages.xsd GetServerTimeZonesResponseType): one GetServerTimeZonesResponseMessage with
// NoError and the definitions of the requested zones, in request order
// (all zones in table order when req.IDs is nil). Ids the server does not
// know are left out: the response has one message for the whole request,
// so there is nowhere to report them one by one.
func encodeTimeZonesResponse(req *timeZonesRequest, soap12 bool, v *ServerVersionInfo) []byte {
	defs, index := zoneDefinitions()
	e := &encoder{}
	e.envelopeStart(soap12, v)
	e.raw(`<m:GetServerTimeZonesResponse xmlns:m="` + namespaceMessages + `" xmlns:t="` + namespaceTypes + `">`)
	e.raw(`<m:ResponseMessages><m:GetServerTimeZonesResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:TimeZoneDefinitions>`)
	write := func(d *zoneDefinition) {
		if req.Full {
			e.b = append(e.b, d.full...)
		} else {
			e.b = append(e.b, d.short...)
		}
	}
	if req.IDs == nil {
		for i := range defs {
			write(&defs[i])
		}
	} else {
		seen := make(map[int]bool, len(req.IDs))
		for _, id := range req.IDs {
			if i, ok := index[id]; ok && !seen[i] {
				seen[i] = true
				write(&defs[i])
			}
		}
	}
	e.raw(`</m:TimeZoneDefinitions></m:GetServerTimeZonesResponseMessage></m:ResponseMessages></m:GetServerTimeZonesResponse>`)
	e.envelopeEnd()
	return e.b
}

// serveTimeZones answers a decoded GetServerTimeZones request.
func (h *Handler) serveTimeZones(w http.ResponseWriter, req *soapRequest) {
	h.writeOK(w, encodeTimeZonesResponse(req.TimeZones, req.soap12, &h.cfg.version), req.soap12)
}
