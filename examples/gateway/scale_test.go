package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/internal/redistest"
)

// scaleCallers is how many callers ask at once, each as a scheduling
// assistant: scaleAttendees of the hundred load-test users, for one week.
const (
	scaleCallers   = 200
	scaleAttendees = 20
)

// TestScaleOut is the scale test of several gateway instances: three
// Notes-role instances and two Exchange-role workers share one Redis (a
// real redis-server) and one NATS server; 200 callers ask overlapping
// EWS GetUserAvailability queries about 100 Exchange users through the
// instances, as behind a load balancer (a caller whose instance is gone
// tries the next, as a balancer would). It checks:
//
//   - while entries are fresh, the Exchange backends answer each attendee
//     and week exactly once between all workers, however many callers and
//     instances ask;
//   - with an instance and a worker killed mid-run, no query fails;
//   - with Redis stopped for ten seconds, no query fails (they get
//     slower), and the tier comes back.
//
// It logs the figures of each phase.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs five gateways, Redis and NATS")
	}
	quietRedis()
	rs := redistest.Start(t, redistest.Options{})
	ns := startNATS(t)
	cfg := Config{
		Cache:     CacheConfig{Redis: rs.URL()},
		Transport: TransportConfig{NATS: ns.ClientURL()},
		Exchange:  BackendConfig{LoadTestUsers: 100},
	}
	var instances, workers []*gateway
	for range 3 {
		instances = append(instances, startRole(t, roleNotes, cfg))
	}
	for range 2 {
		workers = append(workers, startRole(t, roleExchange, cfg))
	}
	users := loadTestUsers(100)
	tmpl, err := os.ReadFile("requests/getuseravailability.xml")
	require.NoError(t, err)
	lb := &balancer{instances: instances}
	backendAnswers := func() int {
		n := 0
		for _, w := range workers {
			n += int(w.metrics.sum("calbridge_outcomes_total", "source", "exchange-backend"))
		}
		return n
	}

	// Phase 1: fresh entries. Each caller asks one week, 0 or 1.
	asked := map[string]bool{}
	var queries []scaleQuery
	for c := range scaleCallers {
		rng := rand.New(rand.NewPCG(uint64(c), 7))
		q := scaleQuery{week: c % 2, attendees: pick(rng, users, scaleAttendees)}
		for _, a := range q.attendees {
			asked[fmt.Sprintf("%s/%d", a, q.week)] = true
		}
		queries = append(queries, q)
	}
	p1 := runScale(t, lb, string(tmpl), queries, nil)
	t.Logf("fresh: %s; backend answers %d for %d attendee-weeks asked", p1, backendAnswers(), len(asked))
	assert.Zero(t, p1.failed, "phase 1 failures")
	assert.Equal(t, len(asked), backendAnswers(), "one backend answer per attendee and week between all workers")
	before := backendAnswers()
	p1b := runScale(t, lb, string(tmpl), queries, nil)
	t.Logf("fresh again: %s", p1b)
	assert.Zero(t, p1b.failed)
	assert.Equal(t, before, backendAnswers(), "fresh entries: no backend call at all")

	// Phase 2: an instance and a worker killed mid-run, on weeks 2 and 3
	// (new to the caches, so the workers are busy when one dies).
	for i := range queries {
		queries[i].week += 2
	}
	// The first wave is under way when the two die; the second starts
	// after, so that it finds them gone.
	var once sync.Once
	p2 := runScale(t, lb, string(tmpl), queries[:scaleCallers/2], func(done int) {
		if done >= 10 {
			once.Do(func() {
				ctx, cancel := context.WithCancel(context.Background())
				cancel() // no grace: connections close under the callers
				_ = instances[0].close(ctx)
				_ = workers[0].close(ctx)
			})
		}
	})
	after := runScale(t, lb, string(tmpl), queries[scaleCallers/2:], nil)
	t.Logf("instance and worker killed: during %s; after %s", p2, after)
	assert.Zero(t, p2.failed+after.failed, "phase 2 failures")
	assert.Positive(t, after.lbRetries, "callers found the instance gone")

	// Phase 3: Redis down for ten seconds, with callers asking new weeks
	// all along.
	rs.Stop()
	stopped := time.Now()
	var p3 scaleFigures
	for week := 4; time.Since(stopped) < 10*time.Second; week++ {
		for i := range queries {
			queries[i].week = week + i%2
		}
		p3.add(runScale(t, lb, string(tmpl), queries, nil))
	}
	rs.Restart()
	t.Logf("redis down for %v: %s", time.Since(stopped).Round(time.Second), p3)
	assert.Zero(t, p3.failed, "phase 3 failures")
	p4 := runScale(t, lb, string(tmpl), queries, nil)
	t.Logf("redis back: %s", p4)
	assert.Zero(t, p4.failed)
}

// scaleQuery is one caller's question.
type scaleQuery struct {
	week      int
	attendees []string
}

// pick returns n of users, chosen by rng.
func pick(rng *rand.Rand, users []string, n int) []string {
	out := slices.Clone(users)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:n]
}

// balancer sends each request to the next instance in turn, and tries
// the others in order when an instance cannot be reached or drops the connection, as a
// load balancer in front of gateway instances would for these read-only
// queries.
type balancer struct {
	instances []*gateway
	next      atomic.Uint64
	retries   atomic.Int64
}

func (b *balancer) post(body string) (*http.Response, []byte, error) {
	var last error
	first := b.next.Add(1)
	for i := range uint64(len(b.instances)) {
		g := b.instances[(first+i)%uint64(len(b.instances))]
		resp, err := http.Post(g.bound().URL+"/EWS/Exchange.asmx", "text/xml; charset=utf-8", strings.NewReader(body))
		if err == nil {
			var data []byte
			data, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				return resp, data, nil
			}
		}
		last = err
		b.retries.Add(1)
	}
	return nil, nil, last
}

// scaleFigures are one phase's outcome.
type scaleFigures struct {
	queries, failed int
	lbRetries       int64
	latencies       []time.Duration
	elapsed         time.Duration
}

func (f *scaleFigures) add(o scaleFigures) {
	f.queries += o.queries
	f.failed += o.failed
	f.lbRetries += o.lbRetries
	f.latencies = append(f.latencies, o.latencies...)
	f.elapsed += o.elapsed
}

func (f scaleFigures) String() string {
	l := slices.Clone(f.latencies)
	slices.Sort(l)
	q := func(p float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[int(p*float64(len(l)-1))].Round(100 * time.Microsecond)
	}
	return fmt.Sprintf("%d queries in %v, %d failed, %d balancer retries, latency p50 %v p95 %v max %v",
		f.queries, f.elapsed.Round(time.Millisecond), f.failed, f.lbRetries, q(0.5), q(0.95), q(1))
}

// runScale runs every query at once, one caller each, and reports. progress,
// when set, is called after each answer with the number answered so far.
func runScale(t *testing.T, lb *balancer, tmpl string, queries []scaleQuery, progress func(done int)) scaleFigures {
	t.Helper()
	var (
		mu   sync.Mutex
		f    scaleFigures
		wg   sync.WaitGroup
		done atomic.Int64
	)
	retries0 := lb.retries.Load()
	start := time.Now()
	for _, q := range queries {
		wg.Go(func() {
			body := ewsQuery(tmpl, q)
			t0 := time.Now()
			resp, data, err := lb.post(body)
			took := time.Since(t0)
			failure := scaleFailure(q, resp, data, err)
			mu.Lock()
			f.queries++
			f.latencies = append(f.latencies, took)
			if failure != nil {
				f.failed++
				if f.failed <= 3 {
					t.Logf("failed query (week %d): %v", q.week, failure)
				}
			}
			mu.Unlock()
			if progress != nil {
				progress(int(done.Add(1)))
			}
		})
	}
	wg.Wait()
	f.elapsed = time.Since(start)
	f.lbRetries = lb.retries.Load() - retries0
	return f
}

// ewsQuery fills the README's request file with q's week and attendees.
func ewsQuery(tmpl string, q scaleQuery) string {
	var boxes strings.Builder
	for _, a := range q.attendees {
		fmt.Fprintf(&boxes, `<t:MailboxData><t:Email><t:Address>%s</t:Address><t:RoutingType>SMTP</t:RoutingType></t:Email><t:AttendeeType>Required</t:AttendeeType><t:ExcludeConflicts>false</t:ExcludeConflicts></t:MailboxData>`, a)
	}
	s := tmpl[:strings.Index(tmpl, "<m:MailboxDataArray>")] + "<m:MailboxDataArray>" + boxes.String() + tmpl[strings.Index(tmpl, "</m:MailboxDataArray>"):]
	return strings.NewReplacer("START", day(7*q.week).Format(time.DateOnly), "END", day(7*q.week+7).Format(time.DateOnly)).Replace(s)
}

// scaleFailure says what is wrong with an answer, or nil: every attendee
// must be answered with data.
func scaleFailure(q scaleQuery, resp *http.Response, data []byte, err error) error {
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, data)
	}
	ar, err := ews.DecodeAvailabilityResponse(strings.NewReader(string(data)))
	if err != nil {
		return err
	}
	if len(ar.Responses) != len(q.attendees) {
		return fmt.Errorf("%d answers for %d attendees", len(ar.Responses), len(q.attendees))
	}
	for i, r := range ar.Responses {
		if r.ResponseMessage.Class != ews.ClassSuccess {
			return fmt.Errorf("%s: %s %s", q.attendees[i], r.ResponseMessage.Code, r.ResponseMessage.MessageText)
		}
		if r.View.MergedFreeBusy == "" {
			return errors.New(q.attendees[i] + ": no merged view")
		}
	}
	return nil
}

// sum adds up the counter samples of family name whose label has value.
func (m *metrics) sum(name, label, value string) float64 {
	families, err := m.reg.Gather()
	if err != nil {
		return -1
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					total += s.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}
