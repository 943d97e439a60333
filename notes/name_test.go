package notes

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestParseNameGolden checks the golden examples of
// docs/notes.md §5.4 and §10 vector 7.
func TestParseNameGolden(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      Name
		canonical string
		abbrev    string
	}{
		{
			// §5.4 row 1 (HCL Notes C API Reference, DNAbbreviate sample).
			name: "DNAbbreviate sample",
			in:   "CN=Jayne Doe/OU=Inside Sales/OU=Sales/O=ABCorp/C=US",
			want: Name{CommonName: "Jayne Doe", OrgUnits: []string{"Inside Sales", "Sales"}, Organization: "ABCorp", Country: "US"},
			// Canonical: same; abbreviated: derived in §5.4.
			canonical: "CN=Jayne Doe/OU=Inside Sales/OU=Sales/O=ABCorp/C=US",
			abbrev:    "Jayne Doe/Inside Sales/Sales/ABCorp/US",
		},
		{
			// §5.4 row 2 (a Domino terminology database's canonical-format definition).
			name:      "terminology db abbreviated",
			in:        "Reuben D. Smith/Ottawa/Acme/CA",
			want:      Name{CommonName: "Reuben D. Smith", OrgUnits: []string{"Ottawa"}, Organization: "Acme", Country: "CA"},
			canonical: "CN=Reuben D. Smith/OU=Ottawa/O=Acme/C=CA",
			abbrev:    "Reuben D. Smith/Ottawa/Acme/CA",
		},
		{
			// §5.4 row 3 (HCL Notes C API Reference, DNParse): non-abbreviable, with ADMD, PRMD and
			// a domain; leading slash means least specific first.
			name:      "DNParse X.400 sample",
			in:        "/C=GB/A=RN/P=Red Squadron/O=CAM/CN=Jayne Doe@FooDomain",
			want:      Name{CommonName: "Jayne Doe", Organization: "CAM", Country: "GB", ADMD: "RN", PRMD: "Red Squadron", Domain: "FooDomain"},
			canonical: "CN=Jayne Doe/A=RN/P=Red Squadron/O=CAM/C=GB@FooDomain",
			abbrev:    "CN=Jayne Doe/A=RN/P=Red Squadron/O=CAM/C=GB@FooDomain",
		},
		{
			// §10 vector 7 and §5.1 (OpenNTF Domino API, Name schema): OU without O must
			// not abbreviate to John B Goode/East.
			name:      "OU without O stays canonical",
			in:        "CN=John B Goode/OU=East",
			want:      Name{CommonName: "John B Goode", OrgUnits: []string{"East"}},
			canonical: "CN=John B Goode/OU=East",
			abbrev:    "CN=John B Goode/OU=East",
		},
		{
			// §5.1: hierarchy right-to-left, East is OU1.
			name:      "canonical with two units",
			in:        "CN=John B Goode/OU=Sales/OU=East/O=Acme/C=US",
			want:      Name{CommonName: "John B Goode", OrgUnits: []string{"Sales", "East"}, Organization: "Acme", Country: "US"},
			canonical: "CN=John B Goode/OU=Sales/OU=East/O=Acme/C=US",
			abbrev:    "John B Goode/Sales/East/Acme/US",
		},
		{
			// §5.1 (HCL Notes C API Reference, DNParse): '$' escapes a '/' inside a value.
			name:      "dollar escape",
			in:        "Jayne Doe/Sales$/Marketing/Lotus/GB",
			want:      Name{CommonName: "Jayne Doe", OrgUnits: []string{"Sales/Marketing"}, Organization: "Lotus", Country: "GB"},
			canonical: "CN=Jayne Doe/OU=Sales$/Marketing/O=Lotus/C=GB",
			abbrev:    "Jayne Doe/Sales$/Marketing/Lotus/GB",
		},
		{
			// §5.2 (Microsoft KB Q222893): routing address with a domain.
			name:      "routing address",
			in:        "John Smith/Central/Microsoft@EXCHANGE",
			want:      Name{CommonName: "John Smith", OrgUnits: []string{"Central"}, Organization: "Microsoft", Domain: "EXCHANGE"},
			canonical: "CN=John Smith/OU=Central/O=Microsoft@EXCHANGE",
			abbrev:    "John Smith/Central/Microsoft@EXCHANGE",
		},
		{
			// §5.2: chained domains stay one Domain.
			name:      "domain chain",
			in:        "Jane Doe/Acme@SHELL@Esso",
			want:      Name{CommonName: "Jane Doe", Organization: "Acme", Domain: "SHELL@Esso"},
			canonical: "CN=Jane Doe/O=Acme@SHELL@Esso",
			abbrev:    "Jane Doe/Acme@SHELL@Esso",
		},
		{
			// §5.1: a flat name.
			name:      "flat",
			in:        "Mary Tsen",
			want:      Name{CommonName: "Mary Tsen"},
			canonical: "Mary Tsen",
			abbrev:    "Mary Tsen",
		},
		{
			// §5.2 (HCL Notes C API Reference, DNParse): RFC 822 phrase form.
			name:      "rfc822 phrase",
			in:        "Jayne Doe <jdoe@lotus.com>",
			want:      Name{CommonName: "Jayne Doe", Internet: "jdoe@lotus.com"},
			canonical: "jdoe@lotus.com",
			abbrev:    "jdoe@lotus.com",
		},
		{
			// §5.2 (OpenNTF Domino API, NameODA): '@' with no space, '/' or '=' before it is an
			// Internet address.
			name:      "internet address",
			in:        "jdoe@lotus.com",
			want:      Name{Internet: "jdoe@lotus.com"},
			canonical: "jdoe@lotus.com",
			abbrev:    "jdoe@lotus.com",
		},
		{
			// §5.1 (OpenNTF Domino API, NameODA): label keywords are case-insensitive; spaces trimmed.
			name:      "lower-case labels and spaces",
			in:        " cn=Jane Doe / ou=Sales / o=Acme ",
			want:      Name{CommonName: "Jane Doe", OrgUnits: []string{"Sales"}, Organization: "Acme"},
			canonical: "CN=Jane Doe/OU=Sales/O=Acme",
			abbrev:    "Jane Doe/Sales/Acme",
		},
		{
			// §5.1 (OpenNTF Domino API, NameODA): the last part is C only when it is an ISO code.
			name:      "last part not a country",
			in:        "Jane Doe/Sales/Acme/XY",
			want:      Name{CommonName: "Jane Doe", OrgUnits: []string{"Sales", "Acme"}, Organization: "XY"},
			canonical: "CN=Jane Doe/OU=Sales/OU=Acme/O=XY",
			abbrev:    "Jane Doe/Sales/Acme/XY",
		},
		{
			// Two parts: the second is the organization even if it reads
			// as a country code (Jane/IT is organization IT).
			name:      "two parts organization",
			in:        "Jane Doe/IT",
			want:      Name{CommonName: "Jane Doe", Organization: "IT"},
			canonical: "CN=Jane Doe/O=IT",
			abbrev:    "Jane Doe/IT",
		},
		{
			name:      "X.400 given and surname make it non-abbreviable",
			in:        "G=Jayne/S=Doe/CN=Jayne Doe/O=Acme",
			want:      Name{CommonName: "Jayne Doe", Given: "Jayne", Surname: "Doe", Organization: "Acme"},
			canonical: "G=Jayne/S=Doe/CN=Jayne Doe/O=Acme",
			abbrev:    "G=Jayne/S=Doe/CN=Jayne Doe/O=Acme",
		},
		{
			name:      "organization that looks like a country behind units",
			in:        "CN=Jane/OU=Sales/O=DE",
			want:      Name{CommonName: "Jane", OrgUnits: []string{"Sales"}, Organization: "DE"},
			canonical: "CN=Jane/OU=Sales/O=DE",
			abbrev:    "CN=Jane/OU=Sales/O=DE",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseName(tt.in)
			require.NoError(t, err, tt.in)
			assert.Equal(t, tt.want, n)
			assert.Equal(t, tt.canonical, n.Canonical(), "canonical of %q", tt.in)
			assert.Equal(t, tt.abbrev, n.Abbreviated(), "abbreviated of %q", tt.in)
			// Both forms parse back to the same name.
			for _, form := range []string{n.Canonical(), n.Abbreviated()} {
				back, err := ParseName(form)
				require.NoError(t, err, form)
				assert.True(t, n.Equal(back), "%q parsed back from %q as %+v", tt.in, form, back)
			}
		})
	}
}

// TestParseNameErrors checks the typed errors of §5.1: mixed labels, more
// than four OUs (DN_OUNITS), MAXUSERNAME, the two-letter country.
func TestParseNameErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrEmptyName},
		{"spaces", "   ", ErrEmptyName},
		{"mixed labels", "CN=Jane Doe/Acme", ErrMixedLabels},
		{"mixed labels other way", "Jane Doe/O=Acme", ErrMixedLabels},
		{"leading slash unlabelled", "/Acme/Jane", ErrMixedLabels},
		{"five OUs labelled", "CN=J/OU=1/OU=2/OU=3/OU=4/OU=5/O=Acme", ErrTooManyOrgUnits},
		{"five OUs abbreviated", "J/1/2/3/4/5/Acme", ErrTooManyOrgUnits},
		{"too long", strings.Repeat("x", maxNameLen+1), ErrNameTooLong},
		{"too long input", strings.Repeat("x/", 600), ErrNameTooLong},
		{"domain too long", "Jane Doe/Acme@" + strings.Repeat("d", maxDomainLen+1), ErrNameTooLong},
		{"unknown label", "CN=Jane/X=1/O=Acme", ErrUnknownLabel},
		{"duplicate CN", "CN=Jane/CN=John/O=Acme", ErrDuplicateComponent},
		{"country three letters", "CN=Jane/O=Acme/C=USA", ErrBadCountry},
		{"country digits", "CN=Jane/O=Acme/C=12", ErrBadCountry},
		{"empty value", "CN=/O=Acme", ErrEmptyComponent},
		{"empty part", "Jane//Acme", ErrEmptyComponent},
		{"trailing slash template", "Mary Tsen/", ErrEmptyComponent},
		{"empty domain", "Jane Doe/Acme@", ErrEmptyComponent},
		{"empty hop", "Jane Doe/Acme@A@", ErrEmptyComponent},
		{"bad internet", "jdoe@", ErrBadAddress},
		{"two at signs", "a@b@c", ErrBadAddress},
		{"bad rfc822", "Jane <>", ErrBadAddress},
		{"rfc822 no open", "Jane jdoe@x>", ErrBadAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseName(tt.in)
			require.Error(t, err, "%q parsed as %+v", tt.in, n)
			assert.ErrorIs(t, err, tt.want)
			assert.ErrorIs(t, err, freebusy.ErrInvalid)
			assert.Equal(t, freebusy.ReasonInvalid, freebusy.ReasonOf(err))
			var ne *NameError
			require.True(t, errors.As(err, &ne))
			assert.Equal(t, tt.in, ne.Input)
			assert.True(t, strings.HasPrefix(err.Error(), "notes: invalid name"), err.Error())
			assert.True(t, n.IsZero())
		})
	}
}

// TestEqualNames checks case-insensitive comparison across forms and the
// @Domain rule of KB Q271590 (docs/notes.md §5.2, §7.3).
func TestEqualNames(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"CN=Jane Doe/OU=Sales/O=Acme", "Jane Doe/Sales/Acme", true},
		{"CN=Jane Doe/OU=Sales/O=Acme", "jane doe/sales/ACME", true},
		{"Jane Doe/Sales/Acme@AcmeMail", "CN=Jane Doe/OU=Sales/O=Acme", true},
		{"Jane Doe/Sales/Acme@AcmeMail", "Jane Doe/Sales/Acme@acmemail", true},
		{"Jane Doe/Sales/Acme@AcmeMail", "Jane Doe/Sales/Acme@Other", false},
		{"Jane Doe/Sales/Acme", "Jane Doe/Marketing/Acme", false},
		{"Jane Doe/Sales/Acme", "Jane Doe/Acme", false},
		{"Jane Doe/Acme/US", "Jane Doe/Acme", false},
		{"jdoe@acme.example", "JDoe@Acme.Example", true},
		{"jdoe@acme.example", "Jane Doe/Acme", false},
		{"CN=Jane Doe", "Jane Doe", true},
		{"CN=X/Y", "cn=x/y", true}, // both unparseable: compared as text
		{"CN=X/Y", "Jane Doe", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, EqualNames(tt.a, tt.b), "%q vs %q", tt.a, tt.b)
		assert.Equal(t, tt.want, EqualNames(tt.b, tt.a), "%q vs %q", tt.b, tt.a)
	}
}

func TestNameKey(t *testing.T) {
	forms := []string{
		"CN=Jane Doe/OU=Sales/O=Acme/C=US",
		"Jane Doe/Sales/Acme/US",
		"jane doe/sales/acme/us@ACMEMAIL",
		"cn=JANE DOE/ou=SALES/o=ACME/c=us",
	}
	var keys []string
	for _, f := range forms {
		n, err := ParseName(f)
		require.NoError(t, err, f)
		keys = append(keys, n.Key())
	}
	for _, k := range keys {
		assert.Equal(t, "cn=jane doe/ou=sales/o=acme/c=us", k)
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	values := []string{"a/b", "a=b", "a@b", "a+b", "cost$", "$/", "a$b", "$$", "plain"}
	for _, v := range values {
		n := Name{CommonName: "J", OrgUnits: []string{v}, Organization: "Acme"}
		for _, form := range []string{n.Canonical(), n.Abbreviated()} {
			back, err := ParseName(form)
			require.NoError(t, err, form)
			assert.Equal(t, n, back, "value %q via %q", v, form)
		}
	}
}

func TestNameText(t *testing.T) {
	var v struct{ Owner Name }
	require.NoError(t, json.Unmarshal([]byte(`{"Owner":"Jane Doe/Sales/Acme/US@AcmeMail"}`), &v))
	assert.Equal(t, Name{CommonName: "Jane Doe", OrgUnits: []string{"Sales"}, Organization: "Acme", Country: "US", Domain: "AcmeMail"}, v.Owner)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	assert.JSONEq(t, `{"Owner":"CN=Jane Doe/OU=Sales/O=Acme/C=US@AcmeMail"}`, string(out))
	err = json.Unmarshal([]byte(`{"Owner":"CN=Jane/Acme"}`), &v)
	assert.ErrorIs(t, err, ErrMixedLabels)
}

func TestParseNameRefusesControlCharacters(t *testing.T) {
	for _, in := range []string{"Jane\x00/Acme", "CN=Jane\n/O=Acme", "Jane\t Doe/Acme"} {
		_, err := ParseName(in)
		assert.ErrorIs(t, err, ErrControlCharacter, "%q", in)
		assert.ErrorIs(t, err, freebusy.ErrInvalid, "%q", in)
	}
}

// Key agrees with Equal where Unicode case folding goes beyond ToLower:
// "ſ" (long s) folds to "s".
func TestKeyFoldsLikeEqual(t *testing.T) {
	a, err := ParseName("CN=ſam/O=Acme")
	require.NoError(t, err)
	b, err := ParseName("CN=Sam/O=Acme")
	require.NoError(t, err)
	require.True(t, a.Equal(b))
	assert.Equal(t, a.Key(), b.Key())
}

// An Internet address with '$' before its '@' ("a$@b", from "<a$@b>")
// must not be written bare: "$@" is the escape for '@' (docs/notes.md §5),
// so "a$@b" reads back as the flat Notes name a@b. Canonical and
// Abbreviated write such addresses in the RFC 822 form "<a$@b>", and every
// written form reads back as the same name (found by FuzzParseName; the
// input is in testdata/fuzz/FuzzParseName/dollar-at-internet).
func TestInternetAddressWithDollarRoundTrips(t *testing.T) {
	for _, tt := range []struct{ in, canonical string }{
		{"<a$@b>", "<a$@b>"},
		{"Jane <a$$@b.example>", "a$$@b.example"}, // "$$" is an escaped "$": the "@" stays
		{"<x=y@b.example>", "<x=y@b.example>"},
		{"<$a@b.example>", "$a@b.example"},
		{"jdoe@lotus.com", "jdoe@lotus.com"},
		{"Jayne Doe <jdoe@lotus.com>", "jdoe@lotus.com"},
	} {
		n, err := ParseName(tt.in)
		require.NoError(t, err, tt.in)
		require.True(t, n.IsInternet(), tt.in)
		assert.Equal(t, tt.canonical, n.Canonical(), tt.in)
		assert.Equal(t, tt.canonical, n.Abbreviated(), tt.in)
		back, err := ParseName(n.Canonical())
		require.NoError(t, err, tt.in)
		assert.True(t, back.IsInternet(), "%q reads back as a Notes name: %+v", n.Canonical(), back)
		assert.Equal(t, n.Internet, back.Internet, tt.in)
		assert.True(t, EqualNames(tt.in, n.Canonical()), tt.in)
		assert.Equal(t, n.Key(), back.Key(), tt.in)
	}
	// The address and the flat Notes name it used to collide with are
	// different names, with different keys.
	addr, err := ParseName("<a$@b>")
	require.NoError(t, err)
	flat, err := ParseName("a$@b")
	require.NoError(t, err)
	assert.Equal(t, "a@b", flat.CommonName)
	assert.False(t, addr.Equal(flat))
	assert.False(t, EqualNames("<a$@b>", "a$@b"))
	assert.NotEqual(t, addr.Key(), flat.Key())
}
