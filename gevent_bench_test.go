// The article's own servers beside ours, on one machine and under one load
// driver: Flask's app.run(), app.run(threaded=True) and gevent's WSGIServer
// (testdata/python/servers.py) beside package server's three shapes, each
// in a process of its own; then a million greenlets
// (testdata/python/greenlets.py) beside a million goroutines, each
// sleeping a second, spawned and joined.
//
//	go test -run '^$' -bench 'Hello|Fanout' -benchtime 1x .
//	go test -run '^$' -bench 'Hello' -count 6 . | go tool benchstat -col /server -
//
// The Python rows need a python3 that imports flask and gevent: the one
// $JOINALL_PYTHON names, else python3, else /usr/bin/python3 (Debian:
// apt-get install python3-flask python3-gevent). Without one they skip,
// and the Go rows run alone. docs/gevent-vs-go.md reports these
// benchmarks.
package joinall_test

import (
	"bufio"
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

// The load of every hello row: the article's 200 users, each opening a new
// connection per transaction as siege does, for a run of a second against
// a fresh server, giving up on a transaction after BenchmarkServer's hello
// timeout. The fan-out: a million sleeps of a second.
const (
	helloUsers   = 200
	helloRun     = time.Second
	helloTimeout = 900 * time.Millisecond
	fanoutTasks  = 1_000_000
)

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

// BenchmarkHello runs each of the six servers in turn, a fresh process per
// op, and measures one run of the load driver against it per op with the
// figures of BenchmarkServer (load.Report.Metrics): ns/op is per
// transaction. The driver runs in this process, on the same cores as the
// servers, as siege did on the article's laptop. An op lasts longer than
// go test's -benchtime of 1s, so each result is one run; with
// -benchtime Nx, it is the last of N. -count gives more results.
func BenchmarkHello(b *testing.B) {
	servers := []side{
		pythonSide("flask", "servers.py", "run"),
		pythonSide("flask-threaded", "servers.py", "threaded"),
		pythonSide("gevent", "servers.py", "gevent"),
	}
	for _, shape := range server.Shapes {
		servers = append(servers, goSide(string(shape), "serve", string(shape)))
	}
	for _, s := range servers {
		b.Run(fmt.Sprintf("users=%d/server=%s", helloUsers, s.name), func(b *testing.B) {
			if s.skip != nil {
				b.Skip(s.skip)
			}
			var rep *load.Report
			var errs []error
			for b.Loop() {
				r, err := helloOnce(b.Context(), s)
				rep, errs = r, append(errs, err)
			}
			require.NoError(b, errors.Join(errs...), "server=%s", s.name)
			for _, m := range rep.Metrics() {
				b.ReportMetric(m.Value, m.Unit)
			}
		})
	}
}

// helloOnce starts the server, checks that it answers hello world, runs
// the driver against it, and stops it.
func helloOnce(ctx context.Context, s side) (*load.Report, error) {
	url, stop, err := startServer(ctx, s)
	if err != nil {
		return nil, err
	}
	var rep *load.Report
	err = helloCheck(ctx, url)
	if err == nil {
		cfg := load.Config{URL: url, Users: helloUsers, Duration: helloRun, Timeout: helloTimeout}
		if rep, err = load.Run(ctx, cfg); err != nil {
			err = fmt.Errorf("load.Run(%+v): %w", cfg, err)
		}
	}
	return rep, errors.Join(err, stop())
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
// The first call prints the versions and the load of the hello rows as
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
		fmt.Printf("users: %d\nrun: %s\ntimeout: %s\nconnections: a new one per transaction, as siege's\n", helloUsers, helloRun, helloTimeout)
	})
	return py, err
}

// startServer starts the side's server, which prints the port it listens
// on alone on its first line and serves on 127.0.0.1 until SIGTERM, and
// returns its URL and how to stop it. stop also says whether the server
// died before it was stopped; ctx's end stops it too.
func startServer(ctx context.Context, s side) (url string, stop func() error, err error) {
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
		return "", nil, err
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
		return "", nil, errors.Join(fmt.Errorf("%s: %w", s.argv, err), os.Remove(stderr.Name()))
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
	stop = sync.OnceValue(func() error {
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
		return "", nil, errors.Join(fmt.Errorf("%s: first line %q, want the port it listens on", s.argv, line), stop())
	}
	return fmt.Sprintf("http://127.0.0.1:%d/", port), stop, nil
}

// childEnv, when set, makes this test binary a process of the Go side
// instead of running tests, as servers.py and greenlets.py are of the
// Python side: "serve SHAPE" serves hello world from one of server.Shapes
// and prints its port as servers.py does; "fanout TASKS" sleeps a second
// on each of TASKS goroutines, joins them with a sync.WaitGroup, and
// prints what greenlets.py prints.
const childEnv = "JOINALL_CHILD"

// child runs as the mode of childEnv says and returns the exit status.
func child(mode string) int {
	what, arg, _ := strings.Cut(mode, " ")
	var err error
	switch what {
	case "serve":
		err = serveChild(server.Shape(arg))
	case "fanout":
		var tasks int
		if tasks, err = strconv.Atoi(arg); err == nil {
			err = fanoutChild(tasks)
		}
	default:
		err = fmt.Errorf("%s=%q: want serve SHAPE or fanout TASKS", childEnv, mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func serveChild(shape server.Shape) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv, err := server.New(shape, server.Hello())
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
// a server of each shape answers hello world and ends on SIGTERM, and a
// fan-out of ten sleeps reports about a second.
func TestGoSide(t *testing.T) {
	for _, shape := range server.Shapes {
		url, stop, err := startServer(t.Context(), goSide(string(shape), "serve", string(shape)))
		require.NoError(t, err, "serve %s", shape)
		assert.NoError(t, helloCheck(t.Context(), url), "serve %s", shape)
		assert.NoError(t, stop(), "serve %s: stop", shape)
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
