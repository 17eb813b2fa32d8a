// The report's two layouts, siege's text and siege's -j JSON, checked
// against golden files in testdata/ and against a real siege printout.
//
//	go test -run 'Write' -v ./load
//	go test -run 'Write' ./load -update   # rewrite the golden files
package load_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// articleGevent is the article's gevent row as a Report: 25036 hits at
// 98.18 %, 464 failed, 525.52 trans/s, 0.41 s, concurrency 213.98, longest
// 20.41 s. The article gives no elapsed time or bytes; these are the ones
// its rate and a 12-byte page imply.
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
	Failures:        load.Failures{Timeout: 400, Reset: 64},
}

// TestWriteGolden: each layout of a few reports, byte for byte.
func TestWriteGolden(t *testing.T) {
	reports := []struct {
		name   string
		report load.Report
	}{
		{name: "article_gevent", report: articleGevent},
		// No transaction at all: every ratio is 0, as siege prints it.
		{name: "empty", report: load.Report{Elapsed: 2 * time.Second}},
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
				require.NoError(t, l.write(&rr.report, &got), "write %s", l.ext)
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

// TestWriteTextIsSiege: the text layout is siege's to the byte, checked
// against a printout of siege itself (a public benchmark of a Sinatra
// server with 250 users), the report's values set to what siege printed.
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
		Longest: 6030 * time.Millisecond, Shortest: 530 * time.Millisecond,
	}
	var got strings.Builder

	require.NoError(t, r.WriteText(&got), "WriteText")

	assert.Equal(t, siege, got.String(), "WriteText of siege's own numbers")
}

// TestWriteJSONIsSiege: the JSON parses, and has siege's twelve -j field
// names, in siege's order, with the report's values.
func TestWriteJSONIsSiege(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, articleGevent.WriteJSON(&buf), "WriteJSON")

	var got map[string]float64
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got), "WriteJSON wrote invalid JSON:\n%s", buf.String())
	want := map[string]float64{
		"transactions":            25036,
		"availability":            98.18,
		"elapsed_time":            47.64,
		"data_transferred":        0.29,
		"response_time":           0.41,
		"transaction_rate":        525.52,
		"throughput":              0.01,
		"concurrency":             213.98,
		"successful_transactions": 25036,
		"failed_transactions":     464,
		"longest_transaction":     20.41,
		"shortest_transaction":    0.01,
	}
	assert.Equal(t, want, got, "WriteJSON(article's gevent row)")
	order := []string{
		"transactions", "availability", "elapsed_time", "data_transferred",
		"response_time", "transaction_rate", "throughput", "concurrency",
		"successful_transactions", "failed_transactions",
		"longest_transaction", "shortest_transaction",
	}
	last := -1
	for _, key := range order {
		i := strings.Index(buf.String(), `"`+key+`"`)
		assert.Greater(t, i, last, "WriteJSON: %q in siege's order", key)
		last = i
	}
}
