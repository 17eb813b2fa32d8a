// The report's arithmetic from the inside: percentiles by nearest rank from
// HDR histograms, exact where the times are representable and within the
// histogram's precision everywhere, and the merging of what each user
// recorded.
//
//	go test -run 'Percentile|Collect' -v ./load
package load

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// histogramOf records times into a new histogram.
func histogramOf(times ...time.Duration) *recorder {
	r := newRecorder(ClosedLoop)
	for _, d := range times {
		r.timed(d, d, 0, 200)
	}
	return r
}

// nearestRank is the p-th percentile of sorted by nearest rank, counting
// from 1: the element of rank ceil(p/100 x n).
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	rank := int((int64(p*10)*int64(len(sorted)) + 999) / 1000)
	return sorted[max(rank, 1)-1]
}

// TestPercentile: nearest rank, ceil(p/100 x n), exactly, for times the
// histogram holds exactly: below 2.048 ms every microsecond has a bucket of
// its own.
func TestPercentile(t *testing.T) {
	const ms = time.Millisecond
	oneTo100 := make([]time.Duration, 100)
	for i := range oneTo100 {
		oneTo100[i] = time.Duration(i+1) * 20 * time.Microsecond
	}
	tests := []struct {
		name                string
		give                []time.Duration
		p50, p90, p99, p999 time.Duration
	}{
		// ranks 50, 90, 99 and 100 of 100.
		{name: "20us_to_2ms", give: oneTo100, p50: 1 * ms, p90: 1800 * time.Microsecond, p99: 1980 * time.Microsecond, p999: 2 * ms},
		{name: "one", give: []time.Duration{ms}, p50: ms, p90: ms, p99: ms, p999: ms},
		// n = 3: ranks ceil(1.5) = 2, ceil(2.7) = 3, 3, 3.
		{name: "three", give: []time.Duration{ms / 4, ms / 2, ms}, p50: ms / 2, p90: ms, p99: ms, p999: ms},
		// n = 4: ranks 2, ceil(3.6) = 4, 4, 4: one slow transaction in
		// four is the p90.
		{name: "one_slow_in_four", give: []time.Duration{ms / 10, ms / 10, ms / 10, 2 * ms}, p50: ms / 10, p90: 2 * ms, p99: 2 * ms, p999: 2 * ms},
	}
	for _, tt := range tests {
		r := histogramOf(tt.give...)
		longest := slices.Max(tt.give)
		got := [4]time.Duration{
			percentile(r.latency, 50, longest), percentile(r.latency, 90, longest),
			percentile(r.latency, 99, longest), percentile(r.latency, 99.9, longest),
		}
		assert.Equal(t, [4]time.Duration{tt.p50, tt.p90, tt.p99, tt.p999}, got, "percentile(%s, 50/90/99/99.9)", tt.name)
	}
}

// TestPercentilePrecision: on random times from 1 µs to 100 s, none of them
// a whole number of microseconds, every percentile the histogram gives is
// at least the exact nearest-rank time and at most 0.1 % (3 significant
// digits), or 1 µs, above it. So the shortest time is never above the p50.
func TestPercentilePrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 100, 1000, 100_000} {
		times := make([]time.Duration, n)
		for i := range times {
			// Log-uniform: as many small times as large ones.
			times[i] = time.Duration(float64(time.Microsecond) * math.Pow(10, rng.Float64()*8))
		}
		r := histogramOf(times...)
		slices.Sort(times)
		for _, p := range []float64{1, 50, 90, 99, 99.9, 100} {
			want := nearestRank(times, p)
			got := percentile(r.latency, p, times[n-1])
			assert.GreaterOrEqual(t, got, want, "n=%d p%v: below the exact %v", n, p, want)
			assert.LessOrEqual(t, got-want, max(want/1000, time.Microsecond), "n=%d p%v: %v, exact %v", n, p, got, want)
		}
	}
}

// TestCollect: the users' records add up, and the percentiles are taken
// over every user's times together, not averaged per user.
func TestCollect(t *testing.T) {
	const ms = time.Millisecond
	a := newRecorder(ClosedLoop)
	for _, d := range []time.Duration{ms / 10, ms / 5} {
		a.timed(d, d, 10, 200)
	}
	a.timed(ms/2, ms/2, 10, 404)
	a.fail(refused)
	b := newRecorder(ClosedLoop)
	b.timed(2*ms, 2*ms, 10, 200)
	b.timed(ms, ms, 0, 503)
	b.fail(timedOut)

	got := collect([]*recorder{a, b})
	got.Elapsed = 10 * ms
	got.fill()

	// H = 4 (one a 404), F = 3 (one a 503), T = 3.8 ms, B = 40, E = 10 ms;
	// times 0.1, 0.2, 0.5, 1 and 2 ms.
	require.NotNil(t, got.latency, "collect: a histogram")
	assert.Equal(t, int64(5), got.latency.TotalCount(), "collect: times recorded")
	assert.Equal(t, 4, got.Transactions, "collect: H")
	assert.Equal(t, 3, got.Successful, "collect: successful")
	assert.Equal(t, 3, got.Failed, "collect: F")
	assert.Equal(t, Failures{Refused: 1, Timeout: 1, Status5xx: 1}, got.Failures, "collect: failures")
	assert.Equal(t, int64(40), got.Bytes, "collect: B")
	assert.Equal(t, 3800*time.Microsecond, got.total, "collect: T")
	assert.Equal(t, 950*time.Microsecond, got.ResponseTime, "collect: T / H")
	assert.InDelta(t, 0.38, got.Concurrency, 1e-12, "collect: T / E")
	assert.Equal(t, ms/10, got.Shortest, "collect: shortest")
	assert.Equal(t, 2*ms, got.Longest, "collect: longest")
	assert.Equal(t, [4]time.Duration{ms / 2, 2 * ms, 2 * ms, 2 * ms}, [4]time.Duration{got.P50, got.P90, got.P99, got.P999}, "collect: p50/90/99/99.9 over both users")
}
