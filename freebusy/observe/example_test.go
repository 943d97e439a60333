package observe_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/observe"
)

// A backend wrapped by Instrument logs one line per query, with counts and
// outcomes but no names at Info level.
func ExampleInstrument() {
	backend := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		return []freebusy.Schedule{
			{Attendee: q.Attendees[0], Start: q.Start, End: q.End},
			freebusy.Failed(q.Attendees[1], q.Start, q.End, freebusy.ReasonUnknownAttendee, nil),
		}, nil
	})
	// A logger writing to stdout without timestamps, for the example.
	enc := zapcore.NewConsoleEncoder(zapcore.EncoderConfig{MessageKey: "msg", LevelKey: "level", EncodeLevel: zapcore.LowercaseLevelEncoder, EncodeDuration: zapcore.StringDurationEncoder})
	log := zap.New(zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(stdout{})), zap.InfoLevel))

	src, err := observe.Instrument(backend, "exchange", observe.WithLogger(log), observe.WithClock(stepClock(120*time.Millisecond)))
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	_, err = src.FreeBusy(context.Background(), freebusy.Query{
		Attendees: []string{"grace.hopper@exchange.acme.example", "nobody@exchange.acme.example"},
		Start:     start, End: start.Add(24 * time.Hour),
	})
	fmt.Println(err)
	// Output:
	// info	free/busy query	{"source": "exchange", "attendees": 2, "window": "24h0m0s", "detail": "status", "duration": "120ms", "outcomes": {"none": 1, "unknown-attendee": 1}, "stale": 0}
	// <nil>
}

// stdout writes to fmt's standard output, which Example functions check.
type stdout struct{}

func (stdout) Write(p []byte) (int, error) { return fmt.Print(string(p)) }

// Components report their state; the Health answers /healthz.
func ExampleHealth() {
	h := observe.NewHealth(observe.WithClock(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }))
	link, err := h.Register("rpc")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The program feeds the transport's state changes in.
	link.Update(false, "transient-failure", errors.New("dial tcp 127.0.0.1:7400: connection refused"))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	fmt.Print(w.Code, " ", w.Body.String())

	link.Update(true, "ready", nil)
	fmt.Println("ready:", h.Summary().Ready)
	// Output:
	// 503 {"ready":false,"components":[{"name":"rpc","ready":false,"state":"transient-failure","since":"2026-03-02T09:00:00Z","lastError":"dial tcp 127.0.0.1:7400: connection refused","lastErrorAt":"2026-03-02T09:00:00Z"}]}
	// ready: true
}
