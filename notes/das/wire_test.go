package das

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Names are looked up without their routing domain, otherwise as written
// (docs/notes.md §5.2, KB Q271590).
func TestLookupName(t *testing.T) {
	tests := map[string]string{
		"Jane Doe/Acme@AcmeMail":                      "Jane Doe/Acme",
		"CN=Jane Doe/O=Acme@AcmeMail":                 "CN=Jane Doe/O=Acme",
		"John Smith/Central/Microsoft@EXCHANGE":       "John Smith/Central/Microsoft",
		"John Smith/Central/Microsoft@SHELL@Esso":     "John Smith/Central/Microsoft",
		"Jane Doe/Acme":                               "Jane Doe/Acme",
		"jdoe@acme.example":                           "jdoe@acme.example",
		"Jayne Doe <jdoe@lotus.com>":                  "Jayne Doe <jdoe@lotus.com>",
		"":                                            "",
		"CN=Jane/OU=a/OU=b/OU=c/OU=d/OU=e/O=Acme@Dom": "CN=Jane/OU=a/OU=b/OU=c/OU=d/OU=e/O=Acme@Dom",
	}
	for in, want := range tests {
		assert.Equal(t, want, lookupName(in), in)
	}
}
