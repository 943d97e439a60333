package ews

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
)

const testURL = "https://mail.example.com/EWS/Exchange.asmx"

// Every constructor fails at once on an option value it cannot take,
// instead of clamping it or failing every later call.
func TestConstructorsRefuseInvalidOptions(t *testing.T) {
	client := map[string]ClientOption{
		"concurrency 0":         WithConcurrency(0),
		"negative retries":      WithMaxRetries(-1),
		"negative call timeout": WithCallTimeout(-time.Second),
		"negative body size":    WithMaxBodyBytes(-1),
		"negative limit":        WithLimits(freebusy.Limits{MaxAttendees: -1}),
		"granularity inverted":  WithLimits(freebusy.Limits{MinGranularity: time.Hour, MaxGranularity: time.Minute}),
		"negative depth":        WithMaxDepth(-1),
		"huge depth":            WithMaxDepth(10001),
		"negative elements":     WithMaxElements(-1),
	}
	for name, opt := range client {
		c, err := NewClient(testURL, opt)
		assert.ErrorIs(t, err, ErrInvalidOption, name)
		assert.Nil(t, c, name)
	}
	handler := map[string]HandlerOption{
		"negative body size": WithMaxBodyBytes(-1),
		"negative limit":     WithLimits(freebusy.Limits{MaxWindow: -time.Hour}),
		"negative depth":     WithMaxDepth(-1),
		"negative elements":  WithMaxElements(-1),
		"version major 7":    WithServerVersion(ServerVersionInfo{MajorVersion: 7, Version: "Exchange2007"}),
		"version empty":      WithServerVersion(ServerVersionInfo{MajorVersion: 15}),
		"version markup":     WithServerVersion(ServerVersionInfo{MajorVersion: 15, Version: `a"b`}),
		"version build":      WithServerVersion(ServerVersionInfo{MajorVersion: 15, MajorBuildNumber: 70000, Version: "V2017_07_11"}),
	}
	for name, opt := range handler {
		h, err := NewHandler(emptySource(), opt)
		assert.ErrorIs(t, err, ErrInvalidOption, name)
		assert.Nil(t, h, name)
	}
	ad, err := NewAutodiscoverHandler(testURL, WithMaxBodyBytes(-1))
	assert.ErrorIs(t, err, ErrInvalidOption)
	assert.Nil(t, ad)
	assert.ErrorContains(t, err, "WithMaxBodyBytes", "the error names the option")
}

// The values documented as "the default" are accepted: nil options, nil
// logger, nil *http.Client, nil resolver, zero sizes and timeouts.
func TestConstructorsAcceptDefaults(t *testing.T) {
	c, err := NewClient(testURL, nil, WithLogger(nil), WithHTTPClient(nil), WithMaxRetries(0), WithCallTimeout(0), WithMaxBodyBytes(0), WithLimits(freebusy.Limits{}))
	require.NoError(t, err)
	assert.Equal(t, http.DefaultClient, c.cfg.HTTPClient)
	assert.Equal(t, int64(MaxResponseBytes), c.cfg.bodyLimit(MaxResponseBytes))
	assert.Equal(t, 0, c.cfg.maxRetries)

	h, err := NewHandler(emptySource(), nil, WithLogger(nil), WithMailboxResolver(nil), WithDetails(false), WithMaxDepth(0), WithMaxElements(0))
	require.NoError(t, err)
	assert.Equal(t, xmlLimits{bytes: MaxRequestBytes, depth: MaxDepth, elements: MaxRequestElements}, h.limits)
	assert.Equal(t, DefaultServerVersion(), h.cfg.version)
	a, err := h.cfg.resolver(context.Background(), EmailAddress{Address: "a@example.com"})
	require.NoError(t, err)
	assert.Equal(t, "a@example.com", a)

	ad, err := NewAutodiscoverHandler(testURL, nil, WithLogger(nil))
	require.NoError(t, err)
	assert.Equal(t, int64(defaultAutodiscoverBytes), ad.body)
}

func TestConstructorsRefuseBadArguments(t *testing.T) {
	_, err := NewHandler(nil)
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
	for _, u := range []string{"", "ftp://x/ews", "/EWS/Exchange.asmx", "http://"} {
		_, err := NewAutodiscoverHandler(u)
		assert.ErrorIs(t, err, freebusy.ErrInvalid, u)
	}
}

// The one rule for an ended context (internal/fanout): a cancelled
// caller's requests fail with ReasonUnavailable, as a passed deadline's
// fail with ReasonTimeout (TestClientDeadlineReturnsWhatFinished), and
// what finished before is kept.
func TestClientCancelledContext(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	asked := make(chan struct{})
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		if q.Attendees[0] == "hang@example.com" {
			close(asked)
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return emptySource().FreeBusy(ctx, q)
	})
	c := newTestClient(t, newTestHandler(t, src), WithConcurrency(1), WithLimits(freebusy.Limits{MaxAttendees: 1}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-asked
		cancel()
	}()
	q := freebusy.Query{Attendees: []string{"a@example.com", "hang@example.com", "b@example.com"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)}
	ss, err := c.FreeBusy(ctx, q)
	require.NoError(t, err)
	require.Len(t, ss, 3)
	assert.Nil(t, ss[0].Err, "answered before the cancellation")
	assert.ErrorIs(t, ss[1].Err, freebusy.ErrUnavailable, "cancelled while asking")
	assert.ErrorIs(t, ss[2].Err, freebusy.ErrUnavailable, "never started")

	// Nothing answered: the whole query fails, with the same reason.
	_, err = c.FreeBusy(ctx, q)
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)
}

// Autodiscover requests go through the codec's decoder: the same refusals
// as SOAP documents.
func TestAutodiscoverRefusesWhatTheDecoderRefuses(t *testing.T) {
	h, err := NewAutodiscoverHandler(testURL, WithMaxBodyBytes(512))
	require.NoError(t, err)
	req := `<Autodiscover xmlns="` + namespaceAutodiscoverRequest + `"><Request><EMailAddress>alice@example.com</EMailAddress><AcceptableResponseSchema>` + namespaceAutodiscoverOutlook + `</AcceptableResponseSchema></Request></Autodiscover>`
	for name, c := range map[string]struct {
		body string
		code string
	}{
		"ok":               {req, ""},
		"trailing element": {req + "<x/>", "600"},
		"doctype after":    {req + "<!DOCTYPE x>", "600"},
		"too large":        {strings.Replace(req, "<Request>", "<Request><Pad>"+strings.Repeat("x", 600)+"</Pad>", 1), "600"},
		"other root":       {strings.ReplaceAll(req, "Autodiscover", "Discover"), "600"},
		"other namespace":  {strings.Replace(req, namespaceAutodiscoverRequest, "urn:x", 1), "600"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/autodiscover/autodiscover.xml", strings.NewReader(c.body)))
		assert.Equal(t, http.StatusOK, rec.Code, name)
		if c.code == "" {
			assert.Contains(t, rec.Body.String(), "<EwsUrl>"+testURL+"</EwsUrl>", name)
			continue
		}
		assert.Contains(t, rec.Body.String(), "<ErrorCode>"+c.code+"</ErrorCode>", name)
	}
}
