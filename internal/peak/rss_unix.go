//go:build unix

package peak

import (
	"fmt"
	"runtime"
	"syscall"
)

// MaxRSS is the process's peak resident memory in bytes, as the kernel
// counts it (getrusage's ru_maxrss): everything the process has held in
// memory at once, the runtime's own included, as Python's
// resource.getrusage reports it for an interpreter.
func MaxRSS() (uint64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	if runtime.GOOS == "darwin" {
		return uint64(ru.Maxrss), nil // bytes there
	}
	return uint64(ru.Maxrss) * 1024, nil // KiB elsewhere
}
