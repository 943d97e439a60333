package publicfolder

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/internal/window"

	"github.com/calbridge/calbridge/freebusy"
)

// Tag is a MAPI property tag, 0xIIIITTTT: property id and property type
// ([MS-OXPROPS]; §1.2).
type Tag uint32

// The properties of a public-folder free/busy message ([MS-OXOPFFB]
// §2.2.1.2; §1.2). The OOF pair is called ...Away in the canonical names
// (older PR_SCHDINFO_MONTHS_OOF / _FREEBUSY_OOF).
const (
	PidTagSubject                       Tag = 0x0037001F
	PidTagMessageClass                  Tag = 0x001A001F
	PidTagScheduleInfoMonthsMerged      Tag = 0x684F1003
	PidTagScheduleInfoFreeBusyMerged    Tag = 0x68501102
	PidTagScheduleInfoMonthsTentative   Tag = 0x68511003
	PidTagScheduleInfoFreeBusyTentative Tag = 0x68521102
	PidTagScheduleInfoMonthsBusy        Tag = 0x68531003
	PidTagScheduleInfoFreeBusyBusy      Tag = 0x68541102
	PidTagScheduleInfoMonthsAway        Tag = 0x68551003
	PidTagScheduleInfoFreeBusyAway      Tag = 0x68561102
	PidTagFreeBusyPublishStart          Tag = 0x68470003
	PidTagFreeBusyPublishEnd            Tag = 0x68480003
	PidTagFreeBusyMessageEmailAddress   Tag = 0x6849001F
	PidTagFreeBusyRangeTimestamp        Tag = 0x68680040
)

// MessageClass is the message class publishers write (§1.1).
const MessageClass = "IPM.Post"

// Message is the free/busy message a user's free/busy is published as in
// the public store, under NON_IPM_SUBTREE/SCHEDULE+ FREE BUSY/<site folder>
// ([MS-OXOPFFB]; §1). Each field is one MAPI property, named after its
// canonical PidTag name, so that moving a message to or from a MAPI, WebDAV
// or EWS property bag is one assignment per field. SiteFolder and Subject
// name the folder and the message for an owner's legacyExchangeDN.
//
// Each status has a pair: a Months list (PtypMultipleInteger32, one
// year*16+month key per month with blocks, ascending) and a FreeBusy list
// (PtypMultipleBinary, one blob of 4-byte records per month; §1.3, §1.4). A
// nil slice is an unset property, an empty one a property written empty;
// readers accept both. Merged is busy and OOF together; tentative is not in
// it.
type Message struct {
	// Subject is PidTagSubject (0x0037001F): "USER-/CN=RECIPIENTS/CN=..."
	// (§1.1).
	Subject string
	// MessageClass is PidTagMessageClass (0x001A001F): "IPM.Post".
	MessageClass string
	// EmailAddress is PidTagFreeBusyMessageEmailAddress (0x6849001F): the
	// owner's legacyExchangeDN.
	EmailAddress string
	// PublishStart is PidTagFreeBusyPublishStart (0x68470003): the start of
	// the published range in minutes since 1601-01-01T00:00Z (§1.5).
	PublishStart int32
	// PublishEnd is PidTagFreeBusyPublishEnd (0x68480003): the end of the
	// published range, same unit.
	PublishEnd int32
	// RangeTimestamp is PidTagFreeBusyRangeTimestamp (0x68680040): when the
	// data was published, as a FILETIME (100-ns ticks since 1601); zero when
	// unset.
	RangeTimestamp uint64

	// MonthsBusy / FreeBusyBusy are PidTagScheduleInfoMonthsBusy
	// (0x68531003) / PidTagScheduleInfoFreeBusyBusy (0x68541102).
	MonthsBusy   []int32
	FreeBusyBusy [][]byte
	// MonthsTentative / FreeBusyTentative are
	// PidTagScheduleInfoMonthsTentative (0x68511003) /
	// PidTagScheduleInfoFreeBusyTentative (0x68521102).
	MonthsTentative   []int32
	FreeBusyTentative [][]byte
	// MonthsAway / FreeBusyAway are PidTagScheduleInfoMonthsAway
	// (0x68551003) / PidTagScheduleInfoFreeBusyAway (0x68561102): out of
	// office.
	MonthsAway   []int32
	FreeBusyAway [][]byte
	// MonthsMerged / FreeBusyMerged are PidTagScheduleInfoMonthsMerged
	// (0x684F1003) / PidTagScheduleInfoFreeBusyMerged (0x68501102): busy and
	// OOF together.
	MonthsMerged   []int32
	FreeBusyMerged [][]byte
}

// Size limits of a decoded message. A month holds at most 44640 minutes, so
// at most 22320 separate blocks; a publisher publishes at most 36 months
// (§1.5), and 1200 leaves room for any real data. A message holds at most
// MaxRecords records in all, which bounds the memory a decode takes.
const (
	MaxMonths  = 1200
	MaxBlobLen = 4 * 22320
	MaxRecords = 1 << 20
)

// Conditions of public-folder data. Every *Error matches ErrInvalid and
// freebusy.ErrInvalid, and its Err condition.
var (
	// ErrInvalid is matched by every *Error.
	ErrInvalid = errors.New("publicfolder: invalid free/busy message")
	// ErrMismatch: a Months list and its FreeBusy list differ in length
	// (§1.3; Kopano rejects such a pair too).
	ErrMismatch = errors.New("publicfolder: months and blobs differ in count")
	// ErrMonthKey: a month key is not year*16+month with month 1..12 and
	// year 1601..9999.
	ErrMonthKey = errors.New("publicfolder: invalid month key")
	// ErrTooLarge: more months or a longer blob than allowed.
	ErrTooLarge = errors.New("publicfolder: data too large")
	// ErrRange: the published range is unset, empty, inverted or not
	// representable.
	ErrRange = errors.New("publicfolder: invalid published range")
	// ErrRecordPastMonth: a FreeBusy record ends after the end of its
	// month (days_in_month*1440 minutes, §1.4).
	ErrRecordPastMonth = errors.New("publicfolder: record runs past its month")
	// ErrUnknownTime: the schedule to encode has Unknown time inside the
	// published range, which the format cannot carry (see
	// EncodeOptions.UnknownAs).
	ErrUnknownTime = errors.New("publicfolder: unknown time inside the published range")
)

// Error reports public-folder data that cannot be decoded or a schedule
// that cannot be encoded.
type Error struct {
	// Tag is the property concerned, or zero.
	Tag Tag
	// Index is the position in a multi-valued property, or -1.
	Index int
	// Detail says what is wrong, for people.
	Detail string
	// Err is the condition: ErrMismatch, ErrMonthKey, ErrTooLarge,
	// ErrRange, ErrRecordPastMonth, ErrUnknownTime; or a freebusy error
	// for a schedule that could not be normalized.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	msg := "publicfolder: free/busy message"
	if e.Tag != 0 {
		msg += fmt.Sprintf(" property 0x%08X", uint32(e.Tag))
	}
	if e.Index >= 0 {
		msg += fmt.Sprintf(" value %d", e.Index)
	}
	return msg + ": " + e.Detail
}

// Unwrap returns the condition.
func (e *Error) Unwrap() error { return e.Err }

// Is makes every *Error match ErrInvalid and freebusy.ErrInvalid.
func (e *Error) Is(target error) bool {
	return target == ErrInvalid || target == freebusy.ErrInvalid
}

func newError(tag Tag, index int, cond error, format string, args ...any) *Error {
	return &Error{Tag: tag, Index: index, Detail: fmt.Sprintf(format, args...), Err: cond}
}

// unixMinutes1601 is 1970-01-01 in minutes since 1601 (§7 item 6).
const unixMinutes1601 = 194074560

// unixSeconds1601 is 1970-01-01 in seconds since 1601.
const unixSeconds1601 = unixMinutes1601 * 60

// MinutesSince1601 returns t as whole minutes since 1601-01-01T00:00Z, the
// unit of PidTagFreeBusyPublishStart and ...End (§1.5). It fails with a
// *Error (ErrRange) when t is not on a whole minute
// or outside the int32 range (1601 to about 5684).
func MinutesSince1601(t time.Time) (int32, error) {
	if y := t.UTC().Year(); y < 1601 || y > 9999 {
		return 0, newError(0, -1, ErrRange, "%s is outside the range of minutes since 1601", t.UTC().Format(time.RFC3339))
	}
	sec := t.Unix() + unixSeconds1601
	if t.Nanosecond() != 0 || sec%60 != 0 {
		return 0, newError(0, -1, ErrRange, "%s is not on a whole minute", t.UTC().Format(time.RFC3339Nano))
	}
	m := sec / 60
	if m < 0 || m > math.MaxInt32 {
		return 0, newError(0, -1, ErrRange, "%s is outside the range of minutes since 1601", t.UTC().Format(time.RFC3339))
	}
	return int32(m), nil
}

// TimeFromMinutesSince1601 returns the UTC instant m minutes after
// 1601-01-01T00:00Z.
func TimeFromMinutesSince1601(m int32) time.Time {
	return time.Unix((int64(m)-unixMinutes1601)*60, 0).UTC()
}

// FileTime returns t as a FILETIME, 100-ns ticks since 1601-01-01T00:00Z
// (PtypTime; §1.2, PidTagFreeBusyRangeTimestamp). Instants before 1601 give
// 0, the "unset" value; instants after 30827 saturate.
func FileTime(t time.Time) uint64 {
	switch y := t.UTC().Year(); {
	case y < 1601:
		return 0
	case y > 30827: // the last year Windows represents
		return math.MaxInt64
	}
	sec := t.Unix() + unixSeconds1601
	return uint64(sec)*1e7 + uint64(t.Nanosecond()/100)
}

// TimeFromFileTime returns the UTC instant of a FILETIME.
func TimeFromFileTime(ft uint64) time.Time {
	sec := int64(ft / 1e7)
	return time.Unix(sec-unixSeconds1601, int64(ft%1e7)*100).UTC()
}

// MonthKey returns the month key year*16+month of the UTC month
// containing t (§1.3): 32130 for February 2008.
func MonthKey(t time.Time) int32 {
	t = t.UTC()
	return int32(t.Year())*16 + int32(t.Month())
}

// ParseMonthKey returns the first instant of the UTC month a month key names
// (§1.3: year = key >> 4, month = key & 0xF). It fails with a *Error
// (ErrMonthKey) for a month outside 1..12 or a year outside 1601..9999.
func ParseMonthKey(key int32) (time.Time, error) {
	year, month := key>>4, key&0xF
	if month < 1 || month > 12 || year < 1601 || year > 9999 {
		return time.Time{}, newError(0, -1, ErrMonthKey, "month key %d is year %d month %d", key, year, month)
	}
	return time.Date(int(year), time.Month(month), 1, 0, 0, 0, 0, time.UTC), nil
}

// Block is one 4-byte record of a FreeBusy blob (§1.4): start
// and end in minutes since 00:00 UTC on the first day of the blob's month,
// each an unsigned little-endian 16-bit value (a 31-day month reaches 44640,
// beyond int16).
type Block struct {
	Start uint16
	End   uint16
}

// AppendBlob appends the records of blocks to dst, four bytes
// each, and returns the extended slice.
func AppendBlob(dst []byte, blocks []Block) []byte {
	for _, b := range blocks {
		dst = binary.LittleEndian.AppendUint16(dst, b.Start)
		dst = binary.LittleEndian.AppendUint16(dst, b.End)
	}
	return dst
}

// DecodeBlob decodes one month's FreeBusy blob into UTC
// intervals of status st: each record becomes [month start + Start minutes,
// month start + End minutes), read unsigned. Records with End <= Start are
// dropped (Kopano writes a zero-length record when a block ends at the
// month's end, §1.4), and a trailing partial record is ignored as Kopano
// does. Intervals come out in record order, not merged.
//
// A record's minutes count from the start of its own month, and a block
// that crosses a month boundary is split so that each month's part ends at
// most at minutes_in_month = days_in_month*1440 (§1.4, §1.6). A record that
// ends later is therefore not valid data (Zimbra, which does not split
// [observed bug, §1.8], writes such records): rather than invent time in the
// next month or silently cut it off, the blob is rejected.
//
// Errors are *Error values: ErrMonthKey for a bad month key, ErrTooLarge for
// a blob over MaxBlobLen, ErrRecordPastMonth for a record that ends after
// its month (Index is then the record's position in the blob).
func DecodeBlob(month int32, blob []byte, st freebusy.Status) ([]freebusy.Interval, error) {
	ivs, err := appendBlob(nil, month, blob, st)
	if err != nil {
		return nil, err
	}
	return ivs, nil
}

func appendBlob(dst []freebusy.Interval, month int32, blob []byte, st freebusy.Status) ([]freebusy.Interval, error) {
	base, err := ParseMonthKey(month)
	if err != nil {
		return dst, err
	}
	if len(blob) > MaxBlobLen {
		return dst, newError(0, -1, ErrTooLarge, "blob of %d bytes exceeds %d", len(blob), MaxBlobLen)
	}
	monthMinutes := int(base.AddDate(0, 1, 0).Sub(base) / time.Minute)
	for i := 0; i+4 <= len(blob); i += 4 {
		s := binary.LittleEndian.Uint16(blob[i:])
		e := binary.LittleEndian.Uint16(blob[i+2:])
		if e <= s {
			continue
		}
		if int(e) > monthMinutes {
			return dst, newError(0, i/4, ErrRecordPastMonth, "record %d ends at minute %d of %s, which has %d minutes", i/4, e, base.Format("2006-01"), monthMinutes)
		}
		dst = append(dst, freebusy.Interval{
			Start:  base.Add(time.Duration(s) * time.Minute),
			End:    base.Add(time.Duration(e) * time.Minute),
			Status: st,
		})
	}
	return dst, nil
}

// pair names one Months/FreeBusy pair of a message.
type pair struct {
	monthsTag, blobsTag Tag
	status              freebusy.Status
	months              *[]int32
	blobs               *[][]byte
}

func (m *Message) pairs() [4]pair {
	return [4]pair{
		{PidTagScheduleInfoMonthsBusy, PidTagScheduleInfoFreeBusyBusy, freebusy.Busy, &m.MonthsBusy, &m.FreeBusyBusy},
		{PidTagScheduleInfoMonthsTentative, PidTagScheduleInfoFreeBusyTentative, freebusy.Tentative, &m.MonthsTentative, &m.FreeBusyTentative},
		{PidTagScheduleInfoMonthsAway, PidTagScheduleInfoFreeBusyAway, freebusy.OutOfOffice, &m.MonthsAway, &m.FreeBusyAway},
		// Merged holds busy and OOF; time only the merged pair reports is
		// read as Busy, and where the Away pair says OOF, OOF wins.
		{PidTagScheduleInfoMonthsMerged, PidTagScheduleInfoFreeBusyMerged, freebusy.Busy, &m.MonthsMerged, &m.FreeBusyMerged},
	}
}

// PublishRange returns the published range [start, end) of m. It fails with
// a *Error (ErrRange) when the range is unset (both
// zero), negative, empty or inverted.
func (m *Message) PublishRange() (start, end time.Time, err error) {
	if m.PublishStart == 0 && m.PublishEnd == 0 {
		return start, end, newError(PidTagFreeBusyPublishStart, -1, ErrRange, "published range is not set")
	}
	if m.PublishStart < 0 || m.PublishEnd <= m.PublishStart {
		return start, end, newError(PidTagFreeBusyPublishEnd, -1, ErrRange, "published range %d to %d minutes is empty or inverted", m.PublishStart, m.PublishEnd)
	}
	return TimeFromMinutesSince1601(m.PublishStart), TimeFromMinutesSince1601(m.PublishEnd), nil
}

// DecodeOptions tune Decode. The zero value decodes
// the published range for the message's own address.
type DecodeOptions struct {
	// Attendee is the schedule's Attendee; empty means m.EmailAddress.
	Attendee string
	// Start and End are the schedule's window; zero values mean the
	// published range. Window time outside the published range is Unknown.
	Start, End time.Time
}

// Decode converts a public-folder free/busy message into a canonical
// schedule (§1.6, decoding; docs/mapping.md §3.3).
//
// The busy, tentative, away (OutOfOffice) and merged pairs are decoded with
// unsigned minutes; blocks split at month boundaries are re-joined;
// zero-length records are dropped; absent and empty properties both mean "no
// blocks". Time that only the merged pair reports reads as Busy. Blocks are
// clipped to the published range, and window time outside that range gets
// explicit Unknown intervals: the publisher said nothing about it, so it is
// not Free. AsOf is the RangeTimestamp, when set.
//
// A record that ends after the end of its month fails the decode with
// ErrRecordPastMonth (see DecodeBlob); Tag and Index then
// name the FreeBusy blob.
//
// Errors are *Error values (see the Err conditions), or a
// freebusy error for an empty window.
func Decode(m *Message, opt DecodeOptions) (freebusy.Schedule, error) {
	pubStart, pubEnd, err := m.PublishRange()
	if err != nil {
		return freebusy.Schedule{}, err
	}
	start, end := pubStart, pubEnd
	if !opt.Start.IsZero() || !opt.End.IsZero() {
		start, end = opt.Start.UTC(), opt.End.UTC()
	}
	pairs := m.pairs()
	records := 2 // room for the Unknown edges
	for _, p := range pairs {
		for _, b := range *p.blobs {
			records += min(len(b), MaxBlobLen) / 4
		}
	}
	if records > MaxRecords {
		return freebusy.Schedule{}, newError(0, -1, ErrTooLarge, "%d records exceed %d", records, MaxRecords)
	}
	ivs := make([]freebusy.Interval, 0, min(records, 1<<16))
	for _, p := range pairs {
		months, blobs := *p.months, *p.blobs
		if len(months) != len(blobs) {
			return freebusy.Schedule{}, newError(p.monthsTag, -1, ErrMismatch, "%d months but %d blobs", len(months), len(blobs))
		}
		if len(months) > MaxMonths {
			return freebusy.Schedule{}, newError(p.monthsTag, -1, ErrTooLarge, "%d months exceed %d", len(months), MaxMonths)
		}
		for i, key := range months {
			ivs, err = appendBlob(ivs, key, blobs[i], p.status)
			if err != nil {
				var pe *Error
				if errors.As(err, &pe) {
					pe.Tag, pe.Index = p.monthsTag, i
					if errors.Is(pe.Err, ErrTooLarge) || errors.Is(pe.Err, ErrRecordPastMonth) {
						pe.Tag = p.blobsTag
					}
				}
				return freebusy.Schedule{}, err
			}
		}
	}
	// Clip to the published range; outside it nothing is known.
	kept := ivs[:0]
	for _, iv := range ivs {
		if c, ok := iv.Clip(pubStart, pubEnd); ok {
			kept = append(kept, c)
		}
	}
	ivs = kept
	if start.Before(pubStart) {
		ivs = append(ivs, freebusy.Interval{Start: start, End: window.Min(pubStart, end), Status: freebusy.Unknown})
	}
	if end.After(pubEnd) {
		ivs = append(ivs, freebusy.Interval{Start: window.Max(pubEnd, start), End: end, Status: freebusy.Unknown})
	}
	canon, _, err := freebusy.Normalize(ivs, start, end, freebusy.NormalizeOptions{})
	if err != nil {
		return freebusy.Schedule{}, err
	}
	s := freebusy.Schedule{
		Attendee:  opt.Attendee,
		Start:     start,
		End:       end,
		Intervals: canon,
	}
	if s.Attendee == "" {
		s.Attendee = m.EmailAddress
	}
	if m.RangeTimestamp != 0 {
		s.AsOf = TimeFromFileTime(m.RangeTimestamp)
	}
	return s, nil
}

// EncodeOptions tune Encode.
type EncodeOptions struct {
	// Owner is the owner's legacyExchangeDN. When set, it must parse, and
	// it fills EmailAddress and Subject ("USER-/CN=..."); when empty both
	// stay empty.
	Owner string
	// PublishStart and PublishEnd are the published range; zero values mean
	// the schedule's window widened to whole minutes (start down, end up).
	// An explicit range must be on whole minutes (ErrRange otherwise). Publishers use
	// month boundaries (§1.5), but any range is encoded faithfully.
	PublishStart, PublishEnd time.Time
	// Timestamp is the RangeTimestamp; zero means the schedule's AsOf, and
	// when that is zero too the property stays unset.
	Timestamp time.Time
	// EmptyPairs writes a status without blocks as present but empty
	// properties (Exchange's style) instead of unset ones (Outlook's);
	// readers accept both (§1.4).
	EmptyPairs bool
	// UnknownAs is the status Unknown time inside the published range is
	// published as: Busy, Tentative or OutOfOffice to be safe, Free to
	// accept the loss. The zero value, Unknown, makes such a schedule an
	// error (ErrUnknownTime), because the format has no "no data"
	// inside the range and a reader would take the time for free.
	UnknownAs freebusy.Status
}

// Encode converts a schedule into a public-folder free/busy message (§1.6,
// encoder algorithm).
//
// The intervals are normalized and clipped to the published range, rounded
// outward to whole minutes (start down, end up: the format's resolution,
// docs/mapping.md §4.8; rounding outward never hides busy time and never
// makes a block empty), split into the tentative, busy and away sets, and merged
// = busy and away together; each set is split at UTC month boundaries into
// ascending month keys and blobs of ascending records. The lossy rules
// (docs/mapping.md §3.3, §4.3, §4.6): WorkingElsewhere is published as free
// (it has no pair, and it is available time); Unknown follows opt.UnknownAs.
//
// Errors: *Error for a failed schedule, a bad range or Unknown time; an
// *exchange.AddressError for an owner that does not parse; freebusy errors
// for intervals that do not normalize.
func Encode(s *freebusy.Schedule, opt EncodeOptions) (*Message, error) {
	if s.Err != nil {
		return nil, newError(0, -1, freebusy.ErrInvalid, "schedule failed and has nothing to publish: %v", s.Err)
	}
	pubStart, pubEnd := opt.PublishStart, opt.PublishEnd
	if pubStart.IsZero() && pubEnd.IsZero() {
		// The schedule's window is widened to whole minutes, like its
		// intervals (docs/mapping.md §4.8); an explicit range must be
		// on whole minutes already.
		pub := freebusy.Interval{Start: s.Start, End: s.End}.RoundOutward(time.Minute)
		pubStart, pubEnd = pub.Start, pub.End
	}
	pubStart, pubEnd = pubStart.UTC(), pubEnd.UTC()
	startMin, err := MinutesSince1601(pubStart)
	if err != nil {
		return nil, err
	}
	endMin, err := MinutesSince1601(pubEnd)
	if err != nil {
		return nil, err
	}
	if endMin <= startMin {
		return nil, newError(PidTagFreeBusyPublishEnd, -1, ErrRange, "published range %s to %s is empty or inverted", pubStart.Format(time.RFC3339), pubEnd.Format(time.RFC3339))
	}
	m := &Message{MessageClass: MessageClass, PublishStart: startMin, PublishEnd: endMin}
	if opt.Owner != "" {
		dn, err := exchange.ParseLegacyDN(opt.Owner)
		if err != nil {
			return nil, err
		}
		m.EmailAddress, m.Subject = opt.Owner, Subject(dn)
	}
	ts := opt.Timestamp
	if ts.IsZero() {
		ts = s.AsOf
	}
	if !ts.IsZero() {
		m.RangeTimestamp = FileTime(ts)
	}

	canon, _, err := freebusy.Normalize(s.Intervals, pubStart, pubEnd, freebusy.NormalizeOptions{})
	if err != nil {
		return nil, err
	}
	var busy, tentative, away, merged []freebusy.Interval
	for _, iv := range canon {
		st := iv.Status
		if st == freebusy.Unknown {
			if opt.UnknownAs == freebusy.Unknown {
				return nil, newError(0, -1, ErrUnknownTime, "unknown time %s inside the published range", iv)
			}
			st = opt.UnknownAs
		}
		iv = iv.RoundOutward(time.Minute)
		switch st {
		case freebusy.Busy:
			busy = append(busy, iv)
			merged = append(merged, iv)
		case freebusy.OutOfOffice:
			away = append(away, iv)
			merged = append(merged, iv)
		case freebusy.Tentative:
			tentative = append(tentative, iv)
		}
	}
	m.MonthsBusy, m.FreeBusyBusy = encodeSet(busy, opt.EmptyPairs)
	m.MonthsTentative, m.FreeBusyTentative = encodeSet(tentative, opt.EmptyPairs)
	m.MonthsAway, m.FreeBusyAway = encodeSet(away, opt.EmptyPairs)
	m.MonthsMerged, m.FreeBusyMerged = encodeSet(merged, opt.EmptyPairs)
	return m, nil
}

// encodeSet writes one status set as months and blobs: sorted,
// touching and overlapping intervals coalesced, split at UTC month
// boundaries. ivs are sorted by Start (canonical order) but may overlap
// after rounding to minutes.
func encodeSet(ivs []freebusy.Interval, empty bool) ([]int32, [][]byte) {
	if len(ivs) == 0 {
		if empty {
			return []int32{}, [][]byte{}
		}
		return nil, nil
	}
	// Merged interleaves busy and away; Coalesce joins them regardless of
	// status, which the blobs do not record.
	out := freebusy.Coalesce(ivs)
	var months []int32
	var blobs [][]byte
	for _, iv := range out {
		for cur := iv.Start; cur.Before(iv.End); {
			monthStart := time.Date(cur.Year(), cur.Month(), 1, 0, 0, 0, 0, time.UTC)
			next := monthStart.AddDate(0, 1, 0)
			stop := window.Min(iv.End, next)
			block := Block{
				Start: uint16(cur.Sub(monthStart) / time.Minute),
				End:   uint16(stop.Sub(monthStart) / time.Minute),
			}
			key := MonthKey(monthStart)
			if n := len(months); n == 0 || months[n-1] != key {
				months = append(months, key)
				blobs = append(blobs, nil)
			}
			blobs[len(blobs)-1] = AppendBlob(blobs[len(blobs)-1], []Block{block})
			cur = stop
		}
	}
	return months, blobs
}
