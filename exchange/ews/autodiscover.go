package ews

import (
	"encoding/xml"
	"io"
	"net/http"

	"go.uber.org/zap"
)

// Autodiscover (POX) namespaces: Outlook's request schema, the common
// response schema and the Outlook response schema ([MS-OXDSCLI]).
const (
	namespaceAutodiscoverRequest  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
	namespaceAutodiscoverResponse = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	namespaceAutodiscoverOutlook  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

// defaultAutodiscoverBytes caps an Autodiscover request by default: the
// real ones are a few hundred bytes.
const defaultAutodiscoverBytes = 64 << 10

// AutodiscoverHandler answers Exchange Autodiscover in its two dialects,
// so that EWS clients, and Exchange's own availability service, find a
// Handler:
//
//   - plain-old-XML Autodiscover ([MS-OXDSCLI]), served at
//     /autodiscover/autodiscover.xml and any other path: for a known
//     address it answers an Outlook settings response whose EXCH protocol
//     names the EWS URL as both EwsUrl and ASUrl (the availability
//     service);
//   - SOAP Autodiscover ([MS-OXWSADISC]), served at any path with an
//     autodiscover.svc segment, in any case (/autodiscover/autodiscover.svc,
//     /Autodiscover/Autodiscover.svc, .../autodiscover.svc/WSSecurity): the
//     GetUserSettings and GetDomainSettings operations, in SOAP 1.1 or 1.2
//     as the request comes.
//
// GetUserSettings answers, for each requested user, the settings
// ExternalEwsUrl, InternalEwsUrl (WithInternalEWSURL), ExternalEwsVersion,
// InteropExternalEwsUrl, InteropExternalEwsVersion, CasVersion,
// EwsSupportedSchemas, AutoDiscoverSMTPAddress, and UserDisplayName and
// UserDN (the legacyExchangeDN) when the UserLookup knows them. Another
// setting Exchange defines is left out of the answer, as Exchange leaves
// out a setting without a value (clients such as Python exchangelib fail
// on any setting error); a name Exchange does not define is a
// UserSettingError with ErrorCode InvalidSetting; an unknown user is a
// UserResponse with ErrorCode InvalidUser. GetDomainSettings answers
// ExternalEwsUrl, ExternalEwsVersion and InternalEwsUrl for every domain.
// Every SOAP answer carries the Autodiscover ServerVersionInfo header of
// Exchange Server 2016 (DefaultServerVersion). Another operation, or a
// request that cannot be decoded (the package's decoder and limits: no
// DOCTYPE, WithMaxBodyBytes, MaxDepth), gets a SOAP fault.
//
// Users are known through WithUserLookup; by default every address of the
// form local@domain is, in both dialects.
//
// An AutodiscoverHandler is safe for concurrent use.
type AutodiscoverHandler struct {
	ewsURL      string
	internalURL string
	lookup      UserLookup
	version     ServerVersionInfo
	cfg         autodiscoverConfig
	log         *zap.Logger
	limits      xmlLimits // of request documents
	body        int64     // limits.bytes
}

// NewAutodiscoverHandler returns an AutodiscoverHandler that points clients
// at ewsURL, which must be an absolute http or https URL (an error matching
// freebusy.ErrInvalid otherwise). An option given a value it cannot take
// makes it fail at once, with an error that names the option; each With*
// function says which values it takes.
func NewAutodiscoverHandler(ewsURL string, opts ...AutodiscoverOption) (*AutodiscoverHandler, error) {
	u, err := parseEndpoint("EWS", ewsURL)
	if err != nil {
		return nil, err
	}
	cfg, err := newAutodiscoverConfig(opts)
	if err != nil {
		return nil, err
	}
	s := autodiscoverSettings{lookup: defaultUserLookup}
	applySettings(&s, opts)
	if s.internalURL == "" {
		s.internalURL = u.String()
	}
	lim := cfg.xmlLimits(defaultAutodiscoverBytes, 0)
	return &AutodiscoverHandler{
		ewsURL:      u.String(),
		internalURL: s.internalURL,
		lookup:      s.lookup,
		version:     DefaultServerVersion(),
		cfg:         cfg,
		log:         cfg.Logger.Named("autodiscover"),
		limits:      lim,
		body:        lim.bytes,
	}, nil
}

// ServeHTTP implements http.Handler. It answers POSTed Autodiscover
// requests, SOAP at autodiscover.svc paths and POX elsewhere. A POX body
// that is not a request, or asks for another response schema, gets an
// Autodiscover error response (ErrorCode 600 "Invalid Request", 601
// "Provider is not available"), an unknown address ErrorCode 500, a
// failed lookup 603, as Exchange does; a SOAP body that is not a request
// gets a SOAP fault (status 500 in SOAP 1.1, 400 in SOAP 1.2). A body that
// does not arrive within the read timeout (WithReadTimeout) gets 408
// Request Timeout.
func (h *AutodiscoverHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	timedOut := h.cfg.BoundBody(w, r)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "ews: Autodiscover needs POST", http.StatusMethodNotAllowed)
		return
	}
	if isSOAPAutodiscoverPath(r.URL.Path) {
		h.serveSOAP(w, r, timedOut)
		return
	}
	h.servePOX(w, r, timedOut)
}

// servePOX answers a plain-old-XML Autodiscover request ([MS-OXDSCLI]).
func (h *AutodiscoverHandler) servePOX(w http.ResponseWriter, r *http.Request, timedOut func() bool) {
	// One byte of slack, so that the decoder's own limit reports ErrTooLarge.
	req, err := decodeAutodiscoverRequest(http.MaxBytesReader(w, r.Body, h.body+1), h.limits)
	if err != nil && timedOut() {
		h.log.Debug("autodiscover request body timed out", zap.Error(err))
		http.Error(w, "ews: the Autodiscover request body did not arrive in time", http.StatusRequestTimeout)
		return
	}
	var e encoder
	e.raw(xmlHeader)
	e.raw(`<Autodiscover xmlns="` + namespaceAutodiscoverResponse + `">`)
	var (
		u    AutodiscoverUser
		code string
	)
	if err == nil && plausibleAddress(req.email) && req.schema == namespaceAutodiscoverOutlook {
		u, code, _ = h.findUser(r.Context(), req.email)
	}
	switch {
	case err != nil || !plausibleAddress(req.email):
		h.log.Debug("bad autodiscover request", zap.Error(err))
		poxError(&e, "600", "Invalid Request")
	case req.schema != namespaceAutodiscoverOutlook:
		poxError(&e, "601", "Provider is not available")
	case code == adInvalidUser:
		poxError(&e, "500", "The e-mail address cannot be found.")
	case code != adNoError:
		poxError(&e, "603", "The Autodiscover server encountered an internal error.")
	default:
		// [MS-OXDSCLI] User: DisplayName, LegacyDN, AutoDiscoverSMTPAddress.
		e.raw(`<Response xmlns="` + namespaceAutodiscoverOutlook + `"><User>`)
		if u.DisplayName != "" {
			e.elem("DisplayName", u.DisplayName)
		}
		if u.LegacyDN != "" {
			e.elem("LegacyDN", u.LegacyDN)
		}
		e.elem("AutoDiscoverSMTPAddress", u.Address)
		e.raw(`</User><Account><AccountType>email</AccountType><Action>settings</Action><Protocol><Type>EXCH</Type>`)
		e.elem("ASUrl", h.ewsURL)
		e.elem("EwsUrl", h.ewsURL)
		e.raw(`</Protocol></Account></Response>`)
	}
	e.raw(`</Autodiscover>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(e.b)
}

// poxError writes a POX error Response ([MS-OXDSCLI] Error).
func poxError(e *encoder, code, msg string) {
	e.raw(`<Response><Error><ErrorCode>` + code + `</ErrorCode><Message>` + msg + `</Message><DebugData /></Error></Response>`)
}

// autodiscoverRequest is what an Outlook Autodiscover request asks.
type autodiscoverRequest struct {
	email  string // Request/EMailAddress
	schema string // Request/AcceptableResponseSchema
}

// decodeAutodiscoverRequest reads an Autodiscover request with the codec's
// decoder, so that it is refused under the same rules as a SOAP document
// (DOCTYPE, size, well-formedness; see decoder.token). The root must be
// Autodiscover in the Outlook request namespace; its children are matched
// by local name.
func decodeAutodiscoverRequest(r io.Reader, lim xmlLimits) (autodiscoverRequest, error) {
	var req autodiscoverRequest
	d := newLimitedDecoder(r, lim, "autodiscover request")
	root, err := d.root()
	if err != nil {
		return req, err
	}
	if root.Name.Local != "Autodiscover" || root.Name.Space != namespaceAutodiscoverRequest {
		return req, d.fail(ErrNotAvailability, root.Name.Local, "root is not an Outlook Autodiscover request")
	}
	err = d.each(func(c xml.StartElement) error {
		if c.Name.Local != "Request" {
			return d.skip()
		}
		return d.each(func(c xml.StartElement) (err error) {
			switch c.Name.Local {
			case "EMailAddress":
				req.email, err = d.readString()
			case "AcceptableResponseSchema":
				req.schema, err = d.readString()
			default:
				err = d.skip()
			}
			return err
		})
	})
	if err != nil {
		return req, err
	}
	return req, d.end()
}
