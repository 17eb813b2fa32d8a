//go:build unix

package load

import (
	"syscall"
	"time"
)

// sleepPrecisely sleeps d with nanosleep(2), which blocks the thread
// rather than the goroutine: Go gives the thread's work to another while
// it sleeps, and the kernel wakes it within tens of microseconds.
func sleepPrecisely(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	// An interrupted sleep ends early; waitUntil sleeps again.
	_ = syscall.Nanosleep(&ts, nil)
}
