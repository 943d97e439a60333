package rediscache

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy/cache"
)

// ErrURL is matched (errors.Is) by the error Open returns for a URL it
// cannot use. The error never repeats the URL, which may hold a password.
var ErrURL = errors.New("rediscache: invalid URL")

// Store is a cache.Store on Redis, shared by every gateway instance that
// opens the same server with the same prefix. It implements
// cache.Flighter, so that those instances make one backend call per key
// between them. It is safe for concurrent use.
type Store struct {
	client  *redis.Client
	s       settings
	log     *zap.Logger
	circuit *circuit
	n       counters
}

var (
	_ cache.Store    = (*Store)(nil)
	_ cache.Flighter = (*Store)(nil)
)

// Open returns a Store on the Redis server at rawURL:
//
//	redis://[[user]:password@]host[:port][/db][?option=value...]
//	rediss://...   (the same, over TLS)
//
// The user and password are those of an ACL user (Redis 6) or, with no
// user, of requirepass; WithUsername and WithPassword replace them. The
// URL's options are go-redis's (redis.ParseURL: dial_timeout,
// read_timeout, pool_size, ...). Open does not connect: a Redis that is
// down at start leaves the Store down until it answers, and the cache
// works without it meanwhile. Ping tries it at once.
func Open(rawURL string, opts ...Option) (*Store, error) {
	s, err := newSettings(opts)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, password and all: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("%w: scheme %q (want redis or rediss)", ErrURL, u.Scheme)
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURL, redact(err.Error(), u))
	}
	if s.username != nil {
		o.Username = *s.username
	}
	if s.password != nil {
		o.Password = *s.password
	}
	if s.tls != nil {
		cfg := s.tls.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(o.Addr)
		}
		o.TLSConfig = cfg
	}
	if o.TLSConfig != nil && o.TLSConfig.MinVersion == 0 {
		o.TLSConfig.MinVersion = tls.VersionTLS12
	}
	configure(o, s, u.Query())
	st := &Store{client: redis.NewClient(o), s: s, log: s.logger, circuit: newCircuit(s.circuit, s.now)}
	return st, nil
}

// redact removes the URL's password from msg.
func redact(msg string, u *url.URL) string {
	if p, ok := u.User.Password(); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return msg
}

// configure sets what the Store needs of the client: short timeouts
// (unless the URL or an option set them), little retrying (the circuit
// stands in for it), the caller's deadlines honoured, and none of the
// handshake extras an older or compatible server may refuse.
func configure(o *redis.Options, s settings, q url.Values) {
	if s.dialTimeout > 0 {
		o.DialTimeout = s.dialTimeout
	} else if !q.Has("dial_timeout") {
		o.DialTimeout = DefaultDialTimeout
	}
	if s.ioTimeout > 0 {
		o.ReadTimeout, o.WriteTimeout = s.ioTimeout, s.ioTimeout
	} else {
		if !q.Has("read_timeout") {
			o.ReadTimeout = DefaultIOTimeout
		}
		if !q.Has("write_timeout") {
			o.WriteTimeout = DefaultIOTimeout
		}
	}
	if !q.Has("max_retries") {
		// One retry, on a fresh connection: a pooled connection may have
		// died with a Redis restart while Redis itself is back.
		o.MaxRetries = 1
	}
	if !q.Has("pool_timeout") {
		o.PoolTimeout = o.ReadTimeout + o.DialTimeout
	}
	if !q.Has("protocol") {
		o.Protocol = 2
	}
	o.DialerRetries = 1
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// Name returns "redis", the name of the tier in cache.Stats.Tiers and
// cache.Event.Tier.
func (s *Store) Name() string { return "redis" }

// Close closes the connections to Redis.
func (s *Store) Close() error { return s.client.Close() }

// Ping asks Redis whether it answers, whatever the Store's state, and
// records the outcome: a Store that was down and gets an answer is up
// again. A program can call it at start, to report a misconfigured Redis
// at once, or from a health check.
func (s *Store) Ping(ctx context.Context) error {
	err := s.client.Ping(ctx).Err()
	s.report(ctx, "ping", err)
	if err != nil {
		return fmt.Errorf("rediscache: ping: %w", err)
	}
	return nil
}

// The kinds of key, after the prefix.
const (
	kindEntry = "e:"
	kindIndex = "a:"
	kindLock  = "l:"
)

// appendAttendee appends the attendee with every byte but letters,
// digits and ".@_+-" written as %XX, so that a key is printable and its
// parts (separated by ':') cannot run into each other.
func appendAttendee(b []byte, a string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '@', c == '_', c == '+', c == '-':
			b = append(b, c)
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

// keyText returns the Redis key of kind (kindEntry or kindLock) for k:
// prefix, kind, attendee, detail level, day number.
func (s *Store) keyText(kind string, k cache.Key) string {
	return string(s.appendKey(nil, kind, k))
}

func (s *Store) appendKey(b []byte, kind string, k cache.Key) []byte {
	b = append(b, s.s.prefix...)
	b = append(b, kind...)
	b = appendAttendee(b, k.Attendee)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(k.Detail), 10)
	b = append(b, ':')
	return strconv.AppendInt(b, k.Day, 10)
}

// keyTexts returns the Redis keys of kind for keys, cut from one string:
// a query of 100 attendees over a week has 800 keys.
func (s *Store) keyTexts(kind string, keys []cache.Key) []string {
	n := 0
	for _, k := range keys {
		n += len(s.s.prefix) + len(kind) + len(k.Attendee) + 16 // separators and numbers
	}
	b := make([]byte, 0, n)
	ends := make([]int, len(keys))
	for i, k := range keys {
		b = s.appendKey(b, kind, k)
		ends[i] = len(b)
	}
	all := string(b)
	out := make([]string, len(keys))
	start := 0
	for i, end := range ends {
		out[i] = all[start:end]
		start = end
	}
	return out
}

// indexKey returns the key of the set of an attendee's entry keys.
func (s *Store) indexKey(attendee string) string {
	b := make([]byte, 0, len(s.s.prefix)+len(kindIndex)+len(attendee))
	b = append(append(b, s.s.prefix...), kindIndex...)
	return string(appendAttendee(b, attendee))
}

// Get implements cache.Store with one MGET. A value that does not decode
// is a miss (counted in Counters.DecodeErrors).
func (s *Store) Get(ctx context.Context, keys []cache.Key, entries []cache.Entry, found []bool) error {
	clear(found)
	if len(keys) == 0 {
		return nil
	}
	texts := s.keyTexts(kindEntry, keys)
	var vals []any
	err := s.do(ctx, "get", func(ctx context.Context) error {
		var err error
		vals, err = s.client.MGet(ctx, texts...).Result()
		return err
	})
	if err != nil {
		return err
	}
	var hits uint64
	for i, v := range vals {
		str, ok := v.(string)
		if !ok || i >= len(keys) {
			continue
		}
		e, err := cache.DecodeEntry([]byte(str))
		if err != nil {
			s.n.decodeErrors.Add(1)
			s.log.Debug("rediscache: entry does not decode; treated as a miss", zap.Error(err))
			continue
		}
		entries[i], found[i] = e, true
		hits++
	}
	s.n.hits.Add(hits)
	s.n.misses.Add(uint64(len(keys)) - hits)
	return nil
}

// indexScript adds entry keys to attendees' index sets and makes each set
// live at least as long as the entries added. KEYS are the index sets;
// ARGV holds, for each, the lifetime in milliseconds, the number of
// members, and the members. A plain PEXPIRE could shorten the set's life
// below that of entries written earlier, and "PEXPIRE ... GT" needs
// Redis 7.
var indexScript = redis.NewScript(`
local a = 1
for _, idx in ipairs(KEYS) do
	local keep = tonumber(ARGV[a])
	local n = tonumber(ARGV[a + 1])
	for m = a + 2, a + 1 + n do
		redis.call('SADD', idx, ARGV[m])
	end
	if redis.call('PTTL', idx) < keep then
		redis.call('PEXPIRE', idx, keep)
	end
	a = a + 2 + n
end
return #KEYS
`)

// Set implements cache.Store: in one pipeline, SET ... PX for each item
// (DEL for an item without Keep) and the update of the attendees' index
// sets that Delete reads.
func (s *Store) Set(ctx context.Context, items []cache.Item) error {
	if len(items) == 0 {
		return nil
	}
	type index struct {
		keep    int64
		members []string
	}
	var order []string
	idx := map[string]*index{}
	pipe := s.client.Pipeline()
	var buf []byte
	for _, it := range items {
		key := s.keyText(kindEntry, it.Key)
		if it.Keep <= 0 {
			pipe.Del(ctx, key)
			continue
		}
		buf = cache.AppendEntry(buf[:0], it.Entry)
		ms := max(int64((it.Keep+time.Millisecond-1)/time.Millisecond), 1)
		pipe.Do(ctx, "set", key, string(buf), "px", ms)
		x, ok := idx[it.Key.Attendee]
		if !ok {
			x = &index{}
			idx[it.Key.Attendee] = x
			order = append(order, it.Key.Attendee)
		}
		x.keep = max(x.keep, ms)
		x.members = append(x.members, key)
	}
	var ikeys []string
	var iargs []any
	for _, a := range order {
		x := idx[a]
		ikeys = append(ikeys, s.indexKey(a))
		iargs = append(iargs, x.keep, len(x.members))
		for _, m := range x.members {
			iargs = append(iargs, m)
		}
	}
	var script *redis.Cmd
	if len(ikeys) > 0 {
		script = indexScript.EvalSha(ctx, pipe, ikeys, iargs...)
	}
	return s.do(ctx, "set", func(ctx context.Context) error {
		cmds, err := pipe.Exec(ctx)
		if script == nil || !redis.HasErrorPrefix(script.Err(), "NOSCRIPT") {
			return err
		}
		// Redis restarted, or flushed its scripts: the entries are
		// written; send the script itself (Run does) for the index.
		for _, c := range cmds {
			if c != script && c.Err() != nil {
				return c.Err()
			}
		}
		return indexScript.Run(ctx, s.client, ikeys, iargs...).Err()
	})
}

// Delete implements cache.Store: it reads the attendee's index set and
// removes the entries it names, and the set. An index set per attendee
// costs a SADD per write and makes Delete touch only that attendee's
// keys; the alternative, SCAN with a pattern, walks the whole keyspace on
// every invalidation, which a change-notification hook may call often.
func (s *Store) Delete(ctx context.Context, attendee string) error {
	ix := s.indexKey(attendee)
	return s.do(ctx, "delete", func(ctx context.Context) error {
		members, err := s.client.SMembers(ctx, ix).Result()
		if err != nil {
			return err
		}
		return s.unlink(ctx, append(members, ix))
	})
}

// unlink removes keys in batches.
func (s *Store) unlink(ctx context.Context, keys []string) error {
	const batch = 1000
	for len(keys) > 0 {
		n := min(len(keys), batch)
		if err := s.client.Unlink(ctx, keys[:n]...).Err(); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// Clear implements cache.Store: it removes every key under the prefix
// (entries, index sets, locks), found with SCAN. It walks the keyspace
// and is meant for an operator's "flush", not for every query.
func (s *Store) Clear(ctx context.Context) error {
	match := globEscape(s.s.prefix) + "*"
	return s.do(ctx, "clear", func(ctx context.Context) error {
		var cursor uint64
		for {
			keys, next, err := s.client.Scan(ctx, cursor, match, 1000).Result()
			if err != nil {
				return err
			}
			if err := s.unlink(ctx, keys); err != nil {
				return err
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	})
}

// globEscape escapes the characters SCAN's MATCH treats as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '*', '?', '[', ']', '\\', '^', '-':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
