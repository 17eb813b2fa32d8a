// Reports merged across processes: what a merge sums, and what it refuses
// because no run could have said it; and the memory reading and merging
// take, whatever they are given.
//
//	go test -run 'Merge|ReadJSON|Settings' -v ./load
package load_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

// TestRunSettings: a report records what its run was asked to do, with the
// defaults in place, its target without the password, and which run it
// was: an identity of its own, and when it started and ended.
func TestRunSettings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := load.Config{
			URL: "http://user:s3cret@pipe.test/x", Users: 2, Rate: 10, Duration: time.Second, KeepAlive: true,
			DialContext: servePipe(t, hello()),
		}
		start := time.Now()

		got, err := load.Run(t.Context(), cfg)

		require.NoError(t, err, "Run(%+v)", cfg)
		want := load.Settings{
			Model: load.OpenLoop, Target: "http://xxxxx@pipe.test/x", Requests: 1, Protocol: load.HTTP1,
			KeepAlive: true, Timeout: load.DefaultTimeout, Duration: time.Second, MaxHeaderBytes: load.DefaultMaxHeaderBytes,
			RequestsDigest: got.Settings.RequestsDigest, // below
		}
		assert.Equal(t, want, got.Settings, "settings")
		assert.Len(t, got.Settings.RequestsDigest, 64, "the requests' digest: a SHA-256 in hex")
		for _, tt := range []struct {
			give     string
			wantSame bool
		}{
			{give: "http://user:other@pipe.test/x", wantSame: true}, // a secret is not in it
			{give: "http://pipe.test/x", wantSame: false},           // none is another request
			{give: "http://user:s3cret@pipe.test/y", wantSame: false},
		} {
			c := cfg
			c.URL = tt.give
			r, err := load.Run(t.Context(), c)
			require.NoError(t, err, "Run(%s)", tt.give)
			assert.Equal(t, tt.wantSame, r.Settings.RequestsDigest == got.Settings.RequestsDigest, "Run(%s): the same requests' digest", tt.give)
		}
		require.Len(t, got.Parts, 1, "parts")
		assert.Len(t, got.Parts[0].ID, 26, "the part's identity: 128 random bits")
		assert.Equal(t, start.UTC(), got.Parts[0].Start, "the part's start")
		assert.Equal(t, start.Add(time.Second).UTC(), got.Parts[0].End, "the part's end")
		host, _ := os.Hostname()
		assert.Equal(t, host, got.Parts[0].Host, "the part's host")
		assert.NotEmpty(t, got.Parts[0].Version, "the part's version")
		assert.Zero(t, got.Parts[0].Shard, "the part's shard: none")

		again, err := load.Run(t.Context(), cfg)
		require.NoError(t, err, "Run(%+v) again", cfg)
		assert.NotEqual(t, got.Parts[0].ID, again.Parts[0].ID, "two runs' identities")
	})
}

// openParts runs an open loop split in n parts of the same settings, in
// fake time, against a server that cannot keep up, so that each part has
// requests unsent; each part is written and read back as another process
// would.
func openParts(t *testing.T, n int) []*load.Report {
	t.Helper()
	var parts []*load.Report
	synctest.Test(t, func(t *testing.T) {
		cfg := load.Config{
			URL: "http://pipe.test/", Users: 1, Rate: 50, Duration: time.Second, KeepAlive: true,
			DialContext: servePipe(t, slowly(30*time.Millisecond, http.StatusOK, helloBody)),
		}
		for i := range n {
			r, err := load.Run(t.Context(), cfg)
			require.NoError(t, err, "Run(part %d)", i)
			parts = append(parts, roundTrip(t, r))
		}
	})
	return parts
}

// roundTrip writes r as JSON and reads it back.
func roundTrip(tb testing.TB, r *load.Report) *load.Report {
	tb.Helper()
	var buf bytes.Buffer
	require.NoError(tb, r.WriteJSON(&buf), "WriteJSON")
	got, err := load.ReadJSON(&buf)
	require.NoError(tb, err, "ReadJSON(WriteJSON)")
	return got
}

// TestMergeOpenParts: the parts of one open loop merge into the run at the
// whole rate: unsent, hits and users are the sums of the parts', and so is
// the rate. One slot, 50 a second for 1 s, a server that takes 30 ms:
// each part sends 34 (at 0, 30, ..., 990 ms) and 16 are unsent.
func TestMergeOpenParts(t *testing.T) {
	parts := openParts(t, 3)

	got, err := load.Merge(parts...)

	require.NoError(t, err, "Merge(3 parts)")
	for i, p := range parts {
		assert.Equal(t, 16, p.Unsent, "part %d: unsent", i)
	}
	assert.Equal(t, 3*16, got.Unsent, "merged unsent: the sum")
	assert.Equal(t, 3*34, got.Transactions, "merged hits: the sum")
	assert.Equal(t, 150, got.Transactions+got.Failed+got.Unsent, "merged: hits + failed + unsent = 3 x 50")
	assert.Equal(t, "open loop, 150/s for 1s, at most 3 in flight", got.Describe(), "merged model")
	assert.Len(t, got.Parts, 3, "merged parts")
	again := roundTrip(t, got)
	assert.Equal(t, got.Parts, again.Parts, "the merged report's parts, read back")
}

// TestMergeRefuses: what Merge refuses, each with why.
func TestMergeRefuses(t *testing.T) {
	parts := openParts(t, 2)
	merged, err := load.Merge(parts...)
	require.NoError(t, err, "Merge(2 parts)")
	changed := func(r *load.Report, change func(*load.Report)) *load.Report {
		c := *r
		c.Parts = append([]load.Part(nil), r.Parts...)
		change(&c)
		return &c
	}
	tests := []struct {
		name    string
		give    []*load.Report
		wantErr string
	}{
		{name: "none", give: nil, wantErr: "load: merge: no report"},
		{name: "itself", give: []*load.Report{parts[0], parts[0]}, wantErr: "load: merge report 2: the same run as an earlier report (part " + parts[0].Parts[0].ID + ")"},
		{name: "merged_and_its_part", give: []*load.Report{merged, parts[1]}, wantErr: "load: merge report 2: the same run as an earlier report"},
		{name: "keepalive", give: []*load.Report{parts[0], changed(parts[1], func(r *load.Report) { r.Settings.KeepAlive = false })}, wantErr: "load: merge report 2: its settings differ from the first report's: keepalive false, not true"},
		{name: "duration", give: []*load.Report{parts[0], changed(parts[1], func(r *load.Report) { r.Settings.Duration = 2 * time.Second })}, wantErr: "duration 2s, not 1s"},
		{name: "negative", give: []*load.Report{changed(parts[0], func(r *load.Report) { r.Unsent = -1 })}, wantErr: "load: merge report 1: unsent: -1, below 0"},
		{name: "kinds", give: []*load.Report{changed(parts[0], func(r *load.Report) { r.Failures.Reset = 1 })}, wantErr: "failures by kind add up to 1, not failed_transactions 0"},
		{name: "unsent_beyond_schedule", give: []*load.Report{changed(parts[0], func(r *load.Report) { r.Unsent = 100 })}, wantErr: "unsent 100 and cut 0, more than the 51 requests due at 50/s for 1s"},
		{name: "no_parts", give: []*load.Report{changed(parts[0], func(r *load.Report) { r.Parts = nil })}, wantErr: "0 parts: not from 1 to 10000"},
		{name: "made_by_hand", give: []*load.Report{{Transactions: 1, Users: 1}}, wantErr: "load: merge report 1: settings: target \"\""},
	}
	for _, tt := range tests {
		t.Run("merge="+tt.name, func(t *testing.T) {
			got, err := load.Merge(tt.give...)

			assert.ErrorContains(t, err, tt.wantErr, "Merge")
			assert.Nil(t, got, "Merge: no report")
		})
	}
}

// TestReadJSONBounds: what ReadJSON reads is bounded, whatever it is
// given: a report that never ends is refused after MaxReportBytes; a
// histogram of another geometry, of millions of buckets, is refused
// before it is decoded.
func TestReadJSONBounds(t *testing.T) {
	endless := &countingReader{r: io.MultiReader(strings.NewReader(`{"histogram": "`), repeat('A'))}

	_, err := load.ReadJSON(endless)

	assert.ErrorContains(t, err, "load: read report: more than 4194304 bytes", "ReadJSON(an endless histogram)")
	assert.LessOrEqual(t, endless.n, int64(load.MaxReportBytes+64<<10), "ReadJSON(an endless histogram): bytes read")

	// 5 significant digits up to 2^62: 3 million buckets, of which the
	// highest is counted, so that decoding its counts would take them all.
	other := hdrhistogram.NewPacked(1, 1<<62, 5)
	require.NoError(t, other.RecordValue(1<<62), "record into a histogram of another geometry")
	enc, err := other.Encode()
	require.NoError(t, err, "encode a dense histogram of another geometry")
	var obj map[string]any
	var buf bytes.Buffer
	require.NoError(t, openParts(t, 1)[0].WriteJSON(&buf), "WriteJSON")
	require.NoError(t, json.Unmarshal(buf.Bytes(), &obj), "decode a report")
	obj["histogram"] = string(enc)
	crafted, err := json.Marshal(obj)
	require.NoError(t, err, "encode the crafted report")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	_, err = load.ReadJSON(bytes.NewReader(crafted))

	runtime.ReadMemStats(&after)
	assert.ErrorContains(t, err, "histogram: 5 significant digits from 1 to 4611686018427387904, not the driver's 3 from 1 to 86400000000", "ReadJSON(another geometry)")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20)+8*uint64(len(crafted)), "ReadJSON(another geometry, %d bytes): bytes allocated", len(crafted))
}

// TestMergerMemory: a Merger's memory does not grow with the reports it
// merges: 12 reports of dense histograms, each every bucket of the
// driver's geometry, each read and added in turn, as gosiege -merge does.
func TestMergerMemory(t *testing.T) {
	part := openParts(t, 1)[0]
	var buf bytes.Buffer
	require.NoError(t, part.WriteJSON(&buf), "WriteJSON")
	var obj map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &obj), "decode a report")
	// Every bucket of 1 µs to 24 h, once: the densest histogram there is.
	dense := hdrhistogram.New(1, int64(24*time.Hour/time.Microsecond), 3)
	for v := int64(1); v <= dense.HighestTrackableValue(); v += max(v/2048, 1) {
		dense.RecordValue(v)
	}
	enc, err := dense.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	require.NoError(t, err, "encode a dense histogram")
	obj["histogram"], obj["service_histogram"] = string(enc), string(enc)
	n := float64(dense.TotalCount())
	obj["transactions"], obj["successful_transactions"] = n, n
	obj["shortest_ns"] = 1000.0
	obj["longest_ns"] = float64(24 * time.Hour)
	obj["time_total_ns"] = n * float64(time.Hour)
	row := obj["urls"].([]any)[0].(map[string]any)
	row["transactions"], row["longest_ns"] = n, float64(24*time.Hour)
	first := obj["parts"].([]any)[0].(map[string]any)
	first["id"], first["transactions"] = "part-00", n
	// The part's p99 is its report's: the time of rank ceil(0.99 n).
	rank := (990*dense.TotalCount() + 999) / 1000
	p99 := time.Duration(dense.ValueAtPercentile(100*float64(rank)/n)) * time.Microsecond
	first["response_time_p99_ns"] = float64(min(p99, 24*time.Hour))
	report, err := json.Marshal(obj)
	require.NoError(t, err, "encode the dense report")
	var m load.Merger
	var peak uint64
	const reports = 12
	for i := range reports {
		b := bytes.Replace(report, []byte(`"part-00"`), fmt.Appendf(nil, `"part-%02d"`, i), 1)
		r, err := load.ReadJSON(bytes.NewReader(b))
		require.NoError(t, err, "read report %d", i)
		require.NoError(t, m.Add(r), "add report %d", i)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	got, err := m.Report()
	require.NoError(t, err, "the merged report")

	assert.Equal(t, reports*int(dense.TotalCount()), got.Transactions, "merged hits")
	t.Logf("heap after each of %d reports, at most: %.1f MiB", reports, float64(peak)/(1<<20))
	assert.Less(t, peak, uint64(4<<20), "heap after each report, at most")
}

// countingReader counts what is read of r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// repeat is an endless reader of b.
func repeat(b byte) io.Reader { return &repeater{b} }

type repeater struct{ b byte }

func (r *repeater) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

// TestMergeRowsBounded: a report holds at most MaxURLs rows, and so does a
// merge, however many reports each add rows of their own; a row's
// histogram of another geometry is refused before it is decoded.
func TestMergeRowsBounded(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, urlsRun(t).WriteJSON(&buf), "WriteJSON")
	empty, err := hdrhistogram.NewPacked(1, int64(24*time.Hour/time.Microsecond), 3).Encode()
	require.NoError(t, err, "encode an empty histogram")
	// withRows is the report with n rows more, each named prefix and its
	// number, empty, as rows of URLs that the run never reached.
	withRows := func(id, prefix string, n int, hist string) []byte {
		var obj map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &obj), "decode a report")
		obj["parts"].([]any)[0].(map[string]any)["id"] = id
		rows := obj["urls"].([]any)
		for i := range n {
			rows = append(rows, map[string]any{"url": fmt.Sprintf("GET http://pipe.test/%s%d", prefix, i), "histogram": hist})
		}
		obj["urls"] = rows
		b, err := json.Marshal(obj)
		require.NoError(t, err, "encode a report of %d rows", len(rows))
		return b
	}
	other, err := hdrhistogram.NewPacked(1, 1<<62, 5).Encode()
	require.NoError(t, err, "encode a histogram of another geometry")

	_, err = load.ReadJSON(bytes.NewReader(withRows("a", "x", load.MaxURLs-2, string(empty))))
	assert.ErrorContains(t, err, "load: read report: urls: 1001 rows, more than 1000", "ReadJSON(1001 rows)")
	_, err = load.ReadJSON(bytes.NewReader(withRows("a", "x", 1, string(other))))
	assert.ErrorContains(t, err, "load: read report: urls: GET http://pipe.test/x0: histogram: 5 significant digits", "ReadJSON(a row of another geometry)")

	var m load.Merger
	for i, prefix := range []string{"x", "y"} {
		r, err := load.ReadJSON(bytes.NewReader(withRows(prefix, prefix, 597, string(empty))))
		require.NoError(t, err, "ReadJSON(600 rows, %d)", i)
		err = m.Add(r)
		if i == 0 {
			require.NoError(t, err, "Merger.Add(600 rows)")
			continue
		}
		// 3 rows in common, 1197 in all.
		assert.EqualError(t, err, "more than 1000 methods and URLs in one merge", "Merger.Add(600 rows more)")
	}
}
