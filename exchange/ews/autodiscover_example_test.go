package ews_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/freebusy"
)

// Answering SOAP Autodiscover GetUserSettings, as the EWS Managed API and
// Exchange's availability service ask it, from a directory lookup.
func ExampleAutodiscoverHandler() {
	directory := func(_ context.Context, address string) (ews.AutodiscoverUser, error) {
		if strings.EqualFold(address, "alice@example.com") {
			return ews.AutodiscoverUser{Address: "alice@example.com", DisplayName: "Alice Example"}, nil
		}
		return ews.AutodiscoverUser{}, freebusy.ErrUnknownAttendee
	}
	h, err := ews.NewAutodiscoverHandler("https://gw.example.com/EWS/Exchange.asmx", ews.WithUserLookup(directory))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://schemas.microsoft.com/exchange/2010/Autodiscover">
<soap:Body><a:GetUserSettingsRequestMessage><a:Request>
<a:Users><a:User><a:Mailbox>alice@example.com</a:Mailbox></a:User><a:User><a:Mailbox>bob@example.com</a:Mailbox></a:User></a:Users>
<a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting><a:Setting>UserDisplayName</a:Setting><a:Setting>EwsUrl</a:Setting></a:RequestedSettings>
</a:Request></a:GetUserSettingsRequestMessage></soap:Body></soap:Envelope>`
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/Autodiscover/Autodiscover.svc", strings.NewReader(req)))

	var answer struct {
		Users []struct {
			ErrorCode string
			Settings  []struct{ Name, Value string }            `xml:"UserSettings>UserSetting"`
			Errors    []struct{ ErrorCode, SettingName string } `xml:"UserSettingErrors>UserSettingError"`
		} `xml:"Body>GetUserSettingsResponseMessage>Response>UserResponses>UserResponse"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range answer.Users {
		fmt.Println(u.ErrorCode)
		for _, s := range u.Settings {
			fmt.Printf("  %s = %s\n", s.Name, s.Value)
		}
		for _, e := range u.Errors {
			fmt.Printf("  %s: %s\n", e.SettingName, e.ErrorCode)
		}
	}
	// Output:
	// NoError
	//   ExternalEwsUrl = https://gw.example.com/EWS/Exchange.asmx
	//   UserDisplayName = Alice Example
	//   EwsUrl: InvalidSetting
	// InvalidUser
}
