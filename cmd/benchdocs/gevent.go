package main

// The gevent-vs-go step: the article's three Flask servers and our three
// Go servers, each in a process of its own, measured one after another
// by the same load driver with the same settings; then a million
// greenlets and a million goroutines that sleep a second. It writes what
// it measures in the benchmark format, so that docs/gevent-vs-go.md is
// rendered from testdata/ as every other page is, without Python.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/joinall/joinall/internal/benchrun"
	"github.com/joinall/joinall/load"
)

// A python is an interpreter that imports flask and gevent.
type python struct {
	Path                   string
	Version, Flask, Gevent string
}

// pythonProbe prints the versions of Python, Flask and gevent, and fails
// unless both import.
const pythonProbe = `import sys, importlib.metadata as m
import flask, gevent
print(sys.version.split()[0], m.version("flask"), m.version("gevent"))`

// pythonCandidates are tried in order when -python is not given: the one
// on PATH, then the system's, where Debian's packages put flask and
// gevent.
var pythonCandidates = []string{"python3", "/usr/bin/python3"}

// errNoPython is why the step is skipped.
var errNoPython = errors.New("no python3 here imports both flask and gevent")

// findPython returns the first of candidates that imports flask and
// gevent, asking probe, and an error that names each one tried and why
// it would not do when none does.
func findPython(ctx context.Context, candidates []string, probe func(ctx context.Context, path string) (*python, error)) (*python, error) {
	var why []string
	for _, c := range candidates {
		p, err := probe(ctx, c)
		if err == nil {
			return p, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		why = append(why, fmt.Sprintf("%s: %v", c, err))
	}
	return nil, fmt.Errorf("%w (%s)", errNoPython, strings.Join(why, "; "))
}

// probePython runs the probe with the interpreter at path.
func probePython(ctx context.Context, path string) (*python, error) {
	full, err := exec.LookPath(path)
	if err != nil {
		return nil, errors.New("not found")
	}
	out, err := runChild(ctx, []string{full, "-c", pythonProbe}, ".", 30*time.Second)
	if err != nil {
		// The last line of its error is Python's: "ModuleNotFoundError:
		// No module named 'gevent'".
		lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
		return nil, errors.New(strings.TrimSpace(lines[len(lines)-1]))
	}
	p, err := parseProbe(string(out))
	if err != nil {
		return nil, err
	}
	p.Path = full
	return p, nil
}

// parseProbe reads what pythonProbe prints: "3.11.2 2.2.2 22.10.2".
func parseProbe(out string) (*python, error) {
	f := strings.Fields(out)
	if len(f) != 3 {
		return nil, fmt.Errorf("the probe printed %q, want the versions of python, flask and gevent", strings.TrimSpace(out))
	}
	return &python{Version: f[0], Flask: f[1], Gevent: f[2]}, nil
}

// versusServers are the six servers, in the order of the article and of
// BenchmarkServer: its name in the results (server=NAME), and the
// arguments of testdata/python/servers.py or of goside serve.
var versusServers = []struct {
	name   string
	python bool
	arg    string
}{
	{name: "flask", python: true, arg: "run"},
	{name: "flask-threaded", python: true, arg: "threaded"},
	{name: "gevent", python: true, arg: "gevent"},
	{name: "serial", arg: "serial"},
	{name: "pool", arg: "pool"},
	{name: "goroutine", arg: "goroutine"},
}

// versus is the step's settings.
type versus struct {
	Root   string   // the module's root: the Python scripts are under testdata/python
	Python *python  // the interpreter
	GoSide []string // the command that runs goside (cmd/benchdocs/goside)

	// Every server gets Runs runs of the load driver, each against a
	// fresh process: Users users for Duration, a new connection per
	// transaction, no warm-up, the transaction Timeout of BenchmarkServer's
	// hello rows.
	Users    int
	Duration time.Duration
	Timeout  time.Duration
	Runs     int

	// Tasks greenlets, then goroutines, sleep a second, FanoutRuns times.
	Tasks      int
	FanoutRuns int

	// StartTimeout bounds how long a server may take to print its port
	// (Python imports Flask first); FanoutTimeout, one fan-out.
	StartTimeout, FanoutTimeout time.Duration
}

// defaultVersus are the full run's settings: the article's 200 users,
// the hello workload's timeout. A run is a second, as BenchmarkServer's
// are; each server gets -count of them. A million greenlets take about
// 45 s here, so the fan-out runs three times whatever -count says.
func defaultVersus(count int, quick bool) versus {
	v := versus{
		Users: 200, Duration: time.Second, Timeout: 900 * time.Millisecond, Runs: count,
		Tasks: 1_000_000, FanoutRuns: min(count, 3),
		StartTimeout: 30 * time.Second, FanoutTimeout: 10 * time.Minute,
	}
	if quick {
		v.FanoutRuns = 1
	}
	return v
}

// header is what the step adds to the environment, for the page and for
// benchstat: what it measured with, and what go test would have said.
func (v *versus) header() []benchrun.Line {
	return []benchrun.Line{
		{Key: "python", Value: v.Python.Version},
		{Key: "flask", Value: v.Python.Flask},
		{Key: "gevent", Value: v.Python.Gevent},
		{Key: "users", Value: fmt.Sprint(v.Users)},
		{Key: "run", Value: v.Duration.String()},
		{Key: "timeout", Value: v.Timeout.String()},
		{Key: "connections", Value: "a new one per transaction, as siege's"},
		{Key: "goos", Value: runtime.GOOS},
		{Key: "goarch", Value: runtime.GOARCH},
		{Key: "cpu", Value: cpuModel()},
	}
}

// expect is the step's results in order, for progress.
func (v *versus) expect() []benchrun.Row {
	var rows []benchrun.Row
	for range v.Runs {
		for _, s := range versusServers {
			rows = append(rows, benchrun.Row{Name: v.helloName(s.name), Est: v.Duration + time.Second/2})
		}
	}
	for range v.FanoutRuns {
		for _, rt := range []struct {
			name string
			est  time.Duration
		}{{"gevent", 45 * time.Second}, {"go", 4 * time.Second}} {
			rows = append(rows, benchrun.Row{Name: v.fanoutName(rt.name), Est: rt.est})
		}
	}
	return rows
}

func (v *versus) helloName(server string) string {
	return fmt.Sprintf("BenchmarkHello/users=%d/server=%s", v.Users, server)
}

func (v *versus) fanoutName(runtime string) string {
	return fmt.Sprintf("BenchmarkFanout/tasks=%d/runtime=%s", v.Tasks, runtime)
}

// measure runs the step, writing result lines to w and calling result
// with each one's name. The servers take turns, run by run, so that what
// else the machine does falls on all of them alike.
func (v *versus) measure(ctx context.Context, w io.Writer, result func(string)) error {
	scripts := filepath.Join(v.Root, "testdata", "python")
	for range v.Runs {
		for _, s := range versusServers {
			argv := append(append([]string(nil), v.GoSide...), "serve", s.arg)
			if s.python {
				argv = []string{v.Python.Path, filepath.Join(scripts, "servers.py"), s.arg}
			}
			r, err := v.load(ctx, s.name, argv)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintln(w, helloLine(v.helloName(s.name), r)); err != nil {
				return err
			}
			result(v.helloName(s.name))
		}
	}
	for range v.FanoutRuns {
		for _, rt := range []struct {
			name string
			argv []string
		}{
			{"gevent", []string{v.Python.Path, filepath.Join(scripts, "greenlets.py"), fmt.Sprint(v.Tasks)}},
			{"go", append(append([]string(nil), v.GoSide...), "fanout", fmt.Sprint(v.Tasks))},
		} {
			out, err := runChild(ctx, rt.argv, v.Root, v.FanoutTimeout)
			if err != nil {
				return err
			}
			f, err := parseFanout(out)
			if err != nil {
				return fmt.Errorf("%s: %w", strings.Join(rt.argv, " "), err)
			}
			if f.Tasks != v.Tasks {
				return fmt.Errorf("%s: ran %d tasks, not %d", strings.Join(rt.argv, " "), f.Tasks, v.Tasks)
			}
			if _, err := fmt.Fprintln(w, fanoutLine(v.fanoutName(rt.name), f)); err != nil {
				return err
			}
			result(v.fanoutName(rt.name))
		}
	}
	return nil
}

// load starts the server, checks that it says hello world, runs the
// driver against it, and stops it, whatever happens.
func (v *versus) load(ctx context.Context, name string, argv []string) (*load.Report, error) {
	c, err := startServer(ctx, name, argv, v.Root, v.StartTimeout)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	if err := hello(ctx, c.URL()); err != nil {
		return nil, fmt.Errorf("%s at %s: %w%s", name, c.URL(), err, c.stderr.indented())
	}
	cfg := load.Config{URL: c.URL(), Users: v.Users, Duration: v.Duration, Timeout: v.Timeout}
	r, err := load.Run(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: load.Run(%+v): %w", name, cfg, err)
	}
	if !c.alive() {
		return nil, fmt.Errorf("%s exited while it was measured: %v%s", name, c.waitErr, c.stderr.indented())
	}
	return r, nil
}

// hello checks that the server answers hello world, once.
func hello(ctx context.Context, url string) error {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || string(body) != "hello world" {
		return fmt.Errorf("GET %s: %s %q, want 200 \"hello world\"", url, resp.Status, body)
	}
	return nil
}

// helloLine is a run's result in the benchmark format, with the figures
// BenchmarkServer reports, per transaction where per op.
func helloLine(name string, r *load.Report) string {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	nsPerOp := 0.0
	if r.Transactions > 0 {
		nsPerOp = float64(r.Elapsed.Nanoseconds()) / float64(r.Transactions)
	}
	return resultLine(name, []metric{
		{nsPerOp, "ns/op"},
		{r.TransactionRate, "trans/s"},
		{r.Availability, "avail-%"},
		{ms(r.ResponseTime), "resp-ms"},
		{r.Concurrency, "concurrency"},
		{ms(r.Longest), "longest-ms"},
		{ms(r.P99), "p99-ms"},
		{float64(r.Failed), "failed"},
	})
}

// A fanout is what greenlets.py and goside fanout print.
type fanout struct {
	Tasks     int     `json:"tasks"`
	WallS     float64 `json:"wall_s"`
	MaxRSSKiB int64   `json:"max_rss_kib"`
}

func parseFanout(out []byte) (*fanout, error) {
	var f fanout
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading %q: %w", strings.TrimSpace(string(out)), err)
	}
	if f.WallS <= 0 || f.MaxRSSKiB <= 0 {
		return nil, fmt.Errorf("%q: want a wall time and a peak memory above 0", strings.TrimSpace(string(out)))
	}
	return &f, nil
}

// fanoutLine is a fan-out's result: its wall time as ns/op (one op is
// the batch, as in BenchmarkSleep), its peak resident memory in MB.
func fanoutLine(name string, f *fanout) string {
	return resultLine(name, []metric{
		{f.WallS * 1e9, "ns/op"},
		{float64(f.MaxRSSKiB) * 1024 / 1e6, "peak-RSS-MB"},
	})
}

type metric struct {
	value float64
	unit  string
}

// resultLine is a result of one iteration in go test's layout, each
// value to about as many digits as go test prints.
func resultLine(name string, metrics []metric) string {
	var b strings.Builder
	b.WriteString(name + "\t1")
	for _, m := range metrics {
		fmt.Fprintf(&b, "\t%s %s", pretty(m.value), m.unit)
	}
	return b.String()
}

// pretty formats as testing's benchmark output does: fewer decimals the
// larger the value.
func pretty(x float64) string {
	switch y := math.Abs(x); {
	case y == 0 || y >= 999.95:
		return fmt.Sprintf("%.0f", x)
	case y >= 99.995:
		return fmt.Sprintf("%.1f", x)
	case y >= 9.9995:
		return fmt.Sprintf("%.2f", x)
	case y >= 0.99995:
		return fmt.Sprintf("%.3f", x)
	case y >= 0.099995:
		return fmt.Sprintf("%.4f", x)
	case y >= 0.0099995:
		return fmt.Sprintf("%.5f", x)
	}
	return fmt.Sprintf("%.6f", x)
}

// buildGoSide builds goside into dir and returns its command.
func buildGoSide(ctx context.Context, root, dir string) ([]string, error) {
	bin := filepath.Join(dir, "goside")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/benchdocs/goside")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/benchdocs/goside: %w\n%s", err, out)
	}
	return []string{bin}, nil
}

// cpuModel is the CPU's model name as go test's cpu: line gives it on
// Linux.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
