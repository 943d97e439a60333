package ews

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"testing"
)

// FuzzDecodeAutodiscoverSOAPRequest feeds the SOAP Autodiscover request
// decoder anything: it must return a request or a *DecodeError, and what
// it returns must be answered with well-formed XML, one UserResponse per
// user (or a request-level error), by the handler.
func FuzzDecodeAutodiscoverSOAPRequest(f *testing.F) {
	for _, name := range []string{
		"autodiscover-getusersettings-managed-api.xml",
		"autodiscover-getusersettings-doc.xml",
		"autodiscover-getusersettings-exchange.xml",
		"autodiscover-getusersettings-soap12.xml",
		"autodiscover-getdomainsettings.xml",
	} {
		f.Add(readTestdata(f, name))
	}
	f.Add(getUserSettings([]string{"a@example.com", "", "b"}, "ExternalEwsUrl", "Bogus"))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>`))
	h := newAD(f, WithUserLookup(adDirectory))
	lim := xmlLimits{bytes: defaultAutodiscoverBytes}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeAutodiscoverSOAPRequest(bytes.NewReader(data), lim)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error is %T, not *DecodeError: %v", err, err)
			}
			return
		}
		if len(req.users) > maxAutodiscoverUsers || len(req.domains) > maxAutodiscoverUsers || len(req.settings) > maxAutodiscoverSettings {
			t.Fatalf("kept %d users, %d domains, %d settings", len(req.users), len(req.domains), len(req.settings))
		}
		var e encoder
		switch req.operation {
		case opGetUserSettings:
			h.getUserSettings(context.Background(), req)(&e)
		case opGetDomainSettings:
			h.getDomainSettings(req)(&e)
		default:
			return
		}
		// The body fragment must be well-formed, and answer every item.
		x := xml.NewDecoder(bytes.NewReader(append(append([]byte(`<Response xmlns:i="`+namespaceXSI+`">`), e.b...), "</Response>"...)))
		items := 0
		for {
			tok, err := x.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("answer is not well-formed: %v\n%s", err, e.b)
			}
			if se, ok := tok.(xml.StartElement); ok && (se.Name.Local == "UserResponse" || se.Name.Local == "DomainResponse") {
				items++
			}
		}
		list, what := req.users, "users"
		if req.operation == opGetDomainSettings {
			list, what = req.domains, "domains"
		}
		want := len(list)
		if requestProblem(req, list, what) != "" {
			want = 0 // a request-level InvalidRequest
		}
		if items != want {
			t.Fatalf("%d responses for %d %s", items, want, what)
		}
	})
}

// The handler answers every body it is sent with a status it documents.
func FuzzSOAPAutodiscoverHandler(f *testing.F) {
	f.Add(readTestdata(f, "autodiscover-getusersettings-managed-api.xml"))
	f.Add([]byte(`<nope`))
	h := newAD(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := adPost(h, "/autodiscover/autodiscover.svc", "text/xml", data)
		switch rec.Code {
		case http.StatusOK, http.StatusInternalServerError, http.StatusBadRequest:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), new(struct{})); err != nil {
			t.Fatalf("answer is not XML: %v", err)
		}
	})
}
