// Package router sends each attendee of a free/busy query to the Source of
// the side that owns it, and answers in query order.
//
// A Source (the router) is a freebusy.Source built from a Resolver (such
// as a freebusy/directory Table) and one freebusy.Source per side
// ("notes", "exchange", or whatever labels the program gives its people).
// For each attendee it asks the Resolver for the side and the address
// that side knows the attendee by, groups the attendees by side, asks each
// side's Source for its people by those addresses (in batches of at most WithMaxBatch attendees,
// at most WithConcurrency batches at a time), and returns one schedule per
// attendee, named as asked, in query order:
//
//   - an attendee the directory does not know fails with
//     freebusy.ReasonUnknownAttendee; it is never a blank row;
//   - a batch whose Source fails as a whole fails its attendees with that
//     failure's reason; the other batches are unaffected;
//   - by the caller's deadline, less a small reserve (WithReserve) so that
//     the answer reaches the caller in time, the answer holds what finished
//     and the rest fail with freebusy.ReasonTimeout. A partial batch is
//     never an error (docs/peers.md §6.1, "deadline-bounded batch").
//
// # Loops
//
// Two gateways pointed at each other (each sending the other's people
// across) would forward a query back and forth for ever. Every query
// carries the number of gateway hops it has made (freebusy.Hops; the
// transport carries it between processes). A router passes Hops+1 to the
// Sources it asks, and refuses a query that has already made WithMaxHops
// hops: each attendee then fails with freebusy.ReasonInvalid and a cause
// matching ErrLoop. ReasonInvalid is not temporary, so no layer retries a
// loop; it is a configuration mistake to fix, not an outage to wait out.
// A loop refused by a router further along arrives with its cause lost in
// transit; the router recognises its message and restores ErrLoop, so
// errors.Is(schedule.Err, ErrLoop) holds at the first gateway too.
package router
