// The article's own servers beside ours, on one machine and under one load
// driver: Flask's app.run(), app.run(threaded=True) and gevent's WSGIServer
// (testdata/python/servers.py) beside package server's three shapes, each
// in a process of its own, on hello world and on io work; then a hundred
// thousand greenlets (testdata/python/greenlets.py) beside as many
// goroutines, each sleeping a second, spawned and joined.
//
//	go test -run '^$' -bench 'Article|Fanout' -benchtime 1x .
//	go test -run '^$' -bench 'Article/work=io' -count 6 . | go tool benchstat -col /server -
//
// The Python rows need a python3 that imports flask and gevent: the one
// $JOINALL_PYTHON names, else python3, else /usr/bin/python3 (Debian:
// apt-get install python3-flask python3-gevent). Without one they skip,
// and the Go rows run alone. docs/gevent-vs-go.md reports these
// benchmarks.
package joinall_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/internal/peak"
	"github.com/joinall/joinall/load"
	"github.com/joinall/joinall/server"
)

// The article's 200 users, each opening a new connection per transaction as
// siege does, against a fresh server per run. The fan-out: a hundred
// thousand sleeps of a second, ten times, where a million would take 45 s
// a run on the Python side.
const (
	articleUsers = 200
	fanoutTasks  = 100_000
)

// A load is one setting of the article's rows: the work, how long a client
// waits for a transaction before it gives up, and the run's length.
type articleLoad struct {
	work    string
	timeout time.Duration
	run     time.Duration
	servers []string // the servers measured so; nil for all six
}

// articleLoads are the settings measured. The driver's timeout of 900 ms,
// just under the 1 s after which a SYN that a full backlog dropped is sent
// again, on hello and io; and siege's timeout of 30 s, with which such a
// client waits for its retransmissions instead of giving up and connecting
// again: the article's setting, whose effect shows only in runs of several
// seconds, so only for the two servers the article compared.
var articleLoads = []articleLoad{
	{work: "hello", timeout: 900 * time.Millisecond, run: time.Second},
	{work: "io", timeout: 900 * time.Millisecond, run: time.Second},
	{work: "hello", timeout: 30 * time.Second, run: 5 * time.Second, servers: []string{"flask", "gevent"}},
}

// A side is one server or one runtime of the comparison: how to start its
// process, or why it cannot start here.
type side struct {
	name string   // server=NAME, runtime=NAME
	argv []string // the command
	env  []string // what it adds to the environment
	skip error    // when set, why there is no such process here
}

// goSide is this test binary run as a child, which TestMain turns into the
// Go side of the comparison (see childEnv).
func goSide(name string, mode ...string) side {
	return side{name: name, argv: []string{os.Args[0]}, env: []string{childEnv + "=" + strings.Join(mode, " ")}}
}

// pythonSide runs a script of testdata/python with the python that
// imports flask and gevent.
func pythonSide(name string, script ...string) side {
	py, err := settings()
	if err != nil {
		return side{name: name, skip: err}
	}
	argv := append([]string{py.path, filepath.Join("testdata", "python", script[0])}, script[1:]...)
	return side{name: name, argv: argv}
}

// BenchmarkArticle runs each of the six servers in turn under each load of
// articleLoads, a fresh process per op, and measures one run of the load
// driver against it per op with the figures of BenchmarkServer
// (load.Report.Metrics; ns/op is per transaction) and the server's own CPU
// time over the run, in percent of one core (srv-cpu-%; Linux only): a
// server that idles while clients wait shows there. The driver runs in
// this process, on the same cores as the servers, as siege did on the
// article's laptop. An op lasts longer than go test's -benchtime of 1s, so
// each result is one run; with -benchtime Nx, it is the last of N. -count
// gives more results.
func BenchmarkArticle(b *testing.B) {
	servers := []side{
		pythonSide("flask", "servers.py", "run"),
		pythonSide("flask-threaded", "servers.py", "threaded"),
		pythonSide("gevent", "servers.py", "gevent"),
	}
	for _, shape := range server.Shapes {
		servers = append(servers, goSide(string(shape), "serve", string(shape)))
	}
	for _, l := range articleLoads {
		for _, s := range servers {
			if l.servers != nil && !slices.Contains(l.servers, s.name) {
				continue
			}
			name := fmt.Sprintf("work=%s/users=%d/timeout=%s/run=%s/server=%s", l.work, articleUsers, l.timeout, l.run, s.name)
			b.Run(name, func(b *testing.B) {
				if s.skip != nil {
					b.Skip(s.skip)
				}
				var rep *load.Report
				var cpu float64
				var errs []error
				for b.Loop() {
					r, c, err := articleOnce(b.Context(), s.with(l.work), l)
					rep, cpu, errs = r, c, append(errs, err)
				}
				require.NoError(b, errors.Join(errs...), "server=%s", s.name)
				for _, m := range rep.Metrics() {
					b.ReportMetric(m.Value, m.Unit)
				}
				if cpu >= 0 {
					b.ReportMetric(cpu, "srv-cpu-%")
				}
			})
		}
	}
}

// with is the side's server serving work: the argument that servers.py
// and the Go side take after their mode.
func (s side) with(work string) side {
	if len(s.env) > 0 {
		s.env = []string{s.env[0] + " " + work} // the Go side's mode
	} else {
		s.argv = append(slices.Clone(s.argv), work)
	}
	return s
}

// articleOnce starts the server, checks that it answers hello world, runs
// the driver against it as l says, and stops it. It returns the report and
// the server's CPU time over the run in percent of one core, or -1 where
// that cannot be read.
func articleOnce(ctx context.Context, s side, l articleLoad) (*load.Report, float64, error) {
	srv, err := startServer(ctx, s)
	if err != nil {
		return nil, 0, err
	}
	var rep *load.Report
	cpu := -1.0
	err = helloCheck(ctx, srv.url)
	if err == nil {
		before, cpuErr := processCPU(srv.pid)
		cfg := load.Config{URL: srv.url, Users: articleUsers, Duration: l.run, Timeout: l.timeout}
		if rep, err = load.Run(ctx, cfg); err != nil {
			err = fmt.Errorf("load.Run(%+v): %w", cfg, err)
		}
		if after, err := processCPU(srv.pid); cpuErr == nil && err == nil && rep != nil {
			cpu = float64(after-before) / float64(rep.Elapsed) * 100
		}
	}
	return rep, cpu, errors.Join(err, srv.stop())
}

// helloCheck asks the server once for hello world, on a connection that
// it closes after.
func helloCheck(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	err = errors.Join(err, resp.Body.Close())
	if err == nil && (resp.StatusCode != http.StatusOK || string(body) != "hello world") {
		err = fmt.Errorf("GET %s: %s %q, want 200 \"hello world\"", url, resp.Status, body)
	}
	return err
}

// BenchmarkFanout spawns a million tasks that each sleep a second and
// joins them, on greenlets and on goroutines, each in a process of its
// own that reports the wall time from the first spawn to the end of the
// join, as ns/op (an op is the whole fan-out, as in BenchmarkSleep), and
// its peak resident memory, runtime or interpreter included, as
// peak-RSS-MB. The allocations are the child's, so none are reported.
func BenchmarkFanout(b *testing.B) {
	tasks := strconv.Itoa(fanoutTasks)
	for _, s := range []side{
		pythonSide("gevent", "greenlets.py", tasks),
		goSide("go", "fanout", tasks),
	} {
		b.Run(fmt.Sprintf("tasks=%d/runtime=%s", fanoutTasks, s.name), func(b *testing.B) {
			if s.skip != nil {
				b.Skip(s.skip)
			}
			var f fanout
			var errs []error
			for b.Loop() {
				cmd := exec.CommandContext(b.Context(), s.argv[0], s.argv[1:]...)
				cmd.Env = append(os.Environ(), s.env...)
				out, err := cmd.Output()
				if err == nil {
					err = json.Unmarshal(out, &f)
				}
				errs = append(errs, withStderr(err))
			}
			require.NoError(b, errors.Join(errs...), "%s", s.argv)
			require.Equal(b, fanoutTasks, f.Tasks, "%s: tasks run", s.argv)
			b.ReportMetric(f.WallS*1e9, "ns/op")
			b.ReportMetric(float64(f.MaxRSSKiB)*1024/1e6, "peak-RSS-MB")
		})
	}
}

// A fanout is what greenlets.py and the Go side print, one line of JSON.
type fanout struct {
	Tasks     int     `json:"tasks"`
	WallS     float64 `json:"wall_s"`
	MaxRSSKiB uint64  `json:"max_rss_kib"`
}

// A python is an interpreter that imports flask and gevent.
type python struct{ path, version, flask, gevent string }

// findPython tries $JOINALL_PYTHON, python3 and /usr/bin/python3 in turn,
// asking each for the versions of Python, Flask and gevent, and returns
// the first that imports both, or why none does.
var findPython = sync.OnceValues(func() (*python, error) {
	const probe = `import sys, importlib.metadata as m
import flask, gevent
print(sys.version.split()[0], m.version("flask"), m.version("gevent"))`
	var why []string
	for _, path := range []string{os.Getenv("JOINALL_PYTHON"), "python3", "/usr/bin/python3"} {
		if path == "" {
			continue
		}
		out, err := exec.Command(path, "-c", probe).Output()
		if v := strings.Fields(string(out)); err == nil && len(v) == 3 {
			return &python{path: path, version: v[0], flask: v[1], gevent: v[2]}, nil
		}
		// The last line of Python's complaint: "ModuleNotFoundError: No
		// module named 'gevent'".
		why = append(why, path+": "+lastLines(withStderr(err).Error(), 1))
	}
	return nil, fmt.Errorf("no python3 here imports flask and gevent (%s): apt-get install python3-flask python3-gevent, or set JOINALL_PYTHON",
		strings.Join(why, "; "))
})

var printSettings sync.Once

// settings returns the python of the Python rows, or why there is none.
// The first call prints the versions and the load of the article's rows as
// key: value lines, which come before the first result, so that benchstat
// reads them as the results' configuration; or, without a python, the
// one line that says how to get one.
func settings() (*python, error) {
	py, err := findPython()
	printSettings.Do(func() {
		if err != nil {
			fmt.Println(err)
		} else {
			fmt.Printf("python: %s\nflask: %s\ngevent: %s\n", py.version, py.flask, py.gevent)
		}
		fmt.Printf("users: %d\nconnections: a new one per transaction, as siege's\n", articleUsers)
	})
	return py, err
}

// A started server is one that startServer started: where it serves, its
// process, and how to stop it. stop also says whether the server died
// before it was stopped.
type started struct {
	url  string
	pid  int
	stop func() error
}

// startServer starts the side's server, which prints the port it listens
// on alone on its first line and serves on 127.0.0.1 until SIGTERM; ctx's
// end stops it too.
func startServer(ctx context.Context, s side) (started, error) {
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, s.argv[0], s.argv[1:]...)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second // then it is killed
	// Werkzeug and gevent log every request on standard error: to a file,
	// which nothing has to drain, kept for what it says if the server fails.
	stderr, err := os.CreateTemp("", "joinall-server-*.log")
	if err != nil {
		cancel()
		return started{}, err
	}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	// The child has its own copy of the file; this one is read by name.
	_ = stderr.Close()
	if err != nil {
		cancel()
		return started{}, errors.Join(fmt.Errorf("%s: %w", s.argv, err), os.Remove(stderr.Name()))
	}
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- line
	}()
	var line string
	select {
	case line = <-first:
	case <-time.After(30 * time.Second): // Python imports Flask first
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := sync.OnceValue(func() error {
		var err error
		select {
		case err = <-exited:
			err = fmt.Errorf("%s exited while it served: %v", s.argv, err)
		default:
			cancel()
			<-exited // SIGTERM's exit status is how it was meant to end
		}
		if err != nil {
			log, _ := os.ReadFile(stderr.Name()) // what there is of it says why
			err = fmt.Errorf("%w\n%s", err, lastLines(string(log), 10))
		}
		return errors.Join(err, os.Remove(stderr.Name()))
	})
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return started{}, errors.Join(fmt.Errorf("%s: first line %q, want the port it listens on", s.argv, line), stop())
	}
	return started{url: fmt.Sprintf("http://127.0.0.1:%d/", port), pid: cmd.Process.Pid, stop: stop}, nil
}

func serveChild(shape server.Shape, work string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	works := map[string]http.Handler{"hello": server.Hello(), "io": server.IO(server.IOWait)}
	h, ok := works[work]
	if !ok {
		return fmt.Errorf("serve %s %q: want hello or io", shape, work)
	}
	srv, err := server.New(shape, h)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(srv.Addr().String())
	if err == nil {
		_, err = fmt.Println(port)
	}
	if err == nil {
		<-ctx.Done()
	}
	return errors.Join(err, srv.Close())
}

func fanoutChild(tasks int) error {
	start := time.Now()
	var wg sync.WaitGroup
	for range tasks {
		wg.Go(func() { time.Sleep(time.Second) })
	}
	wg.Wait()
	wall := time.Since(start)
	rss, err := peak.MaxRSS()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(fanout{Tasks: tasks, WallS: wall.Seconds(), MaxRSSKiB: rss / 1024})
}

// TestGoSide runs the Go side's processes as the benchmarks do, briefly:
// a server of each shape and workload answers hello world and ends on
// SIGTERM, and a fan-out of ten sleeps reports about a second.
func TestGoSide(t *testing.T) {
	for _, shape := range server.Shapes {
		for _, work := range []string{"hello", "io"} {
			srv, err := startServer(t.Context(), goSide(string(shape), "serve", string(shape)).with(work))
			require.NoError(t, err, "serve %s %s", shape, work)
			assert.NoError(t, helloCheck(t.Context(), srv.url), "serve %s %s", shape, work)
			assert.NoError(t, srv.stop(), "serve %s %s: stop", shape, work)
		}
	}

	s := goSide("go", "fanout", "10")
	cmd := exec.CommandContext(t.Context(), s.argv[0])
	cmd.Env = append(os.Environ(), s.env...)
	out, err := cmd.Output()
	require.NoError(t, withStderr(err), "fanout 10")
	var f fanout
	require.NoError(t, json.Unmarshal(out, &f), "fanout 10 printed %q", out)
	assert.Equal(t, 10, f.Tasks, "fanout 10: tasks")
	assert.InDelta(t, 1.0, f.WallS, 0.9, "fanout 10: ten sleeps of 1 s at once")
	assert.NotZero(t, f.MaxRSSKiB, "fanout 10: peak resident memory")
}

// processCPU is the user and system CPU time that process pid has used so
// far, from /proc (Linux), to the kernel's tick of 10 ms.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// After the command, in parentheses: the state, then 10 fields, then
	// utime and stime in clock ticks (USER_HZ, 100 a second).
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// withStderr adds what a command said on its standard error, which
// exec.Cmd.Output keeps, to its error.
func withStderr(err error) error {
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(exit.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exit.Stderr)))
	}
	return err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
