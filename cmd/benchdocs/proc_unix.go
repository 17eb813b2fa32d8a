//go:build unix

package main

import (
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// interruptGroup starts cmd in a process group of its own and makes
// cancelling it interrupt the whole group: go test runs the test binary
// as a child, and interrupting only the go command could leave the
// benchmarks running. The go command may finish a build it was
// interrupted in and start the test binary after all, so whatever is left
// of the group a few seconds later is killed. The returned func, called
// once cmd.Wait has returned, disarms that kill.
func interruptGroup(cmd *exec.Cmd) (done func()) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var mu sync.Mutex
	var kill *time.Timer
	exited := false
	cmd.Cancel = func() error {
		pgid := cmd.Process.Pid
		mu.Lock()
		defer mu.Unlock()
		if !exited {
			kill = time.AfterFunc(3*time.Second, func() {
				mu.Lock()
				defer mu.Unlock()
				if !exited {
					// ESRCH means nothing of the group is left to kill.
					_ = syscall.Kill(-pgid, syscall.SIGKILL)
				}
			})
		}
		return syscall.Kill(-pgid, syscall.SIGINT)
	}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		exited = true
		if kill != nil {
			kill.Stop()
		}
	}
}
