package directory_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/directory"
	"github.com/calbridge/calbridge/notes"
)

// sides are the two sides' normalizers, as a gateway program plugs them in.
var sides = []directory.Option{
	directory.WithNormalizer(notes.DirectoryKey),
	directory.WithNormalizer(exchange.DirectoryKey),
}

func load(t *testing.T, file string) *directory.Table {
	t.Helper()
	f, err := os.Open("testdata/" + file)
	require.NoError(t, err)
	defer f.Close()
	var tab *directory.Table
	if strings.HasSuffix(file, ".csv") {
		tab, err = directory.LoadCSV(f, sides...)
	} else {
		tab, err = directory.LoadJSON(f, sides...)
	}
	require.NoError(t, err)
	return tab
}

// Every form a person is known by resolves to that person, on either
// side, with and without @Domain, in any case (KB Q271590).
func TestLookupForms(t *testing.T) {
	for _, file := range []string{"demo.csv", "demo.json"} {
		tab := load(t, file)
		require.Equal(t, 4, tab.Len(), file)
		for address, want := range map[string]string{
			"CN=Ada Lovelace/OU=Research/O=Acme":                                                     "ada",
			"cn=ada lovelace/ou=research/o=acme":                                                     "ada",
			"Ada Lovelace/Research/Acme":                                                             "ada",
			"Ada Lovelace/Research/Acme@AcmeMail":                                                    "ada",
			"CN=Ada Lovelace/OU=Research/O=Acme@Acme":                                                "ada",
			"  ada.lovelace@notes.acme.example ":                                                     "ada",
			"Ada.Lovelace@Notes.Acme.Example":                                                        "ada",
			"smtp:ada.lovelace@notes.acme.example":                                                   "ada",
			"Ada Lovelace <ada.lovelace@notes.acme.example>":                                         "ada",
			"Alan Turing/Research/Acme":                                                              "alan",
			"grace.hopper@exchange.acme.example":                                                     "grace",
			"SMTP:Grace.Hopper@exchange.acme.example":                                                "grace",
			"grace@EXCHANGE.acme.example":                                                            "grace",
			"/O=ACME/OU=Exchange Administrative Group (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=GHOPPER":    "grace",
			"EX:/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper": "grace",
			"edsger.dijkstra@exchange.acme.example":                                                  "edsger",
		} {
			p, err := tab.Lookup(context.Background(), address)
			if assert.NoError(t, err, "%s: %q", file, address) {
				assert.Equal(t, want, p.ID, "%s: %q", file, address)
			}
		}
	}
}

func TestLookupPerson(t *testing.T) {
	tab := load(t, "demo.csv")
	p, err := tab.Lookup(context.Background(), "ghopper@nowhere.example")
	assert.Zero(t, p)
	var nf *directory.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "ghopper@nowhere.example", nf.Address)
	assert.ErrorIs(t, err, directory.ErrNotFound)
	assert.ErrorIs(t, err, freebusy.ErrUnknownAttendee)
	assert.Equal(t, freebusy.ReasonUnknownAttendee, freebusy.ReasonOf(err))
	for _, miss := range []string{"", "   ", "Ada Lovelace", "CN=Ada Lovelace/OU=Other/O=Acme", strings.Repeat("x", 5000)} {
		_, err := tab.Lookup(context.Background(), miss)
		assert.ErrorIs(t, err, directory.ErrNotFound, "%q", miss)
	}

	p, err = tab.Lookup(context.Background(), "/o=acme/ou=exchange administrative group (fydibohf23spdlt)/cn=recipients/cn=ghopper")
	require.NoError(t, err)
	assert.Equal(t, directory.Person{
		ID: "grace", DisplayName: "Grace Hopper", Side: "exchange", Address: "grace.hopper@exchange.acme.example",
		Aliases: []string{"/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper", "SMTP:grace@exchange.acme.example"},
	}, p, "values trimmed, aliases split")
	p.Aliases[0] = "changed"
	again, _ := tab.Lookup(context.Background(), "grace.hopper@exchange.acme.example")
	assert.NotEqual(t, "changed", again.Aliases[0], "the caller's copy is its own")
	people := tab.People()
	people[0].ID = "changed"
	assert.Equal(t, "ada", tab.People()[0].ID)
}

// Without the sides' normalizers a Table still finds forms written as
// listed, in any case (Fold), and nothing more.
func TestFoldOnly(t *testing.T) {
	tab, err := directory.New([]directory.Person{{ID: "a", Side: "x", Address: "CN=Ada/O=Acme", Aliases: []string{"Ada@Example.com"}}})
	require.NoError(t, err)
	for _, hit := range []string{"cn=ada/o=acme", " ADA@example.COM"} {
		_, err := tab.Lookup(context.Background(), hit)
		assert.NoError(t, err, hit)
	}
	_, err = tab.Lookup(context.Background(), "Ada/Acme")
	assert.ErrorIs(t, err, directory.ErrNotFound, "abbreviated forms need the Notes normalizer")
	k, ok := directory.Fold(" A\u212a ")
	assert.True(t, ok)
	assert.Equal(t, "=ak", k, "the Kelvin sign folds to k")
	_, ok = directory.Fold(" ")
	assert.False(t, ok)
}

func TestNewRefuses(t *testing.T) {
	ada := directory.Person{ID: "ada", Side: "notes", Address: "CN=Ada Lovelace/OU=Research/O=Acme", Aliases: []string{"ada@acme.example"}}
	tests := map[string]struct {
		people []directory.Person
		cond   error
		field  string
		entry  int
		other  string
	}{
		"no id":      {[]directory.Person{{Side: "x", Address: "a"}}, directory.ErrMissing, "id", 0, ""},
		"no side":    {[]directory.Person{{ID: "a", Side: " ", Address: "a"}}, directory.ErrMissing, "side", 0, ""},
		"no address": {[]directory.Person{{ID: "a", Side: "x"}}, directory.ErrMissing, "address", 0, ""},
		"control":    {[]directory.Person{{ID: "a", Side: "x", Address: "a\x00b"}}, directory.ErrValue, "address", 0, ""},
		"bad utf-8":  {[]directory.Person{{ID: "a", Side: "x", Address: "a", Aliases: []string{"\xff"}}}, directory.ErrValue, "aliases", 0, ""},
		"too long":   {[]directory.Person{{ID: "a", Side: "x", Address: "a", DisplayName: strings.Repeat("n", directory.MaxValueLen+1)}}, directory.ErrValue, "displayName", 0, ""},
		"same id":    {[]directory.Person{ada, {ID: "ada", Side: "x", Address: "b"}}, directory.ErrDuplicate, "id", 1, "ada"},
		"alias twice": {[]directory.Person{{ID: "a", Side: "x", Address: "a@x.example", Aliases: []string{"b@x.example", "B@X.example"}}},
			directory.ErrDuplicate, "aliases", 0, ""},
		"alias is address": {[]directory.Person{{ID: "a", Side: "x", Address: "a@x.example", Aliases: []string{"A@x.example"}}},
			directory.ErrDuplicate, "aliases", 0, ""},
		"same alias": {[]directory.Person{ada, {ID: "b", Side: "x", Address: "b", Aliases: []string{"ADA@acme.example"}}},
			directory.ErrConflict, "aliases", 1, "ada"},
		"same name, other form": {[]directory.Person{ada, {ID: "b", Side: "x", Address: "Ada Lovelace/Research/Acme@Mail"}},
			directory.ErrConflict, "address", 1, "ada"},
		"smtp proxy of another's address": {[]directory.Person{ada, {ID: "b", Side: "x", Address: "b@x.example", Aliases: []string{"smtp:ada@acme.example"}}},
			directory.ErrConflict, "aliases", 1, "ada"},
	}
	for name, tt := range tests {
		_, err := directory.New(tt.people, sides...)
		var ee *directory.EntryError
		if !assert.ErrorAs(t, err, &ee, name) {
			continue
		}
		assert.ErrorIs(t, err, tt.cond, name)
		assert.Equal(t, tt.field, ee.Field, name)
		assert.Equal(t, tt.entry, ee.Entry, name)
		assert.Equal(t, tt.other, ee.Other, name)
		assert.Zero(t, ee.Line, name)
		assert.True(t, strings.HasPrefix(err.Error(), "directory: "), name)
	}
}

// The same forms on one person are not a conflict: a person may list its
// name with and without the domain.
func TestOwnFormsDoNotConflict(t *testing.T) {
	tab, err := directory.New([]directory.Person{{ID: "a", Side: "notes", Address: "CN=Ada/O=Acme",
		Aliases: []string{"Ada/Acme@AcmeMail", "ada@acme.example", "SMTP:ada@acme.example"}}}, sides...)
	require.NoError(t, err)
	assert.Equal(t, 1, tab.Len())
}

func TestOptions(t *testing.T) {
	_, err := directory.New(nil, directory.WithNormalizer(nil))
	assert.ErrorIs(t, err, directory.ErrInvalidOption)
	_, err = directory.LoadCSV(strings.NewReader("id,side,address\n"), directory.WithMaxBytes(0))
	assert.ErrorIs(t, err, directory.ErrInvalidOption)
	_, err = directory.LoadJSON(strings.NewReader(`{"people":[]}`), directory.WithMaxBytes(5))
	assert.ErrorIs(t, err, directory.ErrTooLarge)
	tab, err := directory.LoadJSON(strings.NewReader(`{"people":[]}`), directory.WithMaxBytes(13))
	require.NoError(t, err, "exactly the limit is fine")
	assert.Zero(t, tab.Len())
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoadCSVRefuses(t *testing.T) {
	tests := map[string]struct {
		in    string
		cond  error
		line  int
		field string
	}{
		"empty":            {"", directory.ErrColumn, 1, ""},
		"only comments":    {"# nothing\n", directory.ErrColumn, 1, ""},
		"unknown column":   {"id,side,adress\n", directory.ErrColumn, 1, "adress"},
		"repeated column":  {"id,side,address,ID\n", directory.ErrColumn, 1, "ID"},
		"missing column":   {"# c\nid,address\n", directory.ErrColumn, 2, "side"},
		"field count":      {"id,side,address\na,x,a@x\nb,x\n", directory.ErrSyntax, 3, ""},
		"bare quote":       {"id,side,address\na,x,a\"b\n", directory.ErrSyntax, 2, ""},
		"missing address":  {"id,side,address\n\na,x,\n", directory.ErrMissing, 3, "address"},
		"conflict on line": {"id,side,address,aliases\na,x,a@x.example,\n# c\nb,x,b@x.example,A@X.example\n", directory.ErrConflict, 4, "aliases"},
		"duplicate id":     {"id,side,address\na,x,a\n\"a\",y,b\n", directory.ErrDuplicate, 3, "id"},
	}
	for name, tt := range tests {
		_, err := directory.LoadCSV(strings.NewReader(tt.in), sides...)
		var ee *directory.EntryError
		if !assert.ErrorAs(t, err, &ee, name) {
			continue
		}
		assert.ErrorIs(t, err, tt.cond, name)
		assert.Equal(t, tt.line, ee.Line, name)
		assert.Equal(t, tt.field, ee.Field, name)
	}
	_, err := directory.LoadCSV(errReader{})
	assert.ErrorIs(t, err, directory.ErrSyntax)
	assert.ErrorContains(t, err, "disk on fire")
}

func TestLoadCSVQuoted(t *testing.T) {
	tab, err := directory.LoadCSV(strings.NewReader("ID, Side ,Address,DisplayName,Aliases\n\"a\",x,a@x.example,\"Lovelace, Ada\",\" b@x.example ;; c@x.example;\"\nb,x,z@x.example,,\n"))
	require.NoError(t, err)
	people := tab.People()
	require.Len(t, people, 2)
	assert.Equal(t, "Lovelace, Ada", people[0].DisplayName)
	assert.Equal(t, []string{"b@x.example", "c@x.example"}, people[0].Aliases, "split, trimmed, empty ones dropped")
	assert.Empty(t, people[1].Aliases)

	// A quoted newline is a control character in a value.
	_, err = directory.LoadCSV(strings.NewReader("id,side,address,displayName\na,x,a,\"Ada\nL.\"\n"))
	var ee *directory.EntryError
	require.ErrorAs(t, err, &ee)
	assert.ErrorIs(t, err, directory.ErrValue)
	assert.Equal(t, 2, ee.Line)
}

func TestLoadJSONRefuses(t *testing.T) {
	tests := map[string]struct {
		in    string
		cond  error
		line  int
		entry int
	}{
		"empty":         {"", directory.ErrSyntax, 1, -1},
		"array":         {`[{"id":"a"}]`, directory.ErrSyntax, 1, -1},
		"no people":     {"{}", directory.ErrSyntax, 1, -1},
		"null people":   {`{"people":null}`, directory.ErrSyntax, 1, -1},
		"other member":  {"{\n\"peeple\":[]}", directory.ErrSyntax, 2, -1},
		"people twice":  {`{"people":[],"people":[]}`, directory.ErrSyntax, 1, -1},
		"unknown field": {"{\"people\":[\n{\"id\":\"a\",\"side\":\"x\",\"address\":\"a\"},\n{\"id\":\"b\",\"sid\":\"x\"}]}", directory.ErrSyntax, 3, 1},
		"wrong type":    {"{\"people\":[\n\n{\"id\":7}]}", directory.ErrSyntax, 3, 0},
		"truncated":     {"{\"people\":[\n{\"id\":\"a\"", directory.ErrSyntax, 2, 0},
		"trailing data": {`{"people":[]} {}`, directory.ErrSyntax, 1, -1},
		"missing side":  {"{\"people\":[\n  {\"id\":\"a\",\"side\":\"x\",\"address\":\"a\"},\n\n  {\"id\":\"b\",\"address\":\"b\"}]}", directory.ErrMissing, 4, 1},
		"conflict":      {"{\"people\":[{\"id\":\"a\",\"side\":\"x\",\"address\":\"a@x.example\"},\n{\"id\":\"b\",\"side\":\"x\",\"address\":\"SMTP:a@x.example\"}]}", directory.ErrConflict, 2, 1},
	}
	for name, tt := range tests {
		_, err := directory.LoadJSON(strings.NewReader(tt.in), sides...)
		var ee *directory.EntryError
		if !assert.ErrorAs(t, err, &ee, name) {
			continue
		}
		assert.ErrorIs(t, err, tt.cond, name)
		assert.Equal(t, tt.line, ee.Line, name)
		assert.Equal(t, tt.entry, ee.Entry, name)
	}
}

func TestResolve(t *testing.T) {
	tab := load(t, "demo.json")
	side, addr, err := tab.Resolve(context.Background(), "Ada Lovelace/Research/Acme@AcmeMail")
	require.NoError(t, err)
	assert.Equal(t, "notes", side)
	assert.Equal(t, "CN=Ada Lovelace/OU=Research/O=Acme", addr)
	_, _, err = tab.Resolve(context.Background(), "nobody@acme.example")
	assert.ErrorIs(t, err, freebusy.ErrUnknownAttendee)
}
