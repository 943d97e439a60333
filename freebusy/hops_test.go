package freebusy

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHops(t *testing.T) {
	ctx := context.Background()
	assert.Equal(t, 0, Hops(ctx), "no hops recorded")
	ctx2 := WithHops(ctx, 2)
	assert.Equal(t, 2, Hops(ctx2))
	assert.Equal(t, 0, Hops(ctx), "the parent is unchanged")
	assert.Equal(t, 3, Hops(WithHops(ctx2, Hops(ctx2)+1)), "the innermost count wins")
	assert.Equal(t, 0, Hops(WithHops(ctx, -5)), "negative counts record 0")
	type otherKey struct{}
	assert.Equal(t, 2, Hops(context.WithValue(ctx2, otherKey{}, 9)), "other values do not disturb it")
}

func ExampleWithHops() {
	// A gateway passes one more hop than it received to the Sources it asks.
	ctx := WithHops(context.Background(), 1)
	next := WithHops(ctx, Hops(ctx)+1)
	fmt.Println(Hops(context.Background()), Hops(ctx), Hops(next))
	// Output:
	// 0 1 2
}
