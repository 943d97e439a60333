package notes

import (
	"errors"
	"io"
	"time"
)

// errICalendarPending is returned until freebusy's VFREEBUSY codec lands.
var errICalendarPending = errors.New("notes: DAS iCalendar codec not available yet")

// DecodeBusyTimeICalendar reads the format=icalendar answer of busytime
// (notes-freebusy.md §2.2.4).
func DecodeBusyTimeICalendar(r io.Reader) (*DASBusyTime, error) { return nil, errICalendarPending }

// EncodeBusyTimeICalendar writes b as DAS's format=icalendar answer.
func EncodeBusyTimeICalendar(w io.Writer, b *DASBusyTime, stamp time.Time) error {
	return errICalendarPending
}
