// Package privacy decides how much of each calendar item a requester may
// see, and enforces it on any freebusy.Source: subjects and locations never
// leave unless the policy allows, and private items always count as busy,
// without details, and are never dropped.
//
// The requester's identity rides on the context: the program's
// authentication middleware calls WithRequester, and New's Source reads it
// back with RequesterFrom. A Policy maps requester IDs (exact,
// case-sensitive matches) to a Level, and everyone else, including
// requests with no identity, to its Default.
//
// The levels, from least to most:
//
//   - LevelStatus: status intervals only (freebusy.DetailStatus); no
//     Schedule.Events at all. The zero value, and the right default for
//     a gateway.
//   - LevelTimes: the events too, with their times, status and flags
//     (meeting, recurring, exception, reminder, private), but without
//     subject, location or item ID: enough to draw a calendar, not to read
//     it.
//   - LevelFull: the events with subject, location and ID.
//
// New's Source asks its backend for no more than the requester may see
// (a query for DetailFull from a LevelStatus requester reaches the backend
// as DetailStatus) and filters the answer to the lesser of what was asked
// and what is allowed, so that a backend that returns more than it was
// asked for still leaks nothing. Whatever the level, a private event
// (Event.Private):
//
//   - never carries subject, location or ID;
//   - counts as at least Busy: its status is raised to Busy when it was
//     lower (OutOfOffice stays), and its time is merged into the
//     schedule's intervals with that status;
//   - is never dropped: at LevelTimes and LevelFull it stays among the
//     events; at LevelStatus, where no event is sent, its time still shows
//     as busy in the intervals.
//
// At LevelStatus the backend is asked for intervals only, so a private
// item counts as busy as far as the backend's own intervals say (every
// backend this module talks to reports private items' busy time there,
// without details).
//
// The answer of the backend is never modified: schedules are copied
// before they are filtered, so that a cache behind this Source keeps its
// details for the requesters who may see them.
//
// A Policy reads and writes JSON, strictly (unknown fields, unknown levels
// and requesters listed twice are errors):
//
//	{"default": "status", "requesters": {"svc-notes": "times", "helpdesk": "full"}}
package privacy
