// Package fanout runs the independent requests of one free/busy query with
// bounded concurrency, under one rule for a context that ends: what has not
// started by then never starts, and it fails with the same classified error
// everywhere (Err).
package fanout

import (
	"context"
	"sync"

	"github.com/calbridge/calbridge/freebusy"
)

// Run calls do(i) for every i in [0, n), at most limit calls at a time
// (limit below 1 means 1), and returns when every call it started has
// returned. Once ctx has ended no further call starts: for each index never
// started, Run calls skip(i, Err(ctx)) instead, from Run's own goroutine.
// Calls already running must watch ctx themselves.
func Run(ctx context.Context, n, limit int, do func(i int), skip func(i int, err *freebusy.Error)) {
	limit = max(limit, 1)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		if ctx.Err() == nil {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			skip(i, Err(ctx))
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			do(i)
		}()
	}
	wg.Wait()
}

// Err classifies an ended context the one way every client of the module
// does: freebusy.ReasonTimeout when its deadline passed,
// freebusy.ReasonUnavailable when it was cancelled. It returns nil while
// ctx is live.
func Err(ctx context.Context) *freebusy.Error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	return freebusy.NewError("", freebusy.ReasonOf(err), err)
}
