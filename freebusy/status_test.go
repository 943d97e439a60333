package freebusy

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatusZeroValueIsUnknown(t *testing.T) {
	var s Status
	assert.Equal(t, Unknown, s)
	assert.False(t, s.Available(), "a Status nobody set must not read as available")
}

func TestStatusStringParseRoundTrip(t *testing.T) {
	tests := []struct {
		status Status
		name   string
	}{
		{Unknown, "unknown"},
		{Free, "free"},
		{Tentative, "tentative"},
		{Busy, "busy"},
		{OutOfOffice, "out-of-office"},
		{WorkingElsewhere, "working-elsewhere"},
	}
	require.Len(t, tests, numStatuses, "every declared status is in the table")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.True(t, tt.status.Valid())
			assert.Equal(t, tt.name, tt.status.String())
			got, err := ParseStatus(tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.status, got)

			text, err := tt.status.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, tt.name, string(text))
			var back Status
			require.NoError(t, back.UnmarshalText(text))
			assert.Equal(t, tt.status, back)
		})
	}
}

func TestParseStatusSpellings(t *testing.T) {
	tests := []struct {
		in   string
		want Status
	}{
		{"BUSY", Busy},
		{"  Free ", Free},
		{"oof", OutOfOffice},
		{"OOF", OutOfOffice},
		{"OutOfOffice", OutOfOffice},
		{"out_of_office", OutOfOffice},
		{"away", OutOfOffice},
		{"BUSY-UNAVAILABLE", OutOfOffice},
		{"BUSY-TENTATIVE", Tentative},
		{"NoData", Unknown},
		{"no-data", Unknown},
		{"no_data", Unknown},
		{"workingElsewhere", WorkingElsewhere},
		{"working_elsewhere", WorkingElsewhere},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseStatus(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseStatusRejects(t *testing.T) {
	for _, in := range []string{"", "busyish", "4", "X-CALBRIDGE-UNKNOWN-THING", "free busy"} {
		t.Run(in, func(t *testing.T) {
			got, err := ParseStatus(in)
			require.Error(t, err)
			assert.Equal(t, Unknown, got)
			pe, ok := errors.AsType[*ParseError](err)
			require.True(t, ok, "want *ParseError, got %T", err)
			assert.Equal(t, "status", pe.Kind)
			assert.Equal(t, in, pe.Input)
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestStatusUndeclared(t *testing.T) {
	s := Status(numStatuses)
	assert.False(t, s.Valid())
	assert.Equal(t, "Status(6)", s.String())
	assert.Equal(t, -1, s.Precedence())
	assert.False(t, s.Available())
	_, err := s.MarshalText()
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Less(t, s.Precedence(), Unknown.Precedence(), "an undeclared status never wins")

	var back Status = Busy
	assert.Error(t, back.UnmarshalText([]byte("nonsense")))
	assert.Equal(t, Busy, back, "a failed unmarshal leaves the value alone")
}

func TestStatusPrecedence(t *testing.T) {
	// docs/mapping.md §2 and §5: OutOfOffice > Busy > Tentative >
	// WorkingElsewhere > Free, Unknown only where nothing is known.
	order := []Status{Unknown, Free, WorkingElsewhere, Tentative, Busy, OutOfOffice}
	for i := 1; i < len(order); i++ {
		assert.Greater(t, order[i].Precedence(), order[i-1].Precedence(), "%s above %s", order[i], order[i-1])
	}
}

func TestStatusAvailable(t *testing.T) {
	want := map[Status]bool{Unknown: false, Free: true, Tentative: false, Busy: false, OutOfOffice: false, WorkingElsewhere: true}
	for s, avail := range want {
		assert.Equal(t, avail, s.Available(), s.String())
	}
}

func TestStatusJSON(t *testing.T) {
	b, err := json.Marshal(map[string]Status{"a": OutOfOffice})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":"out-of-office"}`, string(b))
	var back map[string]Status
	require.NoError(t, json.Unmarshal([]byte(`{"a":"OOF"}`), &back))
	assert.Equal(t, OutOfOffice, back["a"])
	assert.Error(t, json.Unmarshal([]byte(`{"a":3}`), &back), "numbers are not statuses: the numeric values are not wire digits")
}

func TestDetailText(t *testing.T) {
	for _, d := range []Detail{DetailStatus, DetailFull} {
		text, err := d.MarshalText()
		require.NoError(t, err)
		var back Detail
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, d, back)
	}
	var d Detail
	require.NoError(t, d.UnmarshalText(nil))
	assert.Equal(t, DetailStatus, d, "empty text is the default")
	assert.ErrorIs(t, d.UnmarshalText([]byte("everything")), ErrInvalid)
	_, err := Detail(7).MarshalText()
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, "Detail(7)", Detail(7).String())
}
