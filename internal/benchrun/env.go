package benchrun

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Environment returns the header lines that say where and how a run was
// measured: the date, the Go version (of the go command in dir), the
// kernel, the cores, GOMAXPROCS and the listen backlog limit
// (net.core.somaxconn, which caps a Go listener's backlog on Linux). go
// test adds goos, goarch, pkg and cpu (the CPU model) itself.
//
// Every file of one run gets the same date, so that a pair of files that
// differ in one setting differ in nothing else that benchstat reads.
func Environment(ctx context.Context, dir string, date time.Time) ([]Line, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOVERSION: %w", err)
	}
	return []Line{
		{"date", date.UTC().Format("2006-01-02T15:04Z")},
		{"go", strings.TrimSpace(string(out))},
		{"kernel", kernel()},
		{"cores", fmt.Sprint(runtime.NumCPU())},
		{"gomaxprocs", fmt.Sprint(runtime.GOMAXPROCS(0))},
		{"net.core.somaxconn", readTrimmed("/proc/sys/net/core/somaxconn")},
	}, nil
}

// kernel names the operating system and its release: "Linux 6.12.38".
func kernel() string {
	name := readTrimmed("/proc/sys/kernel/ostype")
	release := readTrimmed("/proc/sys/kernel/osrelease")
	if name == "unknown" {
		return runtime.GOOS
	}
	return name + " " + release
}

// readTrimmed reads a one-line file such as a sysctl under /proc/sys, or
// says "unknown" where there is none (not Linux).
func readTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// With returns lines with the values of the keys in set replaced, and
// the keys that lines lack appended, in the order given.
func With(lines []Line, set ...Line) []Line {
	out := append([]Line(nil), lines...)
	for _, s := range set {
		found := false
		for i := range out {
			if out[i].Key == s.Key {
				out[i].Value, found = s.Value, true
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	return out
}
