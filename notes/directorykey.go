package notes

import "strings"

// DirectoryKey is a freebusy/directory Normalizer for Notes names: it maps
// every written form of a Notes name that ParseName accepts to one key, so
// that a gateway's directory resolves "CN=Jane Doe/OU=Sales/O=Acme",
// "Jane Doe/Sales/Acme" and "jane doe/sales/acme@AcmeMail" to the same
// person. The routing domain is dropped: the Exchange Calendar Connector
// resolved names only without it, or only with it (KB Q271590,
// docs/notes.md §7.3).
//
// Keys are "notes:" followed by Name.Key (canonical, without the domain,
// case-folded). An Internet address (jdoe@acme.example, or `Jane Doe
// <jdoe@acme.example>`) gets the key "smtp:" followed by the address in
// lower case, the key exchange.DirectoryKey gives SMTP addresses, so either
// side's normalizer finds an SMTP alias. DirectoryKey declines (ok false)
// what ParseName refuses, and addresses with a "TYPE:" prefix such as
// "SMTP:jdoe@acme.example", which are Exchange proxy addresses.
func DirectoryKey(address string) (key string, ok bool) {
	n, err := ParseName(address)
	if err != nil {
		return "", false
	}
	if n.IsInternet() {
		if strings.Contains(n.Internet, ":") {
			return "", false
		}
		return "smtp:" + strings.ToLower(strings.ToUpper(n.Internet)), true
	}
	return "notes:" + n.Key(), true
}
