//go:build unix

package main

import (
	"os/exec"
	"syscall"
	"time"
)

// interruptGroup starts cmd in a process group of its own and makes
// cancelling it interrupt the whole group: go test runs the test binary
// as a child, and interrupting only the go command could leave the
// benchmarks running. The go command may finish a build it was
// interrupted in and start the test binary after all, so whatever is left
// of the group a few seconds later is killed. The returned func, called
// once cmd.Wait has returned (and with it Cancel), disarms that kill.
func interruptGroup(cmd *exec.Cmd) (disarm func()) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var kill *time.Timer
	cmd.Cancel = func() error {
		pgid := cmd.Process.Pid
		// ESRCH means nothing of the group is left to kill.
		kill = time.AfterFunc(3*time.Second, func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
		return syscall.Kill(-pgid, syscall.SIGINT)
	}
	return func() {
		if kill != nil {
			kill.Stop()
		}
	}
}
