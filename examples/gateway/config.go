package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy/privacy"
)

// Config is the gateway's configuration file (-config FILE, JSON). Every
// field is optional: the zero Config runs the demo on loopback. Secrets are
// never written in the file: the file names the environment variables that
// hold them (fields ending in "Env").
//
//	{
//	  "http":      {"listen": "127.0.0.1:8080",
//	                "tls":  {"certFile": "gw.pem", "keyFile": "gw.key"},
//	                "auth": {"bearerTokenEnv": "CALBRIDGE_HTTP_TOKEN"}},
//	  "rpc":       {"listen": "127.0.0.1:7400", "peer": "127.0.0.1:7400",
//	                "tokenEnv": "CALBRIDGE_RPC_TOKEN",
//	                "tls": {"certFile": "...", "keyFile": "...", "caFile": "...",
//	                        "clientCAFile": "...", "serverName": "exchange-half"}},
//	  "reverseRpc": {"listen": "127.0.0.1:7401", "peer": "127.0.0.1:7401"},
//	  "directory": "people.csv",
//	  "cache":     {"ttl": "15m", "maxBytes": 67108864},
//	  "notes":     {"kind": "das", "url": "https://domino.acme.example",
//	                "auth": "basic", "username": "gateway", "passwordEnv": "DOMINO_PASSWORD"},
//	  "exchange":  {"kind": "ews", "url": "https://mail.acme.example/EWS/Exchange.asmx",
//	                "auth": "ntlm", "username": "ACME\\svc-fb", "passwordEnv": "EWS_PASSWORD"}
//	}
type Config struct {
	// HTTP is the front door of each half.
	HTTP HTTPConfig `json:"http"`
	// RPC is the link the Notes half uses to ask the Exchange half: the
	// Exchange half listens on RPC.Listen and the Notes half dials RPC.Peer
	// (both default to -rpc).
	RPC RPCConfig `json:"rpc"`
	// ReverseRPC is the link the other way, for Exchange asking about
	// Notes users through the Exchange half: the Notes half listens, the
	// Exchange half dials. With -role both it runs on an ephemeral loopback
	// port unless set; with -role notes or exchange only when set.
	ReverseRPC RPCConfig `json:"reverseRpc"`
	// Directory is a CSV or JSON file of people (see loadDirectory); empty
	// means the embedded demo directory.
	Directory string `json:"directory"`
	// Cache tunes the per-side caches, and adds a shared Redis tier.
	Cache CacheConfig `json:"cache"`
	// Transport selects NATS instead of the RPC link between the halves.
	Transport TransportConfig `json:"transport"`
	// Notes is the Notes half's backend: "demo" (default), "calendars"
	// or "das".
	Notes BackendConfig `json:"notes"`
	// Exchange is the Exchange half's backend: "demo" (default), "ews",
	// "graph" or "publicfolder".
	Exchange BackendConfig `json:"exchange"`
	// Privacy says how much of each calendar item each requester (the
	// authenticated HTTP user; "bearer" for the bearer token) may see:
	// {"default": "status", "requesters": {"helpdesk": "full"}}. The
	// default is status only: subjects and locations never leave.
	Privacy privacy.Policy `json:"privacy"`
}

// HTTPConfig configures an HTTP front door.
type HTTPConfig struct {
	// Listen is the address; the -http flag overrides it.
	Listen string `json:"listen"`
	// TLS, when CertFile is set, serves HTTPS.
	TLS TLSConfig `json:"tls"`
	// Auth, when set, requires HTTP basic or bearer authentication on
	// every route but /healthz.
	Auth AuthConfig `json:"auth"`
}

// AuthConfig selects HTTP authentication: basic (User and PasswordEnv) or
// bearer (BearerTokenEnv), or both.
type AuthConfig struct {
	User           string `json:"user"`
	PasswordEnv    string `json:"passwordEnv"`
	BearerTokenEnv string `json:"bearerTokenEnv"`
}

// RPCConfig configures one direction of the link between the halves.
type RPCConfig struct {
	// Listen is where the answering half serves RPC.
	Listen string `json:"listen"`
	// Peer is where the asking half dials.
	Peer string `json:"peer"`
	// TokenEnv names the variable holding the shared token of the
	// handshake.
	TokenEnv string `json:"tokenEnv"`
	// TLS protects the link: the server presents CertFile/KeyFile and, with
	// ClientCAFile, requires client certificates (mutual TLS); the client
	// verifies the server against CAFile (and ServerName), and presents
	// CertFile/KeyFile too when set.
	TLS TLSConfig `json:"tls"`
}

// TLSConfig names PEM files.
type TLSConfig struct {
	CertFile     string `json:"certFile"`
	KeyFile      string `json:"keyFile"`
	CAFile       string `json:"caFile"`
	ClientCAFile string `json:"clientCAFile"`
	ServerName   string `json:"serverName"`
}

// CacheConfig tunes the caches in front of each side. In the file it is an
// object, or just the Redis URL ("cache": "redis://cache.acme.example:6379/0")
// for the defaults with a shared tier.
type CacheConfig struct {
	// Disabled turns caching off.
	Disabled bool `json:"disabled"`
	// TTL is how long an answer is fresh (default 15m).
	TTL Duration `json:"ttl"`
	// MaxBytes bounds each cache's memory (default 64 MiB).
	MaxBytes int64 `json:"maxBytes"`
	// Redis, when set, adds a shared tier behind the in-process one:
	// redis://[user:password@]host:port/db, or rediss:// for TLS. Gateway
	// instances sharing it make one backend call per attendee and day
	// between them. A password is better given by PasswordEnv than in the
	// URL.
	Redis string `json:"redis"`
	// RedisPasswordEnv names the variable holding the Redis password (the
	// ACL user's, with a user in the URL).
	RedisPasswordEnv string `json:"redisPasswordEnv"`
	// RedisCAFile adds a CA for a rediss:// server's certificate.
	RedisCAFile string `json:"redisCAFile"`
}

// UnmarshalJSON reads the object form or the Redis URL alone.
func (c *CacheConfig) UnmarshalJSON(b []byte) error {
	var url string
	if json.Unmarshal(b, &url) == nil {
		*c = CacheConfig{Redis: url}
		return nil
	}
	type plain CacheConfig
	return decodeStrict(bytes.NewReader(b), (*plain)(c))
}

// TransportConfig selects the carrier between the halves: the JSON-RPC
// link (the default; see RPCConfig) or NATS. In the file it is an object,
// or just the NATS URL ("transport": "nats://nats.acme.example:4222").
type TransportConfig struct {
	// NATS, when set, carries queries over NATS instead of the RPC link:
	// a comma-separated list of nats:// or tls:// server URLs. The
	// answering half serves as a worker in a queue group, so several
	// processes of one role share the load; the asking half publishes
	// requests.
	NATS string `json:"nats"`
	// Subject prefixes the subjects queries travel on (default
	// "calbridge"): each half listens on PREFIX.<side>.
	Subject string `json:"subject"`
	// User, PasswordEnv, TokenEnv and CredsFile authenticate to NATS.
	User        string `json:"user"`
	PasswordEnv string `json:"passwordEnv"`
	TokenEnv    string `json:"tokenEnv"`
	CredsFile   string `json:"credsFile"`
	// CAFile adds a CA for a tls:// server's certificate.
	CAFile string `json:"caFile"`
}

// UnmarshalJSON reads the object form or the NATS URL alone.
func (c *TransportConfig) UnmarshalJSON(b []byte) error {
	var url string
	if json.Unmarshal(b, &url) == nil {
		*c = TransportConfig{NATS: url}
		return nil
	}
	type plain TransportConfig
	return decodeStrict(bytes.NewReader(b), (*plain)(c))
}

// BackendConfig points a half at the system that holds its side's
// calendars.
type BackendConfig struct {
	// Kind is "demo", "calendars" (a Notes calendar set on disk), "das"
	// (Domino Access Services), "ews", "graph" or "publicfolder" (Exchange
	// public-folder free/busy messages on disk).
	Kind string `json:"kind"`
	// Calendars is the directory holding calendars.json (kind calendars),
	// or the public-folder messages, one ADDRESS.json file per user in
	// the JSON form examples/convert reads and writes (kind publicfolder).
	Calendars string `json:"calendars"`
	// LoadTestUsers adds, to the Exchange demo, that many generated
	// mailboxes user000@exchange.acme.example, user001@... (with copies of
	// Grace Hopper's calendar) and their directory entries: a population
	// for load tests and benchmarks (kind demo only).
	LoadTestUsers int `json:"loadTestUsers"`
	// URL is the DAS base URL, the EWS endpoint, or the Graph base URL
	// (default https://graph.microsoft.com/v1.0).
	URL string `json:"url"`
	// Auth is "none" (default), "basic" or, for EWS, "ntlm".
	Auth string `json:"auth"`
	// Username and PasswordEnv are the credentials of basic and NTLM.
	Username    string `json:"username"`
	PasswordEnv string `json:"passwordEnv"`
	// TenantID, ClientID and ClientSecretEnv are Graph's OAuth2 client
	// credentials; TokenURL overrides the Microsoft identity platform's
	// token endpoint of the tenant, Scopes its default scope.
	TenantID        string   `json:"tenantId"`
	ClientID        string   `json:"clientId"`
	ClientSecretEnv string   `json:"clientSecretEnv"`
	TokenURL        string   `json:"tokenUrl"`
	Scopes          []string `json:"scopes"`
	// Mailbox is the Graph user whose calendar hosts getSchedule calls
	// (required with app-only tokens).
	Mailbox string `json:"mailbox"`
	// CAFile adds a CA for the backend's HTTPS certificate.
	CAFile string `json:"caFile"`
	// Timeout bounds each backend call (default 30s).
	Timeout Duration `json:"timeout"`
}

// Duration is a time.Duration written as a Go duration string ("15m").
type Duration time.Duration

// UnmarshalJSON reads "15m" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("gateway: duration %s: want \"15m\" or seconds", b)
		}
		*d = Duration(n * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("gateway: duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// errConfig marks every configuration problem.
var errConfig = errors.New("gateway: invalid configuration")

// configError reports a configuration problem in field.
func configError(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", errConfig, field, fmt.Sprintf(format, args...))
}

// loadConfig reads a JSON configuration file; unknown fields are errors, so
// that a misspelt key does not silently leave a default in place.
func loadConfig(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("gateway: config: %w", err)
	}
	if err := decodeStrict(bytes.NewReader(b), &c); err != nil {
		return c, fmt.Errorf("%w: %s: %v", errConfig, path, err)
	}
	return c, c.validate()
}

// decodeStrict decodes one JSON value from r into v, refusing members v
// does not have, so that a misspelt key is an error rather than a default
// silently kept.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// validate checks what can be checked without the network.
func (c Config) validate() error {
	for _, a := range []struct{ field, addr string }{
		{"http.listen", c.HTTP.Listen}, {"rpc.listen", c.RPC.Listen}, {"rpc.peer", c.RPC.Peer},
		{"reverseRpc.listen", c.ReverseRPC.Listen}, {"reverseRpc.peer", c.ReverseRPC.Peer},
	} {
		if a.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return configError(a.field, "%v", err)
		}
	}
	switch c.Notes.Kind {
	case "", "demo", "calendars", "das":
	default:
		return configError("notes.kind", "%q is not demo, calendars or das", c.Notes.Kind)
	}
	switch c.Exchange.Kind {
	case "", "demo", "ews", "graph", "publicfolder":
	default:
		return configError("exchange.kind", "%q is not demo, ews, graph or publicfolder", c.Exchange.Kind)
	}
	if c.Notes.Kind == "calendars" && c.Notes.Calendars == "" {
		return configError("notes.calendars", "kind calendars needs the calendar set's directory")
	}
	if c.Exchange.Kind == "publicfolder" && c.Exchange.Calendars == "" {
		return configError("exchange.calendars", "kind publicfolder needs the directory of messages")
	}
	for _, b := range []struct {
		field string
		cfg   BackendConfig
	}{{"notes", c.Notes}, {"exchange", c.Exchange}} {
		if b.cfg.LoadTestUsers < 0 || b.cfg.LoadTestUsers > maxLoadTestUsers {
			return configError(b.field+".loadTestUsers", "want 0 to %d", maxLoadTestUsers)
		}
		if b.cfg.LoadTestUsers > 0 && (b.field != "exchange" || (b.cfg.Kind != "" && b.cfg.Kind != "demo")) {
			return configError(b.field+".loadTestUsers", "only the Exchange demo backend has load-test users")
		}
	}
	for _, b := range []struct {
		field string
		cfg   BackendConfig
	}{{"notes", c.Notes}, {"exchange", c.Exchange}} {
		switch b.cfg.Kind {
		case "das", "ews":
			if b.cfg.URL == "" {
				return configError(b.field+".url", "kind %s needs a URL", b.cfg.Kind)
			}
		}
		switch b.cfg.Auth {
		case "", "none":
		case "basic":
			if b.cfg.Username == "" || b.cfg.PasswordEnv == "" {
				return configError(b.field+".auth", "basic needs username and passwordEnv")
			}
		case "ntlm":
			if b.cfg.Kind != "ews" {
				return configError(b.field+".auth", "ntlm is for kind ews")
			}
			if b.cfg.Username == "" || b.cfg.PasswordEnv == "" {
				return configError(b.field+".auth", "ntlm needs username and passwordEnv")
			}
		default:
			return configError(b.field+".auth", "%q is not none, basic or ntlm", b.cfg.Auth)
		}
		if b.cfg.Kind == "graph" && (b.cfg.TenantID == "" && b.cfg.TokenURL == "" || b.cfg.ClientID == "" || b.cfg.ClientSecretEnv == "") {
			return configError(b.field, "kind graph needs tenantId (or tokenUrl), clientId and clientSecretEnv")
		}
		if b.cfg.Timeout < 0 {
			return configError(b.field+".timeout", "negative")
		}
	}
	if c.Cache.TTL < 0 || c.Cache.MaxBytes < 0 {
		return configError("cache", "negative ttl or maxBytes")
	}
	if r := c.Cache.Redis; r != "" && !strings.HasPrefix(r, "redis://") && !strings.HasPrefix(r, "rediss://") {
		return configError("cache.redis", "%q is not a redis:// or rediss:// URL", r)
	}
	if c.Cache.Redis != "" && c.Cache.Disabled {
		return configError("cache.redis", "a shared tier for a disabled cache")
	}
	for _, u := range strings.Split(c.Transport.NATS, ",") {
		if u = strings.TrimSpace(u); u != "" && !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
			return configError("transport.nats", "%q is not a nats:// or tls:// URL", u)
		}
	}
	if (c.HTTP.TLS.CertFile == "") != (c.HTTP.TLS.KeyFile == "") {
		return configError("http.tls", "certFile and keyFile go together")
	}
	if err := c.Privacy.Validate(); err != nil {
		return configError("privacy", "%v", err)
	}
	if c.HTTP.Auth.User != "" && c.HTTP.Auth.PasswordEnv == "" {
		return configError("http.auth", "user needs passwordEnv")
	}
	return nil
}

// secret returns the value of the environment variable env, which must be
// set and non-empty. The value is never logged.
func secret(field, env string) (string, error) {
	if env == "" {
		return "", nil
	}
	v := os.Getenv(env)
	if v == "" {
		return "", configError(field, "environment variable %s is not set", env)
	}
	return v, nil
}

// serverTLS returns the TLS configuration of a server, or nil when c names
// no certificate. With ClientCAFile it requires and verifies client
// certificates (mutual TLS).
func serverTLS(field string, c TLSConfig) (*tls.Config, error) {
	if c.CertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, configError(field, "%v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		pool, err := certPool(field, c.ClientCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// clientTLS returns the TLS configuration of a client, or nil when c asks
// for none (no CAFile, no certificate, no server name).
func clientTLS(field string, c TLSConfig) (*tls.Config, error) {
	if c.CAFile == "" && c.CertFile == "" && c.ServerName == "" {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: c.ServerName, MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pool, err := certPool(field, c.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, configError(field, "%v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func certPool(field, file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, configError(field, "%v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, configError(field, "%s holds no PEM certificate", file)
	}
	return pool, nil
}

// isLoopback reports whether addr's host is a loopback address or
// "localhost"; an empty host (all interfaces) is not.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
