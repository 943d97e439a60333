package ews

import (
	"strconv"

	"github.com/calbridge/calbridge/exchange"
)

// ServerVersionInfo is the t:ServerVersionInfo SOAP header that every EWS
// answer carries, faults included ([MS-OXWSCDATA], element
// ServerVersionInfo; EWS reference "ServerVersionInfo"): the Exchange
// build a client learns the server's version from. Clients that are not
// told a version (Python exchangelib, for one) send a probe request first
// and read the version from this header of whatever comes back.
type ServerVersionInfo struct {
	// MajorVersion, MinorVersion, MajorBuildNumber and MinorBuildNumber
	// are the build: 15.1.2507.6 is Exchange Server 2016 CU23.
	MajorVersion     int
	MinorVersion     int
	MajorBuildNumber int
	MinorBuildNumber int
	// Version is the schema version the server speaks, as in
	// RequestServerVersion: "Exchange2016", or "V2017_07_11", which
	// Exchange 2016 and 2019 write.
	Version string
}

// DefaultServerVersion returns the identity a Handler answers with unless
// WithServerVersion says otherwise: Exchange Server 2016 CU23, build
// 15.1.2507.6, schema version Exchange2016. Exchange 2016 reports
// WorkingElsewhere and serves GetServerTimeZones, as the Handler does.
// The Version is the RequestServerVersion name rather than the
// "V2017_07_11" later Exchange 2016 updates write: clients take the name
// as the version to request, while Python exchangelib 4.9 discards
// "V…_" strings and keeps the version it guessed (Exchange2019), which
// does not match build 15.1.
func DefaultServerVersion() ServerVersionInfo {
	return ServerVersionInfo{MajorVersion: 15, MinorVersion: 1, MajorBuildNumber: 2507, MinorBuildNumber: 6, Version: "Exchange2016"}
}

// valid reports whether v can be written: build numbers in 0..65535 and a
// major version of 8 (Exchange 2007, the first with EWS) or later, and a
// Version of letters, digits and underscores.
func (v ServerVersionInfo) valid() bool {
	for _, n := range []int{v.MinorVersion, v.MajorBuildNumber, v.MinorBuildNumber} {
		if n < 0 || n > 65535 {
			return false
		}
	}
	if v.MajorVersion < 8 || v.MajorVersion > 65535 || v.Version == "" || len(v.Version) > 64 {
		return false
	}
	for i := 0; i < len(v.Version); i++ {
		c := v.Version[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// WithServerVersion sets the ServerVersionInfo header a Handler writes on
// every answer. The default is DefaultServerVersion(). A MajorVersion
// below 8, a build number outside 0..65535 or an empty Version (or one
// with characters other than letters, digits and "_") makes NewHandler
// fail.
func WithServerVersion(v ServerVersionInfo) HandlerOption {
	return handlerOption(func(c *handlerConfig) {
		if !v.valid() {
			c.Invalid(pkg, "WithServerVersion", "invalid version %d.%d.%d.%d %q", v.MajorVersion, v.MinorVersion, v.MajorBuildNumber, v.MinorBuildNumber, v.Version)
			return
		}
		c.version = v
	})
}

// serverVersionHeader writes the t:ServerVersionInfo header element, in
// the types namespace as Exchange writes it.
func (e *encoder) serverVersionHeader(v *ServerVersionInfo) {
	if v == nil {
		return
	}
	e.raw(`<h:ServerVersionInfo MajorVersion="`)
	e.b = strconv.AppendInt(e.b, int64(v.MajorVersion), 10)
	e.raw(`" MinorVersion="`)
	e.b = strconv.AppendInt(e.b, int64(v.MinorVersion), 10)
	e.raw(`" MajorBuildNumber="`)
	e.b = strconv.AppendInt(e.b, int64(v.MajorBuildNumber), 10)
	e.raw(`" MinorBuildNumber="`)
	e.b = strconv.AppendInt(e.b, int64(v.MinorBuildNumber), 10)
	e.raw(`" Version="`)
	e.text(v.Version)
	e.raw(`" xmlns:h="` + namespaceTypes + `" xmlns="` + namespaceTypes + `"/>`)
}

// codeInvalidOperation answers an operation the Handler does not serve
// (EWS reference "ResponseCode": ErrorInvalidOperation, "the operation is
// not valid"). Python exchangelib takes it, like any EWS error, as proof
// that the server answered, and reads the version from the header.
const codeInvalidOperation exchange.ResponseCode = "ErrorInvalidOperation"
