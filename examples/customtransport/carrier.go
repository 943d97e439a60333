package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/calbridge/calbridge/freebusy"
)

// The carrier: free/busy queries over plain HTTP, one POST per query, the
// freebusy.Query as the JSON body and the []freebusy.Schedule as the JSON
// answer. freebusy's types carry their own JSON forms (reasons, as-of times,
// stale flags and all), so a transport needs no codec of its own: it only
// has to move bytes and to say, per the freebusy.Source contract, when it
// could not move them.

// maxAnswerBytes bounds what the client reads: a carrier must not let a
// broken peer exhaust its memory. 100 attendees over two months at fine
// detail stay far below it.
const maxAnswerBytes = 32 << 20

// httpCarrier is the calling half of the custom transport. It is a
// freebusy.Source, so everything in calbridge that takes a Source (the EWS,
// Graph and DAS handlers, the router, the cache) runs over it unchanged.
type httpCarrier struct {
	url    string
	client *http.Client
}

// FreeBusy asks the far half. It keeps the Source contract:
//   - a query the far half refuses as invalid comes back as that
//     *freebusy.QueryError's reason, ReasonInvalid;
//   - a far half that cannot be reached, or answers garbage, is one
//     *freebusy.Error with ReasonUnavailable for the whole batch, and the
//     caller (a handler) turns it into a per-attendee reason: a gateway
//     never answers a blank;
//   - the answer is checked with freebusy.CheckResult, so a far half that
//     returns schedules out of order or for other people is caught here.
func (c *httpCarrier) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, freebusy.NewError("", freebusy.ReasonInvalid, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	if len(data) > maxAnswerBytes {
		return nil, freebusy.NewError("", freebusy.ReasonUnavailable, errors.New("customtransport: answer too large"))
	}
	if resp.StatusCode != http.StatusOK {
		var e freebusy.Error
		if json.Unmarshal(data, &e) == nil && e.Reason != freebusy.ReasonNone {
			return nil, &e
		}
		return nil, freebusy.NewError("", freebusy.ReasonUnavailable, fmt.Errorf("customtransport: far half answered %s", resp.Status))
	}
	var schedules []freebusy.Schedule
	if err := json.Unmarshal(data, &schedules); err != nil {
		return nil, freebusy.NewError("", freebusy.ReasonUnavailable, fmt.Errorf("customtransport: bad answer: %w", err))
	}
	if err := freebusy.CheckResult(q, schedules); err != nil {
		return nil, freebusy.NewError("", freebusy.ReasonUnavailable, err)
	}
	return schedules, nil
}

// unavailable classifies a failed exchange: the caller's own deadline is a
// timeout, anything else means the far half is out of reach.
func unavailable(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return freebusy.NewError("", freebusy.ReasonTimeout, ctx.Err())
	}
	return freebusy.NewError("", freebusy.ReasonUnavailable, err)
}

// serveCarrier is the answering half: it decodes a query, asks src, and
// writes the schedules. A whole-batch failure is written as the
// *freebusy.Error's JSON with a non-200 status, which the client reads
// back with its reason intact.
func serveCarrier(src freebusy.Source) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a freebusy.Query", http.StatusMethodNotAllowed)
			return
		}
		var q freebusy.Query
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&q); err != nil {
			writeError(w, http.StatusBadRequest, freebusy.NewError("", freebusy.ReasonInvalid, err))
			return
		}
		schedules, err := src.FreeBusy(r.Context(), q)
		if err != nil {
			var fe *freebusy.Error
			if !errors.As(err, &fe) {
				fe = freebusy.NewError("", freebusy.ReasonOf(err), err)
			}
			writeError(w, http.StatusServiceUnavailable, fe)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(schedules)
	})
}

func writeError(w http.ResponseWriter, code int, e *freebusy.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(e)
}
