package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/joinall/joinall/internal/benchdocs"
)

// A job is one run of an experiment: one go test, whose output goes to
// one file after the header. Jobs with the same file write it in turn.
type job struct {
	e      *benchdocs.Experiment
	label  string   // "serving -cpu 1"
	argv   []string // go test's command line
	env    []string // what it adds to the environment: "NAME=value"
	file   string   // NAME.txt or NAME-SUFFIX.txt
	header []benchdocs.Line
	expect []string        // the benchmarks of its committed run, as resultName gives them; nil when none is
	seen   map[string]bool // the results' names, once run
}

// plan makes a job of each run of each experiment.
func plan(ctx context.Context, o *options, experiments []benchdocs.Experiment, date time.Time) ([]*job, error) {
	env, err := environment(ctx, o.root, date)
	if err != nil {
		return nil, err
	}
	var jobs []*job
	for i := range experiments {
		e := &experiments[i]
		for _, r := range e.Runs {
			count := o.count
			if r.Count > 0 {
				count = min(count, r.Count)
			}
			bench := benchdocs.Bench(r.Benchmarks)
			if r.Sub != "" {
				bench += "/" + r.Sub
			}
			argv := []string{"go", "test", "-run", "^$"}
			if o.bench != "" {
				// What the pattern asks for, in every run, but for the
				// benchmarks of the package's other runs.
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
			argv = append(argv, "-bench", bench, "-count", strconv.Itoa(count))
			if o.benchtime != "" {
				argv = append(argv, "-benchtime", o.benchtime)
			}
			// go test's default timeout of 10 minutes is shorter than a
			// full run may take on a slow machine; an hour still ends a
			// hung benchmark.
			argv = append(append(append(argv, "-timeout", "60m"), r.Args...), e.Pkg)
			j := &job{e: e, label: strings.Join(append([]string{e.Name}, r.Args...), " "), argv: argv, env: r.Env,
				file: filepath.Base(benchdocs.RawFile(e.Name, r.Suffix))}
			// The run's own settings replace the environment's.
			for _, l := range append(slices.Clone(env), append([]benchdocs.Line{{Key: "count", Value: strconv.Itoa(count)},
				{Key: "benchtime", Value: cmp.Or(o.benchtime, "1s")}}, r.Header...)...) {
				if i := slices.IndexFunc(j.header, func(h benchdocs.Line) bool { return h.Key == l.Key }); i >= 0 {
					j.header[i] = l
				} else {
					j.header = append(j.header, l)
				}
			}
			if o.bench == "" {
				if j.expect, err = expect(filepath.Join(o.root, benchdocs.BenchDir, j.file), r.Benchmarks); err != nil {
					return nil, err
				}
			}
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// measure runs the jobs in order, each into its file under root's
// scratch directory, with go test's output on stderr as it comes, and
// stops at the first that fails.
func measure(ctx context.Context, root string, jobs []*job, stderr io.Writer) error {
	start := time.Now()
	for i, j := range jobs {
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if slices.ContainsFunc(jobs[:i], func(k *job) bool { return k.file == j.file }) {
			flags = os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(filepath.Join(root, scratch, j.file), flags, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "[%d/%d] %s: %s\n", i+1, len(jobs), j.label, strings.Join(j.argv, " "))
		err = j.exec(ctx, root, f, stderr)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s: %w", j.label, cerr)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s: %d benchmarks, %s so far\n", j.label, len(j.seen), time.Since(start).Round(time.Second))
	}
	return nil
}

// exec writes the job's header and go test's standard output to w, and
// notes the names of its results. go test and the test binary are
// interrupted when ctx ends.
func (j *job) exec(ctx context.Context, dir string, w, progress io.Writer) error {
	for _, l := range j.header {
		if _, err := fmt.Fprintf(w, "%s: %s\n", l.Key, l.Value); err != nil {
			return fmt.Errorf("%s: %w", j.label, err)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, j.argv[0], j.argv[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, io.MultiWriter(w, &stdout, progress), &stderr
	if len(j.env) > 0 {
		cmd.Env = append(os.Environ(), j.env...)
	}
	exited := interruptGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	exited()
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", j.label, context.Cause(ctx))
	case err != nil:
		return fmt.Errorf("%s: %s: %w\n%s", j.label, strings.Join(j.argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	j.seen = map[string]bool{}
	rd := benchfmt.NewReader(&stdout, j.file)
	for rd.Scan() {
		if res, ok := rd.Result().(*benchfmt.Result); ok {
			j.seen[resultName(res.Name)] = true
		}
	}
	return rd.Err()
}

// missing are the expected benchmarks that gave no result.
func (j *job) missing() []string {
	var names []string
	for _, x := range j.expect {
		if !j.seen[x] {
			names = append(names, "Benchmark"+x)
		}
	}
	return names
}

// resultName is a result's benchmark name without its -GOMAXPROCS
// suffix: "Sleep/tasks=3".
func resultName(n benchfmt.Name) string {
	base, parts := n.Parts()
	if len(parts) > 0 && parts[len(parts)-1][0] == '-' {
		parts = parts[:len(parts)-1]
	}
	return string(base) + string(bytes.Join(parts, nil))
}

// expect returns the benchmarks of the functions in their committed run
// at path, in go test's order; nil when nothing is committed.
func expect(path string, funcs []string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var names []string
	rd := benchfmt.NewReader(bytes.NewReader(data), path)
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if ok && slices.Contains(funcs, "Benchmark"+string(res.Name.Base())) && !slices.Contains(names, resultName(res.Name)) {
			names = append(names, resultName(res.Name))
		}
	}
	return names, errors.Join(err, rd.Err())
}

// environment returns the header lines that say where and how a run was
// measured: the date, the Go version (of the go command in dir), the
// kernel, the cores, GOMAXPROCS and the listen backlog limit
// (net.core.somaxconn, which caps a Go listener's backlog on Linux). go
// test adds goos, goarch, pkg and cpu (the CPU model) itself. Every file
// of one run gets the same date, so that a pair of files that differ in
// one setting differ in nothing else that benchstat reads.
func environment(ctx context.Context, dir string, date time.Time) ([]benchdocs.Line, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOVERSION: %w", err)
	}
	kernel := runtime.GOOS
	if name := sysctl("kernel/ostype"); name != "unknown" {
		kernel = name + " " + sysctl("kernel/osrelease")
	}
	return []benchdocs.Line{
		{Key: "date", Value: date.UTC().Format("2006-01-02T15:04Z")},
		{Key: "go", Value: strings.TrimSpace(string(out))},
		{Key: "kernel", Value: kernel},
		{Key: "cores", Value: strconv.Itoa(runtime.NumCPU())},
		{Key: "gomaxprocs", Value: strconv.Itoa(runtime.GOMAXPROCS(0))},
		{Key: "net.core.somaxconn", Value: sysctl("net/core/somaxconn")},
	}, nil
}

// sysctl reads a one-line file under /proc/sys, or says "unknown" where
// there is none (not Linux).
func sysctl(name string) string {
	b, err := os.ReadFile("/proc/sys/" + name)
	if s := strings.TrimSpace(string(b)); err == nil && s != "" {
		return s
	}
	return "unknown"
}
