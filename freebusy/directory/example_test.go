package directory_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/directory"
	"github.com/calbridge/calbridge/notes"
)

// A directory loaded from CSV, with each side's normalizer plugged in:
// every form of a name finds its person, and an unknown name is an
// UnknownAttendee.
func ExampleLoadCSV() {
	const people = `id,side,address,displayName,aliases
ada,notes,CN=Ada Lovelace/OU=Research/O=Acme,Ada Lovelace,ada.lovelace@notes.acme.example
grace,exchange,grace.hopper@exchange.acme.example,Grace Hopper,/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper
`
	dir, err := directory.LoadCSV(strings.NewReader(people),
		directory.WithNormalizer(notes.DirectoryKey),
		directory.WithNormalizer(exchange.DirectoryKey))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{
		"Ada Lovelace/Research/Acme@AcmeMail",
		"SMTP:Ada.Lovelace@notes.acme.example",
		"/O=ACME/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=GHOPPER",
		"nobody@acme.example",
	} {
		p, err := dir.Lookup(context.Background(), name)
		if err != nil {
			fmt.Println(freebusy.ReasonOf(err))
			continue
		}
		fmt.Printf("%s -> %s\n", p.Side, p.Address)
	}
	// Output:
	// notes -> CN=Ada Lovelace/OU=Research/O=Acme
	// notes -> CN=Ada Lovelace/OU=Research/O=Acme
	// exchange -> grace.hopper@exchange.acme.example
	// unknown-attendee
}

// Two people who share a form are refused when the directory is loaded,
// with the line and the other person named.
func ExampleLoadJSON_conflict() {
	const people = `{"people": [
  {"id": "ada", "side": "notes", "address": "CN=Ada Lovelace/O=Acme"},
  {"id": "ada2", "side": "notes", "address": "Ada Lovelace/Acme@AcmeMail"}
]}`
	_, err := directory.LoadJSON(strings.NewReader(people), directory.WithNormalizer(notes.DirectoryKey))
	fmt.Println(errors.Is(err, directory.ErrConflict))
	fmt.Println(err)
	// Output:
	// true
	// directory: conflicting form: line 3: entry 1 ("ada2"): address "Ada Lovelace/Acme@AcmeMail": also entry "ada"
}
