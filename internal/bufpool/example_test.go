package bufpool_test

import (
	"fmt"

	"github.com/calbridge/calbridge/internal/bufpool"
)

// A handler recycles the buffer it writes each answer into. Whatever
// goroutine gives the buffer back, the next request, on any goroutine,
// gets that same buffer and does not grow a new one.
func Example() {
	answers := &bufpool.Pool[*[]byte]{
		New:  func() *[]byte { return new([]byte) },
		Size: func(b *[]byte) int { return cap(*b) },
	}

	b := answers.Get()
	*b = append(*b, make([]byte, 100<<10)...) // an answer of 100 KB
	first := *b
	*b = (*b)[:0] // emptied by the caller before it goes back
	done := make(chan struct{})
	go func() { // another goroutine gives it back
		answers.Put(b)
		close(done)
	}()
	<-done

	next := answers.Get()
	fmt.Println(cap(*next) >= 100<<10, &(*next)[:1][0] == &first[0])
	// Output: true true
}
