// The article's own servers beside ours, on one machine and under one load
// driver: Flask's app.run(), app.run(threaded=True) and gevent's WSGIServer
// (testdata/python/servers.py), and what a Python programmer would deploy
// today, gevent under gunicorn on both cores (gunicorn_gevent.py) and
// asyncio under uvicorn (asgi.py), beside package server's three shapes,
// each in a process of its own, on hello world and on io work; then a
// hundred thousand greenlets (testdata/python/greenlets.py) beside as many
// goroutines, each sleeping a second, spawned and joined.
//
//	go test -run '^$' -bench 'Article|Fanout' -benchtime 1x .
//	go test -run '^$' -bench 'Article/work=io' -count 6 . | go tool benchstat -col /server -
//
// The Python rows need a python3 that imports flask and gevent: the one
// $JOINALL_PYTHON names, else python3, else /usr/bin/python3 (Debian:
// apt-get install python3-flask python3-gevent); the rows of gunicorn and
// uvicorn need python3-gunicorn, and python3-uvicorn, python3-uvloop and
// python3-starlette. Without them they skip, and the Go rows run alone.
// docs/gevent-vs-go.md reports these benchmarks.
package joinall_test

import (
	"bufio"
	"cmp"
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
	servers []string // the servers measured so; nil for all
}

// articleLoads are the settings BenchmarkArticle measures. The driver's
// timeout of 900 ms, just under the 1 s after which a SYN that a full
// backlog dropped is sent again, in runs of 1 s, on hello and io. And, for
// the two servers the article compared, on hello, the article's setting
// and the two between, one change at a time: siege's timeout of 30 s,
// with which a client waits for its retransmissions instead of giving up
// and connecting again, and runs of 4 s, in which a SYN can be sent again
// after 1 s and 3 s. Runs of 30 s, as long as the article's, are not
// measured: ten of each server would take ten minutes.
var articleLoads = []articleLoad{
	{work: "hello", timeout: 900 * time.Millisecond, run: time.Second, servers: measuredServers},
	{work: "io", timeout: 900 * time.Millisecond, run: time.Second, servers: measuredServers},
	{work: "hello", timeout: 900 * time.Millisecond, run: 4 * time.Second, servers: articlePair},
	{work: "hello", timeout: 30 * time.Second, run: time.Second, servers: articlePair},
	{work: "hello", timeout: 30 * time.Second, run: 4 * time.Second, servers: articlePair},
}

// articlePair are the two servers whose ratio the article gave.
var articlePair = []string{"flask", "gevent"}

// measuredServers are the servers measured on hello and io at the
// driver's 900 ms. The serial and
// pool servers under the same loads are BenchmarkServer's rows: the serial
// server loses users as app.run() does, for the same reason, and the pool
// answers the users its queue cannot hold with 503 at once, a story of its
// own, told by BenchmarkOffered.
var measuredServers = []string{"flask", "flask-threaded", "gevent", "gunicorn-gevent", "uvicorn", "goroutine"}

// A side is one server or one runtime of the comparison: how to start its
// process, or why it cannot start here.
type side struct {
	name string   // server=NAME, runtime=NAME
	argv []string // the command
	env  []string // what it adds to the environment
	skip error    // when set, why there is no such process here
	// quit, when set, is the signal that stops the server at once, for
	// a server whose SIGTERM waits for its workers to finish what they
	// are doing (gunicorn's, a second or more, and its quick shutdown,
	// SIGINT, up to two): by the time a server is stopped, the driver has
	// ended every request, and nothing it measures is left to lose.
	quit syscall.Signal
	// inherit, when set, is for a server that cannot bind port 0 and say
	// which port it got (nginx): startServer listens on a free port
	// itself, hands the socket over as file descriptor 3, and asks
	// inherit for the command, given the port and a directory of the
	// server's own.
	inherit func(dir string, port int) ([]string, error)
}

// goSide is this test binary run as a child, which TestMain turns into the
// Go side of the comparison (see childEnv).
func goSide(name string, mode ...string) side {
	return side{name: name, argv: []string{os.Args[0]}, env: []string{childEnv + "=" + strings.Join(mode, " ")}}
}

// pythonSide runs a script of testdata/python with the python that
// imports flask and gevent, when it also imports the modules the script
// needs.
func pythonSide(name string, modules []string, script ...string) side {
	py, err := settings()
	if err == nil {
		err = py.imports(modules...)
	}
	if err != nil {
		return side{name: name, skip: err}
	}
	argv := append([]string{py.path, filepath.Join("testdata", "python", script[0])}, script[1:]...)
	return side{name: name, argv: argv}
}

// gunicornSide is gevent on two cores, under gunicorn.
func gunicornSide() side {
	s := pythonSide("gunicorn-gevent", []string{"gunicorn"}, "gunicorn_gevent.py", "2")
	s.quit = syscall.SIGKILL // to its arbiter and workers, its process group
	return s
}

// articleServers are the servers of the article's comparison: the
// article's three, today's two (asyncio under uvicorn, on one core as
// gevent's WSGIServer is, and gevent on both cores under gunicorn), and
// package server's goroutine server.
func articleServers() []side {
	return []side{
		pythonSide("flask", nil, "servers.py", "run"),
		pythonSide("flask-threaded", nil, "servers.py", "threaded"),
		pythonSide("gevent", nil, "servers.py", "gevent"),
		gunicornSide(),
		pythonSide("uvicorn", []string{"uvicorn", "uvloop", "starlette"}, "asgi.py"),
		goSide("goroutine", "serve", "goroutine"),
	}
}

// BenchmarkArticle runs each server in turn under each load of
// articleLoads, a fresh process per op, and measures one run of the load
// driver against it per op with the figures of BenchmarkServer
// (load.Report.Metrics; ns/op is per transaction) and the server's own CPU
// time over the run (Linux only; every process of the server's, a
// gunicorn's workers too): in percent of one core (srv-cpu-%), where a
// server that idles while clients wait shows, and per transaction
// (srv-cpu-us/trans), what a transaction costs the server whatever its
// rate; and the connection attempts the kernel dropped because the
// server's accept queue was full (listen-drops; Linux only), which a client
// sends again after 1 s. The driver runs in this process, on the same
// cores as the servers, as siege did on the article's laptop. An op lasts
// longer than go test's -benchtime of 1s, so each result is one run; with
// -benchtime Nx, it is the last of N. -count gives more results.
func BenchmarkArticle(b *testing.B) {
	printArticleSettings()
	servers := articleServers()
	for _, l := range articleLoads {
		for _, s := range servers {
			if l.servers == nil || slices.Contains(l.servers, s.name) {
				benchArticle(b, s, l)
			}
		}
	}
}

// benchArticle is one row of the article's: server s under load l.
func benchArticle(b *testing.B, s side, l articleLoad) {
	name := fmt.Sprintf("work=%s/users=%d/timeout=%s/run=%s/server=%s", l.work, articleUsers, l.timeout, l.run, s.name)
	b.Run(name, func(b *testing.B) {
		if s.skip != nil {
			b.Skip(s.skip)
		}
		var rep *load.Report
		var cpu time.Duration
		var errs []error
		var drops int64
		for b.Loop() {
			before, dropsErr := listenDrops()
			r, c, err := articleOnce(b.Context(), s.with(l.work), l)
			after, err2 := listenDrops()
			rep, cpu, errs = r, c, append(errs, err)
			drops = -1
			if dropsErr == nil && err2 == nil {
				drops = after - before
			}
		}
		require.NoError(b, errors.Join(errs...), "server=%s", s.name)
		for _, m := range rep.Metrics() {
			b.ReportMetric(m.Value, m.Unit)
		}
		if drops >= 0 {
			b.ReportMetric(float64(drops), "listen-drops")
		}
		if cpu >= 0 {
			b.ReportMetric(float64(cpu)/float64(rep.Elapsed)*100, "srv-cpu-%")
			if rep.Transactions > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/float64(rep.Transactions), "srv-cpu-us/trans")
			}
		}
	})
}

var articleSettings sync.Once

// printArticleSettings prints, once, the load of the article's rows as
// key: value lines, which come before their first result, so that
// benchstat reads them as the results' configuration.
func printArticleSettings() {
	articleSettings.Do(func() {
		fmt.Printf("users: %d\nconnections: a new one per transaction, as siege's\n", articleUsers)
	})
}

// isGo says whether the side is this test binary as a child.
func (s side) isGo() bool {
	return len(s.env) > 0 && strings.HasPrefix(s.env[0], childEnv+"=")
}

// with is the side's server serving work: the argument that the scripts
// and the Go side take last.
func (s side) with(work string) side {
	if s.isGo() {
		s.env = []string{s.env[0] + " " + work} // the Go side's mode
	} else {
		s.argv = append(slices.Clone(s.argv), work)
	}
	return s
}

// articleOnce starts the server, checks that it answers hello world, runs
// the driver against it as l says, and stops it. It returns the report and
// the CPU time the server's processes used over the run, or -1 where that
// cannot be read.
func articleOnce(ctx context.Context, s side, l articleLoad) (*load.Report, time.Duration, error) {
	srv, err := startServer(ctx, s)
	if err != nil {
		return nil, 0, err
	}
	var rep *load.Report
	cpu := time.Duration(-1)
	err = helloCheck(ctx, srv.url)
	if err == nil {
		before, cpuErr := groupUsage(srv.pid)
		cfg := load.Config{URL: srv.url, Users: articleUsers, Duration: l.run, Timeout: l.timeout}
		if rep, err = load.Run(ctx, cfg); err != nil {
			err = fmt.Errorf("load.Run(%+v): %w", cfg, err)
		}
		if after, err := groupUsage(srv.pid); cpuErr == nil && err == nil && rep != nil {
			cpu = after.cpu - before.cpu
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

// BenchmarkFanout spawns fanoutTasks tasks that each sleep a second and
// joins them, on greenlets and on goroutines, each in a process of its
// own that reports the wall time from the first spawn to the end of the
// join, as ns/op (an op is the whole fan-out, as in BenchmarkSleep), and
// its peak resident memory, runtime or interpreter included, as
// peak-RSS-MB. The allocations are the child's, so none are reported.
func BenchmarkFanout(b *testing.B) {
	tasks := strconv.Itoa(fanoutTasks)
	for _, s := range []side{
		pythonSide("gevent", nil, "greenlets.py", tasks),
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

// A python is an interpreter that imports flask and gevent, and the
// versions of what it imports, by module name ("python" for its own).
type python struct {
	path     string
	versions map[string]string
}

// pythonModules are the modules the scripts of testdata/python import
// beyond flask and gevent; h11 and httptools are the HTTP parsers uvicorn
// chooses between.
var pythonModules = []string{"gunicorn", "uvicorn", "uvloop", "starlette", "h11", "httptools"}

// imports says which of modules py cannot import, and how to get them.
func (py *python) imports(modules ...string) error {
	var missing []string
	for _, m := range modules {
		if _, ok := py.versions[m]; !ok {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	pkgs := make([]string, len(missing))
	for i, m := range missing {
		pkgs[i] = "python3-" + m
	}
	return fmt.Errorf("%s does not import %s: apt-get install %s, or set JOINALL_PYTHON",
		py.path, strings.Join(missing, ", "), strings.Join(pkgs, " "))
}

// findPython tries $JOINALL_PYTHON, python3 and /usr/bin/python3 in turn,
// asking each for the versions of Python and of the modules it imports,
// and returns the first that imports flask and gevent, or why none does.
var findPython = sync.OnceValues(func() (*python, error) {
	const probe = `import sys, json, importlib, importlib.metadata as m
v = {"python": sys.version.split()[0]}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        v[name] = m.version(name)
    except Exception:
        pass
print(json.dumps(v))`
	var why []string
	for _, path := range []string{os.Getenv("JOINALL_PYTHON"), "python3", "/usr/bin/python3"} {
		if path == "" {
			continue
		}
		py := &python{path: path}
		out, err := exec.Command(path, append([]string{"-c", probe, "flask", "gevent"}, pythonModules...)...).Output()
		if err == nil {
			err = json.Unmarshal(out, &py.versions)
		}
		if err == nil {
			err = py.imports("flask", "gevent")
		}
		if err == nil {
			return py, nil
		}
		why = append(why, lastLines(withStderr(err).Error(), 1))
	}
	return nil, fmt.Errorf("no python3 here imports flask and gevent (%s)", strings.Join(why, "; "))
})

var printSettings sync.Once

// settings returns the python of the Python rows, or why there is none.
// The first call prints the versions as key: value lines, which come
// before the first result, so that benchstat reads them as the results'
// configuration (uvicorn-http is the parser uvicorn uses); or, without a
// python, the one line that says how to get one.
func settings() (*python, error) {
	py, err := findPython()
	printSettings.Do(func() {
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, m := range append([]string{"python", "flask", "gevent"}, pythonModules[:4]...) {
			if v, ok := py.versions[m]; ok {
				fmt.Printf("%s: %s\n", m, v)
			}
		}
		if _, ok := py.versions["uvicorn"]; ok {
			parser := "h11"
			if _, ok := py.versions["httptools"]; ok {
				parser = "httptools"
			}
			fmt.Printf("uvicorn-http: %s\n", parser)
		}
	})
	return py, err
}

// A started server is one that startServer started: where it serves, its
// process (on Linux also its process group's id, see inGroup), what it
// prints after its port, and how to stop it. stop also says whether the
// server died before it was stopped or left a process behind.
type started struct {
	url   string
	pid   int
	lines <-chan string
	stdin io.WriteCloser
	stop  func() error
}

// startServer starts the side's server, which prints the port it listens
// on alone on its first line (or is given its socket, see side.inherit)
// and serves on 127.0.0.1 until SIGTERM (or s.quit); ctx's end stops it
// too.
func startServer(ctx context.Context, s side) (*started, error) {
	// A directory of the server's own: for its log, and its files if it
	// has any.
	dir, err := os.MkdirTemp("", "joinall-server-*")
	if err != nil {
		return nil, err
	}
	argv, port := s.argv, 0
	var socket *os.File
	if s.inherit != nil {
		socket, port, err = listenFile()
		if err == nil {
			argv, err = s.inherit(dir, port)
		}
		if err != nil {
			return nil, errors.Join(err, os.RemoveAll(dir))
		}
		defer socket.Close() // the server has its own copy
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), s.env...)
	inGroup(cmd, cmp.Or(s.quit, syscall.SIGTERM))
	cmd.WaitDelay = 5 * time.Second // then it is killed
	if socket != nil {
		cmd.ExtraFiles = []*os.File{socket} // file descriptor 3
	}
	// Werkzeug and gevent log every request on standard error: to a file,
	// which nothing has to drain, kept for what it says if the server fails.
	logName := filepath.Join(dir, "stderr.log")
	stderr, err := os.Create(logName)
	if err != nil {
		cancel()
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	var stdout io.Reader
	if err == nil {
		stdout, err = cmd.StdoutPipe()
	}
	if err == nil {
		err = cmd.Start()
	}
	// The child has its own copy of the file; this one is read by name.
	_ = stderr.Close()
	if err != nil {
		cancel()
		return nil, errors.Join(fmt.Errorf("%s: %w", argv, err), os.RemoveAll(dir))
	}
	// What the server prints, line by line, until it exits; uvicorn's
	// access log, which nobody asks for, is dropped when nobody reads it.
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	srv := &started{pid: cmd.Process.Pid, lines: lines, stdin: stdin}
	srv.stop = sync.OnceValue(func() error {
		var err error
		select {
		case err = <-exited:
			err = fmt.Errorf("%s exited while it served: %v", argv, err)
		default:
			cancel()
			<-exited // the signal's exit status is how it was meant to end
		}
		err = errors.Join(err, endGroup(srv.pid, 5*time.Second))
		if err != nil {
			log, _ := os.ReadFile(logName) // what there is of it says why
			err = fmt.Errorf("%w\n%s", err, lastLines(string(log), 10))
		}
		return errors.Join(err, os.RemoveAll(dir))
	})
	if s.inherit == nil {
		var line string
		select {
		case line = <-lines:
		case <-time.After(30 * time.Second): // Python imports Flask first
		}
		if port, err = strconv.Atoi(strings.TrimSpace(line)); err != nil {
			return nil, errors.Join(fmt.Errorf("%s: first line %q, want the port it listens on", argv, line), srv.stop())
		}
	}
	srv.url = fmt.Sprintf("http://127.0.0.1:%d/", port)
	return srv, nil
}

// listenFile listens on a free port of 127.0.0.1 and returns the
// listening socket as a file, to be handed to a server, and its port.
func listenFile() (*os.File, int, error) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, 0, err
	}
	f, err := ln.File() // a copy, which stays open when ln is closed
	return f, ln.Addr().(*net.TCPAddr).Port, errors.Join(err, ln.Close())
}

// ask writes a line to the server's standard input and returns the line
// it answers, for the Go side, which answers "memstats" (see memStats).
func (s *started) ask(question string) (string, error) {
	if _, err := fmt.Fprintln(s.stdin, question); err != nil {
		return "", fmt.Errorf("ask %q: %w", question, err)
	}
	select {
	case line, ok := <-s.lines:
		if !ok {
			return "", fmt.Errorf("ask %q: the server exited", question)
		}
		return line, nil
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("ask %q: no answer in 10 s", question)
	}
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
	go answerMemStats()
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
