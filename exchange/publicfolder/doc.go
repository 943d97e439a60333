// Package publicfolder reads and writes Exchange public-folder free/busy
// ([MS-OXOPFFB]), the legacy store of Exchange 5.5 to 2010 that Outlook
// publishes to, Exchange's availability service reads for legacy
// mailboxes, and the old Calendar Connector wrote for Notes users; and it
// converts it to and from the canonical model of package freebusy.
//
// Sections (§) refer to docs/exchange.md unless another document is named;
// the status mappings and their losses are in docs/mapping.md §3.3.
//
// # The message
//
// Each user's free/busy is one message in the public store, in the site
// folder SiteFolder names under NON_IPM_SUBTREE/SCHEDULE+ FREE BUSY, with
// the subject Subject names, both derived from the owner's
// legacyExchangeDN (§1.1; WebDAVPath gives the Exchange 2000/2003 WebDAV
// path, ParseLocation goes back). Message mirrors its MAPI properties
// (§1.2): the published range in minutes since 1601, and per status (busy,
// tentative, away, merged) a list of month keys (year*16+month, §1.3) and
// one blob of 4-byte minute records per month (§1.4). MonthKey,
// ParseMonthKey, DecodeBlob, AppendBlob, MinutesSince1601 and FileTime are
// exported for tools that handle the raw properties.
//
// # Conversion
//
// Decode turns a Message into a freebusy.Schedule and Encode a schedule
// into a Message (§1.6). The rules:
//   - records are read as unsigned minutes from the start of their UTC
//     month, blocks cut at month ends are joined again, and a record that
//     runs past its month is rejected rather than guessed at (§1.4).
//   - time outside the published range is no data: Decode makes it
//     Unknown, never Free (§1.5; docs/mapping.md §4.6). Time only the
//     merged pair reports reads as Busy.
//   - Encode widens intervals outward to whole minutes, so busy time never
//     shrinks; publishes WorkingElsewhere as free, the format having no
//     pair for it (docs/mapping.md §4.3); and refuses Unknown time inside
//     the published range (ErrUnknownTime) unless EncodeOptions.UnknownAs
//     names a status for it, since a reader would take it for free.
//
// Bad data is reported as an *Error, which matches ErrInvalid,
// freebusy.ErrInvalid and its condition (ErrMismatch, ErrMonthKey,
// ErrTooLarge, ErrRange, ErrRecordPastMonth, ErrUnknownTime); sizes are
// bounded by MaxMonths, MaxBlobLen and MaxRecords.
//
// # Source
//
// Source is a freebusy.Source that answers from messages fetched through a
// Lookup the caller supplies (MAPI, WebDAV, a cache), as Exchange's
// availability service answers for mailboxes whose free/busy lives in the
// public store (§2.5). NewSource takes one Option type (WithConcurrency,
// WithLimits, WithLogger) and fails at once, with an error matching
// ErrInvalidOption, when an option is given a value it cannot take.
package publicfolder
