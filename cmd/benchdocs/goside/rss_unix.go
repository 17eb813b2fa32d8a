//go:build unix

package main

import (
	"runtime"
	"syscall"
)

// maxRSSKiB is the process's peak resident memory, as Python's
// resource.getrusage(RUSAGE_SELF).ru_maxrss reports it on Linux: KiB.
func maxRSSKiB() (int64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / 1024, nil // bytes there
	}
	return int64(ru.Maxrss), nil
}
