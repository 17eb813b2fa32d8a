package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A child is a server in a process of its own: one of the article's
// Python servers, or one of ours run by goside. It is started in a
// process group of its own, so that stopping it stops whatever it
// started, and on Linux it is killed if benchdocs dies without stopping
// it.
type child struct {
	name   string
	cmd    *exec.Cmd
	port   int
	stderr *tail

	waited  chan struct{} // closed when the process has exited
	waitErr error
	stopped sync.Once
}

// startServer starts argv in dir and waits until it prints the port it
// listens on, alone on its first line, for at most timeout. Whatever
// fails (the process exits, prints something else, takes too long, or
// ctx ends), the process is stopped before startServer returns.
func startServer(ctx context.Context, name string, argv []string, dir string, timeout time.Duration) (*child, error) {
	c := &child{name: name, stderr: &tail{max: 20}, waited: make(chan struct{})}
	first := &firstLine{line: make(chan string, 1)}
	c.cmd = exec.Command(argv[0], argv[1:]...)
	c.cmd.Dir = dir
	c.cmd.Stdout = first
	c.cmd.Stderr = c.stderr
	// A grandchild that keeps the pipes open must not keep Wait waiting.
	c.cmd.WaitDelay = 2 * time.Second
	ownGroup(c.cmd)
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.waited)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var err error
	select {
	case line := <-first.line:
		if c.port, err = parsePort(line); err == nil {
			return c, nil
		}
	case <-c.waited:
		err = fmt.Errorf("exited before it printed its port: %v", c.waitErr)
	case <-timer.C:
		err = fmt.Errorf("printed no port in %s", timeout)
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	c.stop()
	return nil, fmt.Errorf("%s: %s: %w%s", name, strings.Join(argv, " "), err, c.stderr.indented())
}

// parsePort reads the first line a server prints: its port, alone.
func parsePort(line string) (int, error) {
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("first line %q: want the port it listens on", line)
	}
	return port, nil
}

// URL is where the child serves, on loopback.
func (c *child) URL() string { return fmt.Sprintf("http://127.0.0.1:%d/", c.port) }

// killAfter is how long a child has to exit after SIGTERM before it is
// sent SIGKILL.
var killAfter = 5 * time.Second

// stop ends the child's process group: SIGTERM, and SIGKILL if it has
// not exited killAfter later. It returns once the process has exited, and only
// the first call does anything.
func (c *child) stop() {
	c.stopped.Do(func() {
		signalGroup(c.cmd, false)
		select {
		case <-c.waited:
			return
		case <-time.After(killAfter):
		}
		signalGroup(c.cmd, true)
		<-c.waited
	})
}

// alive reports whether the child's process has not exited.
func (c *child) alive() bool {
	select {
	case <-c.waited:
		return false
	default:
		return true
	}
}

// runChild runs argv in dir to its end, for at most timeout, in a
// process group of its own that is killed when ctx ends, and returns its
// standard output.
func runChild(ctx context.Context, argv []string, dir string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	ownGroup(cmd)
	cmd.Cancel = func() error { signalGroup(cmd, true); return nil }
	cmd.WaitDelay = 2 * time.Second
	stderr := &tail{max: 20}
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		return nil, fmt.Errorf("%s: %w%s", strings.Join(argv, " "), err, stderr.indented())
	}
	return out, nil
}

// firstLine is a writer that sends the first line written to it on
// line, and discards the rest.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	line chan string
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent {
		return len(p), nil
	}
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
		f.line <- string(f.buf[:i])
		f.sent, f.buf = true, nil
	} else if len(f.buf) > 4096 {
		f.line <- string(f.buf[:4096])
		f.sent, f.buf = true, nil
	}
	return len(p), nil
}

// tail keeps the last max lines written to it, for error messages.
type tail struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.partial[:i]))
		t.partial = t.partial[i+1:]
		if len(t.lines) > t.max {
			t.lines = t.lines[1:]
		}
	}
	if len(t.partial) > 4096 {
		t.partial = t.partial[:4096]
	}
	return len(p), nil
}

// indented is the tail as lines to append to an error message.
func (t *tail) indented() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := append([]string(nil), t.lines...)
	if len(t.partial) > 0 {
		lines = append(lines, string(t.partial))
	}
	if len(lines) == 0 {
		return ""
	}
	return "\n\t" + strings.Join(lines, "\n\t")
}
