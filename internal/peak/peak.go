// Package peak samples the most a piece of work holds while it runs: memory
// (heap objects plus goroutine stacks) and live goroutines, read from
// runtime/metrics every millisecond. Pools exist to bound these numbers, so
// the sleep benchmarks report them beside their time.
package peak

import (
	"runtime/metrics"
	"time"
)

// Interval is how often a Sampler reads the runtime's metrics. Reading them
// does not stop the world, so a short interval costs little.
const Interval = time.Millisecond

var names = []string{
	// Live objects plus dead ones the collector has not yet freed: the heap
	// the process holds.
	"/memory/classes/heap/objects:bytes",
	// Memory reserved for goroutine stacks.
	"/memory/classes/heap/stacks:bytes",
	"/sched/goroutines:goroutines",
}

// Usage is what the process holds at one moment, or the most it held.
type Usage struct {
	Bytes      uint64 // heap objects plus goroutine stacks
	Goroutines uint64 // live goroutines
}

// Now returns what the process holds now.
func Now() Usage { return read(newSamples()) }

func newSamples() []metrics.Sample {
	samples := make([]metrics.Sample, len(names))
	for i, name := range names {
		samples[i].Name = name
	}
	return samples
}

func read(samples []metrics.Sample) Usage {
	metrics.Read(samples)
	return Usage{
		Bytes:      samples[0].Value.Uint64() + samples[1].Value.Uint64(),
		Goroutines: samples[2].Value.Uint64(),
	}
}

func (u Usage) max(v Usage) Usage {
	return Usage{Bytes: max(u.Bytes, v.Bytes), Goroutines: max(u.Goroutines, v.Goroutines)}
}

// A Sampler records the most memory and goroutines seen between Start and
// Stop; each is its own maximum, not necessarily reached at the same moment.
type Sampler struct {
	stop chan struct{}
	done chan struct{}
	peak Usage // written by the sampling goroutine until done is closed
}

// Start begins sampling on a goroutine of its own; call Stop to end it.
func Start() *Sampler {
	s := &Sampler{stop: make(chan struct{}), done: make(chan struct{}), peak: Now()}
	go s.loop()
	return s
}

func (s *Sampler) loop() {
	defer close(s.done)
	samples := newSamples()
	tick := time.NewTicker(Interval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			s.peak = s.peak.max(read(samples))
			return
		case <-tick.C:
			s.peak = s.peak.max(read(samples))
		}
	}
}

// Stop takes a last sample, ends sampling and returns the peaks. It waits
// for the sampling goroutine to exit.
func (s *Sampler) Stop() Usage {
	close(s.stop)
	<-s.done
	return s.peak
}
