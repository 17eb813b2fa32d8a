// Joinall-serve starts one of the serving experiment's servers (package
// server) by hand, on loopback, so that other tools can load it: gosiege,
// siege, wrk. It prints the server's URL on stdout, a line of its own, and
// serves until Ctrl-C, then shuts down gracefully.
//
// Usage:
//
//	joinall-serve [-server serial|pool|goroutine] [-work hello|io|cpu] [-addr 127.0.0.1:0]
//
// For example, the goroutine server with the io workload (a 10 ms wait), and
// siege and gosiege side by side against it:
//
//	go run ./cmd/joinall-serve -server goroutine -work io -addr 127.0.0.1:8080
//	siege -b -c 50 -t 10S http://127.0.0.1:8080/
//	go run ./cmd/gosiege -c 50 -t 10S http://127.0.0.1:8080/
//
// cmd/gosiege/sidebyside.sh sets gosiege beside wrk and siege in one go.
// The tests:
//
//	go test ./cmd/joinall-serve
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/joinall/joinall/internal/cli"
	"github.com/joinall/joinall/internal/loopback"
	"github.com/joinall/joinall/server"
)

// shutdownGrace bounds how long a stop waits for the requests in flight.
const shutdownGrace = 5 * time.Second

const usage = `Usage: joinall-serve [flags]

Serves one of the serving experiment's servers on loopback, prints its URL
on stdout, and serves until Ctrl-C.

  -server S    serial: one connection at a time (Flask's app.run());
               pool: -workers workers behind a bounded queue, as threads
               are deployed; goroutine: a goroutine per connection (as
               app.run(threaded=True) starts a thread, and gevent's
               WSGIServer a greenlet) (default goroutine)
  -work W      hello: answer "hello world" at once; io: wait -wait first,
               as for a database; cpu: hash for about 10 ms first
               (default hello)
  -addr A      where to listen: a loopback address and port, port 0 for a
               free one (default 127.0.0.1:0)
  -workers N   the pool's workers (default 10, as the benchmarks')
  -wait D      the io workload's wait (default 10ms, as the benchmarks')

Exit status: 0 once stopped by Ctrl-C; 2 for a bad flag (one line on
stderr says which); 1 when the server fails to start or to stop.
`

// options is one invocation of joinall-serve, parsed and checked.
type options struct {
	server     server.Shape
	work, addr string
	workers    int
	wait       time.Duration
}

var works = []string{"hello", "io", "cpu"}

func main() { cli.Main("joinall-serve", run) }

// run serves as args say until ctx ends. The URL goes to stdout once the
// server listens; everything else to stderr. A bad flag is a
// cli.UsageError.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if err != nil {
		return cli.Usage(err)
	}
	s, err := start(opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "joinall-serve: %s server, %s workload; Ctrl-C stops it\n", s.Name(), opts.work)
	fmt.Fprintln(stdout, s.URL()+"/")

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// newFlagSet defines joinall-serve's flags on o, with their defaults.
func newFlagSet(o *options) *flag.FlagSet {
	*o = options{server: server.Goroutine, work: "hello", addr: "127.0.0.1:0", workers: server.DefaultWorkers, wait: server.IOWait}
	fs := flag.NewFlagSet("joinall-serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed on one line by run
	fs.Usage = func() {}
	fs.Func("server", "serial, pool or goroutine", func(v string) error {
		o.server = server.Shape(v) // parseArgs checks it
		return nil
	})
	fs.StringVar(&o.work, "work", o.work, "hello, io or cpu")
	fs.StringVar(&o.addr, "addr", o.addr, "loopback address to listen on")
	fs.IntVar(&o.workers, "workers", o.workers, "the pool's workers")
	fs.DurationVar(&o.wait, "wait", o.wait, "the io workload's wait")
	return fs
}

// parseArgs parses joinall-serve's flags and checks them. It returns
// flag.ErrHelp for -h.
func parseArgs(args []string) (options, error) {
	var o options
	fs := newFlagSet(&o)
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	switch {
	case fs.NArg() > 0:
		return options{}, fmt.Errorf("unexpected argument %q: joinall-serve takes flags only", fs.Arg(0))
	case !slices.Contains(works, o.work):
		return options{}, fmt.Errorf("-work %q: want one of %s", o.work, strings.Join(works, ", "))
	case o.workers < 1:
		return options{}, fmt.Errorf("-workers %d: need at least 1", o.workers)
	case o.wait <= 0:
		return options{}, fmt.Errorf("-wait %v: must be positive", o.wait)
	}
	if _, err := server.ParseShape(string(o.server)); err != nil {
		return options{}, fmt.Errorf("-%w", err) // "-server "x": want one of ..."
	}
	if err := checkAddr(o.addr); err != nil {
		return options{}, err
	}
	return o, nil
}

// checkAddr accepts only a loopback IP literal or localhost, with a port:
// the experiment's servers are for this machine, and an empty host
// (":8080") would listen on every interface.
func checkAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !loopback.Is(a) {
		return fmt.Errorf("-addr %q: want a loopback address (127.0.0.0/8, ::1, localhost) and a port", addr)
	}
	return nil
}

// start starts the server opts describe.
func start(o options) (*server.Server, error) {
	var h http.Handler
	switch o.work {
	case "hello":
		h = server.Hello()
	case "io":
		h = server.IO(o.wait)
	case "cpu":
		h = server.CPU(server.CPURounds)
	}
	opts := []server.Option{server.Addr(o.addr)}
	if o.server == server.Pool {
		opts = append(opts, server.Workers(o.workers))
	}
	s, err := server.New(o.server, h, opts...)
	if err != nil {
		return nil, err
	}
	// localhost is a name: make sure that it named loopback here.
	if ap, perr := netip.ParseAddrPort(s.Addr().String()); perr != nil || !loopback.Is(ap.Addr()) {
		return nil, errors.Join(fmt.Errorf("listening on %s, outside loopback", s.Addr()), s.Close())
	}
	return s, nil
}
