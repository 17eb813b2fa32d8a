//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// signalGroup sends SIGTERM, or SIGKILL when kill is set, to the process
// group that cmd leads.
func signalGroup(cmd *exec.Cmd, kill bool) {
	if cmd.Process == nil {
		return
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	// The group may be gone already; there is nothing to do then.
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
