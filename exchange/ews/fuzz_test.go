package ews

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

func FuzzDecodeAvailabilityRequest(f *testing.F) {
	for _, name := range []string{"request-skeleton.xml", "request-ews-java.xml", "request-managed-api-tzcontext.xml"} {
		f.Add(readTestdata(f, name))
	}
	var buf bytes.Buffer
	q := freebusy.Query{Attendees: []string{"a@example.com", "/o=X/ou=Y/cn=Recipients/cn=z"}, Start: utc(2024, 3, 5, 8, 0), End: utc(2024, 3, 5, 12, 0)}
	_ = encodeAvailabilityRequest(&buf, newAvailabilityRequest(q))
	f.Add(buf.Bytes())
	// The same request in a SOAP 1.2 envelope.
	f.Add(bytes.Replace(buf.Bytes(), []byte(namespaceSOAP11), []byte(namespaceSOAP12), 1))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>`))
	f.Add(nestedRequest(100))
	f.Add(gtzRequest("true", "UTC", "Pacific Standard Time"))
	h := newTestHandler(f, emptySource(), WithDetails(true))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeRequest(bytes.NewReader(data), MaxRequestBytes)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error is %T, not *DecodeError: %v", err, err)
			}
			return
		}
		// What decodes must encode and decode again.
		var out bytes.Buffer
		if err := encodeAvailabilityRequest(&out, req); err != nil {
			t.Fatal(err)
		}
		again, err := decodeRequest(&out, MaxRequestBytes)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out.Bytes())
		}
		if len(again.Mailboxes) != len(req.Mailboxes) {
			t.Fatalf("mailboxes %d then %d", len(req.Mailboxes), len(again.Mailboxes))
		}
		// And the handler must answer it without panicking.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, fault := h.answer(ctx, req)
		if fault == nil && len(resp.Responses) != len(req.Mailboxes) {
			t.Fatalf("%d responses for %d mailboxes", len(resp.Responses), len(req.Mailboxes))
		}
	})
}

// FuzzHandler serves any body through the Handler: every answer is a
// SOAP document with the ServerVersionInfo header, a response of the
// operation asked for or a fault, and nothing panics.
func FuzzHandler(f *testing.F) {
	for _, name := range []string{"request-skeleton.xml", "request-ews-java.xml"} {
		f.Add(readTestdata(f, name))
	}
	f.Add(gtzRequest("false"))
	f.Add(gtzRequest("true", "W. Europe Standard Time", "nope"))
	f.Add(nestedRequest(80))
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:ResolveNames xmlns:m="x"/></s:Body></s:Envelope>`))
	h := newTestHandler(f, emptySource(), WithDetails(true))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(data)))
		body := rec.Body.Bytes()
		if !bytes.Contains(body, []byte(`<h:ServerVersionInfo MajorVersion="15"`)) {
			t.Fatalf("no ServerVersionInfo header: %s", body)
		}
		switch {
		case rec.Code == http.StatusOK && bytes.Contains(body, []byte("GetServerTimeZonesResponse")):
			if err := xml.Unmarshal(body, new(struct{})); err != nil {
				t.Fatalf("answer is not XML: %v", err)
			}
		case rec.Code == http.StatusOK:
			if _, err := DecodeAvailabilityResponse(bytes.NewReader(body)); err != nil {
				t.Fatalf("200 answer does not decode: %v", err)
			}
		default:
			_, err := DecodeAvailabilityResponse(bytes.NewReader(body))
			if _, ok := err.(*SOAPFault); !ok {
				t.Fatalf("status %d answer is not a SOAP fault: %v", rec.Code, err)
			}
		}
	})
}

func FuzzDecodeAvailabilityResponse(f *testing.F) {
	for _, name := range []string{"response-error-entry.xml", "response-2013-naive.xml"} {
		f.Add(readTestdata(f, name))
	}
	var buf bytes.Buffer
	_ = encodeAvailabilityResponse(&buf, sampleResponse(), false)
	f.Add(buf.Bytes())
	buf.Reset()
	_ = encodeSOAPFault(&buf, &SOAPFault{ResponseCode: exchange.CodeServerBusy, String: "busy", MessageXML: MessageXML{BackOff: time.Second}}, false)
	f.Add(buf.Bytes())
	buf.Reset()
	_ = encodeSOAPFault(&buf, &SOAPFault{ResponseCode: exchange.CodeServerBusy, String: "busy", MessageXML: MessageXML{BackOff: time.Second}}, true)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := DecodeAvailabilityResponse(bytes.NewReader(data))
		if err != nil {
			var de *DecodeError
			var sf *SOAPFault
			if !errors.As(err, &de) && !errors.As(err, &sf) {
				t.Fatalf("error is %T: %v", err, err)
			}
			if sf != nil {
				// A fault re-encoded in either SOAP version keeps its code.
				for _, soap12 := range []bool{false, true} {
					var out bytes.Buffer
					if err := encodeSOAPFault(&out, sf, soap12); err != nil {
						t.Fatal(err)
					}
					_, err := DecodeAvailabilityResponse(&out)
					again, ok := errors.AsType[*SOAPFault](err)
					if !ok || again.ResponseCode != sf.ResponseCode {
						t.Fatalf("SOAP 1.2 %v: fault %+v re-decoded as %v", soap12, sf, err)
					}
				}
			}
			return
		}
		q := freebusy.Query{Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0), Detail: freebusy.DetailFull}
		for i := range resp.Responses {
			q.Attendees = append(q.Attendees, "m"+strconv.Itoa(i)+"@example.com")
		}
		ss, err := resp.Schedules(q, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if err := freebusy.CheckResult(q, ss); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := encodeAvailabilityResponse(&out, resp, false); err != nil {
			t.Fatal(err)
		}
		again, err := DecodeAvailabilityResponse(&out)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if len(again.Responses) != len(resp.Responses) {
			t.Fatalf("responses %d then %d", len(resp.Responses), len(again.Responses))
		}
	})
}
