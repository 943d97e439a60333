package observe

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/calbridge/calbridge/freebusy"
)

// pkg names this package in errors.
const pkg = "observe"

// Instrument returns a Source that passes every query to src unchanged and
// reports it under name: one log entry per query and the Metrics calls
// ObserveQuery (latency) and ObserveOutcome (one per reason that occurred).
//
// The Info entry, "free/busy query" (Warn when the whole query failed),
// carries: source (name), attendees (how many), window (its length),
// detail, duration, outcomes (attendees per reason name, such as
// {"none":3,"timeout":1}), stale (how many schedules were marked Stale),
// and for a failed query reason and error, the error's text with every
// attendee of the query blanked out. A Debug entry, "free/busy query
// attendees", adds each attendee with its reason and error message; it is
// built only when Debug is enabled.
//
// It fails with an error matching ErrInvalidOption when src is nil or
// name is empty.
func Instrument(src freebusy.Source, name string, opts ...InstrumentOption) (freebusy.Source, error) {
	if src == nil {
		return nil, fmt.Errorf("%s: Instrument: nil source: %w", pkg, ErrInvalidOption)
	}
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("%s: Instrument: empty name: %w", pkg, ErrInvalidOption)
	}
	c := instrumentConfig{shared: defaults(), metrics: Nop{}}
	for _, o := range opts {
		if o != nil {
			o.applyInstrument(&c)
		}
	}
	return &instrumented{src: src, name: name, cfg: c}, nil
}

type instrumented struct {
	src  freebusy.Source
	name string
	cfg  instrumentConfig
}

// numReasons is one past the last declared freebusy.Reason.
const numReasons = int(freebusy.ReasonInternal) + 1

// outcomes counts attendees per reason; undeclared reasons count as
// ReasonInternal.
type outcomes [numReasons]int

func (o *outcomes) add(r freebusy.Reason, n int) {
	if int(r) >= numReasons {
		r = freebusy.ReasonInternal
	}
	o[r] += n
}

// MarshalLogObject writes the non-zero counts under the reasons' names.
func (o *outcomes) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	for r, n := range o {
		if n > 0 {
			enc.AddInt(freebusy.Reason(r).String(), n)
		}
	}
	return nil
}

func reasonOf(s *freebusy.Schedule) freebusy.Reason {
	if s.Err == nil {
		return freebusy.ReasonNone
	}
	if s.Err.Reason == freebusy.ReasonNone {
		return freebusy.ReasonInternal // failed, whatever it says
	}
	return s.Err.Reason
}

func (s *instrumented) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	start := s.cfg.now()
	out, err := s.src.FreeBusy(ctx, q)
	d := s.cfg.now().Sub(start)

	var counts outcomes
	stale := 0
	whole := freebusy.ReasonNone
	if err != nil {
		whole = freebusy.ReasonOf(err)
		counts.add(whole, len(q.Attendees))
	} else {
		for i := range out {
			counts.add(reasonOf(&out[i]), 1)
			if out[i].Stale {
				stale++
			}
		}
	}
	m := s.cfg.metrics
	m.ObserveQuery(s.name, d, whole)
	for r, n := range counts {
		if n > 0 {
			m.ObserveOutcome(s.name, freebusy.Reason(r), n)
		}
	}

	log := s.cfg.log
	level := zap.InfoLevel
	if err != nil {
		level = zap.WarnLevel
	}
	if ce := log.Check(level, "free/busy query"); ce != nil {
		fields := []zap.Field{
			zap.String("source", s.name),
			zap.Int("attendees", len(q.Attendees)),
			zap.Duration("window", q.End.Sub(q.Start)),
			zap.Stringer("detail", q.Detail),
			zap.Duration("duration", d),
			zap.Object("outcomes", &counts),
			zap.Int("stale", stale),
		}
		if err != nil {
			fields = append(fields, zap.Stringer("reason", whole), zap.String("error", redact(err.Error(), q.Attendees)))
		}
		ce.Write(fields...)
	}
	if ce := log.Check(zap.DebugLevel, "free/busy query attendees"); ce != nil {
		fields := []zap.Field{zap.String("source", s.name), zap.Strings("attendees", q.Attendees)}
		if err != nil {
			fields = append(fields, zap.Error(err))
		} else {
			fields = append(fields, zap.Array("results", results(out)))
		}
		ce.Write(fields...)
	}
	return out, err
}

// results logs each schedule's attendee, reason, error message and
// staleness (Debug level only: it names people).
type results []freebusy.Schedule

func (rs results) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for i := range rs {
		s := &rs[i]
		err := enc.AppendObject(zapcore.ObjectMarshalerFunc(func(o zapcore.ObjectEncoder) error {
			o.AddString("attendee", s.Attendee)
			o.AddString("reason", reasonOf(s).String())
			if s.Err != nil && s.Err.Message != "" {
				o.AddString("error", s.Err.Message)
			}
			if s.Stale {
				o.AddBool("stale", true)
			}
			return nil
		}))
		if err != nil {
			return err
		}
	}
	return nil
}

// redacted replaces an attendee's name in a logged error message.
const redacted = "<attendee>"

// redact replaces every occurrence of an attendee in msg, compared
// case-insensitively, with redacted.
func redact(msg string, attendees []string) string {
	var b strings.Builder
	for i := 0; i < len(msg); {
		n := 0
		for _, a := range attendees {
			if a != "" && len(a) > n && i+len(a) <= len(msg) && strings.EqualFold(msg[i:i+len(a)], a) {
				n = len(a)
			}
		}
		if n == 0 {
			b.WriteByte(msg[i])
			i++
			continue
		}
		b.WriteString(redacted)
		i += n
	}
	return b.String()
}
