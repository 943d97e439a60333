package notes

import (
	"testing"
	"time"
)

func BenchmarkTimeDateRoundTrip(b *testing.B) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2024, 3, 15, 10, 30, 0, 0, loc)
	buf := make([]byte, 0, timeDateSize)
	b.ReportAllocs()
	for b.Loop() {
		td, err := NewTimeDate(at)
		if err != nil {
			b.Fatal(err)
		}
		buf, _ = td.AppendBinary(buf[:0])
		back, err := DecodeTimeDate(buf)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := back.Time(); err != nil {
			b.Fatal(err)
		}
	}
}
