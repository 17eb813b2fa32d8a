//go:build !unix

package load

import "time"

// sleepPrecisely sleeps d as Go's timers do, where there is no nanosleep.
func sleepPrecisely(d time.Duration) { time.Sleep(d) }
