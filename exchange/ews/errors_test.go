package ews

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

func TestResponseErrorMatchesSentinels(t *testing.T) {
	err := error(&ResponseError{Mailbox: "a@x", Code: exchange.CodeServerBusy, Message: "slow down", BackOff: time.Second})
	assert.ErrorIs(t, err, freebusy.ErrThrottled)
	assert.NotErrorIs(t, err, freebusy.ErrTimeout)
	assert.Equal(t, `ews: "a@x": ErrorServerBusy: slow down`, err.Error())
	assert.Equal(t, freebusy.ReasonThrottled, freebusy.ReasonOf(err))

	f := error(&SOAPFault{Code: "a:ErrorInvalidTimeInterval", ResponseCode: exchange.CodeInvalidTimeInterval, String: "bad window"})
	assert.ErrorIs(t, f, freebusy.ErrInvalid)
	assert.Equal(t, "ews: soap fault ErrorInvalidTimeInterval: bad window", f.Error())

	de := &DecodeError{Message: "request", Element: "StartTime", Offset: 42, Err: ErrBadValue, Detail: `"x"`}
	assert.ErrorIs(t, de, ErrBadValue)
	assert.ErrorIs(t, de, freebusy.ErrInvalid)
	assert.Equal(t, `ews: decode request: StartTime: invalid element value: "x" (offset 42)`, de.Error())
	assert.True(t, errors.Is(&TimeZoneError{Field: "Bias"}, freebusy.ErrInvalid))
}

// Source: docs/exchange.md §6 — BusyType ↔ canonical status.
func TestBusyTypeMap(t *testing.T) {
	pairs := []struct {
		b BusyType
		s freebusy.Status
	}{
		{BusyFree, freebusy.Free}, {BusyTentative, freebusy.Tentative}, {BusyBusy, freebusy.Busy},
		{BusyOOF, freebusy.OutOfOffice}, {BusyWorkingElsewhere, freebusy.WorkingElsewhere}, {BusyNoData, freebusy.Unknown},
	}
	for _, p := range pairs {
		s, ok := p.b.status()
		assert.True(t, ok)
		assert.Equal(t, p.s, s, string(p.b))
		assert.Equal(t, p.b, busyTypeOf(p.s), p.s.String())
	}
	_, ok := BusyType("Sleeping").status()
	assert.False(t, ok)
}

// Source: docs/exchange.md §2.5 — view downgrade rules.
func TestViewTypes(t *testing.T) {
	assert.Equal(t, ViewFreeBusy, ViewDetailed.withoutDetails())
	assert.Equal(t, ViewFreeBusyMerged, ViewDetailedMerged.withoutDetails())
	assert.Equal(t, ViewMergedOnly, ViewMergedOnly.withoutDetails())
	assert.False(t, ViewNone.requestable())
	assert.True(t, ViewMergedOnly.merged())
	assert.False(t, ViewMergedOnly.hasEvents())
	assert.True(t, ViewDetailedMerged.merged() && ViewDetailedMerged.hasEvents() && ViewDetailedMerged.detailed())
}
