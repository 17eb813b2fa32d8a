package load

import (
	"fmt"
	"math"
	"time"
)

// maxScheduled bounds the requests of one open loop: a float64 counts them
// exactly up to 2^53, and each request's time is a float64 product.
const maxScheduled = 1 << 53

// CheckRate reports whether the open loop can keep a schedule of rate
// requests a second: whether it is from MinRate to MaxRate.
func CheckRate(rate float64) error {
	if !(rate >= MinRate && rate <= MaxRate) { // NaN too
		return fmt.Errorf("out of range: the schedule counts nanoseconds, so the rate is from %g/s (one request in %.1f years: longer does not fit a time.Duration) to %g/s (one a nanosecond)",
			MinRate, 1/MinRate/(365.25*24*3600), MaxRate)
	}
	return nil
}

// A schedule is the open loop's: request i (from 0) is due i/rate after
// the start, and the requests due before the end are the schedule's. Its
// arithmetic is in float64 nanoseconds and compares before it converts,
// so that no time overflows, however slow the rate.
type schedule struct {
	step   float64       // nanoseconds between two requests: 1e9 / rate
	length time.Duration // the schedule's end, from its start
	n      int64         // the requests due before the end
}

// newSchedule returns the schedule of rate requests a second for length.
// The rate has passed CheckRate, and the count checkSchedule.
func newSchedule(rate float64, length time.Duration) schedule {
	s := schedule{step: float64(time.Second) / rate, length: length}
	s.n = s.dueBy(length)
	return s
}

// checkSchedule reports whether a schedule of rate requests a second for
// length has few enough requests to be counted exactly.
func checkSchedule(rate float64, length time.Duration) error {
	if n := rate * length.Seconds(); n > maxScheduled {
		return fmt.Errorf("%.4g requests, more than the 2^53 (%.4g) that one run schedules", n, float64(maxScheduled))
	}
	return nil
}

// due reports whether request i is due before t after the start.
func (s schedule) due(i int64, t time.Duration) bool {
	return float64(i)*s.step < float64(t)
}

// at returns when request i is due, after the start; i is below n.
func (s schedule) at(i int64) time.Duration {
	return time.Duration(float64(i) * s.step) // below length: no overflow
}

// dueBy returns how many requests are due before t after the start, t at
// most the schedule's length: one step from an estimate, not one request
// at a time.
func (s schedule) dueBy(t time.Duration) int64 {
	if t <= 0 {
		return 0
	}
	k := int64(min(math.Ceil(float64(t)/s.step), maxScheduled+1))
	for k > 0 && !s.due(k-1, t) {
		k--
	}
	for s.due(k, t) {
		k++
	}
	return k
}
