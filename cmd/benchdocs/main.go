// Command benchdocs measures the experiments and regenerates docs/ from
// the measurements.
//
//	go run ./cmd/benchdocs                  # every experiment, -count 10, into testdata/bench; then docs/
//	go run ./cmd/benchdocs -count 6 -benchtime 100ms   # a short pass, into bench-out/
//	go run ./cmd/benchdocs -bench Fetch     # what go test -bench Fetch selects, into bench-out/
//	go run ./cmd/benchdocs -write -bench '^(BenchmarkFetch)$'   # the same, into testdata/bench; then docs/
//	go run ./cmd/benchdocs -render          # docs/ from testdata/ alone (go generate)
//
// Each run of each experiment is a go test -bench into bench-out/NAME.txt
// after the environment's key: value lines. Once every run has succeeded,
// a full run or one given -write moves the files into testdata/bench and
// renders docs/; but without -write, an experiment whose run lacks a
// benchmark of its committed run (the Python rows without python3) is left
// as committed. A run that fails or is interrupted changes neither.
package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joinall/joinall/internal/benchdocs"
	"github.com/joinall/joinall/internal/cli"
)

func main() { cli.Main("benchdocs", run) }

// scratch is where runs are written before any is kept in testdata/bench.
const scratch = "bench-out"

type options struct {
	root      string
	bench     string
	count     int
	benchtime string
	write     bool // keep the runs, even partial ones
	full      bool // every benchmark, -count 10, -benchtime 1s: kept without -write
	render    bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("benchdocs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.count, "count", 10, "runs of each benchmark, unless its experiment sets fewer")
	fs.StringVar(&o.bench, "bench", "", "run only the benchmarks that this go test -bench `pattern` selects")
	fs.StringVar(&o.benchtime, "benchtime", "1s", "go test's -benchtime: a `duration`, or a count of iterations (100x)")
	fs.BoolVar(&o.write, "write", false, "move the runs into testdata/bench and render docs/ after any run,\n"+
		"even for an experiment that lacks benchmarks of its committed run; a full run does so without it")
	fs.BoolVar(&o.render, "render", false, "run no benchmark: render docs/ from testdata/ alone")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./cmd/benchdocs [flags]\n\n"+
			"Runs the experiments' benchmarks into %s/. A full run (-count 10 -benchtime 1s, no -bench),\n"+
			"or one given -write, then moves them into testdata/bench and renders docs/ from them.\n\n", scratch)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, cli.Usage(err)
	}
	iters, isCount := strings.CutSuffix(o.benchtime, "x")
	n, errCount := strconv.Atoi(iters)
	_, errTime := time.ParseDuration(o.benchtime)
	_, errBench := regexp.Compile(o.bench)
	switch {
	case fs.NArg() > 0:
		return nil, cli.Usagef("unexpected argument %q", fs.Arg(0))
	case o.count < 1:
		return nil, cli.Usagef("-count %d: must be at least 1", o.count)
	case isCount && (errCount != nil || n < 1), !isCount && errTime != nil:
		return nil, cli.Usagef("-benchtime %q: not a duration or a count of iterations", o.benchtime)
	case errBench != nil:
		return nil, cli.Usagef("-bench %q: %w", o.bench, errBench)
	case o.render && fs.NFlag() > 1:
		return nil, cli.Usagef("-render runs no benchmark: it takes no -bench, -count, -benchtime or -write")
	}
	o.full = o.bench == "" && o.count == 10 && o.benchtime == "1s"
	return o, nil
}

// run is the command: it reports on stderr, and writes nothing on stdout.
func run(ctx context.Context, args []string, _, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	path := strings.TrimSpace(string(gomod))
	if err != nil || path == "" || path == os.DevNull {
		return errors.Join(err, errors.New("no go.mod here or above: run benchdocs inside the module"))
	}
	o.root = filepath.Dir(path)
	if !o.render {
		return measure(ctx, o, benchdocs.Experiments, stderr)
	}
	return render(o.root, benchdocs.Experiments, stderr)
}

// A job is one run of an experiment: a go test, whose output goes to a
// file after the header. Jobs with the same file write it in turn.
type job struct {
	e      *benchdocs.Experiment
	argv   []string // go test's command line
	env    []string // what it adds to the environment: "NAME=value"
	file   string   // NAME.txt or NAME-SUFFIX.txt
	header []benchdocs.Line
}

// plan makes a job of each run of each experiment.
func plan(o *options, experiments []benchdocs.Experiment, env []benchdocs.Line) []*job {
	var jobs []*job
	for i := range experiments {
		e := &experiments[i]
		for _, r := range e.Runs {
			count := min(o.count, cmp.Or(r.Count, o.count))
			bench := benchdocs.Bench(r.Benchmarks)
			if r.Sub != "" {
				bench += "/" + r.Sub
			}
			argv := []string{"go", "test", "-run", "^$"}
			if o.bench != "" {
				// The pattern, but not in other runs' benchmarks.
				var others []string
				for _, e2 := range experiments {
					for _, f := range e2.Benchmarks() {
						if e2.Pkg == e.Pkg && !slices.Contains(r.Benchmarks, f) {
							others = append(others, f)
						}
					}
				}
				bench = o.bench
				argv = append(argv, "-skip", benchdocs.Bench(others))
			}
			argv = append(argv, "-bench", bench, "-count", strconv.Itoa(count), "-benchtime", o.benchtime)
			// A full run may take more than go test's 10 minutes; an hour
			// still ends a hung benchmark.
			argv = append(append(append(argv, "-timeout", "60m"), r.Args...), cmp.Or(e.Pkg, "."))
			j := &job{e: e, argv: argv, env: r.Env, file: filepath.Base(benchdocs.RawFile(e.Name, r.Suffix))}
			// The run's own settings replace the environment's.
			j.header = slices.Concat(env, []benchdocs.Line{{Key: "count", Value: strconv.Itoa(count)}, {Key: "benchtime", Value: o.benchtime}})
			for _, l := range r.Header {
				j.header = append(slices.DeleteFunc(j.header, func(h benchdocs.Line) bool { return h.Key == l.Key }), l)
			}
			jobs = append(jobs, j)
		}
	}
	return jobs
}

// measure runs the jobs in order, their output shown as it comes, and
// keeps what they measured where o says.
func measure(ctx context.Context, o *options, experiments []benchdocs.Experiment, stderr io.Writer) error {
	start := time.Now()
	jobs := plan(o, experiments, environment(start))
	if err := os.MkdirAll(filepath.Join(o.root, scratch), 0o755); err != nil {
		return err
	}
	var files []string // written so far, in bench-out/
	for i, j := range jobs {
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if slices.Contains(files, j.file) {
			flags = os.O_WRONLY | os.O_APPEND
		} else {
			files = append(files, j.file)
		}
		fmt.Fprintf(stderr, "[%d/%d] %s: %s\n", i+1, len(jobs), j.e.Name, strings.Join(j.argv, " "))
		if err := j.exec(ctx, o.root, flags, stderr); err != nil {
			return fmt.Errorf("%w\ntestdata/ and docs/ are as they were; in %s/: %s", err, scratch, strings.Join(files, ", "))
		}
	}
	var kept, left []string
	for i := range experiments {
		var mine []string
		for _, j := range jobs {
			if j.e == &experiments[i] && !slices.Contains(mine, j.file) {
				mine = append(mine, j.file)
			}
		}
		ok, err := keep(o, &experiments[i], mine, stderr)
		switch {
		case err != nil:
			return err
		case ok:
			kept = append(kept, mine...)
		default:
			left = append(left, mine...)
		}
	}
	for _, name := range kept {
		dest := filepath.Join(o.root, filepath.FromSlash(benchdocs.BenchDir))
		if err := errors.Join(os.MkdirAll(dest, 0o755), os.Rename(filepath.Join(o.root, scratch, name), filepath.Join(dest, name))); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "benchdocs: measured in %s; in %s/: %s; in %s/: %s\n", time.Since(start).Round(time.Second),
		benchdocs.BenchDir, cmp.Or(strings.Join(kept, ", "), "none"), scratch, cmp.Or(strings.Join(left, ", "), "none"))
	if len(kept) > 0 {
		return render(o.root, experiments, stderr)
	}
	return nil
}

// keep says whether the experiment's fresh files replace its committed
// ones, and removes them if they hold no result.
func keep(o *options, e *benchdocs.Experiment, files []string, stderr io.Writer) (bool, error) {
	var results, lacking []string
	for _, f := range files {
		fresh, err := benchmarks(filepath.Join(o.root, scratch, f))
		if err != nil {
			return false, err
		}
		committed, err := benchmarks(filepath.Join(o.root, benchdocs.BenchDir, f))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		results = append(results, fresh...)
		lacking = append(lacking, slices.DeleteFunc(committed, func(name string) bool { return slices.Contains(fresh, name) })...)
	}
	switch {
	case len(files) > 0 && len(results) == 0:
		fmt.Fprintf(stderr, "%s: no results: skipped\n", e.Name)
		var err error
		for _, f := range files {
			err = errors.Join(err, os.Remove(filepath.Join(o.root, scratch, f)))
		}
		return false, err
	case !o.write && o.full && len(lacking) > 0:
		fmt.Fprintf(stderr, "%s: %d benchmarks of the committed run gave no result (Benchmark%s); it is left as committed, unless -write\n",
			e.Name, len(lacking), strings.Join(lacking[:min(3, len(lacking))], ", Benchmark"))
	}
	return o.write || (o.full && len(lacking) == 0), nil
}

// benchmarks are the names of the benchmarks in the file, in order,
// without the -GOMAXPROCS suffix that differs between machines:
// "Sleep/tasks=3".
func benchmarks(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	var names []string
	for line := range strings.Lines(string(data)) {
		name, _, result := strings.Cut(line, "\t")
		name, bench := strings.CutPrefix(gomaxprocs.ReplaceAllString(strings.TrimSpace(name), ""), "Benchmark")
		if result && bench && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names, err
}

var gomaxprocs = regexp.MustCompile(`-[0-9]+$`)

// exec writes the job's header and go test's output to its file, opened
// with flags, and to progress; go test and all it started are killed when
// ctx ends.
func (j *job) exec(ctx context.Context, root string, flags int, progress io.Writer) error {
	f, err := os.OpenFile(filepath.Join(root, scratch, j.file), flags, 0o644)
	for _, l := range j.header {
		if err == nil {
			_, err = fmt.Fprintf(f, "%s: %s\n", l.Key, l.Value)
		}
	}
	if err != nil {
		return errors.Join(err, f.Close())
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, j.argv[0], j.argv[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, io.MultiWriter(f, progress), &stderr
	cmd.Env = append(os.Environ(), j.env...)
	cmd.WaitDelay = 10 * time.Second
	killGroup(cmd)
	err = cmd.Run()
	switch {
	case ctx.Err() != nil:
		err = fmt.Errorf("%s: %w", j.e.Name, context.Cause(ctx))
	case err != nil:
		err = fmt.Errorf("%s: %s: %w\n%s", j.e.Name, strings.Join(j.argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return errors.Join(err, f.Close())
}

// environment returns the header lines that say where and how a run was
// measured (go test adds goos, goarch, pkg and cpu itself). Every file of
// one run gets the same date, so that a pair of files that differ in one
// setting differ in nothing else that benchstat reads.
func environment(date time.Time) []benchdocs.Line {
	kernel := runtime.GOOS
	if name := sysctl("kernel/ostype"); name != "unknown" {
		kernel = name + " " + sysctl("kernel/osrelease")
	}
	return []benchdocs.Line{
		{Key: "date", Value: date.UTC().Format("2006-01-02T15:04Z")},
		{Key: "go", Value: runtime.Version()},
		{Key: "kernel", Value: kernel},
		{Key: "cores", Value: strconv.Itoa(runtime.NumCPU())},
		{Key: "gomaxprocs", Value: strconv.Itoa(runtime.GOMAXPROCS(0))},
		{Key: "net.core.somaxconn", Value: sysctl("net/core/somaxconn")},
	}
}

// sysctl reads a file under /proc/sys, or says "unknown" (not Linux).
func sysctl(name string) string {
	b, _ := os.ReadFile("/proc/sys/" + name)
	return cmp.Or(strings.TrimSpace(string(b)), "unknown")
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
			"what the pages say (internal/benchdocs/pages and experiments.go):\n%w", len(out.Broken), errors.Join(out.Broken...))
	}
	return nil
}
