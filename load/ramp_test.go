// Ramps, exact: an open loop whose rate changes in stages keeps one
// schedule across the stages' boundaries, in fake time (testing/synctest)
// over an in-memory network: each stage starts at the whole nanosecond the
// stages before it end, intends exactly its rate times its length, and its
// requests are timed from their intended sends, so that a backlog from one
// stage is charged to the next; what could not be sent is counted in the
// stage it was due in. The report gives each stage's figures, and merges
// keep them stage by stage.
//
//	go test -run 'Ramp' -v ./load
package load_test

import (
	"net/http"
	"reflect"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

// stageWant is what a test expects of one stage of a ramp.
type stageWant struct {
	hits, unsent int
	rate         float64       // achieved, a second
	longest      time.Duration // corrected
}

// TestRunRamp: each stage's counts, rate achieved and longest corrected
// time, exactly, against a server that answers each request in a fixed
// time.
func TestRunRamp(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name    string
		users   int
		service time.Duration
		stages  []load.Stage
		want    []stageWant
		// wantUnsent is the report's: the sum of the stages'.
		wantHits, wantUnsent int
	}{
		{
			// 2 slots, 1 ms each: every request goes at its time. 10 at
			// 0, 100, ..., 900 ms; 50 at 1000, 1010, ..., 1490 ms; 20 at
			// 1500, 1550, ..., 2450 ms.
			name: "keeps_up", users: 2, service: ms,
			stages: []load.Stage{{Rate: 10, Duration: time.Second}, {Rate: 100, Duration: 500 * ms}, {Rate: 20, Duration: time.Second}},
			want: []stageWant{
				{hits: 10, rate: 10, longest: ms},
				{hits: 50, rate: 100, longest: ms},
				{hits: 20, rate: 20, longest: ms},
			},
			wantHits: 80,
		},
		{
			// One slot of 30 ms: stage 1's request k (due at 20k ms) goes
			// at 30k ms and waits 10k + 30 ms in all, the last (k = 49)
			// 520 ms, at 1470 ms. Stage 2's request j, due at 1000 +
			// 100j ms, goes at 1500 + 30j ms while the backlog lasts
			// (j <= 7): the first waits 530 ms, charged to stage 2.
			name: "backlog_crosses_the_boundary", users: 1, service: 30 * ms,
			stages: []load.Stage{{Rate: 50, Duration: time.Second}, {Rate: 10, Duration: time.Second}},
			want: []stageWant{
				{hits: 50, rate: 50, longest: 520 * ms},
				{hits: 10, rate: 10, longest: 530 * ms},
			},
			wantHits: 60,
		},
		{
			// The same stage 1, and a stage 2 of 400 ms: the run ends at
			// 1400 ms, while request 46 of stage 1 (sent at 1380 ms) is in
			// flight; 47, 48 and 49 of stage 1 and all 4 of stage 2 (due
			// at 1000, 1100, 1200 and 1300 ms) found no free slot.
			name: "unsent_in_both_stages", users: 1, service: 30 * ms,
			stages: []load.Stage{{Rate: 50, Duration: time.Second}, {Rate: 10, Duration: 400 * ms}},
			want: []stageWant{
				{hits: 47, unsent: 3, rate: 47, longest: 490 * ms},
				{hits: 0, unsent: 4, rate: 0, longest: 0},
			},
			wantHits: 47, wantUnsent: 7,
		},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := load.Config{
					URL: "http://pipe.test/", Users: tt.users, Stages: tt.stages, KeepAlive: true,
					DialContext: servePipe(t, slowly(tt.service, http.StatusOK, helloBody)),
				}

				got, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run(%v)", tt.stages)
				require.Len(t, got.Stages, len(tt.stages), "stages")
				for i, w := range tt.want {
					s := got.Stages[i]
					assert.Equal(t, w, stageWant{hits: s.Transactions, unsent: s.Unsent, rate: s.TransactionRate, longest: s.Longest}, "stage %d", i)
					assert.Equal(t, tt.stages[i].Rate, s.Rate, "stage %d: rate intended", i)
					assert.Equal(t, tt.stages[i].Duration, s.Elapsed, "stage %d: elapsed", i)
				}
				assert.Equal(t, tt.wantHits, got.Transactions, "hits: the stages' sum")
				assert.Equal(t, tt.wantUnsent, got.Unsent, "unsent: the stages' sum")
				var length time.Duration
				for _, s := range tt.stages {
					length += s.Duration
				}
				assert.Equal(t, length, got.Settings.Duration, "the run's length: the stages' sum")
				assert.Equal(t, tt.stages, got.Settings.Stages, "settings: the stages")
			})
		})
	}
}

// TestRunRampPercentiles: each stage's percentiles are its own requests',
// corrected: in the backlog case of TestRunRamp, stage 1's times are 30,
// 40, ..., 520 ms (p50 the 25th, 270 ms) and stage 2's 530, 460, 390,
// 320, 250, 180, 110, 40, 30 and 30 ms (p50 the 5th smallest, 180 ms),
// each read from the histogram, within its 0.1 %.
func TestRunRampPercentiles(t *testing.T) {
	const ms = time.Millisecond
	synctest.Test(t, func(t *testing.T) {
		cfg := load.Config{
			URL: "http://pipe.test/", Users: 1, KeepAlive: true,
			Stages:      []load.Stage{{Rate: 50, Duration: time.Second}, {Rate: 10, Duration: time.Second}},
			DialContext: servePipe(t, slowly(30*ms, http.StatusOK, helloBody)),
		}

		got, err := load.Run(t.Context(), cfg)

		require.NoError(t, err, "Run(%v)", cfg.Stages)
		require.Len(t, got.Stages, 2, "stages")
		for i, want := range []struct{ p50, p99 time.Duration }{{270 * ms, 520 * ms}, {180 * ms, 530 * ms}} {
			assert.InEpsilon(t, want.p50, got.Stages[i].P50, 1e-3, "stage %d: p50", i)
			assert.Equal(t, want.p99, got.Stages[i].P99, "stage %d: p99, the longest", i)
		}
		assert.Equal(t, "open loop, 50/s for 1s, then 10/s for 1s, at most 1 in flight", got.Describe(), "Describe")
	})
}

// TestRunRampSchedule: the requests arrive exactly when due, to the
// nanosecond, across stages whose steps are not whole nanoseconds: 3 a
// second for 1 s (at 0, 333333333 and 666666666 ns), then 7 a second for
// 1 s from 1 s exactly (1 s + j x 142857142.857 ns, rounded down). No
// stage's rounding moves another's times.
func TestRunRampSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var at []time.Duration
		start := time.Now()
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			at = append(at, time.Since(start))
			mu.Unlock()
			w.Write([]byte(helloBody))
		})
		cfg := load.Config{
			URL: "http://pipe.test/", Users: 2, KeepAlive: true,
			Stages:      []load.Stage{{Rate: 3, Duration: time.Second}, {Rate: 7, Duration: time.Second}},
			DialContext: servePipe(t, h),
		}

		got, err := load.Run(t.Context(), cfg)

		require.NoError(t, err, "Run(%v)", cfg.Stages)
		want := []time.Duration{0, 333333333, 666666666}
		for j := range 7 {
			want = append(want, time.Second+time.Duration(float64(j)*(1e9/7.0)))
		}
		slices.Sort(at)
		assert.Equal(t, want, at, "arrivals, from the start")
		assert.Equal(t, 10, got.Transactions, "hits")
	})
}

// TestMergeRampParts: two parts of one ramp merge stage by stage: each
// stage's counts summed, its rate the sum of the parts', its percentiles
// from the merged histograms; the stages written as JSON read back as
// written. A ramp of other stages does not merge with it.
func TestMergeRampParts(t *testing.T) {
	const ms = time.Millisecond
	stages := []load.Stage{{Rate: 50, Duration: time.Second}, {Rate: 10, Duration: 400 * ms}}
	var parts []*load.Report
	var other *load.Report
	synctest.Test(t, func(t *testing.T) {
		dial := servePipe(t, slowly(30*ms, http.StatusOK, helloBody))
		run := func(stages []load.Stage) *load.Report {
			r, err := load.Run(t.Context(), load.Config{URL: "http://pipe.test/", Users: 1, KeepAlive: true, Stages: stages, DialContext: dial})
			require.NoError(t, err, "Run(%v)", stages)
			return roundTrip(t, r)
		}
		parts = []*load.Report{run(stages), run(stages)}
		other = run([]load.Stage{{Rate: 50, Duration: time.Second}, {Rate: 20, Duration: 400 * ms}})
	})
	for i, p := range parts {
		require.Len(t, p.Stages, 2, "part %d, read back: stages", i)
		assert.Equal(t, []int{47, 0}, []int{p.Stages[0].Transactions, p.Stages[1].Transactions}, "part %d, read back: hits by stage", i)
		assert.Equal(t, []int{3, 4}, []int{p.Stages[0].Unsent, p.Stages[1].Unsent}, "part %d, read back: unsent by stage", i)
	}

	got, err := load.Merge(parts...)

	require.NoError(t, err, "Merge(2 parts of a ramp)")
	require.Len(t, got.Stages, 2, "merged stages")
	assert.Equal(t, exportedFields(reflect.ValueOf(load.StageReport{
		Rate: 100, Duration: time.Second, Elapsed: time.Second, Transactions: 94, Unsent: 6, TransactionRate: 94,
		P50: parts[0].Stages[0].P50, P90: parts[0].Stages[0].P90, P99: parts[0].Stages[0].P99, P999: parts[0].Stages[0].P999,
		Longest: 490 * ms,
	})), exportedFields(reflect.ValueOf(got.Stages[0])), "merged stage 1: the same times twice, the same percentiles")
	assert.Equal(t, exportedFields(reflect.ValueOf(load.StageReport{Rate: 20, Duration: 400 * ms, Elapsed: 400 * ms, Unsent: 8})),
		exportedFields(reflect.ValueOf(got.Stages[1])), "merged stage 2")
	assert.Equal(t, 94, got.Transactions, "merged hits")
	assert.Equal(t, 14, got.Unsent, "merged unsent")
	assert.Equal(t, "open loop, 100/s for 1s, then 20/s for 400ms, at most 2 in flight", got.Describe(), "merged Describe")

	_, err = load.Merge(parts[0], other)
	assert.ErrorContains(t, err, "load: merge report 2: its settings differ from the first report's: stages [50/s for 1s 20/s for 400ms], not [50/s for 1s 10/s for 400ms]", "Merge(ramps of other stages)")
}
