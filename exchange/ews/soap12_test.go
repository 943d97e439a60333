package ews

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

// soap12Fault is the shape of a SOAP 1.2 fault (SOAP 1.2 Part 1 §5.4),
// with every element bound to its namespace, so that a fault in the wrong
// namespace or shape does not unmarshal.
type soap12Fault struct {
	XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Body    struct {
		Fault struct {
			Code struct {
				Value   string `xml:"http://www.w3.org/2003/05/soap-envelope Value"`
				Subcode struct {
					Value string `xml:"http://www.w3.org/2003/05/soap-envelope Value"`
				} `xml:"http://www.w3.org/2003/05/soap-envelope Subcode"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope Code"`
			Reason struct {
				Text struct {
					Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
					Text string `xml:",chardata"`
				} `xml:"http://www.w3.org/2003/05/soap-envelope Text"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope Reason"`
			Detail struct {
				ResponseCode string `xml:"http://schemas.microsoft.com/exchange/services/2006/errors ResponseCode"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope Detail"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Fault"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

// asSOAP12 rewrites a SOAP 1.1 request into a SOAP 1.2 one: the same body
// in the 1.2 envelope namespace.
func asSOAP12(t *testing.T, body []byte) []byte {
	t.Helper()
	out := bytes.Replace(body, []byte(`"`+namespaceSOAP11+`"`), []byte(`"`+namespaceSOAP12+`"`), 1)
	require.NotEqual(t, body, out)
	return out
}

func post(t *testing.T, h http.Handler, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	h.ServeHTTP(rec, r)
	return rec
}

// A SOAP 1.2 request is answered in SOAP 1.2 (envelope namespace and
// application/soap+xml); a SOAP 1.1 request still in 1.1 (§2.1).
func TestHandlerAnswersInTheRequestsSOAPVersion(t *testing.T) {
	start := utc(2024, 3, 5, 0, 0)
	src := &recordingSource{ivs: map[string][]freebusy.Interval{"a@x": {{Start: start.Add(time.Hour), End: start.Add(2 * time.Hour), Status: freebusy.Busy}}}}
	h := newTestHandler(t, src)
	req11 := encodeRequest(t, utcRequest(ViewFreeBusyMerged, 60, start, start.Add(4*time.Hour), "a@x"))

	decoded, err := decodeRequest(bytes.NewReader(asSOAP12(t, req11)), MaxRequestBytes)
	require.NoError(t, err)
	assert.True(t, decoded.soap12)
	decoded, err = decodeRequest(bytes.NewReader(req11), MaxRequestBytes)
	require.NoError(t, err)
	assert.False(t, decoded.soap12)

	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantCT      string
		wantNS      string
	}{
		{"SOAP 1.2", contentTypeSOAP12, asSOAP12(t, req11), "application/soap+xml; charset=utf-8", namespaceSOAP12},
		{"SOAP 1.1", contentTypeSOAP11, req11, "text/xml; charset=utf-8", namespaceSOAP11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(t, h, tt.contentType, tt.body)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, tt.wantCT, rec.Header().Get("Content-Type"))
			var env struct {
				XMLName xml.Name
			}
			require.NoError(t, xml.Unmarshal(rec.Body.Bytes(), &env))
			assert.Equal(t, xml.Name{Space: tt.wantNS, Local: "Envelope"}, env.XMLName)
			resp, err := DecodeAvailabilityResponse(bytes.NewReader(rec.Body.Bytes()))
			require.NoError(t, err)
			require.Len(t, resp.Responses, 1)
			assert.Equal(t, "0200", resp.Responses[0].View.MergedFreeBusy)
		})
	}
}

// Faults to a SOAP 1.2 request are SOAP 1.2 faults: env:Code/env:Value
// env:Sender or env:Receiver with the EWS code as subcode, env:Reason/
// env:Text with xml:lang, env:Detail with the EWS detail (§2.7); status 400
// for env:Sender, 500 for env:Receiver (SOAP 1.2 Part 2 §7.5.1.2).
func TestHandlerSOAP12Faults(t *testing.T) {
	start := utc(2024, 3, 5, 0, 0)
	h := newTestHandler(t, &recordingSource{})
	tooLong := asSOAP12(t, encodeRequest(t, utcRequest(ViewFreeBusy, 30, start, start.AddDate(0, 0, 63), "a@x")))

	tests := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		value       string
		code        exchange.ResponseCode
	}{
		{"window too long", contentTypeSOAP12, tooLong, http.StatusBadRequest, "env:Sender", exchange.CodeTimeIntervalTooBig},
		{"malformed 1.2 request by Content-Type", "application/soap+xml; charset=utf-8; action=\"x\"", []byte("<env:Envelope"), http.StatusBadRequest, "env:Sender", exchange.CodeSchemaValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(t, h, tt.contentType, tt.body)
			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, "application/soap+xml; charset=utf-8", rec.Header().Get("Content-Type"))
			var f12 soap12Fault
			require.NoError(t, xml.Unmarshal(rec.Body.Bytes(), &f12), rec.Body.String())
			fault := f12.Body.Fault
			assert.Equal(t, tt.value, fault.Code.Value)
			assert.Equal(t, "a:"+string(tt.code), fault.Code.Subcode.Value)
			assert.Equal(t, "en-US", fault.Reason.Text.Lang)
			assert.NotEmpty(t, fault.Reason.Text.Text)
			assert.Equal(t, string(tt.code), fault.Detail.ResponseCode)

			_, err := DecodeAvailabilityResponse(bytes.NewReader(rec.Body.Bytes()))
			var f *SOAPFault
			require.ErrorAs(t, err, &f)
			assert.Equal(t, tt.code, f.ResponseCode)
			assert.Equal(t, "a:"+string(tt.code), f.Code)
			assert.Equal(t, fault.Reason.Text.Text, f.String)
		})
	}

	// A malformed request sent as text/xml still gets a SOAP 1.1 fault.
	rec := post(t, h, contentTypeSOAP11, []byte("<s:Envelope"))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, "text/xml; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), `xmlns:s="`+namespaceSOAP11+`"`)
}

// The decoder reads SOAP 1.2 faults: ErrorServerBusy as env:Receiver with
// its back-off hint, and a fault whose only EWS code is the subcode.
func TestDecodeSOAP12Fault(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		code    string
		text    string
		rc      exchange.ResponseCode
		backOff time.Duration
		msg     string
	}{
		{
			name: "ErrorServerBusy with detail",
			doc: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault>` +
				`<soap:Code><soap:Value>soap:Receiver</soap:Value><soap:Subcode><soap:Value xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</soap:Value></soap:Subcode></soap:Code>` +
				`<soap:Reason><soap:Text xml:lang="en-US">The server cannot service this request right now. Try again later.</soap:Text><soap:Text xml:lang="de-DE">Später.</soap:Text></soap:Reason>` +
				`<soap:Detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">busy</e:Message>` +
				`<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">2500</t:Value></t:MessageXml></soap:Detail>` +
				`</soap:Fault></soap:Body></soap:Envelope>`,
			code: "a:ErrorServerBusy", text: "The server cannot service this request right now. Try again later.", rc: exchange.CodeServerBusy, backOff: 2500 * time.Millisecond, msg: "busy",
		},
		{
			name: "subcode only",
			doc:  `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>a:ErrorInvalidTimeInterval</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">bad window</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`,
			code: "a:ErrorInvalidTimeInterval", text: "bad window", rc: exchange.CodeInvalidTimeInterval,
		},
		{
			name: "no subcode, no detail",
			doc:  `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang="en">oops</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`,
			code: "env:Receiver", text: "oops",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeAvailabilityResponse(strings.NewReader(tt.doc))
			var f *SOAPFault
			require.ErrorAs(t, err, &f)
			assert.Equal(t, tt.code, f.Code)
			assert.Equal(t, tt.text, f.String)
			assert.Equal(t, tt.rc, f.ResponseCode)
			assert.Equal(t, tt.backOff, f.MessageXML.BackOff)
			assert.Equal(t, tt.msg, f.Message)
		})
	}
}

// A SOAP 1.2 ErrorServerBusy fault is retried after its back-off hint, as a
// 1.1 one is (§2.7).
func TestClientRetriesSOAP12ServerBusy(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	var calls atomic.Int32
	inner := newTestHandler(t, emptySource())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			var buf bytes.Buffer
			require.NoError(t, encodeSOAPFault(&buf, &SOAPFault{ResponseCode: exchange.CodeServerBusy, String: "busy", MessageXML: MessageXML{BackOff: 80 * time.Millisecond}}, true))
			w.Header().Set("Content-Type", contentTypeSOAP12)
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(buf.Bytes())
			return
		}
		inner.ServeHTTP(w, r)
	})
	c := newTestClient(t, h)
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)}
	began := time.Now()
	ss, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.Nil(t, ss[0].Err)
	assert.Equal(t, int32(2), calls.Load())
	assert.GreaterOrEqual(t, time.Since(began), 80*time.Millisecond, "waited the BackOffMilliseconds hint")

	// With no retries left the attendee is throttled, with the 1.2 hint.
	calls.Store(0)
	c = newTestClient(t, h, WithMaxRetries(0))
	ss, err = c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.ErrorIs(t, ss[0].Err, freebusy.ErrThrottled)
	assert.Equal(t, 80*time.Millisecond, ss[0].Err.RetryAfter)
}
