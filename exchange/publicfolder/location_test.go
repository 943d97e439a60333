package publicfolder

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
)

// Golden names from docs/exchange.md §7 item 7 and §1.1 (the Evolution
// Exchange connector's free/busy notes, docs/freebusy in its source).
func TestLocation(t *testing.T) {
	dn, err := exchange.ParseLegacyDN("/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw")
	require.NoError(t, err)
	assert.Equal(t, "EX:/o=Ximian XCS/ou=XCS", SiteFolder(dn))
	assert.Equal(t, "USER-/CN=RECIPIENTS/CN=DANW", Subject(dn))

	// §1.1 WebDAV form.
	assert.Equal(t, "/public/NON_IPM_SUBTREE/SCHEDULE%2B%20FREE%20BUSY/EX:_xF8FF_o=Ximian%20XCS_xF8FF_ou=XCS/USER-_xF8FF_CN=RECIPIENTS_xF8FF_CN=DANW.EML", WebDAVPath(dn))

	back, err := ParseLocation(SiteFolder(dn), Subject(dn))
	require.NoError(t, err)
	assert.True(t, back.Equal(dn))
	assert.Equal(t, "/o=Ximian XCS/ou=XCS/cn=RECIPIENTS/cn=DANW", back.String())

	// §1.1: Zimbra writes the subject in mixed case; readers fold.
	back, err = ParseLocation("ex:/o=Ximian XCS/ou=XCS", "user-/cn=RECIPIENTS/cn=danw")
	require.NoError(t, err)
	assert.True(t, back.Equal(dn))

	_, err = ParseLocation("/o=Ximian XCS/ou=XCS", Subject(dn))
	assert.ErrorIs(t, err, exchange.ErrAddressSyntax)
	var ae *exchange.AddressError
	assert.True(t, errors.As(err, &ae))
	_, err = ParseLocation(SiteFolder(dn), "/CN=RECIPIENTS/CN=DANW")
	assert.ErrorIs(t, err, exchange.ErrAddressSyntax)
}

// FuzzLocation: the names of any DN that parses parse back to an equal DN
// (or fail only on length, since upper-casing can lengthen some runes).
func FuzzLocation(f *testing.F) {
	f.Add("/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw")
	f.Add("/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=UserA")
	f.Fuzz(func(t *testing.T, s string) {
		dn, err := exchange.ParseLegacyDN(s)
		if err != nil {
			return
		}
		back, err := ParseLocation(SiteFolder(dn), Subject(dn))
		if err != nil {
			if !errors.Is(err, exchange.ErrAddressTooLong) {
				t.Fatalf("names of %q do not parse back: %v", s, err)
			}
			return
		}
		if !back.Equal(dn) {
			t.Fatalf("names of %q parse back to %q", s, back.String())
		}
	})
}
