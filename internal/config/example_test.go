package config_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/internal/config"
)

// A side package's With* functions call the setters; the constructor
// returns Err, so a bad option fails at once and names itself.
func ExampleCommon() {
	c := config.Defaults()
	c.SetCallTimeout("ews", 5*time.Second)
	c.SetConcurrency("ews", 0)
	fmt.Println(c.Err())
	fmt.Println(errors.Is(c.Err(), config.ErrInvalidOption))

	ctx, cancel := c.BoundCall(context.Background())
	defer cancel()
	_, bounded := ctx.Deadline()
	fmt.Println("bounded:", bounded)
	// Output:
	// ews: WithConcurrency: 0 is below 1: invalid option
	// true
	// bounded: true
}
