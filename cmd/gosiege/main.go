// Gosiege loads an http or https URL, or the URLs of siege's URL file,
// the way siege does, with package load, and prints siege's report, then
// what siege does not give: the load's model and protocol, response time
// percentiles, failures by kind and, over several URLs, a line for each.
// With -rate it runs an open loop instead, which sees the queueing a closed
// loop hides, at one rate or in stages (a ramp); with -http2 it speaks
// HTTP/2; with -bench it prints Go benchmark lines for benchstat; with
// -shard it runs its share of a run spread over several processes or
// machines, and with -merge it reports their runs as one.
//
// Usage:
//
//	gosiege [flags] URL
//	gosiege [flags] -f URLFILE
//	gosiege -merge [-j] REPORT.json...
//
// For example, 50 users for 10 seconds, each with a new connection per
// transaction as siege makes them, then the same over 50 kept-alive
// connections as wrk makes them, then an open loop of 2,000 requests a
// second, at most 50 in flight:
//
//	go run ./cmd/gosiege -c 50 -t 10S http://127.0.0.1:8080/
//	go run ./cmd/gosiege -c 50 -t 10s -keepalive http://127.0.0.1:8080/
//	go run ./cmd/gosiege -c 50 -t 10s -rate 2000 http://127.0.0.1:8080/
//
// A ramp of 100, then 1,000, then 100 requests a second; and the same in
// four shards, one a process, started together and merged (the page
// docs/distributed.md shows it with xargs, pdsh, GNU parallel and a
// Kubernetes Indexed Job):
//
//	go run ./cmd/gosiege -c 50 -rate 100:10s,1000:30s,100:10s http://127.0.0.1:8080/
//	gosiege -shard 1/4 -start-at 2026-05-01T12:00:00Z -c 50 -rate 100:10s,1000:30s,100:10s -j URL > shard-1.json
//	gosiege -merge shard-1.json shard-2.json shard-3.json shard-4.json
//
// gosiege -h lists the flags, each with siege's default beside it. gosiege
// loads only loopback targets (127.0.0.0/8 and ::1) unless -allow-remote is
// given: a load tool should not be a denial-of-service tool by accident.
// Ctrl-C ends the run and prints the report of what completed so far.
//
// Its tests:
//
//	go test ./cmd/gosiege
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/joinall/joinall/internal/cli"
	"github.com/joinall/joinall/internal/loopback"
	"github.com/joinall/joinall/load"
)

func main() {
	c := command{
		lookup:    net.DefaultResolver.LookupNetIP,
		terminal:  isTerminal(os.Stderr),
		fileLimit: openFileLimit,
		lookupEnv: os.LookupEnv,
	}
	cli.Main("gosiege", c.run)
}

// command is gosiege with what it takes from its process, given so that
// tests can give their own.
type command struct {
	lookup    loopback.Lookup
	terminal  bool                  // whether stderr is a terminal, for the progress line
	fileLimit func() (uint64, bool) // the open-file limit, if there is one
	lookupEnv func(string) (string, bool)
}

// A session is one invocation of gosiege: the command and its output.
type session struct {
	command
	stdout, stderr io.Writer
}

// run is gosiege with its arguments (without the program's name). When ctx
// ends during the run, the run stops and the report covers what completed
// until then. A mistake on the command line is a cli.UsageError: a bad
// flag, URL or report file, a target outside loopback, or a -c that the
// open-file limit cannot carry.
func (c command) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s := session{command: c, stdout: stdout, stderr: stderr}
	opts, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, usage)
		return nil
	}
	if err != nil {
		return cli.Usage(err)
	}
	if opts.merge {
		return s.merge(opts)
	}
	if err := opts.resolveShard(c.lookupEnv); err != nil {
		return cli.Usage(err)
	}
	if err := opts.checkStartAt(time.Now()); err != nil {
		return cli.Usage(err)
	}
	// A shard opens its share of -c's connections.
	if limit, ok := c.fileLimit(); ok && uint64(opts.shard.Share(opts.users))+fdReserve > limit {
		return cli.Usagef("-c %d: the open-file limit (ulimit -n) is %d, too low for %d users and %d descriptors of gosiege's own: raise it (ulimit -n %d) or lower -c",
			opts.users, limit, opts.shard.Share(opts.users), fdReserve, opts.shard.Share(opts.users)+fdReserve)
	}

	if err := opts.buildRequests(); err != nil {
		return cli.Usage(err)
	}
	s.warnDealt(opts)
	cfg := opts.config()
	if err := cfg.Check(); err != nil {
		return cli.Usage(err) // what parseArgs did not check itself
	}
	if !opts.allowRemote {
		// Each target's name, if it is one, is resolved once, now, within
		// the timeout; every connection of the run goes to what they
		// resolved to, or to a loopback address.
		lctx, cancel := context.WithTimeout(ctx, opts.timeout)
		dial, err := guard(lctx, opts.requests, c.lookup)
		cancel()
		if err != nil && ctx.Err() != nil {
			return errors.New("interrupted before the run started")
		}
		if err != nil {
			return cli.Usage(err)
		}
		cfg.DialContext = dial
	}

	// One connection before the users start: a server that is not there
	// is one clear line at once, not a report of thousands of refusals
	// after the whole duration.
	if err := load.Reach(ctx, cfg); err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted before the run started")
		}
		return fmt.Errorf("cannot reach %s: %w", opts.what(), err)
	}
	if err := s.waitStart(ctx, opts); err != nil {
		return errors.New("interrupted before the run started")
	}

	if opts.benchName != "" {
		return s.bench(ctx, opts, cfg)
	}
	fmt.Fprintf(stderr, "** gosiege: %s\n", opts.describe())
	rep, err := s.measure(ctx, opts, cfg)
	if rep == nil {
		// Only a configuration that parseArgs should have refused gets
		// here: load.Run returns a report with every error of a run.
		return cli.Usage(err)
	}
	write := rep.WriteText
	if opts.json {
		write = rep.WriteJSON
	}
	if err := write(stdout); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	interrupted := err != nil
	if interrupted {
		fmt.Fprintf(stderr, "gosiege: interrupted after %.2f secs: the report covers the run so far\n", rep.Elapsed.Seconds())
	}
	return s.judge(rep, opts, interrupted)
}

// measure runs the load once, with a progress line on a terminal unless
// -q, and returns load.Run's report and error.
func (s session) measure(ctx context.Context, opts options, cfg load.Config) (*load.Report, error) {
	if s.terminal && !opts.quiet {
		line := &progressLine{w: s.stderr}
		cfg.Progress = line.update
		defer line.clear()
	}
	return load.Run(ctx, cfg)
}

// judge warns of what the report shows that is not the server's doing,
// and says whether the run failed: whether no transaction reached the
// server, or none ended before the run did.
func (s session) judge(rep *load.Report, opts options, interrupted bool) error {
	if rep.Transactions+rep.Failed == 0 && rep.Cut > 0 {
		if interrupted {
			return fmt.Errorf("every transaction (%d) was cut by the interruption: none completed", rep.Cut)
		}
		return fmt.Errorf("every transaction (%d) was cut by the end of the run: none completed within -t %v", rep.Cut, opts.duration)
	}
	if n := rep.Failures.FDLimit; n > 0 {
		fmt.Fprintf(s.stderr, "gosiege: warning: %d transactions failed because gosiege ran out of file descriptors: those failures are gosiege's, not the server's; raise ulimit -n or lower -c\n", n)
	}
	if allRefused(rep) {
		// The server answered the pre-flight connection and went away.
		return fmt.Errorf("cannot reach %s: every connection was refused", opts.what())
	}
	return nil
}

// bench runs the load -count times and prints each run as a Go benchmark
// result, after the configuration, so that benchstat can compare two
// servers, or two versions of one, with p-values.
func (s session) bench(ctx context.Context, opts options, cfg load.Config) error {
	for _, l := range opts.header() {
		fmt.Fprintln(s.stdout, l)
	}
	name := fmt.Sprintf("BenchmarkLoad/%s/users=%d", opts.benchName, opts.users)
	if opts.http2 {
		name = fmt.Sprintf("BenchmarkLoad/%s/conns=%d/streams=%d", opts.benchName, opts.users, max(opts.streams, 1))
	}
	if cfg.Model() == load.OpenLoop {
		name += "/rate=" + opts.rateText()
	}
	if procs := runtime.GOMAXPROCS(0); procs != 1 {
		name += fmt.Sprintf("-%d", procs) // as go test names a benchmark
	}
	for i := range opts.count {
		fmt.Fprintf(s.stderr, "** gosiege: run %d of %d: %s\n", i+1, opts.count, opts.describe())
		rep, err := s.measure(ctx, opts, cfg)
		if err != nil {
			// An interrupted run is not a sample: what ran before it is
			// printed already.
			return fmt.Errorf("run %d of %d: %w", i+1, opts.count, err)
		}
		if err := rep.WriteBenchmark(s.stdout, name); err != nil {
			return fmt.Errorf("write run %d: %w", i+1, err)
		}
		if err := s.judge(rep, opts, false); err != nil {
			return err
		}
	}
	return nil
}

// header is the configuration of a -bench run as key: value lines, which
// benchstat reads as the configuration of the results that follow: two
// files compare row by row only where these agree.
func (o *options) header() []string {
	cfg := o.config()
	lines := []string{
		"goos: " + runtime.GOOS,
		"goarch: " + runtime.GOARCH,
		"model: " + cfg.Model().String(),
		fmt.Sprintf("keepalive: %t", o.keepAlive || o.http2),
		"timeout: " + o.timeout.String(),
	}
	if o.http2 {
		lines = append(lines, "http2: true")
	}
	if o.duration > 0 {
		lines = append(lines, "duration: "+o.duration.String())
	}
	if o.reps > 0 {
		lines = append(lines, fmt.Sprintf("reps: %d", o.reps))
	}
	return lines
}

// merge prints the reports that gosiege -j wrote as the report of one run,
// after load.Merger has checked that each belongs: it reads them one at a
// time, so that its memory does not grow with their number.
func (s session) merge(opts options) error {
	var m load.Merger
	for _, name := range opts.reports {
		r, err := readReport(name)
		if err == nil {
			err = m.Add(r)
		}
		if err != nil {
			return cli.Usagef("-merge %s: %w", name, err)
		}
	}
	rep, err := m.Report()
	if err != nil {
		return cli.Usage(err)
	}
	if opts.json {
		if err := rep.WriteJSON(s.stdout); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
		return nil
	}
	// A row per part first: a generator that could not keep up shows
	// there, before its figures vanish into the sums.
	if err := rep.WriteParts(s.stdout); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	io.WriteString(s.stdout, "\n")
	if err := rep.WriteText(s.stdout); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

func readReport(name string) (*load.Report, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close() // read only: its close has nothing to report
	return load.ReadJSON(f)
}

// allRefused reports whether no transaction of the run reached the server:
// every one failed, and every failure was a refused connection. A run with
// any hit, or with any failure of another kind (a timeout, a 5xx), reached
// a server, and its report is the answer.
func allRefused(rep *load.Report) bool {
	return rep.Transactions == 0 && rep.Failed > 0 && rep.Failures.Refused == rep.Failed
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressLine redraws one line on a terminal with the run so far, for runs
// of more than 2 s.
type progressLine struct {
	w     io.Writer
	shown bool
}

// minShown is the shortest run that shows progress: a shorter one is over
// before a line would help.
const minShown = 2 * time.Second

func (p *progressLine) update(pr load.Progress) {
	if pr.Length <= minShown && pr.Elapsed < minShown {
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K"+formatProgress(pr))
	p.shown = true
}

// clear erases the line, so that what follows starts on a clean one.
func (p *progressLine) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// formatProgress is the progress line: "12s/30s · 123456 trans · 10234
// trans/s · 0 failed · p99 3.21 ms"; a run by repetitions has no total.
func formatProgress(pr load.Progress) string {
	elapsed := pr.Elapsed.Round(time.Second).String()
	if pr.Length > 0 {
		elapsed += "/" + pr.Length.String()
	}
	return fmt.Sprintf("%s · %d trans · %.0f trans/s · %d failed · p99 %.2f ms",
		elapsed, pr.Transactions, pr.Rate, pr.Failed, float64(pr.P99)/float64(time.Millisecond))
}
