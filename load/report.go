package load

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// mib is siege's "MB": 2^20 bytes.
const mib = 1 << 20

// Report is what a run measured: siege's twelve fields, computed exactly as
// siege computes them, and what siege does not give: percentiles, failures
// by kind, the load's model and, in the open loop, what the schedule could
// not send and how long the service itself took.
//
// In the formulas, H is the number of hits (bucket 3), F the number of
// failed transactions (buckets 1 and 2), T the sum of the response times of
// buckets 2 and 3, E the elapsed time of the run and B the body bytes
// received. A ratio whose denominator is 0 is 0, as in siege.
//
// In the open loop a response time runs from the request's intended send,
// so that a request that waited for a free slot is charged its wait (it is
// corrected for coordinated omission); every time of the report is such a
// time except Service's.
type Report struct {
	// Transactions is H, siege's hits: responses that are neither a socket
	// failure nor a failing status.
	Transactions int
	// Availability is H / (H + F) x 100, in percent; a 5xx lowers it.
	Availability float64
	// Elapsed is E: in the closed loop, from before the users start to
	// after all have ended; in the open loop, the schedule's length, so
	// that H / E is the rate achieved. The warm-up is not part of it.
	Elapsed time.Duration
	// DataTransferred is B / 2^20: siege's "MB" are MiB of body bytes.
	DataTransferred float64
	// ResponseTime is T / H. T includes the times of failing statuses but
	// H does not count them, as in siege.
	ResponseTime time.Duration
	// TransactionRate is H / E, in transactions per second.
	TransactionRate float64
	// Throughput is B / (E x 2^20), in MiB per second.
	Throughput float64
	// Concurrency is T / E: how many transactions were in flight on
	// average. With H > 0 it equals TransactionRate x ResponseTime
	// (Little's law).
	Concurrency float64
	// Successful counts the hits whose status is below 400, or 401 or 407.
	// A 404 is a hit, so it counts in Transactions but not here.
	Successful int
	// Failed is F: socket failures and failing statuses (408, 500-509).
	Failed int
	// Longest is the longest response time among buckets 2 and 3.
	Longest time.Duration
	// Shortest is the shortest response time among buckets 2 and 3, 0
	// when there were none.
	Shortest time.Duration

	// Bytes is B, the body bytes of buckets 2 and 3.
	Bytes int64
	// P50, P90, P99 and P999 are percentiles of the response times of
	// buckets 2 and 3, by nearest rank (the smallest time that at least
	// that share of the transactions did not exceed), read from an HDR
	// histogram: each is at most 0.1 % (or 1 µs) above the exact one, and
	// never above Longest. 0 when there were none.
	P50, P90, P99, P999 time.Duration
	// Failures counts the failed transactions by kind; the kinds add up
	// to Failed.
	Failures Failures

	// Settings are what the run was asked to do.
	Settings Settings
	// Parts are the runs the report is of: one for a report of Run, each
	// of its parts' for a merged report.
	Parts []Part

	// Users is how many users ran the closed loop, or, in the open loop,
	// the most requests in flight at once (Config.Users).
	Users int
	// Rate is the open loop's intended rate, in requests per second; 0 in
	// the closed loop.
	Rate float64
	// Unsent counts the open loop's requests whose intended time came
	// while every slot was busy and that found none free before the run
	// ended: neither hits nor failures. Hits + Failed + Unsent is the
	// number of requests the schedule intended (without redirects).
	Unsent int
	// Cut counts the transactions in flight when the run ended that were
	// not counted, neither hits nor failures: in the closed loop, those
	// its end cut; in the open loop, those its interruption cut (at its
	// planned end, the open loop waits for the requests in flight).
	Cut int
	// PeakInFlight is the most requests in flight at once in the open
	// loop (for a merged report, the sum of each part's).
	PeakInFlight int
	// Drain is how long the open loop's last requests, in flight when the
	// schedule ended, took to finish; each had its own timeout.
	Drain time.Duration
	// Service holds the open loop's service times: from the moment each
	// request was actually sent, uncorrected. When the server keeps up,
	// they agree with the response times; the difference is the queueing.
	Service Percentiles

	// URLs has a row for each method and URL of the run, in the order
	// the targets first name them; the text and JSON layouts show them
	// when there are several. A merged report has each part's, merged by
	// method and URL.
	URLs []URLReport
	// Stages has a row for each stage of a ramp (Config.Stages), in
	// order; nil for a constant rate, and in the closed loop. A merged
	// report has the parts' merged stage by stage.
	Stages []StageReport

	total   time.Duration                 // T
	latency *hdrhistogram.PackedHistogram // the response times; nil in a report made by hand
	service *hdrhistogram.PackedHistogram // the service times, in the open loop
}

// Percentiles of service times, as Report's for response times.
type Percentiles struct {
	P50, P90, P99, P999, Max time.Duration
}

// Settings are what a run was asked to do, as its report records them.
// The parts of a run split across processes (or machines) share them, and
// Merge refuses reports whose settings differ: what differs between the
// parts is their share of the load (Report.Users and Report.Rate) and
// their Part. A shard's settings are the whole run's (see Config.Shard).
type Settings struct {
	// Model is the load's model, closed or open loop.
	Model Model `json:"model"`
	// Target is the URL loaded, as Redact shows it: the first of
	// Config.Targets when there are several.
	Target string `json:"target"`
	// Requests is how many requests the run's list has (Config.Targets;
	// 1 for the GET of Config.URL), and RequestsDigest identifies the
	// list: the SHA-256, in hex, of each request's method, URL as Redact
	// shows it, headers and body, in order. The values of Authorization,
	// Proxy-Authorization and Cookie are left out of it, as a URL's user
	// information is, so that it says nothing of a secret: parts may
	// carry credentials of their own.
	Requests       int    `json:"requests"`
	RequestsDigest string `json:"requests_sha256"`
	// Protocol is what the requests spoke, as ALPN names it: HTTP1, H2
	// or H2C; both HTTP/2 names, comma-separated, when the targets were
	// both https and http. Streams is how many users shared each HTTP/2
	// connection; 0 over HTTP/1.1.
	Protocol string `json:"protocol"`
	Streams  int    `json:"streams,omitempty"`
	// KeepAlive, Timeout, Duration, Reps and MaxHeaderBytes are
	// Config's, Timeout and MaxHeaderBytes with their defaults in place
	// of 0.
	KeepAlive      bool          `json:"keepalive"`
	Timeout        time.Duration `json:"timeout_ns"`
	Duration       time.Duration `json:"duration_ns"`
	Reps           int           `json:"reps"`
	MaxHeaderBytes int64         `json:"max_header_bytes"`
	// Stages are a ramp's (Config.Stages), the whole run's rates; nil
	// for a constant rate.
	Stages []Stage `json:"stages,omitempty"`
	// Shards is how many shards shared the run (Config.Shard.Count); 0
	// for a run in one process, or split by hand. Users and Rate are
	// then the whole run's, of which each shard took its share (Rate 0
	// for a ramp); the parts of a load split by hand have each their own,
	// and Settings do not record them.
	Shards int     `json:"shards,omitempty"`
	Users  int     `json:"users,omitempty"`
	Rate   float64 `json:"rate,omitempty"`
}

// A Part is one run of Run, so that a merge counts it once: its identity,
// random, made when the run started, and when its measured run started
// and ended, by the clock of the machine it ran on; which shard it was and
// where it ran; and its main figures, so that a merged report still shows
// each part's, and a generator that could not keep up stands out.
type Part struct {
	ID    string    `json:"id"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Shard is the part's number, from 1, of Settings.Shards; 0 for a
	// run that was not shared.
	Shard int `json:"shard,omitempty"`
	// Host is the machine's name, and Version the build of gosiege (of
	// this package's module) that ran the part.
	Host    string `json:"host"`
	Version string `json:"version"`
	// Transactions, Failed, Unsent, Elapsed and P99 are the part's, as
	// its own report gave them.
	Transactions int           `json:"transactions"`
	Failed       int           `json:"failed_transactions"`
	Unsent       int           `json:"unsent"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	P99          time.Duration `json:"response_time_p99_ns"`
}

// TransactionRate is the part's rate achieved: Transactions / Elapsed.
func (p Part) TransactionRate() float64 {
	if e := p.Elapsed.Seconds(); e > 0 {
		return float64(p.Transactions) / e
	}
	return 0
}

// Describe says in one line what load the report is of, its model with
// its figures: "closed loop, 50 users", "open loop, 2000/s for 10s, at
// most 50 in flight" or "open loop, 100/s for 10s, then 1000/s for 30s, at
// most 50 in flight"; and, for a run of shards, which shard it is, or how
// many were merged.
func (r *Report) Describe() string {
	var s string
	switch {
	case r.open() && len(r.Stages) > 0:
		s = fmt.Sprintf("open loop, %s, at most %d in flight", r.describeStages(), r.Users)
	case r.open():
		s = fmt.Sprintf("open loop, %s/s for %v, at most %d in flight", number(r.Rate), cmp.Or(r.Settings.Duration, r.Elapsed), r.Users)
	default:
		s = fmt.Sprintf("closed loop, %d users", r.Users)
	}
	switch n := r.Settings.Shards; {
	case n > 0 && len(r.Parts) == 1:
		s += fmt.Sprintf("; shard %d/%d", r.Parts[0].Shard, n)
	case n > 0 && len(r.Parts) == n:
		s += fmt.Sprintf("; %d shards", n)
	case n > 0:
		s += fmt.Sprintf("; %d of %d shards", len(r.Parts), n)
	}
	return s
}

// open reports whether the report is of an open loop.
func (r *Report) open() bool { return r.Settings.Model == OpenLoop }

// number formats a rate with no more digits than it has: "2000", "0.5".
func number(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%g", v), ".0") }

// snapshot returns what rec has recorded so far as a report of its own.
func (rec *recorder) snapshot() *Report {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := &Report{
		Transactions: rec.hits, Failed: rec.failed, Successful: rec.successful,
		Bytes: rec.bytes, total: rec.total, Failures: rec.failures, Cut: rec.cuts,
		Longest: rec.longest, Shortest: rec.shortest,
		Service: Percentiles{Max: rec.svcLongest},
		latency: rec.latency.Clone(),
	}
	if rec.service != nil {
		r.service = rec.service.Clone()
	}
	return r
}

// fill computes the derived fields from H, F, B, E, T and the histograms.
func (r *Report) fill() {
	h := r.Transactions
	if h > 0 {
		r.Availability = float64(h) / float64(h+r.Failed) * 100
		r.ResponseTime = r.total / time.Duration(h)
	} else {
		r.Availability, r.ResponseTime = 0, 0
	}
	r.DataTransferred = float64(r.Bytes) / mib
	r.TransactionRate, r.Throughput, r.Concurrency = 0, 0, 0
	if e := r.Elapsed.Seconds(); e > 0 {
		r.TransactionRate = float64(h) / e
		r.Throughput = float64(r.Bytes) / mib / e
		r.Concurrency = r.total.Seconds() / e
	}
	if r.latency != nil {
		r.P50 = percentile(r.latency, 50, r.Longest)
		r.P90 = percentile(r.latency, 90, r.Longest)
		r.P99 = percentile(r.latency, 99, r.Longest)
		r.P999 = percentile(r.latency, 99.9, r.Longest)
	}
	if r.service != nil {
		top := r.Service.Max
		r.Service = Percentiles{
			P50:  percentile(r.service, 50, top),
			P90:  percentile(r.service, 90, top),
			P99:  percentile(r.service, 99, top),
			P999: percentile(r.service, 99.9, top),
			Max:  top,
		}
	}
}

// A Metric is one figure of a Report as a Go benchmark reports it, with
// b.ReportMetric(m.Value, m.Unit), and as benchstat reads it: a unit free
// of spaces that names the figure, and whether more of it is better.
type Metric struct {
	Unit   string
	Value  float64
	Better string // "higher" or "lower" is better, or "" for neither
}

// Metrics lists the report's figures in the benchmark format, the one list
// that every benchmark, command and page that shows a load run reads:
//
//	trans/s       TransactionRate (in the open loop, the rate achieved)
//	avail-%       Availability
//	resp-ms       ResponseTime, in milliseconds
//	concurrency   Concurrency
//	longest-ms    Longest, in milliseconds
//	p50-ms        P50, in milliseconds
//	p99-ms        P99, in milliseconds
//	failed        Failed
//	timeouts      Failures.Timeouts(): every timeout, connecting or
//	              after; siege counts timeouts apart, since they say the
//	              server kept a client waiting
//	conn-timeouts Failures.ConnectTimeout: the timeouts before the
//	              connection was made, such as a SYN that a full listen
//	              backlog dropped
//	resets        Failures.Reset
//	ns/op         Elapsed / Transactions: one op is one transaction, so
//	              that benchstat's sec/op is the inverse of trans/s
//
// and, in the open loop, unsent (Unsent) and svc-p50-ms and svc-p99-ms
// (Service.P50 and P99). A figure whose denominator is 0 is 0, as in siege;
// a 0 ns/op makes the testing package leave ns/op out rather than report a
// run's length.
func (r *Report) Metrics() []Metric {
	perTransaction := 0.0
	if r.Transactions > 0 {
		perTransaction = float64(r.Elapsed.Nanoseconds()) / float64(r.Transactions)
	}
	m := []Metric{
		{Unit: "trans/s", Value: r.TransactionRate, Better: "higher"},
		{Unit: "avail-%", Value: r.Availability, Better: "higher"},
		{Unit: "resp-ms", Value: ms(r.ResponseTime), Better: "lower"},
		{Unit: "concurrency", Value: r.Concurrency},
		{Unit: "longest-ms", Value: ms(r.Longest), Better: "lower"},
		{Unit: "p50-ms", Value: ms(r.P50), Better: "lower"},
		{Unit: "p99-ms", Value: ms(r.P99), Better: "lower"},
		{Unit: "failed", Value: float64(r.Failed), Better: "lower"},
		{Unit: "timeouts", Value: float64(r.Failures.Timeouts()), Better: "lower"},
		{Unit: "conn-timeouts", Value: float64(r.Failures.ConnectTimeout), Better: "lower"},
		{Unit: "resets", Value: float64(r.Failures.Reset), Better: "lower"},
		{Unit: "ns/op", Value: perTransaction, Better: "lower"},
	}
	if r.open() {
		m = append(m,
			Metric{Unit: "unsent", Value: float64(r.Unsent), Better: "lower"},
			Metric{Unit: "svc-p50-ms", Value: ms(r.Service.P50), Better: "lower"},
			Metric{Unit: "svc-p99-ms", Value: ms(r.Service.P99), Better: "lower"},
		)
	}
	return m
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// A field is one line of a report in either layout: its text label and
// value, and its JSON key and value.
type field struct {
	label, text string
	key, json   string
}

// fields lists the report's lines in order: siege's twelve, in siege's
// layout (two decimals, seconds and MiB), then what siege does not give.
// The text gives percentiles in milliseconds, where siege's two decimals
// of a second would print 0.00 on loopback; the JSON gives them in
// seconds, siege's unit, to the microsecond, and ends with the exact sums
// and the histograms that ReadJSON needs to merge reports.
func (r *Report) fields() (siege, beyond []field) {
	num := func(label, key string, format string, v any) field {
		s := fmt.Sprintf(format, v)
		return field{label: label, text: s, key: key, json: s}
	}
	unit := func(label, key string, v float64, u string) field {
		s := fmt.Sprintf("%12.2f", v)
		return field{label: label, text: s + " " + u, key: key, json: s}
	}
	siege = []field{
		{label: "Transactions:", text: fmt.Sprintf("%12d hits", r.Transactions), key: "transactions", json: fmt.Sprintf("%12d", r.Transactions)},
		unit("Availability:", "availability", r.Availability, "%"),
		unit("Elapsed time:", "elapsed_time", r.Elapsed.Seconds(), "secs"),
		unit("Data transferred:", "data_transferred", r.DataTransferred, "MB"),
		unit("Response time:", "response_time", r.ResponseTime.Seconds(), "secs"),
		unit("Transaction rate:", "transaction_rate", r.TransactionRate, "trans/sec"),
		unit("Throughput:", "throughput", r.Throughput, "MB/sec"),
		num("Concurrency:", "concurrency", "%12.2f", r.Concurrency),
		num("Successful transactions:", "successful_transactions", "%12d", r.Successful),
		num("Failed transactions:", "failed_transactions", "%12d", r.Failed),
		num("Longest transaction:", "longest_transaction", "%12.2f", r.Longest.Seconds()),
		num("Shortest transaction:", "shortest_transaction", "%12.2f", r.Shortest.Seconds()),
	}
	pct := func(label, key string, d time.Duration) field {
		return field{
			label: label, text: fmt.Sprintf("%12.3f ms", ms(d)),
			key: key, json: fmt.Sprintf("%12.6f", d.Seconds()),
		}
	}
	beyond = []field{
		{label: "Model:", text: r.Describe(), key: "model", json: fmt.Sprintf("%q", r.Describe())},
	}
	if r.Settings.Protocol != "" {
		beyond = append(beyond, field{label: "Protocol:", text: r.Settings.protocolText(), key: "protocol", json: fmt.Sprintf("%q", r.Settings.Protocol)})
	}
	beyond = append(beyond,
		pct("Response time p50:", "response_time_p50", r.P50),
		pct("Response time p90:", "response_time_p90", r.P90),
		pct("Response time p99:", "response_time_p99", r.P99),
		pct("Response time p99.9:", "response_time_p999", r.P999),
	)
	if r.open() {
		beyond = append(beyond,
			pct("Service time p50:", "service_time_p50", r.Service.P50),
			pct("Service time p90:", "service_time_p90", r.Service.P90),
			pct("Service time p99:", "service_time_p99", r.Service.P99),
			pct("Service time p99.9:", "service_time_p999", r.Service.P999),
			pct("Service time max:", "service_time_max", r.Service.Max),
			num("Unsent:", "unsent", "%12d", r.Unsent),
			num("Peak in flight:", "peak_in_flight", "%12d", r.PeakInFlight),
			unit("Drain time:", "drain_time", r.Drain.Seconds(), "secs"),
		)
	}
	beyond = append(beyond, num("Cut at the end:", "cut", "%12d", r.Cut))
	for _, k := range failureKinds {
		beyond = append(beyond, num(k.label, k.key, "%12d", *k.count(&r.Failures)))
	}
	return siege, beyond
}

// WriteText writes the report in siege's text layout: siege's twelve lines,
// byte for byte as siege prints them (times in seconds, sizes in MiB, two
// decimals), without the blank lines siege prints around them; then a blank
// line and the figures beyond siege, aligned as siege aligns its own. In the
// open loop, the model line says that response times are corrected.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	siege, beyond := r.fields()
	line := func(f field) {
		bw.WriteString(f.label)
		bw.WriteString(tabsTo(len(f.label), 24))
		bw.WriteString(f.text)
		bw.WriteByte('\n')
	}
	for _, f := range siege {
		line(f)
	}
	bw.WriteByte('\n')
	for _, f := range beyond {
		if f.key == "model" && r.open() {
			f.text += "; response times from each request's intended send (corrected)"
		}
		line(f)
	}
	r.writeStagesText(bw)
	r.writeURLsText(bw)
	return bw.Flush()
}

// WriteJSON writes the report as siege -j prints it, one JSON object with
// siege's twelve field names first, in siege's order and layout, and the
// figures beyond siege as more fields of the same object, so that any JSON
// reader takes it. Its last fields carry what ReadJSON needs to merge
// reports exactly: the sums in nanoseconds and the histograms in
// HdrHistogram's standard compressed encoding (base64, V2).
func (r *Report) WriteJSON(w io.Writer) error {
	siege, beyond := r.fields()
	settings, err := json.Marshal(r.Settings)
	if err != nil {
		return fmt.Errorf("load: encode settings: %w", err)
	}
	ps := r.Parts
	if ps == nil {
		ps = []Part{} // a report made by hand: [] rather than null
	}
	parts, err := json.Marshal(ps)
	if err != nil {
		return fmt.Errorf("load: encode parts: %w", err)
	}
	exact := []field{
		{key: "settings", json: string(settings)},
		{key: "parts", json: string(parts)},
		{key: "users", json: fmt.Sprintf("%12d", r.Users)},
		{key: "rate", json: fmt.Sprintf("%g", r.Rate)},
		{key: "bytes", json: fmt.Sprintf("%12d", r.Bytes)},
		{key: "elapsed_ns", json: fmt.Sprint(r.Elapsed.Nanoseconds())},
		{key: "time_total_ns", json: fmt.Sprint(r.total.Nanoseconds())},
		{key: "shortest_ns", json: fmt.Sprint(r.Shortest.Nanoseconds())},
		{key: "longest_ns", json: fmt.Sprint(r.Longest.Nanoseconds())},
	}
	if r.open() {
		exact = append(exact,
			field{key: "drain_ns", json: fmt.Sprint(r.Drain.Nanoseconds())},
			field{key: "service_max_ns", json: fmt.Sprint(r.Service.Max.Nanoseconds())},
		)
	}
	for _, h := range []struct {
		key  string
		hist *hdrhistogram.PackedHistogram
	}{{"histogram", r.latency}, {"service_histogram", r.service}} {
		if h.hist == nil {
			continue
		}
		enc, err := h.hist.Encode()
		if err != nil {
			return fmt.Errorf("load: encode %s: %w", h.key, err)
		}
		exact = append(exact, field{key: h.key, json: fmt.Sprintf("%q", enc)})
	}
	if len(r.Stages) > 0 {
		stages, err := r.stagesJSON()
		if err != nil {
			return err
		}
		exact = append(exact, field{key: "stages", json: stages})
	}
	if len(r.URLs) > 0 {
		urls, err := r.urlsJSON()
		if err != nil {
			return err
		}
		exact = append(exact, field{key: "urls", json: urls})
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("{\n")
	for i, f := range append(append(siege, beyond...), exact...) {
		if i > 0 {
			bw.WriteString(",\n")
		}
		key := `"` + f.key + `":`
		bw.WriteString("\t" + key + tabsTo(8+len(key), 40) + f.json)
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// tabsTo returns the tabs that take a line from column col to column to,
// with a tab stop every 8 columns, as siege aligns its values.
func tabsTo(col, to int) string {
	var tabs []byte
	for col < to {
		col = (col/8 + 1) * 8
		tabs = append(tabs, '\t')
	}
	return string(tabs)
}

// jsonReport is what ReadJSON reads of WriteJSON's object: the counts and
// the exact sums, from which every other figure follows.
type jsonReport struct {
	Settings     *Settings   `json:"settings"`
	Parts        []Part      `json:"parts"`
	Transactions int         `json:"transactions"`
	Successful   int         `json:"successful_transactions"`
	Failed       int         `json:"failed_transactions"`
	Users        int         `json:"users"`
	Rate         float64     `json:"rate"`
	Bytes        int64       `json:"bytes"`
	Unsent       int         `json:"unsent"`
	Cut          int         `json:"cut"`
	PeakInFlight int         `json:"peak_in_flight"`
	ElapsedNS    *int64      `json:"elapsed_ns"`
	TotalNS      int64       `json:"time_total_ns"`
	ShortestNS   int64       `json:"shortest_ns"`
	LongestNS    int64       `json:"longest_ns"`
	DrainNS      int64       `json:"drain_ns"`
	ServiceMaxNS int64       `json:"service_max_ns"`
	Histogram    string      `json:"histogram"`
	ServiceHist  string      `json:"service_histogram"`
	URLs         []jsonURL   `json:"urls"`
	Stages       []jsonStage `json:"stages"`
}

// MaxReportBytes bounds what ReadJSON reads of one report: twice the
// largest a run writes, two full histograms (each at most 28,672 buckets)
// and MaxParts parts.
const MaxReportBytes = 4 << 20

// ReadJSON reads a report that WriteJSON wrote, with everything needed to
// merge it, and checks that a run could have made it (see Merger.Add). It
// refuses siege's own JSON, which lacks the exact sums and the histogram.
// It reads at most MaxReportBytes, and decodes only histograms of the
// driver's own geometry, so that memory stays bounded whatever it is
// given.
func ReadJSON(rd io.Reader) (*Report, error) {
	b, err := io.ReadAll(io.LimitReader(rd, MaxReportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("load: read report: %w", err)
	}
	if len(b) > MaxReportBytes {
		return nil, fmt.Errorf("load: read report: more than %d bytes: not a report of WriteJSON's (gosiege -j)", MaxReportBytes)
	}
	var j jsonReport
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("load: read report: %w", err)
	}
	if j.ElapsedNS == nil || j.Histogram == "" || j.Settings == nil || j.Parts == nil {
		return nil, errors.New("load: read report: no settings, parts, elapsed_ns or histogram: not written by load.Report.WriteJSON (gosiege -j)")
	}
	r := &Report{
		Settings: *j.Settings, Parts: j.Parts,
		Transactions: j.Transactions, Successful: j.Successful, Failed: j.Failed,
		Users: j.Users, Rate: j.Rate, Bytes: j.Bytes, Unsent: j.Unsent, Cut: j.Cut, PeakInFlight: j.PeakInFlight,
		Elapsed: time.Duration(*j.ElapsedNS), total: time.Duration(j.TotalNS),
		Shortest: time.Duration(j.ShortestNS), Longest: time.Duration(j.LongestNS),
		Drain: time.Duration(j.DrainNS), Service: Percentiles{Max: time.Duration(j.ServiceMaxNS)},
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("load: read report: %w", err)
	}
	for _, k := range failureKinds {
		if v, ok := raw[k.key]; ok {
			if err := json.Unmarshal(v, k.count(&r.Failures)); err != nil {
				return nil, fmt.Errorf("load: read report: %s: %w", k.key, err)
			}
		}
	}
	if r.latency, err = decodeHistogram(j.Histogram); err != nil {
		return nil, fmt.Errorf("load: read report: histogram: %w", err)
	}
	if j.ServiceHist != "" {
		if r.service, err = decodeHistogram(j.ServiceHist); err != nil {
			return nil, fmt.Errorf("load: read report: service_histogram: %w", err)
		}
	}
	if r.URLs, err = readURLs(j.URLs, r); err != nil {
		return nil, fmt.Errorf("load: read report: %w", err)
	}
	if r.Stages, err = readStages(j.Stages); err != nil {
		return nil, fmt.Errorf("load: read report: %w", err)
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("load: read report: %w", err)
	}
	r.fill()
	return r, nil
}

// WriteBenchmark writes the report as one result line of a Go benchmark
// named name ("BenchmarkLoad/io/users=50-2"): one iteration, then each of
// Metrics as value and unit, in go test's layout, so that benchstat reads
// a run of the driver as it reads a run of go test -bench.
func (r *Report) WriteBenchmark(w io.Writer, name string) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(name + "\t1")
	for _, m := range r.Metrics() {
		bw.WriteString("\t" + benchValue(m.Value) + " " + m.Unit)
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

// benchValue formats a value as the testing package does: every number to
// about four significant figures, fewer decimals the larger it is.
func benchValue(x float64) string {
	switch y := math.Abs(x); {
	case y == 0 || y >= 999.95:
		return fmt.Sprintf("%.0f", x)
	case y >= 99.995:
		return fmt.Sprintf("%.1f", x)
	case y >= 9.9995:
		return fmt.Sprintf("%.2f", x)
	case y >= 0.99995:
		return fmt.Sprintf("%.3f", x)
	case y >= 0.099995:
		return fmt.Sprintf("%.4f", x)
	case y >= 0.0099995:
		return fmt.Sprintf("%.5f", x)
	case y >= 0.00099995:
		return fmt.Sprintf("%.6f", x)
	}
	return fmt.Sprintf("%.7f", x)
}
