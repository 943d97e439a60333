//go:build !linux

package linktest

import "time"

// ProcessCPU is unavailable here: it returns 0, and benchmarks report 0
// cpu-ns/op.
func ProcessCPU() time.Duration { return 0 }
