// Shards, exact: a run shared between processes, each with Config.Shard,
// sends together what the one run would have sent, in fake time
// (testing/synctest) over an in-memory network: the shards' users add up
// to the run's, their schedules together are its schedule to the
// nanosecond, stage after stage, and their URLs are its list, each in one
// shard. Their reports merge into the run's, and only whole.
//
//	go test -run 'Shard' -v ./load
package load_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

// arrivals is a server that answers in 1 ms and records when each request
// arrived, from start, and its path.
type arrivals struct {
	mu    sync.Mutex
	start time.Time
	at    []time.Duration
	paths map[string]int
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.at = append(a.at, time.Since(a.start))
	if a.paths == nil {
		a.paths = map[string]int{}
	}
	a.paths[r.URL.Path]++
	a.mu.Unlock()
	time.Sleep(time.Millisecond)
	w.Write([]byte(helloBody))
}

// sorted returns the arrival times in order.
func (a *arrivals) sorted() []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Sorted(slices.Values(a.at))
}

// sixTargets is a list of 6 GETs, /0 to /5.
func sixTargets() []load.Target {
	var ts []load.Target
	for i := range 6 {
		ts = append(ts, load.Target{URL: fmt.Sprintf("http://pipe.test/%d", i)})
	}
	return ts
}

// TestRunShardsSumToOneRun: one run of 10 users over 6 URLs, and the same
// run in 3 shards at once: the shards have 4, 3 and 3 users and 2 URLs
// each (/0 and /3, /1 and /4, /2 and /5); their requests arrive when the
// one run's did, to the nanosecond, stage after stage; and their merged
// report counts what the one run counted.
func TestRunShardsSumToOneRun(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name string
		give load.Config // Users, Targets, KeepAlive and DialContext set by the test
	}{
		// 30 repetitions in all: 12, 9 and 9.
		{name: "closed_loop", give: load.Config{Reps: 3}},
		// 100 a second for 1 s, 3 of 1 s: 34, 33 and 33 requests.
		{name: "open_loop", give: load.Config{Rate: 100, Duration: time.Second}},
		// 10 then 70 a second: each stage's requests dealt in turn.
		{name: "ramp", give: load.Config{Stages: []load.Stage{{Rate: 10, Duration: 500 * ms}, {Rate: 70, Duration: 500 * ms}}}},
	}
	for _, tt := range tests {
		t.Run("model="+tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := tt.give
				cfg.Users, cfg.Targets, cfg.KeepAlive = 10, sixTargets(), true
				whole := &arrivals{start: time.Now()}
				one := cfg
				one.DialContext = servePipe(t, whole)
				want, err := load.Run(t.Context(), one)
				require.NoError(t, err, "Run(the whole run)")

				shared := &arrivals{start: time.Now()}
				dial := servePipe(t, shared)
				reports := make([]*load.Report, 3)
				var wg sync.WaitGroup
				for i := range reports {
					wg.Go(func() {
						c := cfg
						c.Shard, c.DialContext = load.Shard{Number: i + 1, Count: 3}, dial
						r, err := load.Run(t.Context(), c)
						if err == nil {
							reports[i] = roundTrip(t, r)
						}
					})
				}
				wg.Wait()

				wantSettings := want.Settings
				wantSettings.Shards, wantSettings.Users, wantSettings.Rate = 3, 10, cfg.Rate
				var users []int
				var rows [][]string
				for i, r := range reports {
					require.NotNil(t, reports[i], "shard %d/3: no report", i+1)
					users = append(users, r.Users)
					var urls []string
					for _, u := range r.URLs {
						urls = append(urls, strings.TrimPrefix(u.URL, "GET http://pipe.test"))
					}
					rows = append(rows, urls)
					assert.Equal(t, wantSettings, r.Settings, "shard %d/3: settings, the whole run's", i+1)
				}
				assert.Equal(t, []int{4, 3, 3}, users, "the shards' users")
				assert.Equal(t, [][]string{{"/0", "/3"}, {"/1", "/4"}, {"/2", "/5"}}, rows, "the shards' URLs")
				if cfg.Model() == load.OpenLoop {
					assert.Equal(t, whole.sorted(), shared.sorted(), "arrivals: the shards' together, the one run's")
				}
				got, err := load.Merge(reports...)
				require.NoError(t, err, "Merge(3 shards)")
				assert.Equal(t, want.Transactions, got.Transactions, "merged hits: the one run's")
				assert.Equal(t, want.Unsent, got.Unsent, "merged unsent: the one run's")
				assert.Equal(t, want.Users, got.Users, "merged users: the one run's")
				assert.Equal(t, want.Rate, got.Rate, "merged rate: the one run's")
				assert.Equal(t, len(shared.paths), len(got.URLs), "merged rows: every URL once")
				for i := range want.Stages {
					w, g := want.Stages[i], got.Stages[i]
					assert.Equal(t, []any{w.Rate, w.Transactions, w.Unsent}, []any{g.Rate, g.Transactions, g.Unsent}, "stage %d: rate, hits and unsent, the one run's", i)
				}
				assert.Equal(t, want.Describe()+"; 3 shards", got.Describe(), "merged Describe")
			})
		})
	}
}

// TestMergeShardsRefuses: a run of shards merges only whole, each shard
// once, of one run's settings, run at the same time; each refusal says
// why in one line.
func TestMergeShardsRefuses(t *testing.T) {
	var shards, other []*load.Report
	var late *load.Report
	synctest.Test(t, func(t *testing.T) {
		dial := servePipe(t, hello())
		run := func(cfg load.Config) *load.Report {
			cfg.URL, cfg.KeepAlive, cfg.DialContext = "http://pipe.test/", true, dial
			r, err := load.Run(t.Context(), cfg)
			require.NoError(t, err, "Run(shard %v)", cfg.Shard)
			return roundTrip(t, r)
		}
		var wg sync.WaitGroup
		shards = make([]*load.Report, 3)
		other = make([]*load.Report, 3)
		for i := range 3 {
			wg.Go(func() {
				shards[i] = run(load.Config{Users: 6, Rate: 30, Duration: time.Second, Shard: load.Shard{Number: i + 1, Count: 3}})
				other[i] = run(load.Config{Users: 6, Rate: 60, Duration: time.Second, Shard: load.Shard{Number: i + 1, Count: 3}})
			})
		}
		wg.Wait()
		// Shard 3 again, once the others have ended.
		late = run(load.Config{Users: 6, Rate: 30, Duration: time.Second, Shard: load.Shard{Number: 3, Count: 3}})
	})
	tests := []struct {
		name    string
		give    []*load.Report
		wantErr string
	}{
		{name: "missing", give: shards[:2], wantErr: "load: merge: shard 3/3 missing: a run of 3 shards merges only whole"},
		{name: "twice", give: []*load.Report{shards[0], shards[1], shards[1]}, wantErr: "load: merge report 3: the same run as an earlier report"},
		{name: "duplicate_shard", give: []*load.Report{shards[0], shards[1], shards[2], late}, wantErr: "load: merge report 4: shard 3/3 twice: a run of another of its reports"},
		{name: "other_run", give: []*load.Report{shards[0], other[1]}, wantErr: "load: merge report 2: its settings differ from the first report's: rate 60/s in all, not 30/s"},
		{name: "not_at_the_same_time", give: []*load.Report{shards[0], shards[1], late}, wantErr: "load: merge report 3: the shards did not run at the same time: shard 1/3"},
		{name: "unshared", give: []*load.Report{shards[0], openParts(t, 1)[0]}, wantErr: "load: merge report 2: its settings differ from the first report's"},
	}
	for _, tt := range tests {
		t.Run("merge="+tt.name, func(t *testing.T) {
			got, err := load.Merge(tt.give...)

			assert.ErrorContains(t, err, tt.wantErr, "Merge")
			assert.Nil(t, got, "Merge: no report")
		})
	}
	got, err := load.Merge(shards...)
	require.NoError(t, err, "Merge(the 3 shards)")
	assert.Equal(t, 30, got.Transactions, "merged hits")
	assert.Equal(t, 6, got.Users, "merged users")
	for i, p := range got.Parts {
		assert.Equal(t, i+1, p.Shard, "part %d: its shard", i)
		assert.Equal(t, 10, p.Transactions, "part %d: its hits", i)
		assert.NotEmpty(t, p.Version, "part %d: a version", i)
	}
}

// TestRunShardRefused: a shard of nothing is refused before anything is
// sent: a number outside 1 to Count, more shards than users (or HTTP/2
// connections).
func TestRunShardRefused(t *testing.T) {
	tests := []struct {
		name    string
		give    load.Config
		wantErr string
	}{
		{name: "zero", give: load.Config{Users: 4, Shard: load.Shard{Number: 0, Count: 4}}, wantErr: "load: Shard 0/4: Number must be from 1 to Count"},
		{name: "past_count", give: load.Config{Users: 4, Shard: load.Shard{Number: 5, Count: 4}}, wantErr: "load: Shard 5/4: Number must be from 1 to Count"},
		{name: "more_than_users", give: load.Config{Users: 3, Shard: load.Shard{Number: 1, Count: 4}}, wantErr: "load: Shard 1/4: 3 users cannot be shared between 4 shards: each needs one"},
		{name: "more_than_connections", give: load.Config{Users: 6, HTTP2: true, Streams: 2, Shard: load.Shard{Number: 1, Count: 4}}, wantErr: "load: Shard 1/4: 3 HTTP/2 connections cannot be shared between 4 shards: each needs one"},
		{name: "too_many", give: load.Config{Users: 4, Shard: load.Shard{Number: 1, Count: load.MaxParts + 1}}, wantErr: "load: Shard 1/10001: Count must be from 0 to 10000"},
	}
	for _, tt := range tests {
		t.Run("shard="+tt.name, func(t *testing.T) {
			cfg := tt.give
			cfg.URL, cfg.Reps = "http://127.0.0.1:1/", 1

			err := cfg.Check()

			assert.EqualError(t, err, tt.wantErr, "Check")
		})
	}
}
