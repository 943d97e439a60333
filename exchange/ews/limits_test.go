package ews

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

// nestedRequest is a GetUserAvailability request whose FreeBusyViewOptions
// holds n nested unknown elements: 7 bytes each, 140,000 of them make
// the 0.9 MiB request an exchangelib user found answered 200 at a cost of
// 24–36 MiB before the depth limit.
func nestedRequest(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Body><m:GetUserAvailabilityRequest>`)
	b.WriteString(`<m:MailboxDataArray><t:MailboxData><t:Email><t:Address>a@example.com</t:Address></t:Email></t:MailboxData></m:MailboxDataArray>`)
	b.WriteString(`<t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>2024-03-05T00:00:00Z</t:StartTime><t:EndTime>2024-03-06T00:00:00Z</t:EndTime></t:TimeWindow>`)
	b.WriteString(strings.Repeat("<a>", n))
	b.WriteString(strings.Repeat("</a>", n))
	b.WriteString(`</t:FreeBusyViewOptions></m:GetUserAvailabilityRequest></soap:Body></soap:Envelope>`)
	return b.Bytes()
}

// The decoder refuses a document nested deeper than the limit with the
// typed error, at the first element too deep: the offset shows it stopped
// reading there, not at the end of the 0.9 MiB document.
func TestDecodeDepthLimit(t *testing.T) {
	doc := nestedRequest(140000)
	require.Greater(t, len(doc), 900_000)
	_, err := decodeOperation(bytes.NewReader(doc), xmlLimits{bytes: MaxRequestBytes})
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, ErrTooDeep)
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
	assert.Equal(t, "a", de.Element)
	assert.Less(t, de.Offset, int64(2048), "the tokenizer stops at the first element past the limit")

	// Nesting up to the limit is accepted: Envelope, Body, request,
	// FreeBusyViewOptions and 60 levels of unknown elements are 64.
	_, err = decodeOperation(bytes.NewReader(nestedRequest(MaxDepth-4)), xmlLimits{bytes: MaxRequestBytes})
	require.NoError(t, err)
	_, err = decodeOperation(bytes.NewReader(nestedRequest(MaxDepth-3)), xmlLimits{bytes: MaxRequestBytes})
	assert.ErrorIs(t, err, ErrTooDeep)
	_, err = decodeOperation(bytes.NewReader(nestedRequest(100)), xmlLimits{bytes: MaxRequestBytes, depth: 200})
	assert.NoError(t, err, "the limit is configurable")
}

func TestDecodeElementLimit(t *testing.T) {
	flat := func(n int) []byte {
		return []byte(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetUserAvailabilityRequest>` +
			strings.Repeat("<x/>", n) + `</GetUserAvailabilityRequest></soap:Body></soap:Envelope>`)
	}
	// Envelope, Body and the request are three elements.
	_, err := decodeOperation(bytes.NewReader(flat(97)), xmlLimits{bytes: MaxRequestBytes, elements: 100})
	require.NoError(t, err)
	_, err = decodeOperation(bytes.NewReader(flat(98)), xmlLimits{bytes: MaxRequestBytes, elements: 100})
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, ErrTooManyElements)
	assert.Equal(t, "x", de.Element)

	// The response side has the same limits, through the same decoder.
	resp := encodeTestResponse(t)
	_, err = decodeResponse(bytes.NewReader(resp), xmlLimits{bytes: MaxResponseBytes, elements: 10})
	assert.ErrorIs(t, err, ErrTooManyElements)
	_, err = decodeResponse(bytes.NewReader(resp), xmlLimits{bytes: MaxResponseBytes, depth: 4})
	assert.ErrorIs(t, err, ErrTooDeep)
	_, err = decodeResponse(bytes.NewReader(resp), xmlLimits{bytes: MaxResponseBytes})
	assert.NoError(t, err)
}

func encodeTestResponse(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, encodeAvailabilityResponse(&buf, sampleResponse(), false))
	return buf.Bytes()
}

// The default element limits leave room for what they must carry: 100
// mailboxes of Exchange's highest event cap (10,000 Detailed events, 13
// elements each) in a response, and the decoder's 10,000-mailbox cap in a
// request (so that too many mailboxes gets its own code).
func TestDefaultElementLimitsFitTheLargestMessages(t *testing.T) {
	assert.GreaterOrEqual(t, MaxResponseElements, 100*10000*13+100*20+10)
	assert.GreaterOrEqual(t, MaxRequestElements, maxMailboxes*6+20)
}

// The Handler answers a too-deep request with an ErrorSchemaValidation
// fault (HTTP 500) that carries the ServerVersionInfo header.
func TestHandlerRefusesDeepRequest(t *testing.T) {
	h := newTestHandler(t, &recordingSource{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(nestedRequest(140000))))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, `<h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="Exchange2016"`)
	_, err := DecodeAvailabilityResponse(strings.NewReader(body))
	f, ok := err.(*SOAPFault)
	require.True(t, ok, "a SOAP fault: %v", err)
	assert.Equal(t, exchange.CodeSchemaValidation, f.ResponseCode)
	assert.Contains(t, f.String, "nested too deeply")

	// WithMaxDepth raises the limit: the same request within it is served.
	h = newTestHandler(t, &recordingSource{}, WithMaxDepth(200))
	resp, err, status := serve(t, h, nestedRequest(150))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.Len(t, resp.Responses, 1)
	h = newTestHandler(t, &recordingSource{}, WithMaxElements(50))
	_, err, _ = serve(t, h, nestedRequest(40))
	assert.ErrorContains(t, err, "too many elements")
}

// A Client reads responses through the same limits.
func TestClientRefusesDeepResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentTypeSOAP11)
		_, _ = w.Write(encodeTestResponse(t))
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, WithMaxDepth(4), WithMaxRetries(0))
	require.NoError(t, err)
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0), Granularity: 30 * time.Minute}
	ss, err := c.FreeBusy(t.Context(), q)
	if err == nil {
		require.Len(t, ss, 1)
		require.NotNil(t, ss[0].Err)
		err = ss[0].Err
	}
	assert.ErrorIs(t, err, ErrTooDeep)
}

// BenchmarkEWSNestedRequestFault serves the 0.9 MiB request of 140,000
// nested elements through the Handler: the depth limit answers it with a
// fault after reading a few hundred bytes.
func BenchmarkEWSNestedRequestFault(b *testing.B) {
	h, err := NewHandler(&recordingSource{})
	if err != nil {
		b.Fatal(err)
	}
	doc := nestedRequest(140000)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(doc)))
		if rec.Code != http.StatusInternalServerError {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
