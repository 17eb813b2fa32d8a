//go:build !unix

package main

import "os/exec"

func ownGroup(*exec.Cmd) {}

// signalGroup ends the process: without Unix's process groups and
// signals, there is only Kill.
func signalGroup(cmd *exec.Cmd, _ bool) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
