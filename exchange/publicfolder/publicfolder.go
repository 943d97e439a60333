package publicfolder

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/calbridge/calbridge/exchange"

	"github.com/calbridge/calbridge/freebusy"
)

// PublicFolderTag is a MAPI property tag, 0xIIIITTTT: property id and
// property type ([MS-OXPROPS]; exchange-freebusy.md §1.2).
type PublicFolderTag uint32

// The properties of a public-folder free/busy message ([MS-OXOPFFB]
// 2.2.1.2.x; exchange-freebusy.md §1.2). The OOF pair is called ...Away in
// the canonical names (older PR_SCHDINFO_MONTHS_OOF / _FREEBUSY_OOF).
const (
	PidTagSubject                       PublicFolderTag = 0x0037001F
	PidTagMessageClass                  PublicFolderTag = 0x001A001F
	PidTagScheduleInfoMonthsMerged      PublicFolderTag = 0x684F1003
	PidTagScheduleInfoFreeBusyMerged    PublicFolderTag = 0x68501102
	PidTagScheduleInfoMonthsTentative   PublicFolderTag = 0x68511003
	PidTagScheduleInfoFreeBusyTentative PublicFolderTag = 0x68521102
	PidTagScheduleInfoMonthsBusy        PublicFolderTag = 0x68531003
	PidTagScheduleInfoFreeBusyBusy      PublicFolderTag = 0x68541102
	PidTagScheduleInfoMonthsAway        PublicFolderTag = 0x68551003
	PidTagScheduleInfoFreeBusyAway      PublicFolderTag = 0x68561102
	PidTagFreeBusyPublishStart          PublicFolderTag = 0x68470003
	PidTagFreeBusyPublishEnd            PublicFolderTag = 0x68480003
	PidTagFreeBusyMessageEmailAddress   PublicFolderTag = 0x6849001F
	PidTagFreeBusyRangeTimestamp        PublicFolderTag = 0x68680040
)

// PublicFolderMessageClass is the message class publishers write
// (exchange-freebusy.md §1.1).
const PublicFolderMessageClass = "IPM.Post"

// PublicFolderMessage is the free/busy message a user's free/busy is
// published as in the public store, under NON_IPM_SUBTREE/SCHEDULE+ FREE
// BUSY/<site folder> ([MS-OXOPFFB]; exchange-freebusy.md §1). Each field is
// one MAPI property, named after its canonical PidTag name, so that moving a
// message to or from a MAPI, WebDAV or EWS property bag is one assignment per
// field. Find the site folder and subject with LegacyDN's
// SiteFolder and Subject.
//
// Each status has a pair: a Months list (PtypMultipleInteger32, one
// year*16+month key per month with blocks, ascending) and a FreeBusy list
// (PtypMultipleBinary, one blob of 4-byte records per month; §1.3, §1.4). A
// nil slice is an unset property, an empty one a property written empty;
// readers accept both. Merged is busy and OOF together; tentative is not in
// it.
type PublicFolderMessage struct {
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

// Size limits of a decoded message. A month holds at most 44640 minutes,
// so at most 22320 separate blocks; a publisher publishes at most 36 months
// (§1.5), and 1200 leaves room for any real data.
// A message holds at most MaxPublicFolderRecords records in all, which
// bounds the memory a decode takes.
const (
	MaxPublicFolderMonths  = 1200
	MaxPublicFolderBlobLen = 4 * 22320
	MaxPublicFolderRecords = 1 << 20
)

// Public-folder conditions. Every *PublicFolderError matches
// ErrInvalidPublicFolder and freebusy.ErrInvalid, and its Err condition.
var (
	// ErrInvalidPublicFolder is matched by every *PublicFolderError.
	ErrInvalidPublicFolder = errors.New("exchange: invalid public-folder free/busy")
	// ErrPublicFolderMismatch: a Months list and its FreeBusy list differ in
	// length (§1.3; Kopano rejects such a pair too).
	ErrPublicFolderMismatch = errors.New("exchange: public-folder months and blobs differ in count")
	// ErrPublicFolderMonth: a month key is not year*16+month with month
	// 1..12 and year 1601..9999.
	ErrPublicFolderMonth = errors.New("exchange: invalid public-folder month")
	// ErrPublicFolderTooLarge: more months or a longer blob than allowed.
	ErrPublicFolderTooLarge = errors.New("exchange: public-folder data too large")
	// ErrPublicFolderRange: the published range is unset, empty, inverted
	// or not representable.
	ErrPublicFolderRange = errors.New("exchange: invalid public-folder range")
	// ErrPublicFolderRecord: a FreeBusy record ends after the end of its
	// month (days_in_month*1440 minutes, §1.4).
	ErrPublicFolderRecord = errors.New("exchange: public-folder record runs past its month")
	// ErrPublicFolderUnknown: the schedule to encode has Unknown time inside
	// the published range, which the format cannot carry (see
	// PublicFolderEncodeOptions.UnknownAs).
	ErrPublicFolderUnknown = errors.New("exchange: unknown time inside the published range")
)

// PublicFolderError reports public-folder data that cannot be decoded or a
// schedule that cannot be encoded.
type PublicFolderError struct {
	// Tag is the property concerned, or zero.
	Tag PublicFolderTag
	// Index is the position in a multi-valued property, or -1.
	Index int
	// Detail says what is wrong, for people.
	Detail string
	// Err is the condition: ErrPublicFolderMismatch, ErrPublicFolderMonth,
	// ErrPublicFolderTooLarge, ErrPublicFolderRange, ErrPublicFolderRecord,
	// ErrPublicFolderUnknown;
	// or a freebusy error for a schedule that could not be normalized.
	Err error
}

// Error implements error.
func (e *PublicFolderError) Error() string {
	msg := "exchange: public-folder free/busy"
	if e.Tag != 0 {
		msg += fmt.Sprintf(" property 0x%08X", uint32(e.Tag))
	}
	if e.Index >= 0 {
		msg += fmt.Sprintf(" value %d", e.Index)
	}
	return msg + ": " + e.Detail
}

// Unwrap returns the condition.
func (e *PublicFolderError) Unwrap() error { return e.Err }

// Is makes every *PublicFolderError match ErrInvalidPublicFolder and
// freebusy.ErrInvalid.
func (e *PublicFolderError) Is(target error) bool {
	return target == ErrInvalidPublicFolder || target == freebusy.ErrInvalid
}

func pfErr(tag PublicFolderTag, index int, cond error, format string, args ...any) *PublicFolderError {
	return &PublicFolderError{Tag: tag, Index: index, Detail: fmt.Sprintf(format, args...), Err: cond}
}

// unixMinutes1601 is 1970-01-01 in minutes since 1601 (§7 item 6).
const unixMinutes1601 = 194074560

// unixSeconds1601 is 1970-01-01 in seconds since 1601.
const unixSeconds1601 = unixMinutes1601 * 60

// MinutesSince1601 returns t as whole minutes since 1601-01-01T00:00Z, the
// unit of PidTagFreeBusyPublishStart and ...End (§1.5). It fails with a
// *PublicFolderError (ErrPublicFolderRange) when t is not on a whole minute
// or outside the int32 range (1601 to about 5684).
func MinutesSince1601(t time.Time) (int32, error) {
	if y := t.UTC().Year(); y < 1601 || y > 9999 {
		return 0, pfErr(0, -1, ErrPublicFolderRange, "%s is outside the range of minutes since 1601", t.UTC().Format(time.RFC3339))
	}
	sec := t.Unix() + unixSeconds1601
	if t.Nanosecond() != 0 || sec%60 != 0 {
		return 0, pfErr(0, -1, ErrPublicFolderRange, "%s is not on a whole minute", t.UTC().Format(time.RFC3339Nano))
	}
	m := sec / 60
	if m < 0 || m > math.MaxInt32 {
		return 0, pfErr(0, -1, ErrPublicFolderRange, "%s is outside the range of minutes since 1601", t.UTC().Format(time.RFC3339))
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

// PublicFolderMonth returns the month key year*16+month of the UTC month
// containing t (§1.3): 32130 for February 2008.
func PublicFolderMonth(t time.Time) int32 {
	t = t.UTC()
	return int32(t.Year())*16 + int32(t.Month())
}

// ParsePublicFolderMonth returns the first instant of the UTC month a month
// key names (§1.3: year = key >> 4, month = key & 0xF). It fails with a
// *PublicFolderError (ErrPublicFolderMonth) for a month outside 1..12 or a
// year outside 1601..9999.
func ParsePublicFolderMonth(key int32) (time.Time, error) {
	year, month := key>>4, key&0xF
	if month < 1 || month > 12 || year < 1601 || year > 9999 {
		return time.Time{}, pfErr(0, -1, ErrPublicFolderMonth, "month key %d is year %d month %d", key, year, month)
	}
	return time.Date(int(year), time.Month(month), 1, 0, 0, 0, 0, time.UTC), nil
}

// PublicFolderBlock is one 4-byte record of a FreeBusy blob (§1.4): start
// and end in minutes since 00:00 UTC on the first day of the blob's month,
// each an unsigned little-endian 16-bit value (a 31-day month reaches 44640,
// beyond int16).
type PublicFolderBlock struct {
	Start uint16
	End   uint16
}

// AppendPublicFolderBlob appends the records of blocks to dst, four bytes
// each, and returns the extended slice.
func AppendPublicFolderBlob(dst []byte, blocks []PublicFolderBlock) []byte {
	for _, b := range blocks {
		dst = binary.LittleEndian.AppendUint16(dst, b.Start)
		dst = binary.LittleEndian.AppendUint16(dst, b.End)
	}
	return dst
}

// DecodePublicFolderBlob decodes one month's FreeBusy blob into UTC
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
// Errors are *PublicFolderError values: ErrPublicFolderMonth for a bad
// month key, ErrPublicFolderTooLarge for a blob over MaxPublicFolderBlobLen,
// ErrPublicFolderRecord for a record that ends after its month (Index is
// then the record's position in the blob).
func DecodePublicFolderBlob(month int32, blob []byte, st freebusy.Status) ([]freebusy.Interval, error) {
	ivs, err := appendPublicFolderBlob(nil, month, blob, st)
	if err != nil {
		return nil, err
	}
	return ivs, nil
}

func appendPublicFolderBlob(dst []freebusy.Interval, month int32, blob []byte, st freebusy.Status) ([]freebusy.Interval, error) {
	base, err := ParsePublicFolderMonth(month)
	if err != nil {
		return dst, err
	}
	if len(blob) > MaxPublicFolderBlobLen {
		return dst, pfErr(0, -1, ErrPublicFolderTooLarge, "blob of %d bytes exceeds %d", len(blob), MaxPublicFolderBlobLen)
	}
	monthMinutes := int(base.AddDate(0, 1, 0).Sub(base) / time.Minute)
	for i := 0; i+4 <= len(blob); i += 4 {
		s := binary.LittleEndian.Uint16(blob[i:])
		e := binary.LittleEndian.Uint16(blob[i+2:])
		if e <= s {
			continue
		}
		if int(e) > monthMinutes {
			return dst, pfErr(0, i/4, ErrPublicFolderRecord, "record %d ends at minute %d of %s, which has %d minutes", i/4, e, base.Format("2006-01"), monthMinutes)
		}
		dst = append(dst, freebusy.Interval{
			Start:  base.Add(time.Duration(s) * time.Minute),
			End:    base.Add(time.Duration(e) * time.Minute),
			Status: st,
		})
	}
	return dst, nil
}

// publicFolderPair names one Months/FreeBusy pair of a message.
type publicFolderPair struct {
	monthsTag, blobsTag PublicFolderTag
	status              freebusy.Status
	months              *[]int32
	blobs               *[][]byte
}

func (m *PublicFolderMessage) pairs() [4]publicFolderPair {
	return [4]publicFolderPair{
		{PidTagScheduleInfoMonthsBusy, PidTagScheduleInfoFreeBusyBusy, freebusy.Busy, &m.MonthsBusy, &m.FreeBusyBusy},
		{PidTagScheduleInfoMonthsTentative, PidTagScheduleInfoFreeBusyTentative, freebusy.Tentative, &m.MonthsTentative, &m.FreeBusyTentative},
		{PidTagScheduleInfoMonthsAway, PidTagScheduleInfoFreeBusyAway, freebusy.OutOfOffice, &m.MonthsAway, &m.FreeBusyAway},
		// Merged holds busy and OOF; time only the merged pair reports is
		// read as Busy, and where the Away pair says OOF, OOF wins.
		{PidTagScheduleInfoMonthsMerged, PidTagScheduleInfoFreeBusyMerged, freebusy.Busy, &m.MonthsMerged, &m.FreeBusyMerged},
	}
}

// PublishRange returns the published range [start, end) of m. It fails with
// a *PublicFolderError (ErrPublicFolderRange) when the range is unset (both
// zero), negative, empty or inverted.
func (m *PublicFolderMessage) PublishRange() (start, end time.Time, err error) {
	if m.PublishStart == 0 && m.PublishEnd == 0 {
		return start, end, pfErr(PidTagFreeBusyPublishStart, -1, ErrPublicFolderRange, "published range is not set")
	}
	if m.PublishStart < 0 || m.PublishEnd <= m.PublishStart {
		return start, end, pfErr(PidTagFreeBusyPublishEnd, -1, ErrPublicFolderRange, "published range %d to %d minutes is empty or inverted", m.PublishStart, m.PublishEnd)
	}
	return TimeFromMinutesSince1601(m.PublishStart), TimeFromMinutesSince1601(m.PublishEnd), nil
}

// PublicFolderDecodeOptions tune DecodePublicFolder. The zero value decodes
// the published range for the message's own address.
type PublicFolderDecodeOptions struct {
	// Attendee is the schedule's Attendee; empty means m.EmailAddress.
	Attendee string
	// Start and End are the schedule's window; zero values mean the
	// published range. Window time outside the published range is Unknown.
	Start, End time.Time
}

// DecodePublicFolder converts a public-folder free/busy message into a
// canonical schedule (exchange-freebusy.md §1.6, decoder).
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
// ErrPublicFolderRecord (see DecodePublicFolderBlob); Tag and Index then
// name the FreeBusy blob.
//
// Errors are *PublicFolderError values (see the Err conditions), or a
// freebusy error for an empty window.
func DecodePublicFolder(m *PublicFolderMessage, opt PublicFolderDecodeOptions) (freebusy.Schedule, error) {
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
			records += min(len(b), MaxPublicFolderBlobLen) / 4
		}
	}
	if records > MaxPublicFolderRecords {
		return freebusy.Schedule{}, pfErr(0, -1, ErrPublicFolderTooLarge, "%d records exceed %d", records, MaxPublicFolderRecords)
	}
	ivs := make([]freebusy.Interval, 0, min(records, 1<<16))
	for _, p := range pairs {
		months, blobs := *p.months, *p.blobs
		if len(months) != len(blobs) {
			return freebusy.Schedule{}, pfErr(p.monthsTag, -1, ErrPublicFolderMismatch, "%d months but %d blobs", len(months), len(blobs))
		}
		if len(months) > MaxPublicFolderMonths {
			return freebusy.Schedule{}, pfErr(p.monthsTag, -1, ErrPublicFolderTooLarge, "%d months exceed %d", len(months), MaxPublicFolderMonths)
		}
		for i, key := range months {
			ivs, err = appendPublicFolderBlob(ivs, key, blobs[i], p.status)
			if err != nil {
				var pe *PublicFolderError
				if errors.As(err, &pe) {
					pe.Tag, pe.Index = p.monthsTag, i
					if errors.Is(pe.Err, ErrPublicFolderTooLarge) || errors.Is(pe.Err, ErrPublicFolderRecord) {
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
		ivs = append(ivs, freebusy.Interval{Start: start, End: pfMinTime(pubStart, end), Status: freebusy.Unknown})
	}
	if end.After(pubEnd) {
		ivs = append(ivs, freebusy.Interval{Start: pfMaxTime(pubEnd, start), End: end, Status: freebusy.Unknown})
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

func pfMinTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func pfMaxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// PublicFolderEncodeOptions tune EncodePublicFolder.
type PublicFolderEncodeOptions struct {
	// Owner is the owner's legacyExchangeDN. When set, it must parse, and
	// it fills EmailAddress and Subject ("USER-/CN=..."); when empty both
	// stay empty.
	Owner string
	// PublishStart and PublishEnd are the published range; zero values mean
	// the schedule's window. Both must be on whole minutes. Publishers use
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
	// error (ErrPublicFolderUnknown), because the format has no "no data"
	// inside the range and a reader would take the time for free.
	UnknownAs freebusy.Status
}

// EncodePublicFolder converts a schedule into a public-folder free/busy
// message (exchange-freebusy.md §1.6, encoder).
//
// The intervals are normalized and clipped to the published range, rounded
// outward to whole minutes (the format's resolution; rounding outward never
// hides busy time), split into the tentative, busy and away sets, and merged
// = busy and away together; each set is split at UTC month boundaries into
// ascending month keys and blobs of ascending records. The lossy rules, all
// documented in the format: WorkingElsewhere is published as free (it has no
// pair, and it is available time); Unknown follows opt.UnknownAs.
//
// Errors: *PublicFolderError for a failed schedule, a bad range or owner, or
// Unknown time; freebusy errors for intervals that do not normalize.
func EncodePublicFolder(s *freebusy.Schedule, opt PublicFolderEncodeOptions) (*PublicFolderMessage, error) {
	if s.Err != nil {
		return nil, pfErr(0, -1, freebusy.ErrInvalid, "schedule failed and has nothing to publish: %v", s.Err)
	}
	pubStart, pubEnd := opt.PublishStart, opt.PublishEnd
	if pubStart.IsZero() && pubEnd.IsZero() {
		pubStart, pubEnd = s.Start, s.End
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
		return nil, pfErr(PidTagFreeBusyPublishEnd, -1, ErrPublicFolderRange, "published range %s to %s is empty or inverted", pubStart.Format(time.RFC3339), pubEnd.Format(time.RFC3339))
	}
	m := &PublicFolderMessage{MessageClass: PublicFolderMessageClass, PublishStart: startMin, PublishEnd: endMin}
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
				return nil, pfErr(0, -1, ErrPublicFolderUnknown, "unknown time %s inside the published range", iv)
			}
			st = opt.UnknownAs
		}
		iv.Start, iv.End = pfFloorMinute(iv.Start), pfCeilMinute(iv.End)
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
	m.MonthsBusy, m.FreeBusyBusy = encodePublicFolderSet(busy, opt.EmptyPairs)
	m.MonthsTentative, m.FreeBusyTentative = encodePublicFolderSet(tentative, opt.EmptyPairs)
	m.MonthsAway, m.FreeBusyAway = encodePublicFolderSet(away, opt.EmptyPairs)
	m.MonthsMerged, m.FreeBusyMerged = encodePublicFolderSet(merged, opt.EmptyPairs)
	return m, nil
}

func pfFloorMinute(t time.Time) time.Time { return t.Truncate(time.Minute) }

func pfCeilMinute(t time.Time) time.Time {
	if f := t.Truncate(time.Minute); !f.Equal(t) {
		return f.Add(time.Minute)
	}
	return t
}

// encodePublicFolderSet writes one status set as months and blobs: sorted,
// touching and overlapping intervals coalesced, split at UTC month
// boundaries. ivs are sorted by Start (canonical order) but may overlap
// after rounding to minutes.
func encodePublicFolderSet(ivs []freebusy.Interval, empty bool) ([]int32, [][]byte) {
	if len(ivs) == 0 {
		if empty {
			return []int32{}, [][]byte{}
		}
		return nil, nil
	}
	// Coalesce in place (merged interleaves busy and away in start order).
	out := ivs[:1]
	for _, iv := range ivs[1:] {
		last := &out[len(out)-1]
		if !iv.Start.After(last.End) {
			if iv.End.After(last.End) {
				last.End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	var months []int32
	var blobs [][]byte
	for _, iv := range out {
		for cur := iv.Start; cur.Before(iv.End); {
			monthStart := time.Date(cur.Year(), cur.Month(), 1, 0, 0, 0, 0, time.UTC)
			next := monthStart.AddDate(0, 1, 0)
			stop := pfMinTime(iv.End, next)
			block := PublicFolderBlock{
				Start: uint16(cur.Sub(monthStart) / time.Minute),
				End:   uint16(stop.Sub(monthStart) / time.Minute),
			}
			key := PublicFolderMonth(monthStart)
			if n := len(months); n == 0 || months[n-1] != key {
				months = append(months, key)
				blobs = append(blobs, nil)
			}
			blobs[len(blobs)-1] = AppendPublicFolderBlob(blobs[len(blobs)-1], []PublicFolderBlock{block})
			cur = stop
		}
	}
	return months, blobs
}
