package benchtab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Benchstat runs the benchstat that go.mod pins (a tool there) on the
// files, named relative to dir and run from dir, so that the names it
// prints are the ones a reader types, and returns what it prints: the
// same bytes on every machine.
//
// benchstat reports a bad flag or a malformed file on its standard error
// and still exits 0; anything on its standard error is an error here.
func Benchstat(ctx context.Context, dir string, a Args, files ...string) (string, error) {
	if len(files) == 0 {
		return "", errors.New("benchstat: no input")
	}
	tool, err := benchstatPath(ctx, dir)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, tool, append(a.Flags(), files...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err == nil && stderr.Len() > 0 {
		err = errors.New(strings.TrimSpace(stderr.String()))
	} else if err != nil && stderr.Len() > 0 {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", a.Command(files...), err)
	}
	return stdout.String(), nil
}

// benchstatPaths caches where the go command built the pinned benchstat,
// by module: go tool -n builds the tool into the build cache, if it is not
// there yet, and prints its path without running it. Running that binary
// directly saves the go command's start-up, a tenth of a second, on each
// of the dozens of tables a rendering prints.
var benchstatPaths struct {
	sync.Mutex
	byModule map[string]string
}

// benchstatPath returns the pinned benchstat's binary, as the module
// that holds dir pins it, or, when dir is in no module that does (the
// throwaway roots of tests), as the module of the working directory pins
// it.
func benchstatPath(ctx context.Context, dir string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	var errs []error
	for _, mod := range []string{moduleOf(dir), moduleOf(wd)} {
		if mod == "" {
			continue
		}
		p, err := toolIn(ctx, mod)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return "", fmt.Errorf("go tool benchstat: neither %s nor the working directory is in a module", dir)
	}
	return "", errors.Join(errs...)
}

func toolIn(ctx context.Context, mod string) (string, error) {
	benchstatPaths.Lock()
	defer benchstatPaths.Unlock()
	if p, ok := benchstatPaths.byModule[mod]; ok {
		return p, nil
	}
	cmd := exec.CommandContext(ctx, "go", "tool", "-n", "benchstat")
	cmd.Dir = mod
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n benchstat in %s: %w: %s", mod, err, strings.TrimSpace(stderr.String()))
	}
	p := strings.TrimSpace(string(out))
	if benchstatPaths.byModule == nil {
		benchstatPaths.byModule = map[string]string{}
	}
	benchstatPaths.byModule[mod] = p
	return p, nil
}

// moduleOf returns the nearest directory, from dir up, that holds a
// go.mod, or "".
func moduleOf(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
