package freebusy

import (
	_ "embed"
	"encoding/xml"
	"strings"
	"sync"
)

// windowsZonesXML is a transcribed subset of Unicode CLDR
// common/supplemental/windowsZones.xml; the file's header says what it keeps.
//
//go:embed windowszones.xml
var windowsZonesXML []byte

// cldrRenames maps the ids CLDR's windowsZones.xml still uses to the names
// the tz database has since made canonical (tzdata "backward" file). The
// old names remain links in tzdata, so either loads; WindowsToIANA returns
// the new one and IANAToWindows accepts both.
var cldrRenames = map[string]string{
	"Africa/Asmera":         "Africa/Asmara",
	"America/Buenos_Aires":  "America/Argentina/Buenos_Aires",
	"America/Catamarca":     "America/Argentina/Catamarca",
	"America/Coral_Harbour": "America/Atikokan",
	"America/Cordoba":       "America/Argentina/Cordoba",
	"America/Godthab":       "America/Nuuk",
	"America/Indianapolis":  "America/Indiana/Indianapolis",
	"America/Jujuy":         "America/Argentina/Jujuy",
	"America/Louisville":    "America/Kentucky/Louisville",
	"America/Mendoza":       "America/Argentina/Mendoza",
	"Asia/Calcutta":         "Asia/Kolkata",
	"Asia/Katmandu":         "Asia/Kathmandu",
	"Asia/Rangoon":          "Asia/Yangon",
	"Asia/Saigon":           "Asia/Ho_Chi_Minh",
	"Atlantic/Faeroe":       "Atlantic/Faroe",
	"Europe/Kiev":           "Europe/Kyiv",
	"Pacific/Enderbury":     "Pacific/Kanton",
}

// ianaAliases are further tzdata links that IANAToWindows accepts: the
// short and "US/..." names people and older systems still send.
var ianaAliases = map[string]string{
	"UTC":                  "Etc/UTC",
	"Etc/UCT":              "Etc/UTC",
	"Etc/Universal":        "Etc/UTC",
	"Etc/Zulu":             "Etc/UTC",
	"Etc/GMT0":             "Etc/GMT",
	"Etc/GMT+0":            "Etc/GMT",
	"Etc/GMT-0":            "Etc/GMT",
	"Etc/Greenwich":        "Etc/GMT",
	"GMT":                  "Etc/GMT",
	"US/Eastern":           "America/New_York",
	"US/Central":           "America/Chicago",
	"US/Mountain":          "America/Denver",
	"US/Pacific":           "America/Los_Angeles",
	"US/Alaska":            "America/Anchorage",
	"US/Hawaii":            "Pacific/Honolulu",
	"US/Arizona":           "America/Phoenix",
	"Europe/Nicosia":       "Asia/Nicosia",
	"Asia/Istanbul":        "Europe/Istanbul",
	"Japan":                "Asia/Tokyo",
	"Singapore":            "Asia/Singapore",
	"Hongkong":             "Asia/Hong_Kong",
	"PRC":                  "Asia/Shanghai",
	"ROK":                  "Asia/Seoul",
	"NZ":                   "Pacific/Auckland",
	"Australia/ACT":        "Australia/Sydney",
	"Australia/NSW":        "Australia/Sydney",
	"Australia/Canberra":   "Australia/Sydney",
	"Australia/Victoria":   "Australia/Melbourne",
	"Australia/Queensland": "Australia/Brisbane",
	"Australia/West":       "Australia/Perth",
	"Australia/South":      "Australia/Adelaide",
	"Australia/North":      "Australia/Darwin",
	"Australia/Tasmania":   "Australia/Hobart",
	"Canada/Eastern":       "America/Toronto",
	"Canada/Central":       "America/Winnipeg",
	"Canada/Mountain":      "America/Edmonton",
	"Canada/Pacific":       "America/Vancouver",
	"Canada/Atlantic":      "America/Halifax",
	"Canada/Newfoundland":  "America/St_Johns",
	"Brazil/East":          "America/Sao_Paulo",
	"Mexico/General":       "America/Mexico_City",
	"GB":                   "Europe/London",
	"Eire":                 "Europe/Dublin",
	"Poland":               "Europe/Warsaw",
	"Portugal":             "Europe/Lisbon",
	"Turkey":               "Europe/Istanbul",
	"Israel":               "Asia/Jerusalem",
	"Egypt":                "Africa/Cairo",
	"Iran":                 "Asia/Tehran",
	"W-SU":                 "Europe/Moscow",
}

// windowsZone is one Windows zone id with its IANA zones: Golden is the
// territory "001" zone, Zones every zone listed for it, golden first.
type windowsZone struct {
	ID     string
	Golden string
	Zones  []string
}

// zoneTable is the parsed mapping.
type zoneTable struct {
	zones      []windowsZone  // in file order
	byWindows  map[string]int // Windows id -> index in zones
	byFoldWin  map[string]int // lower-cased Windows id -> index
	byIANA     map[string]int // IANA id (CLDR and canonical spellings) -> index
	byFoldIANA map[string]int // lower-cased IANA id -> index
}

// windowsZones parses the embedded table once. The table is immutable after
// that; a parse failure (impossible for the embedded file, and tested)
// yields an empty table.
var windowsZones = sync.OnceValue(func() *zoneTable {
	t, err := parseWindowsZones(windowsZonesXML)
	if err != nil {
		return &zoneTable{byWindows: map[string]int{}, byFoldWin: map[string]int{}, byIANA: map[string]int{}, byFoldIANA: map[string]int{}}
	}
	return t
})

func parseWindowsZones(data []byte) (*zoneTable, error) {
	var doc struct {
		Zones []struct {
			Other     string `xml:"other,attr"`
			Territory string `xml:"territory,attr"`
			Type      string `xml:"type,attr"`
		} `xml:"windowsZones>mapTimezones>mapZone"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	t := &zoneTable{
		byWindows:  make(map[string]int),
		byFoldWin:  make(map[string]int),
		byIANA:     make(map[string]int),
		byFoldIANA: make(map[string]int),
	}
	// Golden rows first, so that a zone listed under two Windows ids maps
	// back to the one whose golden zone it is.
	for _, golden := range []bool{true, false} {
		for _, z := range doc.Zones {
			if (z.Territory == "001") != golden {
				continue
			}
			i, ok := t.byWindows[z.Other]
			if !ok {
				if !golden {
					continue // a territory row without a golden row
				}
				i = len(t.zones)
				t.zones = append(t.zones, windowsZone{ID: z.Other, Golden: canonicalIANA(z.Type)})
				t.byWindows[z.Other] = i
				t.byFoldWin[strings.ToLower(z.Other)] = i
			}
			for _, id := range strings.Fields(z.Type) {
				t.addIANA(id, i)
				if c, ok := cldrRenames[id]; ok {
					t.addIANA(c, i)
				}
			}
		}
	}
	for alias, target := range ianaAliases {
		if i, ok := t.byIANA[target]; ok {
			t.addIANA(alias, i)
		}
	}
	return t, nil
}

func (t *zoneTable) addIANA(id string, i int) {
	if _, dup := t.byIANA[id]; dup {
		return
	}
	t.byIANA[id] = i
	t.byFoldIANA[strings.ToLower(id)] = i
	z := &t.zones[i]
	z.Zones = append(z.Zones, id)
}

func canonicalIANA(id string) string {
	if c, ok := cldrRenames[id]; ok {
		return c
	}
	return id
}

// WindowsToIANA returns the IANA time zone id for a Windows time zone id
// ("W. Europe Standard Time" -> "Europe/Berlin"), the zone CLDR's
// windowsZones.xml lists for territory "001", spelled as the tz database
// now names it ("India Standard Time" -> "Asia/Kolkata", where CLDR keeps
// "Asia/Calcutta"). EWS TimeZoneContext, Graph dateTimeTimeZone, Outlook's
// iCalendar TZIDs and Notes time-zone strings carry Windows ids; this is the
// one table all of calbridge maps them with. The match is exact first, then case-insensitive; ok is false
// for an id the table does not know.
func WindowsToIANA(windowsID string) (ianaID string, ok bool) {
	t := windowsZones()
	i, ok := t.byWindows[windowsID]
	if !ok {
		i, ok = t.byFoldWin[strings.ToLower(strings.TrimSpace(windowsID))]
	}
	if !ok {
		return "", false
	}
	return t.zones[i].Golden, true
}

// IANAToWindows returns the Windows time zone id for an IANA time zone id
// ("Europe/Amsterdam" -> "W. Europe Standard Time"), from the territory
// rows of CLDR's windowsZones.xml. Both the CLDR spelling and the current
// tz database spelling of renamed zones are accepted ("Asia/Calcutta" and
// "Asia/Kolkata"), as are common links ("US/Eastern", "UTC"). The match is
// exact first, then case-insensitive; ok is false for an id the table does
// not list.
func IANAToWindows(ianaID string) (windowsID string, ok bool) {
	t := windowsZones()
	i, ok := t.byIANA[ianaID]
	if !ok {
		i, ok = t.byFoldIANA[strings.ToLower(strings.TrimSpace(ianaID))]
	}
	if !ok {
		return "", false
	}
	return t.zones[i].ID, true
}

// WindowsZoneIDs returns every Windows time zone id the table knows, in
// the table's order (roughly west to east). Callers that must find the zone
// matching a set of rules (an EWS SerializableTimeZone, a Notes time-zone
// string) try WindowsToIANA of each.
func WindowsZoneIDs() []string {
	zones := windowsZones().zones
	out := make([]string, len(zones))
	for i, z := range zones {
		out[i] = z.ID
	}
	return out
}
