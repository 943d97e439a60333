package router

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
	"github.com/calbridge/calbridge/internal/fanout"
)

// Conditions a router reports in a schedule's error; match them with
// errors.Is.
var (
	// ErrLoop: the query had already made the most gateway hops allowed
	// (WithMaxHops), so gateways are forwarding it in a circle. The
	// attendee's schedule fails with freebusy.ReasonInvalid.
	ErrLoop = errors.New("router: query loop: too many gateway hops")
	// ErrNoSide: the directory put the attendee on a side the router has
	// no Source for, or gave it no address: a configuration mistake. The
	// attendee's schedule fails with freebusy.ReasonInternal.
	ErrNoSide = errors.New("router: no source for the attendee's side")
)

// Resolver tells a router which side owns an attendee and by which address
// that side's Source knows them. An attendee it does not know is an error
// matching freebusy.ErrUnknownAttendee (freebusy.ReasonOf classifies it
// as ReasonUnknownAttendee); any other error fails that attendee with its
// reason. *directory.Table (freebusy/directory) is a Resolver.
// Implementations are safe for concurrent use.
type Resolver interface {
	Resolve(ctx context.Context, attendee string) (side, address string, err error)
}

// Source is a freebusy.Source that routes each attendee to the Source of
// its side (see the package documentation). It is safe for concurrent use.
type Source struct {
	dir   Resolver
	sides map[string]freebusy.Source
	cfg   routerConfig
}

var _ freebusy.Source = (*Source)(nil)

// New returns a Source that resolves attendees through dir and asks
// sides[side] for them, side being what dir resolved them to. sides maps each side label the directory
// uses to its Source, and must name at least one; New copies it. A nil
// dir or Source, or an invalid option (ErrInvalidOption), is an error.
func New(dir Resolver, sides map[string]freebusy.Source, opts ...Option) (*Source, error) {
	if dir == nil {
		return nil, errors.New("router: nil directory")
	}
	if len(sides) == 0 {
		return nil, errors.New("router: no sides")
	}
	for name, src := range sides {
		if src == nil {
			return nil, fmt.Errorf("router: nil source for side %q", name)
		}
	}
	c := routerConfig{Common: config.Defaults(), maxBatch: DefaultMaxBatch, maxHops: DefaultMaxHops, reserve: DefaultReserve}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return &Source{dir: dir, sides: maps.Clone(sides), cfg: c}, nil
}

// batch is one backend query: some attendees of one side.
type batch struct {
	side  string
	src   freebusy.Source
	addrs []string // unique person addresses
	who   [][]int  // for each address, the query indices asking for it
}

// outcome is a batch's answer.
type outcome struct {
	i      int
	scheds []freebusy.Schedule
	err    error
}

// FreeBusy implements freebusy.Source. It returns an error only for an
// invalid query (a *freebusy.QueryError) or a context that ended before
// it started; every other failure is an attendee's schedule error, and by
// the deadline (less the reserve) the attendees whose backends have not
// answered fail with freebusy.ReasonTimeout.
func (r *Source) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if err := r.cfg.Limits.Validate(q); err != nil {
		return nil, err
	}
	if err := fanout.Err(ctx); err != nil {
		return nil, err
	}
	log := r.cfg.Logger
	hops := freebusy.Hops(ctx)
	if hops >= r.cfg.maxHops {
		log.Warn("router: refused a query that loops between gateways", zap.Int("hops", hops), zap.Int("maxHops", r.cfg.maxHops), zap.Int("attendees", len(q.Attendees)))
		return freebusy.FailAll(q, freebusy.ReasonInvalid, ErrLoop), nil
	}
	began := time.Now()
	ctx, cancel := r.bound(ctx)
	defer cancel()

	out := make([]freebusy.Schedule, len(q.Attendees))
	fail := func(i int, err error) { out[i] = failed(q, i, err) }
	batches := r.plan(ctx, q, fail)

	done := make([]bool, len(batches))
	results := make(chan outcome, len(batches)) // never blocks a sender
	subHops := freebusy.WithHops(ctx, hops+1)
	go fanout.Run(ctx, len(batches), r.cfg.Concurrency, func(i int) {
		b := batches[i]
		sq := freebusy.Query{Attendees: b.addrs, Start: q.Start, End: q.End, Granularity: q.Granularity, Detail: q.Detail}
		scheds, err := b.src.FreeBusy(subHops, sq)
		if err == nil {
			err = freebusy.CheckResult(sq, scheds)
		}
		results <- outcome{i: i, scheds: scheds, err: err}
	}, func(i int, err *freebusy.Error) {
		results <- outcome{i: i, err: err}
	})
	apply := func(o outcome) {
		done[o.i] = true
		b := batches[o.i]
		if o.err != nil {
			log.Warn("router: backend query failed", zap.String("side", b.side), zap.Int("attendees", len(b.addrs)), zap.Stringer("reason", freebusy.ReasonOf(o.err)))
			log.Debug("router: backend query failed", zap.String("side", b.side), zap.Error(o.err))
		}
		for j, idxs := range b.who {
			for k, i := range idxs {
				if o.err != nil {
					fail(i, o.err)
					continue
				}
				out[i] = rename(o.scheds[j], q.Attendees[i], k > 0)
			}
		}
	}
	pending := len(batches)
wait:
	for pending > 0 {
		select {
		case o := <-results:
			apply(o)
			pending--
		case <-ctx.Done():
			break wait
		}
	}
	for drained := false; pending > 0 && !drained; {
		select {
		case o := <-results:
			apply(o)
			pending--
		default:
			drained = true
		}
	}
	if pending > 0 {
		late := fanout.Err(ctx)
		for i, b := range batches {
			if done[i] {
				continue
			}
			for _, idxs := range b.who {
				for _, k := range idxs {
					fail(k, late)
				}
			}
		}
	}
	if log.Core().Enabled(zap.DebugLevel) {
		failedN := 0
		for i := range out {
			if out[i].Err != nil {
				failedN++
			}
		}
		log.Debug("router: query answered", zap.Int("attendees", len(q.Attendees)), zap.Int("failed", failedN),
			zap.Int("batches", len(batches)), zap.Int("unanswered", pending), zap.Int("hops", hops), zap.Duration("took", time.Since(began)))
	}
	return out, nil
}

// bound gives ctx the deadline the router answers by: the caller's, less
// the reserve (at most a quarter of the time left).
func (r *Source) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok || r.cfg.reserve == 0 {
		return context.WithCancel(ctx)
	}
	reserve := min(r.cfg.reserve, time.Until(dl)/4)
	return context.WithDeadline(ctx, dl.Add(-max(reserve, 0)))
}

// plan looks every attendee up and groups them into batches; attendees it
// cannot place are failed through fail.
func (r *Source) plan(ctx context.Context, q freebusy.Query, fail func(int, error)) []batch {
	var batches []batch
	type slot struct{ batch, addr int }
	current := map[string]int{} // side -> index of its open batch
	placed := map[string]slot{} // side + folded address -> where it is asked
	log := r.cfg.Logger
	for i, a := range q.Attendees {
		if err := fanout.Err(ctx); err != nil {
			fail(i, err)
			continue
		}
		side, addr, err := r.dir.Resolve(ctx, a)
		if err != nil {
			if freebusy.ReasonOf(err) != freebusy.ReasonUnknownAttendee {
				log.Warn("router: directory lookup failed", zap.Stringer("reason", freebusy.ReasonOf(err)))
			}
			log.Debug("router: directory lookup failed", zap.String("attendee", a), zap.Error(err))
			fail(i, err)
			continue
		}
		src, ok := r.sides[side]
		if !ok || strings.TrimSpace(addr) == "" {
			log.Warn("router: directory names a side without a source, or no address", zap.String("side", side))
			fail(i, &freebusy.Error{Reason: freebusy.ReasonInternal, Message: ErrNoSide.Error(), Cause: fmt.Errorf("%w: side %q", ErrNoSide, side)})
			continue
		}
		key := side + "\x00" + strings.ToLower(strings.TrimSpace(addr))
		if s, seen := placed[key]; seen {
			batches[s.batch].who[s.addr] = append(batches[s.batch].who[s.addr], i)
			continue
		}
		bi, open := current[side]
		if !open || len(batches[bi].addrs) >= r.cfg.maxBatch {
			bi = len(batches)
			batches = append(batches, batch{side: side, src: src})
			current[side] = bi
		}
		b := &batches[bi]
		placed[key] = slot{bi, len(b.addrs)}
		b.addrs = append(b.addrs, addr)
		b.who = append(b.who, []int{i})
	}
	return batches
}

// failed is attendee i's schedule failing with err: an *freebusy.Error
// keeps its reason, message and retry hint.
func failed(q freebusy.Query, i int, err error) freebusy.Schedule {
	a := q.Attendees[i]
	s := freebusy.Schedule{Attendee: a, Start: q.Start.UTC(), End: q.End.UTC()}
	if fe, ok := errors.AsType[*freebusy.Error](err); ok {
		s.Err = &freebusy.Error{Attendee: a, Reason: fe.Reason, Message: fe.Message, RetryAfter: fe.RetryAfter, Cause: err}
	} else {
		s.Err = freebusy.NewError(a, freebusy.ReasonOf(err), err)
	}
	return s
}

// rename returns s as the answer for attendee, copying what it shares with
// another attendee's answer when shared is set. A loop refused further
// along gets ErrLoop back as its cause.
func rename(s freebusy.Schedule, attendee string, shared bool) freebusy.Schedule {
	s.Attendee = attendee
	if shared {
		s.Intervals = slices.Clone(s.Intervals)
		s.Events = slices.Clone(s.Events)
	}
	if s.Err != nil {
		e := *s.Err
		e.Attendee = attendee
		if e.Cause == nil && e.Reason == freebusy.ReasonInvalid && e.Message == ErrLoop.Error() {
			e.Cause = ErrLoop
		}
		s.Err = &e
	}
	return s
}
