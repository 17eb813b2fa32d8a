// benchrun runs go test benchmarks into staged files, with progress.
// These tests run real go test processes on a throwaway module of two
// tiny benchmarks, including one that is interrupted mid-run.
//
//	go test ./internal/benchrun
package benchrun_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/internal/benchrun"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPattern(t *testing.T) {
	names := []string{
		"BenchmarkSleep/tasks=3/variant=pool",
		"BenchmarkSleep/tasks=100/variant=pool",
		"BenchmarkSpawn/tasks=3/variant=bare",
		"BenchmarkFetch/urls=3/variant=goroutines",
	}
	tests := []struct {
		give string
		want []string // the names that go test would run
	}{
		{give: "", want: names},
		{give: ".", want: names},
		{give: "Sleep", want: names[:2]},
		{give: "Sleep|Spawn", want: names[:3]},
		{give: "S/tasks=3/", want: []string{names[0], names[2]}},
		{give: "Sleep/tasks=(3|100)/pool", want: names[:2]},
		{give: "Fetch/urls=3/variant=goroutines/deeper", want: nil},
		{give: "[/]", want: nil},
	}
	for _, tt := range tests {
		p, err := benchrun.ParsePattern(tt.give)
		require.NoError(t, err, "ParsePattern(%q)", tt.give)
		var got []string
		for _, n := range names {
			if p.Matches(n) {
				got = append(got, n)
			}
		}
		assert.Equal(t, tt.want, got, "ParsePattern(%q).Matches", tt.give)
	}
	_, err := benchrun.ParsePattern("Sleep/(")
	assert.ErrorContains(t, err, "missing closing )", `ParsePattern("Sleep/(")`)
}

func TestPatternRestrict(t *testing.T) {
	tops := []string{"BenchmarkSleep", "BenchmarkSpawn"}
	tests := []struct {
		give      string
		wantBench string
		wantWhole bool
	}{
		{give: "", wantBench: "^(BenchmarkSleep|BenchmarkSpawn)$", wantWhole: true},
		{give: ".", wantBench: "^(BenchmarkSleep|BenchmarkSpawn)$", wantWhole: true},
		{give: "Sleep|Spawn", wantBench: "^(BenchmarkSleep)$|^(BenchmarkSpawn)$", wantWhole: true},
		// Only one of the two functions: a part of the experiment.
		{give: "Sleep", wantBench: "^(BenchmarkSleep)$", wantWhole: false},
		// A sub-benchmark pattern: a part, even if it matched everything.
		{give: "S/tasks=3/", wantBench: "^(BenchmarkSleep|BenchmarkSpawn)$/tasks=3/", wantWhole: false},
		{give: "Fetch", wantBench: "", wantWhole: false},
		{give: "Fetch|Sleep/x", wantBench: "^(BenchmarkSleep)$/x", wantWhole: false},
	}
	for _, tt := range tests {
		p, err := benchrun.ParsePattern(tt.give)
		require.NoError(t, err)
		gotBench, gotWhole := p.Restrict(tops)
		assert.Equal(t, tt.wantBench, gotBench, "ParsePattern(%q).Restrict(%q)", tt.give, tops)
		assert.Equal(t, tt.wantWhole, gotWhole, "ParsePattern(%q).Restrict(%q): whole", tt.give, tops)
	}
}

func TestTrimProcs(t *testing.T) {
	tests := []struct{ give, want string }{
		{give: "BenchmarkSleep/tasks=3-2", want: "BenchmarkSleep/tasks=3"},
		{give: "BenchmarkSleep/tasks=3-16", want: "BenchmarkSleep/tasks=3"},
		{give: "BenchmarkSleep/tasks=3", want: "BenchmarkSleep/tasks=3"}, // GOMAXPROCS=1: no suffix
		{give: "BenchmarkSleep/variant=x-", want: "BenchmarkSleep/variant=x-"},
		{give: "BenchmarkSleep/variant=a-b", want: "BenchmarkSleep/variant=a-b"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, benchrun.TrimProcs(tt.give), "TrimProcs(%q)", tt.give)
	}
}

func TestWith(t *testing.T) {
	lines := []benchrun.Line{{Key: "date", Value: "d"}, {Key: "gomaxprocs", Value: "2"}}
	got := benchrun.With(lines, benchrun.Line{Key: "gomaxprocs", Value: "1"}, benchrun.Line{Key: "x", Value: "y"})
	assert.Equal(t, []benchrun.Line{{Key: "date", Value: "d"}, {Key: "gomaxprocs", Value: "1"}, {Key: "x", Value: "y"}}, got)
	assert.Equal(t, "2", lines[1].Value, "With leaves its argument as it was")
}

func TestStageCommitDiscard(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "sub", "a.txt"), filepath.Join(dir, "b.txt")
	require.NoError(t, os.WriteFile(b, []byte("committed\n"), 0o644))

	sa, err := benchrun.Stage(a)
	require.NoError(t, err)
	sb, err := benchrun.Stage(b)
	require.NoError(t, err)
	_, err = sa.WriteString("new a\n")
	require.NoError(t, err)
	_, err = sb.WriteString("new b\n")
	require.NoError(t, err)
	assert.Equal(t, "committed\n", read(t, b), "before Commit, the committed file is as it was")

	require.NoError(t, benchrun.Commit(sa, sb))

	assert.Equal(t, "new a\n", read(t, a))
	assert.Equal(t, "new b\n", read(t, b))
	fi, err := os.Stat(b)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "committed files are readable by all")

	sc, err := benchrun.Stage(b)
	require.NoError(t, err)
	_, err = sc.WriteString("half")
	require.NoError(t, err)
	keep := filepath.Join(dir, "bench-b.txt")
	assert.True(t, sc.Discard(keep), "Discard keeps what was written")
	assert.Equal(t, "new b\n", read(t, b), "Discard leaves the committed file alone")
	assert.Equal(t, "half", read(t, keep))
	assert.Equal(t, []string{"b.txt", "bench-b.txt", "sub"}, list(t, dir), "no temporary file is left")
}

// TestProgress: the line says which benchmark runs and which of its
// runs, how many results of how many, time so far, and time left, which
// at first comes from the estimates and then from what the benchmarks
// took in this run.
func TestProgress(t *testing.T) {
	job := &benchrun.Job{Label: "sleep", Count: 2, Pkg: ".", Bench: "Sleep", Expect: []benchrun.Row{
		{Name: "BenchmarkSleep/a", Est: 2 * time.Second}, {Name: "BenchmarkSleep/a", Est: 2 * time.Second},
		{Name: "BenchmarkSleep/b", Est: 4 * time.Second}, {Name: "BenchmarkSleep/b", Est: 4 * time.Second},
	}}
	var out bytes.Buffer
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := benchrun.NewProgressClock(&out, []*benchrun.Job{job}, func() time.Time { return clock })
	p.Start()
	p.Begin(job)
	clock = clock.Add(4 * time.Second) // the first result also waited for the build
	p.Result("BenchmarkSleep/a")
	clock = clock.Add(4 * time.Second) // a took twice its estimate: estimates are scaled by 2
	p.Result("BenchmarkSleep/a")
	clock = clock.Add(8 * time.Second)
	p.Result("BenchmarkSleep/b")
	p.End(job, 3)
	p.Stop()

	want := []string{
		"sleep: go test -run ^$ -bench Sleep -count 2 -timeout 60m .",
		// 4 s for the second a, as the first took; 4 s for each b, as
		// estimated: the first result does not scale the estimates
		"[1/4 25%] sleep · Sleep/a 2/2 · 4s elapsed · ~12s left",
		// b is expected to take 8 s each
		"[2/4 50%] sleep · Sleep/b 1/2 · 8s elapsed · ~16s left",
		// the second b as long as the first did
		"[3/4 75%] sleep · Sleep/b 2/2 · 16s elapsed · ~8s left",
		"sleep: 3 results, 16s so far",
	}
	assert.Equal(t, want, strings.Split(strings.TrimSpace(out.String()), "\n"))
}

func TestRun(t *testing.T) {
	mod := module(t)
	job := &benchrun.Job{
		Label: "tiny", Dir: mod, Pkg: ".", Bench: "^BenchmarkTiny$", Count: 3, Benchtime: "1x",
		Header: []benchrun.Line{{Key: "date", Value: "2026-01-02T03:04Z"}, {Key: "gomaxprocs", Value: "2"}},
	}
	var out, progress bytes.Buffer
	p := benchrun.NewProgress(&progress, false, []*benchrun.Job{job})
	p.Start()

	err := benchrun.Run(t.Context(), job, &out, p)
	p.Stop()

	require.NoError(t, err, "Run: %s", progress.String())
	lines := strings.Split(out.String(), "\n")
	assert.Equal(t, []string{"date: 2026-01-02T03:04Z", "gomaxprocs: 2"}, lines[:2], "the header comes first")
	assert.Equal(t, 3, strings.Count(out.String(), "\nBenchmarkTiny"), "three results of -count 3:\n%s", out.String())
	assert.Contains(t, out.String(), "\npkg: example.com/tiny\n", "go test's own configuration lines follow")
	assert.Contains(t, progress.String(), "tiny: 3 results")
}

// TestRunFunc: a job that measures by a function of its own gets the
// same header, progress and checks as a go test run.
func TestRunFunc(t *testing.T) {
	tests := []struct {
		name    string
		give    func(ctx context.Context, w io.Writer, result func(string)) error
		wantOut string
		wantErr string
	}{
		{
			name: "results",
			give: func(ctx context.Context, w io.Writer, result func(string)) error {
				for _, server := range []string{"flask", "gevent"} {
					fmt.Fprintf(w, "BenchmarkHello/server=%s 1 5 ns/op\n", server)
					result("BenchmarkHello/server=" + server)
				}
				return nil
			},
			wantOut: "date: 2026-01-02T03:04Z\nBenchmarkHello/server=flask 1 5 ns/op\nBenchmarkHello/server=gevent 1 5 ns/op\n",
		},
		{
			name:    "no_result",
			give:    func(context.Context, io.Writer, func(string)) error { return nil },
			wantOut: "date: 2026-01-02T03:04Z\n",
			wantErr: "step: the servers printed no benchmark result",
		},
		{
			name:    "fails",
			give:    func(context.Context, io.Writer, func(string)) error { return errors.New("no port") },
			wantOut: "date: 2026-01-02T03:04Z\n",
			wantErr: "step: no port",
		},
	}
	for _, tt := range tests {
		job := &benchrun.Job{
			Label: "step", Count: 1, Func: tt.give, What: "the servers",
			Header: []benchrun.Line{{Key: "date", Value: "2026-01-02T03:04Z"}},
		}
		var out, progress bytes.Buffer
		p := benchrun.NewProgress(&progress, false, []*benchrun.Job{job})

		err := benchrun.Run(t.Context(), job, &out, p)

		assert.Equal(t, tt.wantOut, out.String(), "case %s: the file", tt.name)
		if tt.wantErr != "" {
			assert.ErrorContains(t, err, tt.wantErr, "case %s", tt.name)
			continue
		}
		assert.NoError(t, err, "case %s", tt.name)
		assert.Contains(t, progress.String(), "step: the servers\n", "case %s: progress says what runs", tt.name)
		assert.Contains(t, progress.String(), "[2/?] step · Hello/server=gevent 1/1", "case %s: progress counts the results", tt.name)
	}
}

func TestRunFails(t *testing.T) {
	mod := module(t)
	tests := []struct {
		name  string
		bench string
		want  string
	}{
		{name: "no_match", bench: "^BenchmarkNone$", want: "printed no benchmark result"},
		{name: "benchmark_fails", bench: "^BenchmarkFails$", want: "exit status 1"},
	}
	for _, tt := range tests {
		job := &benchrun.Job{Label: tt.name, Dir: mod, Pkg: ".", Bench: tt.bench, Count: 1, Benchtime: "1x"}
		p := benchrun.NewProgress(&bytes.Buffer{}, false, []*benchrun.Job{job})
		err := benchrun.Run(t.Context(), job, &bytes.Buffer{}, p)
		assert.ErrorContains(t, err, tt.want, "Run(-bench %s)", tt.bench)
	}
}

// TestRunInterrupted: cancelling the context interrupts go test and the
// test binary it started, and Run reports it, at once rather than when
// the benchmark would have ended.
func TestRunInterrupted(t *testing.T) {
	mod := module(t)
	job := &benchrun.Job{Label: "slow", Dir: mod, Pkg: ".", Bench: "^BenchmarkSlow$", Count: 1, Benchtime: "1x"}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var progress bytes.Buffer
	w := &signalWriter{seen: "slow: started", found: make(chan struct{})}
	p := benchrun.NewProgress(&progress, false, []*benchrun.Job{job})
	go func() {
		select {
		case <-w.found: // the test binary is running the benchmarks
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()

	err := benchrun.Run(ctx, job, w, p)

	assert.ErrorIs(t, err, context.Canceled, "Run after cancel")
	assert.Less(t, time.Since(start), 50*time.Second, "Run returned long before BenchmarkSlow's minute")
}

// signalWriter closes found when a line it is given starts with seen.
type signalWriter struct {
	seen  string
	found chan struct{}
	done  bool
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if !w.done && strings.HasPrefix(string(p), w.seen) {
		w.done = true
		close(w.found)
	}
	return len(p), nil
}

// module writes a throwaway module with tiny benchmarks and returns its
// directory.
func module(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/tiny\n\ngo 1.25.0\n",
		"tiny_test.go": `package tiny

import (
	"fmt"
	"testing"
	"time"
)

func BenchmarkTiny(b *testing.B) {
	for b.Loop() {
	}
}

func BenchmarkFails(b *testing.B) { b.Fatal("on purpose") }

func BenchmarkSlow(b *testing.B) {
	fmt.Println("slow: started") // go test prints its header only with the first result
	for b.Loop() {
		time.Sleep(time.Minute)
	}
}
`,
	}
	for name, content := range files {
		require.NoError(tb, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

func read(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	require.NoError(tb, err)
	return string(b)
}

func list(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(tb, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
