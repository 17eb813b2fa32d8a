// The report's arithmetic from the inside: percentiles by nearest rank and
// the merging of what each user recorded.
//
//	go test -run 'Percentile|NewReport' -v ./load
package load

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestPercentile: nearest rank, ceil(p/100 x n), counting from 1.
func TestPercentile(t *testing.T) {
	const ms = time.Millisecond
	oneTo100 := make([]time.Duration, 100)
	for i := range oneTo100 {
		oneTo100[i] = time.Duration(i+1) * ms
	}
	tests := []struct {
		name          string
		give          []time.Duration // sorted
		p50, p90, p99 time.Duration
	}{
		// ranks 50, 90 and 99 of 100.
		{name: "1_to_100", give: oneTo100, p50: 50 * ms, p90: 90 * ms, p99: 99 * ms},
		{name: "one", give: []time.Duration{7 * ms}, p50: 7 * ms, p90: 7 * ms, p99: 7 * ms},
		// n = 3: ranks ceil(1.5) = 2, ceil(2.7) = 3, ceil(2.97) = 3.
		{name: "three", give: []time.Duration{1 * ms, 2 * ms, 3 * ms}, p50: 2 * ms, p90: 3 * ms, p99: 3 * ms},
		// n = 4: ranks 2, ceil(3.6) = 4, 4: one slow transaction in four
		// is the p90.
		{name: "one_slow_in_four", give: []time.Duration{1 * ms, 1 * ms, 1 * ms, 9 * ms}, p50: 1 * ms, p90: 9 * ms, p99: 9 * ms},
	}
	for _, tt := range tests {
		got := [3]time.Duration{percentile(tt.give, 50), percentile(tt.give, 90), percentile(tt.give, 99)}
		assert.Equal(t, [3]time.Duration{tt.p50, tt.p90, tt.p99}, got, "percentile(%s, 50/90/99)", tt.name)
	}
}

// TestNewReportMerges: the users' records add up, and the percentiles are
// taken over every user's times together, not averaged per user.
func TestNewReportMerges(t *testing.T) {
	const ms = time.Millisecond
	a := &user{hits: 3, successful: 2, failed: 1, bytes: 30, total: 6 * ms,
		times: []time.Duration{1 * ms, 2 * ms, 3 * ms}, failures: Failures{Refused: 1}}
	b := &user{hits: 1, successful: 1, failed: 2, bytes: 10, total: 44 * ms,
		times: []time.Duration{40 * ms, 4 * ms}, failures: Failures{Timeout: 1, Status5xx: 1}}

	got := newReport([]*user{a, b}, 100*ms)

	// H = 4, F = 3, T = 50 ms, B = 40, E = 100 ms; times 1, 2, 3, 4, 40.
	h, attempts := 4.0, 7.0 // variables: computed in float64 as Run does, not exactly as constants are
	want := &Report{
		Transactions: 4, Availability: h / attempts * 100, Elapsed: 100 * ms,
		DataTransferred: 40.0 / (1 << 20), ResponseTime: 12500 * time.Microsecond,
		TransactionRate: 40, Throughput: 40.0 / (1 << 20) / 0.1, Concurrency: 0.5,
		Successful: 3, Failed: 3, Longest: 40 * ms, Shortest: 1 * ms, Bytes: 40,
		P50: 3 * ms, P90: 40 * ms, P99: 40 * ms,
		Failures: Failures{Refused: 1, Timeout: 1, Status5xx: 1},
	}
	assert.Equal(t, want, got, "newReport(two users)")
}
