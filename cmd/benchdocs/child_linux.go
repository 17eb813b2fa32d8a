package main

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own, which the
// terminal's Ctrl-C does not reach (benchdocs stops it itself), and has
// the kernel kill it if benchdocs dies first.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
