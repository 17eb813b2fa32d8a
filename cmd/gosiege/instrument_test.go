// gosiege as an instrument, measured beside the load tools its users would
// otherwise pick: wrk, bombardier, hey, vegeta and siege, each against the
// same hello server in a process of its own, with the same 50 kept-alive
// connections, taking turns run by run. Each tool's rate says what it
// measured; its own CPU time per completed request, from the child's
// rusage, says what it cost, and cancels most of the machine's noise.
// Then gosiege's peak memory against the run's length, and how closely
// its open loop keeps the schedule.
//
//	go test -run '^$' -bench Instrument -count 5 ./cmd/gosiege
//	JOINALL_BUILD_TOOLS=1 go test -run '^$' -bench Instrument -count 5 ./cmd/gosiege   # builds bombardier and vegeta from the module proxy
//
// A tool that is not installed is skipped, with one line that says how to
// add it.
package main

import (
	"bufio"
	"cmp"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
	"github.com/joinall/joinall/server"
)

// buildTools, JOINALL_BUILD_TOOLS=1 in the environment, builds bombardier
// and vegeta from the module proxy when they are not on PATH, once a
// machine, into the user's cache directory (os.UserCacheDir).
var buildTools = os.Getenv("JOINALL_BUILD_TOOLS") == "1"

// instrumentRun is how long each tool loads the server, and with how many
// kept-alive connections.
const (
	instrumentRun   = time.Second
	instrumentConns = 50
)

// A tool is a load generator: how to find it, the command line of one run
// of it, and how to read the requests it completed from what it printed.
type tool struct {
	name     string
	install  string                                   // how to add it, when it is missing
	module   string                                   // a Go module to build it from, with JOINALL_BUILD_TOOLS=1
	version  []string                                 // the flags that print its version, for a program not written in Go
	args     func(url string, dir string) []string    // the command line after the program
	requests func(stdout, stderr string) (int, error) // completed requests, answered or not
}

var tools = []tool{
	{
		name: "gosiege", install: "always here: it is this test binary",
		args: func(url, _ string) []string {
			return []string{"-q", "-c", strconv.Itoa(instrumentConns), "-t", instrumentRun.String(), "-keepalive", "-j", url}
		},
		requests: func(stdout, _ string) (int, error) {
			r, err := load.ReadJSON(strings.NewReader(stdout))
			if err != nil {
				return 0, err
			}
			return r.Transactions + r.Failed, nil
		},
	},
	{
		name: "wrk", install: "apt-get install wrk", version: []string{"-v"},
		args: func(url, _ string) []string {
			return []string{"-t", "2", "-c", strconv.Itoa(instrumentConns), "-d", fmt.Sprintf("%.0fs", instrumentRun.Seconds()), url}
		},
		requests: matchInt(`(\d+) requests in`),
	},
	{
		name: "bombardier", install: "go install github.com/codesenberg/bombardier@v1.2.6, or JOINALL_BUILD_TOOLS=1",
		module: "github.com/codesenberg/bombardier@v1.2.6",
		args: func(url, _ string) []string {
			return []string{"-c", strconv.Itoa(instrumentConns), "-d", instrumentRun.String(), "-p", "r", "-o", "json", url}
		},
		requests: func(stdout, _ string) (int, error) {
			var out struct {
				Result struct {
					Req1xx, Req2xx, Req3xx, Req4xx, Req5xx, Others int
				} `json:"result"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				return 0, err
			}
			r := out.Result
			return r.Req1xx + r.Req2xx + r.Req3xx + r.Req4xx + r.Req5xx + r.Others, nil
		},
	},
	{
		name: "hey", install: "apt-get install hey",
		args: func(url, _ string) []string {
			return []string{"-c", strconv.Itoa(instrumentConns), "-z", instrumentRun.String(), url}
		},
		requests: sumInts(`\[\d+\]\s+(\d+) responses`),
	},
	{
		name: "vegeta", install: "go install github.com/tsenart/vegeta/v12@v12.13.0, or JOINALL_BUILD_TOOLS=1",
		module: "github.com/tsenart/vegeta/v12@v12.13.0",
		// Rate 0 with a fixed number of workers is vegeta's closed loop,
		// as fast as 50 workers go; its results go to a file, and are
		// counted by vegeta report afterwards, outside the measured CPU.
		args: func(url, dir string) []string {
			return []string{"attack", "-rate", "0", "-workers", strconv.Itoa(instrumentConns), "-max-workers", strconv.Itoa(instrumentConns),
				"-duration", instrumentRun.String(), "-keepalive", "-targets", writeFile(dir, "targets", "GET "+url+"\n"),
				"-output", filepath.Join(dir, "results.bin")}
		},
	},
	{
		name: "siege", install: "apt-get install siege", version: []string{"--version"},
		args: func(url, dir string) []string {
			return []string{"-R", writeFile(dir, "siegerc", siegerc), "-b", "-c", strconv.Itoa(instrumentConns), "-t", fmt.Sprintf("%.0fS", instrumentRun.Seconds()), url}
		},
		requests: func(stdout, stderr string) (int, error) {
			var out struct {
				Transactions int `json:"transactions"`
				Failed       int `json:"failed_transactions"`
			}
			i := strings.IndexByte(stdout+stderr, '{')
			if i < 0 {
				return 0, errors.New("no JSON report")
			}
			if err := json.NewDecoder(strings.NewReader((stdout + stderr)[i:])).Decode(&out); err != nil {
				return 0, err
			}
			return out.Transactions + out.Failed, nil
		},
	},
}

// siegerc is siege's configuration: keep-alive, HTTP/1.1, a JSON report.
const siegerc = "verbose = false\nquiet = true\njson_output = true\nshow-logfile = false\nlogging = false\n" +
	"parser = false\nconnection = keep-alive\nprotocol = HTTP/1.1\nlimit = 255\n"

// BenchmarkInstrument measures each tool against the same server, in turn,
// one run of instrumentRun per op: trans/s is what the tool completed a
// second, cpu-us/trans its own CPU time (user and system) per completed
// request. Then gosiege alone: its peak resident memory (peak-RSS-MiB) in a
// run of 1 s and of 5 s, and its open loop at rates the server carries,
// with the rate it achieved as a share of the rate it intended
// (achieved-%).
func BenchmarkInstrument(b *testing.B) {
	url := startHelloProcess(b)
	dir := b.TempDir()
	// Each tool's version and command line, as key: value lines before
	// the first result, which benchstat reads as the results' configuration.
	bins, errs := map[string]string{}, map[string]error{}
	for _, t := range tools {
		if bins[t.name], errs[t.name] = t.find(b); errs[t.name] == nil {
			args := strings.NewReplacer(url, "URL", dir, "DIR").Replace(strings.Join(t.args(url, dir), " "))
			fmt.Printf("%s: %s\n%s-flags: %s\n", t.name, t.versionOf(b.Context(), bins[t.name]), t.name, args)
		}
	}
	if errs["siege"] == nil {
		fmt.Printf("siegerc: %s\n", strings.ReplaceAll(strings.TrimSpace(siegerc), "\n", "; "))
	}
	for _, t := range tools {
		b.Run("tool="+t.name, func(b *testing.B) {
			bin, err := bins[t.name], errs[t.name]
			if err != nil {
				b.Skipf("%s: %v: %s", t.name, err, t.install)
			}
			var requests int
			var cpu, elapsed time.Duration
			for b.Loop() {
				n, used, err := t.run(b.Context(), bin, url, dir)
				for try := 1; errors.Is(err, errHung) && try < hangTries; try++ {
					// A run that hung is no measurement; another is.
					b.Logf("%s: %v; run again", t.name, err)
					n, used, err = t.run(b.Context(), bin, url, dir)
				}
				if err != nil {
					b.Fatalf("%s: %v", t.name, err)
				}
				requests, cpu, elapsed = requests+n, cpu+used, elapsed+instrumentRun
			}
			b.ReportMetric(float64(requests)/elapsed.Seconds(), "trans/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(requests), "cpu-us/trans")
			b.ReportMetric(0, "ns/op")
		})
	}
	for _, secs := range []int{1, 5} {
		b.Run(fmt.Sprintf("memory/secs=%d", secs), func(b *testing.B) {
			var rss int64
			for b.Loop() {
				args := []string{"-q", "-c", strconv.Itoa(instrumentConns), "-t", fmt.Sprintf("%ds", secs), "-keepalive", "-j", url}
				_, usage, err := runMeasured(b.Context(), gosiegeCommand(b.Context(), args...))
				if err != nil {
					b.Fatalf("gosiege %v: %v", args, err)
				}
				rss = max(rss, usage.Maxrss) // KiB on Linux
			}
			b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
			b.ReportMetric(0, "ns/op")
		})
	}
	for _, rate := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("schedule/rate=%d", rate), func(b *testing.B) {
			var achieved, p99, svc99 float64
			runs := 0
			for b.Loop() {
				args := []string{"-q", "-c", strconv.Itoa(instrumentConns), "-rate", strconv.Itoa(rate), "-t", instrumentRun.String(), "-keepalive", "-j", url}
				out, _, err := runMeasured(b.Context(), gosiegeCommand(b.Context(), args...))
				if err != nil {
					b.Fatalf("gosiege %v: %v", args, err)
				}
				r, err := load.ReadJSON(strings.NewReader(out))
				if err != nil {
					b.Fatalf("gosiege %v: %v", args, err)
				}
				achieved += r.TransactionRate / float64(rate) * 100
				p99 += float64(r.P99.Microseconds()) / 1000
				svc99 += float64(r.Service.P99.Microseconds()) / 1000
				runs++
			}
			b.ReportMetric(achieved/float64(runs), "achieved-%")
			b.ReportMetric(p99/float64(runs), "p99-ms")
			b.ReportMetric(svc99/float64(runs), "svc-p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// find returns the tool's program: on PATH, or, with JOINALL_BUILD_TOOLS=1,
// built from its module.
func (t tool) find(tb testing.TB) (string, error) {
	if t.name == "gosiege" {
		return os.Args[0], nil
	}
	if p, err := exec.LookPath(t.name); err == nil {
		return p, nil
	}
	if t.module == "" || !buildTools {
		return "", errors.New("not installed")
	}
	// Built once a machine, into the user's cache, by module and version.
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(cache, "joinall", "tools", strings.NewReplacer("/", "_", "@", "_").Replace(t.module))
	if _, err := os.Stat(filepath.Join(bin, t.name)); err == nil {
		return filepath.Join(bin, t.name), nil
	}
	cmd := exec.CommandContext(tb.Context(), "go", "install", t.module)
	cmd.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %w\n%s", t.module, err, out)
	}
	return filepath.Join(bin, t.name), nil
}

// versionOf is the tool's version: a Go program's module and Go version,
// from its build information, else the first line of what its version
// flags print (wrk -v exits 1).
func (t tool) versionOf(ctx context.Context, bin string) string {
	if info, err := buildinfo.ReadFile(bin); err == nil {
		return fmt.Sprintf("%s %s %s", info.Path, cmp.Or(info.Main.Version, "(no version recorded)"), info.GoVersion)
	}
	out, _ := exec.CommandContext(ctx, bin, t.version...).CombinedOutput()
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

// toolBound is the longest a tool's run of instrumentRun may take before it
// is killed: siege 4.0 can hang in its shutdown, on a kept-alive socket,
// and ignore SIGTERM (seen once in about 15 runs). A run killed so is
// errHung, and is run again, hangTries times in all at most.
const (
	toolBound = 10 * instrumentRun
	hangTries = 3
)

var errHung = errors.New("hung")

// run runs the tool once and returns the requests it completed and the CPU
// time it used.
func (t tool) run(ctx context.Context, bin, url, dir string) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, toolBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, t.args(url, dir)...)
	if t.name == "gosiege" {
		cmd = gosiegeCommand(ctx, t.args(url, dir)...)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, usage, err := runMeasured(ctx, cmd)
	if ctx.Err() != nil {
		return 0, 0, fmt.Errorf("%w: did not end within %v of a %v run, and was killed: %w", errHung, toolBound, instrumentRun, ctx.Err())
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%w\n%s", err, stderr.String())
	}
	cpu := time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
	if t.requests == nil { // vegeta: its report counts its results
		report, _, err := runMeasured(ctx, exec.CommandContext(ctx, bin, "report", "-type", "json", filepath.Join(dir, "results.bin")))
		if err != nil {
			return 0, 0, err
		}
		var out struct {
			Requests int `json:"requests"`
		}
		if err := json.Unmarshal([]byte(report), &out); err != nil {
			return 0, 0, fmt.Errorf("vegeta report: %w", err)
		}
		return out.Requests, cpu, nil
	}
	n, err := t.requests(stdout, stderr.String())
	if err != nil {
		return 0, 0, fmt.Errorf("read its output: %w\n%s%s", err, stdout, stderr.String())
	}
	return n, cpu, nil
}

// gosiegeCommand is this test binary run as gosiege.
func gosiegeCommand(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GOSIEGE_MAIN=1")
	return cmd
}

// runMeasured runs cmd to its end, bounded in time, and returns its
// standard output and its resource usage.
func runMeasured(ctx context.Context, cmd *exec.Cmd) (string, *syscall.Rusage, error) {
	var stdout strings.Builder
	cmd.Stdout = &stdout
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return "", nil, fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return "", nil, errors.New("no resource usage on this system")
	}
	return stdout.String(), usage, nil
}

// startHelloProcess starts this test binary as the goroutine server's hello
// world, in a process of its own, and stops it when the benchmark ends.
func startHelloProcess(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "GOSIEGE_SERVE_HELLO=1")
	out, err := cmd.StdoutPipe()
	require.NoError(tb, err, "pipe the server's output")
	require.NoError(tb, cmd.Start(), "start the server")
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // Wait reports how it ended
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(tb, err, "read the server's address")
	return "http://" + strings.TrimSpace(line) + "/"
}

// serveHello is the server process: the goroutine server's hello world on
// a free loopback port, which it prints, until it is interrupted.
func serveHello() {
	s, err := server.New(server.Goroutine, server.Hello())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(s.Addr().(*net.TCPAddr).String())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// matchInt reads the first integer that re's group matches.
func matchInt(re string) func(stdout, stderr string) (int, error) {
	r := regexp.MustCompile(re)
	return func(stdout, _ string) (int, error) {
		m := r.FindStringSubmatch(stdout)
		if m == nil {
			return 0, fmt.Errorf("no %q", re)
		}
		return strconv.Atoi(m[1])
	}
}

// sumInts adds every integer that re's group matches.
func sumInts(re string) func(stdout, stderr string) (int, error) {
	r := regexp.MustCompile(re)
	return func(stdout, _ string) (int, error) {
		n := 0
		for _, m := range r.FindAllStringSubmatch(stdout, -1) {
			v, err := strconv.Atoi(m[1])
			if err != nil {
				return 0, err
			}
			n += v
		}
		if n == 0 {
			return 0, fmt.Errorf("no %q", re)
		}
		return n, nil
	}
}

// writeFile writes content to dir/name and returns its path.
func writeFile(dir, name, content string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		panic(err) // a benchmark's own temporary directory
	}
	return p
}
