//go:build !unix

package main

import "os/exec"

// killGroup leaves cmd as it is: where there are no process groups,
// cancelling kills the go command, as exec.CommandContext does.
func killGroup(cmd *exec.Cmd) {}
