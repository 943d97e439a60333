package directory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy/directory"
)

// checkTable holds a loaded Table to its promises: every form of every
// person resolves to that person.
func checkTable(t *testing.T, tab *directory.Table) {
	people := tab.People()
	require.Len(t, people, tab.Len())
	for _, p := range people {
		for _, form := range append([]string{p.Address}, p.Aliases...) {
			got, err := tab.Lookup(context.Background(), form)
			require.NoError(t, err, "%q of %q", form, p.ID)
			require.Equal(t, p.ID, got.ID, "%q", form)
		}
	}
}

// checkErr holds a refusal to the documented types.
func checkErr(t *testing.T, err error) {
	var ee *directory.EntryError
	require.True(t, errors.As(err, &ee), "%T %v", err, err)
	require.True(t, ee.Line >= 0 && ee.Entry >= -1)
	require.NotEmpty(t, err.Error())
}

func seeds(f *testing.F, file string, extra ...string) {
	data, err := os.ReadFile("testdata/" + file)
	require.NoError(f, err)
	f.Add(data)
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

func FuzzLoadCSV(f *testing.F) {
	seeds(f, "demo.csv", "id,side,address\n", "id,side,address,aliases\na,x,a@x,\"b;c\"\n", "id,side\n\"", "ID,Side,Address\na,x,CN=A/O=B\nb,x,A/B@D\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := directory.LoadCSV(bytes.NewReader(data), sides...)
		if err != nil {
			checkErr(t, err)
			return
		}
		checkTable(t, tab)
	})
}

func FuzzLoadJSON(f *testing.F) {
	seeds(f, "demo.json", `{"people":[]}`, `{"people":[{"id":"a","side":"x","address":"a@x","aliases":["SMTP:b@x"]}]}`, `{"people":[{"id":"a"`, `{"people":[{"id":"a","side":"x","address":"/o=a/ou=b/cn=c"},{"id":"b","side":"x","address":"EX:/O=A/OU=B/CN=C"}]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := directory.LoadJSON(bytes.NewReader(data), sides...)
		if err != nil {
			checkErr(t, err)
			return
		}
		checkTable(t, tab)
		// What loaded writes back as JSON and loads again, the same.
		out, err := json.Marshal(map[string]any{"people": tab.People()})
		require.NoError(t, err)
		again, err := directory.LoadJSON(bytes.NewReader(out), sides...)
		require.NoError(t, err, "%s", out)
		assert.Equal(t, normalize(tab.People()), normalize(again.People()))
	})
}

// normalize makes nil and empty alias lists equal.
func normalize(people []directory.Person) []directory.Person {
	for i := range people {
		if len(people[i].Aliases) == 0 {
			people[i].Aliases = nil
		}
	}
	return people
}
