package notes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// SCHED_LIST layout constants (docs/notes.md §3.4, nsfdata.h).
const (
	// schedListHeaderSize is the size of the SCHED_LIST header.
	schedListHeaderSize = 8
	// schedEntrySize is the size of a SCHED_ENTRY, used when the header's
	// Spare field is 0.
	schedEntrySize = 36
	// schedEntryExtSize is the size of an R6 SCHED_ENTRY_EXT; the header's
	// Spare field gives the actual stride, which later versions may grow.
	schedEntryExtSize = 72
	// MaxSchedListEntries is the most SCHED_ENTRYs one SCHED_LIST holds
	// (MAXENTRIESPERSCHEDLIST, §3.4): larger schedules are split.
	MaxSchedListEntries = 1716
)

// Conditions a *SchedListError reports; match them with errors.Is.
var (
	// ErrSchedListTruncated: the input ends before the header or the
	// entries it announces.
	ErrSchedListTruncated = errors.New("notes: SCHED_LIST truncated")
	// ErrSchedListStride: the header's entry size is neither 0 nor at
	// least the 72 bytes of a SCHED_ENTRY_EXT.
	ErrSchedListStride = errors.New("notes: SCHED_LIST entry size invalid")
	// ErrSchedListTooMany: more entries than one SCHED_LIST can hold.
	ErrSchedListTooMany = errors.New("notes: SCHED_LIST has too many entries")
)

// SchedListError reports a SCHED_LIST that could not be decoded. It
// matches its condition and freebusy.ErrInvalid; Offset is the byte offset
// of the problem.
type SchedListError struct {
	// Offset is the byte offset of the problem in the input.
	Offset int
	// Err is the condition, or the *TimeDateError of an entry's range.
	Err error
}

// Error implements error.
func (e *SchedListError) Error() string {
	return fmt.Sprintf("notes: SCHED_LIST at offset %d: %s", e.Offset, trimPkg(e.Err))
}

// Unwrap returns the condition.
func (e *SchedListError) Unwrap() error { return e.Err }

// Is makes every SchedListError match freebusy.ErrInvalid.
func (e *SchedListError) Is(target error) bool { return target == freebusy.ErrInvalid }

// SchedEntry is one busytime entry (§3.4 SCHED_ENTRY, and the R6
// SCHED_ENTRY_EXT fields that matter here).
type SchedEntry struct {
	// UNID is the entry's universal note id (16 bytes: File then Note
	// TIMEDATE), or a foreign id when Attr has SchedAttrForeignUNID.
	UNID [16]byte
	// Interval is the busy range.
	Interval TimeDatePair
	// Attr classifies the time (SCHED_ATTR_*).
	Attr SchedAttr
	// UserAttr is application-specific; Domino ignores it.
	UserAttr uint8
	// ApptUNID is the appointment's UNID (SCHED_ENTRY_EXT only).
	ApptUNID [16]byte
}

// SchedList is a decoded SCHED_LIST (§3.4): the entries of one schedule
// as the busytime system and calendar gateways exchange them.
type SchedList struct {
	// ApplicationID gives UserAttr its meaning (SCHEDAPPLID_*).
	ApplicationID uint16
	// Extended reports that the entries are SCHED_ENTRY_EXT.
	Extended bool
	// Entries are the entries in stored order.
	Entries []SchedEntry
}

// DecodeSchedList decodes one little-endian SCHED_LIST from the start of b
// and returns it with the number of bytes it occupied, so that consecutive
// lists can be read in turn. The header's Spare field selects 36-byte
// SCHED_ENTRYs (0) or extended entries of that stride (at least 72 bytes;
// extra trailing bytes of each entry are skipped, as later versions may
// append fields). Errors are *SchedListError values.
func DecodeSchedList(b []byte) (SchedList, int, error) {
	if len(b) < schedListHeaderSize {
		return SchedList{}, 0, &SchedListError{Offset: len(b), Err: ErrSchedListTruncated}
	}
	n := binary.LittleEndian.Uint32(b)
	l := SchedList{ApplicationID: binary.LittleEndian.Uint16(b[4:])}
	stride := int(binary.LittleEndian.Uint16(b[6:]))
	switch {
	case stride == 0:
		stride = schedEntrySize
	case stride < schedEntryExtSize:
		return SchedList{}, 0, &SchedListError{Offset: 6, Err: ErrSchedListStride}
	default:
		l.Extended = true
	}
	if n > MaxSchedListEntries {
		return SchedList{}, 0, &SchedListError{Offset: 0, Err: ErrSchedListTooMany}
	}
	size := schedListHeaderSize + int(n)*stride
	if len(b) < size {
		return SchedList{}, 0, &SchedListError{Offset: len(b), Err: ErrSchedListTruncated}
	}
	l.Entries = make([]SchedEntry, n)
	for i := range l.Entries {
		off := schedListHeaderSize + i*stride
		e := b[off : off+stride]
		var entry SchedEntry
		copy(entry.UNID[:], e[:16])
		p, err := DecodeTimeDatePair(e[16:32])
		if err != nil {
			return SchedList{}, 0, &SchedListError{Offset: off + 16, Err: err}
		}
		entry.Interval, entry.Attr, entry.UserAttr = p, SchedAttr(e[32]), e[33]
		if l.Extended {
			copy(entry.ApptUNID[:], e[36:52])
		}
		l.Entries[i] = entry
	}
	return l, size, nil
}

// AppendBinary appends l as a SCHED_LIST: 36-byte SCHED_ENTRYs, or 72-byte
// SCHED_ENTRY_EXTs (with dwEntrySize set and no geographic data) when
// Extended is set. It fails with ErrSchedListTooMany beyond
// MaxSchedListEntries.
func (l SchedList) AppendBinary(b []byte) ([]byte, error) {
	if len(l.Entries) > MaxSchedListEntries {
		return b, &SchedListError{Err: ErrSchedListTooMany}
	}
	stride := uint16(0)
	if l.Extended {
		stride = schedEntryExtSize
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(l.Entries)))
	b = binary.LittleEndian.AppendUint16(b, l.ApplicationID)
	b = binary.LittleEndian.AppendUint16(b, stride)
	for _, e := range l.Entries {
		b = append(b, e.UNID[:]...)
		b, _ = e.Interval.AppendBinary(b)
		b = append(b, byte(e.Attr), e.UserAttr, 0, 0)
		if l.Extended {
			b = append(b, e.ApptUNID[:]...)
			b = binary.LittleEndian.AppendUint32(b, schedEntryExtSize)
			b = append(b, make([]byte, 16)...) // GEO_INFO: none
		}
	}
	return b, nil
}

// Intervals maps the entries to canonical intervals under p (see
// BusyPolicy.Status): entries that are no busy time are left out, and
// NONWORK entries are returned apart, as the owner's non-working time, for
// callers that want to derive working hours from them. Date-only ranges
// are read in loc (nil means UTC). An entry whose range has no instant
// fails the call with its *TimeDateError.
func (p BusyPolicy) Intervals(l SchedList, loc *time.Location) (busy, nonWork []freebusy.Interval, err error) {
	for i, e := range l.Entries {
		s, ok := p.Status(e.Attr)
		if !ok && !e.Attr.NonWork() {
			continue
		}
		iv, err := e.Interval.Interval(loc, s)
		if err != nil {
			return nil, nil, fmt.Errorf("notes: SCHED_ENTRY %d: %w", i, err)
		}
		if e.Attr.NonWork() {
			nonWork = append(nonWork, iv)
			continue
		}
		busy = append(busy, iv)
	}
	return busy, nonWork, nil
}
