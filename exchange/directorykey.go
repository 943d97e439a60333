package exchange

import (
	"strings"
	"unicode"
)

// DirectoryKey is a freebusy/directory Normalizer for Exchange addresses:
// SMTP addresses, proxy addresses ([MS-OXLDAP]; docs/exchange.md §5.2) and
// legacyExchangeDNs (docs/exchange.md §5.1), so that a gateway's directory
// resolves "Grace.Hopper@Exchange.Acme.example",
// "smtp:grace.hopper@exchange.acme.example" and the person's
// legacyExchangeDN in any case to the same person.
//
// Keys:
//   - an SMTP address, bare or as an "SMTP:"/"smtp:" proxy address: "smtp:"
//     followed by the address in lower case (the key notes.DirectoryKey
//     gives Internet addresses);
//   - a legacyExchangeDN, bare or as an "EX:" or "X500:" proxy address:
//     "ex:" followed by the DN as LegacyDN.String writes it, in lower case
//     (legacyExchangeDNs compare case-insensitively, LegacyDN.Equal).
//
// DirectoryKey declines (ok false) other proxy types, DNs ParseLegacyDN
// refuses and strings that are not one address (spaces, several '@').
func DirectoryKey(address string) (key string, ok bool) {
	a := strings.TrimSpace(address)
	if strings.HasPrefix(a, "/") {
		return dnKey(a)
	}
	if i := strings.IndexByte(a, ':'); i > 0 && !strings.Contains(a[:i], "@") {
		p, err := ParseProxyAddress(a)
		if err != nil {
			return "", false
		}
		switch p.Type {
		case ProxyTypeSMTP:
			return smtpKey(strings.TrimSpace(p.Address))
		case ProxyTypeEX, ProxyTypeX500:
			return dnKey(strings.TrimSpace(p.Address))
		}
		return "", false
	}
	return smtpKey(a)
}

func dnKey(s string) (string, bool) {
	dn, err := ParseLegacyDN(s)
	if err != nil {
		return "", false
	}
	return "ex:" + fold(dn.String()), true
}

// smtpKey accepts local@domain: one '@', both parts non-empty, no spaces,
// control characters or characters no address holds.
func smtpKey(s string) (string, bool) {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 || len(s) > MaxProxyAddressLength ||
		strings.ContainsAny(s, " \t<>()[],;:\"\\/") || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", false
	}
	return "smtp:" + fold(s), true
}

// fold case-folds as strings.EqualFold does for the letters that matter.
func fold(s string) string { return strings.ToLower(strings.ToUpper(s)) }
