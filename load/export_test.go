package load

// The tests in fake time (testing/synctest) wait with Go's timers alone:
// the fake clock does not move while a thread sleeps in the system.
func init() { precise = false }
