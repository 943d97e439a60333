package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange/publicfolder"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/ical"
)

// TestPublicFolderBackend runs the Exchange half on public-folder
// free/busy messages on disk ([MS-OXOPFFB], docs/exchange.md §1): Grace
// Hopper's message, written by publicfolder.Encode, is read back through
// the gateway's VFREEBUSY door; an address without a file is unknown, and
// a file that is not a message is invalid, not a crash.
func TestPublicFolderBackend(t *testing.T) {
	dir := t.TempDir()
	const owner = "/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper"
	busy := []freebusy.Interval{
		iv(at(1, 9, 0), at(1, 10, 30), freebusy.Busy),
		iv(at(2, 14, 0), at(2, 15, 0), freebusy.Tentative),
		iv(at(3, 0, 0), at(4, 0, 0), freebusy.OutOfOffice),
	}
	s := freebusy.Schedule{Attendee: "grace.hopper@exchange.acme.example", Start: day(0), End: day(7), Intervals: busy}
	m, err := publicfolder.Encode(&s, publicfolder.EncodeOptions{Owner: owner})
	require.NoError(t, err)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "grace.hopper@exchange.acme.example.json"), b, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "edsger.dijkstra@exchange.acme.example.json"), []byte(`{"Subject": 7}`), 0o600))

	g := startGateway(t, options{cfg: Config{Exchange: BackendConfig{Kind: "publicfolder", Calendars: dir}}, quiet: true})
	window := "?start=" + day(0).Format(time.RFC3339) + "&end=" + day(7).Format(time.RFC3339)
	resp, body := get(t, g.URL+"/freebusy/grace.hopper@exchange.acme.example.vfb"+window)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	got, _, err := ical.DecodeVFreeBusy(strings.NewReader(body))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, busy, got[0].Intervals)

	resp, _ = get(t, g.URL+"/freebusy/edsger.dijkstra@exchange.acme.example.vfb"+window)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode, "the backend's data is bad, not the request")
	assert.Equal(t, "invalid", resp.Header.Get("X-Calbridge-Reason"))

	resp, _ = get(t, g.URL+"/healthz")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestPublicFolderFilesStayInDir: an attendee that looks like a path is
// unknown, never a file outside the directory.
func TestPublicFolderFilesStayInDir(t *testing.T) {
	dir := t.TempDir()
	inner := filepath.Join(dir, "messages")
	require.NoError(t, os.Mkdir(inner, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "secret.json"), []byte(`{}`), 0o600))
	lookup := publicFolderFiles(inner)
	for _, a := range []string{"../secret", "..", ".hidden", "", "a/../../secret"} {
		m, err := lookup(t.Context(), a)
		assert.NoError(t, err, a)
		assert.Nil(t, m, a)
	}
}

// TestLoadTestUsers: the Exchange demo gains generated users (directory and
// mailboxes), and the option is refused where it means nothing.
func TestLoadTestUsers(t *testing.T) {
	g := startGateway(t, options{cfg: Config{Exchange: BackendConfig{LoadTestUsers: 3}}, quiet: true})
	resp, body := get(t, g.URL+"/freebusy/user002@exchange.acme.example.vfb")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, _ = get(t, g.URL+"/freebusy/user003@exchange.acme.example.vfb")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	for name, c := range map[string]Config{
		"notes":    {Notes: BackendConfig{LoadTestUsers: 1}},
		"ews":      {Exchange: BackendConfig{Kind: "ews", URL: "https://x.example/EWS/Exchange.asmx", LoadTestUsers: 1}},
		"negative": {Exchange: BackendConfig{LoadTestUsers: -1}},
		"huge":     {Exchange: BackendConfig{LoadTestUsers: maxLoadTestUsers + 1}},
		"no dir":   {Exchange: BackendConfig{Kind: "publicfolder"}},
	} {
		assert.ErrorIs(t, c.validate(), errConfig, name)
	}
}
