package publicfolder

import (
	"net/url"
	"strings"

	"github.com/calbridge/calbridge/exchange"
)

// TopFolder is the folder under NON_IPM_SUBTREE that holds the site
// folders of public-folder free/busy (docs/exchange.md §1.1).
const TopFolder = "SCHEDULE+ FREE BUSY"

// SiteFolder returns the name of the site folder under
// NON_IPM_SUBTREE/SCHEDULE+ FREE BUSY that holds the recipient's free/busy
// message: "EX:" + the DN up to the first /cn= ([MS-OXOPFFB] 3.1.4.1.2.2;
// docs/exchange.md §1.1), for example "EX:/o=Ximian XCS/ou=XCS".
func SiteFolder(dn exchange.LegacyDN) string { return "EX:" + dn.Site() }

// Subject returns the subject of the recipient's free/busy message:
// "USER-" + the upper-cased DN from the first /cn= on (docs/exchange.md
// §1.1), for example "USER-/CN=RECIPIENTS/CN=DANW". Readers compare
// subjects case-insensitively (Zimbra writes mixed case).
func Subject(dn exchange.LegacyDN) string {
	var b strings.Builder
	b.WriteString("USER-")
	for _, cn := range dn.CommonNames {
		b.WriteString("/CN=")
		b.WriteString(strings.ToUpper(cn))
	}
	return b.String()
}

// WebDAVPath returns the Exchange 2000/2003 WebDAV path of the recipient's
// free/busy message (docs/exchange.md §1.1): a "/" inside a folder or item
// name is written "_xF8FF_", names are percent-escaped, and ".EML" is
// appended:
//
//	/public/NON_IPM_SUBTREE/SCHEDULE%2B%20FREE%20BUSY/EX:_xF8FF_o=Ximian%20XCS_xF8FF_ou=XCS/USER-_xF8FF_CN=RECIPIENTS_xF8FF_CN=DANW.EML
func WebDAVPath(dn exchange.LegacyDN) string {
	escape := func(name string) string {
		name = strings.ReplaceAll(name, "/", "_xF8FF_")
		return strings.ReplaceAll(url.PathEscape(name), "+", "%2B")
	}
	return "/public/NON_IPM_SUBTREE/" + escape(TopFolder) + "/" +
		escape(SiteFolder(dn)) + "/" + escape(Subject(dn)) + ".EML"
}

// ParseLocation rebuilds a recipient's DN from the name of a site folder
// ("EX:/o=Org/ou=Site") and the subject of a free/busy message in it
// ("USER-/CN=RECIPIENTS/CN=DANW"), both matched case-insensitively. Since
// publishers upper-case the subject, the common names come back upper-cased;
// compare the result with exchange.LegacyDN.Equal. Errors are
// *exchange.AddressError.
func ParseLocation(folder, subject string) (exchange.LegacyDN, error) {
	site, ok := cutPrefixFold(folder, "EX:")
	if !ok {
		return exchange.LegacyDN{}, &exchange.AddressError{Kind: "legacyExchangeDN", Input: folder, Err: exchange.ErrAddressSyntax, Detail: `site folder name does not start with "EX:"`}
	}
	tail, ok := cutPrefixFold(subject, "USER-")
	if !ok {
		return exchange.LegacyDN{}, &exchange.AddressError{Kind: "legacyExchangeDN", Input: subject, Err: exchange.ErrAddressSyntax, Detail: `free/busy subject does not start with "USER-"`}
	}
	return exchange.ParseLegacyDN(site + tail)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
