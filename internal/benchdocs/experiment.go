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
	"regexp"
	"slices"
	"strings"
)

// An Experiment is one page of docs/ and the benchmarks it is made from;
// one without runs makes a page from other files, or from none.
type Experiment struct {
	Name    string // the page docs/NAME.md, its template pages/NAME.md, its run testdata/bench/NAME.txt
	Title   string
	Summary string // what the index says of it
	Pkg     string // the package of the benchmarks: "."
	// Runs are the go test runs that make its files: the main run, and
	// runs that differ from it in one setting, saved beside it. Each
	// benchmark function belongs to one experiment.
	Runs   []Run
	Page   string // the page's template; empty means pages/NAME.md
	Plots  []Plot
	Claims []Claim
}

// A Run is one go test -bench run. Runs with the same Suffix write one
// file, one after another.
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
