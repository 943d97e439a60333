// Command chaos is calbridge's soak test (docs/reconnect.md §9,
// T18, in small): it runs a calbridge server behind a fault-injecting
// proxy on loopback, keeps clients calling it, and for the given duration
// restarts the server, kills it, black-holes the link and silently drops
// the live connections in a seeded random loop. It then reports how the clients fared:
//
//	go run ./examples/chaos -duration 30s -clients 16 -seed 7
//
// The figures: calls made; failures while a fault was in force or the
// clients were recovering from it; failures after every client had
// recovered (must be 0); time to detect a fault (from injection to the
// client leaving Ready) and time to recover (from healing to the first
// successful call), p50 and p99; the longest call against its deadline;
// goroutines at start and end. It exits 1 when a call failed after
// healing, a client did not recover within the bound, or goroutines
// leaked; 2 on a setup error.
//
// All traffic stays on 127.0.0.1 and stops by itself at the deadline (or
// on interrupt).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	cfg := DefaultConfig()
	flag.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to inject faults")
	flag.IntVar(&cfg.Clients, "clients", cfg.Clients, "number of clients, each with its own connection")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the fault schedule")
	flag.DurationVar(&cfg.CallDeadline, "deadline", cfg.CallDeadline, "deadline of each call")
	faults := flag.String("faults", "restart,kill,blackhole,drop", "comma-separated faults to inject")
	flag.Parse()
	cfg.Kinds = strings.Split(*faults, ",")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(mainStatus(ctx, cfg, os.Stdout, os.Stderr))
}

// mainStatus runs the soak and returns the process exit status.
func mainStatus(ctx context.Context, cfg Config, stdout, stderr io.Writer) int {
	rep, err := run(ctx, cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "chaos:", err)
		return 2
	}
	if problems := rep.Problems(); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "chaos: FAIL:", p)
		}
		return 1
	}
	fmt.Fprintln(stdout, "chaos: PASS")
	return 0
}

// DefaultConfig is the configuration the flags start from.
func DefaultConfig() Config {
	return Config{
		Duration:     10 * time.Second,
		Clients:      8,
		Seed:         1,
		CallDeadline: 500 * time.Millisecond,
	}
}
