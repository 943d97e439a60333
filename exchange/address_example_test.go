package exchange_test

import (
	"errors"
	"fmt"

	"github.com/calbridge/calbridge/exchange"
)

// Parsing a legacyExchangeDN, comparing it case-insensitively, and resolving it to SMTP through the
// directory's proxy addresses.
func ExampleParseLegacyDN() {
	dn, err := exchange.ParseLegacyDN("/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=UserA")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("organization:", dn.Organization)
	fmt.Println("site:        ", dn.Site())
	fmt.Println("common names:", dn.CommonNames)
	fmt.Println("same as upper case:", exchange.EqualLegacyDN(dn.String(), "/O=CONTOSO/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=USERA"))

	directory := []exchange.Recipient{{
		LegacyDN:       "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=4f1c-usera",
		ProxyAddresses: []string{"smtp:a@contoso.com", "SMTP:user.a@contoso.com", "X500:" + dn.String()},
	}}
	smtp, err := exchange.ResolveLegacyDN(dn.String(), directory)
	fmt.Println("resolved through X500:", smtp, err)

	_, err = exchange.ParseLegacyDN("user.a@contoso.com")
	fmt.Println("invalid:", errors.Is(err, exchange.ErrInvalidAddress))
	// Output:
	// organization: Contoso
	// site:         /o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)
	// common names: [Recipients UserA]
	// same as upper case: true
	// resolved through X500: user.a@contoso.com <nil>
	// invalid: true
}

// Finding the mailbox in an EWS error text (docs/exchange.md §2.7).
func ExampleFindRoutedAddress() {
	a, ok := exchange.FindRoutedAddress("Unable to resolve e-mail address <>SMTP:nobody@contoso.com to an Active Directory object.")
	fmt.Println(ok, a.RoutingType, a.Address)
	// Output:
	// true SMTP nobody@contoso.com
}
