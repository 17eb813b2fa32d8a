// Command benchdocs measures the experiments and regenerates docs/ from
// the measurements.
//
//	go run ./cmd/benchdocs            # every experiment, -count 10, then docs/
//	go run ./cmd/benchdocs -quick     # a short pass (-count 6 -benchtime 100ms)
//	go run ./cmd/benchdocs -bench Fetch
//	go run ./cmd/benchdocs -bench '^$' -gevent   # the article's Python servers beside ours
//	go run ./cmd/benchdocs -render    # docs/ from testdata/ alone (go generate)
//
// For each experiment (internal/benchdocs.Experiments) it runs
//
//	go test -run '^$' -bench PATTERN -count N -timeout 60m PKG
//
// and for each of its reruns (the serving experiment's goroutine server
// at -cpu 1) the same with the rerun's flags and pattern,
// with progress on standard error (which benchmark, how many results of
// how many, time so far and an estimate of the time left), into a
// temporary file that starts with the environment as key: value lines
// (benchstat reads them as configuration). Only when every run has
// succeeded are the files renamed into testdata/bench/NAME.txt, and
// docs/ rendered from them; an interrupted or failed run leaves
// testdata/ and docs/ as they were, and saves the experiments it finished
// as bench-NAME.txt in the module's root.
//
// -bench narrows the run as go test's -bench does. An experiment that it
// selects whole (every benchmark function of it, with no sub-benchmark
// pattern) is saved under testdata/bench and rendered; one that it
// selects in part is saved as bench-NAME.txt, for a look with
// go tool benchstat, and testdata/ and docs/ are left alone.
//
// The gevent-vs-go experiment is measured by a step of its own
// (gevent.go), not by go test: when a python3 imports flask and gevent
// (-python, or python3 on PATH, then /usr/bin/python3), it runs the
// article's three Flask servers (testdata/python) and our three
// (./goside) in processes of their own under one load driver, and a
// million greenlets beside a million goroutines, into
// testdata/bench/gevent-vs-go.txt, staged with the rest. It runs with
// every run that has no -bench, or when -gevent or -python asks for it;
// without such a python it is skipped with one line.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/joinall/joinall/internal/benchdocs"
	"github.com/joinall/joinall/internal/benchrun"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	var usage usageError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "benchdocs:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "benchdocs:", err)
		os.Exit(1)
	}
}

type usageError struct{ error }

type options struct {
	count     int
	benchtime string
	bench     string
	quick     bool
	render    bool
	root      string
	gevent    bool   // run the gevent-vs-go step
	python    string // the interpreter it uses; empty: the first of pythonCandidates that will do
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("benchdocs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.count, "count", 10, "runs of each benchmark")
	fs.StringVar(&o.bench, "bench", "", "run only the benchmarks that this go test -bench `pattern` selects")
	quick := fs.Bool("quick", false, "a short pass to try the pipeline: -count 6 -benchtime 100ms, unless given")
	fs.StringVar(&o.benchtime, "benchtime", "", "go test's -benchtime (default go test's, 1s)")
	fs.BoolVar(&o.render, "render", false, "run no benchmark: render docs/ from testdata/ alone")
	fs.StringVar(&o.root, "root", "", "the module's root (default: the nearest directory up with a go.mod)")
	fs.BoolVar(&o.gevent, "gevent", true, "measure the article's Flask and gevent servers beside ours, and a million greenlets beside a million goroutines,\n"+
		"into testdata/bench/gevent-vs-go.txt, when a python3 imports flask and gevent (default: on, but off with -bench)")
	fs.StringVar(&o.python, "python", "", "the `python3` for -gevent, which must import flask and gevent (default: python3 on PATH, then /usr/bin/python3)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./cmd/benchdocs [flags]\n\n"+
			"Runs the experiments' benchmarks into testdata/bench and renders docs/ from them.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.quick = *quick
	if !set["gevent"] {
		// A run of some benchmarks is not a run of everything, unless it
		// names the interpreter for the step.
		o.gevent = !set["bench"] || set["python"]
	}
	if *quick {
		if !set["count"] {
			o.count = 6 // the fewest runs for which benchstat gives a 95% interval
		}
		if !set["benchtime"] {
			o.benchtime = "100ms"
		}
	}
	if o.count < 1 {
		return nil, usageError{fmt.Errorf("-count %d: must be at least 1", o.count)}
	}
	if o.render && (set["bench"] || set["count"] || set["benchtime"] || *quick || set["gevent"] || set["python"]) {
		return nil, usageError{errors.New("-render runs no benchmark: it takes no -bench, -count, -benchtime, -quick, -gevent or -python")}
	}
	if o.render {
		o.gevent = false
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	return runExperiments(ctx, args, stderr, benchdocs.Experiments, geventStep{
		candidates: pythonCandidates, probe: probePython, goSide: buildGoSide, settings: defaultVersus,
	})
}

// geventStep is what the gevent-vs-go step needs from the machine, given
// so that tests can fake it: where to look for python, how to ask one
// whether it will do, how to build goside, and the step's settings for
// -count and -quick.
type geventStep struct {
	candidates []string
	probe      func(ctx context.Context, path string) (*python, error)
	goSide     func(ctx context.Context, root, dir string) ([]string, error)
	settings   func(count int, quick bool) versus
}

// runExperiments is run for any table of experiments and any step, so
// that tests can give their own.
func runExperiments(ctx context.Context, args []string, stderr io.Writer, experiments []benchdocs.Experiment, step geventStep) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.root == "" {
		if o.root, err = moduleRoot(); err != nil {
			return err
		}
	}
	if o.render {
		return render(o.root, experiments, stderr)
	}
	pattern, err := benchrun.ParsePattern(o.bench)
	if err != nil {
		return usageError{err}
	}
	start := time.Now()
	header, err := benchrun.Environment(ctx, o.root, start)
	if err != nil {
		return err
	}
	header = append(header,
		benchrun.Line{Key: "count", Value: strconv.Itoa(o.count)},
		benchrun.Line{Key: "benchtime", Value: orDefault(o.benchtime, "1s")})

	var plans []*plan
	for i := range experiments {
		e := &experiments[i]
		if e.Step != "" {
			p, err := planStep(ctx, o, e, step, header, stderr)
			if err != nil {
				return err
			}
			if p != nil {
				plans = append(plans, p)
			}
			continue
		}
		// An experiment whose benchmarks are not written yet is left out,
		// so that the machinery can run before every experiment exists.
		present, err := benchrun.List(ctx, o.root, e.Pkg, e.BenchPattern())
		if err != nil {
			return err
		}
		if len(present) < len(e.Benchmarks) {
			fmt.Fprintf(stderr, "%s: skipped: package %s has %d of its benchmarks (%s)\n",
				e.Name, e.Pkg, len(present), strings.Join(e.Benchmarks, ", "))
			continue
		}
		bench, whole := pattern.Restrict(e.Benchmarks)
		if bench == "" {
			continue
		}
		p := &plan{whole: whole}
		suffixes := []benchdocs.Rerun{{}}
		suffixes = append(suffixes, e.Reruns...)
		for _, rr := range suffixes {
			label := e.Name
			if len(rr.Args) > 0 {
				label += " " + strings.Join(rr.Args, " ")
			}
			dest := filepath.Join(o.root, filepath.FromSlash(benchdocs.RawFile(e.Name, rr.Suffix)))
			scratch := filepath.Join(o.root, "bench-"+filepath.Base(dest))
			if !whole {
				dest = scratch
			}
			// A rerun of part of the experiment runs that part when the
			// run is of the whole; a run of part runs the part it asks
			// for in every job.
			jobBench, jobPattern := bench, pattern
			if whole && rr.Bench != "" {
				jobBench = rr.Bench
				if jobPattern, err = benchrun.ParsePattern(rr.Bench); err != nil {
					return fmt.Errorf("%s: rerun %s: %w", e.Name, rr.Suffix, err)
				}
			}
			p.jobs = append(p.jobs, &benchrun.Job{
				Label: label, Dir: o.root, Pkg: e.Pkg, Bench: jobBench,
				Count: o.count, Benchtime: o.benchtime, Args: rr.Args,
				Header: benchrun.With(header, rr.Header...),
			})
			p.patterns = append(p.patterns, jobPattern)
			p.dests = append(p.dests, dest)
			p.scratch = append(p.scratch, scratch)
		}
		if err := expect(ctx, o, e, p, stderr); err != nil {
			return err
		}
		plans = append(plans, p)
		if !whole {
			fmt.Fprintf(stderr, "%s: -bench %q selects part of the experiment; its results go to %s, and testdata/ and docs/ stay as they are\n",
				e.Name, o.bench, strings.Join(rel(o.root, p.dests), ", "))
		}
	}
	if len(plans) == 0 {
		return usageError{fmt.Errorf("-bench %q selects no experiment's benchmarks", o.bench)}
	}
	return measure(ctx, o, experiments, plans, stderr, start)
}

// stepHeader is the run's environment without go test's settings, which
// the step does not use, and with the runs it makes of each server as
// its -count.
func stepHeader(header []benchrun.Line, runs int) []benchrun.Line {
	var out []benchrun.Line
	for _, l := range header {
		if l.Key != "benchtime" {
			out = append(out, l)
		}
	}
	return benchrun.With(out, benchrun.Line{Key: "count", Value: strconv.Itoa(runs)})
}

// planStep plans the step that measures e, or returns nil when it is not
// to run: not asked for, or, with a note, when no python will do.
func planStep(ctx context.Context, o *options, e *benchdocs.Experiment, step geventStep, header []benchrun.Line, stderr io.Writer) (*plan, error) {
	if e.Step != "gevent" {
		return nil, fmt.Errorf("%s: no step %q", e.Name, e.Step)
	}
	if !o.gevent {
		return nil, nil
	}
	candidates := step.candidates
	if o.python != "" {
		candidates = []string{o.python}
	}
	py, err := findPython(ctx, candidates, step.probe)
	switch {
	case errors.Is(err, errNoPython) && o.python != "":
		return nil, usageError{fmt.Errorf("-python %s: %w", o.python, err)}
	case errors.Is(err, errNoPython):
		fmt.Fprintf(stderr, "%s: skipped: %v; apt-get install python3-flask python3-gevent, or give -python\n", e.Name, err)
		return nil, nil
	case err != nil:
		return nil, err
	}
	v := step.settings(o.count, o.quick)
	v.Root, v.Python = o.root, py
	dest := filepath.Join(o.root, filepath.FromSlash(benchdocs.RawFile(e.Name, "")))
	job := &benchrun.Job{
		Label: e.Name, Dir: o.root, Count: v.Runs,
		What: fmt.Sprintf("the article's servers under %s and ours, %d runs of %s with %d users each; %d greenlets and goroutines that sleep 1 s, %d times",
			py.Path, v.Runs, v.Duration, v.Users, v.Tasks, v.FanoutRuns),
		Header: append(stepHeader(header, v.Runs), v.header()...),
		Expect: v.expect(),
	}
	// goside is built when the step starts, into a directory that lives
	// as long as the step.
	job.Func = func(ctx context.Context, w io.Writer, result func(string)) error {
		dir, err := os.MkdirTemp("", "benchdocs-goside-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if v.GoSide, err = step.goSide(ctx, o.root, dir); err != nil {
			return err
		}
		return v.measure(ctx, w, result)
	}
	return &plan{
		whole: true, jobs: []*benchrun.Job{job}, patterns: []*benchrun.Pattern{nil},
		dests: []string{dest}, scratch: []string{filepath.Join(o.root, "bench-"+filepath.Base(dest))},
	}, nil
}

// A plan is one experiment's jobs: its main run and its reruns.
type plan struct {
	whole    bool
	jobs     []*benchrun.Job
	patterns []*benchrun.Pattern // what each job selects
	dests    []string            // where each job's file goes
	scratch  []string            // where it goes if a later job fails
}

func measure(ctx context.Context, o *options, experiments []benchdocs.Experiment, plans []*plan, stderr io.Writer, start time.Time) error {
	var jobs []*benchrun.Job
	for _, p := range plans {
		jobs = append(jobs, p.jobs...)
	}
	progress := benchrun.NewProgress(stderr, isTerminal(stderr), jobs)
	progress.Start()
	var staged []*benchrun.Staged
	var scratch []string
	discard := func() {
		var kept []string
		for i, s := range staged {
			if s.Discard(scratch[i]) {
				kept = append(kept, scratch[i])
			}
		}
		if len(kept) > 0 {
			fmt.Fprintf(stderr, "benchdocs: testdata/ is as it was; the runs that finished are in %s\n", strings.Join(rel(o.root, kept), ", "))
		}
	}
	for _, p := range plans {
		for i, j := range p.jobs {
			s, err := benchrun.Stage(p.dests[i])
			if err != nil {
				progress.Stop()
				discard()
				return err
			}
			staged = append(staged, s)
			scratch = append(scratch, p.scratch[i])
			if err := benchrun.Run(ctx, j, s, progress); err != nil {
				progress.Stop()
				// This job's own output is incomplete: it is not kept.
				staged[len(staged)-1].Discard("")
				staged, scratch = staged[:len(staged)-1], scratch[:len(scratch)-1]
				discard()
				return err
			}
		}
	}
	progress.Stop()
	if err := benchrun.Commit(staged...); err != nil {
		return err
	}
	var written []string
	rendered := false
	for _, p := range plans {
		written = append(written, p.dests...)
		rendered = rendered || p.whole
	}
	fmt.Fprintf(stderr, "benchdocs: measured in %s: %s\n", time.Since(start).Round(time.Second), strings.Join(rel(o.root, written), ", "))
	if !rendered {
		return nil
	}
	return render(o.root, experiments, stderr)
}

// expect fills the jobs' expected results, for progress: the benchmarks
// of the committed run that each job's pattern selects, each -count
// times, each expected to take what it took then; without a committed
// run, from a dry pass of one iteration each.
func expect(ctx context.Context, o *options, e *benchdocs.Experiment, p *plan, stderr io.Writer) error {
	data, err := os.ReadFile(filepath.Join(o.root, filepath.FromSlash(benchdocs.RawFile(e.Name, ""))))
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "%s: no committed run to count the benchmarks from; counting them with one pass of -benchtime 1x\n", e.Name)
		var buf bytes.Buffer
		dry := *p.jobs[0]
		dry.Label, dry.Count, dry.Benchtime, dry.Header = e.Name+" (counting)", 1, "1x", nil
		progress := benchrun.NewProgress(stderr, false, []*benchrun.Job{&dry})
		progress.Start()
		err = benchrun.Run(ctx, &dry, &buf, progress)
		progress.Stop()
		data = buf.Bytes()
	}
	if err != nil {
		return err
	}
	for i, j := range p.jobs {
		if j.Expect, err = rowsOf(data, p.patterns[i], o); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
	}
	return nil
}

// rowsOf returns the result rows a run of count is expected to print, in
// go test's order: every benchmark that the pattern selects, count
// times in a row, each with a guess of how long it takes.
func rowsOf(data []byte, pattern *benchrun.Pattern, o *options) ([]benchrun.Row, error) {
	benchtime, iterations, err := parseBenchtime(orDefault(o.benchtime, "1s"))
	if err != nil {
		return nil, usageError{err}
	}
	var names []string
	perOp := map[string]float64{}
	rd := benchfmt.NewReader(bytes.NewReader(data), "")
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		name := benchrun.TrimProcs("Benchmark" + string(res.Name))
		if !pattern.Matches(name) {
			continue
		}
		if _, seen := perOp[name]; !seen {
			names = append(names, name)
		}
		if v, ok := res.Value("sec/op"); ok {
			perOp[name] = v // the last run's is as good a guess as any
		}
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	var rows []benchrun.Row
	for _, n := range names {
		// A benchmark runs for -benchtime, but at least one iteration.
		est := time.Duration(max(benchtime.Seconds(), perOp[n]) * float64(time.Second))
		if iterations > 0 {
			est = time.Duration(float64(iterations) * perOp[n] * float64(time.Second))
		}
		for range o.count {
			rows = append(rows, benchrun.Row{Name: n, Est: est})
		}
	}
	return rows, nil
}

// parseBenchtime reads -benchtime: a duration, or a number of iterations
// ("100x").
func parseBenchtime(s string) (time.Duration, int, error) {
	if n, ok := strings.CutSuffix(s, "x"); ok {
		i, err := strconv.Atoi(n)
		if err != nil || i < 1 {
			return 0, 0, fmt.Errorf("-benchtime %q: not a duration or a count of iterations", s)
		}
		return 0, i, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, 0, fmt.Errorf("-benchtime %q: not a duration or a count of iterations", s)
	}
	return d, 0, nil
}

func render(root string, experiments []benchdocs.Experiment, stderr io.Writer) error {
	out, err := benchdocs.Render(root, experiments)
	if err != nil {
		return err
	}
	if err := benchdocs.Write(root, out); err != nil {
		return err
	}
	for _, n := range out.Notes {
		fmt.Fprintln(stderr, "benchdocs: note:", n)
	}
	fmt.Fprintf(stderr, "benchdocs: rendered %d files under %s\n", len(out.Files), filepath.Join(root, benchdocs.DocsDir))
	if len(out.Broken) > 0 {
		return fmt.Errorf("docs/ are written, but %d claims no longer hold, so the tests will fail until their Want "+
			"in internal/benchdocs/experiments.go matches the data or the code is fixed:\n%w",
			len(out.Broken), errors.Join(out.Broken...))
	}
	return nil
}

// moduleRoot returns the nearest directory, from the working directory
// up, that holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod here or above: run benchdocs inside the module, or give -root")
		}
		dir = parent
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func rel(root string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if r, err := filepath.Rel(root, p); err == nil {
			p = r
		}
		out[i] = filepath.ToSlash(p)
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
