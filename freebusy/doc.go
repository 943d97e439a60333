// Package freebusy is calbridge's canonical free/busy model: the hub that the
// Notes and Exchange sides and every transport speak.
//
// Instants are UTC time.Time values and intervals are half-open [Start,
// End). Conversion to and from time zones happens at the edges, with real
// tzdata. A Query names attendees and a window; a Source answers it with one
// Schedule per attendee, in query order, each carrying its own outcome, so
// one attendee's failure never fails the batch.
package freebusy
