// Gosiege loads one http or https URL the way siege does, with package
// load, and prints siege's report, then what siege does not give: response
// time percentiles and failures by kind.
//
// Usage:
//
//	gosiege [flags] URL
//
// For example, 50 users for 10 seconds, each with a new connection per
// transaction as siege makes them, then the same over 50 kept-alive
// connections as wrk makes them:
//
//	go run ./cmd/gosiege -c 50 -t 10S http://127.0.0.1:8080/
//	go run ./cmd/gosiege -c 50 -t 10s -keepalive http://127.0.0.1:8080/
//
// gosiege -h lists the flags, each with siege's default beside it. gosiege
// loads only loopback targets (127.0.0.0/8 and ::1) unless -allow-remote is
// given: a load tool should not be a denial-of-service tool by accident.
// Ctrl-C ends the run and prints the report of what completed so far.
//
// Its tests, and the golden files of its layouts:
//
//	go test ./cmd/gosiege
//	go test ./cmd/gosiege -run Golden -update   # rewrite testdata/
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/joinall/joinall/load"
)

// Exit statuses.
const (
	exitOK = 0
	// exitFailed: something went wrong that is not the user's input: the
	// report could not be written, or the run was interrupted before it
	// started.
	exitFailed = 1
	// exitUsage: a bad flag, a bad URL, a target outside loopback, or a
	// server that cannot be reached.
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C ends the run and prints the report; once it has
	// been caught, the signal's default comes back, so that a second one
	// ends the process even if something hangs.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is gosiege with its arguments (without the program's name) and its
// outputs; it returns the exit status. When ctx ends during the run, the
// run stops and the report covers what completed until then.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if err != nil {
		return fail(stderr, exitUsage, err)
	}

	// The target is checked before anything is sent, and every connection
	// is checked again as it is opened: a name that resolves differently
	// the second time, or a redirect to another host, must not take the
	// load outside loopback either.
	dial := loopbackDialer().DialContext
	if opts.allowRemote {
		dial = (&net.Dialer{}).DialContext
	} else if err := checkTarget(ctx, opts.target.Hostname(), net.DefaultResolver.LookupNetIP); err != nil {
		return fail(stderr, exitUsage, err)
	}

	// One connection before the users start: a server that is not there
	// is one clear line at once, not a report of thousands of refusals
	// after the whole duration.
	if err := preflight(ctx, dial, opts.target, opts.timeout); err != nil {
		if ctx.Err() != nil {
			return fail(stderr, exitFailed, errors.New("interrupted before the run started"))
		}
		return fail(stderr, exitUsage, fmt.Errorf("cannot reach %s: %w", opts.target, err))
	}

	fmt.Fprintf(stderr, "** gosiege: %s\n", opts.describe())
	rep, err := load.Run(ctx, load.Config{
		URL:         opts.target.String(),
		Users:       opts.users,
		Duration:    opts.duration,
		Reps:        opts.reps,
		KeepAlive:   opts.keepAlive,
		Timeout:     opts.timeout,
		DialContext: dial,
	})
	if rep == nil {
		// Only a configuration that parseArgs should have refused gets
		// here: load.Run returns a report with every error of a run.
		return fail(stderr, exitUsage, err)
	}
	if err := writeReport(stdout, rep, opts.json); err != nil {
		return fail(stderr, exitFailed, fmt.Errorf("write the report: %w", err))
	}
	if err != nil {
		fmt.Fprintf(stderr, "gosiege: interrupted after %.2f secs: the report covers the run so far\n", rep.Elapsed.Seconds())
	}
	if allRefused(rep) {
		// The server answered the pre-flight connection and went away.
		return fail(stderr, exitUsage, fmt.Errorf("cannot reach %s: every connection was refused", opts.target))
	}
	return exitOK
}

// fail prints err on one line, as every command-line mistake is printed,
// and returns code.
func fail(stderr io.Writer, code int, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintf(stderr, "gosiege: %s\n", msg)
	return code
}

// allRefused reports whether no transaction of the run reached the server:
// every one failed, and every failure was a refused connection. A run with
// any hit, or with any failure of another kind (a timeout, a 5xx), reached
// a server, and its report is the answer.
func allRefused(rep *load.Report) bool {
	return rep.Transactions == 0 && rep.Failed > 0 && rep.Failures.Refused == rep.Failed
}
