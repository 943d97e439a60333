package ews

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
)

// Namespaces of SOAP Autodiscover ([MS-OXWSADISC]): its messages, the
// WS-Addressing headers that carry the operation's action, and XML Schema
// instance (i:type on each setting, i:nil on an empty RedirectTarget).
const (
	namespaceAutodiscoverSOAP = "http://schemas.microsoft.com/exchange/2010/Autodiscover"
	namespaceAddressing       = "http://www.w3.org/2005/08/addressing"
	namespaceXSI              = "http://www.w3.org/2001/XMLSchema-instance"
	// actionAutodiscover prefixes the wsa:Action of every operation:
	// actionAutodiscover+"GetUserSettings" asks, +"GetUserSettingsResponse"
	// answers.
	actionAutodiscover = namespaceAutodiscoverSOAP + "/Autodiscover/"
	// actionFault is the wsa:Action of a fault (WS-Addressing 1.0 SOAP
	// Binding §6).
	actionFault = namespaceAddressing + "/soap/fault"
)

// Operations of SOAP Autodiscover that AutodiscoverHandler serves, by the
// local name of their body element.
const (
	opGetUserSettings   = "GetUserSettings"
	opGetDomainSettings = "GetDomainSettings"
)

// Caps on one SOAP Autodiscover request. GetUserSettings takes at most
// 100 users ([MS-OXWSADISC] GetUserSettingsRequest); the settings cap is
// far above the hundred or so names Exchange defines.
const (
	maxAutodiscoverUsers    = 100
	maxAutodiscoverSettings = 256
)

// autodiscoverSOAPRequest is what a SOAP Autodiscover request asks.
type autodiscoverSOAPRequest struct {
	soap12    bool
	operation string   // body element's local name minus "RequestMessage"; "" without one
	action    string   // wsa:Action header
	version   string   // a:RequestedServerVersion header
	users     []string // Users/User/Mailbox, "" for a User without one
	domains   []string // Domains/Domain
	settings  []string // RequestedSettings/Setting
	tooMany   string   // what there were too many of ("users", "settings"), if anything
}

// decodeAutodiscoverSOAPRequest reads a SOAP 1.1 or 1.2 Autodiscover
// request with the codec's decoder and its limits (size, depth, element
// count; no DOCTYPE). Elements are matched by local name, as in every
// document the package reads; unknown headers (WS-Security among them)
// and elements are skipped. Only the first element of the body counts.
func decodeAutodiscoverSOAPRequest(r io.Reader, lim xmlLimits) (*autodiscoverSOAPRequest, error) {
	d := newLimitedDecoder(r, lim, "autodiscover request")
	req := &autodiscoverSOAPRequest{}
	header := func(se xml.StartElement) (err error) {
		switch se.Name.Local {
		case "Action":
			req.action, err = d.readString()
		case "RequestedServerVersion":
			req.version, err = d.readString()
		default:
			err = d.skip()
		}
		return err
	}
	body := func(se xml.StartElement) error {
		if req.operation != "" {
			return d.skip()
		}
		req.operation = strings.TrimSuffix(se.Name.Local, "RequestMessage")
		if req.operation == "" {
			req.operation = se.Name.Local
		}
		if req.operation != opGetUserSettings && req.operation != opGetDomainSettings {
			return d.skip()
		}
		return d.each(func(c xml.StartElement) error {
			if c.Name.Local != "Request" {
				return d.skip()
			}
			return d.each(req.requestChild(d))
		})
	}
	err := d.envelope(header, body)
	req.soap12 = d.soap12
	if err != nil {
		return req, err
	}
	if req.operation == "" {
		return req, d.fail(ErrNotAvailability, "Body", "no operation in the soap:Body")
	}
	return req, nil
}

// requestChild returns the each callback that reads the children of a
// GetUserSettings or GetDomainSettings Request.
func (req *autodiscoverSOAPRequest) requestChild(d *decoder) func(xml.StartElement) error {
	return func(c xml.StartElement) error {
		switch c.Name.Local {
		case "Users":
			return d.each(func(u xml.StartElement) error {
				if u.Name.Local != "User" {
					return d.skip()
				}
				mailbox := ""
				err := d.each(func(m xml.StartElement) (err error) {
					if m.Name.Local != "Mailbox" {
						return d.skip()
					}
					mailbox, err = d.readString()
					return err
				})
				req.users = req.keep(req.users, mailbox, maxAutodiscoverUsers, "users")
				return err
			})
		case "Domains":
			return d.each(func(dom xml.StartElement) error {
				if dom.Name.Local != "Domain" {
					return d.skip()
				}
				s, err := d.readString()
				req.domains = req.keep(req.domains, s, maxAutodiscoverUsers, "domains")
				return err
			})
		case "RequestedSettings":
			return d.each(func(s xml.StartElement) error {
				if s.Name.Local != "Setting" {
					return d.skip()
				}
				name, err := d.readString()
				req.settings = req.keep(req.settings, name, maxAutodiscoverSettings, "settings")
				return err
			})
		}
		return d.skip()
	}
}

// keep appends s to list unless list already holds max entries, in which
// case it notes that there were too many of what.
func (req *autodiscoverSOAPRequest) keep(list []string, s string, max int, what string) []string {
	if len(list) >= max {
		if req.tooMany == "" {
			req.tooMany = what
		}
		return list
	}
	return append(list, s)
}

// isSOAPAutodiscoverPath reports whether p is a SOAP Autodiscover path:
// one with an "autodiscover.svc" segment, in any case
// (/autodiscover/autodiscover.svc, /Autodiscover/Autodiscover.svc,
// /autodiscover/autodiscover.svc/WSSecurity).
func isSOAPAutodiscoverPath(p string) bool {
	for p != "" {
		var seg string
		seg, p, _ = strings.Cut(p, "/")
		if strings.EqualFold(seg, "autodiscover.svc") {
			return true
		}
	}
	return false
}

// serveSOAP answers a SOAP Autodiscover request.
func (h *AutodiscoverHandler) serveSOAP(w http.ResponseWriter, r *http.Request, timedOut func() bool) {
	// One byte of slack, so that the decoder's own limit reports ErrTooLarge.
	req, err := decodeAutodiscoverSOAPRequest(http.MaxBytesReader(w, r.Body, h.body+1), h.limits)
	if err != nil && timedOut() {
		h.log.Debug("autodiscover request body timed out", zap.Error(err))
		http.Error(w, "ews: the Autodiscover request body did not arrive in time", http.StatusRequestTimeout)
		return
	}
	soap12 := req.soap12
	if err != nil && !soap12 {
		// The envelope was not read: the Content-Type tells the version.
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		soap12 = mt == "application/soap+xml"
	}
	switch {
	case err != nil:
		h.log.Debug("bad SOAP autodiscover request", zap.Error(err))
		h.writeFault(w, soap12, err.Error())
	case req.operation == opGetUserSettings:
		h.log.Debug("autodiscover GetUserSettings", zap.Int("users", len(req.users)), zap.Strings("settings", req.settings), zap.String("version", req.version))
		h.writeSOAP(w, soap12, opGetUserSettings, h.getUserSettings(r.Context(), req))
	case req.operation == opGetDomainSettings:
		h.log.Debug("autodiscover GetDomainSettings", zap.Int("domains", len(req.domains)), zap.Strings("settings", req.settings))
		h.writeSOAP(w, soap12, opGetDomainSettings, h.getDomainSettings(req))
	default:
		h.log.Debug("unsupported autodiscover operation", zap.String("operation", req.operation), zap.String("action", req.action))
		h.writeFault(w, soap12, "ews: the Autodiscover operation "+strconv.Quote(req.operation)+" is not supported")
	}
}

// soapHeader writes the XML declaration, the envelope's start and its
// header: the wsa:Action of the answer (mustUnderstand, as Exchange sends
// it) and the Autodiscover ServerVersionInfo ([MS-OXWSADISC]
// ServerVersionInfo: child elements, not the attributes of EWS's).
func (h *AutodiscoverHandler) soapHeader(e *encoder, soap12 bool, action string) {
	ns := namespaceSOAP11
	if soap12 {
		ns = namespaceSOAP12
	}
	v := h.version
	e.raw(xmlHeader)
	e.raw(`<s:Envelope xmlns:s="` + ns + `" xmlns:a="` + namespaceAddressing + `"><s:Header><a:Action s:mustUnderstand="1">`)
	e.text(action)
	e.raw(`</a:Action><h:ServerVersionInfo xmlns:h="` + namespaceAutodiscoverSOAP + `" xmlns:i="` + namespaceXSI + `">`)
	e.elemInt("h:MajorVersion", v.MajorVersion)
	e.elemInt("h:MinorVersion", v.MinorVersion)
	e.elemInt("h:MajorBuildNumber", v.MajorBuildNumber)
	e.elemInt("h:MinorBuildNumber", v.MinorBuildNumber)
	e.elem("h:Version", autodiscoverVersionName(v))
	e.raw(`</h:ServerVersionInfo></s:Header><s:Body>`)
}

// writeSOAP writes an answer to operation op whose body element body
// wrote.
func (h *AutodiscoverHandler) writeSOAP(w http.ResponseWriter, soap12 bool, op string, body func(*encoder)) {
	var e encoder
	h.soapHeader(&e, soap12, actionAutodiscover+op+"Response")
	e.raw(`<` + op + `ResponseMessage xmlns="` + namespaceAutodiscoverSOAP + `"><Response xmlns:i="` + namespaceXSI + `">`)
	body(&e)
	e.raw(`</Response></` + op + `ResponseMessage></s:Body></s:Envelope>`)
	writeSOAPAnswer(w, soap12, http.StatusOK, e.b)
}

// writeFault answers a request the handler cannot serve with a sender
// fault: SOAP 1.1 faultcode s:Client with status 500 (SOAP 1.1 §6.2),
// SOAP 1.2 env:Sender with status 400 (SOAP 1.2 Part 2 §7.5.1.2).
func (h *AutodiscoverHandler) writeFault(w http.ResponseWriter, soap12 bool, reason string) {
	var e encoder
	h.soapHeader(&e, soap12, actionFault)
	status := http.StatusInternalServerError
	if soap12 {
		status = http.StatusBadRequest
		e.raw(`<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en-US">`)
		e.text(reason)
		e.raw(`</s:Text></s:Reason></s:Fault>`)
	} else {
		e.raw(`<s:Fault><faultcode>s:Client</faultcode><faultstring xml:lang="en-US">`)
		e.text(reason)
		e.raw(`</faultstring></s:Fault>`)
	}
	e.raw(`</s:Body></s:Envelope>`)
	writeSOAPAnswer(w, soap12, status, e.b)
}

func writeSOAPAnswer(w http.ResponseWriter, soap12 bool, status int, b []byte) {
	ct := contentTypeSOAP11
	if soap12 {
		ct = contentTypeSOAP12
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Autodiscover error codes ([MS-OXWSADISC] ErrorCode simple type).
const (
	adNoError             = "NoError"
	adInvalidUser         = "InvalidUser"
	adInvalidRequest      = "InvalidRequest"
	adInvalidSetting      = "InvalidSetting"
	adServerBusy          = "ServerBusy"
	adInvalidDomain       = "InvalidDomain"
	adInternalServerError = "InternalServerError"
)

// settingAnswer is one requested setting: a value, or an error.
type settingAnswer struct {
	name  string // canonical name, or as requested when unknown
	value string
	code  string // "" for a value, else the error code
	msg   string
}

// userSettingNames are the setting names GetUserSettings takes, in
// Exchange's spelling, by lower-cased name: the UserSettingName
// enumeration of the Autodiscover service ([MS-OXWSADISC] UserSettingName
// simple type; EWS Managed API UserSettingName). The handler answers
// those it has a value for; it leaves the others out of its answer, as
// Exchange leaves out a setting that has no value for a user, and answers
// a name outside the list with InvalidSetting.
var userSettingNames = canonicalNames(
	"UserDisplayName", "UserDN", "UserDeploymentId", "InternalMailboxServer",
	"InternalRpcClientServer", "InternalMailboxServerDN", "InternalEcpUrl",
	"InternalEcpVoicemailUrl", "InternalEcpEmailSubscriptionsUrl",
	"InternalEcpTextMessagingUrl", "InternalEcpDeliveryReportUrl",
	"InternalEcpRetentionPolicyTagsUrl", "InternalEcpPublishingUrl",
	"InternalEcpPhotoUrl", "InternalEcpConnectUrl", "InternalEcpTeamMailboxUrl",
	"InternalEcpTeamMailboxCreatingUrl", "InternalEcpTeamMailboxEditingUrl",
	"InternalEcpTeamMailboxHidingUrl", "InternalEcpExtensionInstallationUrl",
	"InternalEwsUrl", "InternalEmwsUrl", "InternalOABUrl", "InternalPhotosUrl",
	"InternalUMUrl", "InternalWebClientUrls", "MailboxDN", "PublicFolderServer",
	"ActiveDirectoryServer", "ExternalMailboxServer",
	"ExternalMailboxServerRequiresSSL", "ExternalMailboxServerAuthenticationMethods",
	"EcpVoicemailUrlFragment", "EcpEmailSubscriptionsUrlFragment",
	"EcpTextMessagingUrlFragment", "EcpDeliveryReportUrlFragment",
	"EcpRetentionPolicyTagsUrlFragment", "EcpPublishingUrlFragment",
	"EcpPhotoUrlFragment", "EcpConnectUrlFragment", "EcpTeamMailboxUrlFragment",
	"EcpTeamMailboxCreatingUrlFragment", "EcpTeamMailboxEditingUrlFragment",
	"EcpExtensionInstallationUrlFragment", "ExternalEcpUrl",
	"ExternalEcpVoicemailUrl", "ExternalEcpEmailSubscriptionsUrl",
	"ExternalEcpTextMessagingUrl", "ExternalEcpDeliveryReportUrl",
	"ExternalEcpRetentionPolicyTagsUrl", "ExternalEcpPublishingUrl",
	"ExternalEcpPhotoUrl", "ExternalEcpConnectUrl", "ExternalEcpTeamMailboxUrl",
	"ExternalEcpTeamMailboxCreatingUrl", "ExternalEcpTeamMailboxEditingUrl",
	"ExternalEcpTeamMailboxHidingUrl", "ExternalEcpExtensionInstallationUrl",
	"ExternalEwsUrl", "ExternalEmwsUrl", "ExternalOABUrl", "ExternalPhotosUrl",
	"ExternalUMUrl", "ExternalWebClientUrls", "CrossOrganizationSharingEnabled",
	"AlternateMailboxes", "CasVersion", "EwsSupportedSchemas",
	"InternalPop3Connections", "ExternalPop3Connections",
	"InternalImap4Connections", "ExternalImap4Connections",
	"InternalSmtpConnections", "ExternalSmtpConnections",
	"InternalServerExclusiveConnect", "ExternalEwsVersion", "MobileMailboxPolicy",
	"DocumentSharingLocations", "UserMSOnline",
	"InternalMailboxServerAuthenticationMethods", "MailboxVersion",
	"SPMySiteHostURL", "SiteMailboxCreationURL", "InternalRpcHttpServer",
	"InternalRpcHttpConnectivityRequiresSsl", "InternalRpcHttpAuthenticationMethod",
	"ExternalServerExclusiveConnect", "ExchangeRpcUrl", "ShowGalAsDefaultView",
	"AutoDiscoverSMTPAddress", "InteropExternalEwsUrl", "InteropExternalEwsVersion",
	"PublicFolderInformation", "RedirectUrl", "EwsPartnerUrl", "CertPrincipalName",
	"GroupingInformation",
)

// domainSettingNames are the setting names GetDomainSettings takes:
// Exchange's DomainSettingName enumeration (ExternalEwsUrl,
// ExternalEwsVersion) and InternalEwsUrl.
var domainSettingNames = canonicalNames("ExternalEwsUrl", "ExternalEwsVersion", "InternalEwsUrl")

func canonicalNames(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}

// requestedSettings answers the requested settings once each, in request
// order, by their canonical names: value gives those that have one, a
// name of valid with no value is left out, and a name valid does not hold
// is an InvalidSetting error.
func requestedSettings(requested []string, valid map[string]string, value func(name string) (string, bool)) []settingAnswer {
	out := make([]settingAnswer, 0, len(requested))
	seen := make(map[string]bool, len(requested))
	for _, s := range requested {
		key := strings.ToLower(s)
		if seen[key] {
			continue
		}
		seen[key] = true
		name, ok := valid[key]
		if !ok {
			out = append(out, settingAnswer{name: s, code: adInvalidSetting, msg: "The requested setting is invalid."})
			continue
		}
		if v, ok := value(name); ok && v != "" {
			out = append(out, settingAnswer{name: name, value: v})
		}
	}
	return out
}

// serverSetting answers the settings that are the same for every user and
// domain.
func (h *AutodiscoverHandler) serverSetting(name string) (string, bool) {
	switch name {
	case "ExternalEwsUrl", "InteropExternalEwsUrl":
		return h.ewsURL, true
	case "InternalEwsUrl":
		return h.internalURL, true
	case "CasVersion", "ExternalEwsVersion", "InteropExternalEwsVersion":
		return casVersion(h.version), true
	case "EwsSupportedSchemas":
		return ewsSupportedSchemas, true
	}
	return "", false
}

// ewsSupportedSchemas is the EwsSupportedSchemas setting: the
// RequestServerVersion values the Handler accepts.
const ewsSupportedSchemas = "Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016"

// casVersion writes a build as Exchange writes CasVersion: "15.01.2507.006".
func casVersion(v ServerVersionInfo) string {
	return fmt.Sprintf("%02d.%02d.%04d.%03d", v.MajorVersion, v.MinorVersion, v.MajorBuildNumber, v.MinorBuildNumber)
}

// autodiscoverVersionName is the Version of the Autodiscover
// ServerVersionInfo header, which names the product, not the EWS schema:
// Exchange 2016, 2019 and Exchange Online (15.1 and later) write
// "Exchange2015", Exchange 2013 "Exchange2013_SP1".
func autodiscoverVersionName(v ServerVersionInfo) string {
	switch {
	case v.MajorVersion > 15 || v.MajorVersion == 15 && v.MinorVersion >= 1:
		return "Exchange2015"
	case v.MajorVersion == 15:
		return "Exchange2013_SP1"
	}
	return "Exchange2010_SP2"
}

// requestProblem returns why a GetUserSettings or GetDomainSettings
// request cannot be answered at all ([MS-OXWSADISC]: the Response's
// ErrorCode InvalidRequest), or "".
func requestProblem(req *autodiscoverSOAPRequest, items []string, what string) string {
	switch {
	case req.tooMany != "":
		return fmt.Sprintf("Too many %s in the request (at most %d).", req.tooMany, maxFor(req.tooMany))
	case len(items) == 0:
		return "The request names no " + what + "."
	case len(req.settings) == 0:
		return "The request asks for no settings."
	}
	return ""
}

func maxFor(what string) int {
	if what == "settings" {
		return maxAutodiscoverSettings
	}
	return maxAutodiscoverUsers
}

// responseError writes the Response-level ErrorCode and ErrorMessage.
func responseError(e *encoder, code, msg string) {
	e.elem("ErrorCode", code)
	if msg == "" {
		e.raw(`<ErrorMessage/>`)
		return
	}
	e.elem("ErrorMessage", msg)
}

// getUserSettings answers GetUserSettings: one UserResponse per User, in
// request order ([MS-OXWSADISC] UserResponse: ErrorCode, ErrorMessage,
// RedirectTarget, UserSettingErrors, UserSettings).
func (h *AutodiscoverHandler) getUserSettings(ctx context.Context, req *autodiscoverSOAPRequest) func(*encoder) {
	type userAnswer struct {
		code, msg string
		settings  []settingAnswer
	}
	problem := requestProblem(req, req.users, "users")
	var answers []userAnswer
	if problem == "" {
		answers = make([]userAnswer, len(req.users))
		for i, address := range req.users {
			u, code, msg := h.findUser(ctx, address)
			if code != adNoError {
				answers[i] = userAnswer{code: code, msg: msg}
				continue
			}
			answers[i] = userAnswer{code: adNoError, msg: "No error.", settings: requestedSettings(req.settings, userSettingNames, func(name string) (string, bool) {
				switch name {
				case "AutoDiscoverSMTPAddress":
					return u.Address, true
				case "UserDisplayName":
					return u.DisplayName, true
				case "UserDN":
					return u.LegacyDN, true
				}
				return h.serverSetting(name)
			})}
		}
	}
	return func(e *encoder) {
		if problem != "" {
			responseError(e, adInvalidRequest, problem)
			e.raw(`<UserResponses/>`)
			return
		}
		responseError(e, adNoError, "")
		e.raw(`<UserResponses>`)
		for _, a := range answers {
			e.raw(`<UserResponse>`)
			responseError(e, a.code, a.msg)
			e.raw(`<RedirectTarget i:nil="true"/>`)
			writeSettings(e, a.settings, "UserSettingError", "UserSetting", "StringSetting")
			e.raw(`</UserResponse>`)
		}
		e.raw(`</UserResponses>`)
	}
}

// findUser looks address up, and returns the user or the UserResponse
// error code and message that say why not.
func (h *AutodiscoverHandler) findUser(ctx context.Context, address string) (AutodiscoverUser, string, string) {
	invalid := "Invalid user '" + address + "'."
	if !plausibleAddress(address) {
		return AutodiscoverUser{}, adInvalidUser, invalid
	}
	u, err := h.lookup(ctx, address)
	if err != nil {
		h.log.Debug("autodiscover user lookup failed", zap.String("address", address), zap.Error(err))
		switch r := freebusy.ReasonOf(err); {
		case r == freebusy.ReasonUnknownAttendee:
			return u, adInvalidUser, invalid
		case r.Temporary():
			return u, adServerBusy, "The server is too busy to process the request."
		}
		return u, adInternalServerError, "An internal server error occurred."
	}
	if u.Address == "" {
		u.Address = address
	}
	return u, adNoError, ""
}

// writeSettings writes the errors element and the settings element of a
// user or domain answer: <UserSettingErrors> then <UserSettings>, each
// empty when there is nothing to say. Values are written as typ
// (i:type="StringSetting").
func writeSettings(e *encoder, answers []settingAnswer, errElem, setElem, typ string) {
	nErr := 0
	for _, a := range answers {
		if a.code != "" {
			nErr++
		}
	}
	if nErr == 0 {
		e.raw(`<` + errElem + `s/>`)
	} else {
		e.raw(`<` + errElem + `s>`)
		for _, a := range answers {
			if a.code == "" {
				continue
			}
			e.raw(`<` + errElem + `>`)
			e.elem("ErrorCode", a.code)
			e.elem("ErrorMessage", a.msg)
			e.elem("SettingName", a.name)
			e.raw(`</` + errElem + `>`)
		}
		e.raw(`</` + errElem + `s>`)
	}
	if nErr == len(answers) {
		e.raw(`<` + setElem + `s/>`)
		return
	}
	e.raw(`<` + setElem + `s>`)
	for _, a := range answers {
		if a.code != "" {
			continue
		}
		e.raw(`<` + setElem + ` i:type="` + typ + `">`)
		e.elem("Name", a.name)
		e.elem("Value", a.value)
		e.raw(`</` + setElem + `>`)
	}
	e.raw(`</` + setElem + `s>`)
}

// getDomainSettings answers GetDomainSettings: one DomainResponse per
// Domain, in request order ([MS-OXWSADISC] DomainResponse: ErrorCode,
// ErrorMessage, DomainSettingErrors, DomainSettings, RedirectTarget). Every
// plausible domain name gets the handler's settings.
func (h *AutodiscoverHandler) getDomainSettings(req *autodiscoverSOAPRequest) func(*encoder) {
	problem := requestProblem(req, req.domains, "domains")
	return func(e *encoder) {
		if problem != "" {
			responseError(e, adInvalidRequest, problem)
			e.raw(`<DomainResponses/>`)
			return
		}
		responseError(e, adNoError, "")
		e.raw(`<DomainResponses>`)
		for _, dom := range req.domains {
			e.raw(`<DomainResponse>`)
			if !plausibleDomain(dom) {
				responseError(e, adInvalidDomain, "Invalid domain '"+dom+"'.")
				e.raw(`<DomainSettingErrors/><DomainSettings/>`)
			} else {
				responseError(e, adNoError, "No error.")
				writeSettings(e, requestedSettings(req.settings, domainSettingNames, h.serverSetting), "DomainSettingError", "DomainSetting", "DomainStringSetting")
			}
			e.raw(`<RedirectTarget i:nil="true"/></DomainResponse>`)
		}
		e.raw(`</DomainResponses>`)
	}
}

// plausibleDomain reports whether s could be a domain name: not empty, no
// "@", no spaces or control characters.
func plausibleDomain(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '@' || c == 0x7f {
			return false
		}
	}
	return true
}
