// Package directory maps the names people are known by on either side of a
// gateway onto one Person and the side that owns them.
//
// The same person is "CN=Ada Lovelace/OU=Research/O=Acme" to Domino,
// "Ada Lovelace/Research/Acme@AcmeMail" to a Notes mail template,
// ada.lovelace@notes.acme.example to an Exchange user, and perhaps a
// legacyExchangeDN to an old Outlook. The Exchange Calendar Connector
// resolved some of these forms and not others (names with and without
// @Domain, KB Q271590; docs/notes.md §7.3), and an unresolved name came back
// as a blank row. Here every form of a Person resolves to it, and a name
// that resolves to nobody is a *NotFoundError, which a router reports as
// that attendee's freebusy.ReasonUnknownAttendee.
//
// A Person has one Address, the form the Source of its Side understands (a
// Notes canonical name for a Notes user, an SMTP address for an Exchange
// user), and any number of Aliases. Interface is what a directory does
// (Lookup); Table is an in-memory Interface, built with New or loaded from
// CSV (LoadCSV) or JSON (LoadJSON). Table.Resolve gives a router
// (freebusy/router.Resolver) just the side and the address.
//
// # Normalizers
//
// Forms are matched through Normalizers: functions that map an address to
// a comparison key, or decline it. Each side contributes its own, so this
// package stays side-agnostic: notes.DirectoryKey understands Notes names
// (canonical or abbreviated, with or without @Domain), exchange.DirectoryKey
// SMTP addresses, "SMTP:"/"smtp:" proxy addresses and legacyExchangeDNs.
// A Table indexes every form of every person under the key of every
// Normalizer that accepts it, and under Fold (the form trimmed and
// case-folded), so that a form written exactly as listed always resolves.
// Two people sharing a key is an error at load time, never a coin toss at
// lookup time.
//
// Keys of different Normalizers share one index, so a Normalizer prefixes
// its keys with the form they describe: "smtp:" followed by the lower-case
// address for SMTP (the sides agree on this one, so either side's
// Normalizer finds an SMTP alias), "notes:" for Notes names, "ex:" for
// legacyExchangeDNs.
//
// # CSV
//
// The first record is a header naming the columns, in any order and any
// case: id, side and address are required; displayName and aliases are
// optional. Aliases are separated by ';'. Lines starting with '#' are
// comments; fields are trimmed; quoting follows RFC 4180.
//
//	id,side,address,displayName,aliases
//	ada,notes,CN=Ada Lovelace/OU=Research/O=Acme,Ada Lovelace,ada.lovelace@notes.acme.example;Ada Lovelace/Research/Acme
//	grace,exchange,grace.hopper@exchange.acme.example,Grace Hopper,/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper
//
// # JSON
//
// An object whose "people" member lists the people; members are the JSON
// names of Person's fields, and unknown members are errors:
//
//	{"people": [
//	  {"id": "ada", "side": "notes", "address": "CN=Ada Lovelace/OU=Research/O=Acme",
//	   "displayName": "Ada Lovelace", "aliases": ["ada.lovelace@notes.acme.example"]}
//	]}
//
// Every problem in a file or list is an *EntryError carrying its line (in
// files), the entry, the field and a condition: ErrSyntax, ErrColumn,
// ErrMissing, ErrValue, ErrDuplicate, ErrConflict or ErrTooLarge.
package directory
