// The driver's arithmetic, exact: in fake time (testing/synctest), over an
// in-memory network, a server whose every response takes a known time gives
// a report whose every field is known in advance, including siege's quirks.
//
//	go test -run 'Exact' -v ./load
package load_test

import (
	"fmt"
	"net/http"
	"reflect"
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
// arithmetic it expects. The times are chosen so that the histograms hold
// them exactly: below 2.048 ms every microsecond is a bucket of its own.
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
			// 2 users x 3 reps of 1 ms, in parallel: E = 3 ms, H = 6,
			// T = 6 ms. Rate 6 / 0.003 s = 2000/s; Concurrency 6/3 = 2.
			name:    "uniform",
			handler: func() http.Handler { return slowly(ms, http.StatusOK, helloBody) },
			give:    load.Config{Users: 2, Reps: 3},
			want: load.Report{
				Transactions: 6, Availability: 100, Elapsed: 3 * ms,
				DataTransferred: float64(6*hello11) / (1 << 20), ResponseTime: ms,
				TransactionRate: 2000, Throughput: float64(6*hello11) / (1 << 20) / 0.003,
				Concurrency: 2, Successful: 6, Longest: ms, Shortest: ms,
				Bytes: 6 * hello11, P50: ms, P90: ms, P99: ms, P999: ms, Users: 2,
			},
		},
		{
			// The run ends at 2.5 ms: each of 3 users has finished 2
			// transactions (at 1 and 2 ms); the third is cut and not
			// counted. H = 6, E = 2.5 ms, T = 6 ms: rate 2400/s,
			// Concurrency 2.4.
			name:    "deadline_cuts_the_third",
			handler: func() http.Handler { return slowly(ms, http.StatusOK, helloBody) },
			give:    load.Config{Users: 3, Duration: 2500 * time.Microsecond},
			want: load.Report{
				Transactions: 6, Availability: 100, Elapsed: 2500 * time.Microsecond,
				DataTransferred: float64(6*hello11) / (1 << 20), ResponseTime: ms,
				TransactionRate: 2400, Throughput: float64(6*hello11) / (1 << 20) / 0.0025,
				Concurrency: 2.4, Successful: 6, Longest: ms, Shortest: ms,
				Bytes: 6 * hello11, P50: ms, P90: ms, P99: ms, P999: ms, Users: 3,
				Cut: 3,
			},
		},
		{
			// Both bounds set: Reps ends the run first (2 x 1 ms).
			name:    "reps_before_duration",
			handler: func() http.Handler { return slowly(ms, http.StatusOK, helloBody) },
			give:    load.Config{Users: 1, Reps: 2, Duration: time.Second},
			want: load.Report{
				Transactions: 2, Availability: 100, Elapsed: 2 * ms,
				DataTransferred: float64(2*hello11) / (1 << 20), ResponseTime: ms,
				TransactionRate: 1000, Throughput: float64(2*hello11) / (1 << 20) / 0.002,
				Concurrency: 1, Successful: 2, Longest: ms, Shortest: ms,
				Bytes: 2 * hello11, P50: ms, P90: ms, P99: ms, P999: ms, Users: 1,
			},
		},
		{
			// The server would answer after 1 s; the timeout ends each
			// transaction at 10 ms. Bucket 1: no time, no bytes.
			// E = 2 x 10 ms; nothing else.
			name:    "timeout",
			handler: func() http.Handler { return slowly(time.Second, http.StatusOK, helloBody) },
			give:    load.Config{Users: 2, Reps: 2, Timeout: 10 * ms},
			want: load.Report{
				Elapsed: 20 * ms, Failed: 4, Failures: load.Failures{Timeout: 4}, Users: 2,
			},
		},
		{
			// Bucket 2: a 500 is failed, yet its time and bytes count.
			// H = 0, so Availability, ResponseTime and the rate are 0;
			// Concurrency is T / E = 4 / 4 = 1.
			name:    "all_500",
			handler: func() http.Handler { return slowly(ms, http.StatusInternalServerError, "oops") },
			give:    load.Config{Users: 1, Reps: 4},
			want: load.Report{
				Elapsed: 4 * ms, DataTransferred: 16.0 / (1 << 20),
				Throughput: 16.0 / (1 << 20) / 0.004, Concurrency: 1, Failed: 4,
				Longest: ms, Shortest: ms, Bytes: 16,
				P50: ms, P90: ms, P99: ms, P999: ms, Users: 1,
				Failures: load.Failures{Status5xx: 4},
			},
		},
		{
			// siege's quirk: T counts the 500s' times but H does not count
			// the 500s. Two 200s of 1 ms and two 500s of 2 ms: T = 6 ms,
			// H = 2, ResponseTime = T / H = 3 ms, longer than any
			// transaction took. E = 6 ms; rate 333.3/s; 333.3 x 0.003 =
			// 1 = T / E. Percentiles over 1, 1, 2, 2: p50 is the 2nd,
			// 1 ms.
			name: "half_500_response_time_quirk",
			handler: func() http.Handler {
				return alternate(slowly(ms, http.StatusOK, helloBody), slowly(2*ms, http.StatusServiceUnavailable, ""))
			},
			give: load.Config{Users: 1, Reps: 4},
			want: load.Report{
				Transactions: 2, Availability: 50, Elapsed: 6 * ms,
				DataTransferred: float64(2*hello11) / (1 << 20), ResponseTime: 3 * ms,
				TransactionRate: 2 / 0.006, Throughput: float64(2*hello11) / (1 << 20) / 0.006,
				Concurrency: 1, Successful: 2, Failed: 2, Longest: 2 * ms, Shortest: ms,
				Bytes: 2 * hello11, P50: ms, P90: 2 * ms, P99: 2 * ms, P999: 2 * ms, Users: 1,
				Failures: load.Failures{Status5xx: 2},
			},
		},
		{
			// The warm-up's 5 ms are not counted, neither in E nor in H.
			name:    "warmup_not_counted",
			handler: func() http.Handler { return slowly(ms, http.StatusOK, helloBody) },
			give:    load.Config{Users: 2, Reps: 3, Warmup: 5 * ms},
			want: load.Report{
				Transactions: 6, Availability: 100, Elapsed: 3 * ms,
				DataTransferred: float64(6*hello11) / (1 << 20), ResponseTime: ms,
				TransactionRate: 2000, Throughput: float64(6*hello11) / (1 << 20) / 0.003,
				Concurrency: 2, Successful: 6, Longest: ms, Shortest: ms,
				Bytes: 6 * hello11, P50: ms, P90: ms, P99: ms, P999: ms, Users: 2,
			},
		},
		{
			// Each repetition is a redirect (0.5 ms, no body) and the page
			// it points to (1 ms): 2 hits per repetition, as siege counts
			// them. T = 2 x 1.5 ms = E.
			name: "redirect_hop_is_a_hit",
			handler: func() http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/page" {
						slowly(ms, http.StatusOK, helloBody)(w, r)
						return
					}
					time.Sleep(ms / 2)
					w.Header().Set("Location", "/page")
					w.WriteHeader(http.StatusFound)
				})
			},
			give: load.Config{Users: 1, Reps: 2},
			want: load.Report{
				Transactions: 4, Availability: 100, Elapsed: 3 * ms,
				DataTransferred: float64(2*hello11) / (1 << 20), ResponseTime: 750 * time.Microsecond,
				TransactionRate: 4 / 0.003, Throughput: float64(2*hello11) / (1 << 20) / 0.003,
				Concurrency: 1, Successful: 4, Longest: ms, Shortest: ms / 2,
				Bytes: 2 * hello11, P50: ms / 2, P90: ms, P99: ms, P999: ms, Users: 1,
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

					// One target: its row is the report's own counts.
					want := tt.want
					want.URLs = []load.URLReport{{URL: "GET " + cfg.URL, Transactions: want.Transactions, Failed: want.Failed, P50: want.P50, P99: want.P99}}

					got, err := load.Run(t.Context(), cfg)

					require.NoError(t, err, "Run(%s)", tt.name)
					assertReport(t, want, *got, "Run(%s, keepalive=%v)", tt.name, keepAlive)
				})
			})
		}
	}
}

// assertReport compares the exported fields of two reports: exactly for
// counts and times, within float rounding for the ratios.
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
	// What the run was and which it was are TestRunSettings's.
	want.Settings, want.Parts = got.Settings, got.Parts
	assert.Equal(t, exported(want), exported(got), call)
}

// exported is a report's exported fields by name: what a user of the
// package sees of it.
func exported(r load.Report) map[string]any {
	fields := exportedFields(reflect.ValueOf(r))
	var urls []map[string]any
	for _, u := range r.URLs {
		urls = append(urls, exportedFields(reflect.ValueOf(u)))
	}
	fields["URLs"] = urls
	return fields
}

// exportedFields is the struct v's exported fields, by name.
func exportedFields(v reflect.Value) map[string]any {
	fields := map[string]any{}
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.IsExported() {
			fields[f.Name] = v.Field(i).Interface()
		}
	}
	return fields
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
