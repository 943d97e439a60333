package directory

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/calbridge/calbridge/internal/config"
)

// DefaultMaxBytes bounds what LoadCSV and LoadJSON read: 64 MiB, room for
// some hundred thousand people.
const DefaultMaxBytes = 64 << 20

// ErrInvalidOption is matched (errors.Is) by the error New, LoadCSV or
// LoadJSON return for an option given a value it cannot take.
var ErrInvalidOption = config.ErrInvalidOption

// Option configures New, LoadCSV and LoadJSON.
type Option interface{ apply(*tableConfig) }

type tableConfig struct {
	norms    []Normalizer
	maxBytes int64
	err      error
}

type option func(*tableConfig)

func (f option) apply(c *tableConfig) { f(c) }

func (c *tableConfig) invalid(opt, format string, args ...any) {
	if c.err == nil {
		c.err = config.OptionError("directory", opt, format, args...)
	}
}

// WithNormalizer adds a Normalizer. Lookups try the Normalizers in the
// order they were added, then Fold; the first key that names a person
// wins. A nil n is invalid.
func WithNormalizer(n Normalizer) Option {
	return option(func(c *tableConfig) {
		if n == nil {
			c.invalid("WithNormalizer", "nil normalizer")
			return
		}
		c.norms = append(c.norms, n)
	})
}

// WithMaxBytes sets how many bytes LoadCSV and LoadJSON read at most
// (default DefaultMaxBytes); a longer input is an ErrTooLarge. Below 1 is
// invalid. New ignores it.
func WithMaxBytes(n int64) Option {
	return option(func(c *tableConfig) {
		if n < 1 {
			c.invalid("WithMaxBytes", "%d is below 1", n)
			return
		}
		c.maxBytes = n
	})
}

func newConfig(opts []Option) (tableConfig, error) {
	c := tableConfig{maxBytes: DefaultMaxBytes}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	c.norms = append(c.norms, Fold)
	return c, c.err
}

// Table is an in-memory Interface. It is immutable once built, and safe for
// concurrent use.
type Table struct {
	people []Person
	index  map[string]int // key -> index into people
	norms  []Normalizer   // the options' Normalizers, then Fold
}

var _ Interface = (*Table)(nil)

// New builds a Table of people (see the package documentation for how
// forms are indexed). Values are trimmed of spaces. Errors are
// *EntryError values with Line 0: a missing ID, side or address
// (ErrMissing), a bad value (ErrValue), an ID used twice or a form listed
// twice by one person (ErrDuplicate), a form that names two people
// (ErrConflict); or an invalid option (ErrInvalidOption).
func New(people []Person, opts ...Option) (*Table, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return build(people, nil, c.norms)
}

// build indexes people; lines, when not nil, holds each entry's line.
func build(people []Person, lines []int, norms []Normalizer) (*Table, error) {
	t := &Table{people: make([]Person, 0, len(people)), index: make(map[string]int, 3*len(people)), norms: norms}
	ids := make(map[string]int, len(people))
	for i, p := range people {
		fail := func(cond error, field, value, other string) error {
			e := &EntryError{Entry: i, ID: p.ID, Field: field, Value: value, Other: other, Err: cond}
			if lines != nil {
				e.Line = lines[i]
			}
			return e
		}
		p = clean(p)
		for _, f := range []struct{ name, v string }{{"id", p.ID}, {"side", p.Side}, {"address", p.Address}, {"displayName", p.DisplayName}} {
			if f.v == "" && f.name != "displayName" {
				return nil, fail(ErrMissing, f.name, "", "")
			}
			if !validValue(f.v) {
				return nil, fail(ErrValue, f.name, f.v, "")
			}
		}
		if j, dup := ids[p.ID]; dup {
			return nil, fail(ErrDuplicate, "id", p.ID, t.people[j].ID)
		}
		ids[p.ID] = i
		// The keys of this person's forms; a form whose Fold key repeats
		// is listed twice.
		own := make(map[string]bool, 2+2*len(p.Aliases))
		for k, form := range slices.Concat([]string{p.Address}, p.Aliases) {
			field := "aliases"
			if k == 0 {
				field = "address"
			}
			if !validValue(form) {
				return nil, fail(ErrValue, field, form, "")
			}
			if fk, _ := Fold(form); own[fk] {
				return nil, fail(ErrDuplicate, field, form, "")
			}
			for _, n := range norms {
				key, ok := n(form)
				if !ok || key == "" || own[key] {
					continue
				}
				if j, taken := t.index[key]; taken {
					return nil, fail(ErrConflict, field, form, t.people[j].ID)
				}
				own[key] = true
			}
		}
		for key := range own {
			t.index[key] = i
		}
		t.people = append(t.people, p)
	}
	return t, nil
}

// clean trims p's values and drops empty aliases, copying the slice.
func clean(p Person) Person {
	p.ID = strings.TrimSpace(p.ID)
	p.DisplayName = strings.TrimSpace(p.DisplayName)
	p.Side = strings.TrimSpace(p.Side)
	p.Address = strings.TrimSpace(p.Address)
	aliases := make([]string, 0, len(p.Aliases))
	for _, a := range p.Aliases {
		if a = strings.TrimSpace(a); a != "" {
			aliases = append(aliases, a)
		}
	}
	p.Aliases = aliases
	return p
}

// validValue reports whether v is valid UTF-8 without control characters
// and at most MaxValueLen bytes.
func validValue(v string) bool {
	return len(v) <= MaxValueLen && utf8.ValidString(v) && strings.IndexFunc(v, unicode.IsControl) < 0
}

// Lookup implements Interface: it tries the key of every Normalizer that
// accepts address, in order, then Fold's. An address that names nobody is
// a *NotFoundError. The returned Person's Aliases may be modified freely.
func (t *Table) Lookup(ctx context.Context, address string) (Person, error) {
	if i, ok := t.find(address); ok {
		p := t.people[i]
		p.Aliases = slices.Clone(p.Aliases)
		return p, nil
	}
	return Person{}, &NotFoundError{Address: address}
}

// Resolve returns the side and the address of the person address names,
// as Lookup finds them: what a router needs (it makes Table a
// freebusy/router.Resolver). An address that names nobody is a
// *NotFoundError.
func (t *Table) Resolve(ctx context.Context, address string) (side, personAddress string, err error) {
	if i, ok := t.find(address); ok {
		return t.people[i].Side, t.people[i].Address, nil
	}
	return "", "", &NotFoundError{Address: address}
}

func (t *Table) find(address string) (int, bool) {
	if len(address) > MaxValueLen {
		return 0, false
	}
	for _, n := range t.norms {
		if key, ok := n(address); ok {
			if i, found := t.index[key]; found {
				return i, true
			}
		}
	}
	return 0, false
}

// People returns a copy of the table's people, in the order they were
// given, with their values trimmed.
func (t *Table) People() []Person {
	out := make([]Person, len(t.people))
	for i, p := range t.people {
		p.Aliases = slices.Clone(p.Aliases)
		out[i] = p
	}
	return out
}

// Len returns the number of people in the table.
func (t *Table) Len() int { return len(t.people) }
