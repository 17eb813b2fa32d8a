// gosiege's other modes: benchmark lines for benchstat (-bench), the
// reports of several processes as one (-merge), and the progress line on a
// terminal.
//
//	go test -run 'Bench|Merge|Progress' -v ./cmd/gosiege
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/internal/cli"
	"golang.org/x/perf/benchfmt"

	"github.com/joinall/joinall/load"
)

// decodeJSON decodes the one JSON object that gosiege -j printed.
func decodeJSON(tb testing.TB, s string) map[string]any {
	tb.Helper()
	var got map[string]any
	require.NoError(tb, json.Unmarshal([]byte(s), &got), "gosiege -j printed invalid JSON:\n%s", s)
	return got
}

// TestRunBench: -count 3 -bench NAME prints three results that benchfmt
// reads as a go test run's: named Load/NAME/users=C, with every metric of
// the report in its unit, after the run's configuration.
func TestRunBench(t *testing.T) {
	url, conns := serveCounting(t, hello())
	args := []string{"-c", "2", "-r", "5", "-count", "3", "-bench", "hello", "-keepalive", url}

	code, stdout, stderr := gosiege(t.Context(), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	rd := benchfmt.NewReader(strings.NewReader(stdout), "gosiege")
	var names []string
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		require.True(t, ok, "gosiege %v: a line benchfmt cannot read: %v", args, rd.Result())
		name := string(res.Name.Full())
		names = append(names, string(res.Name))
		for _, unit := range []string{"trans/s", "avail-%", "p99-ms", "p50-ms", "failed", "sec/op"} {
			_, ok := res.Value(unit)
			assert.True(t, ok, "gosiege %v: %s has no %s", args, name, unit)
		}
		avail, _ := res.Value("avail-%")
		assert.Equal(t, 100.0, avail, "gosiege %v: %s: avail-%%", args, name)
		assert.Equal(t, "closed loop", string(res.GetConfig("model")), "gosiege %v: %s: model:", args, name)
		assert.Equal(t, "true", string(res.GetConfig("keepalive")), "gosiege %v: %s: keepalive:", args, name)
		assert.Equal(t, "30s", string(res.GetConfig("timeout")), "gosiege %v: %s: timeout:", args, name)
	}
	require.NoError(t, rd.Err(), "gosiege %v: benchfmt", args)
	assert.Len(t, names, 3, "gosiege %v: results:\n%s", args, stdout)
	for _, n := range names {
		assert.Regexp(t, `^Load/hello/users=2(-\d+)?$`, n, "gosiege %v: a result's name", args)
	}
	assert.Equal(t, int64(1+3*2), conns.Load(), "gosiege %v: connections: the pre-flight's, and each run's 2", args)
}

// TestMergeProcesses: one load split across 4 gosiege processes against one
// server, each writing its report with -j, reads back with -merge as one
// run of all their users: every count the sum of theirs, the elapsed time
// the longest, and each percentile within the range of theirs.
func TestMergeProcesses(t *testing.T) {
	const processes, users, reps = 4, 3, 20
	url, _ := serveCounting(t, hello())
	dir := t.TempDir()
	var files []string
	var cmds []*exec.Cmd
	for i := range processes {
		file := filepath.Join(dir, "part"+string(rune('a'+i))+".json")
		out, err := os.Create(file)
		require.NoError(t, err, "create %s", file)
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-c", "3", "-r", "20", "-keepalive", "-j", url)
		cmd.Env = append(os.Environ(), "GOSIEGE_MAIN=1")
		cmd.Stdout = out
		require.NoError(t, cmd.Start(), "start gosiege process %d", i)
		files, cmds = append(files, file), append(cmds, cmd)
		t.Cleanup(func() { out.Close() })
	}
	var parts []*load.Report
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "gosiege process %d", i)
		f, err := os.Open(files[i])
		require.NoError(t, err, "open %s", files[i])
		r, err := load.ReadJSON(f)
		f.Close()
		require.NoError(t, err, "read %s", files[i])
		parts = append(parts, r)
	}
	args := append([]string{"-merge", "-j"}, files...)

	code, stdout, stderr := gosiege(t.Context(), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	got, err := load.ReadJSON(strings.NewReader(stdout))
	require.NoError(t, err, "gosiege %v: read the merged report", args)
	sum := func(f func(*load.Report) int) (n int) {
		for _, r := range parts {
			n += f(r)
		}
		return n
	}
	assert.Equal(t, processes*users*reps, got.Transactions, "merged hits")
	assert.Equal(t, sum(func(r *load.Report) int { return r.Transactions }), got.Transactions, "merged hits: the sum")
	assert.Equal(t, processes*users, got.Users, "merged users: the sum")
	assert.Equal(t, sum(func(r *load.Report) int { return int(r.Bytes) }), int(got.Bytes), "merged bytes: the sum")
	longest, elapsed := time.Duration(0), time.Duration(0)
	lo, hi := parts[0].P99, parts[0].P99
	for _, r := range parts {
		longest, elapsed = max(longest, r.Longest), max(elapsed, r.Elapsed)
		lo, hi = min(lo, r.P99), max(hi, r.P99)
	}
	assert.Equal(t, longest, got.Longest, "merged longest: the longest of all")
	assert.Equal(t, elapsed, got.Elapsed, "merged elapsed: the longest part's")
	assert.GreaterOrEqual(t, got.P99, lo, "merged p99: within the parts'")
	assert.LessOrEqual(t, got.P99, hi, "merged p99: within the parts'")
	assert.InDelta(t, float64(got.Transactions)/got.Elapsed.Seconds(), got.TransactionRate, 1e-6, "merged rate: merged hits / merged elapsed")
}

// TestRunMergeRefusesMixedModels: an open loop's report and a closed
// loop's do not merge.
func TestRunMergeRefusesMixedModels(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, args ...string) string {
		url, _ := serveCounting(t, hello())
		code, stdout, stderr := gosiege(t.Context(), append(args, "-j", url)...)
		require.Equal(t, cli.StatusOK, code, "gosiege %v: stderr:\n%s", args, stderr)
		file := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(file, []byte(stdout), 0o644), "write %s", file)
		return file
	}
	closed := write("closed.json", "-c", "1", "-r", "2")
	open := write("open.json", "-c", "1", "-rate", "50", "-t", "100ms")

	code, stdout, stderr := gosiege(t.Context(), "-merge", closed, open)

	assert.Equal(t, cli.StatusUsage, code, "gosiege -merge closed open: exit status")
	assert.Empty(t, stdout, "gosiege -merge closed open: stdout")
	assert.Contains(t, stderr, "an open loop report cannot merge with the closed loop of", "gosiege -merge closed open: stderr")
}

// TestRunProgress: on a terminal, a run of more than 2 s redraws one line
// on stderr about every second, and erases it before the report; stdout
// holds the report alone. Not on a terminal, or with -q, nothing is drawn.
func TestRunProgress(t *testing.T) {
	url, _ := serveCounting(t, hello())
	tests := []struct {
		name         string
		giveTerminal bool
		giveArgs     []string
		wantLines    bool
	}{
		{name: "terminal", giveTerminal: true, giveArgs: []string{"-c", "2", "-t", "2500ms", "-j", url}, wantLines: true},
		{name: "terminal_quiet", giveTerminal: true, giveArgs: []string{"-q", "-c", "2", "-t", "2500ms", "-j", url}},
		{name: "not_a_terminal", giveTerminal: false, giveArgs: []string{"-c", "2", "-t", "2500ms", "-j", url}},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := gosiegeIn(t.Context(), func(c *command) { c.terminal = tt.giveTerminal }, tt.giveArgs...)

			require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%q", tt.giveArgs, stderr)
			decodeJSON(t, stdout) // the report alone
			assert.Equal(t, tt.wantLines, strings.Contains(stderr, "\r\x1b[K"), "gosiege %v: progress drawn; stderr:\n%q", tt.giveArgs, stderr)
			if tt.wantLines {
				assert.Contains(t, stderr, "/2.5s · ", "gosiege %v: the line gives elapsed and total", tt.giveArgs)
				assert.True(t, strings.HasSuffix(stderr, "\r\x1b[K"), "gosiege %v: the line is erased at the end: %q", tt.giveArgs, stderr)
			}
		})
	}
}

// TestProgressLine: what the line says, and when it is drawn: for a run
// that lasts more than 2 s, from the first second; for a run by
// repetitions, once 2 s have passed.
func TestProgressLine(t *testing.T) {
	tests := []struct {
		name string
		give []load.Progress
		want string
	}{
		{
			name: "run_of_30s",
			give: []load.Progress{
				{Elapsed: time.Second, Length: 30 * time.Second, Transactions: 1200, Rate: 1200, P99: 3210 * time.Microsecond},
				{Elapsed: 2 * time.Second, Length: 30 * time.Second, Transactions: 2500, Rate: 1300, Failed: 2, P99: 4 * time.Millisecond},
			},
			want: "\r\x1b[K1s/30s · 1200 trans · 1200 trans/s · 0 failed · p99 3.21 ms" +
				"\r\x1b[K2s/30s · 2500 trans · 1300 trans/s · 2 failed · p99 4.00 ms\r\x1b[K",
		},
		{
			name: "run_of_2s",
			give: []load.Progress{{Elapsed: time.Second, Length: 2 * time.Second, Transactions: 10}},
			want: "",
		},
		{
			name: "run_by_reps",
			give: []load.Progress{
				{Elapsed: time.Second, Transactions: 10, Rate: 10},
				{Elapsed: 2 * time.Second, Transactions: 20, Rate: 10},
			},
			want: "\r\x1b[K2s · 20 trans · 10 trans/s · 0 failed · p99 0.00 ms\r\x1b[K",
		},
	}
	for _, tt := range tests {
		var got bytes.Buffer
		line := &progressLine{w: &got}
		for _, p := range tt.give {
			line.update(p)
		}
		line.clear()
		assert.Equal(t, tt.want, got.String(), "progress of %s", tt.name)
	}
}
