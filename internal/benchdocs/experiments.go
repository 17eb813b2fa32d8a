package benchdocs

import (
	"fmt"
	"math"

	"github.com/joinall/joinall/internal/benchplot"
	"github.com/joinall/joinall/internal/benchrun"
	"github.com/joinall/joinall/internal/benchtab"
	"github.com/joinall/joinall/internal/claims"
)

// Experiments are the pages of docs/, in the order of the article. A new
// experiment is one more entry here and its page's template in pages/.
var Experiments = []Experiment{
	{
		Name:       "sleep",
		Title:      "Sleep: three daemons in order, and spawned",
		Summary:    "time.sleep x3 in order and spawned; what a task costs; a million goroutines",
		Pkg:        ".",
		Benchmarks: []string{"BenchmarkSleep", "BenchmarkSpawn"},
		Tables: []Table{
			{ID: "sleep", Args: benchtab.Args{Filter: ".name:Sleep .unit:(ns/op OR peak-MB OR peak-goroutines)", Col: "/variant"}},
			{ID: "spawn", Args: benchtab.Args{Filter: ".name:Spawn .unit:(ns/task OR allocs/op)", Col: "/variant"}},
		},
		Plots: []Plot{
			{
				ID: "speedup", Title: "Sleeps of 10 ms: speedup over one at a time",
				X: "tasks", Y: "speedup over one at a time", LogX: true, LogY: true,
				Filter: ".name:Sleep", Row: "/tasks,/workers", Col: "/variant", Unit: "sec/op",
				Lines: sleepSpeedup,
			},
			{
				ID: "memory", Title: "Sleeps of 10 ms: memory held at the peak",
				X: "tasks", Y: "peak memory (MB)", LogX: true, LogY: true,
				Filter: ".name:Sleep", Row: "/tasks", Col: "/variant", Unit: "peak-B", Scale: 1e-6,
			},
		},
		Claims: []claims.Claim{
			{
				ID: "three", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op",
				Base: "sequential", Other: "goroutines", Want: claims.TimesLess(2.5, 3.5),
				Say: `Three 10 ms sleeps take {{.Base}} one after another and {{.Other}} spawned and joined: ` +
					`{{.Times}} {{if .Lower}}faster{{else}}slower{{end}} ({{.P}}).`,
			},
			{
				// Spawned, the three sleeps overlap: the batch takes one
				// sleep and the cost of starting and joining three
				// goroutines, which is microseconds.
				ID: "one", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op",
				Other: "goroutines", Want: claims.Between(10e-3, 15e-3),
				Say: `That is one sleep and a little more: {{.Other}} for a 10 ms sleep.`,
			},
			{
				ID: "pool", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op",
				Base: "sequential", Other: "pool", Want: claims.TimesLess(1.3, 1.7),
				Say: `A pool of two workers takes {{.Other}}, two sleeps then one: ` +
					`{{.Times}} {{if .Lower}}faster{{else}}slower{{end}} than in order ({{.P}}).`,
			},
			{
				ID: "hundred", Filter: ".name:Sleep /tasks:100", Col: "/variant", Unit: "sec/op",
				Base: "sequential", Other: "goroutines", Want: claims.TimesLess(50, 110),
				Say: `A hundred sleeps take {{.Base}} in order and {{.Other}} spawned: ` +
					`{{.Times}} {{if .Lower}}faster{{else}}slower{{end}} ({{.P}}).`,
			},
			{
				// 10,000 sleeps, 100 at a time: 100 rounds of 10 ms.
				ID: "rounds", Filter: ".name:Sleep /tasks:10000", Col: "/variant", Unit: "sec/op",
				Other: "pool", Want: claims.Between(1.0, 1.4),
				Say: `A pool of 100 workers runs 10,000 sleeps in 100 rounds of one sleep: {{.Other}}.`,
			},
			{
				ID: "goroutines-held", Filter: ".name:Sleep /tasks:10000", Col: "/variant", Unit: "peak-goroutines",
				Base: "goroutines", Other: "pool", Want: claims.TimesLess(30, 200),
				Say: `Spawning them all, the process holds {{.BaseNum}} goroutines at its peak; the pool holds ` +
					`{{.OtherNum}}, {{.Times}} {{if .Lower}}fewer{{else}}more{{end}} ({{.P}}),`,
			},
			{
				ID: "memory-held", Filter: ".name:Sleep /tasks:10000", Col: "/variant", Unit: "peak-B",
				Base: "goroutines", Other: "pool", Want: claims.TimesLess(1.5, 20),
				Say: `and {{.Other}} of memory at its peak against {{.Base}}: {{.Times}} {{if .Lower}}less{{else}}more{{end}} ({{.P}}).`,
			},
			{
				ID: "million", Filter: ".name:Sleep /tasks:1000000", Col: "/variant", Unit: "sec/op",
				Other: "goroutines", Want: claims.Between(10e-3, 10),
				Say: `A million goroutines that each sleep 10 ms all finish in {{.Other}}; ` +
					`in order, the same sleeps would take at least 10,000 s, nearly three hours.`,
			},
			{
				// Starting a million goroutines takes longer than the
				// 10 ms each one sleeps, so the first have finished before
				// the last start.
				ID: "never-all", Filter: ".name:Sleep /tasks:1000000", Col: "/variant", Unit: "peak-goroutines",
				Other: "goroutines", Want: claims.Between(1, 500_000),
				Say: `They never all exist at once: the peak is {{.OtherNum}} goroutines, because starting ` +
					`a million takes longer than the 10 ms each one sleeps.`,
			},
			{
				ID: "spawn-cost", Filter: ".name:Spawn /tasks:1000000", Col: "/variant", Unit: "sec/task",
				Base: "sequential", Other: "goroutines", Want: claims.AtLeastTimes(5),
				Say: `Running a task on a goroutine of its own, and joining it, costs {{.Other}} ` +
					`against {{.Base}} for a plain call: {{.Times}} {{if .Lower}}less{{else}}more{{end}} ({{.P}}).`,
			},
			{
				ID: "spawn-floor", Filter: ".name:Spawn /tasks:1000000", Col: "/variant", Unit: "sec/task",
				Other: "goroutines", Want: claims.Between(0, 1e-6),
				Say: `That is under a microsecond, at least ten thousand times less than the 10 ms sleep it would run.`,
			},
		},
	},
	{
		Name:       "fetch",
		Title:      "Fetch: three pages in order, and spawned",
		Summary:    "urllib2.urlopen x3 in order and spawned, against loopback servers with set latencies",
		Pkg:        ".",
		Benchmarks: []string{"BenchmarkFetch"},
		Tables: []Table{
			{ID: "fetch", Args: benchtab.Args{Filter: ".name:Fetch .unit:(ns/op OR pages/s)", Col: "/variant"}},
		},
		Plots: []Plot{
			{
				ID: "urls3", Title: "Three fetches: time against latency",
				X: "latency of each page (s)", Y: "time for the batch (s)",
				Filter: ".name:Fetch /urls:3", Row: "/latency", Col: "/variant", Unit: "sec/op",
			},
			{
				ID: "urls100", Title: "A hundred fetches: time against latency",
				X: "latency of each page (s)", Y: "time for the batch (s)", LogY: true,
				Filter: ".name:Fetch /urls:100", Row: "/latency", Col: "/variant", Unit: "sec/op",
			},
		},
		Claims: []claims.Claim{
			{
				ID: "three", Filter: ".name:Fetch /urls:3", Col: "/variant", Unit: "sec/op",
				Base: "sequential", Other: "goroutines", Want: claims.TimesLess(2.5, 3.5),
				Say: `Three fetches finish {{.Times}} {{if .Lower}}faster{{else}}slower{{end}} spawned than in order ` +
					`at every latency measured ({{.P}} at the first).`,
			},
		},
	},
	{
		Name:       "serving",
		Title:      "Serving: one at a time, a pool, a goroutine per connection",
		Summary:    "Flask, threaded Flask and gevent's WSGIServer under siege, as Go servers under a load driver",
		Pkg:        ".",
		Benchmarks: []string{"BenchmarkServer"},
		Reruns: []Rerun{{
			Suffix: "cpu1",
			Args:   []string{"-cpu", "1"},
			Header: []benchrun.Line{{Key: "gomaxprocs", Value: "1"}},
			Why:    "is one thread enough, as it is for gevent?",
		}},
		Tables: []Table{
			{ID: "io", Args: benchtab.Args{Filter: ".name:Server /work:io .unit:(trans/s OR avail-% OR p99-ms)", Col: "/server"}},
			{ID: "hello", Args: benchtab.Args{Filter: ".name:Server /work:hello .unit:(trans/s OR avail-% OR p99-ms)", Col: "/server"}},
			{ID: "cpu", Args: benchtab.Args{Filter: ".name:Server /work:cpu .unit:(trans/s OR avail-% OR p99-ms)", Col: "/server"}},
			{
				ID:     "gomaxprocs",
				Args:   benchtab.Args{Filter: ".name:Server /work:io .unit:trans/s", Ignore: "gomaxprocs,/gomaxprocs"},
				Inputs: []string{"cpu1", ""},
			},
		},
		Plots: servingPlots(),
		Claims: []claims.Claim{
			{
				ID: "io", Filter: ".name:Server /work:io /users:100", Col: "/server", Unit: "trans/s",
				Base: "serial", Other: "goroutine", Want: claims.AtLeastTimes(20),
				Say: `With a 10 ms wait per request and 100 users, the goroutine server completes {{.Other}} ` +
					`against {{.Base}} for the server that takes one connection at a time: {{.Times}} ` +
					`{{if .Lower}}fewer{{else}}more{{end}} ({{.P}}).`,
			},
		},
	},
}

// sleepSpeedup draws how many times faster than one at a time each
// variant runs its sleeps: tasks x t1 / time, where t1 is one task's share
// of the time in order at the largest batch measured in order. The guides
// are the limits: every task at once (the speedup is the number of
// tasks), and for the pool, at most its workers at once.
func sleepSpeedup(m *Medians) ([]benchplot.Series, error) {
	var t1 float64
	for _, row := range m.Rows {
		if y, ok := row.Y["sequential"]; ok {
			t1 = y / row.X // the rows are in order of tasks: the last wins
		}
	}
	if t1 == 0 {
		return nil, fmt.Errorf("no variant=sequential to measure one sleep by")
	}
	var series []benchplot.Series
	for _, s := range m.Series(1) {
		for i, p := range s.Points {
			s.Points[i].Y = p.X * t1 / p.Y
		}
		series = append(series, s)
	}
	all := benchplot.Series{Name: "all at once: speedup = tasks", Guide: true}
	pool := benchplot.Series{Name: "at most workers at once", Guide: true}
	for _, row := range m.Rows {
		all.Points = append(all.Points, benchplot.Point{X: row.X, Y: row.X})
		workers, err := number(row.Keys["/workers"])
		if err != nil {
			return nil, fmt.Errorf("/workers=%s: %w", row.Keys["/workers"], err)
		}
		pool.Points = append(pool.Points, benchplot.Point{X: row.X, Y: math.Min(row.X, workers)})
	}
	return append(series, all, pool), nil
}

// servingPlots are transactions/s and p99 latency against users, for each
// server, one plot per workload.
func servingPlots() []Plot {
	var plots []Plot
	for _, work := range []string{"hello", "io", "cpu"} {
		plots = append(plots,
			Plot{
				ID: "trans-" + work, Title: "work=" + work + ": transactions per second",
				X: "users", Y: "transactions/s", LogX: true,
				Filter: ".name:Server /work:" + work, Row: "/users", Col: "/server", Unit: "trans/s",
			},
			Plot{
				ID: "p99-" + work, Title: "work=" + work + ": 99th percentile of response time",
				X: "users", Y: "p99 (ms)", LogX: true, LogY: true,
				Filter: ".name:Server /work:" + work, Row: "/users", Col: "/server", Unit: "p99-ms",
			},
		)
	}
	return plots
}
