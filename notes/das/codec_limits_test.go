package das

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// dasPeriod is one busyTimes entry (docs/notes.md §2.2.3).
const dasPeriod = `{"start":{"date":"2013-11-06","time":"17:00:00","utc":true},"end":{"date":"2013-11-06","time":"18:00:00","utc":true}}`

// dasBusyTime wraps periods in a busytime document around the IBM sample's
// window.
func dasBusyTime(periods string) string {
	return `{"start":{"date":"2013-11-05","time":"20:08:35","utc":true},"end":{"date":"2013-12-05","time":"20:08:35","utc":true},"busyTimes":[` + periods + `]}`
}

// JSON nested beyond MaxDocumentDepth, or holding more than
// MaxDocumentElements elements, is refused before encoding/json reads it,
// as a *freebusy.ParseError like every other decode error of the package.
func TestDecodersRefuseDeepOrHugeJSON(t *testing.T) {
	deep := dasBusyTime(strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000))
	_, err := DecodeBusyTime(strings.NewReader(deep))
	require.ErrorIs(t, err, ErrTooDeep)
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
	pe, ok := errors.AsType[*freebusy.ParseError](err)
	require.True(t, ok)
	assert.Equal(t, "DAS busytime", pe.Kind)
	assert.Equal(t, strings.Index(deep, "[")+MaxDocumentDepth-1, pe.Offset, "the first byte past the limit: busyTimes is level 2")

	huge := dasBusyTime(strings.Repeat("{},", MaxDocumentElements) + "{}")
	require.Less(t, len(huge), MaxDocumentBytes, "the size bound alone would let it through")
	_, err = DecodeBusyTime(strings.NewReader(huge))
	assert.ErrorIs(t, err, ErrTooManyElements)
	assert.ErrorIs(t, err, freebusy.ErrInvalid)

	// Every decoder goes through the same check.
	deepError := `{"code":404,"text":"x","data":` + strings.Repeat("[", MaxDocumentDepth) + strings.Repeat("]", MaxDocumentDepth) + `}`
	_, err = DecodeError(strings.NewReader(deepError))
	assert.ErrorIs(t, err, ErrTooDeep)
	_, err = DecodeSites(strings.NewReader(strings.Repeat("[", 1000)))
	assert.ErrorIs(t, err, ErrTooDeep)

	// Within the limits: the sample with extra nesting in an unknown key
	// and brackets in strings decodes.
	ok2 := `{"x":` + strings.Repeat("[", MaxDocumentDepth-1) + strings.Repeat("]", MaxDocumentDepth-1) + `,"note":"[[[[[[[[[[[[[[[[[[[[",` + dasBusyTime(dasPeriod)[1:]
	bt, err := DecodeBusyTime(strings.NewReader(ok2))
	require.NoError(t, err)
	assert.Len(t, bt.BusyTimes, 1)
	many := dasBusyTime(strings.Repeat(dasPeriod+",", 10_000) + dasPeriod)
	bt, err = DecodeBusyTime(strings.NewReader(many))
	require.NoError(t, err)
	assert.Len(t, bt.BusyTimes, 10_001, "a heavy user's year of busy time stays within the limit")
}

// A DAS server answering a deep document fails the attendee as invalid
// data, as any undecodable answer does.
func TestClientRefusesDeepAnswer(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, ignore)
	body := []byte(dasBusyTime(strings.Repeat("[", 100_000)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	start, end := dasUTC(2013, 11, 5, 20, 8, 35), dasUTC(2013, 12, 5, 20, 8, 35)
	scheds, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"jane"}, Start: start, End: end})
	require.NoError(t, err)
	require.NotNil(t, scheds[0].Err)
	assert.Equal(t, freebusy.ReasonInvalid, scheds[0].Err.Reason)
	assert.ErrorIs(t, scheds[0].Err, ErrTooDeep)
}

// BenchmarkDecodeBusyTimeNested decodes a busytime document whose
// busyTimes hold a hundred thousand '[': refused after MaxDocumentDepth.
func BenchmarkDecodeBusyTimeNested(b *testing.B) {
	body := []byte(dasBusyTime(strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBusyTime(bytes.NewReader(body)); !errors.Is(err, ErrTooDeep) {
			b.Fatal(err)
		}
	}
}
