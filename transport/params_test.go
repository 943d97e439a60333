package transport

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func TestDecodeParams(t *testing.T) {
	tests := []struct {
		name, params string
		wantErr      string
		want         freebusy.Query
	}{
		{"absent", ``, "", freebusy.Query{}},
		{"null", `null`, "", freebusy.Query{}},
		{"empty", `{}`, "", freebusy.Query{}},
		{"full", `{"attendees":["a@x","b@x"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","granularityMinutes":15,"detail":"full"}`, "",
			freebusy.Query{Attendees: []string{"a@x", "b@x"}, Start: t0, End: t0.Add(24 * time.Hour), Granularity: 15 * time.Minute, Detail: freebusy.DetailFull}},
		{"case-insensitive like encoding/json", `{"Attendees":["a@x"]}`, "", freebusy.Query{Attendees: []string{"a@x"}}},
		{"spaces and nesting", ` { "attendees" : [ "a,}{\"]x" ] , "start" : "2026-03-02T00:00:00Z" } `, "", freebusy.Query{Attendees: []string{`a,}{"]x`}, Start: t0}},
		{"unknown member", `{"attendees":["a@x"],"atendees":["b@x"]}`, `unknown field "atendees"`, freebusy.Query{}},
		{"unknown after nested value", `{"attendees":[["x"],{"y":1}],"colour":1}`, `unknown field "colour"`, freebusy.Query{}},
		{"escaped unknown key", `{"\u0061ttendees":["a@x"],"\u0078":1}`, `unknown field "x"`, freebusy.Query{}},
		{"escaped known key", `{"\u0061ttendees":["a@x"]}`, "", freebusy.Query{Attendees: []string{"a@x"}}},
		{"array", `[1]`, "params must be an object", freebusy.Query{}},
		{"wrong type", `{"attendees":"a@x"}`, "cannot unmarshal", freebusy.Query{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var q freebusy.Query
			err := decodeParams(json.RawMessage(tc.params), queryMembers(), &q)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, q)
		})
	}
}

// TestJSONMembers: the members accepted are those PROTOCOL.md documents
// (a new Query field must be documented there too, and then added here).
func TestJSONMembers(t *testing.T) {
	assert.ElementsMatch(t, []string{"attendees", "start", "end", "granularityMinutes", "detail"}, queryMembers(), "update PROTOCOL.md calbridge.freebusy params")
	assert.ElementsMatch(t, []string{"version", "token", "client", "forms"}, helloMembers(), "update PROTOCOL.md calbridge.hello params")
	type tagged struct {
		A int `json:"a,omitempty"`
		B int `json:"-"`
		C int
		d int
	}
	assert.Equal(t, []string{"a", "C"}, jsonMembers(reflect.TypeFor[tagged]()))
}

// FuzzDecodeParams checks the one-pass member check against encoding/json's
// own DisallowUnknownFields: for every valid JSON object both must accept
// or both refuse, and decode the same query.
func FuzzDecodeParams(f *testing.F) {
	for _, s := range []string{
		`{"attendees":["a@x","b@x"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","granularityMinutes":30}`,
		`{"attendees":["a@x"],"atendees":["b@x"]}`,
		`{"Attendees":["a@x"],"DETAIL":"full"}`,
		`{"\u0061ttendees":["a"],"x":{"y":[1,{"z":"}"}]}}`,
		`{"attendees":[],"start":null}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || len(bytes.TrimSpace(data)) == 0 || bytes.TrimSpace(data)[0] != '{' {
			return
		}
		var got, want freebusy.Query
		gotErr := decodeParams(data, queryMembers(), &got)
		// freebusy.Query decodes itself, so DisallowUnknownFields judges
		// the members through a mirror of its JSON shape.
		var mirror struct {
			Attendees          []string        `json:"attendees"`
			Start              time.Time       `json:"start"`
			End                time.Time       `json:"end"`
			GranularityMinutes float64         `json:"granularityMinutes"`
			Detail             freebusy.Detail `json:"detail"`
		}
		d := json.NewDecoder(bytes.NewReader(data))
		d.DisallowUnknownFields()
		wantErr := d.Decode(&mirror)
		if wantErr == nil {
			wantErr = json.Unmarshal(data, &want)
		}
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("decodeParams error %v, encoding/json error %v, input %s", gotErr, wantErr, data)
		}
		if gotErr == nil {
			assert.Equal(t, want, got)
		}
	})
}
