package ews

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"

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

// AutodiscoverHandler is a minimal plain-old-XML Autodiscover responder
// ([MS-OXDSCLI]): for any e-mail address it answers an Outlook settings
// response whose EXCH protocol names the EWS URL as both EwsUrl and ASUrl
// (the availability service), which is all an EWS client needs to find a
// Handler. It is served at /autodiscover/autodiscover.xml.
//
// An AutodiscoverHandler is safe for concurrent use.
type AutodiscoverHandler struct {
	ewsURL string
	cfg    autodiscoverConfig
	log    *zap.Logger
	body   int64
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
	return &AutodiscoverHandler{ewsURL: u.String(), cfg: cfg, log: cfg.Logger.Named("autodiscover"), body: cfg.bodyLimit(defaultAutodiscoverBytes)}, nil
}

// ServeHTTP implements http.Handler. It answers POSTed Autodiscover
// requests; a body that is not one, or asks for another response schema,
// gets an Autodiscover error response (ErrorCode 600 "Invalid Request",
// 601 "Provider is not available"), as Exchange does; a body that does not
// arrive within the read timeout (WithReadTimeout) gets 408 Request
// Timeout.
func (h *AutodiscoverHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	timedOut := h.cfg.BoundBody(w, r)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "ews: Autodiscover needs POST", http.StatusMethodNotAllowed)
		return
	}
	// One byte of slack, so that the decoder's own limit reports ErrTooLarge.
	req, err := decodeAutodiscoverRequest(http.MaxBytesReader(w, r.Body, h.body+1), h.body)
	if err != nil && timedOut() {
		h.log.Debug("autodiscover request body timed out", zap.Error(err))
		http.Error(w, "ews: the Autodiscover request body did not arrive in time", http.StatusRequestTimeout)
		return
	}
	var e encoder
	e.raw(xmlHeader)
	e.raw(`<Autodiscover xmlns="` + namespaceAutodiscoverResponse + `">`)
	switch {
	case err != nil || !strings.Contains(req.email, "@"):
		h.log.Debug("bad autodiscover request", zap.Error(err))
		e.raw(`<Response><Error><ErrorCode>600</ErrorCode><Message>Invalid Request</Message><DebugData /></Error></Response>`)
	case req.schema != namespaceAutodiscoverOutlook:
		e.raw(`<Response><Error><ErrorCode>601</ErrorCode><Message>Provider is not available</Message><DebugData /></Error></Response>`)
	default:
		e.raw(`<Response xmlns="` + namespaceAutodiscoverOutlook + `"><User>`)
		e.elem("AutoDiscoverSMTPAddress", req.email)
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
func decodeAutodiscoverRequest(r io.Reader, limit int64) (autodiscoverRequest, error) {
	var req autodiscoverRequest
	d := newDecoder(r, limit, "autodiscover request")
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
