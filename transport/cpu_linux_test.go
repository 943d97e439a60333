//go:build linux

package transport

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) this process has used,
// so benchmarks can report CPU per call, which a busy shared machine
// distorts far less than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
