// Package exchange holds what calbridge's Exchange packages share: the
// addresses by which Exchange names recipients, and the table of response
// codes that EWS and Microsoft Graph report per mailbox. The protocols
// themselves live below it: exchange/ews (EWS GetUserAvailability and
// Autodiscover), exchange/graph (Microsoft Graph calendar: getSchedule) and
// exchange/publicfolder (the [MS-OXOPFFB] public-folder free/busy store).
//
// Sections (§) refer to docs/exchange.md unless another document is named.
//
// # Addresses (§5)
//
// LegacyDN parses, compares and formats legacyExchangeDNs ([MS-OXOABK]),
// the X.500-style "EX" addresses of EWS RoutingType EX and of public-folder
// messages, and derives the public-folder site from them; ParseLegacyDN
// refuses what the ABNF refuses, within the documented length limits, and
// treats the last common name as opaque. ProxyAddress parses the entries
// of a recipient's proxyAddresses ("SMTP:" primary, "smtp:" secondary,
// "EX:", "X500:"; [MS-OXLDAP]). Recipient and ResolveLegacyDN map a
// legacyExchangeDN to the primary SMTP address through a directory, as a
// gateway must before it can ask a calendar that knows only SMTP.
// RoutedAddress reads the "<name>TYPE:address" form in which EWS echoes a
// mailbox in its error texts (§2.7), and FindRoutedAddress finds it in
// one.
//
// Every parse error is an *AddressError, which matches ErrInvalidAddress
// and freebusy.ErrInvalid with errors.Is, and its condition
// (ErrAddressSyntax, ErrAddressTooLong) as well. An address that parses but
// names no one is ErrAddressNotFound.
//
// # Response codes (§2.7)
//
// ResponseCode is an EWS m:ResponseCode (EWS reference "ResponseCode"),
// with a constant for each code of GetUserAvailability and the generic
// ones a server may answer any request with (CodeServerBusy,
// CodeMailRecipientNotFound, ...); Graph's getSchedule names per-schedule
// errors with the same codes (§3.2). One table maps them to canonical
// reasons, both ways: ResponseCode.Reason reads it
// (ErrorMailRecipientNotFound is freebusy.ReasonUnknownAttendee,
// ErrorNoFreeBusyAccess ReasonAccessDenied, ErrorTimeoutExpired
// ReasonTimeout, ErrorServerBusy ReasonThrottled, an unknown code
// ReasonInternal), and CodeFor writes the one code chosen for each reason,
// so that every package of calbridge reports a failure the same way.
package exchange
