// Package benchdocs renders docs/ from the benchmark runs committed under
// testdata/bench/: a page per experiment with benchstat's tables, SVG
// plots, the sentences it states about results (written in the page,
// shown only where the data bear them out, see Claim), the environment the
// run was measured in, and the article's figures beside ours.
//
// Everything an experiment needs is one entry of Experiments (in
// experiments.go) and its page's template (pages/NAME.md). Rendering
// reads only testdata/, runs no benchmark and nothing but
// the benchstat that go.mod pins (for its tables' text), and returns the
// same bytes on every machine. cmd/benchdocs measures the runs it reads.
package benchdocs

import (
	"regexp"
	"slices"
	"strings"
)

// An Experiment is one page of docs/ and the benchmarks it is made from.
type Experiment struct {
	Name    string // the page docs/NAME.md, its template pages/NAME.md, its run testdata/bench/NAME.txt
	Title   string // the page's title
	Summary string // what the index says of it

	Pkg string // the package the benchmarks are in: "."
	// Runs are the go test runs that make the experiment's files, in
	// order: the main run, and runs of the same benchmarks that differ
	// from it in one setting, each saved beside it, so that
	// go tool benchstat MAIN OTHER compares the two. Each benchmark
	// function of Pkg belongs to the runs of one experiment: a run
	// narrowed by cmd/benchdocs -bench skips the functions of the
	// package's other runs, and would run one that none names in each.
	Runs []Run

	// Page is the page's template; empty means pages/NAME.md, embedded.
	Page   string
	Tables []Table
	Plots  []Plot
	Claims []Claim
}

// A Run is one go test -bench run of an experiment's benchmarks. Runs
// with the same Suffix write one file, one after another.
type Run struct {
	// Suffix names the file: testdata/bench/NAME.txt when empty,
	// NAME-SUFFIX.txt when set ("cpu1").
	Suffix     string
	Benchmarks []string // the benchmark functions it runs: "BenchmarkSleep"
	// Sub, when set, is a go test -bench pattern below the functions'
	// names that selects part of them, when the whole is more than the
	// time allows: "^server=goroutine$".
	Sub   string
	Args  []string // more go test flags: "-cpu", "1"
	Env   []string // what the run adds to its environment: "NAME=value"
	Count int      // when set, the most runs of each benchmark, whatever -count says
	// Header are the lines of the file's header that differ from the
	// environment the run records: gomaxprocs: 1.
	Header []Line
}

// A Line is one key: value line of a raw file's header, which benchstat
// reads as configuration.
type Line struct{ Key, Value string }

// A Table is a benchstat command over the experiment's files, shown with
// its output.
type Table struct {
	ID   string
	Args Args
	// Inputs are the files, relative to the module's root; nil means
	// the main run.
	Inputs []string
}

// A Plot is a line chart of medians: one line per value of Col, X from
// the first key of Row (a number, or a duration in seconds), Y the
// median of Unit, for the results that Filter selects. An axis is
// logarithmic where its values span more than a factor of 20.
type Plot struct {
	ID     string // the file docs/img/NAME-ID.svg
	Title  string
	X, Y   string // the axes' labels, with the unit of the table beside the chart
	Filter string // a benchstat -filter
	Row    string // a benchstat -row: the X key first, then keys that go with it ("/tasks,/workers")
	Col    string // a benchstat -col: the series
	Unit   string // the unit of Y, as benchstat shows it (tidied): "sec/op", "peak-B"
	Scale  float64
	// Lines, when set, turns the medians into the lines to draw, such as
	// a speedup computed from times, or lines of reference. By default
	// each column is a line of Y times Scale (1 when 0).
	Lines func(m *Medians) ([]Series, error)
	// Bars draws a bar per column instead, of Y times Scale, for the one
	// row that Filter selects, Y along the bars; X is unused. Group, when
	// set, names each column's group, which gives it its colour.
	Bars  bool
	Group func(col string) string
}

// Benchmarks are the benchmark functions of the experiment's runs, in
// the order they first come.
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
