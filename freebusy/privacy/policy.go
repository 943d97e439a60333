package privacy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/calbridge/calbridge/freebusy"
)

// Level is how much of each calendar item a requester may see. The zero
// value, LevelStatus, is the least.
type Level uint8

// The levels, from least to most; see the package documentation.
const (
	// LevelStatus: status intervals only.
	LevelStatus Level = iota
	// LevelTimes: events with times, status and flags, without subject,
	// location or ID.
	LevelTimes
	// LevelFull: events with subject, location and ID (never for private
	// items).
	LevelFull
)

const numLevels = 3

var levelNames = [numLevels]string{LevelStatus: "status", LevelTimes: "times", LevelFull: "full"}

// ErrInvalidPolicy is matched (errors.Is) by every error about a Policy: an
// undeclared level, an empty requester ID, JSON that does not describe a
// policy.
var ErrInvalidPolicy = errors.New("privacy: invalid policy")

// String returns "status", "times" or "full", or "Level(N)" for an
// undeclared value.
func (l Level) String() string {
	if l < numLevels {
		return levelNames[l]
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// MarshalText implements encoding.TextMarshaler; an undeclared level is an
// error matching ErrInvalidPolicy.
func (l Level) MarshalText() ([]byte, error) {
	if l >= numLevels {
		return nil, fmt.Errorf("%w: undeclared level %d", ErrInvalidPolicy, uint8(l))
	}
	return []byte(levelNames[l]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler: "status", "times" or
// "full"; anything else is an error matching ErrInvalidPolicy.
func (l *Level) UnmarshalText(text []byte) error {
	for i, name := range levelNames {
		if string(text) == name {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("%w: unknown level %q (want status, times or full)", ErrInvalidPolicy, abbreviate(string(text)))
}

// detail is the query detail that fetches what l shows.
func (l Level) detail() freebusy.Detail {
	if l == LevelStatus {
		return freebusy.DetailStatus
	}
	return freebusy.DetailFull
}

// Policy maps requesters to the level they may see.
type Policy struct {
	// Default is the level of requesters not listed, and of requests that
	// carry no requester at all.
	Default Level `json:"default"`
	// Requesters maps requester IDs, matched exactly, to their level.
	Requesters map[string]Level `json:"requesters,omitempty"`
}

// Validate reports, as an error matching ErrInvalidPolicy, an undeclared
// level or an empty requester ID.
func (p Policy) Validate() error {
	if p.Default >= numLevels {
		return fmt.Errorf("%w: undeclared default level %d", ErrInvalidPolicy, uint8(p.Default))
	}
	for id, l := range p.Requesters {
		if id == "" {
			return fmt.Errorf("%w: empty requester ID", ErrInvalidPolicy)
		}
		if l >= numLevels {
			return fmt.Errorf("%w: undeclared level %d for requester %q", ErrInvalidPolicy, uint8(l), id)
		}
	}
	return nil
}

// LevelFor returns the level of the requester ctx carries (WithRequester):
// its entry in Requesters, or Default when it has none or ctx carries no
// requester.
func (p Policy) LevelFor(ctx context.Context) Level {
	if id, ok := RequesterFrom(ctx); ok {
		if l, ok := p.Requesters[id]; ok {
			return l
		}
	}
	return p.Default
}

// UnmarshalJSON reads {"default": LEVEL, "requesters": {ID: LEVEL, ...}}
// strictly: unknown fields, unknown levels, empty or repeated requester
// IDs and trailing data are errors matching ErrInvalidPolicy. A missing
// default is LevelStatus.
func (p *Policy) UnmarshalJSON(data []byte) error {
	var raw struct {
		Default    Level           `json:"default"`
		Requesters json.RawMessage `json:"requesters"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return policyError(err)
	}
	if _, err := dec.Token(); err == nil {
		return fmt.Errorf("%w: data after the policy", ErrInvalidPolicy)
	}
	out := Policy{Default: raw.Default}
	if len(raw.Requesters) > 0 && string(raw.Requesters) != "null" {
		reqs, err := decodeRequesters(raw.Requesters)
		if err != nil {
			return err
		}
		out.Requesters = reqs
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*p = out
	return nil
}

// decodeRequesters reads the requesters object token by token, so that a
// requester listed twice is an error rather than a silent last-wins.
func decodeRequesters(data []byte) (map[string]Level, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, policyError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%w: requesters must be an object of requester IDs to levels", ErrInvalidPolicy)
	}
	out := map[string]Level{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, policyError(err)
		}
		id, _ := tok.(string) // object keys are always strings
		if id == "" {
			return nil, fmt.Errorf("%w: empty requester ID", ErrInvalidPolicy)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("%w: requester %q listed twice", ErrInvalidPolicy, abbreviate(id))
		}
		var l Level
		if err := dec.Decode(&l); err != nil {
			return nil, policyError(err)
		}
		out[id] = l
	}
	return out, nil
}

// policyError wraps a decoding error so that it matches ErrInvalidPolicy
// (and still the decoder's own error types).
func policyError(err error) error {
	if errors.Is(err, ErrInvalidPolicy) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
}

// abbreviate shortens text quoted in an error.
func abbreviate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// requesterKey is the context key of the requester ID.
type requesterKey struct{}

// WithRequester returns a copy of ctx that carries the requester id, as
// authenticated by the program. An empty id is anonymous: it gets the
// policy's Default.
func WithRequester(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requesterKey{}, id)
}

// RequesterFrom returns the requester ctx carries, and false when it
// carries none.
func RequesterFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(requesterKey{}).(string)
	return id, ok
}
