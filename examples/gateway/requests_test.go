package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange/ews"
)

// TestREADMERequestFiles posts the request files the README's curl
// commands send, filled in the way the README fills them, and checks what
// a newcomer would see: a merged view for a Notes and an Exchange user
// from the EWS door, and the EWS URL from SOAP Autodiscover.
func TestREADMERequestFiles(t *testing.T) {
	g := startGateway(t, options{quiet: true})
	b, err := os.ReadFile("requests/getuseravailability.xml")
	require.NoError(t, err)
	req := strings.NewReplacer("START", day(0).Format(time.DateOnly), "END", day(7).Format(time.DateOnly)).Replace(string(b))
	resp, body := post(t, g.URL+"/EWS/Exchange.asmx", "text/xml; charset=utf-8", req)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	ar, err := ews.DecodeAvailabilityResponse(strings.NewReader(body))
	require.NoError(t, err)
	require.Len(t, ar.Responses, 2)
	for i, who := range []string{"ada.lovelace", "grace.hopper"} {
		r := ar.Responses[i]
		assert.Equal(t, ews.ClassSuccess, r.ResponseMessage.Class, who)
		merged := r.View.MergedFreeBusy
		assert.Len(t, merged, 7*48, who+": a digit per half hour of the week")
		assert.Contains(t, merged, "2", who+": busy time shows")
	}
	assert.Contains(t, ar.Responses[1].View.MergedFreeBusy, "3", "Grace is out of office on Friday")

	b, err = os.ReadFile("requests/getusersettings.xml")
	require.NoError(t, err)
	resp, body = post(t, g.URL+"/autodiscover/autodiscover.svc", "text/xml; charset=utf-8", string(b))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, g.URL+"/EWS/Exchange.asmx")
	assert.Contains(t, body, "Ada Lovelace")

	// Autodiscover answers from the directory: Grace's legacyExchangeDN
	// as UserDN, and a stranger is InvalidUser.
	grace := strings.Replace(string(b), "ada.lovelace@notes.acme.example", "grace.hopper@exchange.acme.example", 1)
	grace = strings.Replace(grace, "<a:Setting>UserDisplayName</a:Setting>", "<a:Setting>UserDN</a:Setting>", 1)
	_, body = post(t, g.URL+"/autodiscover/autodiscover.svc", "text/xml; charset=utf-8", grace)
	assert.Contains(t, body, "<Name>UserDN</Name><Value>/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper</Value>")
	stranger := strings.Replace(string(b), "ada.lovelace@notes.acme.example", "nobody@acme.example", 1)
	_, body = post(t, g.URL+"/autodiscover/autodiscover.svc", "text/xml; charset=utf-8", stranger)
	assert.Contains(t, body, "<ErrorCode>InvalidUser</ErrorCode>")
}
