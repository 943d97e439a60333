package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"
	"go.uber.org/zap"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/exchange/graph"
	"github.com/calbridge/calbridge/exchange/publicfolder"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/notes"
	"github.com/calbridge/calbridge/notes/das"
)

// backend is the system that holds one side's calendars, as a Source, with
// a probe that says whether it can be reached.
type backend struct {
	src   freebusy.Source
	label string
	// probe reports whether the backend can be reached; nil for data in
	// memory, which always can.
	probe func(ctx context.Context) error
	// close releases what the backend started (the demo's stand-in
	// Exchange server).
	close func() error
}

// notesBackend builds the Notes half's backend from cfg.
func notesBackend(cfg BackendConfig, week demoWeek, log *zap.Logger) (*backend, error) {
	switch cfg.Kind {
	case "", "demo":
		set, err := week.notesCalendars()
		if err != nil {
			return nil, err
		}
		src, err := notes.LoadCalendars(set, notes.WithLogger(log))
		if err != nil {
			return nil, err
		}
		return &backend{src: src, label: "notes-calendars"}, nil
	case "calendars":
		src, err := notes.LoadCalendars(os.DirFS(cfg.Calendars), notes.WithLogger(log))
		if err != nil {
			return nil, err
		}
		return &backend{src: src, label: "notes-calendars"}, nil
	case "das":
		hc, err := backendHTTPClient("notes", cfg)
		if err != nil {
			return nil, err
		}
		opts := []das.ClientOption{das.WithHTTPClient(hc)}
		if cfg.Timeout > 0 {
			opts = append(opts, das.WithCallTimeout(time.Duration(cfg.Timeout)))
		}
		src, err := das.NewClient(cfg.URL, opts...)
		if err != nil {
			return nil, err
		}
		return &backend{src: src, label: "das", probe: dialProbe(cfg.URL)}, nil
	}
	return nil, configError("notes.kind", "%q", cfg.Kind)
}

// exchangeBackend builds the Exchange half's backend from cfg. The demo
// backend is a stand-in Exchange server on a loopback port (ews.Handler
// over the demo mailboxes) asked through ews.Client, so that the EWS codecs
// run end to end as they would against Exchange.
func exchangeBackend(cfg BackendConfig, week demoWeek, log *zap.Logger, extra ...string) (*backend, error) {
	switch cfg.Kind {
	case "", "demo":
		boxes, err := week.exchangeMailboxes(extra...)
		if err != nil {
			return nil, err
		}
		h, err := ews.NewHandler(boxes, ews.WithLogger(log))
		if err != nil {
			return nil, err
		}
		srv, err := listenHTTP("127.0.0.1:0", h, nil, log)
		if err != nil {
			return nil, err
		}
		go srv.serve()
		endpoint := "http://" + srv.addr + "/EWS/Exchange.asmx"
		src, err := ews.NewClient(endpoint, ews.WithLogger(log))
		if err != nil {
			_ = srv.close(context.Background())
			return nil, err
		}
		return &backend{src: src, label: "ews", probe: dialProbe(endpoint), close: func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.close(ctx)
		}}, nil
	case "ews":
		hc, err := backendHTTPClient("exchange", cfg)
		if err != nil {
			return nil, err
		}
		opts := []ews.ClientOption{ews.WithHTTPClient(hc), ews.WithLogger(log)}
		if cfg.Timeout > 0 {
			opts = append(opts, ews.WithCallTimeout(time.Duration(cfg.Timeout)))
		}
		src, err := ews.NewClient(cfg.URL, opts...)
		if err != nil {
			return nil, err
		}
		return &backend{src: src, label: "ews", probe: dialProbe(cfg.URL)}, nil
	case "graph":
		secretValue, err := secret("exchange.clientSecretEnv", cfg.ClientSecretEnv)
		if err != nil {
			return nil, err
		}
		tokenURL := cfg.TokenURL
		if tokenURL == "" {
			tokenURL = "https://login.microsoftonline.com/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token"
		}
		scopes := cfg.Scopes
		if len(scopes) == 0 {
			scopes = []string{"https://graph.microsoft.com/.default"}
		}
		base, err := baseTransport("exchange", cfg)
		if err != nil {
			return nil, err
		}
		cc := &clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: secretValue, TokenURL: tokenURL, Scopes: scopes}
		// The token endpoint is reached through the same transport (and CA).
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: base, Timeout: 30 * time.Second})
		hc := cc.Client(ctx)
		baseURL := cfg.URL
		if baseURL == "" {
			baseURL = graph.DefaultBaseURL
		}
		opts := []graph.ClientOption{graph.WithHTTPClient(hc), graph.WithBaseURL(baseURL), graph.WithLogger(log)}
		if cfg.Mailbox != "" {
			opts = append(opts, graph.WithUser(cfg.Mailbox))
		}
		if cfg.Timeout > 0 {
			opts = append(opts, graph.WithCallTimeout(time.Duration(cfg.Timeout)))
		}
		src, err := graph.NewClient(opts...)
		if err != nil {
			return nil, err
		}
		return &backend{src: src, label: "graph", probe: dialProbe(baseURL)}, nil
	case "publicfolder":
		src, err := publicfolder.NewSource(publicFolderFiles(cfg.Calendars), publicfolder.WithLogger(log))
		if err != nil {
			return nil, err
		}
		return &backend{src: src, label: "publicfolder", probe: dirProbe(cfg.Calendars)}, nil
	}
	return nil, configError("exchange.kind", "%q", cfg.Kind)
}

// baseTransport is the HTTP transport of a backend, with its extra CA.
func baseTransport(field string, cfg BackendConfig) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.CAFile != "" {
		tc, err := clientTLS(field+".caFile", TLSConfig{CAFile: cfg.CAFile})
		if err != nil {
			return nil, err
		}
		t.TLSClientConfig = tc
	}
	return t, nil
}

// backendHTTPClient returns the HTTP client of a DAS or EWS backend, with
// basic or NTLM authentication. The password is read from the environment
// variable the configuration names, never from the file.
func backendHTTPClient(field string, cfg BackendConfig) (*http.Client, error) {
	base, err := baseTransport(field, cfg)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper = base
	switch cfg.Auth {
	case "basic", "ntlm":
		pw, err := secret(field+".passwordEnv", cfg.PasswordEnv)
		if err != nil {
			return nil, err
		}
		if cfg.Auth == "ntlm" {
			// The Negotiator turns the request's basic credentials into
			// the NTLM handshake ([MS-NLMP]); they never go out in clear.
			rt = ntlmssp.Negotiator{RoundTripper: base}
		}
		rt = basicAuth{user: cfg.Username, password: pw, next: rt}
	}
	return &http.Client{Transport: rt}, nil
}

// basicAuth sets the credentials on every request.
type basicAuth struct {
	user, password string
	next           http.RoundTripper
}

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.password)
	return b.next.RoundTrip(r)
}

// dialProbe returns a probe that opens (and closes) a TCP connection to
// rawURL's host: the backend is reachable when it accepts one.
func dialProbe(rawURL string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		u, err := url.Parse(rawURL)
		if err != nil {
			return err
		}
		host := u.Host
		if u.Port() == "" {
			port := "443"
			if u.Scheme == "http" {
				port = "80"
			}
			host = net.JoinHostPort(u.Hostname(), port)
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			return fmt.Errorf("gateway: backend unreachable: %w", err)
		}
		return c.Close()
	}
}

var errNoLink = errors.New("gateway: this half has no link to that side (see rpc and reverseRpc in the configuration)")

// maxPublicFolderMessage bounds one message file: a year of free/busy in
// four status pairs is a few kilobytes.
const maxPublicFolderMessage = 4 << 20

// publicFolderFiles looks attendees up in dir, where each user's
// public-folder free/busy message is ADDRESS.json (lower case), in the
// JSON form examples/convert reads and writes. A user without a file is
// unknown.
func publicFolderFiles(dir string) publicfolder.Lookup {
	return func(ctx context.Context, attendee string) (*publicfolder.Message, error) {
		name := strings.ToLower(strings.TrimSpace(attendee))
		if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
			return nil, nil // never a path outside dir
		}
		f, err := os.Open(filepath.Join(dir, name+".json"))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, freebusy.NewError(attendee, freebusy.ReasonUnavailable, err)
		}
		defer f.Close()
		var m publicfolder.Message
		if err := decodeStrict(io.LimitReader(f, maxPublicFolderMessage), &m); err != nil {
			return nil, freebusy.NewError(attendee, freebusy.ReasonInvalid, fmt.Errorf("%s: %w", f.Name(), err))
		}
		return &m, nil
	}
}

// dirProbe reports whether dir can be read: the health of a backend on
// disk.
func dirProbe(dir string) func(context.Context) error {
	return func(context.Context) error {
		_, err := os.ReadDir(dir)
		return err
	}
}
