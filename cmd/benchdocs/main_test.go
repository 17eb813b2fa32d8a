// benchdocs measures into testdata/bench and renders docs/, or leaves
// both as they were. These tests run it on a throwaway module of tiny
// benchmarks, with an experiment table of their own.
//
//	go test ./cmd/benchdocs
package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/internal/benchdocs"
	"github.com/joinall/joinall/internal/benchrun"
)

// fakeMain, when set (gevent_test.go does, on Unix), runs instead of
// the tests when this binary is started as a stand-in for python or
// goside, and says so.
var fakeMain func() (code int, ok bool)

func TestMain(m *testing.M) {
	if fakeMain != nil {
		if code, ok := fakeMain(); ok {
			os.Exit(code)
		}
	}
	goleak.VerifyTestMain(m)
}

func TestFlags(t *testing.T) {
	tests := []struct {
		give    []string
		want    *options
		wantErr string
	}{
		{give: nil, want: &options{count: 10, gevent: true}},
		{give: []string{"-quick"}, want: &options{count: 6, benchtime: "100ms", quick: true, gevent: true}},
		{give: []string{"-quick", "-count", "4"}, want: &options{count: 4, benchtime: "100ms", quick: true, gevent: true}},
		// A run of some benchmarks leaves the step out, unless asked.
		{give: []string{"-bench", "Fetch", "-benchtime", "2s"}, want: &options{count: 10, bench: "Fetch", benchtime: "2s"}},
		{give: []string{"-bench", "Fetch", "-gevent"}, want: &options{count: 10, bench: "Fetch", gevent: true}},
		{give: []string{"-bench", "Fetch", "-python", "/usr/bin/python3"}, want: &options{count: 10, bench: "Fetch", gevent: true, python: "/usr/bin/python3"}},
		{give: []string{"-gevent=false"}, want: &options{count: 10}},
		{give: []string{"-render"}, want: &options{count: 10, render: true}},
		{give: []string{"-count", "0"}, wantErr: "-count 0: must be at least 1"},
		{give: []string{"-render", "-quick"}, wantErr: "-render runs no benchmark"},
		{give: []string{"-render", "-python", "python3"}, wantErr: "-render runs no benchmark"},
		{give: []string{"-nope"}, wantErr: "flag provided but not defined: -nope"},
		{give: []string{"sleep"}, wantErr: `unexpected argument "sleep"`},
	}
	for _, tt := range tests {
		got, err := parseFlags(tt.give, &bytes.Buffer{})
		if tt.wantErr != "" {
			var usage usageError
			assert.ErrorAs(t, err, &usage, "parseFlags(%q): a usage error, exit status 2", tt.give)
			assert.ErrorContains(t, err, tt.wantErr, "parseFlags(%q)", tt.give)
			continue
		}
		require.NoError(t, err, "parseFlags(%q)", tt.give)
		assert.Equal(t, tt.want, got, "parseFlags(%q)", tt.give)
	}
}

func TestRowsOf(t *testing.T) {
	committed := []byte(`goos: linux
BenchmarkA/variant=x-2	10	2000000000 ns/op
BenchmarkA/variant=x-2	10	2000000000 ns/op
BenchmarkA/variant=y-2	1000	1000000 ns/op
BenchmarkB-2	1000	1000000 ns/op
`)
	all, err := benchrun.ParsePattern("")
	require.NoError(t, err)
	onlyA, err := benchrun.ParsePattern("A/")
	require.NoError(t, err)
	x := benchrun.Row{Name: "BenchmarkA/variant=x", Est: 2 * time.Second} // one op takes longer than -benchtime
	y := benchrun.Row{Name: "BenchmarkA/variant=y", Est: time.Second}
	b := benchrun.Row{Name: "BenchmarkB", Est: time.Second}
	tests := []struct {
		name      string
		pattern   *benchrun.Pattern
		count     int
		benchtime string
		want      []benchrun.Row
	}{
		{name: "every_benchmark_count_times", pattern: all, count: 2, want: []benchrun.Row{x, x, y, y, b, b}},
		{name: "the_pattern_selects", pattern: onlyA, count: 1, want: []benchrun.Row{x, y}},
		{
			name: "iterations", pattern: onlyA, count: 1, benchtime: "10x",
			want: []benchrun.Row{{Name: x.Name, Est: 20 * time.Second}, {Name: y.Name, Est: 10 * time.Millisecond}},
		},
	}
	for _, tt := range tests {
		got, err := rowsOf(committed, tt.pattern, &options{count: tt.count, benchtime: tt.benchtime})
		require.NoError(t, err, "case %s", tt.name)
		assert.Equal(t, tt.want, got, "case %s", tt.name)
	}
}

// TestMeasure runs an experiment and a rerun of part of it at -cpu 1 into
// testdata/bench, then renders docs/ from them.
func TestMeasure(t *testing.T) {
	dir := module(t)
	var stderr bytes.Buffer

	err := runExperiments(t.Context(), []string{"-root", dir, "-count", "2", "-benchtime", "1x"}, &stderr, experiments(), geventStep{})

	require.NoError(t, err, "benchdocs: %s", stderr.String())
	main := read(t, filepath.Join(dir, "testdata", "bench", "a.txt"))
	cpu1 := read(t, filepath.Join(dir, "testdata", "bench", "a-cpu1.txt"))
	for _, key := range []string{"date", "go", "kernel", "cores", "gomaxprocs", "net.core.somaxconn", "count", "benchtime"} {
		assert.Contains(t, "\n"+main, "\n"+key+": ", "a.txt's header has %s", key)
	}
	assert.Contains(t, main, "\ncount: 2\nbenchtime: 1x\n")
	assert.Equal(t, 4, strings.Count(main, "\nBenchmarkA/variant="), "a.txt: 2 variants x -count 2:\n%s", main)
	assert.Contains(t, cpu1, "\ngomaxprocs: 1\n", "the rerun says what it changed")
	assert.Contains(t, cpu1, "\nBenchmarkA/variant=x ", "at -cpu 1, go test adds no -N suffix")
	assert.NotContains(t, cpu1, "variant=y", "the rerun runs the part its Bench selects")
	assert.Equal(t, strings.SplitN(main, "\n", 2)[0], strings.SplitN(cpu1, "\n", 2)[0], "the pair has one date")
	page := read(t, filepath.Join(dir, "docs", "a.md"))
	assert.Contains(t, page, "$ go tool benchstat -col /variant testdata/bench/a.txt\n")
	assert.Contains(t, stderr.String(), "[2/6 33%] a · A/variant=y 1/2", "progress counts results of both runs: 2 variants, then 1 at -cpu 1, -count 2")
	assert.Contains(t, stderr.String(), "skipped: package . has 0 of its benchmarks (BenchmarkMissing)")
	assert.Empty(t, temporaries(t, dir), "no temporary file is left")
}

// TestMeasurePart: a -bench that selects part of an experiment saves it
// in the root as bench-NAME.txt, and leaves testdata/ and docs/ alone.
func TestMeasurePart(t *testing.T) {
	dir := module(t)
	committed := filepath.Join(dir, "testdata", "bench", "a.txt")
	write(t, committed, "goos: linux\nBenchmarkA/variant=x-2\t1\t5 ns/op\nBenchmarkA/variant=y-2\t1\t5 ns/op\n")
	var stderr bytes.Buffer

	err := runExperiments(t.Context(), []string{"-root", dir, "-count", "1", "-benchtime", "1x", "-bench", "A/variant=x"}, &stderr, experiments(), geventStep{})

	require.NoError(t, err, "benchdocs: %s", stderr.String())
	assert.Contains(t, stderr.String(), "selects part of the experiment")
	assert.Equal(t, "goos: linux\nBenchmarkA/variant=x-2\t1\t5 ns/op\nBenchmarkA/variant=y-2\t1\t5 ns/op\n", read(t, committed))
	part := read(t, filepath.Join(dir, "bench-a.txt"))
	assert.Equal(t, 1, strings.Count(part, "\nBenchmarkA/"), "only variant=x:\n%s", part)
	assert.NoDirExists(t, filepath.Join(dir, "docs"), "docs/ is not rendered from a part")
}

// TestMeasureInterrupted: interrupted while measuring its second
// experiment, benchdocs leaves the committed run of the first as it was,
// keeps the first's fresh run as bench-a.txt, and leaves no temporary
// file behind.
func TestMeasureInterrupted(t *testing.T) {
	dir := module(t)
	committed := filepath.Join(dir, "testdata", "bench", "a.txt")
	write(t, committed, "goos: linux\nBenchmarkA/variant=x-2\t1\t5 ns/op\n")
	// A committed run of slow, so that benchdocs counts its benchmarks
	// from it rather than with a dry pass, which would take the minute.
	committedSlow := filepath.Join(dir, "testdata", "bench", "slow.txt")
	write(t, committedSlow, "goos: linux\nBenchmarkSlow-2\t1\t60000000000 ns/op\n")
	exps := append(experiments(), benchdocs.Experiment{Name: "slow", Pkg: ".", Benchmarks: []string{"BenchmarkSlow"}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &watch{want: "slow: go test", seen: make(chan struct{})}
	go func() {
		select {
		case <-stderr.seen:
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()

	err := runExperiments(ctx, []string{"-root", dir, "-count", "1", "-benchtime", "1x"}, stderr, exps, geventStep{})

	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 50*time.Second, "interrupted long before BenchmarkSlow's minute")
	assert.Equal(t, "goos: linux\nBenchmarkA/variant=x-2\t1\t5 ns/op\n", read(t, committed), "the committed run is as it was")
	assert.Equal(t, "goos: linux\nBenchmarkSlow-2\t1\t60000000000 ns/op\n", read(t, committedSlow), "the committed run is as it was")
	assert.FileExists(t, filepath.Join(dir, "bench-a.txt"), "the finished run is kept")
	assert.FileExists(t, filepath.Join(dir, "bench-a-cpu1.txt"), "the finished run is kept")
	assert.Empty(t, temporaries(t, dir), "no temporary file is left")
}

// watch is a writer that closes seen once what is written to it contains
// want.
type watch struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	done bool
}

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && strings.Contains(w.buf.String(), w.want) {
		w.done = true
		close(w.seen)
	}
	return len(p), nil
}

// experiments is a table of experiments for the throwaway module: one
// with a rerun of part of it at -cpu 1, and one whose benchmarks are not written yet.
func experiments() []benchdocs.Experiment {
	return []benchdocs.Experiment{
		{
			Name: "a", Title: "A", Pkg: ".", Benchmarks: []string{"BenchmarkA"},
			Reruns: []benchdocs.Rerun{{
				Suffix: "cpu1", Args: []string{"-cpu", "1"}, Bench: "^BenchmarkA$/^variant=x$",
				Header: []benchrun.Line{{Key: "gomaxprocs", Value: "1"}},
			}},
			Page:   "# A\n\n{{benchstat \"t\"}}\n\n{{env}}\n",
			Tables: []benchdocs.Table{{ID: "t", Args: benchdocs.Args{Col: "/variant"}}},
		},
		{Name: "missing", Title: "Missing", Pkg: ".", Benchmarks: []string{"BenchmarkMissing"}},
	}
}

// module writes a throwaway module with tiny benchmarks and returns its
// directory.
func module(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	write(tb, filepath.Join(dir, "go.mod"), "module example.com/tiny\n\ngo 1.25.0\n")
	write(tb, filepath.Join(dir, "tiny_test.go"), `package tiny

import (
	"testing"
	"time"
)

func BenchmarkA(b *testing.B) {
	for _, v := range []string{"x", "y"} {
		b.Run("variant="+v, func(b *testing.B) {
			for b.Loop() {
			}
		})
	}
}

func BenchmarkSlow(b *testing.B) {
	for b.Loop() {
		time.Sleep(time.Minute)
	}
}
`)
	return dir
}

// temporaries lists the staged files left under dir.
func temporaries(tb testing.TB, dir string) []string {
	tb.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			found = append(found, p)
		}
		return err
	})
	require.NoError(tb, err)
	return found
}

func write(tb testing.TB, path, content string) {
	tb.Helper()
	require.NoError(tb, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(tb, os.WriteFile(path, []byte(content), 0o644))
}

func read(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	require.NoError(tb, err)
	return string(b)
}
