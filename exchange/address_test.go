package exchange

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func TestParseLegacyDN(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want LegacyDN
	}{
		// docs/exchange.md §5.1, [MS-OXOABK] example.
		{"exchange 2003", "/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=UserA",
			LegacyDN{"Contoso", "First Administrative Group", []string{"Recipients", "UserA"}}},
		// docs/exchange.md §5.1, Exchange 2007+ administrative group.
		{"exchange 2007", "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alias",
			LegacyDN{"Contoso", "Exchange Administrative Group (FYDIBOHF23SPDLT)", []string{"Recipients", "alias"}}},
		// docs/exchange.md §7 item 7 (evolution-exchange docs).
		{"ximian", "/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw",
			LegacyDN{"Ximian XCS", "XCS", []string{"Recipients", "danw"}}},
		{"upper-case attributes", "/O=Contoso/OU=Site/CN=Recipients/CN=UserA",
			LegacyDN{"Contoso", "Site", []string{"Recipients", "UserA"}}},
		// §5.1: the last RDN is opaque, hex suffix and all.
		{"opaque last rdn", "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=3f8b2c1e9a7d4e0fb1c2d3e4f5a6b7c8-alias",
			LegacyDN{"ExchangeLabs", "Exchange Administrative Group (FYDIBOHF23SPDLT)", []string{"Recipients", "3f8b2c1e9a7d4e0fb1c2d3e4f5a6b7c8-alias"}}},
		{"single cn", "/o=A/ou=B/cn=C", LegacyDN{"A", "B", []string{"C"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLegacyDN(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			again, err := ParseLegacyDN(got.String())
			require.NoError(t, err)
			assert.True(t, got.Equal(again), "String() round trip of %q", tt.in)
		})
	}
}

func TestParseLegacyDNErrors(t *testing.T) {
	long := strings.Repeat("x", MaxLegacyDNRDNLength+1)
	tests := []struct {
		name string
		in   string
		cond error
	}{
		{"empty", "", ErrAddressSyntax},
		{"no slash", "o=A/ou=B/cn=C", ErrAddressSyntax},
		{"site only", "/o=A/ou=B", ErrAddressSyntax},
		{"missing ou", "/o=A/cn=B/cn=C", ErrAddressSyntax},
		{"wrong order", "/ou=B/o=A/cn=C", ErrAddressSyntax},
		{"empty value", "/o=A/ou=/cn=C", ErrAddressSyntax},
		{"no equals", "/o=A/ou=B/cnC", ErrAddressSyntax},
		{"trailing slash", "/o=A/ou=B/cn=C/", ErrAddressSyntax},
		{"control char", "/o=A/ou=B/cn=C\x00", ErrAddressSyntax},
		{"bad utf8", "/o=A/ou=B/cn=\xff", ErrAddressSyntax},
		{"rdn too long", "/o=A/ou=B/cn=" + long + "/cn=C", ErrAddressTooLong},
		{"ou too long", "/o=A/ou=" + long + "/cn=C", ErrAddressTooLong},
		{"o too long, only cn short", "/o=" + long + "/ou=B/cn=C", ErrAddressTooLong},
		{"long last rdn past 256 in all", "/o=A/ou=B/cn=Recipients/cn=" + strings.Repeat("z", MaxLegacyDNLength), ErrAddressTooLong},
		{"too many rdns", "/o=A/ou=B" + strings.Repeat("/cn=x", MaxLegacyDNCommon+1), ErrAddressTooLong},
		{"dn too long", "/o=A/ou=B" + strings.Repeat("/cn="+strings.Repeat("y", 60), 5), ErrAddressTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLegacyDN(tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.cond)
			assert.ErrorIs(t, err, ErrInvalidAddress)
			assert.ErrorIs(t, err, freebusy.ErrInvalid)
			var ae *AddressError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "legacyExchangeDN", ae.Kind)
		})
	}
	// The last RDN is opaque (docs/exchange.md §5.1): an Exchange
	// Online-style 32-hex-digit id plus alias, past 64 characters, parses,
	// as does one that takes the DN to exactly 256 characters.
	const site = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
	lastRDN := "5d3c0e9a1b2f4c6d8e7f9a0b1c2d3e4f-averyveryverylongaliasname.withdots-and-more-0a1b2c3d4e"
	require.Greater(t, len(lastRDN), MaxLegacyDNRDNLength)
	dn, err := ParseLegacyDN(site + lastRDN)
	require.NoError(t, err)
	assert.Equal(t, []string{"Recipients", lastRDN}, dn.CommonNames)
	assert.Equal(t, site+lastRDN, dn.String())
	fill := site + strings.Repeat("f", MaxLegacyDNLength-len(site))
	require.Len(t, fill, MaxLegacyDNLength)
	_, err = ParseLegacyDN(fill)
	assert.NoError(t, err)
	_, err = ParseLegacyDN(fill + "f")
	assert.ErrorIs(t, err, ErrAddressTooLong)

	// Fourteen /cn= parts are the maximum, not beyond it.
	_, err = ParseLegacyDN("/o=A/ou=B" + strings.Repeat("/cn=x", MaxLegacyDNCommon))
	assert.NoError(t, err)
}

func TestEqualLegacyDN(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"/o=Contoso/ou=Site/cn=Recipients/cn=UserA", "/O=CONTOSO/OU=SITE/CN=RECIPIENTS/CN=USERA", true},
		{"/o=Contoso/ou=Site/cn=Recipients/cn=UserA", "/o=contoso/ou=site/cn=recipients/cn=usera", true},
		{"/o=Contoso/ou=Site/cn=Recipients/cn=UserA", "/o=Contoso/ou=Site/cn=Recipients/cn=UserB", false},
		{"/o=Contoso/ou=Site/cn=Recipients/cn=UserA", "/o=Contoso/ou=Site/cn=UserA", false},
		// The last RDN is opaque: a suffixed alias is another recipient.
		{"/o=C/ou=S/cn=Recipients/cn=alias", "/o=C/ou=S/cn=Recipients/cn=alias-0a1b", false},
		// Unparsable inputs fall back to a case-insensitive comparison.
		{"not a dn", "NOT A DN", true},
		{"not a dn", "/o=C/ou=S/cn=x", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, EqualLegacyDN(tt.a, tt.b), "%q vs %q", tt.a, tt.b)
		assert.Equal(t, tt.want, EqualLegacyDN(tt.b, tt.a), "%q vs %q", tt.b, tt.a)
	}
}

// docs/exchange.md §5.2: SMTP: primary, smtp: secondary, EX:, X500:.
func TestParseProxyAddress(t *testing.T) {
	tests := []struct {
		in   string
		want ProxyAddress
	}{
		{"SMTP:user@example.com", ProxyAddress{"SMTP", "user@example.com", true}},
		{"smtp:alias@example.com", ProxyAddress{"SMTP", "alias@example.com", false}},
		{"EX:/o=Trager/ou=New York/cn=Recipients/cn=JohnJ", ProxyAddress{"EX", "/o=Trager/ou=New York/cn=Recipients/cn=JohnJ", true}},
		{"X500:/o=Old Org/ou=First Administrative Group/cn=Recipients/cn=johnj", ProxyAddress{"X500", "/o=Old Org/ou=First Administrative Group/cn=Recipients/cn=johnj", true}},
		{"sip:user@example.com", ProxyAddress{"SIP", "user@example.com", false}},
		{"X400:c=US;a= ;p=Org;o=Exchange;s=Doe;", ProxyAddress{"X400", "c=US;a= ;p=Org;o=Exchange;s=Doe;", true}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseProxyAddress(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.in[strings.IndexByte(tt.in, ':'):], got.String()[strings.IndexByte(got.String(), ':'):])
			assert.Equal(t, strings.ToUpper(tt.in[:strings.IndexByte(tt.in, ':')]) == tt.in[:strings.IndexByte(tt.in, ':')], got.Primary)
		})
	}
	assert.Equal(t, "smtp:a@b", ProxyAddress{Type: "SMTP", Address: "a@b"}.String())
	assert.Equal(t, "SMTP:a@b", ProxyAddress{Type: "smtp", Address: "a@b", Primary: true}.String())

	for _, bad := range []string{"", "user@example.com", ":x", "SMTP:", "SMTP:  ", "S M T P:x", "EX:not-a-dn", "X500:o=x", "TOOLONGTYPENAME12345:x", "SMTP:" + strings.Repeat("a", MaxProxyAddressLength)} {
		_, err := ParseProxyAddress(bad)
		assert.ErrorIs(t, err, ErrInvalidAddress, "%q", bad)
	}
}

func TestRecipientResolve(t *testing.T) {
	dir := []Recipient{
		{LegacyDN: "/o=Contoso/ou=Site/cn=Recipients/cn=alice", ProxyAddresses: []string{"smtp:al@contoso.com", "SMTP:alice@contoso.com"}},
		{LegacyDN: "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=0a1b-bob",
			ProxyAddresses: []string{"garbage", "X500:/o=Contoso/ou=Site/cn=Recipients/cn=bob", "SMTP:bob@contoso.com"}},
		{LegacyDN: "/o=Contoso/ou=Site/cn=Recipients/cn=carol", ProxyAddresses: []string{"smtp:carol@contoso.com"}},
	}
	got, err := ResolveLegacyDN("/O=CONTOSO/OU=SITE/CN=RECIPIENTS/CN=ALICE", dir)
	require.NoError(t, err)
	assert.Equal(t, "alice@contoso.com", got)

	// A migrated user is found through the X500 proxy holding the old DN.
	got, err = ResolveLegacyDN("/o=contoso/ou=site/cn=recipients/cn=bob", dir)
	require.NoError(t, err)
	assert.Equal(t, "bob@contoso.com", got)

	_, err = ResolveLegacyDN("/o=Contoso/ou=Site/cn=Recipients/cn=carol", dir)
	assert.ErrorIs(t, err, ErrAddressNotFound, "no primary SMTP")
	_, err = ResolveLegacyDN("/o=Contoso/ou=Site/cn=Recipients/cn=dave", dir)
	assert.ErrorIs(t, err, ErrAddressNotFound)
	_, err = ResolveLegacyDN("dave@contoso.com", dir)
	assert.ErrorIs(t, err, ErrInvalidAddress)
	assert.False(t, errors.Is(err, ErrAddressNotFound))
}

// docs/exchange.md §2.2, §2.7 and §5.2: EWS echoes unresolved mailboxes
// as "<name>TYPE:address" (OpenChange capture: "<>SMTP:addr").
func TestRoutedAddress(t *testing.T) {
	a, err := ParseRoutedAddress("<>SMTP:user@example.com")
	require.NoError(t, err)
	assert.Equal(t, RoutedAddress{RoutingType: "SMTP", Address: "user@example.com"}, a)
	assert.Equal(t, "<>SMTP:user@example.com", a.String())

	a, err = ParseRoutedAddress("<Dan W>EX:/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw")
	require.NoError(t, err)
	assert.Equal(t, RoutedAddress{Name: "Dan W", RoutingType: "EX", Address: "/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw"}, a)

	for _, bad := range []string{"", "SMTP:x", "<SMTP:x", "<>x", "<>SMTP:", "<>S-P:x"} {
		_, err := ParseRoutedAddress(bad)
		assert.ErrorIs(t, err, ErrAddressSyntax, "%q", bad)
	}

	tests := []struct {
		text string
		want RoutedAddress
		ok   bool
	}{
		{"Unable to resolve e-mail address <>SMTP:user@example.com to an Active Directory object.",
			RoutedAddress{RoutingType: "SMTP", Address: "user@example.com"}, true},
		{"Unable to resolve e-mail address <>EX:/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw to an Active Directory object.",
			RoutedAddress{RoutingType: "EX", Address: "/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw"}, true},
		{"Mailbox <Dan W>SMTP:danw@example.com.", RoutedAddress{Name: "Dan W", RoutingType: "SMTP", Address: "danw@example.com"}, true},
		{"no address here <b> at all", RoutedAddress{}, false},
	}
	for _, tt := range tests {
		got, ok := FindRoutedAddress(tt.text)
		assert.Equal(t, tt.ok, ok, tt.text)
		assert.Equal(t, tt.want, got, tt.text)
	}
}

func FuzzParseLegacyDN(f *testing.F) {
	for _, s := range []string{
		"/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=UserA",
		"/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw",
		"/O=X/OU=Y/CN=Z",
		"/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=3f8b2c1e-alias",
		"/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=5d3c0e9a1b2f4c6d8e7f9a0b1c2d3e4f-averyveryverylongaliasname.withdots",
		"/o=A/ou=B",
		"EX:/o=A/ou=B",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dn, err := ParseLegacyDN(s)
		if err != nil {
			var ae *AddressError
			if !errors.As(err, &ae) || !errors.Is(err, ErrInvalidAddress) {
				t.Fatalf("ParseLegacyDN(%q) error %v is not an *AddressError", s, err)
			}
			return
		}
		if !EqualLegacyDN(s, dn.String()) {
			t.Fatalf("ParseLegacyDN(%q).String() = %q does not compare equal", s, dn.String())
		}
		again, err := ParseLegacyDN(dn.String())
		if err != nil || !again.Equal(dn) {
			t.Fatalf("reparse of %q: %v", dn.String(), err)
		}
	})
}
