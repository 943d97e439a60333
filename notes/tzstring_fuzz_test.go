package notes

import (
	"errors"
	"testing"
)

// FuzzParseTimeZone checks that ParseTimeZone never panics, fails only with
// a *TimeZoneError, that String reads back as the same value, and that
// Location either finds a zone or fails with ErrUnknownTimeZone.
func FuzzParseTimeZone(f *testing.F) {
	// Seeds: docs/notes.md §3.8.
	for _, s := range []string{
		"Z=6$DO=1$DL=3 2 1 11 1 1$ZX=23$ZN=Central",
		"Z=-1$DO=1$DL=3 -1 1 10 -1 1$ZX=134$ZN=W. Europe",
		"Z=$DO=0$ZX=0$ZN=",
		"Z=5$DO=1;$DL=4 1 1 10 -1 1$ZX=11$ZN=Eastern",
		"Z=6$DO=0$ZX=0$ZN=GMT-6",
		"Z=-3005$DO=0$ZN=India",
		"Z=-5.75$DO=0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tz, err := ParseTimeZone(s)
		if err != nil {
			var te *TimeZoneError
			if !errors.As(err, &te) {
				t.Fatalf("ParseTimeZone(%q): error %T is not a *TimeZoneError", s, err)
			}
			return
		}
		back, err := ParseTimeZone(tz.String())
		if err != nil || back != tz {
			t.Fatalf("ParseTimeZone(%q) = %+v, String %q reads as %+v, %v", s, tz, tz.String(), back, err)
		}
		if _, err := tz.Location(); err != nil && !errors.Is(err, ErrUnknownTimeZone) {
			t.Fatalf("Location of %q: %v", s, err)
		}
	})
}
