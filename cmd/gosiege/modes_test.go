// gosiege's other modes: benchmark lines for benchstat (-bench), the
// reports of several processes as one (-merge), and the progress line on a
// terminal.
//
//	go test -run 'Bench|Merge|Progress' -v ./cmd/gosiege
package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
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

// writeReport runs gosiege with args and -j against url and writes its
// report into dir/name, whose path it returns.
func writeReport(tb testing.TB, dir, name, url string, args ...string) string {
	tb.Helper()
	args = append(args, "-j", url)
	code, stdout, stderr := gosiege(tb.Context(), args...)
	require.Equal(tb, cli.StatusOK, code, "gosiege %v: stderr:\n%s", args, stderr)
	file := filepath.Join(dir, name)
	require.NoError(tb, os.WriteFile(file, []byte(stdout), 0o644), "write %s", file)
	return file
}

// changed writes into dir/name the report of file with change made to its
// JSON object, and returns its path.
func changed(tb testing.TB, file, name string, change func(map[string]any)) string {
	tb.Helper()
	b, err := os.ReadFile(file)
	require.NoError(tb, err, "read %s", file)
	var obj map[string]any
	require.NoError(tb, json.Unmarshal(b, &obj), "decode %s", file)
	change(obj)
	b, err = json.Marshal(obj)
	require.NoError(tb, err, "encode %s", name)
	out := filepath.Join(filepath.Dir(file), name)
	require.NoError(tb, os.WriteFile(out, b, 0o644), "write %s", out)
	return out
}

// newPart gives a changed report a part of its own, as another run's.
func newPart(id string) func(map[string]any) {
	return func(obj map[string]any) {
		if parts, ok := obj["parts"].([]any); ok && len(parts) > 0 {
			parts[0].(map[string]any)["id"] = id
		}
	}
}

// set sets the JSON field key to v.
func set(key string, v any) func(map[string]any) {
	return func(obj map[string]any) { obj[key] = v }
}

// setIn sets the JSON field key of the first element of the report's list
// (its urls, or its parts) to v.
func setIn(list, key string, v any) func(map[string]any) {
	return func(obj map[string]any) { obj[list].([]any)[0].(map[string]any)[key] = v }
}

// both makes each change.
func both(changes ...func(map[string]any)) func(map[string]any) {
	return func(obj map[string]any) {
		for _, c := range changes {
			c(obj)
		}
	}
}

// TestRunMergeRefuses: -merge refuses, with one line that says why and
// exit status 2, what would merge into a report that no run made: numbers
// no run can have, sums that overflow, a histogram of another geometry,
// the same run twice, and runs of different settings.
func TestRunMergeRefuses(t *testing.T) {
	url, _ := serveCounting(t, hello())
	dir := t.TempDir()
	closed := writeReport(t, dir, "closed.json", url, "-c", "1", "-r", "3")
	closed2 := writeReport(t, dir, "closed2.json", url, "-c", "1", "-r", "3")
	keptAlive := writeReport(t, dir, "keepalive.json", url, "-c", "1", "-r", "3", "-keepalive")
	timeout5s := writeReport(t, dir, "timeout5s.json", url, "-c", "1", "-r", "3", "-timeout", "5s")
	open1 := writeReport(t, dir, "open1.json", url, "-c", "1", "-rate", "20", "-t", "100ms")
	open2 := writeReport(t, dir, "open2.json", url, "-c", "1", "-rate", "20", "-t", "200ms")
	mergedFile := filepath.Join(dir, "merged.json")
	code, stdout, stderr := gosiege(t.Context(), "-merge", "-j", closed, closed2)
	require.Equal(t, cli.StatusOK, code, "gosiege -merge closed closed2: stderr:\n%s", stderr)
	require.NoError(t, os.WriteFile(mergedFile, []byte(stdout), 0o644), "write %s", mergedFile)
	// A histogram of 5 significant digits up to 2^62, each bucket once.
	other := hdrhistogram.New(1, 1<<62, 5)
	for range 3 {
		other.RecordValue(1000)
	}
	otherGeometry, err := other.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	require.NoError(t, err, "encode a histogram of another geometry")

	tests := []struct {
		name     string
		giveArgs []string
		wantErr  string
	}{
		{name: "same_file_twice", giveArgs: []string{closed, closed}, wantErr: "closed.json: the same run as an earlier report (part "},
		{name: "merged_and_its_part", giveArgs: []string{mergedFile, closed2}, wantErr: "closed2.json: the same run as an earlier report (part "},
		{name: "keepalive_differs", giveArgs: []string{closed, keptAlive}, wantErr: "keepalive.json: its settings differ from the first report's: keepalive true, not false"},
		{name: "timeout_differs", giveArgs: []string{closed, timeout5s}, wantErr: "timeout5s.json: its settings differ from the first report's: timeout 5s, not 30s"},
		{name: "duration_differs", giveArgs: []string{open1, open2}, wantErr: "open2.json: its settings differ from the first report's: duration 200ms, not 100ms"},
		{name: "model_differs", giveArgs: []string{closed, open1}, wantErr: "open1.json: its settings differ from the first report's: model open loop, not closed loop"},
		{name: "target_differs", giveArgs: []string{closed, changed(t, closed, "target.json", both(newPart("t1"), func(obj map[string]any) {
			if settings, ok := obj["settings"].(map[string]any); ok {
				settings["target"] = "http://127.0.0.1:1/"
			}
		}))}, wantErr: `target.json: its settings differ from the first report's: target "http://127.0.0.1:1/", not "` + url + `"`},
		{name: "negative_transactions", giveArgs: []string{changed(t, closed, "neg.json", set("transactions", -1))}, wantErr: "neg.json: load: read report: transactions: -1, below 0"},
		{name: "negative_failed", giveArgs: []string{changed(t, closed, "negf.json", set("failed_transactions", -1))}, wantErr: "negf.json: load: read report: failed_transactions: -1, below 0"},
		{name: "kinds_do_not_add_up", giveArgs: []string{changed(t, closed, "kinds.json", set("failed_reset", 5))}, wantErr: "kinds.json: load: read report: failures by kind add up to 5, not failed_transactions 0"},
		{name: "successful_above_transactions", giveArgs: []string{changed(t, closed, "succ.json", set("successful_transactions", 4))}, wantErr: "succ.json: load: read report: successful_transactions 4 above transactions 3"},
		{name: "shortest_above_longest", giveArgs: []string{changed(t, closed, "short.json", func(obj map[string]any) {
			obj["shortest_ns"] = obj["longest_ns"].(float64) + 1
		})}, wantErr: "short.json: load: read report: shortest_ns above longest_ns"},
		{name: "histogram_count", giveArgs: []string{changed(t, closed, "count.json", both(set("transactions", 30), set("successful_transactions", 30)))}, wantErr: "count.json: load: read report: the histogram holds 3 times for 30 transactions and 0 failures"},
		{name: "other_geometry", giveArgs: []string{changed(t, closed, "geometry.json", set("histogram", string(otherGeometry)))}, wantErr: "geometry.json: load: read report: histogram: 5 significant digits from 1 to 4611686018427387904, not the driver's 3 from 1 to 86400000000"},
		{name: "sums_overflow", giveArgs: []string{
			changed(t, closed, "big1.json", both(newPart("b1"), set("failed_transactions", 5e18), set("failed_other", 5e18), setIn("urls", "failed_transactions", 5e18), setIn("parts", "failed_transactions", 5e18))),
			changed(t, closed, "big2.json", both(newPart("b2"), set("failed_transactions", 5e18), set("failed_other", 5e18), setIn("urls", "failed_transactions", 5e18), setIn("parts", "failed_transactions", 5e18))),
		}, wantErr: "big2.json: failed_transactions: the sum overflows"},
		{name: "no_settings", giveArgs: []string{changed(t, closed, "nosettings.json", func(obj map[string]any) { delete(obj, "settings") })}, wantErr: "nosettings.json: load: read report: no settings"},
	}
	for _, tt := range tests {
		t.Run("merge="+tt.name, func(t *testing.T) {
			args := append([]string{"-merge"}, tt.giveArgs...)

			code, stdout, stderr := gosiege(t.Context(), args...)

			assert.Equal(t, cli.StatusUsage, code, "exit status")
			assert.Empty(t, stdout, "stdout")
			assert.Contains(t, stderr, tt.wantErr, "stderr")
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "stderr has one line:\n%s", stderr)
		})
	}
}

// TestRunMergeSplitRun: one open loop split across two processes, each
// with half the rate, against a server that cannot keep up: the merged
// report is of one run at the whole rate, and its unsent is the sum of
// the parts'.
func TestRunMergeSplitRun(t *testing.T) {
	url, _ := serveCounting(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte("hello world"))
	}))
	dir := t.TempDir()
	args := []string{"-c", "1", "-rate", "100", "-t", "300ms", "-keepalive"}
	files := []string{writeReport(t, dir, "a.json", url, args...), writeReport(t, dir, "b.json", url, args...)}
	var parts []*load.Report
	for _, f := range files {
		parts = append(parts, readFile(t, f))
	}

	code, stdout, stderr := gosiege(t.Context(), "-merge", "-j", files[0], files[1])

	require.Equal(t, cli.StatusOK, code, "gosiege -merge: exit status; stderr:\n%s", stderr)
	got, err := load.ReadJSON(strings.NewReader(stdout))
	require.NoError(t, err, "gosiege -merge: read the merged report")
	assert.Positive(t, parts[0].Unsent, "a.json: unsent")
	assert.Equal(t, parts[0].Unsent+parts[1].Unsent, got.Unsent, "merged unsent: the sum")
	assert.Equal(t, parts[0].Transactions+parts[1].Transactions, got.Transactions, "merged hits: the sum")
	assert.Equal(t, "open loop, 200/s for 300ms, at most 2 in flight", got.Describe(), "merged model")
}

// readFile reads a report that gosiege -j wrote.
func readFile(tb testing.TB, file string) *load.Report {
	tb.Helper()
	f, err := os.Open(file)
	require.NoError(tb, err, "open %s", file)
	defer f.Close()
	r, err := load.ReadJSON(f)
	require.NoError(tb, err, "read %s", file)
	return r
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
