package notes

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/calbridge/calbridge/freebusy"
)

// Limits on names, from the C API headers (docs/notes.md §5.1, names.h).
const (
	// maxNameLen is the longest name, in bytes, in canonical form without
	// the domain (MAXUSERNAME is 256 including the terminating NUL).
	maxNameLen = 255
	// maxDomainLen is the longest single domain, in bytes (MAXDOMAINNAME is
	// 32 including the NUL).
	maxDomainLen = 31
	// maxOrgUnits is the number of organizational units a Domino-standard
	// name may have (DN_OUNITS).
	maxOrgUnits = 4

	// maxInputLen bounds what ParseName looks at at all: the longest name,
	// a chain of routing domains, and some room for spaces.
	maxInputLen = 1024
)

// Conditions a *NameError reports; match them with errors.Is.
var (
	// ErrEmptyName: the input is empty or only spaces.
	ErrEmptyName = errors.New("notes: empty name")
	// ErrEmptyComponent: a component between slashes, a label's value or the
	// domain is empty ("CN=/O=Acme", "Jane//Acme", "Jane/Acme@"). A
	// trailing slash ("Mary Tsen/") asks Notes to complete the name from
	// the current user's hierarchy, which a library cannot know.
	ErrEmptyComponent = errors.New("notes: empty name component")
	// ErrMixedLabels: labelled and unlabelled components are mixed
	// ("CN=Jane Doe/Acme"), which Notes rejects (§5.1, ODA).
	ErrMixedLabels = errors.New("notes: labelled and unlabelled name components mixed")
	// ErrTooManyOrgUnits: more than four organizational units (DN_OUNITS).
	ErrTooManyOrgUnits = errors.New("notes: more than four organizational units")
	// ErrNameTooLong: the name exceeds 255 bytes in canonical form without
	// the domain (MAXUSERNAME), or a domain exceeds 31 bytes
	// (MAXDOMAINNAME).
	ErrNameTooLong = errors.New("notes: name too long")
	// ErrUnknownLabel: a component label other than CN, OU, O, C, G, I, S,
	// Q, A or P.
	ErrUnknownLabel = errors.New("notes: unknown name component label")
	// ErrDuplicateComponent: a single-valued component (everything but OU)
	// appears twice.
	ErrDuplicateComponent = errors.New("notes: name component repeated")
	// ErrBadCountry: a labelled country (C=) that is not two ASCII letters.
	ErrBadCountry = errors.New("notes: country must be a two-letter code")
	// ErrBadAddress: an Internet address or RFC 822 form that is malformed.
	ErrBadAddress = errors.New("notes: malformed internet address")
	// ErrControlCharacter: the name contains a control character (NUL,
	// newline, ...), which no Notes name may hold.
	ErrControlCharacter = errors.New("notes: control character in name")
)

// NameError reports a name that ParseName refused. It matches its condition
// (ErrMixedLabels, ...) and freebusy.ErrInvalid with errors.Is.
type NameError struct {
	// Input is the name as given, abbreviated to 64 bytes in Error.
	Input string
	// Component is the offending component, when one is to blame.
	Component string
	// Err is the condition.
	Err error
}

// Error implements error.
func (e *NameError) Error() string {
	in := e.Input
	if len(in) > 64 {
		in = in[:64] + "..."
	}
	msg := fmt.Sprintf("notes: invalid name %q: %s", in, strings.TrimPrefix(e.Err.Error(), "notes: "))
	if e.Component != "" {
		c := e.Component
		if len(c) > 64 {
			c = c[:64] + "..."
		}
		msg += fmt.Sprintf(" (%q)", c)
	}
	return msg
}

// Unwrap returns the condition.
func (e *NameError) Unwrap() error { return e.Err }

// Is makes every NameError match freebusy.ErrInvalid, so that
// freebusy.ReasonOf classifies it as ReasonInvalid.
func (e *NameError) Is(target error) bool { return target == freebusy.ErrInvalid }

// Name is a Notes user, server or group name split into its components
// (docs/notes.md §5.1, dname.h DN_COMPONENTS), or an Internet address.
//
// A hierarchical name has a common name, up to four organizational units,
// an organization and a country; the X.400 components G, I, S, Q, A and P
// are kept but make the name non-abbreviable. Domain is the Notes domain of
// a routing address (`Jane Doe/Acme@AcmeMail`); it names a route, not a
// person, so EqualNames ignores it unless both names carry one.
//
// The zero Name is empty; build one with ParseName.
type Name struct {
	// CommonName is the CN component, or the whole of a flat name.
	CommonName string
	// OrgUnits are the OU components in the order they are written, most
	// specific first: for CN=Jane/OU=Sales/OU=East/O=Acme they are
	// ["Sales", "East"], and "East" is what Notes calls OU1.
	OrgUnits []string
	// Organization is the O component.
	Organization string
	// Country is the C component, a two-letter code.
	Country string
	// Given, Initials, Surname and Generation are the X.400 G, I, S and Q
	// components.
	Given, Initials, Surname, Generation string
	// ADMD and PRMD are the X.400 administration and private management
	// domains (A and P).
	ADMD, PRMD string
	// Domain is the Notes domain after '@' in a routing address, possibly
	// a chain ("SHELL@Esso"); empty when the name had none.
	Domain string
	// Internet is the RFC 821 address when the name is an Internet address
	// (jdoe@acme.example) or an RFC 822 phrase form (`Jane Doe
	// <jdoe@acme.example>`, whose phrase lands in CommonName).
	Internet string
}

// ParseName parses a Notes name in any of its written forms
// (docs/notes.md §5):
//
//   - canonical: CN=Jane Doe/OU=Sales/O=Acme/C=US (labels in any case, in
//     any order; a leading slash means least specific first, as in
//     /C=GB/O=CAM/CN=Jayne Doe);
//   - abbreviated: Jane Doe/Sales/Acme/US, where the last part is a country
//     only when it is an ISO 3166 code and the name has at least three
//     parts, the part before it is the organization and the parts between
//     the common name and the organization are organizational units;
//   - flat: Jane Doe;
//   - any of the above with a routing domain: Jane Doe/Acme@AcmeMail (Notes
//     mail templates append it, users type it without: the old connector
//     resolved only one of the two, KB Q271590);
//   - an Internet address jdoe@acme.example, or `Jane Doe
//     <jdoe@acme.example>`. As in Notes' ODA, a string with '@' is an
//     Internet address unless the part before '@' has a space, '/' or '='.
//
// A '$' escapes the next '/', '=', '@', '$' or '+' inside a value
// ("Sales$/Marketing" is one unit). Spaces around components are trimmed.
// Errors are *NameError values matching ErrEmptyName, ErrEmptyComponent,
// ErrMixedLabels, ErrTooManyOrgUnits, ErrNameTooLong, ErrUnknownLabel,
// ErrDuplicateComponent, ErrBadCountry or ErrBadAddress.
func ParseName(s string) (Name, error) {
	fail := func(err error, comp string) (Name, error) {
		return Name{}, &NameError{Input: s, Component: comp, Err: err}
	}
	if len(s) > maxInputLen {
		return fail(ErrNameTooLong, "")
	}
	in := strings.TrimSpace(s)
	if in == "" {
		return fail(ErrEmptyName, "")
	}
	if i := strings.IndexFunc(in, unicode.IsControl); i >= 0 {
		return fail(ErrControlCharacter, in)
	}
	// RFC 822: Phrase <addr@host>.
	if strings.HasSuffix(in, ">") {
		lt := strings.LastIndexByte(in, '<')
		if lt < 0 {
			return fail(ErrBadAddress, in)
		}
		addr := strings.TrimSpace(in[lt+1 : len(in)-1])
		if !validInternet(addr) {
			return fail(ErrBadAddress, addr)
		}
		phrase := strings.Trim(strings.TrimSpace(in[:lt]), `"`)
		phrase = strings.TrimSpace(phrase)
		if len(phrase) > maxNameLen {
			return fail(ErrNameTooLong, "")
		}
		return Name{CommonName: phrase, Internet: addr}, nil
	}
	if strings.ContainsAny(in, "<>") {
		// Only the RFC 822 form above may use angle brackets.
		return fail(ErrBadAddress, in)
	}
	body, domain, hasAt := cutUnescaped(in, '@')
	if hasAt {
		if !strings.ContainsAny(body, " /=") {
			if !validInternet(in) {
				return fail(ErrBadAddress, in)
			}
			return Name{Internet: in}, nil
		}
		domain = strings.TrimSpace(domain)
		if domain == "" {
			return fail(ErrEmptyComponent, "@")
		}
		for hop := range strings.SplitSeq(domain, "@") {
			hop = strings.TrimSpace(hop)
			switch {
			case hop == "":
				return fail(ErrEmptyComponent, "@")
			case len(hop) > maxDomainLen:
				return fail(ErrNameTooLong, hop)
			case strings.ContainsAny(hop, "/="):
				return fail(ErrBadAddress, hop)
			}
		}
		body = strings.TrimSpace(body)
	}
	n, comp, err := parseHierarchical(body)
	if err != nil {
		return fail(err, comp)
	}
	// MAXUSERNAME bounds the name as Notes stores it: canonical, labels
	// and escapes included, without the domain.
	if len(n.Canonical()) > maxNameLen {
		return fail(ErrNameTooLong, "")
	}
	n.Domain = domain
	return n, nil
}

// parseHierarchical parses the part of a name before any '@'. It returns the
// offending component with an error.
func parseHierarchical(s string) (Name, string, error) {
	reversed := false
	if strings.HasPrefix(s, "/") {
		// X.400 order: least specific first, labels required.
		reversed = true
		s = s[1:]
	}
	parts := splitUnescaped(s, '/')
	var labelled, unlabelled int
	type comp struct{ label, value, raw string }
	comps := make([]comp, 0, len(parts))
	for _, raw := range parts {
		p := strings.TrimSpace(raw)
		if p == "" {
			return Name{}, raw, ErrEmptyComponent
		}
		label, value, ok := cutUnescaped(p, '=')
		if ok {
			labelled++
			label = strings.ToUpper(strings.TrimSpace(label))
			value = strings.TrimSpace(value)
			if value == "" {
				return Name{}, p, ErrEmptyComponent
			}
		} else {
			unlabelled++
			value = p
		}
		comps = append(comps, comp{label: label, value: unescape(value), raw: p})
	}
	if labelled > 0 && unlabelled > 0 {
		return Name{}, "", ErrMixedLabels
	}
	if reversed {
		if unlabelled > 0 {
			return Name{}, "", ErrMixedLabels
		}
		for i, j := 0, len(comps)-1; i < j; i, j = i+1, j-1 {
			comps[i], comps[j] = comps[j], comps[i]
		}
	}
	var n Name
	if unlabelled > 0 {
		vals := make([]string, len(comps))
		for i, c := range comps {
			vals[i] = c.value
		}
		n.CommonName = vals[0]
		rest := vals[1:]
		if len(rest) == 0 {
			return n, "", nil
		}
		if len(rest) >= 2 && isCountryCode(rest[len(rest)-1]) {
			n.Country = rest[len(rest)-1]
			rest = rest[:len(rest)-1]
		}
		n.Organization = rest[len(rest)-1]
		rest = rest[:len(rest)-1]
		if len(rest) > maxOrgUnits {
			return Name{}, "", ErrTooManyOrgUnits
		}
		if len(rest) > 0 {
			n.OrgUnits = rest
		}
		return n, "", nil
	}
	for _, c := range comps {
		var dst *string
		switch c.label {
		case "CN":
			dst = &n.CommonName
		case "OU":
			if len(n.OrgUnits) == maxOrgUnits {
				return Name{}, c.raw, ErrTooManyOrgUnits
			}
			n.OrgUnits = append(n.OrgUnits, c.value)
			continue
		case "O":
			dst = &n.Organization
		case "C":
			if !isTwoLetters(c.value) {
				return Name{}, c.raw, ErrBadCountry
			}
			dst = &n.Country
		case "G":
			dst = &n.Given
		case "I":
			dst = &n.Initials
		case "S":
			dst = &n.Surname
		case "Q":
			dst = &n.Generation
		case "A":
			dst = &n.ADMD
		case "P":
			dst = &n.PRMD
		default:
			return Name{}, c.raw, ErrUnknownLabel
		}
		if *dst != "" {
			return Name{}, c.raw, ErrDuplicateComponent
		}
		*dst = c.value
	}
	return n, "", nil
}

// IsZero reports whether n is the empty Name.
func (n Name) IsZero() bool {
	return n.CommonName == "" && len(n.OrgUnits) == 0 && n.Organization == "" && n.Country == "" &&
		n.Given == "" && n.Initials == "" && n.Surname == "" && n.Generation == "" &&
		n.ADMD == "" && n.PRMD == "" && n.Domain == "" && n.Internet == ""
}

// IsInternet reports whether n is an Internet address rather than a Notes
// name.
func (n Name) IsInternet() bool { return n.Internet != "" }

// IsFlat reports whether n is a flat (non-hierarchical) Notes name: a common
// name and nothing else but perhaps a domain.
func (n Name) IsFlat() bool {
	return n.Internet == "" && n.CommonName != "" && len(n.OrgUnits) == 0 && n.Organization == "" &&
		n.Country == "" && !n.hasX400()
}

func (n Name) hasX400() bool {
	return n.Given != "" || n.Initials != "" || n.Surname != "" || n.Generation != "" || n.ADMD != "" || n.PRMD != ""
}

// WithoutDomain returns n with Domain cleared: the form busytime lookups
// want (KB Q222893).
func (n Name) WithoutDomain() Name {
	n.Domain = ""
	return n
}

// Canonical formats n in canonical form, every component labelled, in the
// order Notes writes them (I, G, S, Q, CN, A, P, the OUs, O, C), followed by
// "@Domain" when n has a domain. A flat name is written as it is (Notes
// stores flat names unlabelled; with a domain and no space, "CN=" keeps it
// from reading as an Internet address), and an Internet address as the
// address, in angle brackets when the bare address would read back as a
// Notes name (a$@b: "$@" escapes the '@', docs/notes.md §5).
func (n Name) Canonical() string {
	if n.Internet != "" {
		return n.internetForm()
	}
	var b strings.Builder
	size := len(n.CommonName) + len(n.Organization) + len(n.Country) + len(n.Domain) + 16
	for _, ou := range n.OrgUnits {
		size += len(ou) + 4
	}
	b.Grow(size)
	if n.IsFlat() {
		cn := escape(n.CommonName)
		if n.Domain != "" && !strings.ContainsAny(cn, " /=") {
			// "JaneDoe@Acme" would read as an Internet address.
			b.WriteString("CN=")
		}
		b.WriteString(cn)
	} else {
		add := func(label, v string) {
			if v == "" {
				return
			}
			if b.Len() > 0 {
				b.WriteByte('/')
			}
			b.WriteString(label)
			b.WriteByte('=')
			b.WriteString(escape(v))
		}
		add("I", n.Initials)
		add("G", n.Given)
		add("S", n.Surname)
		add("Q", n.Generation)
		add("CN", n.CommonName)
		add("A", n.ADMD)
		add("P", n.PRMD)
		for _, ou := range n.OrgUnits {
			add("OU", ou)
		}
		add("O", n.Organization)
		add("C", n.Country)
	}
	if n.Domain != "" {
		b.WriteByte('@')
		b.WriteString(n.Domain)
	}
	return b.String()
}

// Abbreviated formats n in abbreviated form (labels removed: Jane
// Doe/Sales/Acme/US), followed by "@Domain" when n has a domain.
//
// A name whose abbreviated form would read back differently is returned in
// canonical form instead, as DNAbbreviate does (§5.1): one with X.400
// components, one with units but no organization (CN=John B Goode/OU=East
// would read as organization East, §10 vector 7), one whose organization
// looks like a country code with no country after it, and one without a
// common name.
func (n Name) Abbreviated() string {
	if n.Internet != "" {
		return n.internetForm()
	}
	if !n.abbreviable() || n.IsFlat() {
		return n.Canonical()
	}
	var b strings.Builder
	b.WriteString(escape(n.CommonName))
	for _, v := range n.OrgUnits {
		b.WriteByte('/')
		b.WriteString(escape(v))
	}
	if n.Organization != "" {
		b.WriteByte('/')
		b.WriteString(escape(n.Organization))
	}
	if n.Country != "" {
		b.WriteByte('/')
		b.WriteString(escape(n.Country))
	}
	if n.Domain != "" {
		b.WriteByte('@')
		b.WriteString(n.Domain)
	}
	return b.String()
}

// internetForm writes the Internet address of n so that ParseName reads it
// back as the same address: bare when it reads back so, else in the RFC 822
// form "<addr>", which ParseName always reads as an address. The bare form
// fails when a '$' before the '@' makes it an escape ("a$@b" is the flat
// Notes name a@b) or when the part before the '@' holds a '=' (a label).
func (n Name) internetForm() string {
	a := n.Internet
	at := strings.IndexByte(a, '@')
	body, _, found := cutUnescaped(a, '@')
	if found && len(body) == at && !strings.ContainsAny(body, " /=") && !strings.HasSuffix(a, ">") {
		return a
	}
	return "<" + a + ">"
}

// abbreviable reports whether the abbreviated form parses back to n.
func (n Name) abbreviable() bool {
	switch {
	case n.CommonName == "" || n.hasX400():
		return false
	case n.IsFlat():
		return true
	case n.Organization == "":
		return false
	case n.Country == "" && len(n.OrgUnits) > 0 && isCountryCode(n.Organization):
		// Jane/Sales/DE would read as organization Sales, country DE.
		return false
	case n.Country != "" && !isCountryCode(n.Country):
		return false
	}
	return true
}

// String returns the canonical form.
func (n Name) String() string { return n.Canonical() }

// MarshalText implements encoding.TextMarshaler with the canonical form, so
// that names in JSON and configuration files survive a round trip.
func (n Name) MarshalText() ([]byte, error) { return []byte(n.Canonical()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseName.
func (n *Name) UnmarshalText(text []byte) error {
	v, err := ParseName(string(text))
	if err != nil {
		return err
	}
	*n = v
	return nil
}

// Key returns a comparison key for n: the canonical form without the domain,
// folded to lower case. Two names have the same key exactly when Equal
// reports them equal ignoring domains; use it to index names in maps.
func (n Name) Key() string {
	// Upper then lower case folds the way strings.EqualFold (Equal) does
	// for the letters that matter here, "ſ" and the Kelvin sign included.
	return strings.ToLower(strings.ToUpper(n.WithoutDomain().Canonical()))
}

// Equal reports whether n and o name the same person: all components equal
// ignoring case, and the domains equal too when both have one (a name with
// and without @Domain is the same person, KB Q271590). Internet addresses
// compare by address alone, ignoring an RFC 822 phrase.
func (n Name) Equal(o Name) bool {
	if n.Internet != "" || o.Internet != "" {
		// An address names its owner; an RFC 822 phrase is display text.
		return strings.EqualFold(n.Internet, o.Internet)
	}
	if n.Domain != "" && o.Domain != "" && !strings.EqualFold(n.Domain, o.Domain) {
		return false
	}
	if !strings.EqualFold(n.CommonName, o.CommonName) ||
		!strings.EqualFold(n.Organization, o.Organization) || !strings.EqualFold(n.Country, o.Country) ||
		!strings.EqualFold(n.Given, o.Given) || !strings.EqualFold(n.Initials, o.Initials) ||
		!strings.EqualFold(n.Surname, o.Surname) || !strings.EqualFold(n.Generation, o.Generation) ||
		!strings.EqualFold(n.ADMD, o.ADMD) || !strings.EqualFold(n.PRMD, o.PRMD) ||
		len(n.OrgUnits) != len(o.OrgUnits) {
		return false
	}
	for i := range n.OrgUnits {
		if !strings.EqualFold(n.OrgUnits[i], o.OrgUnits[i]) {
			return false
		}
	}
	return true
}

// EqualNames reports whether a and b, in any written form ParseName accepts,
// name the same person (see Name.Equal). Strings that do not parse are
// compared case-insensitively as they are, after trimming spaces.
func EqualNames(a, b string) bool {
	na, errA := ParseName(a)
	nb, errB := ParseName(b)
	if errA != nil || errB != nil {
		return errA != nil && errB != nil && strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return na.Equal(nb)
}

// escapable reports whether '$' before c is an escape.
func escapable(c byte) bool { return c == '/' || c == '=' || c == '@' || c == '$' || c == '+' }

// cutUnescaped cuts s at the first sep not escaped by '$'.
func cutUnescaped(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && escapable(s[i+1]):
			i++
		case s[i] == sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// splitUnescaped splits s at every sep not escaped by '$'.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	for {
		before, after, ok := cutUnescaped(s, sep)
		out = append(out, before)
		if !ok {
			return out
		}
		s = after
	}
}

// unescape removes the '$' of every escape.
func unescape(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && escapable(s[i+1]) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escape is the inverse of unescape for one component value: it escapes
// '/', '=', '@' and '+', and a '$' that would otherwise read as an escape.
func escape(s string) string {
	if !strings.ContainsAny(s, "/=@+$") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '/' || c == '=' || c == '@' || c == '+':
			b.WriteByte('$')
		case c == '$' && (i+1 == len(s) || escapable(s[i+1])):
			b.WriteByte('$')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// validInternet is a deliberately loose check of an RFC 821 address: one
// '@' with something on both sides and no spaces, slashes or angle brackets.
func validInternet(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.Count(s, "@") == 1 &&
		!strings.ContainsAny(s, " \t<>/\"") && len(s) <= maxNameLen
}

func isTwoLetters(s string) bool {
	return len(s) == 2 && isASCIILetter(s[0]) && isASCIILetter(s[1])
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// isoCountries lists the ISO 3166-1 alpha-2 codes, three bytes apiece, for
// the abbreviated-name rule of §5.1.
const isoCountries = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "

// isCountryCode reports whether s is an ISO 3166-1 alpha-2 code, in any case.
func isCountryCode(s string) bool {
	if !isTwoLetters(s) {
		return false
	}
	u := [3]byte{s[0] &^ 0x20, s[1] &^ 0x20, ' '}
	for i := 0; i+3 <= len(isoCountries); i += 3 {
		if isoCountries[i] == u[0] && isoCountries[i+1] == u[1] {
			return true
		}
	}
	return false
}
