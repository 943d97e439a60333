package publicfolder

import (
	"context"
	"errors"
	"sync"

	"github.com/calbridge/calbridge/internal/fanout"

	"github.com/calbridge/calbridge/freebusy"
	"go.uber.org/zap"
)

// PublicFolderLookup fetches the public-folder free/busy message of one
// attendee, from wherever the caller keeps the public store (MAPI, WebDAV,
// a cache, a file). It returns (nil, nil) when the attendee has no message.
// It must honour ctx.
type PublicFolderLookup func(ctx context.Context, attendee string) (*PublicFolderMessage, error)

// PublicFolderSource answers free/busy queries from public-folder free/busy
// messages, as Exchange's availability service does for legacy mailboxes
// (exchange-freebusy.md §2.5). It is a freebusy.Source, safe for concurrent
// use when its lookup is.
//
// Each attendee's message is decoded over the query window with
// DecodePublicFolder: time outside the published range is Unknown, and
// AsOf is the message's RangeTimestamp, so callers can judge freshness. An
// attendee without a message fails with ReasonUnknownAttendee, one whose
// message does not decode with ReasonInvalid, one whose lookup failed with
// that error's reason (freebusy.ReasonOf), and one not looked up before ctx
// ended with ReasonTimeout (ReasonUnavailable when cancelled).
type PublicFolderSource struct {
	lookup PublicFolderLookup
	opts   options
	log    *zap.Logger
}

var _ freebusy.Source = (*PublicFolderSource)(nil)

// NewPublicFolderSource returns a source reading messages through lookup.
// It reads WithConcurrency (lookups run at once), WithLimits and WithLogger.
// A nil lookup makes every query fail with ReasonUnavailable.
func NewPublicFolderSource(lookup PublicFolderLookup, opts ...Option) *PublicFolderSource {
	o := newOptions(opts)
	return &PublicFolderSource{lookup: lookup, opts: o, log: o.logger.Named("publicfolder")}
}

// errNoLookup is the cause when the source has no lookup function.
var errNoLookup = errors.New("exchange: public-folder source has no lookup")

// FreeBusy implements freebusy.Source. It returns an error only for a query
// outside the limits, a source without lookup, or a ctx that ended before
// any lookup finished.
func (p *PublicFolderSource) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if err := p.opts.limits.Validate(q); err != nil {
		return nil, err
	}
	if p.lookup == nil {
		return nil, freebusy.NewError("", freebusy.ReasonUnavailable, errNoLookup)
	}
	q.Start, q.End = q.Start.UTC(), q.End.UTC()
	out := make([]freebusy.Schedule, len(q.Attendees))
	done := make([]bool, len(q.Attendees))
	sem := make(chan struct{}, p.opts.concurrency)
	var wg sync.WaitGroup
	for i, a := range q.Attendees {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], done[i] = p.one(ctx, a, q), true
		}()
	}
	wg.Wait()
	answered := false
	for i, a := range q.Attendees {
		// A lookup that returned because ctx ended did not answer either.
		if !done[i] || (out[i].Err != nil && ctx.Err() != nil && errors.Is(out[i].Err.Cause, ctx.Err())) {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonOf(ctx.Err()), ctx.Err())
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
func (p *PublicFolderSource) one(ctx context.Context, attendee string, q freebusy.Query) freebusy.Schedule {
	m, err := p.lookup(ctx, attendee)
	switch {
	case err != nil:
		return freebusy.Failed(attendee, q.Start, q.End, freebusy.ReasonOf(err), err)
	case m == nil:
		return freebusy.Failed(attendee, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
	}
	s, err := DecodePublicFolder(m, PublicFolderDecodeOptions{Attendee: attendee, Start: q.Start, End: q.End})
	if err != nil {
		return freebusy.Failed(attendee, q.Start, q.End, freebusy.ReasonInvalid, err)
	}
	return s
}
