// benchdocs measures into bench-out/, and a full run moves what it
// measured into testdata/bench and renders docs/, or leaves both as they
// were. These tests run it on a throwaway module of tiny benchmarks, with
// an experiment table of their own.
//
//	go test ./cmd/benchdocs
package main

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
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
	"github.com/joinall/joinall/internal/cli"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestUsage: -h says what each flag does, with no text that looks like a
// default but is not one.
func TestUsage(t *testing.T) {
	var out bytes.Buffer

	_, err := parseFlags([]string{"-h"}, &out)

	assert.ErrorIs(t, err, flag.ErrHelp)
	for _, f := range []string{"-bench pattern", "-benchtime duration", "-count int", "-render", "-write"} {
		assert.Contains(t, out.String(), "  "+f+"\n", "-h names %s", f)
	}
	assert.NotContains(t, out.String(), "(default:", "only the flag package writes (default ...)")
	assert.Contains(t, out.String(), `(default "1s")`, "-benchtime's default")
	assert.Contains(t, out.String(), "(default 10)", "-count's default")
}

func TestFlags(t *testing.T) {
	tests := []struct {
		give    []string
		want    *options
		wantErr string
	}{
		// Only a full run writes testdata/ and docs/, unless -write.
		{give: nil, want: &options{count: 10, benchtime: "1s", full: true}},
		{give: []string{"-count", "10"}, want: &options{count: 10, benchtime: "1s", full: true}},
		{give: []string{"-count", "6", "-benchtime", "100ms"}, want: &options{count: 6, benchtime: "100ms"}},
		{give: []string{"-bench", "Fetch", "-benchtime", "2s"}, want: &options{count: 10, bench: "Fetch", benchtime: "2s"}},
		{give: []string{"-benchtime", "100x"}, want: &options{count: 10, benchtime: "100x"}},
		{give: []string{"-bench", "Fetch", "-write"}, want: &options{count: 10, bench: "Fetch", benchtime: "1s", write: true}},
		{give: []string{"-render"}, want: &options{count: 10, benchtime: "1s", full: true, render: true}},
		{give: []string{"-count", "0"}, wantErr: "-count 0: must be at least 1"},
		{give: []string{"-benchtime", "fast"}, wantErr: `-benchtime "fast": not a duration or a count of iterations`},
		{give: []string{"-benchtime", "0x"}, wantErr: `-benchtime "0x": not a duration or a count of iterations`},
		{give: []string{"-bench", "Sleep/("}, wantErr: `-bench "Sleep/(": error parsing regexp: missing closing )`},
		{give: []string{"-render", "-count", "10"}, wantErr: "-render runs no benchmark"},
		{give: []string{"-render", "-write"}, wantErr: "-render runs no benchmark"},
		{give: []string{"-nope"}, wantErr: "flag provided but not defined: -nope"},
		{give: []string{"sleep"}, wantErr: `unexpected argument "sleep"`},
	}
	for _, tt := range tests {
		got, err := parseFlags(tt.give, &bytes.Buffer{})
		if tt.wantErr != "" {
			var usage *cli.UsageError
			assert.ErrorAs(t, err, &usage, "parseFlags(%q): a usage error, exit status 2", tt.give)
			assert.ErrorContains(t, err, tt.wantErr, "parseFlags(%q)", tt.give)
			continue
		}
		require.NoError(t, err, "parseFlags(%q)", tt.give)
		assert.Equal(t, tt.want, got, "parseFlags(%q)", tt.give)
	}
}

// TestBenchmarks: a file's benchmarks, once each, in order, without the
// -GOMAXPROCS suffix that differs between machines.
func TestBenchmarks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.txt")
	write(t, path, `goos: linux
BenchmarkA/variant=x-2         	10	2000000000 ns/op
BenchmarkA/variant=x-2	10	2000000000 ns/op
BenchmarkA/variant=a-b-16	1000	1000000 ns/op
PASS
ok  	example.com/tiny	0.020s
BenchmarkA/tasks=3	1000	1000000 ns/op
BenchmarkB-2	1000	1000000 ns/op
`)

	got, err := benchmarks(path)

	require.NoError(t, err)
	assert.Equal(t, []string{"A/variant=x", "A/variant=a-b", "A/tasks=3", "B"}, got)
	_, err = benchmarks(filepath.Join(t.TempDir(), "none.txt"))
	assert.ErrorIs(t, err, fs.ErrNotExist, "nothing committed")
}

// TestMeasure runs an experiment into testdata/bench: its main run, a
// part of it at most once whatever -count says, into the same file, and
// a rerun of part of it at -cpu 1 into a file of its own; then renders
// docs/ from them. An experiment whose benchmarks do not exist is skipped.
func TestMeasure(t *testing.T) {
	dir := module(t)
	var stderr bytes.Buffer
	o := &options{root: dir, count: 2, benchtime: "1x", write: true}

	err := measure(t.Context(), o, experiments(), &stderr)

	require.NoError(t, err, "benchdocs: %s", stderr.String())
	main := read(t, filepath.Join(dir, "testdata", "bench", "a.txt"))
	cpu1 := read(t, filepath.Join(dir, "testdata", "bench", "a-cpu1.txt"))
	for _, key := range []string{"date", "go", "kernel", "cores", "gomaxprocs", "net.core.somaxconn", "count", "benchtime"} {
		assert.Contains(t, "\n"+main, "\n"+key+": ", "a.txt's header has %s", key)
	}
	assert.Contains(t, main, "\ncount: 2\nbenchtime: 1x\n")
	assert.Equal(t, 4, strings.Count(main, "\nBenchmarkA/variant="), "a.txt: 2 variants x -count 2:\n%s", main)
	assert.Equal(t, 1, strings.Count(main, "\nBenchmarkB-"), "a.txt: B once, whatever -count says:\n%s", main)
	assert.Contains(t, main, "\ncount: 1\nbenchtime: 1x\n", "B's part says its -count")
	assert.Contains(t, cpu1, "\ngomaxprocs: 1\n", "the rerun says what it changed")
	assert.Contains(t, cpu1, "\nBenchmarkA/variant=x ", "at -cpu 1, go test adds no -N suffix")
	assert.NotContains(t, cpu1, "variant=y", "the rerun runs the part its Sub selects")
	assert.Equal(t, strings.SplitN(main, "\n", 2)[0], strings.SplitN(cpu1, "\n", 2)[0], "the pair has one date")
	page := read(t, filepath.Join(dir, "docs", "a.md"))
	assert.Contains(t, page, "$ go tool benchstat -col /variant testdata/bench/a.txt\n")
	assert.Contains(t, stderr.String(), "[1/4] a: go test -run ^$ -bench ^(BenchmarkA)$ -count 2", "a line per job")
	assert.Contains(t, stderr.String(), "\nBenchmarkA/variant=x-", "go test's results, as they come")
	assert.Contains(t, stderr.String(), "missing: no results: skipped")
	assert.NoFileExists(t, filepath.Join(dir, scratch, "a.txt"), "moved into testdata/bench")
}

// TestMeasurePart: a run that is not a full one leaves its files in
// bench-out/, and testdata/ and docs/ as they were; so does one that
// lacks a benchmark of the committed run, unless -write says otherwise.
func TestMeasurePart(t *testing.T) {
	committed := "goos: linux\nBenchmarkA/variant=x-2\t1\t5 ns/op\nBenchmarkA/variant=gone-2\t1\t5 ns/op\n"
	tests := []struct {
		name       string
		give       options
		wantStderr string
		wantKept   bool
	}{
		{name: "part", give: options{bench: "A/variant=x", count: 1, benchtime: "1x"}, wantStderr: "in bench-out/: a.txt, a-cpu1.txt"},
		{name: "lacking", give: options{count: 1, benchtime: "1x", full: true}, wantStderr: "a: 1 benchmarks of the committed run gave no result (BenchmarkA/variant=gone); it is left as committed, unless -write"},
		{name: "lacking_written", give: options{count: 1, benchtime: "1x", full: true, write: true}, wantKept: true},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			dir := module(t)
			path := filepath.Join(dir, "testdata", "bench", "a.txt")
			write(t, path, committed)
			var stderr bytes.Buffer
			o := tt.give
			o.root = dir

			err := measure(t.Context(), &o, experiments()[:1], &stderr)

			require.NoError(t, err, "benchdocs: %s", stderr.String())
			assert.Contains(t, stderr.String(), tt.wantStderr)
			assert.Equal(t, !tt.wantKept, read(t, path) == committed, "testdata/bench/a.txt as committed")
			assert.Equal(t, tt.wantKept, fileExists(filepath.Join(dir, "docs", "a.md")), "docs/ rendered")
		})
	}
}

// TestMeasureInterrupted: interrupted while measuring its second
// experiment, benchdocs leaves the committed runs as they were and keeps
// the first's fresh run in bench-out/.
func TestMeasureInterrupted(t *testing.T) {
	dir := module(t)
	committed := filepath.Join(dir, "testdata", "bench", "a.txt")
	write(t, committed, "goos: linux\nBenchmarkA/variant=x-2\t1\t5 ns/op\n")
	exps := append(experiments()[:1], benchdocs.Experiment{Name: "slow", Pkg: ".", Runs: []benchdocs.Run{{Benchmarks: []string{"BenchmarkSlow"}}}})
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

	err := measure(ctx, &options{root: dir, count: 1, benchtime: "1x", write: true}, exps, stderr)

	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "testdata/ and docs/ are as they were; in bench-out/: a.txt, a-cpu1.txt")
	assert.Less(t, time.Since(start), 50*time.Second, "interrupted long before BenchmarkSlow's minute")
	assert.Equal(t, "goos: linux\nBenchmarkA/variant=x-2\t1\t5 ns/op\n", read(t, committed), "the committed run is as it was")
	assert.Contains(t, read(t, filepath.Join(dir, scratch, "a.txt")), "\nBenchmarkA/variant=y", "the finished run is kept")
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
// of three runs, and one whose benchmarks are not written yet.
func experiments() []benchdocs.Experiment {
	return []benchdocs.Experiment{
		{
			Name: "a", Title: "A", Pkg: ".",
			Runs: []benchdocs.Run{
				{Benchmarks: []string{"BenchmarkA"}},
				{Benchmarks: []string{"BenchmarkB"}, Count: 1},
				{
					Suffix: "cpu1", Benchmarks: []string{"BenchmarkA"}, Sub: "^variant=x$",
					Args: []string{"-cpu", "1"}, Header: []benchdocs.Line{{Key: "gomaxprocs", Value: "1"}},
				},
			},
			Page: "# A\n\n{{benchstat \"-col\" \"/variant\"}}\n\n{{env}}\n",
		},
		{Name: "missing", Title: "Missing", Pkg: ".", Runs: []benchdocs.Run{{Benchmarks: []string{"BenchmarkMissing"}}}},
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

func BenchmarkB(b *testing.B) {
	for b.Loop() {
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

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
