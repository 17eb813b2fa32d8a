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

// A plan is an open loop's whole schedule, stage after stage, and the part
// of it that one shard sends. Stage s starts when the stages before it have
// ended, at a whole number of nanoseconds from the run's start, and its
// request j (from 0) is due j/rate after that: so that no stage's times
// drift by the rounding of another's, and each stage intends exactly the
// requests of a run of its rate and length. The whole run's requests are
// numbered in order, stage after stage; shard k of n (from 0) sends those
// whose number is k modulo n, so that the shards' schedules, put
// together, are the whole run's.
type plan struct {
	stages []planStage
	n      int64 // the whole run's requests
	shard  int64 // this shard's number, from 0
	shards int64 // how many shards share the run; 1 for the whole
	length time.Duration
}

// A planStage is one stage of a plan.
type planStage struct {
	schedule
	start time.Duration // from the run's start
	first int64         // the whole run's number of its first request
}

// newPlan returns the plan of stages for shard (from 0) of shards. The
// stages have passed checkStages.
func newPlan(stages []Stage, shard, shards int) *plan {
	p := &plan{shard: int64(shard), shards: int64(max(shards, 1))}
	for _, st := range stages {
		s := planStage{schedule: newSchedule(st.Rate, st.Duration), start: p.length, first: p.n}
		p.stages = append(p.stages, s)
		p.length += st.Duration
		p.n += s.n
	}
	return p
}

// mine returns how many of the whole run's first k requests are this
// shard's.
func (p *plan) mine(k int64) int64 {
	if k <= p.shard {
		return 0
	}
	return (k - p.shard + p.shards - 1) / p.shards
}

// count returns how many requests the shard sends in all.
func (p *plan) count() int64 { return p.mine(p.n) }

// at returns when the shard's request m (from 0, below count) is due,
// after the start, and its stage; from is a stage at or before its own,
// so that a caller going through the requests in order finds each one's
// stage in a step.
func (p *plan) at(m int64, from int) (time.Duration, int) {
	k := p.shard + m*p.shards
	s := from
	for k >= p.stages[s].first+p.stages[s].n {
		s++
	}
	st := &p.stages[s]
	return st.start + st.at(k-st.first), s
}

// dueIn returns how many of the shard's requests of stage s are due before
// t after the run's start.
func (p *plan) dueIn(s int, t time.Duration) int64 {
	st := &p.stages[s]
	k := st.first + st.dueBy(min(t-st.start, st.length))
	return p.mine(k) - p.mine(st.first)
}

// elapsedIn returns how much of stage s had passed t after the run's
// start.
func (p *plan) elapsedIn(s int, t time.Duration) time.Duration {
	st := &p.stages[s]
	return min(max(t-st.start, 0), st.length)
}
