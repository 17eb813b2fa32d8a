// The article's first experiment: daemon() sleeps one second and prints
// "done". Three calls in order take 3 s; three spawned and joined take 1 s.
//
// The tests prove it exactly, in fake time (testing/synctest), for every
// strategy, together with the promises every strategy keeps: outcomes in the
// order given, a panic as an error, cancellation, no goroutine left behind.
//
// Fake time, for a reader who knows gevent: synctest.Test runs a function
// in a bubble whose goroutines share a clock of their own, which starts at
// midnight UTC on 1 January 2000. The clock stands still while any
// goroutine in the bubble can run; when every one of them waits (on a
// timer, a channel, a WaitGroup), it jumps at once to the next timer due.
// So time.Sleep(time.Second) in the bubble returns after exactly one
// second of its clock and a few microseconds of the machine's, three
// sleeps that overlap end at the same instant, and time.Since says 1 s,
// not 1.006 s: the machine's speed is not in it. gevent has no such clock
// built in; a test of greenlets would patch time.sleep. A bubble in which
// every goroutine waits and no timer is due fails its test instead of
// hanging.
//
//	go test -run 'Sleep|Strateg|Example' -v .
//
// The benchmarks measure it in real time, and what a task costs:
//
//	go test -run '^$' -bench 'Sleep|Spawn' .
//	go test -run '^$' -bench 'Sleep/tasks=3/' -count 6 | go tool benchstat -col /variant -
package joinall_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall"
	"github.com/joinall/joinall/internal/peak"
)

// A variant is a strategy as the story names it: strategy=NAME in the
// tests' names, variant=NAME in the benchmarks', so that benchstat -col
// /variant sets the strategies side by side. The pool's size is not in
// its name: a benchmark row gives it as workers=N, and the tests' pool has
// testWorkers.
type variant struct {
	name     string
	strategy joinall.Strategy
}

// strategies are the three ways to run a batch, the pool with workers
// workers. Every table of the story runs against all of them: a new
// strategy is one more line here and one more want per row.
func strategies(workers int) []variant {
	return []variant{
		{name: "sequential", strategy: joinall.Sequential},
		{name: "goroutines", strategy: joinall.Goroutines},
		{name: "pool", strategy: joinall.Pool(workers)},
	}
}

// testWorkers is the size of the tests' pool: two, the fewest that runs
// tasks side by side and still queues the third of the article's three.
const testWorkers = 2

// sleep is the article's daemon() without the print: a task that sleeps d,
// or less if ctx is cancelled first.
func sleep(d time.Duration) joinall.Task {
	return func(ctx context.Context) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func sleeps(durations []time.Duration) []joinall.Task {
	tasks := make([]joinall.Task, len(durations))
	for i, d := range durations {
		tasks[i] = sleep(d)
	}
	return tasks
}

// TestSleepElapsed is the article's claim, exact: in fake time a batch takes
// precisely what its strategy says, no more and no less. A strategy that
// quietly ran in order would take the sum of the sleeps and fail.
func TestSleepElapsed(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name string
		give []time.Duration
		want map[string]time.Duration // elapsed, by strategy
	}{
		{
			// The article: 3.01 s in order, 1.006 s spawned and joined.
			name: "article",
			give: []time.Duration{1 * s, 1 * s, 1 * s},
			want: map[string]time.Duration{"sequential": 3 * s, "goroutines": 1 * s, "pool": 2 * s},
		},
		{
			// sequential 1+2+3 = 6 s; goroutines: the longest, 3 s;
			// pool: 1 s and 2 s start at 0, 3 s starts when 1 s ends: 1+3 = 4 s.
			name: "uneven",
			give: []time.Duration{1 * s, 2 * s, 3 * s},
			want: map[string]time.Duration{"sequential": 6 * s, "goroutines": 3 * s, "pool": 4 * s},
		},
		{
			// pool: 3 s holds one worker while the other runs 1+1+1 = 3 s.
			name: "longest_first",
			give: []time.Duration{3 * s, 1 * s, 1 * s, 1 * s},
			want: map[string]time.Duration{"sequential": 6 * s, "goroutines": 3 * s, "pool": 3 * s},
		},
		{
			// pool: 1 s and 1 s, then 1 s and 3 s start at 1 s: 1+3 = 4 s.
			// The same tasks as longest_first, given in another order, take
			// longer: a pool starts tasks in the order given.
			name: "longest_last",
			give: []time.Duration{1 * s, 1 * s, 1 * s, 3 * s},
			want: map[string]time.Duration{"sequential": 6 * s, "goroutines": 3 * s, "pool": 4 * s},
		},
		{
			name: "no_tasks",
			give: nil,
			want: map[string]time.Duration{"sequential": 0, "goroutines": 0, "pool": 0},
		},
		{
			name: "one_task",
			give: []time.Duration{1 * s},
			want: map[string]time.Duration{"sequential": 1 * s, "goroutines": 1 * s, "pool": 1 * s},
		},
		{
			// 10,000 x 10 ms: sequential 100 s; goroutines 10 ms;
			// pool: 5,000 rounds of 10 ms = 50 s.
			name: "10000_tasks",
			give: slices.Repeat([]time.Duration{10 * time.Millisecond}, 10_000),
			want: map[string]time.Duration{"sequential": 100 * s, "goroutines": 10 * time.Millisecond, "pool": 50 * s},
		},
	}
	for _, tt := range tests {
		for _, v := range strategies(testWorkers) {
			t.Run("case="+tt.name+"/strategy="+v.name, func(t *testing.T) {
				t.Parallel()
				want, ok := tt.want[v.name]
				require.True(t, ok, "the row has no want for this strategy")
				synctest.Test(t, func(t *testing.T) {
					start := time.Now()
					errs := v.strategy.Run(t.Context(), sleeps(tt.give))
					elapsed := time.Since(start)

					assert.Equal(t, want, elapsed, "Run: elapsed")
					assert.Len(t, errs, len(tt.give), "Run: one error per task")
					assert.Empty(t, slices.DeleteFunc(errs, isNil), "Run: errors")
				})
			})
		}
	}
}

func isNil(err error) bool { return err == nil }

// TestStrategyOutcomesInOrder: errs[i] belongs to tasks[i], whatever order the
// tasks finished in. The tasks finish in a different order for every
// strategy, and the outcomes come back in the same order for all.
func TestStrategyOutcomesInOrder(t *testing.T) {
	const s = time.Second
	give := []struct {
		sleep time.Duration
		err   error
	}{
		{sleep: 5 * s, err: nil},
		{sleep: 3 * s, err: errors.New("task 1 failed")},
		{sleep: 4 * s, err: nil},
		{sleep: 1 * s, err: errors.New("task 3 failed")},
		{sleep: 2 * s, err: nil},
	}
	wantErrs := []error{nil, give[1].err, nil, give[3].err, nil}
	wantFinished := map[string][]int{ // task indexes in the order they finished, by strategy
		"sequential": {0, 1, 2, 3, 4},
		// By sleep: 1 s (task 3), 2 s (4), 3 s (1), 4 s (2), 5 s (0).
		"goroutines": {3, 4, 1, 2, 0},
		// Worker A: task 0 (0-5 s), task 3 (5-6 s), task 4 (6-8 s).
		// Worker B: task 1 (0-3 s), task 2 (3-7 s).
		"pool": {1, 0, 3, 2, 4},
	}
	for _, v := range strategies(testWorkers) {
		t.Run("strategy="+v.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var finished []int
				tasks := make([]joinall.Task, len(give))
				for i, g := range give {
					tasks[i] = func(ctx context.Context) error {
						time.Sleep(g.sleep)
						mu.Lock()
						finished = append(finished, i)
						mu.Unlock()
						return g.err
					}
				}

				errs := v.strategy.Run(t.Context(), tasks)

				assert.Equal(t, wantErrs, errs, "Run: errors")
				assert.Equal(t, wantFinished[v.name], finished, "Run: finishing order")
			})
		})
	}
}

// TestStrategyPanicBecomesError: a task that panics reports a *PanicError
// holding the panic value; the tasks after it still run, and the test
// process does not crash (a bare errgroup would crash it).
func TestStrategyPanicBecomesError(t *testing.T) {
	errBoom := errors.New("boom")
	for _, v := range strategies(testWorkers) {
		t.Run("strategy="+v.name, func(t *testing.T) {
			t.Parallel()
			var ran [4]atomic.Bool
			tasks := []joinall.Task{
				func(context.Context) error { ran[0].Store(true); return nil },
				func(context.Context) error { ran[1].Store(true); panic("a string") },
				func(context.Context) error { ran[2].Store(true); panic(errBoom) },
				func(context.Context) error { ran[3].Store(true); return nil },
			}

			errs := v.strategy.Run(t.Context(), tasks)

			require.Len(t, errs, 4, "Run: one error per task")
			assert.NoError(t, errs[0], "Run: task 0")
			assert.NoError(t, errs[3], "Run: task 3, after two panics")
			var pe *joinall.PanicError
			if assert.ErrorAs(t, errs[1], &pe, "Run: task 1") {
				assert.Equal(t, "a string", pe.Value, "Run: task 1's panic value")
				assert.Contains(t, string(pe.Stack), "TestStrategyPanicBecomesError", "Run: task 1's stack")
			}
			assert.ErrorIs(t, errs[2], errBoom, "Run: task 2 panicked with an error")
			for i := range ran {
				assert.True(t, ran[i].Load(), "Run: task %d ran", i)
			}
		})
	}
}

// TestStrategyGoexitBecomesError: a task that calls runtime.Goexit (as
// t.FailNow does) ends its goroutine without returning; its outcome is
// reported, not lost as a silent success. Sequential is left out: it runs
// tasks on the caller's goroutine, which Goexit would end.
func TestStrategyGoexitBecomesError(t *testing.T) {
	for _, v := range strategies(testWorkers)[1:] {
		t.Run("strategy="+v.name, func(t *testing.T) {
			t.Parallel()
			tasks := []joinall.Task{
				func(context.Context) error { return nil },
				func(context.Context) error { runtime.Goexit(); return nil },
				func(context.Context) error { return nil },
			}

			errs := v.strategy.Run(t.Context(), tasks)

			assert.Equal(t, []error{nil, joinall.ErrGoexit, nil}, errs, "Run")
		})
	}
}

// TestStrategyCancel: when the context ends, tasks already running see it,
// and tasks not yet started never start.
func TestStrategyCancel(t *testing.T) {
	const (
		s          = time.Second
		ok         = "ok"          // the task finished its sleep
		saw        = "saw ctx"     // the task was running and returned ctx.Err()
		notStarted = "not started" // the task never ran
	)
	tests := []struct {
		name        string
		giveSleeps  []time.Duration
		giveTimeout time.Duration
		wantElapsed time.Duration
		want        map[string][]string // each task's outcome, by strategy
	}{
		{
			// The deadline is at 1.5 s.
			// sequential: task 0 ends at 1 s; task 1 is running.
			// goroutines: the 1 s tasks have ended; the 2 s ones are running.
			// pool: task 0 ends at 1 s and task 2 takes its worker;
			// tasks 1 and 2 are running.
			name:        "deadline_mid_run",
			giveSleeps:  []time.Duration{1 * s, 2 * s, 2 * s, 1 * s, 1 * s},
			giveTimeout: 1500 * time.Millisecond,
			wantElapsed: 1500 * time.Millisecond,
			want: map[string][]string{
				"sequential": {ok, saw, notStarted, notStarted, notStarted},
				"goroutines": {ok, saw, saw, ok, ok},
				"pool":       {ok, saw, saw, notStarted, notStarted},
			},
		},
		{
			name:        "deadline_before_run",
			giveSleeps:  []time.Duration{1 * s, 1 * s, 1 * s},
			giveTimeout: 0,
			wantElapsed: 0,
			want: map[string][]string{
				"sequential": {notStarted, notStarted, notStarted},
				"goroutines": {notStarted, notStarted, notStarted},
				"pool":       {notStarted, notStarted, notStarted},
			},
		},
	}
	for _, tt := range tests {
		for _, v := range strategies(testWorkers) {
			t.Run("case="+tt.name+"/strategy="+v.name, func(t *testing.T) {
				t.Parallel()
				want, found := tt.want[v.name]
				require.True(t, found, "the row has no want for this strategy")
				synctest.Test(t, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(t.Context(), tt.giveTimeout)
					defer cancel()
					var started atomic.Int32
					tasks := make([]joinall.Task, len(tt.giveSleeps))
					for i, d := range tt.giveSleeps {
						tasks[i] = func(ctx context.Context) error {
							started.Add(1)
							return sleep(d)(ctx)
						}
					}

					start := time.Now()
					errs := v.strategy.Run(ctx, tasks)
					elapsed := time.Since(start)

					got := make([]string, len(errs))
					for i, err := range errs {
						switch {
						case err == nil:
							got[i] = ok
						case errors.Is(err, joinall.ErrNotStarted) && errors.Is(err, context.DeadlineExceeded):
							got[i] = notStarted
						case errors.Is(err, context.DeadlineExceeded):
							got[i] = saw
						default:
							got[i] = err.Error()
						}
					}
					assert.Equal(t, want, got, "Run: outcomes")
					assert.Equal(t, tt.wantElapsed, elapsed, "Run: elapsed")
					wantStarted := int32(len(want))
					for _, outcome := range want {
						if outcome == notStarted {
							wantStarted--
						}
					}
					assert.Equal(t, wantStarted, started.Load(), "Run: tasks started")
				})
			})
		}
	}
}

// TestStrategyWaitsForEveryTask: when Run returns, every task it started has
// returned, and no goroutine it started is left. Not parallel, so that
// goleak sees only this test's goroutines.
func TestStrategyWaitsForEveryTask(t *testing.T) {
	for _, v := range strategies(testWorkers) {
		t.Run("strategy="+v.name, func(t *testing.T) {
			var finished atomic.Int32
			tasks := make([]joinall.Task, 20)
			for i := range tasks {
				tasks[i] = func(ctx context.Context) error {
					defer finished.Add(1)
					// Tasks of different lengths, a few milliseconds each.
					return sleep(time.Duration(i%5) * time.Millisecond)(ctx)
				}
			}

			v.strategy.Run(t.Context(), tasks)

			assert.Equal(t, int32(len(tasks)), finished.Load(), "Run returned before its tasks")
			goleak.VerifyNone(t)
		})
	}
}

func TestPoolNeedsAWorker(t *testing.T) {
	tests := []struct {
		give int
		want string
	}{
		{give: 0, want: "joinall.Pool(0): a pool needs at least 1 worker"},
		{give: -1, want: "joinall.Pool(-1): a pool needs at least 1 worker"},
	}
	for _, tt := range tests {
		assert.PanicsWithValue(t, tt.want, func() { joinall.Pool(tt.give) }, "Pool(%d)", tt.give)
	}
}

func TestStrategyNames(t *testing.T) {
	var got []string
	for _, v := range strategies(testWorkers) {
		got = append(got, v.strategy.Name())
	}
	assert.Equal(t, []string{"sequential", "goroutines", "pool-2"}, got)
}

// BenchmarkSleep runs the article's experiment in real time, with the
// article's daemon (a plain time.Sleep) shortened to 10 ms.
//
// Every row carries the pool's size (workers), so that benchstat -col
// /variant puts the variants of a row side by side; the other variants
// ignore it. Sequential is left out where one operation would take over a
// second. Beside time, each row reports the most the run held, sampled every
// millisecond: peak-MB, heap objects plus goroutine stacks in 10^6 bytes,
// and peak-goroutines. benchstat converts MB to bytes and prints peak-B
// with binary prefixes (8.616Mi is 8.616 MiB); a unit it does not convert,
// such as peak-MiB, it would print with metric ones (583.9m for 0.58 MiB).
func BenchmarkSleep(b *testing.B) {
	const d = 10 * time.Millisecond
	daemon := func(context.Context) error { time.Sleep(d); return nil }
	tests := []struct {
		tasks, workers int
		sequential     bool // whether one sequential operation fits in about a second
	}{
		{tasks: 3, workers: 2, sequential: true}, // the article's
		{tasks: 100, workers: 10, sequential: true},
		{tasks: 10_000, workers: 100},
		{tasks: 1_000_000, workers: 10_000},
	}
	for _, tt := range tests {
		variants := strategies(tt.workers)
		if !tt.sequential {
			variants = variants[1:]
		}
		for _, v := range variants {
			b.Run(fmt.Sprintf("tasks=%d/workers=%d/variant=%s", tt.tasks, tt.workers, v.name), func(b *testing.B) {
				tasks := slices.Repeat([]joinall.Task{daemon}, tt.tasks)
				ctx := context.Background()
				b.ReportAllocs()
				runtime.GC()
				sampler := peak.Start()
				for b.Loop() {
					v.strategy.Run(ctx, tasks)
				}
				held := sampler.Stop()
				b.ReportMetric(float64(held.Bytes)/1e6, "peak-MB")
				b.ReportMetric(float64(held.Goroutines), "peak-goroutines")
			})
		}
	}
}

// BenchmarkSpawn measures what running a task costs in each variant, with
// tasks that do nothing. variant=bare is a plain loop of wg.Go(f): the floor
// no strategy can beat. ns/task is ns/op divided by the number of tasks.
func BenchmarkSpawn(b *testing.B) {
	noop := func(context.Context) error { return nil }
	bare := func() {}
	tests := []struct{ tasks, workers int }{
		{tasks: 1_000, workers: 10},
		{tasks: 1_000_000, workers: 10_000},
	}
	for _, tt := range tests {
		variants := []struct {
			name string
			run  func(ctx context.Context, tasks []joinall.Task)
		}{
			{name: "bare", run: func(_ context.Context, tasks []joinall.Task) {
				var wg sync.WaitGroup
				for range tasks {
					wg.Go(bare)
				}
				wg.Wait()
			}},
			{name: "sequential", run: runWith(joinall.Sequential)},
			{name: "goroutines", run: runWith(joinall.Goroutines)},
			{name: "pool", run: runWith(joinall.Pool(tt.workers))},
		}
		for _, v := range variants {
			b.Run(fmt.Sprintf("tasks=%d/workers=%d/variant=%s", tt.tasks, tt.workers, v.name), func(b *testing.B) {
				tasks := slices.Repeat([]joinall.Task{noop}, tt.tasks)
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					v.run(ctx, tasks)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tt.tasks), "ns/task")
			})
		}
	}
}

func runWith(s joinall.Strategy) func(context.Context, []joinall.Task) {
	return func(ctx context.Context, tasks []joinall.Task) { s.Run(ctx, tasks) }
}
