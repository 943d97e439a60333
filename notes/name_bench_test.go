package notes

import "testing"

func BenchmarkParseName(b *testing.B) {
	inputs := []string{
		"CN=Jayne Doe/OU=Inside Sales/OU=Sales/O=ABCorp/C=US",
		"Reuben D. Smith/Ottawa/Acme/CA@AcmeMail",
		"jdoe@lotus.com",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n, err := ParseName(inputs[i%len(inputs)])
		if err != nil {
			b.Fatal(err)
		}
		_ = n.Canonical()
	}
}
