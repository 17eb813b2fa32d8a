//go:build unix

package main

import "syscall"

// openFileLimit returns the process's limit on open files, as Go raised it
// at start-up (to the hard limit), and whether there is one.
func openFileLimit() (uint64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur == ^uint64(0) {
		return 0, false
	}
	return r.Cur, true
}
