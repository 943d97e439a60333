package exchange

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/calbridge/calbridge/freebusy"
)

// Limits of a legacyExchangeDN ([MS-OXOABK] ABNF, docs/exchange.md §5.1):
// each RDN value at most 64 characters, except the last, which is opaque
// (see ParseLegacyDN); at most 16 RDNs (one /o=, one /ou= and up to 14
// /cn=), the whole DN at most 256 characters.
const (
	MaxLegacyDNLength    = 256
	MaxLegacyDNRDNLength = 64
	MaxLegacyDNCommon    = 14
)

// Address conditions. Every *AddressError matches ErrInvalidAddress and
// freebusy.ErrInvalid with errors.Is, and its Err condition as well.
var (
	// ErrInvalidAddress is matched by every *AddressError.
	ErrInvalidAddress = errors.New("exchange: invalid address")
	// ErrAddressTooLong: the input exceeds a documented length limit.
	ErrAddressTooLong = errors.New("exchange: address too long")
	// ErrAddressSyntax: the input does not follow the address grammar.
	ErrAddressSyntax = errors.New("exchange: address syntax")
	// ErrAddressNotFound: no directory entry matches a legacyExchangeDN, or
	// an entry has no primary SMTP address. It is not an *AddressError: the
	// address is well-formed, only unknown.
	ErrAddressNotFound = errors.New("exchange: address not found")
)

// AddressError reports an Exchange address that could not be parsed.
type AddressError struct {
	// Kind names the address form: "legacyExchangeDN", "proxy address",
	// "routed address".
	Kind string
	// Input is the offending text, abbreviated to 80 bytes in Error.
	Input string
	// Detail says what is wrong, for people.
	Detail string
	// Err is the condition: ErrAddressTooLong or ErrAddressSyntax.
	Err error
}

// Error implements error.
func (e *AddressError) Error() string {
	in := e.Input
	if len(in) > 80 {
		in = in[:80] + "..."
	}
	return fmt.Sprintf("exchange: invalid %s %q: %s", e.Kind, in, e.Detail)
}

// Unwrap returns the condition.
func (e *AddressError) Unwrap() error { return e.Err }

// Is makes every *AddressError match ErrInvalidAddress and freebusy.ErrInvalid.
func (e *AddressError) Is(target error) bool {
	return target == ErrInvalidAddress || target == freebusy.ErrInvalid
}

func addressErr(kind, input string, cond error, format string, args ...any) *AddressError {
	return &AddressError{Kind: kind, Input: input, Detail: fmt.Sprintf(format, args...), Err: cond}
}

// LegacyDN is a parsed legacyExchangeDN, the X.500-style "EX" address of an
// Exchange recipient (AD attribute legacyExchangeDN, MAPI PidTagEmailAddress
// of an address-book object with PidTagAddressType "EX"; [MS-OXOABK],
// docs/exchange.md §5.1):
//
//	/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=UserA
//
// Values are kept as written; comparison is case-insensitive (Equal). The
// last common name is opaque: newer Exchange appends a hexadecimal suffix to
// it when aliases collide, so no alias is ever parsed out of it.
type LegacyDN struct {
	// Organization is the value of the /o= RDN.
	Organization string
	// OrgUnit is the value of the /ou= RDN: the site or administrative
	// group ("Exchange Administrative Group (FYDIBOHF23SPDLT)" on 2007+).
	OrgUnit string
	// CommonNames are the values of the /cn= RDNs in order, one to
	// MaxLegacyDNCommon of them.
	CommonNames []string
}

const kindLegacyDN = "legacyExchangeDN"

// ParseLegacyDN parses a legacyExchangeDN: "/o=" rdn "/ou=" rdn followed by
// one to fourteen "/cn=" rdn parts. Attribute names are case-insensitive;
// values are non-empty and free of "/" and control characters. Every value
// but the last is at most MaxLegacyDNRDNLength (64) characters. The last
// is opaque and exempt from that limit: Exchange Online and newer Exchange
// append a 32-digit hexadecimal id or a collision suffix to the alias
// (docs/exchange.md §5.1), which takes real last RDNs past 64
// characters; the whole DN is still at most MaxLegacyDNLength (256)
// characters, which bounds it. Errors are *AddressError values.
func ParseLegacyDN(s string) (LegacyDN, error) {
	var dn LegacyDN
	if len(s) > MaxLegacyDNLength*utf8.UTFMax || utf8.RuneCountInString(s) > MaxLegacyDNLength {
		return dn, addressErr(kindLegacyDN, s, ErrAddressTooLong, "longer than %d characters", MaxLegacyDNLength)
	}
	if !utf8.ValidString(s) {
		return dn, addressErr(kindLegacyDN, s, ErrAddressSyntax, "not valid UTF-8")
	}
	if !strings.HasPrefix(s, "/") {
		return dn, addressErr(kindLegacyDN, s, ErrAddressSyntax, "does not start with \"/o=\"")
	}
	parts := strings.Split(s[1:], "/")
	if len(parts) < 3 {
		return dn, addressErr(kindLegacyDN, s, ErrAddressSyntax, "needs /o=, /ou= and at least one /cn=")
	}
	if len(parts) > 2+MaxLegacyDNCommon {
		return dn, addressErr(kindLegacyDN, s, ErrAddressTooLong, "more than %d RDNs", 2+MaxLegacyDNCommon)
	}
	dn.CommonNames = make([]string, 0, len(parts)-2)
	for i, part := range parts {
		want := "cn"
		switch i {
		case 0:
			want = "o"
		case 1:
			want = "ou"
		}
		attr, value, ok := strings.Cut(part, "=")
		if !ok || !strings.EqualFold(attr, want) {
			return LegacyDN{}, addressErr(kindLegacyDN, s, ErrAddressSyntax, "RDN %d is %q, want %s=", i+1, part, want)
		}
		if err := checkRDNValue(s, value, i+1, i == len(parts)-1); err != nil {
			return LegacyDN{}, err
		}
		switch i {
		case 0:
			dn.Organization = value
		case 1:
			dn.OrgUnit = value
		default:
			dn.CommonNames = append(dn.CommonNames, value)
		}
	}
	return dn, nil
}

// checkRDNValue checks the value of RDN number pos; the last RDN is opaque
// and has no length limit of its own.
func checkRDNValue(input, value string, pos int, last bool) error {
	if value == "" {
		return addressErr(kindLegacyDN, input, ErrAddressSyntax, "RDN %d has an empty value", pos)
	}
	if !last && utf8.RuneCountInString(value) > MaxLegacyDNRDNLength {
		return addressErr(kindLegacyDN, input, ErrAddressTooLong, "RDN %d is longer than %d characters", pos, MaxLegacyDNRDNLength)
	}
	for _, r := range value {
		if unicode.IsControl(r) {
			return addressErr(kindLegacyDN, input, ErrAddressSyntax, "RDN %d contains a control character", pos)
		}
	}
	return nil
}

// String formats the DN with lower-case attribute names and the values as
// they were parsed: "/o=Contoso/ou=Site/cn=Recipients/cn=UserA".
func (d LegacyDN) String() string {
	var b strings.Builder
	b.Grow(len(d.Organization) + len(d.OrgUnit) + 8 + 16*len(d.CommonNames))
	b.WriteString(d.Site())
	for _, cn := range d.CommonNames {
		b.WriteString("/cn=")
		b.WriteString(cn)
	}
	return b.String()
}

// Site returns the DN up to (not including) the first /cn=:
// "/o=Contoso/ou=Site".
func (d LegacyDN) Site() string {
	return "/o=" + d.Organization + "/ou=" + d.OrgUnit
}

// Equal reports whether d and o name the same recipient: same number of
// RDNs, values equal under Unicode case folding.
func (d LegacyDN) Equal(o LegacyDN) bool {
	if len(d.CommonNames) != len(o.CommonNames) ||
		!strings.EqualFold(d.Organization, o.Organization) ||
		!strings.EqualFold(d.OrgUnit, o.OrgUnit) {
		return false
	}
	for i := range d.CommonNames {
		if !strings.EqualFold(d.CommonNames[i], o.CommonNames[i]) {
			return false
		}
	}
	return true
}

// EqualLegacyDN reports whether two legacyExchangeDN strings name the same
// recipient. Well-formed DNs are compared RDN by RDN, case-insensitively (so
// "/O=X/OU=Y/CN=Z" equals "/o=x/ou=y/cn=z"); when either does not parse, the
// raw strings are compared case-insensitively.
func EqualLegacyDN(a, b string) bool {
	da, errA := ParseLegacyDN(a)
	db, errB := ParseLegacyDN(b)
	if errA != nil || errB != nil {
		return strings.EqualFold(a, b)
	}
	return da.Equal(db)
}

// Proxy address types with a fixed meaning ([MS-OXLDAP]; docs/exchange.md
// §5.2).
const (
	ProxyTypeSMTP = "SMTP"
	ProxyTypeEX   = "EX"
	ProxyTypeX500 = "X500"
)

// MaxProxyAddressLength bounds a proxy address (AD's proxyAddresses values
// are limited to 1123 characters).
const MaxProxyAddressLength = 1123

const kindProxy = "proxy address"

// ProxyAddress is one entry of a recipient's proxyAddresses (AD) or
// PidTagAddressBookProxyAddresses 0x800F101F (MAPI): "TYPE:address"
// ([MS-OXLDAP]; docs/exchange.md §5.2). An upper-case type ("SMTP:")
// marks the primary address of that type, a lower-case one ("smtp:") a
// secondary one. "EX:" carries the legacyExchangeDN, "X500:" old DNs kept
// after a migration.
type ProxyAddress struct {
	// Type is the address type, upper-cased: "SMTP", "EX", "X500", "SIP", ...
	Type string
	// Address is everything after the first colon, as written.
	Address string
	// Primary is set when the type was written in upper case.
	Primary bool
}

// ParseProxyAddress parses "TYPE:address". The type is 1 to 16 ASCII letters
// and digits; the address is non-empty. An EX address must be a valid
// legacyExchangeDN; X500 addresses are only checked to start with "/".
// Errors are *AddressError values.
func ParseProxyAddress(s string) (ProxyAddress, error) {
	if len(s) > MaxProxyAddressLength {
		return ProxyAddress{}, addressErr(kindProxy, s, ErrAddressTooLong, "longer than %d bytes", MaxProxyAddressLength)
	}
	typ, addr, ok := strings.Cut(s, ":")
	if !ok {
		return ProxyAddress{}, addressErr(kindProxy, s, ErrAddressSyntax, "no \"TYPE:\" prefix")
	}
	if !validAddressType(typ) {
		return ProxyAddress{}, addressErr(kindProxy, s, ErrAddressSyntax, "type %q is not 1 to 16 letters and digits", typ)
	}
	if strings.TrimSpace(addr) == "" {
		return ProxyAddress{}, addressErr(kindProxy, s, ErrAddressSyntax, "empty address")
	}
	p := ProxyAddress{Type: strings.ToUpper(typ), Address: addr, Primary: typ == strings.ToUpper(typ)}
	switch p.Type {
	case ProxyTypeEX:
		if _, err := ParseLegacyDN(addr); err != nil {
			return ProxyAddress{}, err
		}
	case ProxyTypeX500:
		if !strings.HasPrefix(addr, "/") {
			return ProxyAddress{}, addressErr(kindProxy, s, ErrAddressSyntax, "X500 address does not start with \"/\"")
		}
	}
	return p, nil
}

func validAddressType(t string) bool {
	if t == "" || len(t) > 16 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// String formats the proxy address: the type upper-cased when Primary,
// lower-cased otherwise ("SMTP:a@example.com", "smtp:b@example.com").
func (p ProxyAddress) String() string {
	if p.Primary {
		return strings.ToUpper(p.Type) + ":" + p.Address
	}
	return strings.ToLower(p.Type) + ":" + p.Address
}

// Recipient is what a gateway needs from a directory entry to map Exchange
// addresses: the legacyExchangeDN and the proxy addresses.
type Recipient struct {
	// LegacyDN is the AD legacyExchangeDN.
	LegacyDN string
	// ProxyAddresses are the AD proxyAddresses ("SMTP:...", "X500:...").
	ProxyAddresses []string
}

// PrimarySMTP returns the address of the "SMTP:" (upper-case) proxy entry.
// Malformed entries are skipped. It returns ErrAddressNotFound when there is
// no primary SMTP entry.
func (r Recipient) PrimarySMTP() (string, error) {
	for _, s := range r.ProxyAddresses {
		p, err := ParseProxyAddress(s)
		if err == nil && p.Type == ProxyTypeSMTP && p.Primary {
			return p.Address, nil
		}
	}
	return "", fmt.Errorf("%w: no primary SMTP proxy address", ErrAddressNotFound)
}

// MatchesDN reports whether dn names this recipient: it equals the
// legacyExchangeDN or, as in migrated organisations, an "X500:" or "EX:"
// proxy entry, compared case-insensitively (docs/exchange.md §5.2).
func (r Recipient) MatchesDN(dn string) bool {
	if EqualLegacyDN(r.LegacyDN, dn) {
		return true
	}
	for _, s := range r.ProxyAddresses {
		p, err := ParseProxyAddress(s)
		if err == nil && (p.Type == ProxyTypeX500 || p.Type == ProxyTypeEX) && EqualLegacyDN(p.Address, dn) {
			return true
		}
	}
	return false
}

// ResolveLegacyDN returns the primary SMTP address of the first recipient
// that MatchesDN(dn). It returns an *AddressError when dn is not a valid
// legacyExchangeDN and an error matching ErrAddressNotFound when no
// recipient matches or the match has no primary SMTP address.
func ResolveLegacyDN(dn string, directory []Recipient) (string, error) {
	if _, err := ParseLegacyDN(dn); err != nil {
		return "", err
	}
	for _, r := range directory {
		if r.MatchesDN(dn) {
			return r.PrimarySMTP()
		}
	}
	return "", fmt.Errorf("%w: no recipient has this legacyExchangeDN", ErrAddressNotFound)
}

const kindRouted = "routed address"

// RoutedAddress is the "<name>TYPE:address" form in which Exchange echoes a
// mailbox in EWS error texts, for example "<>SMTP:user@example.com" in
// "Unable to resolve e-mail address <>SMTP:user@example.com to an Active
// Directory object." (docs/exchange.md §2.2, §2.7, §5.2).
type RoutedAddress struct {
	// Name is the display name between the angle brackets, often empty.
	Name string
	// RoutingType is the address type: "SMTP" or "EX".
	RoutingType string
	// Address is the SMTP address or, for "EX", the legacyExchangeDN.
	Address string
}

// ParseRoutedAddress parses "<name>TYPE:address". Errors are *AddressError
// values.
func ParseRoutedAddress(s string) (RoutedAddress, error) {
	if len(s) > MaxProxyAddressLength {
		return RoutedAddress{}, addressErr(kindRouted, s, ErrAddressTooLong, "longer than %d bytes", MaxProxyAddressLength)
	}
	if !strings.HasPrefix(s, "<") {
		return RoutedAddress{}, addressErr(kindRouted, s, ErrAddressSyntax, "does not start with \"<\"")
	}
	name, rest, ok := strings.Cut(s[1:], ">")
	if !ok {
		return RoutedAddress{}, addressErr(kindRouted, s, ErrAddressSyntax, "no \">\" after the name")
	}
	typ, addr, ok := strings.Cut(rest, ":")
	if !ok || !validAddressType(typ) {
		return RoutedAddress{}, addressErr(kindRouted, s, ErrAddressSyntax, "no routing type after the name")
	}
	if strings.TrimSpace(addr) == "" {
		return RoutedAddress{}, addressErr(kindRouted, s, ErrAddressSyntax, "empty address")
	}
	return RoutedAddress{Name: name, RoutingType: strings.ToUpper(typ), Address: addr}, nil
}

// String formats the address as "<name>TYPE:address".
func (a RoutedAddress) String() string {
	return "<" + a.Name + ">" + a.RoutingType + ":" + a.Address
}

// ewsResolveSuffix ends the EWS ErrorMailRecipientNotFound message text; an
// EX address before it may contain spaces.
const ewsResolveSuffix = " to an Active Directory object"

// FindRoutedAddress finds the first "<name>TYPE:address" in an EWS message
// text. The address runs to the " to an Active Directory object" of the
// ErrorMailRecipientNotFound text when present (EX addresses contain
// spaces), otherwise to the next white space, without a trailing period.
// Only the first 4 KiB of text are searched.
func FindRoutedAddress(text string) (RoutedAddress, bool) {
	if len(text) > 4096 {
		text = text[:4096]
	}
	for i := 0; i < len(text); i++ {
		if text[i] != '<' {
			continue
		}
		rest := text[i:]
		end := strings.Index(rest, ewsResolveSuffix)
		if end < 0 {
			end = strings.IndexFunc(rest, unicode.IsSpace)
			// The display name may hold spaces: only look for white space
			// after the closing angle bracket.
			if gt := strings.IndexByte(rest, '>'); gt >= 0 {
				if sp := strings.IndexFunc(rest[gt:], unicode.IsSpace); sp >= 0 {
					end = gt + sp
				} else {
					end = -1
				}
			}
		}
		cand := rest
		if end >= 0 {
			cand = rest[:end]
		}
		cand = strings.TrimRight(cand, ".")
		if a, err := ParseRoutedAddress(cand); err == nil {
			return a, true
		}
	}
	return RoutedAddress{}, false
}
