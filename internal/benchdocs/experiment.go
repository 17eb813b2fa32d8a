// Package benchdocs renders docs/ from the benchmark runs committed under
// testdata/bench/: a page per experiment with benchstat's tables, SVG
// plots, the sentences the docs state about results (made from the data
// and checked, see Claim), the environment the run was measured in, and
// the article's figures beside ours.
//
// Everything an experiment needs is one entry of Experiments (in
// experiments.go) and its page's template (pages/NAME.md). Rendering
// reads only testdata/ and the README, runs no benchmark and nothing but
// the benchstat that go.mod pins (for its tables' text), and returns the
// same bytes on every machine. cmd/benchdocs measures the runs it reads.
package benchdocs

import "github.com/joinall/joinall/internal/benchrun"

// An Experiment is one page of docs/ and the benchmarks it is made from.
type Experiment struct {
	Name    string // the page docs/NAME.md, its template pages/NAME.md, its run testdata/bench/NAME.txt
	Title   string // the page's title
	Summary string // what the index says of it

	Pkg        string   // the package the benchmarks are in: "."
	Benchmarks []string // the benchmark functions that make the run: "BenchmarkSleep"
	// Step, when set, names the step of cmd/benchdocs that measures the
	// experiment instead of go test: "gevent". Pkg and Benchmarks are
	// then empty.
	Step string
	// Reruns are more runs of the same benchmarks that differ from the
	// main run in one setting, each saved beside it, so that
	// go tool benchstat MAIN RERUN compares the two.
	Reruns []Rerun

	// Page is the page's template; empty means pages/NAME.md, embedded.
	Page string
	// Unmeasured is the page's template while its run is not committed,
	// which says how to make it; empty means pages/NAME-unmeasured.md
	// if there is one, and otherwise no page.
	Unmeasured string
	Tables     []Table
	Plots      []Plot
	Claims     []Claim
	// ClaimInputs are the runs that a claim is about, by the claim's ID:
	// rerun suffixes, "" for the main run. A claim not named here is
	// about the main run. A claim about two runs sets them side by side
	// with Col ".file", whose columns are the files' names (RawFile).
	ClaimInputs map[string][]string
}

// A Rerun runs an experiment's benchmarks again with other go test flags
// into testdata/bench/NAME-SUFFIX.txt.
type Rerun struct {
	Suffix string   // "cpu1"
	Args   []string // more go test flags: "-cpu", "1"
	// Bench, when set, is the go test -bench pattern that selects the
	// part of the experiment to run again, when the whole is more than
	// the time allows: "^BenchmarkServer$/^server=goroutine$". Empty
	// means all of it.
	Bench  string
	Header []benchrun.Line // header lines that differ from the main run's: gomaxprocs: 1
	Why    string          // what the comparison asks
}

// A Table is a benchstat command over the experiment's files, shown with
// its output.
type Table struct {
	ID   string
	Args Args
	// Inputs are the files, by rerun suffix, "" for the main run; nil
	// means the main run alone.
	Inputs []string
}

// A Plot is a line chart of medians: one line per value of Col, X from
// the first key of Row (a number, or a duration in seconds), Y the
// median of Unit, for the results that Filter selects.
type Plot struct {
	ID         string // the file docs/img/NAME-ID.svg
	Title      string
	X, Y       string // the axes' labels
	LogX, LogY bool
	Filter     string // a benchstat -filter
	Row        string // a benchstat -row: the X key first, then keys that go with it ("/tasks,/workers")
	Col        string // a benchstat -col: the series
	Unit       string // the unit of Y, as benchstat shows it (tidied): "sec/op", "peak-B"
	Scale      float64
	// Lines, when set, turns the medians into the lines to draw, such as
	// a speedup computed from times, or lines of reference. By default
	// each column is a line of Y times Scale (1 when 0).
	Lines func(m *Medians) ([]Series, error)
	// Bars draws a bar per column instead, of Y times Scale, for the one
	// row that Filter selects; X is unused. Group, when set, names each
	// column's group, which gives it its colour.
	Bars  bool
	Group func(col string) string
}
