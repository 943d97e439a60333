package rediscache

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/cache"
	"github.com/calbridge/calbridge/internal/redistest"
)

func TestKeyText(t *testing.T) {
	s, err := Open("redis://127.0.0.1:1", WithPrefix("fb:"))
	require.NoError(t, err)
	defer s.Close()
	k := cache.Key{Attendee: odd, Detail: freebusy.DetailFull, Day: 20514}
	assert.Equal(t, "fb:e:o%27brien%3A%20%2Ax%3F%5By%5D%25%20z@example.com:1:20514", s.keyText(kindEntry, k))
	assert.Equal(t, "fb:l:ada@example.com:0:-3", s.keyText(kindLock, cache.Key{Attendee: "ada@example.com", Day: -3}))
	assert.Equal(t, "fb:a:ada@example.com", s.indexKey("ada@example.com"))
	assert.Equal(t, `a\*b\?\[c\]\\d\^e\-f`, globEscape(`a*b?[c]\d^e-f`))
	assert.Equal(t, "redis", s.Name())
}

// TestExpiryIsRedis: Keep becomes the key's PX, and the attendee's index
// set lives as long as its longest-lived entry.
func TestExpiryIsRedis(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	s := open(t, srv.URL())
	r := raw(t, srv)
	ada := func(day int64) cache.Key { return cache.Key{Attendee: "ada", Day: day} }
	require.NoError(t, s.Set(ctx, []cache.Item{
		{Key: ada(1), Entry: cache.Entry{Stored: monday}, Keep: time.Hour},
		{Key: ada(2), Entry: cache.Entry{Stored: monday}, Keep: 90 * time.Second},
	}))
	pttl := func(key string) time.Duration {
		d, err := r.PTTL(ctx, key).Result()
		require.NoError(t, err)
		return d
	}
	for key, keep := range map[string]time.Duration{s.keyText(kindEntry, ada(1)): time.Hour, s.keyText(kindEntry, ada(2)): 90 * time.Second, s.indexKey("ada"): time.Hour} {
		d := pttl(key)
		assert.LessOrEqual(t, d, keep, key)
		assert.Greater(t, d, keep-time.Minute, key)
	}
	// A shorter-lived entry written later does not shorten the index set.
	require.NoError(t, s.Set(ctx, []cache.Item{{Key: ada(3), Entry: cache.Entry{Stored: monday}, Keep: time.Second}}))
	assert.Greater(t, pttl(s.indexKey("ada")), time.Hour-time.Minute)
	// A sub-millisecond Keep still expires (PX 1), rather than living forever.
	require.NoError(t, s.Set(ctx, []cache.Item{{Key: ada(4), Entry: cache.Entry{Stored: monday}, Keep: time.Microsecond}}))
	assert.NotEqual(t, time.Duration(-1), pttl(s.keyText(kindEntry, ada(4))), "the key has an expiry (or is gone: -2)")

	members, err := r.SMembers(ctx, s.indexKey("ada")).Result()
	require.NoError(t, err)
	assert.Len(t, members, 4)
	v, err := r.Get(ctx, s.keyText(kindEntry, ada(1))).Bytes()
	require.NoError(t, err)
	assert.Equal(t, byte(cache.EntryVersion), v[0], "the value is the versioned encoding")
}

func TestUndecodableValueIsAMiss(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	s := open(t, srv.URL())
	k := cache.Key{Attendee: "ada", Day: 1}
	require.NoError(t, raw(t, srv).Set(ctx, s.keyText(kindEntry, k), "\x09from a future version", time.Hour).Err())
	found := make([]bool, 1)
	require.NoError(t, s.Get(ctx, []cache.Key{k}, make([]cache.Entry, 1), found))
	assert.False(t, found[0])
	c := s.Counters()
	assert.Equal(t, uint64(1), c.DecodeErrors)
	assert.Equal(t, uint64(1), c.Misses)
	assert.Equal(t, StateUp, s.State(), "a bad value is not a down Redis")
}

func TestClearKeepsOtherPrefixes(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	a := open(t, srv.URL(), WithPrefix("t*[a]:"))
	b := open(t, srv.URL(), WithPrefix("t?[b]:"))
	k := cache.Key{Attendee: "ada", Day: 1}
	item := []cache.Item{{Key: k, Entry: cache.Entry{Stored: monday}, Keep: time.Hour}}
	require.NoError(t, a.Set(ctx, item))
	require.NoError(t, b.Set(ctx, item))
	require.NoError(t, raw(t, srv).Set(ctx, "t-other", "x", 0).Err())
	require.NoError(t, a.Clear(ctx))
	found := make([]bool, 1)
	require.NoError(t, a.Get(ctx, []cache.Key{k}, make([]cache.Entry, 1), found))
	assert.False(t, found[0])
	require.NoError(t, b.Get(ctx, []cache.Key{k}, make([]cache.Entry, 1), found))
	assert.True(t, found[0], "another prefix's keys stay")
	n, err := raw(t, srv).Exists(ctx, "t-other").Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
}

func TestAuth(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{Password: "s3cr3t-req", User: "gateway", UserPassword: "s3cr3t-acl"})
	host := srv.Addr()
	for name, tt := range map[string]struct {
		url  string
		opts []Option
		ok   bool
	}{
		"no credentials":          {url: "redis://" + host},
		"requirepass in the URL":  {url: "redis://:s3cr3t-req@" + host, ok: true},
		"password from an option": {url: "redis://" + host, opts: []Option{WithPassword("s3cr3t-req")}, ok: true},
		"ACL user in the URL":     {url: "redis://gateway:s3cr3t-acl@" + host + "/0", ok: true},
		"ACL user from options":   {url: "redis://" + host, opts: []Option{WithUsername("gateway"), WithPassword("s3cr3t-acl")}, ok: true},
		"option replaces the URL": {url: "redis://gateway:s3cr3t-wrong@" + host, opts: []Option{WithPassword("s3cr3t-acl")}, ok: true},
		"wrong password":          {url: "redis://gateway:s3cr3t-wrong@" + host},
	} {
		s := open(t, tt.url, tt.opts...)
		err := s.Ping(ctx)
		if !tt.ok {
			require.Error(t, err, name)
			assert.NotContains(t, err.Error(), "s3cr3t", "%s: the error does not repeat a password", name)
			assert.Equal(t, StateDown, s.State(), name)
			assert.Equal(t, err.Error(), "rediscache: ping: "+s.Health().LastError.Error(), name)
			continue
		}
		require.NoError(t, err, name)
		k := cache.Key{Attendee: "ada", Day: 1}
		require.NoError(t, s.Set(ctx, []cache.Item{{Key: k, Entry: cache.Entry{Stored: monday}, Keep: time.Hour}}), name)
		found := make([]bool, 1)
		require.NoError(t, s.Get(ctx, []cache.Key{k}, make([]cache.Entry, 1), found), name)
		assert.True(t, found[0], name)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	ctx := context.Background()
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tlsPort := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	srv := redistest.Start(t, redistest.Options{Password: "pw", Args: []string{
		"--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-auth-clients", "no",
	}})
	_ = srv
	url := "rediss://:pw@127.0.0.1:" + strconv.Itoa(tlsPort)
	s := open(t, url, WithTLSConfig(&tls.Config{RootCAs: pool}))
	require.NoError(t, s.Ping(ctx), "TLS with the server's certificate trusted")

	untrusted := open(t, url)
	require.Error(t, untrusted.Ping(ctx), "the system roots do not trust a self-signed certificate")

	plain := open(t, "redis://:pw@127.0.0.1:"+strconv.Itoa(tlsPort))
	require.Error(t, plain.Ping(ctx), "no TLS on a TLS port")
}

func TestOpenRejects(t *testing.T) {
	for name, tt := range map[string]struct {
		url  string
		opts []Option
		want error
	}{
		"scheme":         {url: "http://localhost:6379", want: ErrURL},
		"unparsable":     {url: "redis://:sec%zzret@host", want: ErrURL},
		"unknown option": {url: "redis://:secret@localhost/?no_such_option=1", want: ErrURL},
		"prefix":         {url: "redis://localhost", opts: []Option{WithPrefix("")}, want: cache.ErrInvalidOption},
		"timeouts":       {url: "redis://localhost", opts: []Option{WithTimeouts(0, time.Second)}, want: cache.ErrInvalidOption},
		"lock TTL":       {url: "redis://localhost", opts: []Option{WithLockTTL(time.Millisecond)}, want: cache.ErrInvalidOption},
		"circuit":        {url: "redis://localhost", opts: []Option{WithCircuitBackoff(Backoff{Initial: time.Second, Max: time.Millisecond, Multiplier: 2})}, want: cache.ErrInvalidOption},
		"await":          {url: "redis://localhost", opts: []Option{WithAwaitBackoff(Backoff{Initial: time.Second, Max: time.Second, Multiplier: 0.5})}, want: cache.ErrInvalidOption},
		"tls":            {url: "redis://localhost", opts: []Option{WithTLSConfig(nil)}, want: cache.ErrInvalidOption},
	} {
		_, err := Open(tt.url, tt.opts...)
		require.ErrorIs(t, err, tt.want, name)
		assert.NotContains(t, err.Error(), "secret", "%s: the error does not repeat the password", name)
	}
}

// TestOpenTimeouts: short defaults, the URL's parameters, and the option
// over both.
func TestOpenTimeouts(t *testing.T) {
	for name, tt := range map[string]struct {
		url        string
		opts       []Option
		dial, read time.Duration
	}{
		"defaults":  {url: "redis://localhost", dial: DefaultDialTimeout, read: DefaultIOTimeout},
		"URL":       {url: "redis://localhost?dial_timeout=2s&read_timeout=3s", dial: 2 * time.Second, read: 3 * time.Second},
		"option":    {url: "redis://localhost?dial_timeout=2s", opts: []Option{WithTimeouts(time.Second, time.Second)}, dial: time.Second, read: time.Second},
		"TLS on":    {url: "rediss://localhost", dial: DefaultDialTimeout, read: DefaultIOTimeout},
		"TLS on ok": {url: "redis://localhost", opts: []Option{WithTLSConfig(&tls.Config{})}, dial: DefaultDialTimeout, read: DefaultIOTimeout},
	} {
		s, err := Open(tt.url, tt.opts...)
		require.NoError(t, err, name)
		o := s.client.Options()
		assert.Equal(t, tt.dial, o.DialTimeout, name)
		assert.Equal(t, tt.read, o.ReadTimeout, name)
		assert.Equal(t, 1, o.MaxRetries, name)
		assert.True(t, o.ContextTimeoutEnabled, name)
		if name == "TLS on" || name == "TLS on ok" {
			require.NotNil(t, o.TLSConfig, name)
			assert.Equal(t, "localhost", o.TLSConfig.ServerName, name)
			assert.Equal(t, uint16(tls.VersionTLS12), o.TLSConfig.MinVersion, name)
		}
		require.NoError(t, s.Close())
	}
}

func TestCircuit(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newCircuit(Backoff{Initial: time.Second, Max: 4 * time.Second, Multiplier: 2}, func() time.Time { return now })
	assert.True(t, c.allow())
	assert.Equal(t, Health{State: StateUp, Since: now}, c.health())

	boom := errors.New("boom")
	h, changed := c.failed(boom)
	assert.True(t, changed)
	assert.Equal(t, Health{State: StateDown, Since: now, LastError: boom, LastErrorAt: now, RetryAt: now.Add(time.Second)}, h)
	assert.False(t, c.allow(), "skipped during the backoff")
	// Each failed probe doubles the delay, up to the cap.
	for _, next := range []time.Duration{2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second} {
		now = c.health().RetryAt.Add(-time.Nanosecond)
		assert.False(t, c.allow())
		now = now.Add(time.Nanosecond)
		require.True(t, c.allow(), "one probe once the backoff is over")
		assert.False(t, c.allow(), "and only one")
		_, changed = c.failed(boom)
		assert.False(t, changed)
		assert.Equal(t, next, c.health().RetryAt.Sub(now))
	}
	now = c.health().RetryAt
	require.True(t, c.allow())
	h, changed = c.succeeded()
	assert.True(t, changed)
	assert.Equal(t, StateUp, h.State)
	assert.Equal(t, now, h.Since)
	assert.Equal(t, boom, h.LastError, "the last error stays for the status page")
	assert.True(t, c.allow())
	assert.Equal(t, "up", StateUp.String())
	assert.Equal(t, "down", StateDown.String())
	assert.Equal(t, "unknown", State(0).String())
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, b.delay(n))
	}
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}, got)
	b.Jitter = 0.5
	for range 100 {
		d := b.delay(1)
		assert.GreaterOrEqual(t, d, 50*time.Millisecond)
		assert.LessOrEqual(t, d, 150*time.Millisecond)
	}
}

// TestRedisDownAndBack: with Redis stopped, queries answer from the
// in-process tier and the backend; health says down; after Redis returns
// it comes back up and is used again.
func TestRedisDownAndBack(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	var mu sync.Mutex
	var changes []State
	// A long backoff: only Ping brings the Store back, so the test does
	// not depend on how fast the clock runs.
	st := open(t, srv.URL(), WithCircuitBackoff(Backoff{Initial: time.Hour, Max: time.Hour, Multiplier: 1}),
		WithStateChange(func(h Health) {
			mu.Lock()
			defer mu.Unlock()
			changes = append(changes, h.State)
		}))
	b := &backend{}
	c := newSource(t, b, st)
	day := func(a string) freebusy.Query {
		return freebusy.Query{Attendees: []string{a}, Start: monday, End: monday.Add(24 * time.Hour)}
	}
	ask(t, c, day("ada"))
	require.Equal(t, 1, b.numCalls())

	srv.Stop()
	got := ask(t, c, day("ada"))
	assert.True(t, got[0].OK(), "answered from the in-process tier")
	assert.Equal(t, 1, b.numCalls())
	got = ask(t, c, day("alan"))
	assert.True(t, got[0].OK(), "answered by the backend")
	assert.Len(t, got[0].Intervals, 1)
	assert.Equal(t, 2, b.numCalls())
	ask(t, c, day("alan"))
	assert.Equal(t, 2, b.numCalls(), "the in-process tier keeps what Redis could not store")

	h := st.Health()
	assert.Equal(t, StateDown, h.State)
	require.Error(t, h.LastError)
	assert.False(t, h.RetryAt.IsZero())
	cn := st.Counters()
	assert.Equal(t, uint64(1), cn.Errors, "one operation found Redis down ...")
	assert.Positive(t, cn.Skipped, "... the others skipped it")
	st1 := c.Stats()
	assert.Positive(t, st1.StoreErrors)
	assert.Equal(t, "redis", st1.Tiers[1].Name)
	assert.Positive(t, st1.Tiers[1].Errors)

	srv.Restart()
	require.NoError(t, st.Ping(ctx))
	assert.Equal(t, StateUp, st.State())
	ask(t, c, day("grace"))
	n, err := raw(t, srv).Exists(ctx, st.keyText(kindEntry, cache.Key{Attendee: "grace", Day: monday.Unix() / 86400})).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "Redis is written again")
	members, err := raw(t, srv).SMembers(ctx, st.indexKey("grace")).Result()
	require.NoError(t, err)
	assert.Len(t, members, 1, "with the index Delete reads, although the restarted Redis had lost the script")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []State{StateDown, StateUp}, changes, "each change reported once")
}

// TestRedisDownCostsLittle: an unreachable Redis is skipped while down.
func TestRedisDownCostsLittle(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now
	st, err := Open("redis://"+addr, WithCircuitBackoff(Backoff{Initial: time.Hour, Max: time.Hour, Multiplier: 1}))
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	keys := []cache.Key{{Attendee: "ada"}}
	require.Error(t, st.Get(ctx, keys, make([]cache.Entry, 1), make([]bool, 1)))
	for range 10 {
		err := st.Get(ctx, keys, make([]cache.Entry, 1), make([]bool, 1))
		require.ErrorIs(t, err, cache.ErrStoreDown)
	}
	_, err = st.TryLock(ctx, keys, make([]bool, 1))
	require.ErrorIs(t, err, cache.ErrStoreDown)
	require.ErrorIs(t, st.Await(ctx, keys), cache.ErrStoreDown)
	require.ErrorIs(t, st.Set(ctx, []cache.Item{{Key: keys[0], Keep: time.Hour}}), cache.ErrStoreDown)
	require.ErrorIs(t, st.Delete(ctx, "ada"), cache.ErrStoreDown)
	require.ErrorIs(t, st.Clear(ctx), cache.ErrStoreDown)
	assert.Equal(t, Counters{Errors: 1, Skipped: 15}, st.Counters())

	// A caller's own deadline is not Redis's failure.
	up, err := Open("redis://" + addr)
	require.NoError(t, err)
	defer up.Close()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.Error(t, up.Get(cctx, keys, make([]cache.Entry, 1), make([]bool, 1)))
	assert.Equal(t, StateUp, up.State())
}

// signalStore reports each Await of a Store.
type signalStore struct {
	*Store
	awaiting func()
}

func (s signalStore) Await(ctx context.Context, keys []cache.Key) error {
	s.awaiting()
	return s.Store.Await(ctx, keys)
}

// TestCrossInstanceSingleFlight: three gateway instances (Sources) on one
// Redis, 50 concurrent callers asking about the same attendees: one
// backend call per attendee and window, and none while the entries are
// fresh.
func TestCrossInstanceSingleFlight(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	gate := make(chan struct{})
	var mu sync.Mutex
	parked := map[int]bool{}
	park := func(i int) func() {
		return func() {
			mu.Lock()
			defer mu.Unlock()
			parked[i] = true
			if len(parked) == 3 {
				close(gate) // every instance fetches or waits: let the fetches go
			}
		}
	}
	const instances = 3
	var backends []*backend
	var sources []*cache.Source
	var stores []*Store
	for i := range instances {
		st := open(t, srv.URL())
		b := &backend{gate: gate, parked: park(i)}
		sources = append(sources, newSource(t, b, signalStore{Store: st, awaiting: park(i)}))
		backends = append(backends, b)
		stores = append(stores, st)
	}
	q := freebusy.Query{Attendees: names(20), Start: monday.Add(8 * time.Hour), End: monday.Add(7*24*time.Hour + 8*time.Hour)}
	const callers = 50
	results := make([][]freebusy.Schedule, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { results[i] = ask(t, sources[i%instances], q) })
	}
	wg.Wait()

	per := map[string]int{}
	calls := 0
	for _, b := range backends {
		calls += b.numCalls()
		for k, v := range b.perWindow() {
			per[k] += v
		}
	}
	require.Len(t, per, 20, "every attendee fetched")
	for k, v := range per {
		assert.Equal(t, 1, v, "one backend call for %s", k)
	}
	assert.Equal(t, 1, calls, "one instance took every lock at once")
	for _, r := range results[1:] {
		assert.Equal(t, results[0], r)
	}
	var waits, remote uint64
	for i, st := range stores {
		waits += st.Counters().LockWaits
		remote += sources[i].Stats().RemoteFills
	}
	assert.Positive(t, waits, "instances waited for each other")
	assert.Positive(t, remote)

	// While fresh, no instance asks again, whatever its in-process tier.
	for i := range callers {
		wg.Go(func() { ask(t, sources[i%instances], q) })
	}
	wg.Wait()
	fresh := newSource(t, backends[0], stores[0])
	ask(t, fresh, q)
	total := 0
	for _, b := range backends {
		total += b.numCalls()
	}
	assert.Equal(t, calls, total)
}

// TestLockOwnerDeath: a lock whose holder died expires, and a waiting
// instance takes the fetch over.
func TestLockOwnerDeath(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	st := open(t, srv.URL())
	r := raw(t, srv)
	q := freebusy.Query{Attendees: []string{"ada"}, Start: monday, End: monday.Add(24 * time.Hour)}
	lock := st.keyText(kindLock, cache.Key{Attendee: "ada", Day: monday.Unix() / 86400})
	// The dead holder's lock: taken like the Store takes one, never
	// renewed nor released.
	require.True(t, r.SetNX(ctx, lock, "dead-holder", 300*time.Millisecond).Val())
	ttl, err := r.PTTL(ctx, lock).Result()
	require.NoError(t, err)
	require.Positive(t, ttl)
	require.LessOrEqual(t, ttl, 300*time.Millisecond)

	b := &backend{}
	c := newSource(t, b, st)
	got := ask(t, c, q)
	assert.True(t, got[0].OK())
	assert.Equal(t, 1, b.numCalls(), "the waiter fetched once the lock expired")
	assert.Equal(t, uint64(1), st.Counters().LockWaits)
	assert.Equal(t, uint64(1), st.Counters().Locks)
	n, err := r.Exists(ctx, lock).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "and released its own lock")
}

// TestLocks: TryLock, Await and the lease's scripts on a real Redis.
func TestLocks(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	a := open(t, srv.URL())
	b := open(t, srv.URL())
	r := raw(t, srv)
	keys := []cache.Key{{Attendee: "ada", Day: 1}, {Attendee: "ada", Day: 2}}

	held := make([]bool, 2)
	la, err := a.TryLock(ctx, keys, held)
	require.NoError(t, err)
	require.NotNil(t, la)
	assert.Equal(t, []bool{true, true}, held)

	lb, err := b.TryLock(ctx, append(keys, cache.Key{Attendee: "bob"}), make([]bool, 3))
	require.NoError(t, err)
	require.NotNil(t, lb, "bob's lock was free")
	require.NoError(t, lb.Release(ctx))
	none, err := b.TryLock(ctx, keys, held)
	require.NoError(t, err)
	assert.Nil(t, none)
	assert.Equal(t, []bool{false, false}, held)

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, b.Await(short, keys), context.DeadlineExceeded, "the locks are held")
	assert.Equal(t, StateUp, b.State(), "a waiter's deadline is not a down Redis")

	// The renewal script extends only locks with the lease's token.
	lock := a.keyText(kindLock, keys[0])
	require.NoError(t, r.PExpire(ctx, lock, time.Second).Err())
	token := la.(*lease).token
	require.NoError(t, renewScript.Run(ctx, r, []string{lock}, "not-the-token", 60000).Err())
	ttl, _ := r.PTTL(ctx, lock).Result()
	assert.LessOrEqual(t, ttl, time.Second)
	require.NoError(t, renewScript.Run(ctx, r, []string{lock}, token, 60000).Err())
	ttl, _ = r.PTTL(ctx, lock).Result()
	assert.Greater(t, ttl, time.Second)

	// Release deletes only its own locks: one that expired and went to
	// another holder stays.
	other := a.keyText(kindLock, keys[1])
	require.NoError(t, r.Set(ctx, other, "another-holder", time.Minute).Err())
	done := make(chan error)
	go func() { done <- b.Await(ctx, keys[:1]) }()
	require.NoError(t, la.Release(ctx))
	require.NoError(t, la.Release(ctx), "idempotent")
	require.NoError(t, <-done, "the waiter saw the release")
	v, err := r.Get(ctx, other).Result()
	require.NoError(t, err)
	assert.Equal(t, "another-holder", v)
	assert.GreaterOrEqual(t, b.Counters().LockWaits, uint64(1), "the first Await waited")
}

func TestEmptyCalls(t *testing.T) {
	s, err := Open("redis://127.0.0.1:1")
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	require.NoError(t, s.Get(ctx, nil, nil, nil))
	require.NoError(t, s.Set(ctx, nil))
	l, err := s.TryLock(ctx, nil, nil)
	require.NoError(t, err)
	assert.Nil(t, l)
	require.NoError(t, s.Await(ctx, nil))
	assert.Equal(t, Counters{}, s.Counters(), "nothing went to Redis")
}
