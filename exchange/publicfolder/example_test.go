package publicfolder_test

import (
	"context"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/exchange/publicfolder"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

// Publishing a Notes user's free/busy into the Exchange public store, as
// the Calendar Connector did: the schedule becomes the properties of the
// user's free/busy message (the worked example of docs/exchange.md
// §1.7), and reading the message back gives the schedule again.
func ExampleEncode() {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	s := freebusy.Schedule{
		Attendee: "danw@example.com",
		Start:    at("2024-03-01T00:00:00Z"),
		End:      at("2024-05-01T00:00:00Z"),
		Intervals: []freebusy.Interval{
			{Start: at("2024-03-05T09:00:00Z"), End: at("2024-03-05T10:30:00Z"), Status: freebusy.Busy},
			{Start: at("2024-03-31T23:00:00Z"), End: at("2024-04-01T01:00:00Z"), Status: freebusy.Tentative},
			{Start: at("2024-04-10T00:00:00Z"), End: at("2024-04-12T00:00:00Z"), Status: freebusy.OutOfOffice},
		},
		AsOf: at("2024-03-01T00:00:00Z"),
	}
	owner := "/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw"
	m, err := publicfolder.Encode(&s, publicfolder.EncodeOptions{Owner: owner})
	if err != nil {
		fmt.Println(err)
		return
	}
	dn, _ := exchange.ParseLegacyDN(owner)
	fmt.Println("folder:   ", publicfolder.SiteFolder(dn))
	fmt.Println("subject:  ", m.Subject)
	fmt.Println("published:", m.PublishStart, m.PublishEnd, m.RangeTimestamp)
	fmt.Printf("busy:      %v %X\n", m.MonthsBusy, m.FreeBusyBusy)
	fmt.Printf("tentative: %v %X\n", m.MonthsTentative, m.FreeBusyTentative)
	fmt.Printf("away:      %v %X\n", m.MonthsAway, m.FreeBusyAway)
	fmt.Printf("merged:    %v %X\n", m.MonthsMerged, m.FreeBusyMerged)

	// Reading it back over a wider window: outside the published range
	// nothing is known, so that time is Unknown, not Free.
	back, err := publicfolder.Decode(m, publicfolder.DecodeOptions{
		Start: at("2024-02-28T00:00:00Z"), End: at("2024-05-02T00:00:00Z"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, iv := range back.Intervals {
		fmt.Println(iv)
	}
	// Output:
	// folder:    EX:/o=Ximian XCS/ou=XCS
	// subject:   USER-/CN=RECIPIENTS/CN=DANW
	// published: 222562080 222649920 133537248000000000
	// busy:      [32387] [9C18F618]
	// tentative: [32387 32388] [24AE60AE 00003C00]
	// away:      [32388] [A032E03D]
	// merged:    [32387 32388] [9C18F618 A032E03D]
	// 2024-02-28T00:00:00Z/2024-03-01T00:00:00Z unknown
	// 2024-03-05T09:00:00Z/2024-03-05T10:30:00Z busy
	// 2024-03-31T23:00:00Z/2024-04-01T01:00:00Z tentative
	// 2024-04-10T00:00:00Z/2024-04-12T00:00:00Z out-of-office
	// 2024-05-01T00:00:00Z/2024-05-02T00:00:00Z unknown
}

// A Source answers free/busy queries from the public-folder messages a
// Lookup finds, here in a map keyed by address; in a gateway the lookup
// reads the public store through MAPI or WebDAV. Time outside the
// message's published range is Unknown, and an address without a message
// is an unknown attendee.
func ExampleSource() {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	published := freebusy.Schedule{
		Start:     at("2024-03-01T00:00:00Z"),
		End:       at("2024-05-01T00:00:00Z"),
		Intervals: []freebusy.Interval{{Start: at("2024-03-05T09:00:00Z"), End: at("2024-03-05T10:30:00Z"), Status: freebusy.Busy}},
	}
	m, err := publicfolder.Encode(&published, publicfolder.EncodeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	store := map[string]*publicfolder.Message{"danw@example.com": m}
	src, err := publicfolder.NewSource(func(_ context.Context, attendee string) (*publicfolder.Message, error) {
		return store[attendee], nil
	}, publicfolder.WithConcurrency(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	schedules, err := src.FreeBusy(context.Background(), freebusy.Query{
		Attendees: []string{"danw@example.com", "nobody@example.com"},
		Start:     at("2024-02-29T00:00:00Z"),
		End:       at("2024-03-06T00:00:00Z"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range schedules {
		if s.Err != nil {
			fmt.Println(s.Attendee, s.Err.Reason)
			continue
		}
		for _, iv := range s.Intervals {
			fmt.Println(s.Attendee, iv)
		}
	}
	// Output:
	// danw@example.com 2024-02-29T00:00:00Z/2024-03-01T00:00:00Z unknown
	// danw@example.com 2024-03-05T09:00:00Z/2024-03-05T10:30:00Z busy
	// nobody@example.com unknown-attendee
}
