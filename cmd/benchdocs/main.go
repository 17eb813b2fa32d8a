// Command benchdocs measures the experiments and regenerates docs/ from
// the measurements.
//
//	go run ./cmd/benchdocs                  # every experiment, -count 10, into testdata/bench; then docs/
//	go run ./cmd/benchdocs -quick           # a short pass (-count 6 -benchtime 100ms), into bench-out/
//	go run ./cmd/benchdocs -bench Fetch     # what go test -bench Fetch selects, into bench-out/
//	go run ./cmd/benchdocs -write -bench '^(BenchmarkFetch)$'   # the same, into testdata/bench; then docs/
//	go run ./cmd/benchdocs -render          # docs/ from testdata/ alone (go generate)
//
// Each run of each experiment (internal/benchdocs.Experiments) is one
//
//	go test -run '^$' -bench PATTERN -count N -timeout 60m [FLAGS] PKG
//
// into bench-out/NAME.txt, after the environment as key: value lines
// (benchstat reads them as configuration), its results shown on standard
// error as they come. A full run (no -bench, -quick, -count or -benchtime), or one
// given -write, then moves the files into testdata/bench and renders
// docs/ from them, once every run has succeeded. An experiment whose run
// lacks a benchmark that its committed run has (the Python rows without
// python3) is left as committed, unless -write. A run that fails or is
// interrupted leaves testdata/ and docs/ as they were.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/joinall/joinall/internal/benchdocs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr, benchdocs.Experiments)
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

// A usageError is a mistake on the command line: exit status 2.
type usageError struct{ error }

// scratch is where runs are written, under the module's root, before
// they are kept in testdata/bench.
const scratch = "bench-out"

const defaultCount = 10

type options struct {
	count     int
	benchtime string
	bench     string
	write     bool // -write: keep the runs, even partial ones
	full      bool // every benchmark, -count 10, the default -benchtime: kept without -write
	render    bool
	root      string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("benchdocs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.count, "count", defaultCount, "runs of each benchmark, unless its experiment sets fewer")
	fs.StringVar(&o.bench, "bench", "", "run only the benchmarks that this go test -bench `pattern` selects")
	quick := fs.Bool("quick", false, "a short pass to try the pipeline: -count 6 and -benchtime 100ms, where not given")
	fs.StringVar(&o.benchtime, "benchtime", "", "go test's -benchtime: a `duration`, or a count of iterations (100x); when empty, go test's 1s")
	fs.BoolVar(&o.write, "write", false, "move the runs into testdata/bench and render docs/ after any run,\n"+
		"even for an experiment that lacks benchmarks of its committed run; a full run does so without it")
	fs.BoolVar(&o.render, "render", false, "run no benchmark: render docs/ from testdata/ alone")
	fs.StringVar(&o.root, "root", "", "the module's root `directory`; when empty, the nearest one up with a go.mod")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./cmd/benchdocs [flags]\n\n"+
			"Runs the experiments' benchmarks into %s/. A full run (-count 10, no -bench, -quick or -benchtime),\n"+
			"or one given -write, then moves them into testdata/bench and renders docs/ from them.\n\n", scratch)
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
	if *quick && !set["count"] {
		o.count = 6 // the fewest runs for which benchstat gives a 95% interval
	}
	if *quick && !set["benchtime"] {
		o.benchtime = "100ms"
	}
	if o.count < 1 {
		return nil, usageError{fmt.Errorf("-count %d: must be at least 1", o.count)}
	}
	if !validBenchtime(o.benchtime) {
		return nil, usageError{fmt.Errorf("-benchtime %q: not a duration or a count of iterations", o.benchtime)}
	}
	if _, err := regexp.Compile(o.bench); err != nil {
		return nil, usageError{fmt.Errorf("-bench %q: %w", o.bench, err)}
	}
	if o.render && (set["bench"] || set["count"] || set["benchtime"] || *quick || o.write) {
		return nil, usageError{errors.New("-render runs no benchmark: it takes no -bench, -count, -benchtime, -quick or -write")}
	}
	o.full = o.bench == "" && o.count == defaultCount && o.benchtime == ""
	return o, nil
}

// run is the command, for any table of experiments, so that tests can
// give their own.
func run(ctx context.Context, args []string, stderr io.Writer, experiments []benchdocs.Experiment) error {
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
	return measureAndKeep(ctx, o, experiments, stderr)
}

// measureAndKeep runs the experiments as o says, and keeps what they
// measured where o says.
func measureAndKeep(ctx context.Context, o *options, experiments []benchdocs.Experiment, stderr io.Writer) error {
	start := time.Now()
	jobs, err := plan(ctx, o, experiments, start)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(o.root, scratch), 0o755); err != nil {
		return err
	}
	if err := measure(ctx, o.root, jobs, stderr); err != nil {
		return fmt.Errorf("%w\ntestdata/ and docs/ are as they were%s", err, where(jobs, scratch))
	}
	var kept, left []*job
	for i := range experiments {
		e := &experiments[i]
		mine := slices.DeleteFunc(slices.Clone(jobs), func(j *job) bool { return j.e != e })
		var results int
		var missing []string
		for _, j := range mine {
			results += len(j.seen)
			missing = append(missing, j.missing()...)
		}
		switch {
		case len(mine) == 0:
		case results == 0:
			fmt.Fprintf(stderr, "%s: no results: skipped\n", e.Name)
		case len(missing) > 0 && !o.write:
			n := len(missing)
			if n > 3 {
				missing = append(missing[:3], "...")
			}
			fmt.Fprintf(stderr, "%s: %d benchmarks of the committed run gave no result (%s); it is left as committed, unless -write\n",
				e.Name, n, strings.Join(missing, ", "))
			left = append(left, mine...)
		case o.write || o.full:
			kept = append(kept, mine...)
		default:
			left = append(left, mine...)
		}
	}
	dest := filepath.Join(o.root, filepath.FromSlash(benchdocs.BenchDir))
	for _, name := range names(kept) {
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(o.root, scratch, name), filepath.Join(dest, name)); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "benchdocs: measured in %s%s%s\n", time.Since(start).Round(time.Second),
		where(kept, benchdocs.BenchDir), where(left, scratch))
	if len(kept) == 0 {
		return nil
	}
	return render(o.root, experiments, stderr)
}

// names are the files of the jobs that have results.
func names(jobs []*job) []string {
	var names []string
	for _, j := range jobs {
		if len(j.seen) > 0 && !slices.Contains(names, j.file) {
			names = append(names, j.file)
		}
	}
	return names
}

// where says where the files of the jobs that have results are: in dir.
func where(jobs []*job, dir string) string {
	if len(names(jobs)) == 0 {
		return ""
	}
	return fmt.Sprintf("; in %s/: %s", dir, strings.Join(names(jobs), ", "))
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
		return fmt.Errorf("docs/ are written, but %d checks fail, and so will the tests, until the data bear out "+
			"what the pages say (pages/*.md, and the claims in internal/benchdocs/experiments.go) or the code is fixed:\n%w",
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

// validBenchtime says whether s is a -benchtime that go test takes: a
// duration, or a number of iterations ("100x"); empty is its default.
func validBenchtime(s string) bool {
	if n, ok := strings.CutSuffix(s, "x"); ok {
		i, err := strconv.Atoi(n)
		return err == nil && i > 0
	}
	_, err := time.ParseDuration(cmp.Or(s, "1s"))
	return err == nil
}
