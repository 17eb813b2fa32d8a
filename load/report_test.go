// The report's two layouts, siege's text and siege's -j JSON with more
// fields, checked against golden files in testdata/ and against a real
// siege printout; and reports read back and merged.
//
//	go test -run 'Write|ReadJSON|Merge' -v ./load
//	go test -run 'Write' ./load -update   # rewrite the golden files
package load_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// mixed is a run with a failure of every kind, each count different (1 to
// 9, 45 in all), so that a figure printed in another's place shows. 985
// hits in 2 s of 11-byte pages; the 5 failing statuses sent 7 bytes each.
var mixed = load.Report{
	Transactions:    985,
	Availability:    985.0 / (985 + 45) * 100,
	Elapsed:         2 * time.Second,
	DataTransferred: (985*11 + 5*7) / float64(1<<20),
	ResponseTime:    2 * time.Millisecond,
	TransactionRate: 985 / 2.0,
	Throughput:      (985*11 + 5*7) / float64(1<<20) / 2,
	Concurrency:     0.99,
	Successful:      980,
	Failed:          45,
	Longest:         45 * time.Millisecond,
	Shortest:        300 * time.Microsecond,
	Bytes:           985*11 + 5*7,
	P50:             1234 * time.Microsecond,
	P90:             5678 * time.Microsecond,
	P99:             12345 * time.Microsecond,
	P999:            40 * time.Millisecond,
	Failures: load.Failures{
		Refused: 1, ConnectTimeout: 2, Timeout: 3, Reset: 4, Status5xx: 5,
		HeaderTooLarge: 6, Protocol: 7, FDLimit: 8, Other: 9,
	},
	Users: 2,
}

// articleGevent is the article's gevent row as a Report: 25036 hits at
// 98.18 %, 464 failed, 525.52 trans/s, 0.41 s, concurrency 213.98, longest
// 20.41 s. The article gives no elapsed time, bytes or percentiles; these
// are the ones its rate and a 12-byte page imply, and a long tail.
var articleGevent = load.Report{
	Transactions:    25036,
	Availability:    25036.0 / (25036 + 464) * 100,
	Elapsed:         47640 * time.Millisecond,
	DataTransferred: 25036 * 12.0 / (1 << 20),
	ResponseTime:    410 * time.Millisecond,
	TransactionRate: 525.52,
	Throughput:      25036 * 12.0 / (1 << 20) / 47.64,
	Concurrency:     213.98,
	Successful:      25036,
	Failed:          464,
	Longest:         20410 * time.Millisecond,
	Shortest:        10 * time.Millisecond,
	Bytes:           25036 * 12,
	P50:             300 * time.Millisecond,
	P90:             900 * time.Millisecond,
	P99:             3 * time.Second,
	P999:            20 * time.Second,
	Failures:        load.Failures{Timeout: 400, Reset: 64},
	Users:           200,
}

// openStall is a real report of the open loop, with its histograms: one
// slot, 100 requests a second for 2 s, a server that answers in 1 ms but
// stalls from 0.5 s to 1.5 s (TestRunOpenStall), run in fake time, so that
// every figure is the same on every run.
func openStall(t *testing.T) *load.Report {
	t.Helper()
	var r *load.Report
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if at := time.Since(start); at >= 500*time.Millisecond && at < 1500*time.Millisecond {
				time.Sleep(1500*time.Millisecond - at)
			}
			time.Sleep(time.Millisecond)
			w.Write([]byte(helloBody))
		})
		var err error
		r, err = load.Run(t.Context(), load.Config{URL: "http://pipe.test/", Users: 1, Rate: 100, Duration: 2 * time.Second, KeepAlive: true, DialContext: servePipe(t, h)})
		require.NoError(t, err, "Run(open loop, stall)")
	})
	return withID(r, "open-stall")
}

// TestWriteGolden: each layout of a few reports, byte for byte: siege's
// twelve lines, then what siege does not give.
func TestWriteGolden(t *testing.T) {
	reports := []struct {
		name   string
		report *load.Report
	}{
		{name: "mixed", report: &mixed},
		{name: "article_gevent", report: &articleGevent},
		// No transaction at all: every ratio is 0, as siege prints it.
		{name: "empty", report: &load.Report{Elapsed: 2 * time.Second, Users: 25}},
		{name: "open_stall", report: openStall(t)},
		// Three URLs, one failing: a row each.
		{name: "urls", report: withID(urlsRun(t), "urls")},
		// A ramp whose second stage finds no free slot: a row each.
		{name: "ramp", report: withID(rampRun(t), "ramp")},
	}
	layouts := []struct {
		ext   string
		write func(*load.Report, *bytes.Buffer) error
	}{
		{ext: "txt", write: func(r *load.Report, b *bytes.Buffer) error { return r.WriteText(b) }},
		{ext: "json", write: func(r *load.Report, b *bytes.Buffer) error { return r.WriteJSON(b) }},
	}
	for _, rr := range reports {
		for _, l := range layouts {
			t.Run("report="+rr.name+"/layout="+l.ext, func(t *testing.T) {
				var got bytes.Buffer
				require.NoError(t, l.write(rr.report, &got), "write %s", l.ext)
				golden := filepath.Join("testdata", rr.name+"."+l.ext)
				if *update {
					require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644), "update %s", golden)
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "read %s (run with -update to create it)", golden)
				assert.Equal(t, string(want), got.String(), "%s is stale: run go test ./load -run Write -update", golden)
			})
		}
	}
}

// rampRun is TestRunRamp's run whose stages both leave requests unsent:
// 50 a second for 1 s, then 10 a second for 400 ms, on one slot, to a
// server that takes 30 ms.
func rampRun(t *testing.T) *load.Report {
	t.Helper()
	var r *load.Report
	synctest.Test(t, func(t *testing.T) {
		var err error
		r, err = load.Run(t.Context(), load.Config{
			URL: "http://pipe.test/", Users: 1, KeepAlive: true,
			Stages:      []load.Stage{{Rate: 50, Duration: time.Second}, {Rate: 10, Duration: 400 * time.Millisecond}},
			DialContext: servePipe(t, slowly(30*time.Millisecond, http.StatusOK, helloBody)),
		})
		require.NoError(t, err, "Run(a ramp)")
	})
	return r
}

// withID gives r, a report of one run, the identity id and a host and
// version of the test's, so that its JSON is the same in every run of the
// test, on every machine: its times, in fake time, are.
func withID(r *load.Report, id string) *load.Report {
	r.Parts[0].ID = id
	r.Parts[0].Host, r.Parts[0].Version = "host.test", "v0.0.0-test"
	return r
}

// TestWriteTextIsSiege: the text layout starts with siege's, to the byte,
// checked against a printout of siege itself (a public benchmark of a
// Sinatra server with 250 users), the report's values set to what siege
// printed; a blank line and the figures beyond siege follow.
func TestWriteTextIsSiege(t *testing.T) {
	const siege = "" +
		"Transactions:\t\t        3820 hits\n" +
		"Availability:\t\t      100.00 %\n" +
		"Elapsed time:\t\t       96.04 secs\n" +
		"Data transferred:\t        0.08 MB\n" +
		"Response time:\t\t        5.59 secs\n" +
		"Transaction rate:\t       39.78 trans/sec\n" +
		"Throughput:\t\t        0.00 MB/sec\n" +
		"Concurrency:\t\t      222.37\n" +
		"Successful transactions:        3820\n" +
		"Failed transactions:\t           0\n" +
		"Longest transaction:\t        6.03\n" +
		"Shortest transaction:\t        0.53\n"
	r := load.Report{
		Transactions: 3820, Availability: 100, Elapsed: 96040 * time.Millisecond,
		DataTransferred: 0.08, ResponseTime: 5590 * time.Millisecond, TransactionRate: 39.78,
		Throughput: 0.0008, Concurrency: 222.37, Successful: 3820, Failed: 0,
		Longest: 6030 * time.Millisecond, Shortest: 530 * time.Millisecond, Users: 250,
	}
	var got strings.Builder

	require.NoError(t, r.WriteText(&got), "WriteText")

	assert.True(t, strings.HasPrefix(got.String(), siege+"\nModel:\t\t\tclosed loop, 250 users\n"), "WriteText of siege's own numbers:\n%s", got.String())
}

// TestWriteJSONIsSiege: the JSON is one object that any JSON reader takes:
// siege's twelve -j fields first, in siege's order, with the report's
// values, then the figures beyond siege, percentiles in seconds.
func TestWriteJSONIsSiege(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, mixed.WriteJSON(&buf), "WriteJSON")

	var got map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got), "WriteJSON wrote invalid JSON:\n%s", buf.String())
	want := map[string]any{
		"transactions":            985.0,
		"availability":            95.63,
		"elapsed_time":            2.00,
		"data_transferred":        0.01,
		"response_time":           0.00,
		"transaction_rate":        492.50,
		"throughput":              0.01,
		"concurrency":             0.99,
		"successful_transactions": 980.0,
		"failed_transactions":     45.0,
		"longest_transaction":     0.04, // 45 ms to two decimals, as siege rounds
		"shortest_transaction":    0.00,
		"model":                   "closed loop, 2 users",
		"response_time_p50":       0.001234,
		"response_time_p90":       0.005678,
		"response_time_p99":       0.012345,
		"response_time_p999":      0.04,
		"cut":                     0.0,
		"failed_refused":          1.0,
		"failed_connect_timeout":  2.0,
		"failed_timeout":          3.0,
		"failed_reset":            4.0,
		"failed_status_5xx":       5.0,
		"failed_header_too_large": 6.0,
		"failed_protocol":         7.0,
		"failed_fd_limit":         8.0,
		"failed_other":            9.0,
		"settings": map[string]any{
			"model": "closed loop", "target": "", "requests": 0.0, "requests_sha256": "", "protocol": "",
			"keepalive": false, "timeout_ns": 0.0, "duration_ns": 0.0, "reps": 0.0, "max_header_bytes": 0.0,
		},
		"parts":         []any{},
		"users":         2.0,
		"rate":          0.0,
		"bytes":         float64(985*11 + 5*7),
		"elapsed_ns":    2e9,
		"time_total_ns": 0.0,
		"shortest_ns":   300e3,
		"longest_ns":    45e6,
	}
	assert.Equal(t, want, got, "WriteJSON(mixed)")
	siege := []string{
		"transactions", "availability", "elapsed_time", "data_transferred",
		"response_time", "transaction_rate", "throughput", "concurrency",
		"successful_transactions", "failed_transactions",
		"longest_transaction", "shortest_transaction",
	}
	assert.Equal(t, siege, jsonKeys(t, buf.Bytes())[:len(siege)], "WriteJSON(mixed): siege's fields first, in siege's order")
}

// jsonKeys returns the keys of the JSON object in data, in order.
func jsonKeys(tb testing.TB, data []byte) []string {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	_, err := dec.Token() // {
	require.NoError(tb, err, "read the object's opening")
	var keys []string
	for dec.More() {
		key, err := dec.Token()
		require.NoError(tb, err, "read a key")
		keys = append(keys, key.(string))
		var value any
		require.NoError(tb, dec.Decode(&value), "read the value of %v", key)
	}
	return keys
}

// TestReadJSON: a report read back from its JSON is the report written,
// to the nanosecond and the histogram's last count; siege's own JSON, which
// lacks both, is refused.
func TestReadJSON(t *testing.T) {
	want := openStall(t)
	var buf bytes.Buffer
	require.NoError(t, want.WriteJSON(&buf), "WriteJSON")

	got, err := load.ReadJSON(&buf)

	require.NoError(t, err, "ReadJSON(WriteJSON(open stall))")
	assert.Equal(t, exported(*want), exported(*got), "ReadJSON(WriteJSON(open stall))")

	var siege bytes.Buffer
	require.NoError(t, articleGevent.WriteJSON(&siege), "WriteJSON(a report made by hand)")
	_, err = load.ReadJSON(&siege)
	assert.ErrorContains(t, err, "no settings, parts, elapsed_ns or histogram", "ReadJSON(a report without a histogram)")
	_, err = load.ReadJSON(strings.NewReader(`{"transactions": 3`))
	assert.ErrorContains(t, err, "load: read report", "ReadJSON(cut short)")
}

// TestReadJSONRows: the per-URL rows read back as written, each with its
// histogram; rows that do not add up to the report are refused.
func TestReadJSONRows(t *testing.T) {
	want := urlsRun(t)
	var buf bytes.Buffer
	require.NoError(t, want.WriteJSON(&buf), "WriteJSON")
	written := buf.String()

	got, err := load.ReadJSON(&buf)

	require.NoError(t, err, "ReadJSON(WriteJSON(3 URLs))")
	assert.Equal(t, exportedURLs(want.URLs), exportedURLs(got.URLs), "rows read back")

	// One row's count changed: a failure for /a, where the report has 4
	// in all, all /c's.
	broken := strings.Replace(written, `"transactions":4,"failed_transactions":0,`, `"transactions":4,"failed_transactions":1,`, 1)
	require.NotEqual(t, written, broken, "the row to break is in the JSON:\n%s", written)
	_, err = load.ReadJSON(strings.NewReader(broken))
	assert.ErrorContains(t, err, "the urls hold 8 transactions and 5 failures, the report 8 and 4", "ReadJSON(rows that do not add up)")
}

// TestMergeRows: the rows of reports merge by URL, in the order the
// reports first name them: counts summed, percentiles of the merged
// histograms. A report without rows, or with rows that do not add up to
// it, is refused.
func TestMergeRows(t *testing.T) {
	a, b := urlsRun(t), urlsRun(t)
	slices.Reverse(b.URLs) // b names /c first

	got, err := load.Merge(b, a)

	require.NoError(t, err, "Merge(rows)")
	ms := time.Millisecond
	assert.Equal(t, []load.URLReport{
		{URL: "POST http://pipe.test/c", Failed: 8, P50: 2 * ms, P99: 2 * ms},
		{URL: "GET http://pipe.test/b", Transactions: 8, P50: ms, P99: ms},
		{URL: "GET http://pipe.test/a", Transactions: 8, P50: ms, P99: ms},
	}, exportedURLs(got.URLs), "Merge(rows)")

	rowless := *urlsRun(t)
	rowless.URLs = nil
	_, err = load.Merge(a, &rowless)
	assert.ErrorContains(t, err, "merge report 2: 0 rows of urls: not from 1 to 1000", "Merge(a report without rows)")
	short := *urlsRun(t)
	short.URLs = short.URLs[1:]
	_, err = load.Merge(a, &short)
	assert.ErrorContains(t, err, "merge report 2: the urls hold 4 transactions and 4 failures, the report 8 and 4", "Merge(rows that do not add up)")
}

// TestMergeIsOneRun: one load split in four, each part written as JSON and
// read back as another process would, merges into the report of one run of
// all the users: every count and sum the sum of the parts', and every
// percentile that of the union of all the parts' times. In fake time: the
// server answers request k (counted across all parts) after (k mod 17 + 1)
// x 100 µs, so the times are known in advance, whatever part sent which
// request. Each part is 5 users x 20 repetitions, 100 requests.
func TestMergeIsOneRun(t *testing.T) {
	const parts, users, reps = 4, 5, 20
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		dial := servePipe(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			k := n.Add(1)
			time.Sleep(time.Duration(k%17+1) * 100 * time.Microsecond)
			w.Write([]byte(helloBody))
		}))
		cfg := load.Config{URL: "http://pipe.test/", Users: users, Reps: reps, DialContext: dial}
		read := make([]*load.Report, parts)
		var wg sync.WaitGroup
		for i := range parts {
			wg.Go(func() {
				r, err := load.Run(t.Context(), cfg)
				if err != nil {
					t.Errorf("Run(part %d): %v", i, err)
					return
				}
				var buf bytes.Buffer
				if err := r.WriteJSON(&buf); err != nil {
					t.Errorf("WriteJSON(part %d): %v", i, err)
					return
				}
				if read[i], err = load.ReadJSON(&buf); err != nil {
					t.Errorf("ReadJSON(part %d): %v", i, err)
				}
			})
		}
		wg.Wait()
		require.False(t, t.Failed(), "every part ran")

		got, err := load.Merge(read...)
		require.NoError(t, err, "Merge(4 parts)")

		var times []time.Duration
		var total time.Duration
		for k := int64(1); k <= parts*users*reps; k++ {
			d := time.Duration(k%17+1) * 100 * time.Microsecond
			times = append(times, d)
			total += d
		}
		slices.Sort(times)
		assert.Equal(t, parts*users*reps, got.Transactions, "merged hits: the sum")
		assert.Equal(t, parts*users, got.Users, "merged users: the sum")
		assert.Equal(t, int64(parts*users*reps*len(helloBody)), got.Bytes, "merged bytes: the sum")
		assert.Equal(t, total/time.Duration(parts*users*reps), got.ResponseTime, "merged mean: T / H over all")
		assert.Equal(t, slices.MaxFunc(read, byElapsed).Elapsed, got.Elapsed, "merged elapsed: the longest part's")
		assert.Equal(t, times[0], got.Shortest, "merged shortest")
		assert.Equal(t, times[len(times)-1], got.Longest, "merged longest")
		assert.Equal(t,
			[4]time.Duration{nearestRank(times, 50), nearestRank(times, 90), nearestRank(times, 99), nearestRank(times, 99.9)},
			[4]time.Duration{got.P50, got.P90, got.P99, got.P999},
			"merged p50/90/99/99.9: the union's, by nearest rank (every time here is held exactly)")
	})
}

func byElapsed(a, b *load.Report) int { return int(a.Elapsed - b.Elapsed) }

// nearestRank is the p-th percentile of sorted by nearest rank: the element
// of rank ceil(p/100 x n), counting from 1.
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	rank := (int(p*10)*len(sorted) + 999) / 1000
	return sorted[max(rank, 1)-1]
}

// TestMetrics: the report's figures as benchmark units, each with its
// value and direction; the failures the docs set apart by kind have units
// of their own, and timeouts count both kinds of timeout.
func TestMetrics(t *testing.T) {
	want := []load.Metric{
		{Unit: "trans/s", Value: 492.5, Better: "higher"},
		{Unit: "avail-%", Value: 985.0 / (985 + 45) * 100, Better: "higher"},
		{Unit: "resp-ms", Value: 2, Better: "lower"},
		{Unit: "concurrency", Value: 0.99},
		{Unit: "longest-ms", Value: 45, Better: "lower"},
		{Unit: "p50-ms", Value: 1.234, Better: "lower"},
		{Unit: "p99-ms", Value: 12.345, Better: "lower"},
		{Unit: "failed", Value: 45, Better: "lower"},
		{Unit: "timeouts", Value: 2 + 3, Better: "lower"}, // ConnectTimeout + Timeout
		{Unit: "conn-timeouts", Value: 2, Better: "lower"},
		{Unit: "resets", Value: 4, Better: "lower"},
		{Unit: "ns/op", Value: 2e9 / 985, Better: "lower"},
	}

	got := mixed.Metrics()

	assert.Equal(t, want, got, "Metrics(mixed)")
	for _, m := range got {
		assert.NotContains(t, m.Unit, " ", "Metrics(mixed): unit %q", m.Unit)
	}
}
