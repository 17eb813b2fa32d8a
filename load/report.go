package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"syscall"
	"time"
)

// mib is siege's "MB": 2^20 bytes.
const mib = 1 << 20

// Report is what a run measured: siege's twelve fields, computed exactly as
// siege computes them, and a few more that siege does not give.
//
// In the formulas, H is the number of hits (bucket 3), F the number of
// failed transactions (buckets 1 and 2), T the sum of the times of buckets 2
// and 3, E the elapsed time of the run and B the body bytes received. A
// ratio whose denominator is 0 is 0, as in siege.
type Report struct {
	// Transactions is H, siege's hits: responses that are neither a socket
	// failure nor a failing status.
	Transactions int
	// Availability is H / (H + F) x 100, in percent; a 5xx lowers it.
	Availability float64
	// Elapsed is E, from before the users start to after all have ended;
	// the warm-up is not part of it.
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
	// Longest is the longest time among buckets 2 and 3.
	Longest time.Duration
	// Shortest is the shortest time among buckets 2 and 3, 0 when there
	// were none.
	Shortest time.Duration

	// Bytes is B, the body bytes of buckets 2 and 3.
	Bytes int64
	// P50, P90 and P99 are percentiles of the times of buckets 2 and 3,
	// by nearest rank over every recorded time (not estimated from a
	// histogram or a mean): the smallest time that at least that
	// percentage of the transactions did not exceed. 0 when there were
	// none.
	P50, P90, P99 time.Duration
	// Failures counts the failed transactions by kind; the kinds add up
	// to Failed.
	Failures Failures
}

// Failures counts failed transactions by kind.
type Failures struct {
	// Refused: the connection was refused (nothing listened).
	Refused int
	// Timeout: the transaction's own timeout (Config.Timeout) ended it,
	// or the connection attempt timed out.
	Timeout int
	// Reset: the connection was reset, or closed by the server before the
	// response was complete (before the request was written, before the
	// headers, or with the body cut short).
	Reset int
	// Status5xx: the server answered 500-509, which siege counts as
	// failed. 510 and above are hits in siege, and here.
	Status5xx int
	// Other: any other failure, and the status 408 Request Timeout. A 408
	// is the server giving up on the request, not the client's timeout, so
	// it is not counted under Timeout; it is a failing status like a 5xx,
	// but not a 5xx.
	Other int
}

// count adds the socket failure err, of a transaction that did not reach
// its own timeout, to the right kind.
func (f *Failures) count(err error) {
	var nerr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		f.Refused++
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		f.Reset++
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		f.Timeout++
	default:
		f.Other++
	}
}

func (f *Failures) add(g Failures) {
	f.Refused += g.Refused
	f.Timeout += g.Timeout
	f.Reset += g.Reset
	f.Status5xx += g.Status5xx
	f.Other += g.Other
}

// Total is the number of failed transactions of every kind.
func (f Failures) Total() int { return f.Refused + f.Timeout + f.Reset + f.Status5xx + f.Other }

// newReport merges what the users recorded into a report of a run that took
// elapsed.
func newReport(users []*user, elapsed time.Duration) *Report {
	r := &Report{Elapsed: elapsed}
	var total time.Duration
	var n int
	for _, u := range users {
		n += len(u.times)
	}
	times := make([]time.Duration, 0, n)
	for _, u := range users {
		r.Transactions += u.hits
		r.Failed += u.failed
		r.Successful += u.successful
		r.Bytes += u.bytes
		r.Failures.add(u.failures)
		total += u.total
		times = append(times, u.times...)
	}
	slices.Sort(times)
	r.fill(total, times)
	return r
}

// fill computes the derived fields from H, F, B, E (already in r), T and
// the sorted times of buckets 2 and 3.
func (r *Report) fill(total time.Duration, times []time.Duration) {
	h := r.Transactions
	if h > 0 {
		r.Availability = float64(h) / float64(h+r.Failed) * 100
		r.ResponseTime = total / time.Duration(h)
	}
	r.DataTransferred = float64(r.Bytes) / mib
	if e := r.Elapsed.Seconds(); e > 0 {
		r.TransactionRate = float64(h) / e
		r.Throughput = float64(r.Bytes) / mib / e
		r.Concurrency = total.Seconds() / e
	}
	if len(times) > 0 {
		r.Shortest = times[0]
		r.Longest = times[len(times)-1]
		r.P50 = percentile(times, 50)
		r.P90 = percentile(times, 90)
		r.P99 = percentile(times, 99)
	}
}

// percentile returns the p-th percentile of sorted by nearest rank: the
// element at rank ceil(p/100 x n), counting from 1.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
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
//	trans/s      TransactionRate
//	avail-%      Availability
//	resp-ms      ResponseTime, in milliseconds
//	concurrency  Concurrency
//	longest-ms   Longest, in milliseconds
//	p99-ms       P99, in milliseconds
//	failed       Failed
//	ns/op        Elapsed / Transactions: one op is one transaction, so that
//	             benchstat's sec/op is the inverse of trans/s
//
// A figure whose denominator is 0 is 0, as in siege; a 0 ns/op makes the
// testing package leave ns/op out rather than report a run's length.
func (r *Report) Metrics() []Metric {
	perTransaction := 0.0
	if r.Transactions > 0 {
		perTransaction = float64(r.Elapsed.Nanoseconds()) / float64(r.Transactions)
	}
	return []Metric{
		{Unit: "trans/s", Value: r.TransactionRate, Better: "higher"},
		{Unit: "avail-%", Value: r.Availability, Better: "higher"},
		{Unit: "resp-ms", Value: ms(r.ResponseTime), Better: "lower"},
		{Unit: "concurrency", Value: r.Concurrency},
		{Unit: "longest-ms", Value: ms(r.Longest), Better: "lower"},
		{Unit: "p99-ms", Value: ms(r.P99), Better: "lower"},
		{Unit: "failed", Value: float64(r.Failed), Better: "lower"},
		{Unit: "ns/op", Value: perTransaction, Better: "lower"},
	}
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WriteText writes the report in siege's text layout: siege's twelve lines,
// byte for byte as siege prints them (times in seconds, sizes in MiB, two
// decimals), without the blank lines siege prints around them. The fields
// beyond siege are in the Report, not in the text.
func (r *Report) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, ""+
		"Transactions:\t\t%12d hits\n"+
		"Availability:\t\t%12.2f %%\n"+
		"Elapsed time:\t\t%12.2f secs\n"+
		"Data transferred:\t%12.2f MB\n"+
		"Response time:\t\t%12.2f secs\n"+
		"Transaction rate:\t%12.2f trans/sec\n"+
		"Throughput:\t\t%12.2f MB/sec\n"+
		"Concurrency:\t\t%12.2f\n"+
		"Successful transactions:%12d\n"+
		"Failed transactions:\t%12d\n"+
		"Longest transaction:\t%12.2f\n"+
		"Shortest transaction:\t%12.2f\n",
		r.Transactions, r.Availability, r.Elapsed.Seconds(), r.DataTransferred,
		r.ResponseTime.Seconds(), r.TransactionRate, r.Throughput, r.Concurrency,
		r.Successful, r.Failed, r.Longest.Seconds(), r.Shortest.Seconds())
	return err
}

// WriteJSON writes the report as siege -j prints it: one JSON object with
// siege's twelve field names, in siege's order and layout. The fields beyond
// siege are in the Report, not in the JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	_, err := fmt.Fprintf(w, "{\n"+
		"\t\"transactions\":\t\t\t%12d,\n"+
		"\t\"availability\":\t\t\t%12.2f,\n"+
		"\t\"elapsed_time\":\t\t\t%12.2f,\n"+
		"\t\"data_transferred\":\t\t%12.2f,\n"+
		"\t\"response_time\":\t\t%12.2f,\n"+
		"\t\"transaction_rate\":\t\t%12.2f,\n"+
		"\t\"throughput\":\t\t\t%12.2f,\n"+
		"\t\"concurrency\":\t\t\t%12.2f,\n"+
		"\t\"successful_transactions\":\t%12d,\n"+
		"\t\"failed_transactions\":\t\t%12d,\n"+
		"\t\"longest_transaction\":\t\t%12.2f,\n"+
		"\t\"shortest_transaction\":\t\t%12.2f\n"+
		"}\n",
		r.Transactions, r.Availability, r.Elapsed.Seconds(), r.DataTransferred,
		r.ResponseTime.Seconds(), r.TransactionRate, r.Throughput, r.Concurrency,
		r.Successful, r.Failed, r.Longest.Seconds(), r.Shortest.Seconds())
	return err
}
