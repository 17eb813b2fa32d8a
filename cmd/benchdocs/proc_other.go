//go:build !unix

package main

import "os/exec"

// interruptGroup leaves cmd as it is: where there are no process groups,
// cancelling kills the go command, as exec.CommandContext does.
func interruptGroup(cmd *exec.Cmd) (disarm func()) { return func() {} }
