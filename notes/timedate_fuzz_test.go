package notes

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeTimeDate checks that DecodeTimeDate never panics, fails only
// with a *TimeDateError, and that a decoded value re-encodes to the same
// bytes and, when it names an instant, encodes back from that instant.
func FuzzDecodeTimeDate(f *testing.F) {
	// Seeds: the golden vectors of docs/notes.md §4.4, the wildcards
	// of §4.1, and the null value.
	for _, in := range [][2]uint32{
		{0x006CDCC0, 0x852563FC},
		{0x0032B864, 0x652563FC},
		{0x00332F20, 0x652563FC},
		{0x00000000, 0x00253D8C},
		{0x004FA6A0, 0x00258AE1},
		{0x004FA6A0, 0xC1258AE1},
		{0x004FA6A0, 0x85258AE1},
		{allDay, 0x00258AE1},
		{0x0032B864, anyDay},
		{allDay, anyDay},
		{0, 0},
		{ticksPerDay, 0x00258AE1},
	} {
		f.Add(tdBytes(in[0], in[1]))
	}
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		td, err := DecodeTimeDate(b)
		if err != nil {
			var te *TimeDateError
			if !errors.As(err, &te) {
				t.Fatalf("DecodeTimeDate(%x): error %T is not a *TimeDateError", b, err)
			}
			return
		}
		out, err := td.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("DecodeTimeDate(%x) re-encodes as %x, %v", b, out, err)
		}
		_ = td.String()
		_, _, _, _ = td.Date()
		at, err := td.Time()
		if err != nil {
			if td.HasInstant() {
				t.Fatalf("%x: Time failed although HasInstant: %v", b, err)
			}
			return
		}
		again, err := newTimeDateInZone(at, td.Zone())
		if err != nil {
			t.Fatalf("%x: instant %s zone %s does not encode: %v", b, at, td.Zone(), err)
		}
		// The bits may differ only where they carry no information: the
		// east bit of a zero offset.
		back, err := again.Time()
		if err != nil || !back.Equal(at) || again.Zone() != td.Zone() || again.Innards[0] != td.Innards[0] {
			t.Fatalf("%x: %s %s re-encodes as %08X/%08X", b, at, td.Zone(), again.Innards[0], again.Innards[1])
		}
	})
}
