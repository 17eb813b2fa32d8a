// Ramps and shards from the command line: -rate's stages, -shard and
// -start-at, run in-process against loopback servers; -merge of the
// shards' reports, with a row per shard, and what it refuses.
//
//	go test -run 'Ramp|Shard' -v ./cmd/gosiege
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"

	"github.com/joinall/joinall/internal/cli"
	"github.com/joinall/joinall/load"
)

// TestRunRamp: -rate with stages and no -t runs for their sum, and the
// report has a line per stage, in text and JSON. In real time the counts
// of each stage may vary, but not what it intended: hits, failures and
// unsent add up to its rate times its length (6 and 12 here).
func TestRunRamp(t *testing.T) {
	url, _ := serveCounting(t, hello())
	args := []string{"-c", "2", "-keepalive", "-rate", "20:300ms,60:200ms", url}

	code, stdout, stderr := gosiege(t.Context(), append(args, "-j")...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	got, err := load.ReadJSON(strings.NewReader(stdout))
	require.NoError(t, err, "gosiege %v: read the report", args)
	require.Len(t, got.Stages, 2, "gosiege %v: stages", args)
	for i, want := range []int{6, 12} {
		s := got.Stages[i]
		assert.Equal(t, want, s.Transactions+s.Failed+s.Unsent, "gosiege %v: stage %d: hits, failures and unsent", args, i+1)
	}
	assert.Equal(t, 500*time.Millisecond, got.Settings.Duration, "gosiege %v: the run's length, the stages' sum", args)
	assert.Contains(t, stderr, "open loop of 20/s for 300ms, then 60/s for 200ms on "+url, "gosiege %v: the line before the run", args)

	code, stdout, stderr = gosiege(t.Context(), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	assert.Contains(t, stdout, "\nPer stage:\t\t        rate    trans/sec        trans       failed       unsent       p50 ms       p99 ms  from\n", "gosiege %v: the stages' head", args)
	assert.Regexp(t, `\n\t\t\t +60/s +[0-9.]+ +[0-9]+ +0 +[0-9]+ +[0-9.]+ +[0-9.]+  300ms for 200ms\n`, stdout, "gosiege %v: stage 2's line", args)
}

// TestRunShardAuto: -shard auto/N takes the shard's number from
// JOB_COMPLETION_INDEX, plus one, as a Kubernetes Indexed Job sets it; an
// index outside 0 to N-1 is refused before anything is sent.
func TestRunShardAuto(t *testing.T) {
	url, conns := serveCounting(t, hello())
	withIndex := func(v string) func(*command) {
		return func(c *command) {
			c.lookupEnv = func(name string) (string, bool) {
				if name == "JOB_COMPLETION_INDEX" {
					return v, true
				}
				return "", false
			}
		}
	}
	args := []string{"-shard", "auto/4", "-c", "10", "-r", "2", "-j", url}

	code, stdout, stderr := gosiegeIn(t.Context(), withIndex("2"), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	got, err := load.ReadJSON(strings.NewReader(stdout))
	require.NoError(t, err, "gosiege %v: read the report", args)
	assert.Equal(t, 3, got.Parts[0].Shard, "gosiege %v, index 2: the shard", args)
	assert.Equal(t, 2, got.Users, "gosiege %v, index 2: its users, of 10 over 4 shards: 3, 3, 2, 2", args)
	assert.Equal(t, 4, got.Transactions, "gosiege %v, index 2: hits", args)
	assert.Equal(t, []int{4, 10}, []int{got.Settings.Shards, got.Settings.Users}, "gosiege %v: the whole run's shards and users", args)
	assert.Contains(t, stderr, "; this is shard 3/4, with 2 of the users", "gosiege %v: the line before the run", args)

	before := conns.Load()
	code, stdout, stderr = gosiegeIn(t.Context(), withIndex("4"), args...)

	assert.Equal(t, cli.StatusUsage, code, "gosiege %v, index 4: exit status", args)
	assert.Empty(t, stdout, "gosiege %v, index 4: stdout", args)
	assert.Equal(t, "gosiege: -shard auto/4: JOB_COMPLETION_INDEX=\"4\": not an index from 0 to 3\n", stderr, "gosiege %v, index 4: stderr", args)
	assert.Equal(t, before, conns.Load(), "gosiege %v, index 4: connections", args)
}

// shardRun is one shard's gosiege, run by runShards.
type shardRun struct {
	args           []string
	code           int
	stdout, stderr string
}

// runShards runs gosiege once for each list of arguments, all at once, and
// returns their outcomes in order.
func runShards(ctx context.Context, argss ...[]string) []shardRun {
	runs := make([]shardRun, len(argss))
	var wg sync.WaitGroup
	for i, args := range argss {
		wg.Go(func() {
			code, stdout, stderr := gosiege(ctx, args...)
			runs[i] = shardRun{args: args, code: code, stdout: stdout, stderr: stderr}
		})
	}
	wg.Wait()
	return runs
}

// writeShards writes each run's report into dir, as shard-I.json from
// prefix, after checking that it ran.
func writeShards(tb testing.TB, dir, prefix string, runs []shardRun) []string {
	tb.Helper()
	var files []string
	for i, r := range runs {
		require.Equal(tb, cli.StatusOK, r.code, "gosiege %v: exit status; stderr:\n%s", r.args, r.stderr)
		file := filepath.Join(dir, fmt.Sprintf("%s-%d.json", prefix, i+1))
		require.NoError(tb, os.WriteFile(file, []byte(r.stdout), 0o644), "write %s", file)
		files = append(files, file)
	}
	return files
}

// TestRunShardsMerge: three shards of an open loop, started together by
// -start-at, merge into the run: a row per shard first, then the report,
// whose transactions are the shards' sum. -merge refuses a shard missing,
// a shard twice, and a shard that ran after the others, each with one
// line.
func TestRunShardsMerge(t *testing.T) {
	url, _ := serveCounting(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(time.Millisecond)
		w.Write([]byte("hello world"))
	}))
	dir := t.TempDir()
	shardArgs := func(i int, at time.Time) []string {
		return []string{"-shard", fmt.Sprintf("%d/3", i), "-start-at", at.Format(time.RFC3339Nano),
			"-c", "6", "-rate", "90", "-t", "300ms", "-keepalive", "-j", url}
	}
	at := time.Now().Add(time.Second)
	runs := runShards(t.Context(), shardArgs(1, at), shardArgs(2, at), shardArgs(3, at), shardArgs(1, at))
	files := writeShards(t, dir, "shard", runs)
	var sum int
	for i, f := range files[:3] {
		r := readFile(t, f)
		sum += r.Transactions
		assert.False(t, r.Parts[0].Start.Before(at), "shard %d/3: started at %v, before -start-at %v", i+1, r.Parts[0].Start, at)
		assert.Contains(t, runs[i].stderr, "** gosiege: waiting ", "shard %d/3: stderr", i+1)
		assert.Equal(t, 9, r.Transactions+r.Failed+r.Unsent, "shard %d/3: its share of the schedule, 27 requests (90/s for 300ms) by 3", i+1)
	}
	// The same shard 1, once the others have ended.
	late := writeShards(t, dir, "late", runShards(t.Context(), shardArgs(1, time.Now())))[0]

	code, stdout, stderr := gosiege(t.Context(), "-merge", files[0], files[1], files[2])

	require.Equal(t, cli.StatusOK, code, "gosiege -merge: exit status; stderr:\n%s", stderr)
	assert.Contains(t, stdout, "Per shard:\t\t   trans/sec        trans       failed       unsent       p99 ms      start s  part, host, version\n", "gosiege -merge: the shards' head")
	for i := 1; i <= 3; i++ {
		assert.Regexp(t, fmt.Sprintf(`\n\t\t\t +[0-9.]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9.]+ +[-+][0-9.]+  %d/3 `, i), stdout, "gosiege -merge: shard %d's row", i)
	}
	assert.Contains(t, stdout, fmt.Sprintf("\nTransactions:\t\t%12d hits\n", sum), "gosiege -merge: the shards' sum")
	assert.Contains(t, stdout, "\nModel:\t\t\topen loop, 90/s for 300ms, at most 6 in flight; 3 shards;", "gosiege -merge: the model line")
	assert.Less(t, strings.Index(stdout, "Per shard:"), strings.Index(stdout, "Transactions:"), "gosiege -merge: the rows come first")

	tests := []struct {
		name     string
		giveArgs []string
		wantErr  string
	}{
		{name: "missing", giveArgs: files[:2], wantErr: "gosiege: load: merge: shard 3/3 missing: a run of 3 shards merges only whole\n"},
		{name: "twice", giveArgs: []string{files[0], files[1], files[2], files[3]}, wantErr: "gosiege: -merge " + files[3] + ": shard 1/3 twice: a run of another of its reports\n"},
		{name: "not_together", giveArgs: []string{files[1], files[2], late}, wantErr: "gosiege: -merge " + late + ": the shards did not run at the same time: shard "},
		{name: "unshared", giveArgs: []string{files[0], writeReport(t, dir, "unshared.json", url, "-c", "6", "-rate", "90", "-t", "300ms", "-keepalive")}, wantErr: "its settings differ from the first report's: a run of 0 shards, not 3\n"},
	}
	for _, tt := range tests {
		t.Run("merge="+tt.name, func(t *testing.T) {
			args := append([]string{"-merge"}, tt.giveArgs...)

			code, stdout, stderr := gosiege(t.Context(), args...)

			assert.Equal(t, cli.StatusUsage, code, "gosiege %v: exit status", args)
			assert.Empty(t, stdout, "gosiege %v: stdout", args)
			assert.Contains(t, stderr, tt.wantErr, "gosiege %v: stderr", args)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "gosiege %v: one line", args)
		})
	}
}

// TestRunBenchRamp: -bench names a ramp's result by its stages, as -rate
// gives them, so that benchstat -col /rate sets ramps side by side.
func TestRunBenchRamp(t *testing.T) {
	url, _ := serveCounting(t, hello())
	args := []string{"-c", "2", "-rate", "50:100ms,100:100ms", "-bench", "ramp", "-keepalive", url}

	code, stdout, stderr := gosiege(t.Context(), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	rd := benchfmt.NewReader(strings.NewReader(stdout), "gosiege")
	require.True(t, rd.Scan(), "gosiege %v: a result:\n%s", args, stdout)
	res, ok := rd.Result().(*benchfmt.Result)
	require.True(t, ok, "gosiege %v: a line benchfmt cannot read: %v", args, rd.Result())
	assert.Regexp(t, `^Load/ramp/users=2/rate=50:100ms,100:100ms(-\d+)?$`, string(res.Name), "gosiege %v: the result's name", args)
	assert.Equal(t, "open loop", string(res.GetConfig("model")), "gosiege %v: model:", args)
}
