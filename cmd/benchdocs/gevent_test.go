//go:build unix

// The gevent-vs-go step without Python: its parsing, its choice of
// interpreter and its skipping, and the whole step end to end against
// stand-ins, this test binary run as python and as goside (see fake),
// with a check that every process it started has exited.
//
//	go test -run 'Python|Probe|Port|Fanout|Line|Server|Step' ./cmd/benchdocs
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"

	"github.com/joinall/joinall/internal/benchdocs"
	"github.com/joinall/joinall/load"
)

// fakeEnv, when set, makes this test binary a stand-in for python and
// goside instead of running tests; its value says how to behave:
// "ok", or one of the ways a server can fail to start.
const (
	fakeEnv     = "BENCHDOCS_FAKE"
	fakePIDsEnv = "BENCHDOCS_FAKE_PIDS" // a directory where each stand-in leaves a file named by its pid
)

// fake is the stand-in's main: python -c PROBE, python servers.py MODE,
// python greenlets.py N, goside serve SHAPE, goside fanout N.
func fake(mode string, args []string) int {
	if dir := os.Getenv(fakePIDsEnv); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), nil, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if len(args) == 0 {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	switch filepath.Base(args[0]) {
	case "-c":
		if mode == "no-gevent" {
			fmt.Fprintln(os.Stderr, "Traceback (most recent call last):\n  File \"<string>\", line 2, in <module>\nModuleNotFoundError: No module named 'gevent'")
			return 1
		}
		fmt.Println("3.11.2 2.2.2 22.10.2")
	case "servers.py", "serve":
		switch mode {
		case "exit":
			fmt.Fprintln(os.Stderr, "OSError: [Errno 98] Address already in use")
			return 1
		case "garbage":
			fmt.Println(" * Serving Flask app 'servers'")
		case "hang":
		case "ignore-term":
			signal.Ignore(syscall.SIGTERM)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return 1
			}
			fmt.Println(ln.Addr().(*net.TCPAddr).Port)
			select {}
		default:
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprint(w, "hello world")
			})}
			go srv.Serve(ln)
			fmt.Println(ln.Addr().(*net.TCPAddr).Port)
			<-ctx.Done()
			srv.Close()
			return 0
		}
		<-ctx.Done()
	case "greenlets.py", "fanout":
		tasks, _ := strconv.Atoi(args[len(args)-1])
		fmt.Printf(`{"tasks": %d, "wall_s": 1.02, "max_rss_kib": 2048}`+"\n", tasks)
	default:
		return 2
	}
	return 0
}

func TestParseProbe(t *testing.T) {
	tests := []struct {
		give    string
		want    *python
		wantErr string
	}{
		{give: "3.11.2 2.2.2 22.10.2\n", want: &python{Version: "3.11.2", Flask: "2.2.2", Gevent: "22.10.2"}},
		{give: "3.11.2\n", wantErr: `the probe printed "3.11.2", want the versions`},
		{give: "", wantErr: "the probe printed"},
	}
	for _, tt := range tests {
		got, err := parseProbe(tt.give)
		if tt.wantErr != "" {
			assert.ErrorContains(t, err, tt.wantErr, "parseProbe(%q)", tt.give)
			continue
		}
		require.NoError(t, err, "parseProbe(%q)", tt.give)
		assert.Equal(t, tt.want, got, "parseProbe(%q)", tt.give)
	}
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		give    string
		want    int
		wantErr bool
	}{
		{give: "43765", want: 43765},
		{give: "43765\r", want: 43765}, // a Python on Windows
		{give: " * Serving Flask app 'servers'", wantErr: true},
		{give: "0", wantErr: true},
		{give: "65536", wantErr: true},
		{give: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parsePort(tt.give)
		assert.Equal(t, tt.wantErr, err != nil, "parsePort(%q): err = %v", tt.give, err)
		assert.Equal(t, tt.want, got, "parsePort(%q)", tt.give)
	}
}

func TestParseFanout(t *testing.T) {
	tests := []struct {
		give    string
		want    *fanout
		wantErr string
	}{
		{
			give: `{"tasks": 1000000, "wall_s": 42.77, "max_rss_kib": 2158772}` + "\n",
			want: &fanout{Tasks: 1_000_000, WallS: 42.77, MaxRSSKiB: 2158772},
		},
		{give: `{"max_rss_kib":1406048,"tasks":1000000,"wall_s":3.63}`, want: &fanout{Tasks: 1_000_000, WallS: 3.63, MaxRSSKiB: 1406048}},
		{give: `{"tasks": 1, "wall_s": 0, "max_rss_kib": 5}`, wantErr: "want a wall time and a peak memory above 0"},
		{give: `{"tasks": 1, "wall": 1, "max_rss_kib": 5}`, wantErr: `unknown field "wall"`},
		{give: `done`, wantErr: "reading"},
	}
	for _, tt := range tests {
		got, err := parseFanout([]byte(tt.give))
		if tt.wantErr != "" {
			assert.ErrorContains(t, err, tt.wantErr, "parseFanout(%q)", tt.give)
			continue
		}
		require.NoError(t, err, "parseFanout(%q)", tt.give)
		assert.Equal(t, tt.want, got, "parseFanout(%q)", tt.give)
	}
}

// TestFindPython: the first candidate that imports both wins; when none
// does, the error says so, and why each would not do.
func TestFindPython(t *testing.T) {
	probe := func(_ context.Context, path string) (*python, error) {
		switch path {
		case "good", "also-good":
			return &python{Path: "/bin/" + path, Version: "3.11.2", Flask: "2.2.2", Gevent: "22.10.2"}, nil
		case "no-gevent":
			return nil, errors.New("ModuleNotFoundError: No module named 'gevent'")
		}
		return nil, errors.New("not found")
	}
	tests := []struct {
		give     []string
		wantPath string
		wantErr  string
	}{
		{give: []string{"good"}, wantPath: "/bin/good"},
		{give: []string{"no-gevent", "good", "also-good"}, wantPath: "/bin/good"},
		{give: []string{"missing", "no-gevent"}, wantErr: "no python3 here imports both flask and gevent (missing: not found; no-gevent: ModuleNotFoundError: No module named 'gevent')"},
		{give: nil, wantErr: "no python3 here imports both flask and gevent"},
	}
	for _, tt := range tests {
		got, err := findPython(t.Context(), tt.give, probe)
		if tt.wantErr != "" {
			assert.ErrorIs(t, err, errNoPython, "findPython(%q)", tt.give)
			assert.ErrorContains(t, err, tt.wantErr, "findPython(%q)", tt.give)
			continue
		}
		require.NoError(t, err, "findPython(%q)", tt.give)
		assert.Equal(t, tt.wantPath, got.Path, "findPython(%q)", tt.give)
	}
}

// TestProbePython asks this binary, as a stand-in python, what it
// imports.
func TestProbePython(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	tests := []struct {
		mode    string
		want    *python
		wantErr string
	}{
		{mode: "ok", want: &python{Path: self, Version: "3.11.2", Flask: "2.2.2", Gevent: "22.10.2"}},
		{mode: "no-gevent", wantErr: "ModuleNotFoundError: No module named 'gevent'"},
	}
	for _, tt := range tests {
		t.Run("mode="+tt.mode, func(t *testing.T) {
			fakeMode(t, tt.mode)

			got, err := probePython(t.Context(), self)

			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr, "probePython: the last line of Python's complaint")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err = probePython(t.Context(), filepath.Join(t.TempDir(), "python3"))
	assert.EqualError(t, err, "not found", "probePython of a path with nothing there")
}

// TestResultLines: what the step writes reads back, in the benchmark
// format, as the figures it was given, in the units BenchmarkServer and
// BenchmarkSleep use.
func TestResultLines(t *testing.T) {
	r := &load.Report{
		Transactions: 2000, Availability: 99.5, Elapsed: time.Second, ResponseTime: 95 * time.Millisecond,
		TransactionRate: 2000, Concurrency: 190, Longest: 880 * time.Millisecond, P99: 450 * time.Millisecond, Failed: 10,
	}
	text := helloLine("BenchmarkHello/users=200/server=gevent", r) + "\n" +
		fanoutLine("BenchmarkFanout/tasks=1000000/runtime=go", &fanout{Tasks: 1_000_000, WallS: 3.6353, MaxRSSKiB: 1406048}) + "\n"

	rd := benchfmt.NewReader(strings.NewReader(text), "step.txt")
	var got []map[string]float64
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		require.True(t, ok, "a result line: %v", rd.Result())
		values := map[string]float64{"iters": float64(res.Iters)}
		for _, v := range res.Values {
			// The original unit and value, where benchfmt tidied them.
			if v.OrigUnit != "" {
				values[v.OrigUnit] = v.OrigValue
			} else {
				values[v.Unit] = v.Value
			}
		}
		got = append(got, values)
	}
	require.NoError(t, rd.Err())

	assert.Equal(t, []map[string]float64{
		{
			"iters": 1, "ns/op": 500_000, "trans/s": 2000, "avail-%": 99.5, "resp-ms": 95,
			"concurrency": 190, "longest-ms": 880, "p99-ms": 450, "failed": 10,
		},
		// 1406048 KiB is 1439.79 MB; 3.6353 s is 3635300000 ns.
		{"iters": 1, "ns/op": 3_635_300_000, "peak-RSS-MB": 1440},
	}, got, "the lines:\n%s", text)
}

// TestStartServer: a server that prints its port is running when
// startServer returns; one that fails to, in any way, is stopped before
// startServer returns an error that says why.
func TestStartServer(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	tests := []struct {
		mode    string
		timeout time.Duration
		wantErr string
	}{
		{mode: "ok", timeout: 30 * time.Second},
		{mode: "exit", timeout: 30 * time.Second, wantErr: "exited before it printed its port: exit status 1\n\tOSError: [Errno 98] Address already in use"},
		{mode: "garbage", timeout: 30 * time.Second, wantErr: `first line " * Serving Flask app 'servers'": want the port it listens on`},
		{mode: "hang", timeout: 300 * time.Millisecond, wantErr: "printed no port in 300ms"},
	}
	for _, tt := range tests {
		t.Run("mode="+tt.mode, func(t *testing.T) {
			pids := fakePIDs(t, tt.mode)

			c, err := startServer(t.Context(), "flask", []string{self, "servers.py", "run"}, ".", tt.timeout)

			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr, "startServer(%s)", tt.mode)
				assertExited(t, pids)
				return
			}
			require.NoError(t, err, "startServer")
			assert.NoError(t, hello(t.Context(), c.URL()), "GET %s", c.URL())
			assert.True(t, c.alive(), "the server runs until stopped")
			c.stop()
			assertExited(t, pids)
		})
	}
}

// TestStartServerCancelled: a server still starting when the run is
// interrupted (Ctrl-C) is stopped.
func TestStartServerCancelled(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	pids := fakePIDs(t, "hang")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()

	_, err = startServer(ctx, "gevent", []string{self, "servers.py", "gevent"}, ".", time.Minute)

	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assertExited(t, pids)
}

// TestStopKills: a server that ignores SIGTERM is killed.
func TestStopKills(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	pids := fakePIDs(t, "ignore-term")
	defer func(d time.Duration) { killAfter = d }(killAfter)
	killAfter = 200 * time.Millisecond
	c, err := startServer(t.Context(), "flask", []string{self, "servers.py", "run"}, ".", 30*time.Second)
	require.NoError(t, err)
	start := time.Now()

	c.stop()

	assertExited(t, pids)
	assert.GreaterOrEqual(t, time.Since(start), killAfter, "SIGKILL only after killAfter of SIGTERM")
}

// TestStep runs the step end to end, against this binary standing in
// for python and goside: every server is measured and stopped, the
// fan-outs are read, and the page is rendered from what was written.
func TestStep(t *testing.T) {
	dir := module(t)
	pids := fakePIDs(t, "ok")
	var stderr strings.Builder

	err := runExperiments(t.Context(), []string{"-root", dir, "-count", "2"}, &stderr, versusExperiments(), fakeStep(t))

	require.NoError(t, err, "benchdocs: %s", stderr.String())
	assertExited(t, pids)
	raw := read(t, filepath.Join(dir, "testdata", "bench", "gevent-vs-go.txt"))
	for _, key := range []string{"date", "go", "kernel", "cores", "gomaxprocs", "python", "flask", "gevent", "users", "run", "timeout", "cpu"} {
		assert.Contains(t, "\n"+raw, "\n"+key+": ", "the header has %s", key)
	}
	assert.Contains(t, raw, "\ncount: 2\n", "-count is the runs of each server")
	assert.NotContains(t, raw, "benchtime:", "the step has no -benchtime")
	for _, s := range versusServers {
		assert.Equal(t, 2, strings.Count(raw, "\nBenchmarkHello/users=3/server="+s.name+"\t1\t"), "two runs of %s:\n%s", s.name, raw)
	}
	assert.Equal(t, 1, strings.Count(raw, "\nBenchmarkFanout/tasks=10/runtime=gevent\t1\t1020000000 ns/op\t2.097 peak-RSS-MB\n"), raw)
	assert.Equal(t, 1, strings.Count(raw, "\nBenchmarkFanout/tasks=10/runtime=go\t1\t"), raw)
	assert.Contains(t, stderr.String(), "[14/14 100%] gevent-vs-go · Fanout/tasks=10/runtime=go 1/1", "progress: six servers twice, then a fan-out of each")
	page := read(t, filepath.Join(dir, "docs", "gevent-vs-go.md"))
	assert.Contains(t, page, "$ go tool benchstat -filter .name:Hello -col /server testdata/bench/gevent-vs-go.txt\n")
	assert.Contains(t, page, "| Python | 3.11.2 |")
}

// TestStepSkipped: without a python that imports flask and gevent, the
// step is left out with a line that says how to get one, the rest is
// measured, and the page says how to make it.
func TestStepSkipped(t *testing.T) {
	dir := module(t)
	step := fakeStep(t)
	step.candidates = []string{filepath.Join(dir, "no-python3")}
	var stderr strings.Builder

	err := runExperiments(t.Context(), []string{"-root", dir, "-count", "1", "-benchtime", "1x"}, &stderr, append(experiments(), versusExperiments()...), step)

	require.NoError(t, err, "benchdocs: %s", stderr.String())
	assert.Contains(t, stderr.String(), "gevent-vs-go: skipped: no python3 here imports both flask and gevent ("+
		filepath.Join(dir, "no-python3")+": not found); apt-get install python3-flask python3-gevent, or give -python\n")
	assert.FileExists(t, filepath.Join(dir, "testdata", "bench", "a.txt"), "the rest is measured")
	assert.NoFileExists(t, filepath.Join(dir, "testdata", "bench", "gevent-vs-go.txt"))
	assert.Equal(t, "# Six servers\n\nNot measured: run go run ./cmd/benchdocs with a python3 that imports flask and gevent.\n",
		strings.SplitN(read(t, filepath.Join(dir, "docs", "gevent-vs-go.md")), "\n", 3)[2], "the page says how to make it")
}

// TestStepBadPython: a -python that cannot run the step is a mistake on
// the command line.
func TestStepBadPython(t *testing.T) {
	dir := module(t)
	fakeMode(t, "no-gevent")
	self, err := os.Executable()
	require.NoError(t, err)
	var stderr strings.Builder

	err = runExperiments(t.Context(), []string{"-root", dir, "-python", self}, &stderr, versusExperiments(), fakeStep(t))

	var usage usageError
	assert.ErrorAs(t, err, &usage, "exit status 2")
	assert.ErrorContains(t, err, "-python "+self+": no python3 here imports both flask and gevent")
	assert.NoDirExists(t, filepath.Join(dir, "testdata"), "nothing is measured")
}

// TestStepInterrupted: interrupted while a server is measured, the step
// stops it, and testdata/ is as it was.
func TestStepInterrupted(t *testing.T) {
	dir := module(t)
	pids := fakePIDs(t, "ok")
	committed := filepath.Join(dir, "testdata", "bench", "gevent-vs-go.txt")
	write(t, committed, "BenchmarkHello/users=3/server=flask\t1\t5 ns/op\n")
	step := fakeStep(t)
	settings := step.settings
	step.settings = func(count int, quick bool) versus {
		v := settings(count, quick)
		v.Duration = time.Minute
		return v
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &watch{want: "gevent-vs-go: the article's servers", seen: make(chan struct{})}
	go func() {
		select {
		case <-stderr.seen:
			time.Sleep(500 * time.Millisecond) // into the first server's run
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()

	err := runExperiments(ctx, []string{"-root", dir, "-count", "1"}, stderr, versusExperiments(), step)

	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 30*time.Second, "interrupted long before the minute's run")
	assertExited(t, pids)
	assert.Equal(t, "BenchmarkHello/users=3/server=flask\t1\t5 ns/op\n", read(t, committed), "the committed run is as it was")
}

// versusExperiments is the step's experiment, with pages of its own.
func versusExperiments() []benchdocs.Experiment {
	return []benchdocs.Experiment{{
		Name: "gevent-vs-go", Title: "Six servers", Step: "gevent",
		Page:       "# Six servers\n\n{{benchstat \"hello\"}}\n\n{{env}}\n",
		Unmeasured: "# Six servers\n\nNot measured: run go run ./cmd/benchdocs with a python3 that imports flask and gevent.\n",
		Tables:     []benchdocs.Table{{ID: "hello", Args: benchdocs.Args{Filter: ".name:Hello", Col: "/server"}}},
	}}
}

// fakeStep is the step with this binary as python and as goside, and
// settings that take a moment: 3 users for 100 ms, 10 tasks.
func fakeStep(tb testing.TB) geventStep {
	tb.Helper()
	self, err := os.Executable()
	require.NoError(tb, err)
	return geventStep{
		candidates: []string{filepath.Join(tb.TempDir(), "python3"), self},
		probe:      probePython,
		goSide:     func(context.Context, string, string) ([]string, error) { return []string{self}, nil },
		settings: func(count int, quick bool) versus {
			return versus{
				Users: 3, Duration: 100 * time.Millisecond, Timeout: time.Second, Runs: count,
				Tasks: 10, FanoutRuns: 1, StartTimeout: 30 * time.Second, FanoutTimeout: 30 * time.Second,
			}
		},
	}
}

// fakePIDs makes the processes this test starts stand-ins behaving as
// mode says, and returns the directory where they leave their pids.
func fakePIDs(tb testing.TB, mode string) string {
	tb.Helper()
	dir := tb.TempDir()
	fakeMode(tb, mode)
	tb.Setenv(fakePIDsEnv, dir)
	return dir
}

// fakeMode makes the processes this test starts stand-ins behaving as
// mode says.
func fakeMode(tb testing.TB, mode string) {
	tb.Helper()
	tb.Setenv(fakeEnv, mode)
	// Built with -race, a stand-in would sleep a second as it exits.
	tb.Setenv("GORACE", "atexit_sleep_ms=0")
}

// assertExited checks that at least one stand-in ran, and that every
// one has exited and been waited for.
func assertExited(tb testing.TB, dir string) {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(tb, err)
	assert.NotEmpty(tb, entries, "a stand-in ran")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		require.NoError(tb, err)
		err = syscall.Kill(pid, 0)
		assert.ErrorIs(tb, err, syscall.ESRCH, "process %d has exited and was waited for", pid)
	}
}

func init() {
	fakeMain = func() (int, bool) {
		mode := os.Getenv(fakeEnv)
		if mode == "" {
			return 0, false
		}
		return fake(mode, os.Args[1:]), true
	}
}
