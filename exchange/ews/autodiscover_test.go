package ews

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAutodiscoverHandler(t *testing.T) {
	h, err := NewAutodiscoverHandler("https://gw.example.com/EWS/Exchange.asmx")
	require.NoError(t, err)
	ask := func(body string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/autodiscover/autodiscover.xml", strings.NewReader(body)))
		return rec.Code, rec.Body.String()
	}
	req := `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="` + namespaceAutodiscoverRequest + `"><Request><EMailAddress>alice@example.com</EMailAddress><AcceptableResponseSchema>` + namespaceAutodiscoverOutlook + `</AcceptableResponseSchema></Request></Autodiscover>`
	code, body := ask(req)
	require.Equal(t, http.StatusOK, code)
	var resp struct {
		XMLName  xml.Name
		Response struct {
			XMLName xml.Name
			Account struct {
				Protocol struct {
					Type   string
					ASUrl  string
					EwsUrl string
				}
			}
			Error struct{ ErrorCode int }
		}
	}
	require.NoError(t, xml.Unmarshal([]byte(body), &resp))
	assert.Equal(t, namespaceAutodiscoverResponse, resp.XMLName.Space)
	assert.Equal(t, namespaceAutodiscoverOutlook, resp.Response.XMLName.Space)
	assert.Equal(t, "EXCH", resp.Response.Account.Protocol.Type)
	assert.Equal(t, "https://gw.example.com/EWS/Exchange.asmx", resp.Response.Account.Protocol.EwsUrl)
	assert.Equal(t, "https://gw.example.com/EWS/Exchange.asmx", resp.Response.Account.Protocol.ASUrl)
	assert.Contains(t, body, "<AutoDiscoverSMTPAddress>alice@example.com</AutoDiscoverSMTPAddress>")

	for name, c := range map[string]struct {
		body string
		code string
	}{
		"garbage":      {"<nope", "600"},
		"no address":   {strings.Replace(req, "alice@example.com", "alice", 1), "600"},
		"doctype":      {`<!DOCTYPE a [<!ENTITY x "alice@example.com">]>` + strings.Replace(req, "alice@example.com", "&x;", 1), "600"},
		"other schema": {strings.Replace(req, "responseschema/2006a", "responseschema/2009", 1), "601"},
	} {
		code, body := ask(c.body)
		assert.Equal(t, http.StatusOK, code, name)
		assert.Contains(t, body, "<ErrorCode>"+c.code+"</ErrorCode>", name)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/autodiscover/autodiscover.xml", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}
