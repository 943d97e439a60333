// Command gateway is the Notes <-> Exchange free/busy gateway an operator
// runs: today on embedded demo data with no Domino or Exchange at hand,
// tomorrow pointed at real ones through -config.
//
//	go run ./examples/gateway                     # both halves, one process
//	go run ./examples/gateway -role exchange      # the Exchange half: HTTP and RPC
//	go run ./examples/gateway -role notes -http 127.0.0.1:8081  # the Notes half, dials -rpc
//
// A gateway has two halves, as the Exchange Calendar Connector had. The
// Notes half answers about Notes users (from Notes calendar exports, a
// calendar set on disk, or Domino Access Services); the Exchange half about
// Exchange users (from a stand-in Exchange server on loopback, EWS with
// Basic or NTLM authentication, Microsoft Graph with OAuth2 client
// credentials, or public-folder free/busy messages on disk). The Notes half asks the Exchange half over the reconnect-safe
// RPC link (package transport); with -role both, both halves run in one
// process and each asks the other over RPC on loopback. Every front door
// resolves attendees through a directory (Notes names, SMTP addresses,
// legacyExchangeDNs) and routes each to its side:
//
//	/api/freebusy/...          Domino Access Services (Notes-side tools)
//	/EWS/Exchange.asmx         EWS GetUserAvailability (Exchange's availability service)
//	/autodiscover/...          Autodiscover, POX and SOAP
//	/freebusy/{address}.vfb    VFREEBUSY (RFC 5545)
//	/healthz                   200 only when the halves can answer
//	/metrics                   Prometheus
//	/                          status page: links, cache, an availability grid
//
// It runs until SIGINT or SIGTERM and then shuts down gracefully. It listens
// on loopback unless configured otherwise; the configuration file (Config)
// adds HTTP basic or bearer authentication, TLS for HTTP, and the RPC link's
// token and TLS or mutual TLS. Secrets are read from environment variables
// that the file names.
//
// The go command builds it with profile-guided optimization from
// default.pgo in this directory: a CPU profile of the EWS answer path
// (BenchmarkGatewayEWS100x7d) and the DAS path through both halves
// (BenchmarkGatewayNotesToExchange100, cache cold and warm), merged.
// pgo.sh regenerates it after a change to those paths.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // the demo's zones, wherever it runs

	"go.uber.org/zap"
)

const (
	defaultHTTP = "127.0.0.1:8080"
	defaultRPC  = "127.0.0.1:7400"
)

// options are what main passes to run.
type options struct {
	// httpFlag and rpcFlag are -http and -rpc when given; they override
	// the configuration file.
	httpFlag, rpcFlag string
	role              role
	cfg               Config
	log               *zap.Logger
	// now gives the demo week; time.Now in the program.
	now func() time.Time
	// ready, if set, is called once the gateway listens and has printed
	// what it prints at start.
	ready func(bound)
	// quiet leaves out the grid at start.
	quiet bool
}

func main() {
	fs := flag.NewFlagSet("gateway", flag.ExitOnError)
	httpAddr := fs.String("http", defaultHTTP, "HTTP listen address of the front doors")
	rpcAddr := fs.String("rpc", defaultRPC, "RPC address: where -role exchange (or both) listens and -role notes dials")
	roleName := fs.String("role", "both", "halves to run: both, notes or exchange")
	configFile := fs.String("config", "", "JSON configuration file (directory, backends, cache, TLS, auth, listen addresses)")
	verbose := fs.Bool("v", false, "log every query (counts and durations only)")
	_ = fs.Parse(os.Args[1:])
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	r, err := parseRole(*roleName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cfg, err := loadConfig(*configFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(zap.WarnLevel)
	if *verbose {
		zc.Level = zap.NewAtomicLevelAt(zap.InfoLevel)
	}
	log, err := zc.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
	quietRedis()
	o := options{role: r, cfg: cfg, log: log, now: time.Now}
	if set["http"] || cfg.HTTP.Listen == "" {
		o.httpFlag = *httpAddr
	}
	if set["rpc"] {
		o.rpcFlag = *rpcAddr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, o, os.Stdout)
	stop()
	_ = log.Sync()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run starts the gateway, prints its URLs and the demo grid, serves until
// ctx ends or a server fails, and then shuts down gracefully (at most 10 s
// for requests and calls in flight).
func run(ctx context.Context, o options, w io.Writer) error {
	if o.log == nil {
		o.log = zap.NewNop()
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.role == "" {
		o.role = roleBoth
	}
	if err := o.cfg.validate(); err != nil {
		return err
	}
	g, err := start(o)
	if err != nil {
		return err
	}
	b := g.bound()
	printBanner(w, g, b)
	if !o.quiet {
		gctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		fmt.Fprintf(w, "\nA cross-system query through the %s half (%s):\n", g.halves[0].side, "Notes names, SMTP addresses and a legacyExchangeDN")
		printGrid(w, demoGrid(gctx, g.doors.das, g.dir, g.week))
		cancel()
	}
	if o.ready != nil {
		o.ready(b)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-g.errs:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(runErr, g.close(sctx))
}

// printBanner prints where everything is, with a curl command per door.
func printBanner(w io.Writer, g *gateway, b bound) {
	fmt.Fprintf(w, "calbridge gateway, role %s\n", g.role)
	fmt.Fprintf(w, "listening: http %s rpc %s\n", b.HTTP, firstNonEmpty(b.RPC, "-"))
	for _, h := range g.halves {
		line := fmt.Sprintf("  %-8s half: backend %s", h.side, h.backend.label)
		if h.rpcAddr != "" {
			line += ", serves RPC on " + h.rpcAddr
		}
		if h.link != nil {
			line += ", asks the " + h.other().String() + " half at " + h.link.Stats().Addr
		}
		fmt.Fprintln(w, line)
	}
	u := b.URL
	fmt.Fprintf(w, "status page  %s/\n", u)
	fmt.Fprintf(w, "DAS          %s/api/freebusy/busytime?name=grace.hopper@exchange.acme.example\n", u)
	fmt.Fprintf(w, "EWS          %s/EWS/Exchange.asmx (POST GetUserAvailability)\n", u)
	fmt.Fprintf(w, "Autodiscover %s/autodiscover/autodiscover.xml and .svc\n", u)
	fmt.Fprintf(w, "VFREEBUSY    %s/freebusy/ada.lovelace@notes.acme.example.vfb\n", u)
	fmt.Fprintf(w, "health       %s/healthz\n", u)
	fmt.Fprintf(w, "metrics      %s/metrics\n", u)
}
