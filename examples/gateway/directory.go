package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy/directory"
	"github.com/calbridge/calbridge/notes"
)

// side is the calendar system that owns a person.
type side uint8

const (
	sideNotes side = iota + 1
	sideExchange
)

func (s side) String() string {
	switch s {
	case sideNotes:
		return "notes"
	case sideExchange:
		return "exchange"
	}
	return "unknown"
}

// loadDirectory reads the directory file (JSON when its name ends in
// .json, else CSV; see package freebusy/directory for both formats), or
// the embedded demo directory when path is empty. Each side plugs in its
// normalizer, so that every written form of a name resolves: Notes names
// canonical or abbreviated, with or without @Domain (notes.DirectoryKey);
// SMTP and proxy addresses and legacyExchangeDNs (exchange.DirectoryKey).
// Every person's side must be "notes" or "exchange".
//
// extra are more CSV records for the demo directory (the benchmarks' people).
func loadDirectory(path string, extra ...string) (*directory.Table, error) {
	var data []byte
	var err error
	if path == "" {
		data, err = demoFiles.ReadFile("demo/directory.csv")
		for _, e := range extra {
			data = append(data, e+"\n"...)
		}
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("gateway: directory: %w", err)
	}
	opts := []directory.Option{directory.WithNormalizer(notes.DirectoryKey), directory.WithNormalizer(exchange.DirectoryKey)}
	var t *directory.Table
	if strings.EqualFold(filepath.Ext(path), ".json") {
		t, err = directory.LoadJSON(bytes.NewReader(data), opts...)
	} else {
		t, err = directory.LoadCSV(bytes.NewReader(data), opts...)
	}
	if err != nil {
		return nil, err
	}
	for _, p := range t.People() {
		if _, ok := parseSide(p.Side); !ok {
			return nil, fmt.Errorf("%w: %s: side %q is not notes or exchange", errDirectory, p.ID, p.Side)
		}
	}
	return t, nil
}

var errDirectory = errors.New("gateway: invalid directory")

func parseSide(s string) (side, bool) {
	switch s {
	case "notes":
		return sideNotes, true
	case "exchange":
		return sideExchange, true
	}
	return 0, false
}

// label is a short name for a person in grids: the first SMTP address
// among the address and aliases.
func label(p directory.Person) string {
	for _, a := range append([]string{p.Address}, p.Aliases...) {
		if strings.Contains(a, "@") && !strings.ContainsAny(a, "/=") {
			return a
		}
	}
	return p.Address
}

// lookupLabel returns the grid label of name, or name when the directory
// does not know it.
func lookupLabel(ctx context.Context, d directory.Interface, name string) string {
	if p, err := d.Lookup(ctx, name); err == nil {
		return label(p)
	}
	return name
}
