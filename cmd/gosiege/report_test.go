// gosiege's report: siege's, in siege's text or JSON layout, then the
// figures siege does not give. Checked byte for byte against golden files in
// testdata/, written from fixed reports, not from a live run.
//
//	go test -run 'Report' -v ./cmd/gosiege
//	go test -run 'ReportGolden' ./cmd/gosiege -update   # rewrite testdata/
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// mixed is a run with a failure of every kind, each count different (1 to
// 5, 15 in all), so that a figure printed in another's place shows.
// 985 hits in 2 s of 11-byte pages; the 4 failing statuses sent 7 bytes
// each.
var mixed = load.Report{
	Transactions:    985,
	Availability:    985.0 / (985 + 15) * 100,
	Elapsed:         2 * time.Second,
	DataTransferred: (985*11 + 4*7) / float64(1<<20),
	ResponseTime:    2 * time.Millisecond,
	TransactionRate: 985 / 2.0,
	Throughput:      (985*11 + 4*7) / float64(1<<20) / 2,
	Concurrency:     0.99,
	Successful:      980,
	Failed:          15,
	Longest:         45 * time.Millisecond,
	Shortest:        300 * time.Microsecond,
	Bytes:           985*11 + 4*7,
	P50:             1234 * time.Microsecond,
	P90:             5678 * time.Microsecond,
	P99:             12345 * time.Microsecond,
	Failures:        load.Failures{Refused: 1, Timeout: 2, Reset: 3, Status5xx: 4, Other: 5},
}

// articleGevent is the article's gevent row (25036 hits at 98.18 %, 464
// failed, 525.52 trans/s, longest 20.41 s), with percentiles and failure
// kinds the article does not give: a long tail, to show the widest values.
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
	P99:             20 * time.Second,
	Failures:        load.Failures{Timeout: 400, Reset: 64},
}

// TestReportGolden: each layout of each report, byte for byte.
func TestReportGolden(t *testing.T) {
	reports := []struct {
		name   string
		report load.Report
	}{
		{name: "mixed", report: mixed},
		{name: "article_gevent", report: articleGevent},
		// No transaction at all: every figure is 0, as siege prints it.
		{name: "empty", report: load.Report{Elapsed: 2 * time.Second}},
	}
	layouts := []struct {
		ext    string
		asJSON bool
	}{
		{ext: "txt", asJSON: false},
		{ext: "json", asJSON: true},
	}
	for _, rr := range reports {
		for _, l := range layouts {
			t.Run("report="+rr.name+"/layout="+l.ext, func(t *testing.T) {
				var got bytes.Buffer
				require.NoError(t, writeReport(&got, &rr.report, l.asJSON), "writeReport(%s, json=%v)", rr.name, l.asJSON)
				golden := filepath.Join("testdata", rr.name+"."+l.ext)
				if *update {
					require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644), "update %s", golden)
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "read %s (run with -update to create it)", golden)
				assert.Equal(t, string(want), got.String(), "%s is stale: run go test ./cmd/gosiege -run ReportGolden -update", golden)
			})
		}
	}
}

// TestReportTextStartsAsSiege: the text layout is siege's report, as
// package load writes it, and then more.
func TestReportTextStartsAsSiege(t *testing.T) {
	var siege, got bytes.Buffer
	require.NoError(t, mixed.WriteText(&siege), "load.Report.WriteText")

	require.NoError(t, writeReport(&got, &mixed, false), "writeReport(mixed, text)")

	assert.True(t, bytes.HasPrefix(got.Bytes(), siege.Bytes()), "writeReport(mixed, text) does not start with siege's report:\n%s", got.String())
}

// TestReportJSON: the JSON layout is one object that any JSON reader takes:
// siege's twelve -j fields first, in siege's order, then the figures beyond
// siege, percentiles in seconds.
func TestReportJSON(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, writeReport(&buf, &mixed, true), "writeReport(mixed, json)")

	var got map[string]float64
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got), "writeReport(mixed, json) wrote invalid JSON:\n%s", buf.String())
	want := map[string]float64{
		"transactions":            985,
		"availability":            98.50,
		"elapsed_time":            2.00,
		"data_transferred":        0.01,
		"response_time":           0.00,
		"transaction_rate":        492.50,
		"throughput":              0.01,
		"concurrency":             0.99,
		"successful_transactions": 980,
		"failed_transactions":     15,
		"longest_transaction":     0.04, // 45 ms to two decimals, as siege rounds
		"shortest_transaction":    0.00,
		"response_time_p50":       0.001234,
		"response_time_p90":       0.005678,
		"response_time_p99":       0.012345,
		"failed_refused":          1,
		"failed_timeout":          2,
		"failed_reset":            3,
		"failed_status_5xx":       4,
		"failed_other":            5,
	}
	assert.Equal(t, want, got, "writeReport(mixed, json)")

	wantOrder := []string{
		"transactions", "availability", "elapsed_time", "data_transferred",
		"response_time", "transaction_rate", "throughput", "concurrency",
		"successful_transactions", "failed_transactions",
		"longest_transaction", "shortest_transaction",
		"response_time_p50", "response_time_p90", "response_time_p99",
		"failed_refused", "failed_timeout", "failed_reset", "failed_status_5xx", "failed_other",
	}
	assert.Equal(t, wantOrder, jsonKeys(t, buf.Bytes()), "writeReport(mixed, json): the order of the fields")
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

// TestAllRefused: the run counts as unreachable only when nothing reached
// a server: no hit, and every failure a refused connection.
func TestAllRefused(t *testing.T) {
	tests := []struct {
		name string
		give load.Report
		want bool
	}{
		{name: "every transaction refused", give: load.Report{Failed: 9, Failures: load.Failures{Refused: 9}}, want: true},
		{name: "nothing at all", give: load.Report{}, want: false},
		{name: "one hit", give: load.Report{Transactions: 1, Failed: 9, Failures: load.Failures{Refused: 9}}, want: false},
		{name: "one reset", give: load.Report{Failed: 9, Failures: load.Failures{Refused: 8, Reset: 1}}, want: false},
		{name: "every transaction a 5xx", give: load.Report{Failed: 9, Failures: load.Failures{Status5xx: 9}}, want: false},
		{name: "every transaction timed out", give: load.Report{Failed: 9, Failures: load.Failures{Timeout: 9}}, want: false},
	}
	for _, tt := range tests {
		t.Run("report="+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, allRefused(&tt.give), "allRefused(%+v)", tt.give)
		})
	}
}
