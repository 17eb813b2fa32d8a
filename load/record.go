package load

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The histograms' geometry: 1 µs to 24 h at 3 significant digits, the same
// in every run and process, so that histograms merge exactly. A recorded
// time is within 0.1 % (and 1 µs) of the time measured; a percentile is the
// largest time of its bucket, never below the exact one.
const (
	histUnit   = time.Microsecond
	histMax    = 24 * time.Hour
	histDigits = 3
)

func newHistogram() *hdrhistogram.PackedHistogram {
	return hdrhistogram.NewPacked(1, int64(histMax/histUnit), histDigits)
}

// A failure is the kind of a failed transaction; see Failures.
type failure int

const (
	refused failure = iota
	connectTimedOut
	timedOut
	reset
	status5xx
	headerTooLarge
	protocol
	fdLimit
	other
)

// failureKinds lists the kinds, indexed by failure, in the order the report
// prints them: each with its text label, its JSON key and its counter in a
// Failures.
var failureKinds = [...]struct {
	label, key string
	count      func(*Failures) *int
}{
	refused:         {"Failed, refused:", "failed_refused", func(f *Failures) *int { return &f.Refused }},
	connectTimedOut: {"Failed, conn timeout:", "failed_connect_timeout", func(f *Failures) *int { return &f.ConnectTimeout }},
	timedOut:        {"Failed, timeout:", "failed_timeout", func(f *Failures) *int { return &f.Timeout }},
	reset:           {"Failed, reset:", "failed_reset", func(f *Failures) *int { return &f.Reset }},
	status5xx:       {"Failed, status 5xx:", "failed_status_5xx", func(f *Failures) *int { return &f.Status5xx }},
	headerTooLarge:  {"Failed, header size:", "failed_header_too_large", func(f *Failures) *int { return &f.HeaderTooLarge }},
	protocol:        {"Failed, protocol:", "failed_protocol", func(f *Failures) *int { return &f.Protocol }},
	fdLimit:         {"Failed, fd limit:", "failed_fd_limit", func(f *Failures) *int { return &f.FDLimit }},
	other:           {"Failed, other:", "failed_other", func(f *Failures) *int { return &f.Other }},
}

// Failures counts failed transactions by kind.
type Failures struct {
	// Refused: the connection was refused (nothing listened).
	Refused int
	// ConnectTimeout: the transaction's deadline (Config.Timeout) passed
	// before its connection was made: the server's kernel dropped the SYN
	// (its accept queue was full, as a listen backlog overflows) or no
	// answer came back.
	ConnectTimeout int
	// Timeout: the transaction's deadline had passed when it failed after
	// its connection was made, whatever the error: a TLS handshake, a
	// write, a response that did not come, or headers trickled past it.
	Timeout int
	// Reset: the connection was reset, or closed by the server before the
	// response was complete (before the headers, or with the body cut
	// short).
	Reset int
	// Status5xx: the server answered 500-509, which siege counts as
	// failed. 510 and above are hits in siege, and here.
	Status5xx int
	// HeaderTooLarge: the response's headers (with any 1xx responses
	// before it) exceeded Config.MaxHeaderBytes.
	HeaderTooLarge int
	// Protocol: the response was not HTTP: a malformed status line or
	// header, a status below 100, a 101 Switching Protocols that nobody
	// asked for, or more 1xx responses than net/http accepts (5); or, to
	// https, the server's answer to the handshake was not TLS.
	Protocol int
	// FDLimit: the driver could not open a socket because the process (or
	// the system) ran out of file descriptors (EMFILE, ENFILE). It is the
	// client's failure, not the server's.
	FDLimit int
	// Other: any other failure, such as a redirect to a host the dialer
	// refuses, and the status 408 Request Timeout: the server giving up on
	// the request, not the client's timeout, so it is not counted under
	// Timeout; it is a failing status like a 5xx, but not a 5xx.
	Other int
}

// Timeouts is the number of transactions that the deadline ended,
// connecting or after: ConnectTimeout + Timeout.
func (f Failures) Timeouts() int { return f.ConnectTimeout + f.Timeout }

// Total is the number of failed transactions of every kind.
func (f Failures) Total() int {
	n := 0
	for _, k := range failureKinds {
		n += *k.count(&f)
	}
	return n
}

func (f *Failures) add(g Failures) {
	for _, k := range failureKinds {
		*k.count(f) += *k.count(&g)
	}
}

func (f *Failures) count(kind failure) {
	*failureKinds[kind].count(f)++
}

// Errors that the driver itself gives a transaction.
var (
	errHeaderTooLarge = errors.New("response headers too large")
	errProtocol       = errors.New("not an HTTP response")
)

// classify returns the kind of a transaction's failure err, given whether
// its deadline had passed when it failed.
func classify(err error, pastDeadline bool) failure {
	var nerr net.Error
	var connecting *connectError
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return fdLimit
	case (pastDeadline || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &nerr) && nerr.Timeout()) &&
		errors.As(err, &connecting):
		return connectTimedOut
	// A parser that meets the deadline in the middle of a line may
	// surface its own complaint rather than the timeout: the clock
	// decides.
	case pastDeadline:
		return timedOut
	case errors.Is(err, syscall.ECONNREFUSED):
		return refused
	case errors.Is(err, errHeaderTooLarge):
		return headerTooLarge
	case errors.Is(err, errProtocol), errors.As(err, new(tls.RecordHeaderError)):
		// The answer was not HTTP, or, to https, not TLS.
		return protocol
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, errReset):
		return reset
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return timedOut
	}
	return other
}

// A recorder is what one user records (one slot, in the open loop). Only
// the user's goroutine writes it; mu lets the progress hook read it while
// the run lasts.
type recorder struct {
	mu         sync.Mutex
	hits       int
	failed     int
	successful int
	bytes      int64
	total      time.Duration // T: the response times of buckets 2 and 3
	shortest   time.Duration
	longest    time.Duration
	latency    *hdrhistogram.PackedHistogram // response times
	service    *hdrhistogram.PackedHistogram // service times, in the open loop; nil in the closed
	svcLongest time.Duration
	failures   Failures
	cuts       int // transactions cut by the run's end, not counted
}

func newRecorder(m Model) *recorder {
	r := &recorder{latency: newHistogram()}
	if m == OpenLoop {
		r.service = newHistogram()
	}
	return r
}

// timed records a transaction that got a response (siege's buckets 2 and
// 3): its response time (from the intended send, in the open loop), its
// service time (from the actual send), its body's length and its status.
func (r *recorder) timed(response, service time.Duration, bytes int64, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.latency.TotalCount() == 0 || response < r.shortest {
		r.shortest = response
	}
	r.longest = max(r.longest, response)
	r.total += response
	r.bytes += bytes
	record(r.latency, response)
	if r.service != nil {
		record(r.service, service)
		r.svcLongest = max(r.svcLongest, service)
	}
	switch {
	case code == 408:
		r.failed++
		r.failures.Other++
	case failedStatus(code):
		r.failed++
		r.failures.Status5xx++
	default:
		r.hits++
		if code < 400 || code == 401 || code == 407 {
			r.successful++
		}
	}
}

// fail records a transaction that got no response (siege's bucket 1): no
// time, no bytes.
func (r *recorder) fail(kind failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	r.failures.count(kind)
}

// cut records a transaction that the end of the run cut: neither a hit
// nor a failure.
func (r *recorder) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cuts++
}

// failedStatus reports whether siege counts a response with this status as
// failed (bucket 2): 408 or 500-509.
func failedStatus(code int) bool {
	return code == 408 || (code >= 500 && code <= 509)
}

func record(h *hdrhistogram.PackedHistogram, d time.Duration) {
	// The geometry holds every time up to histMax; a longer one (a run of
	// more than a day) is held as histMax rather than lost. A time is
	// rounded up to whole units, so that the value a bucket reports is
	// never below a time it holds: 67.2µs is held as 68µs, and a
	// percentile is never below the exact shortest.
	d = min(max(d, 0), histMax)
	_ = h.RecordValue(int64((d + histUnit - 1) / histUnit))
}

// percentile returns the p-th percentile of h by nearest rank: the time of
// rank ceil(p/100 x n), counting from 1, as the largest time of its bucket,
// but never beyond longest, the exact maximum. p has at most one decimal
// (99.9).
func percentile(h *hdrhistogram.PackedHistogram, p float64, longest time.Duration) time.Duration {
	n := h.TotalCount()
	if n == 0 {
		return 0
	}
	rank := max((int64(math.Round(p*10))*n+999)/1000, 1)
	// ValueAtPercentile takes the rank round(q/100 x n): ask for the q
	// that lands on rank exactly.
	v := time.Duration(h.ValueAtPercentile(100*float64(rank)/float64(n))) * histUnit
	return min(v, longest)
}
