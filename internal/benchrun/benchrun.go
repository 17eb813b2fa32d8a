// Package benchrun runs go test benchmarks into raw files: it writes the
// environment as key: value lines first (benchstat reads them as
// configuration), streams go test's output after them, and reports
// progress, result line by result line, while it runs.
//
// Files are staged: a run writes to a temporary file beside its
// destination, and Commit renames every staged file into place only when
// the whole run has succeeded, so that a failed or interrupted run leaves
// committed files as they were.
package benchrun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// A Job is one go test -bench run whose output becomes one raw file.
type Job struct {
	Label     string   // names the job in progress lines: "sleep", "serving -cpu 1"
	Dir       string   // where go test runs: the module's root
	Pkg       string   // the package to test: "."
	Bench     string   // the -bench pattern
	Count     int      // -count
	Benchtime string   // -benchtime; empty for go test's default
	Args      []string // more go test flags, such as -cpu 1
	Header    []Line   // written before go test's output
	Expect    []Row    // the results expected, in order, for progress; may be empty

	// Func, when set, measures instead of go test: it writes result lines
	// in the benchmark format to w, and calls result with each one's
	// name (without a -GOMAXPROCS suffix) as it writes it. What says
	// what it runs, in progress lines, in place of go test's command.
	Func func(ctx context.Context, w io.Writer, result func(name string)) error
	What string
}

// A Line is one key: value line of a raw file's header.
type Line struct{ Key, Value string }

// A Row is one result line that a job is expected to print: the
// benchmark's full name without its -GOMAXPROCS suffix, and about how
// long it takes, or 0 when that is not known.
type Row struct {
	Name string
	Est  time.Duration
}

// Command returns the go test command line of the job.
func (j *Job) Command() []string {
	args := []string{"go", "test", "-run", "^$", "-bench", j.Bench, "-count", fmt.Sprint(j.Count)}
	if j.Benchtime != "" {
		args = append(args, "-benchtime", j.Benchtime)
	}
	// go test's default timeout of 10 minutes is shorter than a full run
	// may take on a slow machine; an hour still ends a hung benchmark.
	args = append(args, "-timeout", "60m")
	args = append(args, j.Args...)
	return append(args, j.Pkg)
}

// Run runs the job, writing its header and go test's standard output to
// w and reporting each result to progress. It returns an error when go
// test fails, prints no result, or ctx is cancelled (go test and the test
// binary are then interrupted).
func Run(ctx context.Context, j *Job, w io.Writer, progress *Progress) error {
	for _, l := range j.Header {
		if _, err := fmt.Fprintf(w, "%s: %s\n", l.Key, l.Value); err != nil {
			return err
		}
	}
	if j.Func != nil {
		return runFunc(ctx, j, w, progress)
	}
	argv := j.Command()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = j.Dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	exited := interruptGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	progress.start(j)
	results := 0
	var tail []string // the last lines, to show when go test fails
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var writeErr error
	for sc.Scan() {
		// The first result's time includes building the test binary:
		// go test prints nothing, not even its header, until then.
		line := sc.Text()
		if writeErr == nil {
			_, writeErr = fmt.Fprintln(w, line)
		}
		if name, ok := resultName(line); ok {
			results++
			progress.result(name)
		}
		tail = append(tail, line)
		if len(tail) > 20 {
			tail = tail[1:]
		}
	}
	scanErr := sc.Err()
	waitErr := cmd.Wait()
	exited()
	progress.end(j, results)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", j.Label, context.Cause(ctx))
	case waitErr != nil:
		return fmt.Errorf("%s: %s: %w\n%s%s", j.Label, strings.Join(argv, " "), waitErr,
			strings.Join(tail, "\n"), indent(stderr.String()))
	case scanErr != nil:
		return fmt.Errorf("%s: reading go test's output: %w", j.Label, scanErr)
	case writeErr != nil:
		return fmt.Errorf("%s: %w", j.Label, writeErr)
	case results == 0:
		return fmt.Errorf("%s: %s printed no benchmark result", j.Label, strings.Join(argv, " "))
	}
	return nil
}

func runFunc(ctx context.Context, j *Job, w io.Writer, progress *Progress) error {
	progress.start(j)
	results := 0
	err := j.Func(ctx, w, func(name string) {
		results++
		progress.result(name)
	})
	progress.end(j, results)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", j.Label, context.Cause(ctx))
	case err != nil:
		return fmt.Errorf("%s: %w", j.Label, err)
	case results == 0:
		return fmt.Errorf("%s: %s printed no benchmark result", j.Label, j.What)
	}
	return nil
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "\n" + strings.TrimRight(s, "\n")
}

// resultName returns the name of the benchmark whose result line is line,
// without its -GOMAXPROCS suffix. A result line is the name, the number of
// iterations, then values and units.
func resultName(line string) (string, bool) {
	if !strings.HasPrefix(line, "Benchmark") {
		return "", false
	}
	f := strings.Fields(line)
	if len(f) < 4 || strings.Trim(f[1], "0123456789") != "" {
		return "", false
	}
	return TrimProcs(f[0]), true
}

// TrimProcs removes the -N suffix that go test adds to a benchmark's name
// when GOMAXPROCS is not 1.
func TrimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 || strings.Trim(name[i+1:], "0123456789") != "" {
		return name
	}
	return name[:i]
}

// A Staged file is written under a temporary name beside its destination
// and renamed into place by Commit.
type Staged struct {
	*os.File
	dest string
}

// Stage creates a temporary file in dest's directory for dest's content.
func Stage(dest string) (*Staged, error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &Staged{File: f, dest: dest}, nil
}

// Dest is where Commit puts the file.
func (s *Staged) Dest() string { return s.dest }

// Commit closes every staged file and renames each into place. Every file
// is closed and synced before the first rename, so that an error leaves
// all destinations as they were unless a rename itself fails.
func Commit(files ...*Staged) error {
	for _, s := range files {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("%s: %w", s.Name(), err)
		}
		if err := s.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("%s: %w", s.Name(), err)
		}
	}
	for _, s := range files {
		if err := os.Chmod(s.Name(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(s.Name(), s.dest); err != nil {
			return err
		}
	}
	return nil
}

// Discard removes the staged file. When keep is not empty and the file
// has content, it is moved there instead, so that finished work is not
// lost when a later part of the run fails.
func (s *Staged) Discard(keep string) (kept bool) {
	s.Close()
	if keep != "" {
		if fi, err := os.Stat(s.Name()); err == nil && fi.Size() > 0 && os.Rename(s.Name(), keep) == nil {
			return true
		}
	}
	os.Remove(s.Name())
	return false
}

// List returns the benchmark functions of the package pkg, in dir, whose
// names the pattern matches: go test -list, which compiles the test
// binary but runs nothing.
func List(ctx context.Context, dir, pkg, pattern string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-list", pattern, pkg)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go test -list %s %s: %w%s", pattern, pkg, err, indent(stderr.String()+string(out)))
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Benchmark") {
			names = append(names, strings.TrimSpace(line))
		}
	}
	return names, nil
}
