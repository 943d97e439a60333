package publicfolder

import (
	"context"
	"errors"

	"github.com/calbridge/calbridge/internal/fanout"

	"github.com/calbridge/calbridge/freebusy"
	"go.uber.org/zap"
)

// Lookup fetches the public-folder free/busy message of one attendee,
// from wherever the caller keeps the public store (MAPI, WebDAV, a cache, a
// file; SiteFolder, Subject and WebDAVPath name the message). It returns
// (nil, nil) when the attendee has no message. It must honour ctx.
type Lookup func(ctx context.Context, attendee string) (*Message, error)

// Source answers free/busy queries from public-folder free/busy messages,
// as Exchange's availability service does for mailboxes whose free/busy
// lives in the public store (§2.5). It is a freebusy.Source, safe for
// concurrent use when its lookup is.
//
// Each attendee's message is decoded over the query window with Decode:
// time outside the published range is Unknown, and AsOf is the message's
// RangeTimestamp, so callers can judge freshness. An attendee without a
// message fails with ReasonUnknownAttendee, one whose message does not
// decode with ReasonInvalid, one whose lookup failed with that error's
// reason (freebusy.ReasonOf), and one not looked up before ctx ended with
// ReasonTimeout (ReasonUnavailable when cancelled).
type Source struct {
	lookup Lookup
	cfg    sourceConfig
	log    *zap.Logger
}

var _ freebusy.Source = (*Source)(nil)

// errNoLookup is the error for a Source without lookup function.
var errNoLookup = errors.New("publicfolder: source has no lookup function")

// NewSource returns a source reading messages through lookup. It reads
// WithConcurrency (lookups run at once), WithLimits and WithLogger, and
// fails with an error matching ErrInvalidOption, naming the first option
// given a value it cannot take, or with an error when lookup is nil.
func NewSource(lookup Lookup, opts ...Option) (*Source, error) {
	if lookup == nil {
		return nil, errNoLookup
	}
	cfg, err := newSourceConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Source{lookup: lookup, cfg: cfg, log: cfg.Logger.Named("publicfolder")}, nil
}

// FreeBusy implements freebusy.Source. It returns an error only for a query
// outside the limits, a Source not made by NewSource (ReasonUnavailable),
// or a ctx that ended before any lookup finished.
func (p *Source) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if err := p.cfg.Limits.Validate(q); err != nil {
		return nil, err
	}
	if p.lookup == nil {
		return nil, freebusy.NewError("", freebusy.ReasonUnavailable, errNoLookup)
	}
	q.Start, q.End = q.Start.UTC(), q.End.UTC()
	out := make([]freebusy.Schedule, len(q.Attendees))
	fanout.Run(ctx, len(q.Attendees), p.cfg.Concurrency, func(i int) {
		out[i] = p.one(ctx, q.Attendees[i], q)
	}, func(i int, err *freebusy.Error) {
		out[i] = freebusy.Failed(q.Attendees[i], q.Start, q.End, err.Reason, err.Cause)
	})
	answered := false
	for i, a := range q.Attendees {
		s := &out[i]
		if s.Err == nil {
			answered = true
			continue
		}
		// A lookup that returned because ctx ended did not answer either,
		// nor did one never started (its cause is ctx.Err() too).
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(s.Err.Cause, ctxErr) {
			*s = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonOf(ctxErr), ctxErr)
			continue
		}
		answered = true
	}
	if !answered {
		return nil, fanout.Err(ctx)
	}
	p.log.Debug("public-folder free/busy", zap.Int("attendees", len(q.Attendees)))
	return out, nil
}

// one answers for one attendee.
func (p *Source) one(ctx context.Context, attendee string, q freebusy.Query) freebusy.Schedule {
	m, err := p.lookup(ctx, attendee)
	switch {
	case err != nil:
		return freebusy.Failed(attendee, q.Start, q.End, freebusy.ReasonOf(err), err)
	case m == nil:
		return freebusy.Failed(attendee, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
	}
	s, err := Decode(m, DecodeOptions{Attendee: attendee, Start: q.Start, End: q.End})
	if err != nil {
		return freebusy.Failed(attendee, q.Start, q.End, freebusy.ReasonInvalid, err)
	}
	return s
}
