package exchange

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDirectoryKey(t *testing.T) {
	const dn = "/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper"
	same := [][]string{
		{"grace.hopper@exchange.acme.example", "Grace.Hopper@EXCHANGE.acme.example", " grace.hopper@exchange.acme.example ",
			"SMTP:grace.hopper@exchange.acme.example", "smtp:Grace.Hopper@exchange.acme.example"},
		{dn, strings.ToUpper(dn), strings.ToLower(dn), "EX:" + dn, "x500:" + strings.ToUpper(dn), "/O=Acme/OU=Exchange Administrative Group (FYDIBOHF23SPDLT)/CN=Recipients/CN=ghopper"},
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
	assert.Equal(t, []string{"smtp:grace.hopper@exchange.acme.example", "ex:" + strings.ToLower(dn)}, firsts)

	got, _ := DirectoryKey(dn + "2")
	assert.NotEqual(t, firsts[1], got, "another recipient")
	for _, declined := range []string{"", "ghopper", "@x.example", "a@", "a@b@c", "Grace Hopper <g@x.example>", "a b@x.example",
		"SIP:grace@x.example", "SMTP:", "/o=Acme", "/o=Acme/ou=Site", "X500:/o=A/ou=B", "CN=Ada/O=Acme", "a\x00@x.example",
		strings.Repeat("a", MaxProxyAddressLength) + "@x.example"} {
		_, ok := DirectoryKey(declined)
		assert.False(t, ok, "%q", declined)
	}
}

// The SMTP keys agree with the Notes side's normalizer (notes.DirectoryKey):
// "smtp:" and the address in lower case.
func TestDirectoryKeySMTPScheme(t *testing.T) {
	k, ok := DirectoryKey("SMTP:A\u212a@x.example")
	assert.True(t, ok)
	assert.Equal(t, "smtp:ak@x.example", k)
}
