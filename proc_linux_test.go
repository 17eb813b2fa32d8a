//go:build linux

package joinall_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inGroup starts cmd in a process group of its own, whose id is its pid,
// so that a server's workers (gunicorn's, nginx's) are stopped, measured
// and checked for with it: cancelling cmd sends quit to the whole
// group. The kernel sends the leader SIGTERM too if this process dies
// first, so that no server outlives the benchmark.
func inGroup(cmd *exec.Cmd, quit syscall.Signal) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, quit) }
}

// endGroup waits up to wait for every process of group pgid to be gone,
// its leader having exited, and kills what is left after that. It says
// which processes it had to kill: a server that leaves a worker behind
// when it is stopped is a failure of the run.
func endGroup(pgid int, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		procs, err := groupProcs(pgid)
		if err != nil || len(procs) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return errors.Join(
				fmt.Errorf("process group %d: %d processes left %v after the server stopped, killed: %v", pgid, len(procs), wait, procs),
				killGroup(pgid))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killGroup kills every process of group pgid and waits, a second at
// most, until they are gone.
func killGroup(pgid int) error {
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", pgid, err)
	}
	for range 100 {
		if procs, err := groupProcs(pgid); err != nil || len(procs) == 0 {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	procs, _ := groupProcs(pgid)
	return fmt.Errorf("process group %d: %v outlived SIGKILL by a second", pgid, procs)
}

// A proc is one process of a group, as /proc gives it.
type proc struct {
	pid     int
	cmd     string   // its command's name
	state   byte     // R, S, Z (exited, not yet waited for), ...
	cpu     [2]int64 // utime and stime, in clock ticks
	threads int
	rss     uint64 // resident bytes
}

func (p proc) String() string { return fmt.Sprintf("%d (%s)", p.pid, p.cmd) }

// groupProcs lists the live processes of group pgid (zombies, whose
// memory is gone, are left out).
func groupProcs(pgid int) ([]proc, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, err
	}
	var procs []proc
	for _, dir := range dirs {
		p, group, err := readProc(dir)
		if err != nil || group != pgid || p.state == 'Z' {
			continue // a process that ended while we looked has no group left
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// readProc reads /proc/PID/stat: the process and its group.
func readProc(dir string) (proc, int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return proc{}, 0, err
	}
	// pid (comm) state ppid pgrp ...: comm may hold spaces and
	// parentheses, so the fields are counted from the last ')'.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	fields := strings.Fields(string(b[end+1:]))
	if open < 0 || end < open || len(fields) < 22 {
		return proc{}, 0, fmt.Errorf("%s/stat: %q", dir, b)
	}
	p := proc{cmd: string(b[open+1 : end]), state: fields[0][0]}
	// After the command: state, ppid, pgrp, ...; utime and stime are the
	// 12th and 13th; num_threads the 18th; rss, in pages, the 22nd.
	nums := make([]int64, len(fields))
	for _, i := range []int{2, 11, 12, 17, 21} {
		if nums[i], err = strconv.ParseInt(fields[i], 10, 64); err != nil {
			return proc{}, 0, fmt.Errorf("%s/stat: %w", dir, err)
		}
	}
	if p.pid, err = strconv.Atoi(filepath.Base(dir)); err != nil {
		return proc{}, 0, err
	}
	p.cpu = [2]int64{nums[11], nums[12]}
	p.threads = int(nums[17])
	p.rss = uint64(nums[21]) * uint64(os.Getpagesize())
	return p, int(nums[2]), nil
}

// measurable says whether groupUsage can read a group's usage here.
func measurable() error {
	_, _, err := readProc(fmt.Sprintf("/proc/%d", os.Getpid()))
	return err
}

// A usage is what a process group holds and has used at one moment.
type usage struct {
	procs   int
	threads int
	rss     uint64        // resident bytes, summed over the processes
	cpu     time.Duration // user and system time, summed
}

// groupUsage sums the usage of group pgid's processes, from /proc.
func groupUsage(pgid int) (usage, error) {
	procs, err := groupProcs(pgid)
	if err != nil {
		return usage{}, err
	}
	if len(procs) == 0 {
		return usage{}, fmt.Errorf("process group %d: no process", pgid)
	}
	var u usage
	for _, p := range procs {
		u.procs++
		u.threads += p.threads
		u.rss += p.rss
		// Clock ticks are USER_HZ, 100 a second, on every Linux.
		u.cpu += time.Duration(p.cpu[0]+p.cpu[1]) * 10 * time.Millisecond
	}
	return u, nil
}

// TestStopEndsTheGroup: a server that leaves a process behind when it is
// stopped (here a child that ignores SIGTERM, as a stuck worker would) is
// a failure of its run, which names the process, and nothing of it is
// left running after stop.
func TestStopEndsTheGroup(t *testing.T) {
	// The child that ignores SIGTERM says it is ready (the line a server
	// prints first) only once it ignores it.
	const script = `trap 'exit 0' TERM; (trap '' TERM; echo 1; exec sleep 60) & while :; do sleep 0.1; done`
	srv, err := startServer(t.Context(), side{name: "sh", argv: []string{"/bin/sh", "-c", script}})
	require.NoError(t, err, "start %q", script)
	procs, err := groupProcs(srv.pid)
	require.NoError(t, err, "the server's processes")
	require.GreaterOrEqual(t, len(procs), 2, "the server's processes: %v", procs)

	err = srv.stop()

	assert.ErrorContains(t, err, "left", "stop")
	assert.ErrorContains(t, err, "(sleep)", "stop")
	left, err := groupProcs(srv.pid)
	assert.NoError(t, err, "the server's processes after stop")
	assert.Empty(t, left, "the server's processes after stop")
}

// listenDrops is how many connection attempts the kernel has dropped so
// far, in this network namespace, because a listener's accept queue was
// full (TcpExt ListenDrops in /proc/net/netstat, which counts
// ListenOverflows too): the SYNs and handshake ends that a client must
// send again, after 1 s, 3 s, 7 s. Read before and after a run on a quiet
// machine, the difference is the run's.
func listenDrops() (int64, error) {
	b, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return 0, err
	}
	// Pairs of lines: "TcpExt: Name Name ..." then "TcpExt: value value ...".
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != "TcpExt:" || len(values) != len(names) {
			continue
		}
		for j, name := range names {
			if name == "ListenDrops" {
				return strconv.ParseInt(values[j], 10, 64)
			}
		}
	}
	return 0, errors.New("/proc/net/netstat: no TcpExt ListenDrops")
}
