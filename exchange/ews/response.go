package ews

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// ResponseOptions tune NewAvailabilityResponse: what a
// GetUserAvailability request would have asked for (§2.4, §2.5).
type ResponseOptions struct {
	// View is the requested view; empty means FreeBusyMerged. Detailed
	// views fall back to their non-detailed form for schedules without
	// events, as the Handler answers.
	View FreeBusyViewType
	// Interval is MergedFreeBusyIntervalInMinutes as a duration; zero
	// means 30 minutes. It must be a whole number of minutes from 5 to
	// 1440 (§2.6).
	Interval time.Duration
	// Location is the zone event times are written in (the request's
	// TimeZone); nil means UTC.
	Location *time.Location
}

// ErrResponseOptions reports ResponseOptions NewAvailabilityResponse
// cannot use.
var ErrResponseOptions = errors.New("ews: invalid response options")

// NewAvailabilityResponse converts the schedules a Source answered q with
// into the GetUserAvailability response the Handler would send for them,
// one FreeBusyResponse per schedule: for tools that write EWS answers
// without serving HTTP (a converter, a cache dump). Failed schedules
// become error response messages with the §2.7 codes.
func NewAvailabilityResponse(q freebusy.Query, schedules []freebusy.Schedule, opt ResponseOptions) (*AvailabilityResponse, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	view := opt.View
	if view == "" {
		view = ViewFreeBusyMerged
	}
	if !view.requestable() {
		return nil, fmt.Errorf("%w: view %q", ErrResponseOptions, view)
	}
	// The interval obeys the granularity rule of queries (whole minutes
	// within freebusy's default limits, 5 to 1440), as the Handler's does.
	slot := cmp.Or(opt.Interval, freebusy.DefaultGranularity)
	withSlot := q
	withSlot.Granularity = slot
	if err := withSlot.Validate(); err != nil {
		return nil, fmt.Errorf("%w: interval %v: %w", ErrResponseOptions, slot, err)
	}
	start, end := q.Start.UTC(), q.End.UTC()
	params := viewParams{View: view, Start: start, End: end, Slot: slot, Location: opt.Location, hours: &hoursCache{}}
	resp := &AvailabilityResponse{Responses: make([]FreeBusyResponse, len(schedules))}
	for i := range schedules {
		resp.Responses[i] = freeBusyResponseOf(&schedules[i], params)
	}
	return resp, nil
}

// EncodeAvailabilityResponse writes resp as a SOAP 1.1
// GetUserAvailabilityResponse envelope, with the ServerVersionInfo header
// of DefaultServerVersion, as the Handler writes it.
func EncodeAvailabilityResponse(w io.Writer, resp *AvailabilityResponse) error {
	if resp == nil {
		return fmt.Errorf("%w: nil response", ErrResponseOptions)
	}
	return encodeAvailabilityResponse(w, resp, false)
}
