package privacy

import (
	"context"
	"fmt"
	"maps"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// ErrInvalidOption is matched (errors.Is) by the error New returns for a
// nil source.
var ErrInvalidOption = config.ErrInvalidOption

// Option configures New.
type Option func(*settings)

type settings struct{ log *zap.Logger }

// WithLogger sets the logger. The default, and a nil logger, mean
// zap.NewNop(). The Source logs at Debug level only: the requester and the
// level applied to each query.
func WithLogger(l *zap.Logger) Option {
	return func(s *settings) {
		if l == nil {
			l = zap.NewNop()
		}
		s.log = l
	}
}

// New returns a Source that answers from src what the requester of each
// query may see under p (see the package documentation). p is copied. It
// fails with an error matching ErrInvalidOption for a nil src, and with
// one matching ErrInvalidPolicy for an invalid p.
func New(src freebusy.Source, p Policy, opts ...Option) (freebusy.Source, error) {
	if src == nil {
		return nil, fmt.Errorf("privacy: New: nil source: %w", ErrInvalidOption)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := settings{log: zap.NewNop()}
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	p.Requesters = maps.Clone(p.Requesters)
	return &source{src: src, policy: p, log: s.log}, nil
}

type source struct {
	src    freebusy.Source
	policy Policy
	log    *zap.Logger
}

func (s *source) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	allowed := s.policy.LevelFor(ctx)
	asked := LevelStatus
	if q.Detail != freebusy.DetailStatus {
		asked = LevelFull
	}
	level := min(allowed, asked)
	if ce := s.log.Check(zap.DebugLevel, "privacy level applied"); ce != nil {
		id, _ := RequesterFrom(ctx)
		ce.Write(zap.String("requester", id), zap.Stringer("allowed", allowed), zap.Stringer("asked", q.Detail), zap.Stringer("level", level))
	}
	bq := q
	bq.Detail = level.detail()
	out, err := s.src.FreeBusy(ctx, bq)
	if err != nil {
		return nil, err
	}
	filtered := make([]freebusy.Schedule, len(out))
	for i := range out {
		filtered[i] = Filter(out[i], level)
	}
	return filtered, nil
}

// Filter returns s as a requester with level may see it; s itself, and
// the slices it refers to, are not modified. Failed schedules lose their
// events. Private events lose subject, location and ID, are raised to at
// least Busy and merged into the intervals at every level; the other
// events lose subject, location and ID below LevelFull; below LevelTimes
// no event is kept. New's Source applies it to every schedule.
func Filter(s freebusy.Schedule, level Level) freebusy.Schedule {
	if s.Err != nil {
		s.Events = nil
		return s
	}
	if len(s.Events) == 0 {
		s.Events = nil
		return s
	}
	var events []freebusy.Event
	if level > LevelStatus {
		events = make([]freebusy.Event, 0, len(s.Events))
	}
	var private []freebusy.Interval
	for _, e := range s.Events {
		switch {
		case e.Private:
			if e.Status.Precedence() < freebusy.Busy.Precedence() {
				e.Status = freebusy.Busy
			}
			e.ID, e.Subject, e.Location = "", "", ""
			if iv, ok := freebusy.NewInterval(e.Start, e.End, e.Status).Clip(s.Start, s.End); ok {
				private = append(private, iv)
			}
		case level < LevelFull:
			e.ID, e.Subject, e.Location = "", "", ""
		}
		if level > LevelStatus {
			events = append(events, e)
		}
	}
	s.Events = events
	if len(private) > 0 {
		ivs := append(append(make([]freebusy.Interval, 0, len(s.Intervals)+len(private)), s.Intervals...), private...)
		if norm, _, err := freebusy.Normalize(ivs, s.Start, s.End, freebusy.NormalizeOptions{}); err == nil {
			ivs = norm
		}
		// When Normalize refuses the backend's intervals (an undeclared
		// status), the private time is still there, merged by precedence
		// wherever the schedule is read (Schedule.StatusAt).
		s.Intervals = ivs
	}
	return s
}
