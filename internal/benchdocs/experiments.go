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
	Runs   []Run
	Page   string // the page's template; empty means pages/NAME.md
	Plots  []Plot
	Claims []Claim
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
	{
		Name:    "sleep",
		Title:   "Sleep: three daemons in order, and spawned",
		Summary: "time.sleep x3 in order and spawned; what a task costs; a million goroutines",
		Runs:    []Run{{Benchmarks: []string{"BenchmarkSleep", "BenchmarkSpawn"}}},
		Plots: []Plot{
			{ID: "time", Title: "Sleeps of 10 ms: time for the batch", X: "tasks", Y: "time for the batch (s)",
				Filter: ".name:Sleep", Row: "/tasks,/workers", Col: "/variant", Unit: "sec/op",
				Draw: limits("tasks", "sleep", func(MedianRow) float64 { return 10e-3 })},
			{ID: "memory", Title: "Sleeps of 10 ms: memory held at the peak", X: "tasks", Y: "peak memory (MiB)",
				Filter: ".name:Sleep", Row: "/tasks", Col: "/variant", Unit: "peak-B", Scale: 1.0 / (1 << 20)},
		},
		Claims: []Claim{
			{ID: "three", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op", Base: "sequential", Other: "goroutines", Want: Less(2.5, 3.5)},
			// One sleep, and microseconds to start and join three goroutines.
			{ID: "one", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op", Other: "goroutines", Want: Between(10e-3, 15e-3)},
			// Two sleeps, then one: 2/3 of three in order.
			{ID: "pool", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op", Base: "sequential", Other: "pool", Want: Less(1.3, 1.7)},
			{ID: "hundred", Filter: ".name:Sleep /tasks:100", Col: "/variant", Unit: "sec/op", Base: "sequential", Other: "goroutines", Want: Less(50, 110)},
			// 10,000 sleeps, 100 at a time: 100 rounds of 10 ms.
			{ID: "rounds", Filter: ".name:Sleep /tasks:10000", Col: "/variant", Unit: "sec/op", Other: "pool", Want: Between(1.0, 1.4)},
			{ID: "goroutines-held", Filter: ".name:Sleep /tasks:10000", Col: "/variant", Unit: "peak-goroutines", Base: "goroutines", Other: "pool", Want: Less(30, 200)},
			{ID: "memory-held", Filter: ".name:Sleep /tasks:10000", Col: "/variant", Unit: "peak-B", Base: "goroutines", Other: "pool", Want: Less(1.5, 20)},
			{ID: "million", Filter: ".name:Sleep /tasks:1000000", Col: "/variant", Unit: "sec/op", Other: "goroutines", Want: Between(10e-3, 10)},
			{ID: "never-all", Filter: ".name:Sleep /tasks:1000000", Col: "/variant", Unit: "peak-goroutines", Other: "goroutines", Want: Between(1, 500_000)},
			{ID: "million-memory", Filter: ".name:Sleep /tasks:1000000", Col: "/variant", Unit: "peak-B", Other: "goroutines", Want: Between(1<<20, 4<<30)},
			{ID: "spawn-cost", Filter: ".name:Spawn /tasks:1000000", Col: "/variant", Unit: "sec/task", Base: "sequential", Other: "goroutines", Want: More(5, inf)},
			{ID: "spawn-floor", Filter: ".name:Spawn /tasks:1000000", Col: "/variant", Unit: "sec/task", Other: "goroutines", Want: Between(0, 1e-6)},
		},
	},
	{
		Name:    "fetch",
		Title:   "Fetch: three pages in order, and spawned",
		Summary: "urllib2.urlopen x3 in order and spawned, against loopback servers with set latencies",
		Runs:    []Run{{Benchmarks: []string{"BenchmarkFetch"}}},
		Plots: []Plot{
			{ID: "time", Title: "Fetching pages: time for the batch", X: "pages fetched", Y: "time for the batch (s)",
				Filter: ".name:Fetch", Row: "/urls,/workers,/latency", Col: "/variant", Unit: "sec/op",
				Draw: limits("pages", "latency", func(r MedianRow) float64 { return r.Keys["/latency"] })},
			{ID: "rate", Title: "Fetching pages: pages per second", X: "pages fetched", Y: "pages/s",
				Filter: ".name:Fetch", Row: "/urls", Col: "/variant", Unit: "pages/s"},
		},
		Claims: []Claim{
			{ID: "three", Filter: ".name:Fetch /urls:3", Col: "/variant", Unit: "sec/op", Base: "sequential", Other: "goroutines", Want: Less(2.5, 3.5)},
			// One latency, and the transfers: tens of microseconds on loopback.
			{ID: "one", Filter: ".name:Fetch /urls:3 /latency:10ms", Col: "/variant", Unit: "sec/op", Other: "goroutines", Want: Between(10e-3, 20e-3)},
			{ID: "hundred", Filter: ".name:Fetch /urls:100", Col: "/variant", Unit: "sec/op", Base: "sequential", Other: "goroutines", Want: Less(20, 110)},
			// 100 pages, 10 at a time: 10 rounds of one latency.
			{ID: "rounds", Filter: ".name:Fetch /urls:100 /latency:10ms", Col: "/variant", Unit: "sec/op", Other: "pool", Want: Between(100e-3, 200e-3)},
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
		Claims: []Claim{
			// One connection at a time, each holding the server for 10 ms:
			// at most 100 a second.
			{ID: "serial", Filter: ".name:Server /work:io /users:100", Col: "/server", Unit: "trans/s", Other: "serial", Want: Between(1, 100)},
			{ID: "io", Filter: ".name:Server /work:io /users:100", Col: "/server", Unit: "trans/s", Base: "serial", Other: "goroutine", Want: More(10, inf)},
			// Ten workers, ten waits at once: at most 1,000 a second.
			{ID: "pool", Filter: ".name:Server /work:io /users:100", Col: "/server", Unit: "trans/s", Base: "serial", Other: "pool", Want: More(5, 12)},
			{ID: "lost", Filter: ".name:Server /work:hello /users:200", Col: "/server", Unit: "failed", Other: "serial", Want: Between(10, 200)},
			{ID: "kept", Filter: ".name:Server /work:hello /users:200", Col: "/server", Unit: "failed", Other: "goroutine", Want: Between(0, 0)},
			{ID: "hello-serial", Filter: ".name:Server /work:hello /users:100", Col: "/server", Unit: "sec/op", Base: "goroutine", Other: "serial", Want: Less(1.01, 1.5)},
			{ID: "crowd-p99", Filter: ".name:Server /work:hello /users:200", Col: "/server", Unit: "p99-ms", Base: "goroutine", Other: "serial", Want: Less(1.1, 5)},
			{ID: "crowd", Filter: ".name:Server /work:hello /users:200", Col: "/server", Unit: "concurrency", Base: "goroutine", Other: "serial", Want: Less(1.1, 3)},
			// Two cores, shared with the driver: about twice one.
			{ID: "cpu", Filter: ".name:Server /work:cpu /users:10", Col: "/server", Unit: "trans/s", Base: "serial", Other: "goroutine", Want: More(1.3, 2.5)},
			oneThread(Claim{ID: "one-thread-io", Filter: "/work:io /users:100", Unit: "trans/s", Want: Less(1, 2)}),
			oneThread(Claim{ID: "one-thread-one-user", Filter: "/work:hello /users:1", Unit: "sec/op", Want: Less(1.05, 2)}),
			oneThread(Claim{ID: "one-thread-ten-users", Filter: "/work:hello /users:10", Unit: "sec/op", Want: More(1.05, 3)}),
			oneThread(Claim{ID: "one-thread-io-one-user", Filter: "/work:io /users:1", Unit: "sec/op", Want: Less(1.001, 2)}),
			oneThread(Claim{ID: "one-thread-cpu", Filter: "/work:cpu /users:10", Unit: "trans/s", Want: More(0.3, 0.75)}),
		},
	},
	{
		Name:    "gevent-vs-go",
		Title:   "The article's servers beside ours, measured here",
		Summary: "app.run(), app.run(threaded=True), gevent's WSGIServer and the three Go servers under one load driver, on hello world and on waiting work; why the article saw 2.7x; 100,000 greenlets beside 100,000 goroutines",
		Runs: []Run{
			{Benchmarks: []string{"BenchmarkArticle", "BenchmarkFanout"}},
			// One run as long as the article's, of each of its two servers.
			{Suffix: "long", Benchmarks: []string{"BenchmarkArticleLong"}, Count: 1},
		},
		Plots: []Plot{
			{ID: "trans", Title: "hello world, 200 users: transactions per second", Y: "trans/s", Bars: true, Group: language,
				Filter: ".name:Article /work:hello /timeout:900ms", Row: "/users", Col: "/server", Unit: "trans/s",
				// The article's siege runs, of Python on its author's laptop.
				Article: map[string]float64{"flask": 197.81, "flask-threaded": 211.80, "gevent": 525.52}},
			{ID: "io", Title: "A wait of 10 ms per request, 200 users: transactions per second", Y: "trans/s", Bars: true, Group: language,
				Filter: ".name:Article /work:io", Row: "/users", Col: "/server", Unit: "trans/s"},
			{ID: "fanout-time", Title: "100,000 sleeps of 1 s, spawned and joined", Y: "wall time (s)", Bars: true, Group: language,
				Filter: ".name:Fanout", Row: "/tasks", Col: "/runtime", Unit: "sec/op"},
			{ID: "fanout-memory", Title: "100,000 sleeps of 1 s: peak memory", Y: "peak resident memory (MiB)", Bars: true, Scale: 1.0 / (1 << 20), Group: language,
				Filter: ".name:Fanout", Row: "/tasks", Col: "/runtime", Unit: "peak-RSS-B"},
		},
		Claims: []Claim{
			{ID: "flask-lost", Filter: ".name:Article /work:hello /timeout:900ms", Col: "/server", Unit: "failed", Other: "flask", Want: Between(10, 400)},
			{ID: "gevent-flask", Filter: ".name:Article /work:hello /timeout:900ms", Col: "/server", Unit: "trans/s", Base: "flask", Other: "gevent", Want: More(1.2, 5)},
			{ID: "goroutine-gevent", Filter: ".name:Article /work:hello /timeout:900ms", Col: "/server", Unit: "trans/s", Base: "gevent", Other: "goroutine", Want: More(2, inf)},
			// One request at a time, 10 ms each: 100 a second at most.
			{ID: "io-gevent-flask", Filter: ".name:Article /work:io", Col: "/server", Unit: "trans/s", Base: "flask", Other: "gevent", Want: More(5, inf)},
			{ID: "io-threaded", Filter: ".name:Article /work:io", Col: "/server", Unit: "trans/s", Base: "flask", Other: "flask-threaded", Want: More(3, inf)},
			{ID: "io-goroutine-gevent", Filter: ".name:Article /work:io", Col: "/server", Unit: "trans/s", Base: "gevent", Other: "goroutine", Want: More(2, inf)},
			{ID: "io-flask-lost", Filter: ".name:Article /work:io", Col: "/server", Unit: "avail-%", Other: "flask", Want: Between(0, 80)},
			{ID: "io-flask-timeouts", Filter: ".name:Article /work:io", Col: "/server", Unit: "timeouts", Other: "flask", Want: Between(10, 2000)},
			{ID: "io-serial-lost", Filter: ".name:Article /work:io", Col: "/server", Unit: "avail-%", Other: "serial", Want: Between(0, 80)},
			// 200 users against 10 workers and a queue of 128: the others
			// get 503 at once, and ask again at once.
			{ID: "io-pool-refuses", Filter: ".name:Article /work:io", Col: "/server", Unit: "avail-%", Other: "pool", Want: Between(0, 60)},
			{ID: "timeout-gevent-flask", Filter: ".name:Article /work:hello /timeout:30s", Col: "/server", Unit: "trans/s", Base: "flask", Other: "gevent", Want: More(1.2, 5)},
			{ID: "timeout-flask-slower", Filter: ".name:Article /work:hello /server:flask", Col: "/timeout", Ignore: "/run", Unit: "trans/s",
				Base: "900ms", Other: "30s", Want: Less(1.1, 10)},
			{ID: "timeout-flask-idle", Filter: ".name:Article /work:hello /server:flask", Col: "/timeout", Ignore: "/run", Unit: "srv-cpu-%",
				Base: "900ms", Other: "30s", Want: Less(1.05, 5)},
			{ID: "timeout-flask-longest", Filter: ".name:Article /work:hello /timeout:30s", Col: "/server", Unit: "longest-ms", Other: "flask", Want: Between(900, 30_000)},
			{ID: "fanout-time", Filter: ".name:Fanout", Col: "/runtime", Unit: "sec/op", Base: "gevent", Other: "go", Want: Less(1.5, 100)},
			{ID: "fanout-memory", Filter: ".name:Fanout", Col: "/runtime", Unit: "peak-RSS-B", Base: "gevent", Other: "go", Want: Less(1.2, 10)},
		},
	},
	{
		Name:    "idle",
		Title:   "What a waiting connection costs",
		Summary: "10,000 idle kept-alive connections held by the goroutine server, gevent, gunicorn, uvicorn, threaded Flask, nginx and the serial server: memory per connection, threads, and the Go figure's parts",
		Runs:    []Run{{Benchmarks: []string{"BenchmarkIdle"}}},
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
		Claims: []Claim{
			// Half their capacity for the serial server and the pool; the
			// goroutine server's is the machine's.
			{ID: "flat", Filter: ".name:Offered (/server:serial /rate:50 OR /server:pool /rate:500 OR /server:goroutine /rate:1000)",
				Col: ".name", Unit: "p99-ms", Other: "Offered", Want: Between(10, 30)},
			{ID: "knee", Filter: ".name:Offered /server:serial", Col: "/rate", Unit: "p99-ms", Base: "50", Other: "100", Want: More(2, inf)},
			// Twice the capacity for a second: the queue grows by 100
			// requests, and the last wait for the whole of it.
			{ID: "wall", Filter: ".name:Offered /server:serial", Col: "/rate", Unit: "p99-ms", Base: "50", Other: "200", Want: More(10, inf)},
			// The accept queue holds 129; a second at 200/s leaves about 100 in it.
			{ID: "serial-kept", Filter: ".name:Offered /server:serial /rate:200", Col: "/server", Unit: "avail-%", Other: "serial", Want: Between(100, 100)},
			{ID: "pool-wall", Filter: ".name:Offered /server:pool", Col: "/rate", Unit: "p99-ms", Base: "500", Other: "2000", Want: More(5, inf)},
			{ID: "pool-failed", Filter: ".name:Offered /server:pool /rate:2000", Col: "/server", Unit: "avail-%", Other: "pool", Want: Between(0, 90)},
			{ID: "goroutine-flat", Filter: ".name:Offered /server:goroutine /rate:3000", Col: "/server", Unit: "p99-ms", Other: "goroutine", Want: Between(10, 50)},
			{ID: "queue", Filter: ".name:Offered /server:serial /rate:200", Col: "/server", Unit: "p99-ms",
				Base: "serial", BaseUnit: "svc-p99-ms", Other: "serial", Want: More(1, 1.1)},
			{ID: "slots", Filter: ".name:Offered /server:goroutine /rate:10000", Col: "/server", Unit: "p99-ms",
				Base: "goroutine", BaseUnit: "svc-p99-ms", Other: "goroutine", Want: More(1.05, 10)},
			{ID: "stall-hidden", Filter: ".name:Stall", Col: "/model", Unit: "p99-ms", Base: "closed", Other: "open", Want: More(5, inf)},
			{ID: "stall-seen", Filter: ".name:Stall", Col: "/model", Unit: "longest-ms", Other: "closed", Want: Between(90, 300)},
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
		Claims: []Claim{
			// gosiege beside each other tool, on its CPU time per request
			// and on its rate: what a run on a quiet machine should show. A
			// tool that was not installed has no column.
			{ID: "cpu-wrk", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "cpu-us/trans", Base: "wrk", Other: "gosiege", Want: More(1, 5)},
			{ID: "rate-wrk", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "trans/s", Base: "wrk", Other: "gosiege", Want: Less(1, 5)},
			{ID: "cpu-bombardier", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "cpu-us/trans", Base: "bombardier", Other: "gosiege", Want: Less(1, 5)},
			{ID: "rate-bombardier", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "trans/s", Base: "bombardier", Other: "gosiege", Want: Less(1, 5)},
			{ID: "cpu-hey", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "cpu-us/trans", Base: "hey", Other: "gosiege", Want: Less(1.5, 10)},
			{ID: "rate-hey", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "trans/s", Base: "hey", Other: "gosiege", Want: More(1, 5)},
			{ID: "cpu-vegeta", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "cpu-us/trans", Base: "vegeta", Other: "gosiege", Want: Less(1.5, 10)},
			{ID: "rate-vegeta", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "trans/s", Base: "vegeta", Other: "gosiege", Want: More(1, 5)},
			{ID: "cpu-siege", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "cpu-us/trans", Base: "siege", Other: "gosiege", Want: Less(2, 20)},
			{ID: "rate-siege", Filter: ".fullname:/tool=/", Col: "/tool", Unit: "trans/s", Base: "siege", Other: "gosiege", Want: More(1, 5)},
			// HDR histograms are of a fixed size, whatever the run's length.
			{ID: "memory", Filter: ".fullname:/memory/", Col: "/secs", Unit: "peak-RSS-MiB", Other: "10", Want: Between(1, 64)},
			{ID: "memory-growth", Filter: ".fullname:/memory/", Col: "/secs", Unit: "peak-RSS-MiB", Base: "1", Other: "10", Want: More(1, 1.5)},
			{ID: "schedule", Filter: ".fullname:/schedule/", Col: ".name", Unit: "achieved-%", Other: "Instrument", Want: Between(95, 101)},
			{ID: "schedule-p99", Filter: ".fullname:/schedule/ /rate:5000", Col: ".name", Unit: "p99-ms",
				Base: "Instrument", BaseUnit: "svc-p99-ms", Other: "Instrument", Want: More(1, 2)},
		},
	},
	{Name: "recipes", Title: "Recipes: benchstat over committed runs, and gosiege against your server"},
	{Name: "glossary", Title: "Glossary"},
}

// oneThread is a claim about the goroutine server's rows at GOMAXPROCS=1
// (Other) against the default (Base), the serving runs' two files.
func oneThread(c Claim) Claim {
	c.Filter = ".name:Server /server:goroutine " + c.Filter
	c.Base, c.Other = RawFile("serving", ""), RawFile("serving", "cpu1")
	c.Col, c.Ignore, c.Inputs = ".file", "gomaxprocs,/gomaxprocs", []string{c.Other, c.Base}
	return c
}

// language is the language of a server of the gevent-vs-go experiment.
func language(server string) string {
	return cmp.Or(map[string]string{"flask": "Python", "flask-threaded": "Python", "gevent": "Python"}[server], "Go")
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
	series, lo, hi := m.Series(1), inf, 0.0
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
