// Package benchdocs renders docs/ from the benchmark runs committed under
// testdata/bench/: a page per experiment with benchstat's tables, charts,
// the code that ran, the sentences it states about results (shown only
// where the data bear them out, see Claim), and the environment the run
// was measured in. An experiment is one entry of Experiments and its
// page's template, pages/NAME.md. Rendering runs no benchmark, only the
// benchstat that go.mod pins, and returns the same bytes on every machine;
// cmd/benchdocs measures the runs it reads.
package benchdocs

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/joinall/joinall/server"
)

// An Experiment is one page of docs/ and the benchmarks it is made from;
// one without runs makes a page from other files, or from none.
type Experiment struct {
	Name    string // the page docs/NAME.md, its template pages/NAME.md, its run testdata/bench/NAME.txt
	Title   string
	Summary string // what the index says of it
	Pkg     string // the package of the benchmarks; empty means the module's root, "."
	// Runs are the go test runs that make its files: the main run, and
	// runs that differ from it in one setting, saved beside it. Each
	// benchmark function belongs to one experiment.
	Runs  []Run
	Page  string // the page's template; empty means pages/NAME.md
	Plots []Plot
}

// A Run is one go test -bench; runs with the same Suffix write one file.
type Run struct {
	Suffix     string   // the file is NAME-SUFFIX.txt ("cpu1"); NAME.txt when empty
	Benchmarks []string // "BenchmarkSleep"
	Sub        string   // a -bench pattern below the functions, for part of them: "^server=goroutine$"
	Args       []string // more go test flags: "-cpu", "1"
	Env        []string // "NAME=value"
	Count      int      // when set, the most runs of each benchmark, whatever -count says
	Header     []Line   // where the file's header differs from the environment: gomaxprocs: 1
}

// A Line is one key: value line of a raw file's header, which benchstat
// reads as configuration.
type Line struct{ Key, Value string }

// A Plot is a chart of the medians of Unit that Filter selects: a line per
// value of Col, X from the first key of Row (a number, or a duration in
// seconds); or, with Bars, a bar per value of Col for the one row.
type Plot struct {
	ID      string // the file docs/img/NAME-ID.svg
	Title   string
	X, Y    string // the axes' labels, with the unit of the table beside the chart
	Filter  string
	Row     string // the X key first, then keys that go with it: "/tasks,/workers"
	Col     string
	Unit    string                    // "sec/op", "peak-B"
	Scale   float64                   // what the medians are multiplied by; 0 means 1
	Draw    func(m *Medians) []Series // when set, the lines to draw: the data, and limits beside them
	Bars    bool
	Group   func(col string) string // a bar's colour: "Python", "Go"
	Article map[string]float64      // the article's own figures, one run each, as bars under the columns they name
	Units   map[string]float64      // when set, the units drawn instead of Unit, each at its X, of Row's one row: "rss-1k-B": 1000
}

// Benchmarks are the benchmark functions of the experiment's runs.
func (e *Experiment) Benchmarks() []string {
	var funcs []string
	for _, r := range e.Runs {
		for _, f := range r.Benchmarks {
			if !slices.Contains(funcs, f) {
				funcs = append(funcs, f)
			}
		}
	}
	return funcs
}

// Bench is the go test -bench pattern that selects exactly the benchmark
// functions funcs: "^(BenchmarkSleep|BenchmarkSpawn)$".
func Bench(funcs []string) string {
	quoted := make([]string, len(funcs))
	for i, f := range funcs {
		quoted[i] = regexp.QuoteMeta(f)
	}
	return "^(" + strings.Join(quoted, "|") + ")$"
}

// Experiments are the pages of docs/ in the order of their next and back
// links: the article's, then what it does not measure.
var Experiments = []Experiment{
	{Name: "README", Title: "Results"},
	{Name: "from-gevent", Title: "From gevent to Go"},
	{
		Name:    "sleep",
		Title:   "Sleep: three daemons in order, and spawned",
		Summary: "time.sleep x3 in order and spawned; what a task costs; a million goroutines",
		// A third of go test's second a result: a batch of sleeps takes
		// tens of milliseconds, so each result is still tens of batches.
		Runs: []Run{{Benchmarks: []string{"BenchmarkSleep", "BenchmarkSpawn"}, Args: []string{"-benchtime", "300ms"}, Header: []Line{{Key: "benchtime", Value: "300ms"}}}},
		Plots: []Plot{
			{ID: "time", Title: "Sleeps of 10 ms: time for the batch", X: "tasks", Y: "time for the batch (s)",
				Filter: ".name:Sleep", Row: "/tasks,/workers", Col: "/variant", Unit: "sec/op",
				Draw: limits("tasks", "sleep", func(MedianRow) float64 { return 10e-3 })},
			{ID: "memory", Title: "Sleeps of 10 ms: memory held at the peak", X: "tasks", Y: "peak memory (MiB)",
				Filter: ".name:Sleep", Row: "/tasks", Col: "/variant", Unit: "peak-B", Scale: 1.0 / (1 << 20)},
		},
	},
	{
		Name:    "fetch",
		Title:   "Fetch: three pages in order, and spawned",
		Summary: "urllib2.urlopen x3 in order and spawned, against loopback servers with set latencies",
		Runs:    []Run{{Benchmarks: []string{"BenchmarkFetch"}, Args: []string{"-benchtime", "300ms"}, Header: []Line{{Key: "benchtime", Value: "300ms"}}}},
		Plots: []Plot{
			{ID: "time", Title: "Fetching pages: time for the batch", X: "pages fetched", Y: "time for the batch (s)",
				Filter: ".name:Fetch", Row: "/urls,/workers,/latency", Col: "/variant", Unit: "sec/op",
				Draw: limits("pages", "latency", func(r MedianRow) float64 { return r.Keys["/latency"] })},
			{ID: "rate", Title: "Fetching pages: pages per second", X: "pages fetched", Y: "pages/s",
				Filter: ".name:Fetch", Row: "/urls", Col: "/variant", Unit: "pages/s"},
		},
	},
	{
		Name:    "serving",
		Title:   "Serving: one at a time, a pool, a goroutine per connection",
		Summary: "Flask, threaded Flask and gevent's WSGIServer under siege, as Go servers under a load driver",
		Runs: []Run{
			{Benchmarks: []string{"BenchmarkServer"}},
			// The goroutine server again at GOMAXPROCS=1, as gevent's one thread.
			{Suffix: "cpu1", Benchmarks: []string{"BenchmarkServer"}, Sub: "^server=goroutine$",
				Args: []string{"-cpu", "1"}, Header: []Line{{Key: "gomaxprocs", Value: "1"}}},
		},
		Plots: servingPlots(),
	},
	{
		Name:    "gevent-vs-go",
		Title:   "The article's servers beside ours, measured here",
		Summary: "the article's Flask servers and gevent, gevent on both cores under gunicorn, asyncio under uvicorn and the Go servers under one load driver, on hello world and on waiting work; what lost the article's availability; why it saw 2.7x; 100,000 greenlets beside 100,000 goroutines",
		Runs: []Run{
			{Benchmarks: []string{"BenchmarkArticle", "BenchmarkFanout"}},
		},
		Plots: []Plot{
			{ID: "trans", Title: "hello world, 200 users: transactions per second", Y: "trans/s", Bars: true, Group: language,
				Filter: ".name:Article /work:hello /timeout:900ms /run:1s", Row: "/users", Col: "/server", Unit: "trans/s",
				// The article's siege runs, of Python on its author's laptop.
				Article: map[string]float64{"flask": 197.81, "flask-threaded": 211.80, "gevent": 525.52}},
			{ID: "io", Title: "A wait of 10 ms per request, 200 users: transactions per second", Y: "trans/s", Bars: true, Group: language,
				Filter: ".name:Article /work:io", Row: "/users", Col: "/server", Unit: "trans/s"},
			{ID: "cells", Title: "hello world, 200 users: by the client's timeout and the run's length", Y: "trans/s", Bars: true, Group: language,
				Filter: ".name:Article /work:hello /server:(flask OR gevent)", Row: ".name", Col: "/timeout,/run,/server", Unit: "trans/s",
				Article: map[string]float64{"30s 4s flask": 197.81, "30s 4s gevent": 525.52}},
			{ID: "fanout-time", Title: "100,000 sleeps of 1 s, spawned and joined", Y: "wall time (s)", Bars: true, Group: language,
				Filter: ".name:Fanout", Row: "/tasks", Col: "/runtime", Unit: "sec/op"},
			{ID: "fanout-memory", Title: "100,000 sleeps of 1 s: peak memory", Y: "peak resident memory (MiB)", Bars: true, Scale: 1.0 / (1 << 20), Group: language,
				Filter: ".name:Fanout", Row: "/tasks", Col: "/runtime", Unit: "peak-RSS-B"},
		},
	},
	{
		Name:    "idle",
		Title:   "What a waiting connection costs",
		Summary: "10,000 idle kept-alive connections held by the goroutine server, gevent, gunicorn, uvicorn, threaded Flask, nginx and the serial server: memory per connection, threads, the Go figure's parts, and a million on paper",
		Runs:    []Run{{Benchmarks: []string{"BenchmarkIdle"}}},
		Plots: []Plot{
			{ID: "rss", Title: "Idle kept-alive connections: the server's resident memory", X: "connections held", Y: "resident memory (MiB)", Scale: 1.0 / (1 << 20),
				Filter: ".name:Idle -/server:(serial OR flask-threaded)", Row: ".name", Col: "/server", Units: map[string]float64{"rss-1k-B": 1000, "rss-5k-B": 5000, "rss-10k-B": 10000}},
			{ID: "per-conn", Title: "Memory per idle connection: the slope", Y: "KiB per connection", Bars: true, Scale: 1.0 / 1024, Group: language,
				Filter: ".name:Idle", Row: ".name", Col: "/server", Unit: "B/conn"},
		},
	},
	{
		Name:    "offered",
		Title:   "Serving as users feel it: latency against offered load",
		Summary: "the three servers under an open loop at fixed rates (flat, a knee at capacity, a wall), and a stall that a closed loop cannot see",
		Runs:    []Run{{Benchmarks: []string{"BenchmarkOffered", "BenchmarkStall"}}},
		Plots: []Plot{
			{ID: "latency", Title: "io, S = 10 ms: p99 against the rate offered", X: "offered rate (requests/s)", Y: "p99-ms, from the intended send",
				Filter: ".name:Offered", Row: "/rate", Col: "/server", Unit: "p99-ms", Draw: offeredLimits},
			{ID: "stall", Title: "A server that stalls 100 ms a second: p99", Y: "p99-ms", Bars: true,
				Filter: ".name:Stall", Row: "/work", Col: "/model", Unit: "p99-ms"},
		},
	},
	{
		Name:    "instrument",
		Title:   "The load driver, measured beside wrk, bombardier, hey, vegeta and siege",
		Summary: "each tool's rate and its own CPU time per request against one hello server; gosiege's memory against the run's length, and its open loop's schedule",
		Pkg:     "./cmd/gosiege",
		// Ten rounds in which every tool takes its turn: go test -count
		// would run each tool ten times in a row instead. A round is
		// about 30 s; bombardier and vegeta come from the module proxy.
		Runs: slices.Repeat([]Run{{Benchmarks: []string{"BenchmarkInstrument"}, Count: 1, Env: []string{"JOINALL_BUILD_TOOLS=1"}}}, 10),
		Plots: []Plot{
			{ID: "cpu", Title: "CPU time of each tool per request, 50 connections", Y: "cpu-us/trans", Bars: true, Group: func(tool string) string { return cmp.Or(map[string]string{"gosiege": "gosiege"}[tool], "the others") },
				Filter: ".fullname:/tool=/", Row: ".name", Col: "/tool", Unit: "cpu-us/trans"},
		},
	},
	{Name: "recipes", Title: "Recipes: benchstat over committed runs, and gosiege against your server"},
	{Name: "glossary", Title: "Glossary"},
}

// language is the language of a server of the gevent-vs-go and idle experiments.
func language(server string) string {
	return cmp.Or(map[string]string{"flask": "Python", "flask-threaded": "Python", "gevent": "Python", "gunicorn-gevent": "Python", "uvicorn": "Python", "nginx": "C"}[serverOf(server)], "Go")
}

// limits draws each variant's time for its batch, and the limits one
// task's wait sets: in order, one a task; spawned, one; a pool, one a round.
func limits(tasks, wait string, d func(MedianRow) float64) func(*Medians) []Series {
	return func(m *Medians) []Series {
		return append(m.Series(1),
			m.Guide(tasks+" x "+wait, func(r MedianRow) float64 { return r.X * d(r) }),
			m.Guide(wait+" x rounds of workers", func(r MedianRow) float64 { return math.Ceil(r.X/r.Keys["/workers"]) * d(r) }),
			m.Guide("one "+wait, d))
	}
}

// offeredLimits draws each server's p99 against the rate offered, with S,
// the io workload's service time, and the servers' capacities n/S.
func offeredLimits(m *Medians) []Series {
	series, lo, hi := m.Series(1), math.Inf(1), 0.0
	for _, s := range series {
		for _, p := range s.Points {
			lo, hi = min(lo, p.Y), max(hi, p.Y)
		}
	}
	s, n := server.IOWait.Seconds(), float64(server.DefaultWorkers)
	return append(series,
		m.Guide(fmt.Sprintf("S = %v", server.IOWait), func(MedianRow) float64 { return s * 1e3 }),
		Series{Name: "serial's capacity, 1/S", Guide: true, Points: []Point{{X: 1 / s, Y: lo}, {X: 1 / s, Y: hi}}},
		Series{Name: "pool's capacity, 10/S", Guide: true, Points: []Point{{X: n / s, Y: lo}, {X: n / s, Y: hi}}},
	)
}

// servingPlots are transactions/s and p99 against users, a plot a workload.
func servingPlots() []Plot {
	var plots []Plot
	for _, work := range []string{"hello", "io", "cpu"} {
		plots = append(plots,
			Plot{ID: "trans-" + work, Title: "work=" + work + ": transactions per second", X: "users", Y: "trans/s",
				Filter: ".name:Server /work:" + work, Row: "/users", Col: "/server", Unit: "trans/s"},
			Plot{ID: "p99-" + work, Title: "work=" + work + ": 99th percentile of response time", X: "users", Y: "p99-ms",
				Filter: ".name:Server /work:" + work, Row: "/users", Col: "/server", Unit: "p99-ms"})
	}
	return plots
}
