package ews

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

const (
	adTestEWS      = "https://gw.example.com/EWS/Exchange.asmx"
	adTestInternal = "https://gw.corp.example.com/EWS/Exchange.asmx"
	adAlice        = "alice@example.com"
	adAliceDN      = "/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice"
)

// adDirectory knows alice; everyone else is unknown.
func adDirectory(_ context.Context, address string) (AutodiscoverUser, error) {
	if strings.EqualFold(address, adAlice) {
		return AutodiscoverUser{Address: adAlice, DisplayName: "Alice Example", LegacyDN: adAliceDN}, nil
	}
	return AutodiscoverUser{}, freebusy.NewError(address, freebusy.ReasonUnknownAttendee, nil)
}

func newAD(t testing.TB, opts ...AutodiscoverOption) *AutodiscoverHandler {
	t.Helper()
	h, err := NewAutodiscoverHandler(adTestEWS, opts...)
	require.NoError(t, err)
	return h
}

// adPost posts body to h at path with Content-Type ct.
func adPost(h http.Handler, path, ct string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// adEnvelope is a SOAP Autodiscover answer, read with encoding/xml: an
// independent reader of what the handler writes.
type adEnvelope struct {
	XMLName xml.Name
	Header  struct {
		Action  string `xml:"http://www.w3.org/2005/08/addressing Action"`
		Version struct {
			MajorVersion, MinorVersion, MajorBuildNumber, MinorBuildNumber int
			Version                                                        string
		} `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover ServerVersionInfo"`
	} `xml:"Header"`
	Body struct {
		User   *adResponse `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover GetUserSettingsResponseMessage>Response"`
		Domain *adResponse `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover GetDomainSettingsResponseMessage>Response"`
		Fault  *struct {
			Code     string `xml:"faultcode"`
			String   string `xml:"faultstring"`
			Code12   string `xml:"Code>Value"`
			Reason12 string `xml:"Reason>Text"`
		} `xml:"Fault"`
	} `xml:"Body"`
}

type adResponse struct {
	ErrorCode    string
	ErrorMessage string
	Users        []adItem `xml:"UserResponses>UserResponse"`
	Domains      []adItem `xml:"DomainResponses>DomainResponse"`
}

type adSetting struct {
	Type  string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
	Name  string
	Value string
}

type adSettingError struct {
	ErrorCode    string
	ErrorMessage string
	SettingName  string
}

type adItem struct {
	ErrorCode      string
	ErrorMessage   string
	UserSettings   []adSetting      `xml:"UserSettings>UserSetting"`
	UserErrors     []adSettingError `xml:"UserSettingErrors>UserSettingError"`
	DomainSettings []adSetting      `xml:"DomainSettings>DomainSetting"`
	DomainErrors   []adSettingError `xml:"DomainSettingErrors>DomainSettingError"`
}

// values returns the settings by name; types must all be want.
func (it adItem) values(t *testing.T, want string) map[string]string {
	m := map[string]string{}
	for _, s := range append(it.UserSettings, it.DomainSettings...) {
		assert.Equal(t, want, s.Type, s.Name)
		m[s.Name] = s.Value
	}
	return m
}

// errorCodes returns the setting errors' codes by setting name.
func (it adItem) errorCodes() map[string]string {
	m := map[string]string{}
	for _, e := range append(it.UserErrors, it.DomainErrors...) {
		m[e.SettingName] = e.ErrorCode
	}
	return m
}

func parseAD(t *testing.T, rec *httptest.ResponseRecorder) adEnvelope {
	t.Helper()
	var env adEnvelope
	require.NoError(t, xml.Unmarshal(rec.Body.Bytes(), &env), rec.Body.String())
	// Every SOAP answer, faults too, carries the Autodiscover
	// ServerVersionInfo of the default server version.
	v := DefaultServerVersion()
	assert.Equal(t, v.MajorVersion, env.Header.Version.MajorVersion)
	assert.Equal(t, v.MinorVersion, env.Header.Version.MinorVersion)
	assert.Equal(t, v.MajorBuildNumber, env.Header.Version.MajorBuildNumber)
	assert.Equal(t, v.MinorBuildNumber, env.Header.Version.MinorBuildNumber)
	assert.Equal(t, "Exchange2015", env.Header.Version.Version)
	return env
}

// The fixtures are requests as clients write them:
//   - autodiscover-getusersettings-managed-api.xml: the envelope the EWS
//     Managed API writes (OfficeDev/ews-managed-api,
//     Autodiscover/Requests/AutodiscoverRequest.cs WriteSoapRequest and
//     GetUserSettingsRequest.cs), which ews-javascript-api
//     (src/js/Autodiscover/Requests/AutodiscoverRequest.ts) copies: "a:"
//     and "wsa:" prefixes, RequestedServerVersion, Action, To;
//   - autodiscover-getusersettings-doc.xml: the request example of the
//     Exchange reference page "GetUserSettings operation (SOAP)";
//   - autodiscover-getusersettings-exchange.xml: the shape of a
//     SoapHttpClientProtocol proxy generated from the Autodiscover WSDL,
//     which Exchange's availability service uses: default-namespace
//     elements, header elements declaring their own namespaces,
//     mustUnderstand WS-Addressing and a WS-Security header (sent to
//     .../autodiscover.svc/WSSecurity), RequestedVersion in the Request.
//     It is written from that shape, not captured from a server;
//   - autodiscover-getusersettings-soap12.xml: a WCF client's SOAP 1.2
//     request (MessageID, ReplyTo, mustUnderstand To), Request children
//     in schema (alphabetical) order;
//   - autodiscover-getdomainsettings.xml: the request example of
//     "GetDomainSettings operation (SOAP)", its typos mended, with one
//     setting the handler does not serve.
func TestSOAPAutodiscoverGetUserSettingsManagedAPI(t *testing.T) {
	h := newAD(t, WithUserLookup(adDirectory), WithInternalEWSURL(adTestInternal))
	rec := adPost(h, "/autodiscover/autodiscover.svc", "text/xml; charset=utf-8", readTestdata(t, "autodiscover-getusersettings-managed-api.xml"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, contentTypeSOAP11, rec.Header().Get("Content-Type"))
	env := parseAD(t, rec)
	assert.Equal(t, namespaceSOAP11, env.XMLName.Space)
	assert.Equal(t, actionAutodiscover+"GetUserSettingsResponse", env.Header.Action)
	require.NotNil(t, env.Body.User)
	resp := env.Body.User
	assert.Equal(t, "NoError", resp.ErrorCode)
	require.Len(t, resp.Users, 2)

	alice := resp.Users[0]
	assert.Equal(t, "NoError", alice.ErrorCode)
	v := DefaultServerVersion()
	assert.Equal(t, map[string]string{
		"InternalEwsUrl":          adTestInternal,
		"ExternalEwsUrl":          adTestEWS,
		"UserDisplayName":         "Alice Example",
		"UserDN":                  adAliceDN,
		"CasVersion":              fmt.Sprintf("%02d.%02d.%04d.%03d", v.MajorVersion, v.MinorVersion, v.MajorBuildNumber, v.MinorBuildNumber),
		"EwsSupportedSchemas":     ewsSupportedSchemas,
		"ExternalEwsVersion":      casVersion(v),
		"AutoDiscoverSMTPAddress": adAlice,
	}, alice.values(t, "StringSetting"))
	assert.Equal(t, "15.01.2507.006", casVersion(v))
	// InternalMailboxServer is an Exchange setting without a value here:
	// left out, not an error.
	assert.Empty(t, alice.errorCodes())
	// Settings come back in the order asked.
	require.NotEmpty(t, alice.UserSettings)
	assert.Equal(t, "InternalEwsUrl", alice.UserSettings[0].Name)

	nobody := resp.Users[1]
	assert.Equal(t, "InvalidUser", nobody.ErrorCode)
	assert.Contains(t, nobody.ErrorMessage, "nobody@example.com")
	assert.Empty(t, nobody.UserSettings)
	assert.Empty(t, nobody.UserErrors)

	// The whole answer, byte for byte.
	golden := filepath.Join("testdata", "autodiscover-getusersettings-managed-api.golden")
	if os.Getenv("EWS_UPDATE_GOLDEN") != "" {
		require.NoError(t, os.WriteFile(golden, rec.Body.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), rec.Body.String())
}

func TestSOAPAutodiscoverGetUserSettingsDocExample(t *testing.T) {
	// The default lookup knows the address, and nothing else about it.
	h := newAD(t)
	rec := adPost(h, "/autodiscover/autodiscover.svc", "text/xml", readTestdata(t, "autodiscover-getusersettings-doc.xml"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	resp := parseAD(t, rec).Body.User
	require.NotNil(t, resp)
	require.Len(t, resp.Users, 1)
	u := resp.Users[0]
	assert.Equal(t, "NoError", u.ErrorCode)
	// Only the settings with a value come back; the default lookup knows
	// no display name or legacyExchangeDN, and the handler no mailbox
	// server: no errors either, as Exchange answers a setting it has no
	// value for.
	assert.Equal(t, map[string]string{"CasVersion": "15.01.2507.006", "EwsSupportedSchemas": ewsSupportedSchemas}, u.values(t, "StringSetting"))
	assert.Empty(t, u.errorCodes())
}

// GetUserSettings as Exchange's availability service sends it must return
// the EWS URL.
func TestSOAPAutodiscoverGetUserSettingsFromExchange(t *testing.T) {
	h := newAD(t, WithUserLookup(adDirectory))
	for _, path := range []string{"/autodiscover/autodiscover.svc/WSSecurity", "/Autodiscover/Autodiscover.svc", "/autodiscover/autodiscover.svc/wssecurity/"} {
		rec := adPost(h, path, `text/xml; charset=utf-8`, readTestdata(t, "autodiscover-getusersettings-exchange.xml"))
		require.Equal(t, http.StatusOK, rec.Code, path)
		resp := parseAD(t, rec).Body.User
		require.NotNil(t, resp, path)
		require.Len(t, resp.Users, 1, path)
		u := resp.Users[0]
		assert.Equal(t, "NoError", u.ErrorCode, path)
		got := u.values(t, "StringSetting")
		assert.Equal(t, adTestEWS, got["ExternalEwsUrl"], path)
		assert.Equal(t, adTestEWS, got["InternalEwsUrl"], path) // no WithInternalEWSURL
		assert.Equal(t, "15.01.2507.006", got["ExternalEwsVersion"], path)
		assert.Equal(t, adTestEWS, got["InteropExternalEwsUrl"], path)
		assert.Equal(t, "15.01.2507.006", got["InteropExternalEwsVersion"], path)
		assert.Empty(t, u.errorCodes(), path)
	}
}

func TestSOAPAutodiscoverSOAP12(t *testing.T) {
	h := newAD(t, WithUserLookup(adDirectory))
	rec := adPost(h, "/Autodiscover/Autodiscover.svc", `application/soap+xml; charset=utf-8; action="`+actionAutodiscover+`GetUserSettings"`, readTestdata(t, "autodiscover-getusersettings-soap12.xml"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, contentTypeSOAP12, rec.Header().Get("Content-Type"))
	env := parseAD(t, rec)
	assert.Equal(t, namespaceSOAP12, env.XMLName.Space)
	require.NotNil(t, env.Body.User)
	require.Len(t, env.Body.User.Users, 1)
	assert.Equal(t, map[string]string{"ExternalEwsUrl": adTestEWS, "AutoDiscoverSMTPAddress": adAlice}, env.Body.User.Users[0].values(t, "StringSetting"))
}

func TestSOAPAutodiscoverGetDomainSettings(t *testing.T) {
	h := newAD(t)
	req := readTestdata(t, "autodiscover-getdomainsettings.xml")
	rec := adPost(h, "/autodiscover/autodiscover.svc", "text/xml", req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	env := parseAD(t, rec)
	assert.Equal(t, actionAutodiscover+"GetDomainSettingsResponse", env.Header.Action)
	resp := env.Body.Domain
	require.NotNil(t, resp)
	assert.Equal(t, "NoError", resp.ErrorCode)
	require.Len(t, resp.Domains, 1)
	d := resp.Domains[0]
	assert.Equal(t, "NoError", d.ErrorCode)
	assert.Equal(t, map[string]string{"ExternalEwsUrl": adTestEWS, "ExternalEwsVersion": "15.01.2507.006"}, d.values(t, "DomainStringSetting"))
	assert.Equal(t, map[string]string{"EwsPartnerUrl": "InvalidSetting"}, d.errorCodes())

	bad := bytes.Replace(req, []byte("<a:Domain>contoso.com</a:Domain>"), []byte("<a:Domain>contoso.com</a:Domain><a:Domain>not a domain</a:Domain>"), 1)
	resp = parseAD(t, adPost(h, "/autodiscover/autodiscover.svc", "text/xml", bad)).Body.Domain
	require.NotNil(t, resp)
	require.Len(t, resp.Domains, 2)
	assert.Equal(t, "NoError", resp.Domains[0].ErrorCode)
	assert.Equal(t, "InvalidDomain", resp.Domains[1].ErrorCode)
	assert.Empty(t, resp.Domains[1].DomainSettings)
}

// getUserSettings builds a GetUserSettings request for users and settings
// in the Managed API's shape.
func getUserSettings(users []string, settings ...string) []byte {
	var b strings.Builder
	b.WriteString(`<soap:Envelope xmlns:a="` + namespaceAutodiscoverSOAP + `" xmlns:soap="` + namespaceSOAP11 + `"><soap:Body><a:GetUserSettingsRequestMessage><a:Request><a:Users>`)
	for _, u := range users {
		if u == "" {
			b.WriteString(`<a:User/>`)
			continue
		}
		b.WriteString(`<a:User><a:Mailbox>` + u + `</a:Mailbox></a:User>`)
	}
	b.WriteString(`</a:Users><a:RequestedSettings>`)
	for _, s := range settings {
		b.WriteString(`<a:Setting>` + s + `</a:Setting>`)
	}
	b.WriteString(`</a:RequestedSettings></a:Request></a:GetUserSettingsRequestMessage></soap:Body></soap:Envelope>`)
	return []byte(b.String())
}

func TestSOAPAutodiscoverRequestProblems(t *testing.T) {
	h := newAD(t)
	many := make([]string, maxAutodiscoverUsers+1)
	for i := range many {
		many[i] = fmt.Sprintf("u%d@example.com", i)
	}
	for name, c := range map[string]struct {
		body      []byte
		code      string // Response ErrorCode
		userCodes []string
	}{
		"100 users":        {getUserSettings(many[:maxAutodiscoverUsers], "ExternalEwsUrl"), "NoError", nil},
		"101 users":        {getUserSettings(many, "ExternalEwsUrl"), "InvalidRequest", nil},
		"no users":         {getUserSettings(nil, "ExternalEwsUrl"), "InvalidRequest", nil},
		"no settings":      {getUserSettings([]string{adAlice}), "InvalidRequest", nil},
		"user w/o mailbox": {getUserSettings([]string{adAlice, "", "alice"}, "ExternalEwsUrl"), "NoError", []string{"NoError", "InvalidUser", "InvalidUser"}},
	} {
		rec := adPost(h, "/autodiscover/autodiscover.svc", "text/xml", c.body)
		require.Equal(t, http.StatusOK, rec.Code, name)
		resp := parseAD(t, rec).Body.User
		require.NotNil(t, resp, name)
		assert.Equal(t, c.code, resp.ErrorCode, name)
		switch {
		case c.code != "NoError":
			assert.NotEmpty(t, resp.ErrorMessage, name)
			assert.Empty(t, resp.Users, name)
		case c.userCodes != nil:
			var got []string
			for _, u := range resp.Users {
				got = append(got, u.ErrorCode)
			}
			assert.Equal(t, c.userCodes, got, name)
		default:
			assert.Len(t, resp.Users, maxAutodiscoverUsers, name)
		}
	}

	// Setting names are matched in any case, answered in Exchange's, and
	// a setting asked twice is answered once.
	rec := adPost(h, "/autodiscover/autodiscover.svc", "text/xml", getUserSettings([]string{adAlice}, "externalewsurl", "ExternalEwsUrl", "Bogus", "Bogus"))
	resp := parseAD(t, rec).Body.User
	require.NotNil(t, resp)
	require.Len(t, resp.Users, 1)
	u := resp.Users[0]
	require.Len(t, u.UserSettings, 1)
	assert.Equal(t, "ExternalEwsUrl", u.UserSettings[0].Name)
	require.Len(t, u.UserErrors, 1)
	assert.Equal(t, adSettingError{ErrorCode: "InvalidSetting", ErrorMessage: "The requested setting is invalid.", SettingName: "Bogus"}, u.UserErrors[0])
}

func TestSOAPAutodiscoverLookupErrors(t *testing.T) {
	var asked []string
	lookup := func(_ context.Context, address string) (AutodiscoverUser, error) {
		asked = append(asked, address)
		switch address {
		case "busy@example.com":
			return AutodiscoverUser{}, freebusy.NewError(address, freebusy.ReasonUnavailable, errors.New("directory down"))
		case "broken@example.com":
			return AutodiscoverUser{}, errors.New("boom")
		case "gone@example.com":
			return AutodiscoverUser{}, freebusy.ErrUnknownAttendee
		}
		// A lookup that finds the primary address of an alias.
		return AutodiscoverUser{Address: "primary@example.com"}, nil
	}
	h := newAD(t, WithUserLookup(lookup))
	rec := adPost(h, "/autodiscover/autodiscover.svc", "text/xml", getUserSettings([]string{"busy@example.com", "broken@example.com", "gone@example.com", "alias@example.com", "no-at-sign"}, "AutoDiscoverSMTPAddress"))
	resp := parseAD(t, rec).Body.User
	require.NotNil(t, resp)
	var codes []string
	for _, u := range resp.Users {
		codes = append(codes, u.ErrorCode)
	}
	assert.Equal(t, []string{"ServerBusy", "InternalServerError", "InvalidUser", "NoError"}, codes[:4])
	assert.Equal(t, "InvalidUser", codes[4])
	assert.Equal(t, map[string]string{"AutoDiscoverSMTPAddress": "primary@example.com"}, resp.Users[3].values(t, "StringSetting"))
	// An address that is not one never reaches the lookup.
	assert.NotContains(t, asked, "no-at-sign")

	// The same lookup rules POX.
	pox := func(address string) string {
		body := `<Autodiscover xmlns="` + namespaceAutodiscoverRequest + `"><Request><EMailAddress>` + address + `</EMailAddress><AcceptableResponseSchema>` + namespaceAutodiscoverOutlook + `</AcceptableResponseSchema></Request></Autodiscover>`
		rec := adPost(h, "/autodiscover/autodiscover.xml", "text/xml", []byte(body))
		require.Equal(t, http.StatusOK, rec.Code)
		return rec.Body.String()
	}
	assert.Contains(t, pox("gone@example.com"), "<ErrorCode>500</ErrorCode>")
	assert.Contains(t, pox("busy@example.com"), "<ErrorCode>603</ErrorCode>")
	assert.Contains(t, pox("half@"), "<ErrorCode>600</ErrorCode>")
	assert.Contains(t, pox("alias@example.com"), "<AutoDiscoverSMTPAddress>primary@example.com</AutoDiscoverSMTPAddress>")

	dir := newAD(t, WithUserLookup(adDirectory))
	body := `<Autodiscover xmlns="` + namespaceAutodiscoverRequest + `"><Request><EMailAddress>` + adAlice + `</EMailAddress><AcceptableResponseSchema>` + namespaceAutodiscoverOutlook + `</AcceptableResponseSchema></Request></Autodiscover>`
	got := adPost(dir, "/autodiscover/autodiscover.xml", "text/xml", []byte(body)).Body.String()
	assert.Contains(t, got, "<User><DisplayName>Alice Example</DisplayName><LegacyDN>"+adAliceDN+"</LegacyDN><AutoDiscoverSMTPAddress>"+adAlice+"</AutoDiscoverSMTPAddress></User>")
}

func TestSOAPAutodiscoverFaults(t *testing.T) {
	h := newAD(t, WithMaxBodyBytes(4096))
	req := readTestdata(t, "autodiscover-getusersettings-managed-api.xml")
	soap12 := readTestdata(t, "autodiscover-getusersettings-soap12.xml")
	for name, c := range map[string]struct {
		body   []byte
		ct     string
		soap12 bool
		reason string // in the fault string
	}{
		"unknown operation": {bytes.ReplaceAll(req, []byte("GetUserSettingsRequestMessage"), []byte("GetFederationInformationRequestMessage")), "text/xml", false, `"GetFederationInformation" is not supported`},
		"unknown 1.2":       {bytes.ReplaceAll(soap12, []byte("GetUserSettingsRequestMessage"), []byte("GetOrganizationRelationshipSettingsRequestMessage")), "application/soap+xml", true, "not supported"},
		"empty body":        {[]byte(`<s:Envelope xmlns:s="` + namespaceSOAP11 + `"><s:Body/></s:Envelope>`), "text/xml", false, "no operation"},
		"no body":           {[]byte(`<s:Envelope xmlns:s="` + namespaceSOAP11 + `"/>`), "text/xml", false, "no soap:Body"},
		"garbage":           {[]byte(`<nope`), "text/xml", false, "malformed XML"},
		"garbage 1.2":       {[]byte(`<nope`), "application/soap+xml; charset=utf-8", true, "malformed XML"},
		"doctype":           {append([]byte(`<!DOCTYPE x [<!ENTITY e "alice@example.com">]>`), req[bytes.IndexByte(req, '>')+1:]...), "text/xml", false, "document type declarations"},
		"POX to the svc":    {[]byte(`<Autodiscover xmlns="` + namespaceAutodiscoverRequest + `"/>`), "text/xml", false, "not a SOAP envelope"},
		"too large":         {bytes.Replace(req, []byte("<soap:Body>"), []byte("<soap:Body><Pad>"+strings.Repeat("x", 5000)+"</Pad>"), 1), "text/xml", false, "too large"},
		"too deep":          {bytes.Replace(req, []byte("<soap:Body>"), []byte("<soap:Body>"+strings.Repeat("<x>", MaxDepth)+strings.Repeat("</x>", MaxDepth)), 1), "text/xml", false, "nested too deeply"},
	} {
		rec := adPost(h, "/autodiscover/autodiscover.svc", c.ct, c.body)
		env := parseAD(t, rec)
		require.NotNil(t, env.Body.Fault, name)
		assert.Equal(t, actionFault, env.Header.Action, name)
		if c.soap12 {
			assert.Equal(t, http.StatusBadRequest, rec.Code, name)
			assert.Equal(t, contentTypeSOAP12, rec.Header().Get("Content-Type"), name)
			assert.Equal(t, "s:Sender", env.Body.Fault.Code12, name)
			assert.Contains(t, env.Body.Fault.Reason12, c.reason, name)
			continue
		}
		assert.Equal(t, http.StatusInternalServerError, rec.Code, name)
		assert.Equal(t, contentTypeSOAP11, rec.Header().Get("Content-Type"), name)
		assert.Equal(t, "s:Client", env.Body.Fault.Code, name)
		assert.Contains(t, env.Body.Fault.String, c.reason, name)
	}
}

func TestAutodiscoverPaths(t *testing.T) {
	h := newAD(t)
	soapReq := getUserSettings([]string{adAlice}, "ExternalEwsUrl")
	for _, p := range []string{"/autodiscover/autodiscover.svc", "/Autodiscover/Autodiscover.svc", "/AUTODISCOVER/AUTODISCOVER.SVC", "/autodiscover/autodiscover.svc/wssecurity", "/Autodiscover/Autodiscover.svc/WSSecurity"} {
		assert.True(t, isSOAPAutodiscoverPath(p), p)
		rec := adPost(h, p, "text/xml", soapReq)
		assert.Equal(t, http.StatusOK, rec.Code, p)
		assert.Contains(t, rec.Body.String(), "<Value>"+adTestEWS+"</Value>", p)
	}
	for _, p := range []string{"/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml", "/", "/autodiscover/autodiscover.svcx"} {
		assert.False(t, isSOAPAutodiscoverPath(p), p)
		// POX answers a SOAP body with its own error.
		rec := adPost(h, p, "text/xml", soapReq)
		assert.Equal(t, http.StatusOK, rec.Code, p)
		assert.Contains(t, rec.Body.String(), "<ErrorCode>600</ErrorCode>", p)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/autodiscover/autodiscover.svc", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

func TestAutodiscoverOptions(t *testing.T) {
	_, err := NewAutodiscoverHandler(adTestEWS, WithInternalEWSURL("ftp://x/ews"))
	assert.ErrorIs(t, err, ErrInvalidOption)
	assert.ErrorContains(t, err, "WithInternalEWSURL")

	// nil means the default lookup.
	h := newAD(t, WithUserLookup(nil))
	resp := parseAD(t, adPost(h, "/autodiscover/autodiscover.svc", "text/xml", getUserSettings([]string{"x@example.com"}, "AutoDiscoverSMTPAddress"))).Body.User
	require.NotNil(t, resp)
	require.Len(t, resp.Users, 1)
	assert.Equal(t, "NoError", resp.Users[0].ErrorCode)

	assert.Equal(t, "Exchange2013_SP1", autodiscoverVersionName(ServerVersionInfo{MajorVersion: 15}))
	assert.Equal(t, "Exchange2010_SP2", autodiscoverVersionName(ServerVersionInfo{MajorVersion: 14, MinorVersion: 3}))
}

func BenchmarkSOAPAutodiscoverGetUserSettings(b *testing.B) {
	h := newAD(b, WithUserLookup(adDirectory))
	body := readTestdata(b, "autodiscover-getusersettings-managed-api.xml")
	b.ReportAllocs()
	for b.Loop() {
		rec := adPost(h, "/autodiscover/autodiscover.svc", "text/xml", body)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
