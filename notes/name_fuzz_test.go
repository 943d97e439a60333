package notes

import (
	"errors"
	"testing"
)

// FuzzParseName checks that ParseName never panics, fails only with a
// *NameError, and that both written forms of a parsed name read back as
// the same name.
func FuzzParseName(f *testing.F) {
	// Seeds: the written forms of docs/notes.md §5.
	for _, s := range []string{
		"CN=Jayne Doe/OU=Inside Sales/OU=Sales/O=ABCorp/C=US",
		"Reuben D. Smith/Ottawa/Acme/CA",
		"/C=GB/A=RN/P=Red Squadron/O=CAM/CN=Jayne Doe@FooDomain",
		"CN=John B Goode/OU=East",
		"Jayne Doe/Sales$/Marketing/Lotus/GB",
		"John Smith/Central/Microsoft@EXCHANGE",
		"Jane Doe/Acme@SHELL@Esso",
		"Mary Tsen",
		"Mary Tsen/",
		"Jayne Doe <jdoe@lotus.com>",
		"jdoe@lotus.com",
		"G=Jayne/S=Doe/CN=Jayne Doe/O=Acme",
		"CN=J/OU=1/OU=2/OU=3/OU=4/OU=5/O=Acme",
		"CN=Jane Doe/Acme",
		"CN=JaneDoe@Acme",
		"cost$/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			var ne *NameError
			if !errors.As(err, &ne) {
				t.Fatalf("ParseName(%q): error %T is not a *NameError", s, err)
			}
			return
		}
		for _, form := range []string{n.Canonical(), n.Abbreviated(), n.WithoutDomain().Canonical()} {
			back, err := ParseName(form)
			if err != nil {
				t.Fatalf("ParseName(%q) = %+v, whose form %q does not parse: %v", s, n, form, err)
			}
			if !back.Equal(n) {
				t.Fatalf("ParseName(%q) = %+v, but its form %q reads as %+v", s, n, form, back)
			}
		}
		if !EqualNames(s, n.Canonical()) {
			t.Fatalf("EqualNames(%q, %q) = false", s, n.Canonical())
		}
		if n.Key() != n.WithoutDomain().Key() {
			t.Fatalf("Key of %q depends on the domain", s)
		}
	})
}
