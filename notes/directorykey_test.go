package notes

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDirectoryKey(t *testing.T) {
	same := [][]string{
		{"CN=Ada Lovelace/OU=Research/O=Acme", "cn=ada lovelace/ou=research/o=acme", "Ada Lovelace/Research/Acme",
			"Ada Lovelace/Research/Acme@AcmeMail", "CN=Ada Lovelace/OU=Research/O=Acme@Acme@Relay", " ada lovelace / research / acme ",
			"/O=Acme/OU=Research/CN=Ada Lovelace"},
		{"ada.lovelace@notes.acme.example", "Ada.Lovelace@Notes.Acme.Example", "Ada Lovelace <ada.lovelace@notes.acme.example>"},
		{"Jane Doe/Sales/Acme/US", "CN=Jane Doe/OU=Sales/O=Acme/C=US"},
	}
	var firsts []string
	for _, group := range same {
		want, ok := DirectoryKey(group[0])
		if !assert.True(t, ok, group[0]) {
			continue
		}
		firsts = append(firsts, want)
		for _, form := range group[1:] {
			got, ok := DirectoryKey(form)
			assert.True(t, ok, form)
			assert.Equal(t, want, got, form)
		}
	}
	assert.Equal(t, []string{"notes:cn=ada lovelace/ou=research/o=acme", "smtp:ada.lovelace@notes.acme.example", "notes:cn=jane doe/ou=sales/o=acme/c=us"}, firsts)

	for _, other := range []string{"CN=Ada Lovelace/OU=Sales/O=Acme", "Ada Lovelace/Acme", "Ada Lovelace"} {
		got, ok := DirectoryKey(other)
		assert.True(t, ok, other)
		assert.NotEqual(t, firsts[0], got, "%q is someone else", other)
	}
	for _, declined := range []string{"", "  ", "CN=/O=Acme", "CN=Jane/Acme", "SMTP:ada@acme.example",
		"/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper", "a\x00b"} {
		_, ok := DirectoryKey(declined)
		assert.False(t, ok, "%q", declined)
	}
}
