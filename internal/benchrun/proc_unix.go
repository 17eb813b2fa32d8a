//go:build unix

package benchrun

import (
	"os/exec"
	"syscall"
)

// interruptGroup starts cmd in a process group of its own and makes
// cancelling it interrupt the whole group: go test runs the test binary
// as a child, and interrupting only the go command could leave the
// benchmarks running.
func interruptGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
}
