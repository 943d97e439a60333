package ews

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"go.uber.org/zap"
)

// Autodiscover (POX) namespaces: Outlook's request schema, the common
// response schema and the Outlook response schema ([MS-OXDSCLI]).
const (
	NamespaceAutodiscoverRequest  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
	NamespaceAutodiscoverResponse = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	NamespaceAutodiscoverOutlook  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

// AutodiscoverHandler is a minimal plain-old-XML Autodiscover responder
// ([MS-OXDSCLI]): for any e-mail address it answers an Outlook settings
// response whose EXCH protocol names the EWS URL as both EwsUrl and ASUrl
// (the availability service), which is all an EWS client needs to find a
// Handler. It is served at /autodiscover/autodiscover.xml.
type AutodiscoverHandler struct {
	ewsURL string
	log    *zap.Logger
	body   int64
}

// NewAutodiscoverHandler returns an AutodiscoverHandler that points clients
// at ewsURL. Options: WithLogger, WithMaxBodyBytes.
func NewAutodiscoverHandler(ewsURL string, opts ...Option) *AutodiscoverHandler {
	o := newOptions(opts)
	return &AutodiscoverHandler{ewsURL: ewsURL, log: o.logger.Named("autodiscover"), body: o.ews.bodyLimit(64 << 10)}
}

// ServeHTTP implements http.Handler. It answers POSTed Autodiscover
// requests; a body that is not one, or asks for another response schema,
// gets an Autodiscover error response (ErrorCode 600 "Invalid Request",
// 601 "Provider is not available"), as Exchange does.
func (h *AutodiscoverHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "exchange: Autodiscover needs POST", http.StatusMethodNotAllowed)
		return
	}
	var req struct {
		XMLName xml.Name `xml:"Autodiscover"`
		Request struct {
			EMailAddress             string `xml:"EMailAddress"`
			AcceptableResponseSchema string `xml:"AcceptableResponseSchema"`
		} `xml:"Request"`
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.body))
	if err == nil {
		err = refuseDirectives(data)
	}
	if err == nil {
		err = xml.Unmarshal(data, &req)
	}
	var e encoder
	e.raw(xmlHeader)
	e.raw(`<Autodiscover xmlns="` + NamespaceAutodiscoverResponse + `">`)
	switch {
	case err != nil || req.XMLName.Space != NamespaceAutodiscoverRequest || !strings.Contains(req.Request.EMailAddress, "@"):
		h.log.Debug("bad autodiscover request", zap.Error(err))
		e.raw(`<Response><Error><ErrorCode>600</ErrorCode><Message>Invalid Request</Message><DebugData /></Error></Response>`)
	case req.Request.AcceptableResponseSchema != NamespaceAutodiscoverOutlook:
		e.raw(`<Response><Error><ErrorCode>601</ErrorCode><Message>Provider is not available</Message><DebugData /></Error></Response>`)
	default:
		e.raw(`<Response xmlns="` + NamespaceAutodiscoverOutlook + `"><User>`)
		e.elem("AutoDiscoverSMTPAddress", req.Request.EMailAddress)
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

// refuseDirectives tokenizes data and fails on any directive (DOCTYPE):
// Autodiscover requests never carry one. encoding/xml does not expand
// entities in any case; refusing the DTD keeps the answer predictable.
func refuseDirectives(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.Directive); ok {
			return ErrDTD
		}
	}
}
