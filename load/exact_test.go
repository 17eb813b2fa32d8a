// The driver's arithmetic, exact: in fake time (testing/synctest), over an
// in-memory network, a server whose every response takes a known time gives
// a report whose every field is known in advance, including siege's quirks.
//
//	go test -run 'Exact' -v ./load
package load_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

// keepAlives is every connection mode; each table runs against both.
var keepAlives = []bool{false, true}

// slowly answers with status code and body after d, or gives up when the
// client does.
func slowly(d time.Duration, code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}

// TestRunExact: every field of the report, exact. Each row states the
// arithmetic it expects.
func TestRunExact(t *testing.T) {
	const ms = time.Millisecond
	hello11 := int64(len(helloBody))
	tests := []struct {
		name    string
		handler func() http.Handler // a new one for every subtest: some count requests
		give    load.Config         // URL, KeepAlive and DialContext are set by the test
		want    load.Report
	}{
		{
			// 2 users x 3 reps of 10 ms, in parallel: E = 30 ms, H = 6,
			// T = 60 ms. Rate 6 / 0.03 s = 200/s; Concurrency 60/30 = 2.
			name:    "uniform",
			handler: func() http.Handler { return slowly(10*ms, http.StatusOK, helloBody) },
			give:    load.Config{Users: 2, Reps: 3},
			want: load.Report{
				Transactions: 6, Availability: 100, Elapsed: 30 * ms,
				DataTransferred: float64(6*hello11) / (1 << 20), ResponseTime: 10 * ms,
				TransactionRate: 200, Throughput: float64(6*hello11) / (1 << 20) / 0.03,
				Concurrency: 2, Successful: 6, Longest: 10 * ms, Shortest: 10 * ms,
				Bytes: 6 * hello11, P50: 10 * ms, P90: 10 * ms, P99: 10 * ms,
			},
		},
		{
			// The run ends at 25 ms: each of 3 users has finished 2
			// transactions (at 10 and 20 ms); the third is cut and not
			// counted. H = 6, E = 25 ms, T = 60 ms: rate 240/s,
			// Concurrency 2.4.
			name:    "deadline_cuts_the_third",
			handler: func() http.Handler { return slowly(10*ms, http.StatusOK, helloBody) },
			give:    load.Config{Users: 3, Duration: 25 * ms},
			want: load.Report{
				Transactions: 6, Availability: 100, Elapsed: 25 * ms,
				DataTransferred: float64(6*hello11) / (1 << 20), ResponseTime: 10 * ms,
				TransactionRate: 240, Throughput: float64(6*hello11) / (1 << 20) / 0.025,
				Concurrency: 2.4, Successful: 6, Longest: 10 * ms, Shortest: 10 * ms,
				Bytes: 6 * hello11, P50: 10 * ms, P90: 10 * ms, P99: 10 * ms,
			},
		},
		{
			// Both bounds set: Reps ends the run first (2 x 10 ms).
			name:    "reps_before_duration",
			handler: func() http.Handler { return slowly(10*ms, http.StatusOK, helloBody) },
			give:    load.Config{Users: 1, Reps: 2, Duration: time.Second},
			want: load.Report{
				Transactions: 2, Availability: 100, Elapsed: 20 * ms,
				DataTransferred: float64(2*hello11) / (1 << 20), ResponseTime: 10 * ms,
				TransactionRate: 100, Throughput: float64(2*hello11) / (1 << 20) / 0.02,
				Concurrency: 1, Successful: 2, Longest: 10 * ms, Shortest: 10 * ms,
				Bytes: 2 * hello11, P50: 10 * ms, P90: 10 * ms, P99: 10 * ms,
			},
		},
		{
			// The server would answer after 1 s; the timeout ends each
			// transaction at 100 ms. Bucket 1: no time, no bytes.
			// E = 2 x 100 ms; nothing else.
			name:    "timeout",
			handler: func() http.Handler { return slowly(time.Second, http.StatusOK, helloBody) },
			give:    load.Config{Users: 2, Reps: 2, Timeout: 100 * ms},
			want: load.Report{
				Elapsed: 200 * ms, Failed: 4, Failures: load.Failures{Timeout: 4},
			},
		},
		{
			// Bucket 2: a 500 is failed, yet its time and bytes count.
			// H = 0, so Availability, ResponseTime and the rate are 0;
			// Concurrency is T / E = 40 / 40 = 1.
			name:    "all_500",
			handler: func() http.Handler { return slowly(10*ms, http.StatusInternalServerError, "oops") },
			give:    load.Config{Users: 1, Reps: 4},
			want: load.Report{
				Elapsed: 40 * ms, DataTransferred: 16.0 / (1 << 20),
				Throughput: 16.0 / (1 << 20) / 0.04, Concurrency: 1, Failed: 4,
				Longest: 10 * ms, Shortest: 10 * ms, Bytes: 16,
				P50: 10 * ms, P90: 10 * ms, P99: 10 * ms,
				Failures: load.Failures{Status5xx: 4},
			},
		},
		{
			// siege's quirk: T counts the 500s' times but H does not count
			// the 500s. Two 200s of 10 ms and two 500s of 30 ms:
			// T = 80 ms, H = 2, ResponseTime = T / H = 40 ms, longer than
			// any 200 took. E = 80 ms; rate 25/s; 25 x 0.04 = 1 = T / E.
			// Percentiles over 10, 10, 30, 30: p50 is the 2nd, 10 ms.
			name: "half_500_response_time_quirk",
			handler: func() http.Handler {
				return alternate(slowly(10*ms, http.StatusOK, helloBody), slowly(30*ms, http.StatusServiceUnavailable, ""))
			},
			give: load.Config{Users: 1, Reps: 4},
			want: load.Report{
				Transactions: 2, Availability: 50, Elapsed: 80 * ms,
				DataTransferred: float64(2*hello11) / (1 << 20), ResponseTime: 40 * ms,
				TransactionRate: 25, Throughput: float64(2*hello11) / (1 << 20) / 0.08,
				Concurrency: 1, Successful: 2, Failed: 2, Longest: 30 * ms, Shortest: 10 * ms,
				Bytes: 2 * hello11, P50: 10 * ms, P90: 30 * ms, P99: 30 * ms,
				Failures: load.Failures{Status5xx: 2},
			},
		},
		{
			// The warm-up's 50 ms are not counted, neither in E nor in H.
			name:    "warmup_not_counted",
			handler: func() http.Handler { return slowly(10*ms, http.StatusOK, helloBody) },
			give:    load.Config{Users: 2, Reps: 3, Warmup: 50 * ms},
			want: load.Report{
				Transactions: 6, Availability: 100, Elapsed: 30 * ms,
				DataTransferred: float64(6*hello11) / (1 << 20), ResponseTime: 10 * ms,
				TransactionRate: 200, Throughput: float64(6*hello11) / (1 << 20) / 0.03,
				Concurrency: 2, Successful: 6, Longest: 10 * ms, Shortest: 10 * ms,
				Bytes: 6 * hello11, P50: 10 * ms, P90: 10 * ms, P99: 10 * ms,
			},
		},
		{
			// Each repetition is a redirect (5 ms, no body) and the page
			// it points to (10 ms): 2 hits per repetition, as siege
			// counts them. T = 2 x 15 ms = E.
			name: "redirect_hop_is_a_hit",
			handler: func() http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/page" {
						slowly(10*ms, http.StatusOK, helloBody)(w, r)
						return
					}
					time.Sleep(5 * ms)
					w.Header().Set("Location", "/page")
					w.WriteHeader(http.StatusFound)
				})
			},
			give: load.Config{Users: 1, Reps: 2},
			want: load.Report{
				Transactions: 4, Availability: 100, Elapsed: 30 * ms,
				DataTransferred: float64(2*hello11) / (1 << 20), ResponseTime: 7500 * time.Microsecond,
				TransactionRate: 4 / 0.03, Throughput: float64(2*hello11) / (1 << 20) / 0.03,
				Concurrency: 1, Successful: 4, Longest: 10 * ms, Shortest: 5 * ms,
				Bytes: 2 * hello11, P50: 5 * ms, P90: 10 * ms, P99: 10 * ms,
			},
		},
	}
	for _, tt := range tests {
		for _, keepAlive := range keepAlives {
			t.Run("case="+tt.name+"/keepalive="+boolString(keepAlive), func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					cfg := tt.give
					cfg.URL = "http://pipe.test/"
					cfg.KeepAlive = keepAlive
					cfg.DialContext = servePipe(t, tt.handler())

					got, err := load.Run(t.Context(), cfg)

					require.NoError(t, err, "Run(%s)", tt.name)
					assertReport(t, tt.want, *got, "Run(%s, keepalive=%v)", tt.name, keepAlive)
				})
			})
		}
	}
}

// assertReport compares two reports: exactly for counts and times, within
// float rounding for the ratios.
func assertReport(t *testing.T, want, got load.Report, format string, args ...any) {
	t.Helper()
	call := fmt.Sprintf(format, args...)
	ratios := []struct {
		name      string
		want, got *float64
	}{
		{"Availability", &want.Availability, &got.Availability},
		{"DataTransferred", &want.DataTransferred, &got.DataTransferred},
		{"TransactionRate", &want.TransactionRate, &got.TransactionRate},
		{"Throughput", &want.Throughput, &got.Throughput},
		{"Concurrency", &want.Concurrency, &got.Concurrency},
	}
	for _, r := range ratios {
		assert.InDelta(t, *r.want, *r.got, 1e-9*max(1, *r.want), "%s: %s", call, r.name)
		*r.want, *r.got = 0, 0 // compared; leave the rest to assert.Equal
	}
	assert.Equal(t, want, got, call)
}

// alternate answers with a, then b, then a, and so on.
func alternate(a, b http.Handler) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 1 {
			a.ServeHTTP(w, r)
		} else {
			b.ServeHTTP(w, r)
		}
	})
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
