package ews

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
)

// gtzRequest is a GetServerTimeZones request as Python exchangelib 4.9
// writes it (services/get_server_time_zones.py): the attribute always
// present, m:Ids only when zones are named.
func gtzRequest(full string, ids ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version='1.0' encoding='utf-8'?><s:Envelope xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header><s:Body><m:GetServerTimeZones`)
	if full != "" {
		b.WriteString(` ReturnFullTimeZoneData="` + full + `"`)
	}
	b.WriteString(`>`)
	if ids != nil {
		b.WriteString(`<m:Ids>`)
		for _, id := range ids {
			b.WriteString(`<t:Id>` + id + `</t:Id>`)
		}
		b.WriteString(`</m:Ids>`)
	}
	b.WriteString(`</m:GetServerTimeZones></s:Body></s:Envelope>`)
	return []byte(b.String())
}

// The wire shape of a GetServerTimeZones answer ([MS-OXWSGTZ];
// types.xsd TimeZoneDefinitionType), read back with encoding/xml.
type gtzEnvelope struct {
	Header struct {
		Version struct {
			Major   int    `xml:"MajorVersion,attr"`
			Minor   int    `xml:"MinorVersion,attr"`
			Version string `xml:"Version,attr"`
		} `xml:"http://schemas.microsoft.com/exchange/services/2006/types ServerVersionInfo"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
	Message struct {
		Class string         `xml:"ResponseClass,attr"`
		Code  string         `xml:"http://schemas.microsoft.com/exchange/services/2006/messages ResponseCode"`
		Defs  []gtzDefintion `xml:"TimeZoneDefinitions>TimeZoneDefinition"`
	} `xml:"Body>GetServerTimeZonesResponse>ResponseMessages>GetServerTimeZonesResponseMessage"`
}

type gtzDefintion struct {
	ID      string `xml:"Id,attr"`
	Name    string `xml:"Name,attr"`
	Periods []struct {
		Bias string `xml:"Bias,attr"`
		Name string `xml:"Name,attr"`
		ID   string `xml:"Id,attr"`
	} `xml:"Periods>Period"`
	Groups []struct {
		ID        string `xml:"Id,attr"`
		Recurring []struct {
			To         string `xml:"To"`
			TimeOffset string
			Month      int
			DayOfWeek  string
			Occurrence int
		} `xml:"RecurringDayTransition"`
		Plain []struct {
			To string `xml:"To"`
		} `xml:"Transition"`
	} `xml:"TransitionsGroups>TransitionsGroup"`
	Transitions struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"Transitions"`
}

func serveGTZ(t *testing.T, h http.Handler, body []byte) gtzEnvelope {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(body)))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var env gtzEnvelope
	require.NoError(t, xml.Unmarshal(rec.Body.Bytes(), &env))
	return env
}

// Source: [MS-OXWSGTZ] — without m:Ids every zone is listed;
// without full data only Id and Name.
func TestGetServerTimeZonesAll(t *testing.T) {
	h := newTestHandler(t, &recordingSource{})
	env := serveGTZ(t, h, gtzRequest("false"))
	assert.Equal(t, "Success", env.Message.Class)
	assert.Equal(t, "NoError", env.Message.Code)
	assert.Equal(t, 15, env.Header.Version.Major)
	assert.Equal(t, "Exchange2016", env.Header.Version.Version)
	require.Greater(t, len(env.Message.Defs), 100, "every Windows zone of the table")
	ids := map[string]bool{}
	for _, d := range env.Message.Defs {
		assert.NotEmpty(t, d.Name, d.ID)
		assert.Empty(t, d.Periods, "no rules without ReturnFullTimeZoneData")
		ids[d.ID] = true
	}
	for _, id := range []string{"UTC", "Pacific Standard Time", "W. Europe Standard Time", "India Standard Time"} {
		assert.True(t, ids[id], id)
	}
}

// Source: [MS-OXWSGTZ] and types.xsd — full data for the zones
// named, in request order, ids the server does not know left out.
func TestGetServerTimeZonesFullFiltered(t *testing.T) {
	h := newTestHandler(t, &recordingSource{})
	for _, full := range []string{"true", ""} { // absent means full
		env := serveGTZ(t, h, gtzRequest(full, "W. Europe Standard Time", "No Such Zone", "India Standard Time", "Pacific Standard Time", "W. Europe Standard Time"))
		require.Len(t, env.Message.Defs, 3)
		berlin, india, pacific := env.Message.Defs[0], env.Message.Defs[1], env.Message.Defs[2]
		assert.Equal(t, "W. Europe Standard Time", berlin.ID)
		assert.Equal(t, "(UTC+01:00) Europe/Berlin", berlin.Name)
		assert.Equal(t, "India Standard Time", india.ID)

		// Europe/Berlin kept one rule from 2000 on: one group, two periods.
		require.Len(t, berlin.Groups, 1)
		require.Len(t, berlin.Periods, 2)
		assert.Equal(t, "-PT1H", berlin.Periods[0].Bias)
		assert.Equal(t, "Standard", berlin.Periods[0].Name)
		assert.Equal(t, "-PT2H", berlin.Periods[1].Bias)
		assert.Equal(t, "Daylight", berlin.Periods[1].Name)
		g := berlin.Groups[0]
		assert.Equal(t, "0", g.ID)
		require.Len(t, g.Recurring, 2)
		dst, std := g.Recurring[0], g.Recurring[1]
		assert.Equal(t, berlin.Periods[1].ID, dst.To)
		assert.Equal(t, "PT2H", dst.TimeOffset)
		assert.Equal(t, 3, dst.Month)
		assert.Equal(t, "Sunday", dst.DayOfWeek)
		assert.Equal(t, -1, dst.Occurrence, "last Sunday of March")
		assert.Equal(t, berlin.Periods[0].ID, std.To)
		assert.Equal(t, "PT3H", std.TimeOffset)
		assert.Equal(t, 10, std.Month)
		assert.Contains(t, string(berlin.Transitions.Inner), `<t:Transition><t:To Kind="Group">0</t:To></t:Transition>`)

		// India has no daylight time: one period, one plain transition.
		require.Len(t, india.Groups, 1)
		require.Len(t, india.Periods, 1)
		assert.Equal(t, "-PT5H30M", india.Periods[0].Bias)
		require.Len(t, india.Groups[0].Plain, 1)
		assert.Equal(t, india.Periods[0].ID, india.Groups[0].Plain[0].To)

		// The US changed its rule in 2007: two groups, the second switched
		// to on 1 January 2007, second Sunday of March at 02:00.
		require.Len(t, pacific.Groups, 2)
		assert.Equal(t, 4, pacific.Groups[0].Recurring[0].Month)
		assert.Equal(t, 3, pacific.Groups[1].Recurring[0].Month)
		assert.Equal(t, 2, pacific.Groups[1].Recurring[0].Occurrence)
		assert.Equal(t, "PT8H", pacific.Periods[0].Bias)
		assert.Contains(t, string(pacific.Transitions.Inner), `<t:AbsoluteDateTransition><t:To Kind="Group">1</t:To><t:DateTime>2007-01-01T00:00:00</t:DateTime></t:AbsoluteDateTransition>`)
	}
}

// Every full definition is consistent: each transition targets a period or
// group that exists, group Ids sort as strings in time order (Python
// exchangelib sorts them so), and the rule the groups give for a year is
// the one tzdata gives (the round trip through SerializableTimeZone).
func TestGetServerTimeZonesDefinitionsConsistent(t *testing.T) {
	defs, _ := zoneDefinitions()
	require.NotEmpty(t, defs)
	for _, d := range defs {
		var def gtzDefintion
		require.NoError(t, xml.Unmarshal(d.full, &def), d.id)
		periods := map[string]string{}
		for _, p := range def.Periods {
			periods[p.ID] = p.Name
		}
		for i, g := range def.Groups {
			if i > 0 {
				assert.Less(t, def.Groups[i-1].ID, g.ID, "%s: group Ids sort in order", d.id)
			}
			n := len(g.Recurring) + len(g.Plain)
			assert.True(t, n == 1 || len(g.Recurring) == 2, "%s: a group has one plain or two recurring transitions", d.id)
			for _, r := range g.Recurring {
				assert.Contains(t, periods, r.To, d.id)
				assert.True(t, r.Occurrence == -1 || r.Occurrence >= 1 && r.Occurrence <= 4, d.id)
			}
			for _, r := range g.Plain {
				assert.Equal(t, "Standard", periods[r.To], d.id)
			}
		}
	}
}

// An operation the Handler does not serve gets an EWS fault: HTTP 500,
// ErrorInvalidOperation and the ServerVersionInfo header, which is what a
// client probing for the version (exchangelib's ConvertId) needs.
func TestHandlerUnsupportedOperation(t *testing.T) {
	h := newTestHandler(t, &recordingSource{}, WithServerVersion(ServerVersionInfo{MajorVersion: 15, MinorVersion: 2, MajorBuildNumber: 1118, MinorBuildNumber: 7, Version: "Exchange2019"}))
	probe := `<?xml version='1.0' encoding='utf-8'?><s:Envelope xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2019"/></s:Header><s:Body><m:ConvertId DestinationFormat="EntryId"><m:SourceIds><t:AlternateId Id="DUMMY" Format="EwsId" Mailbox="DUMMY"/></m:SourceIds></m:ConvertId></s:Body></s:Envelope>`
	for _, body := range []string{probe, strings.Replace(probe, "m:ConvertId", "m:ResolveNames", 2)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", strings.NewReader(body)))
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Equal(t, contentTypeSOAP11, rec.Header().Get("Content-Type"))
		var env struct {
			Version struct {
				Major int    `xml:"MajorVersion,attr"`
				Build int    `xml:"MajorBuildNumber,attr"`
				Name  string `xml:"Version,attr"`
			} `xml:"Header>ServerVersionInfo"`
			FaultCode string `xml:"Body>Fault>faultcode"`
			Code      string `xml:"Body>Fault>detail>ResponseCode"`
		}
		require.NoError(t, xml.Unmarshal(rec.Body.Bytes(), &env))
		assert.Equal(t, 15, env.Version.Major)
		assert.Equal(t, 1118, env.Version.Build)
		assert.Equal(t, "Exchange2019", env.Version.Name)
		assert.Equal(t, "a:ErrorInvalidOperation", env.FaultCode)
		assert.Equal(t, "ErrorInvalidOperation", env.Code)
	}
}

// Every answer carries the header: success, request faults, decode
// faults, in SOAP 1.1 and 1.2.
func TestHandlerVersionHeaderOnEveryAnswer(t *testing.T) {
	h := newTestHandler(t, &recordingSource{})
	ok := encodeRequest(t, utcRequest(ViewFreeBusy, 30, utc(2024, 3, 5, 0, 0), utc(2024, 3, 6, 0, 0), "a@example.com"))
	refused := encodeRequest(t, utcRequest(ViewFreeBusy, 30, utc(2024, 3, 5, 0, 0), utc(2024, 9, 6, 0, 0), "a@example.com"))
	for name, body := range map[string][]byte{
		"ok": ok, "refused": refused, "malformed": []byte("<soap:Envelope"), "soap12": asSOAP12(t, ok), "soap12 refused": asSOAP12(t, refused),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(body)))
		assert.Contains(t, rec.Body.String(), `<h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="Exchange2016" xmlns:h="`+namespaceTypes+`"`, name)
		_, err := DecodeAvailabilityResponse(rec.Body)
		if name == "ok" || name == "soap12" {
			assert.NoError(t, err, name)
		} else {
			assert.ErrorAs(t, err, new(*SOAPFault), name)
		}
	}
}

func TestDecodeTimeZonesRequest(t *testing.T) {
	op, err := decodeOperation(bytes.NewReader(gtzRequest("false", "UTC", " Pacific Standard Time ")), xmlLimits{bytes: MaxRequestBytes})
	require.NoError(t, err)
	assert.Equal(t, opGetServerTimeZones, op.Operation)
	assert.Equal(t, &timeZonesRequest{Full: false, IDs: []string{"UTC", "Pacific Standard Time"}}, op.TimeZones)
	assert.Equal(t, "Exchange2016", op.Availability.ServerVersion)

	op, err = decodeOperation(bytes.NewReader(gtzRequest("1")), xmlLimits{bytes: MaxRequestBytes})
	require.NoError(t, err)
	assert.Equal(t, &timeZonesRequest{Full: true}, op.TimeZones)

	_, err = decodeOperation(bytes.NewReader(gtzRequest("maybe")), xmlLimits{bytes: MaxRequestBytes})
	assert.ErrorIs(t, err, ErrBadValue)

	// A bad attribute is a schema fault at the Handler.
	h := newTestHandler(t, &recordingSource{})
	_, err, status := serve(t, h, gtzRequest("maybe"))
	assert.Equal(t, http.StatusInternalServerError, status)
	var f *SOAPFault
	require.ErrorAs(t, err, &f)
	assert.Equal(t, exchange.CodeSchemaValidation, f.ResponseCode)
}

func TestFormatDurations(t *testing.T) {
	assert.Equal(t, "PT0H", formatDurationMinutes(0))
	assert.Equal(t, "PT8H", formatDurationMinutes(480))
	assert.Equal(t, "-PT5H30M", formatDurationMinutes(-330))
	assert.Equal(t, "-PT12H45M", formatDurationMinutes(-765))
	assert.Empty(t, formatUTCOffset(0))
	assert.Equal(t, "+05:45", formatUTCOffset(345))
	assert.Equal(t, "-03:30", formatUTCOffset(-210))
	var e encoder
	e.recurringDayTransition("p", SerializableTimeZoneTime{Time: 2*time.Hour + 30*time.Minute + 15*time.Second, DayOrder: 2, Month: 3, DayOfWeek: time.Friday})
	assert.Equal(t, `<t:RecurringDayTransition><t:To Kind="Period">p</t:To><t:TimeOffset>PT2H30M15S</t:TimeOffset><t:Month>3</t:Month><t:DayOfWeek>Friday</t:DayOfWeek><t:Occurrence>2</t:Occurrence></t:RecurringDayTransition>`, string(e.b))
}
