package jsonguard_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/calbridge/calbridge/internal/jsonguard"
)

// A body of a hundred thousand '[' is refused after the first 33, before a
// decoder allocates anything; brackets inside strings do not count.
func ExampleCheck() {
	lim := jsonguard.Limits{MaxDepth: 32, MaxElements: 1000}
	deep := `{"schedules":` + strings.Repeat("[", 100_000)
	err := jsonguard.Check([]byte(deep), lim)
	fmt.Println(errors.Is(err, jsonguard.ErrTooDeep), err)

	fmt.Println(jsonguard.Check([]byte(`{"subject":"[[[[ not nesting ]]]]","n":[1,2,3]}`), jsonguard.Limits{MaxDepth: 2, MaxElements: 5}))
	// Output:
	// true jsonguard: JSON nested too deeply (limit 32, at byte 44)
	// <nil>
}

// A Scanner behind io.TeeReader stops reading a body at the first excess:
// of a megabyte of '[', only the first read is consumed.
func ExampleScanner() {
	body := strings.NewReader(strings.Repeat("[", 1<<20))
	sc := jsonguard.Scanner{Limits: jsonguard.Limits{MaxDepth: 32}}
	_, err := io.ReadAll(io.TeeReader(body, &sc))
	fmt.Println(errors.Is(err, jsonguard.ErrTooDeep), body.Len() > 1<<19)
	// Output:
	// true true
}
