// Package load is an HTTP load driver that reports what siege reports, with
// siege's exact definitions, and what siege cannot see.
//
// # Two models of load
//
// In the closed loop (siege's, wrk's, and the default), C users each send a
// request, read the whole response, record it and send the next, with no
// think time (siege -b). The run lasts a duration (siege -t) or a number of
// transactions per user (siege -r). When the server stalls, the users stall
// with it, so the requests that the stall delayed are never sent and the
// percentiles never see the stall: the load coordinates with the server it
// measures (coordinated omission).
//
// In the open loop (Config.Rate; wrk2 -R, vegeta -rate), requests are due on
// a fixed schedule, R a second in all, whether or not earlier ones have been
// answered, and at most C are in flight at once: a request whose time comes
// while every slot is busy waits for the next free one, first come first
// served. Its response time runs from its intended send, so a stall is
// charged to every request it delayed; the service time, from the actual
// send, is reported beside it. A request that has not found a slot when the
// schedule ends is unsent, neither a hit nor a failure; requests in flight
// then finish within their own timeout and are counted, so that hits,
// failures and unsent add up to the schedule. The schedule is arithmetic
// that cannot overflow, for rates from MinRate to MaxRate, and its unsent
// are counted in one step, so that a run ends within its length and its
// timeout at any rate. Interrupted, it counts the requests due until then:
// hits, failures, unsent and those the interruption cut. Go's timers can fire a
// millisecond late, which would count as queueing: a slot waits the last
// stretch before a request's time with the system's sleep, and the last
// 50 µs spinning, so that requests leave within tens of microseconds of
// their time.
//
// Each transaction has a timeout; a warm-up can run first and is not
// counted. By default every transaction opens a new TCP connection and sends
// Connection: close, as siege does; with KeepAlive each user (each slot)
// reuses its connection, as wrk, hey and vegeta do.
//
// # What a transaction is
//
// The clock starts before the connection is opened and stops after the body
// has been read to its end. Each transaction ends in one of siege's three
// buckets:
//
//  1. A socket failure: the connection was refused, reset or closed early,
//     the transaction timed out, the response was not HTTP or its headers
//     too large, or anything else kept a complete response from arriving.
//     Failed; no time and no bytes are recorded.
//  2. Status 408 or 500-509: time and bytes are recorded, but the
//     transaction is failed, not a hit.
//  3. Anything else: a hit. A redirect is followed as siege follows it, with
//     each hop a transaction of its own.
//
// 1xx responses before the final one are read and skipped, as net/http's
// Transport skips them; a 101 is a protocol failure, since the driver never
// asks to switch protocols. The Report's twelve siege fields follow from the
// buckets as siege computes them; see Report.
//
// # What a hostile server cannot do
//
// A server cannot make the driver read more than Config.MaxHeaderBytes of
// response headers per transaction (1 MB by default, as net/http's
// Transport), each line counted at what parsing it costs, so that a user
// holds at most about 3 x MaxHeaderBytes of them however many lines they
// have; nor read a body into memory (bodies are counted and thrown away),
// nor hold a transaction past its timeout. Response times go into HDR
// histograms of fixed size, so memory does not grow with the run's length.
//
// A request is sent again, once, on a new connection, only when it was
// never sent: its kept-alive connection would not take it (the write
// failed). Before a request goes on a kept-alive connection that has been
// idle for a millisecond or more, the driver checks that nothing has come
// on it since its last answer, neither bytes nor the server's close, and
// opens a new one if something has: servers close idle connections after
// their idle timeout. Any failure after the request was written, a reset
// after the server read it among them, is counted as the failure it is, in
// the closed loop and the open loop alike.
//
// # Ramps
//
// An open loop's rate can change in stages (Config.Stages): each stage
// starts at the whole nanosecond at which the stages before it end, and
// its request j is due j/rate after that, so that no stage's rounding
// moves another's times and each intends exactly the requests of a run of
// its own. A request is counted in the stage it was due in, hit, failure
// or unsent, and its time runs from its intended send, so that a backlog
// left by one stage is charged to the next. The report gives each stage's
// rate achieved and percentiles (Report.Stages).
//
// # One run across processes
//
// A load larger than one process (or machine) can carry is split into
// parts, each with its share of the users and the rate, and the same
// settings: by hand, or as shards (Config.Shard), each of which takes its
// share itself, so that the shards together send what the one run would
// have sent: its users, its schedule to the nanosecond (shard k of n sends
// the run's requests k, k+n, ...) and its list of targets. Each part's
// report, written with WriteJSON, carries what its run was asked to do
// (Settings, for a shard the whole run's), which run it was (Parts: its
// identity, start and end, shard, host and version) and its histograms; a
// Merger adds the parts' reports one at a time into the report of one
// run, and refuses, with its reason, a report that no run could have made,
// a part or a shard twice, reports of other settings, shards that did not
// run at the same time, a run of shards with one missing, and sums that
// overflow. ReadJSON and the Merger bound their memory whatever they are
// given: MaxReportBytes a report, MaxParts parts, MaxURLs rows and
// MaxStages stages, histograms of the driver's own geometry only.
//
// # Connections
//
// Each user owns its connection, as a siege user owns its socket. net/http
// does all of HTTP: Request.Write puts the request on the wire and
// ReadResponse reads the answer; the driver only dials, closes, and sets the
// connection's deadline to the transaction's timeout. It does not go through
// an http.Transport, whose shared pool and goroutines per request cost the
// driver more CPU than a hello server spends answering: on a machine whose
// cores the driver shares with the server, the driver's cost comes out of
// the server's rate.
//
// # Requests and protocols
//
// A run makes one GET of Config.URL, or the requests of Config.Targets,
// each with its method, headers and body, which each user takes in turn or
// at random; the report counts each method and URL apart (Report.URLs).
// Each request is built and written once, so that a header or a body costs
// a transaction nothing. With Config.HTTP2 the requests are HTTP/2 streams,
// Config.Streams users to a connection, through x/net/http2's ClientConn
// on connections the driver dials itself (see h2.go).
//
// siege's failure threshold (it stops after 1024 failures) is not applied:
// a run ends only by its duration, its repetitions or its context.
package load

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultTimeout is siege's timeout, used when Config.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// DefaultMaxHeaderBytes bounds a response's headers when
// Config.MaxHeaderBytes is 0: net/http's Transport's bound.
const DefaultMaxHeaderBytes = 1 << 20

// MaxHeaderBytesLimit is the most Config.MaxHeaderBytes may raise the bound
// to: net/http's hard cap.
const MaxHeaderBytesLimit = 10 << 20

// MaxTimeout is the longest Config.Timeout: a day, the longest time the
// histograms hold.
const MaxTimeout = histMax

// MinRate and MaxRate bound Config.Rate, in requests a second. The
// schedule counts nanoseconds in a time.Duration: one request in 31.7
// years is the slowest rate whose interval a Duration holds (it holds 292
// years; the bound is rounded to a power of ten), one a nanosecond the
// fastest whose requests each have a time of their own.
const (
	MinRate = 1e-9
	MaxRate = 1e9
)

// maxHops bounds how many redirects one repetition follows, as net/http's
// client does by default.
const maxHops = 10

// max1xx bounds the informational responses before a final one, as
// net/http's Transport bounds them.
const max1xx = 5

// checkIdle is how long a kept-alive connection must have been idle before
// a request for the driver to check that the server has not closed it
// meanwhile. The check is a system call; a closed loop reuses its
// connections within microseconds, and servers close idle connections
// after seconds (Apache and Node.js after 5, nginx after 75).
const checkIdle = time.Millisecond

// Config is one load run: siege's flags as fields, and the open loop's.
type Config struct {
	// URL is the target, a GET; http:// or https:// only (see
	// ParseURL). Userinfo, as in http://user:pass@host/, is sent as Basic
	// authentication, as siege sends it, and never printed.
	URL string
	// Targets, in place of URL, are the requests to make, each with its
	// method, headers and body (siege's URL file). Each user takes them
	// in turn from its own place in the list (user i of C starts at i x
	// len/C, so that the users spread over it as siege's do), or at
	// random with Random. The report counts each method and URL apart
	// (Report.URLs); a redirect's hops count under the target that led
	// to them.
	Targets []Target
	// Random makes each user pick every repetition's target at random
	// among Targets, each as likely (siege -i, its "internet" mode).
	Random bool
	// Users is C. In the closed loop it is the number of concurrent
	// users, each in a closed loop (siege -c); in the open loop, the most
	// requests in flight at once (the slots, each with its connection).
	// At least 1.
	Users int
	// Rate, when above 0, makes the run an open loop: Rate requests a
	// second in all, on a fixed schedule, for Duration. 0 is the closed
	// loop.
	Rate float64
	// Stages, in place of Rate, make the open loop a ramp: each stage's
	// rate for its duration, one after the other. Duration is then 0 or
	// their sum. The schedule, the corrected times and the unsent are
	// exact across the stages' boundaries, and the report has a row for
	// each stage (Report.Stages).
	Stages []Stage
	// Duration is the length of the measured run (siege -t). 0: run by
	// Reps, which the open loop cannot.
	Duration time.Duration
	// Reps is the number of repetitions per user (siege -r): each is one
	// transaction, or one per hop when the URL redirects. 0: run for
	// Duration. Both 0 is an error; when both are set, whichever ends first
	// ends the run. Closed loop only.
	Reps int
	// KeepAlive keeps each user's connection open from one transaction to
	// the next: C users, C connections, as wrk -c C. false, siege's
	// default, opens a new connection for every transaction and sends
	// Connection: close.
	KeepAlive bool
	// Timeout bounds every transaction, from before the connection is
	// opened to the end of the body. 0 means DefaultTimeout, siege's 30 s;
	// at most MaxTimeout.
	Timeout time.Duration
	// HTTP2 speaks HTTP/2: over TLS, chosen with ALPN, to https URLs;
	// in cleartext with prior knowledge (h2c) to http URLs. The
	// connections stay open (KeepAlive is implied), and Streams users
	// share each one, each user one stream at a time: Users / Streams
	// connections, dialled when a user first needs one and again when
	// one fails.
	HTTP2 bool
	// Streams is how many users share one HTTP/2 connection (h2load -m,
	// oha -p); 0 means 1. Users must be a multiple of it.
	Streams int
	// Shard makes the run one of Shard.Count shards of one run, each in
	// a process (or on a machine) of its own: it takes its share of
	// Users (over HTTP/2, of the connections), its share of the open
	// loop's requests (shard k of n sends the run's requests k, k+n,
	// k+2n, ... of its schedule, stage after stage, so that the shards'
	// schedules together are the run's), and its share of Targets when
	// there are at least Count of them (dealt: target j goes to shard j
	// mod Count + 1). Its report records the whole run's settings and
	// which shard it was, so that the shards' reports merge into the
	// run's, and only when every shard is there. The zero Shard is the
	// whole run.
	Shard Shard
	// Warmup runs the load this long before the measured run (an open
	// loop's at its first stage's rate); what happens during it is not
	// counted.
	Warmup time.Duration
	// MaxHeaderBytes bounds the bytes of a response's headers, 1xx
	// responses before it included, each line of a head that net/http
	// parses counting 128 bytes more and each of its bytes past its first
	// 4 KB three times: what parsing them costs, so that a user holds at
	// most about 3 x MaxHeaderBytes of headers. 0 means
	// DefaultMaxHeaderBytes; at most MaxHeaderBytesLimit.
	MaxHeaderBytes int64
	// TLSConfig is used for https URLs. nil: certificates are not verified,
	// as siege and wrk do not verify them; a load driver measures a server,
	// it does not authenticate it.
	TLSConfig *tls.Config
	// DialContext, if not nil, opens the connections instead of a
	// net.Dialer: to load a server over an in-memory pipe (as the tests do,
	// in fake time) or a Unix socket, or to refuse some addresses.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Progress, if not nil, is called about once a second while the
	// measured run lasts, from a goroutine of Run's, with the run so far.
	Progress func(Progress)
}

// A Model is how a run sends its requests: in a closed loop or in an open
// one (see the package doc).
type Model int

const (
	// ClosedLoop: each of Config.Users users sends a request, waits for
	// the whole answer and sends the next.
	ClosedLoop Model = iota
	// OpenLoop: requests are due on a schedule, whether or not earlier
	// ones have been answered, with at most Config.Users in flight.
	OpenLoop
)

var modelNames = [...]string{ClosedLoop: "closed loop", OpenLoop: "open loop"}

// String returns "closed loop" or "open loop".
func (m Model) String() string {
	if m < 0 || int(m) >= len(modelNames) {
		return fmt.Sprintf("Model(%d)", int(m))
	}
	return modelNames[m]
}

// MarshalText writes the model as String does, for JSON.
func (m Model) MarshalText() ([]byte, error) {
	if m < 0 || int(m) >= len(modelNames) {
		return nil, fmt.Errorf("load: no such model: %d", int(m))
	}
	return []byte(modelNames[m]), nil
}

// UnmarshalText reads what MarshalText wrote.
func (m *Model) UnmarshalText(b []byte) error {
	for i, name := range modelNames {
		if string(b) == name {
			*m = Model(i)
			return nil
		}
	}
	return fmt.Errorf("load: model %q: want %q or %q", b, modelNames[ClosedLoop], modelNames[OpenLoop])
}

// Model is the run's model: the open loop when it has a rate or stages,
// the closed loop otherwise.
func (cfg *Config) Model() Model {
	if cfg.Rate != 0 || len(cfg.Stages) > 0 {
		return OpenLoop
	}
	return ClosedLoop
}

// Progress is a run so far, for a live display.
type Progress struct {
	Elapsed time.Duration // since the measured run started
	Length  time.Duration // Config.Duration; 0 for a run by Reps
	// Transactions and Failed count so far, as the Report will.
	Transactions, Failed int
	// Rate is the transactions per second since the last call.
	Rate float64
	// P99 is the 99th percentile of the response times so far.
	P99 time.Duration
}

// Check reports the first thing wrong with cfg, before anything is sent:
// what Run would refuse.
func (cfg *Config) Check() error {
	if _, err := cfg.parseTargets(); err != nil {
		return err
	}
	if err := cfg.checkHTTP2(); err != nil {
		return err
	}
	if err := cfg.checkStages(); err != nil {
		return err
	}
	stages := cfg.stages()
	switch {
	case cfg.Users < 1:
		return fmt.Errorf("load: Users = %d: need at least 1", cfg.Users)
	case cfg.Duration < 0:
		return fmt.Errorf("load: Duration = %v: must not be negative", cfg.Duration)
	case cfg.Reps < 0:
		return fmt.Errorf("load: Reps = %d: must not be negative", cfg.Reps)
	case cfg.length() == 0 && cfg.Reps == 0:
		return errors.New("load: neither Duration nor Reps is set: the run would never end")
	case cfg.Model() == OpenLoop && len(cfg.Stages) == 0 && CheckRate(cfg.Rate) != nil:
		return fmt.Errorf("load: Rate = %v: %w", cfg.Rate, CheckRate(cfg.Rate))
	case cfg.Model() == OpenLoop && (cfg.length() == 0 || cfg.Reps > 0):
		return errors.New("load: Rate needs Duration and no Reps: the open loop runs on a schedule for a duration")
	case cfg.Model() == OpenLoop && len(cfg.Stages) == 0 && checkSchedule(cfg.Rate, max(cfg.Duration, cfg.Warmup)) != nil:
		return fmt.Errorf("load: Rate = %v, Duration = %v: %w", cfg.Rate, max(cfg.Duration, cfg.Warmup), checkSchedule(cfg.Rate, max(cfg.Duration, cfg.Warmup)))
	case cfg.Model() == OpenLoop && checkSchedule(stages[0].Rate, cfg.Warmup) != nil:
		return fmt.Errorf("load: Warmup = %v at %v/s: %w", cfg.Warmup, stages[0].Rate, checkSchedule(stages[0].Rate, cfg.Warmup))
	case cfg.Timeout < 0 || cfg.Timeout > MaxTimeout:
		return fmt.Errorf("load: Timeout = %v: must be between 0 and %v", cfg.Timeout, MaxTimeout)
	case cfg.Warmup < 0:
		return fmt.Errorf("load: Warmup = %v: must not be negative", cfg.Warmup)
	case cfg.MaxHeaderBytes < 0 || cfg.MaxHeaderBytes > MaxHeaderBytesLimit:
		return fmt.Errorf("load: MaxHeaderBytes = %d: must be between 0 and %d", cfg.MaxHeaderBytes, MaxHeaderBytesLimit)
	}
	return cfg.checkShard()
}

// Run runs the load that cfg describes and returns siege's report of it.
//
// A bad configuration is an error before anything is sent. If ctx ends the
// run early, Run returns the report of what completed so far together with
// ctx's error, so that a command can print it on Ctrl-C. A transaction cut
// by ctx, or in the closed loop by the run's end, is neither a hit nor a
// failure: the report counts it as Cut. When Run returns, every goroutine
// and connection it opened is gone.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultTimeout)
	cfg.MaxHeaderBytes = cmp.Or(cfg.MaxHeaderBytes, DefaultMaxHeaderBytes)
	cfg.Duration = cfg.length()
	d, err := newDriver(&cfg)
	if err != nil {
		return nil, err
	}
	defer d.close()

	if cfg.Warmup > 0 {
		d.phase(ctx, cfg.Warmup, nil)
		if err := ctx.Err(); err != nil {
			return &Report{Users: len(d.users), Rate: d.rate(), Settings: d.settings()}, err
		}
	}
	recs := make([]*recorder, len(d.users))
	for i := range recs {
		recs[i] = newRecorder(cfg.Model())
	}
	stop := d.progress(ctx, recs)
	r := d.phase(ctx, cfg.Duration, recs)
	stop()
	return r, ctx.Err()
}

// Reach opens one connection to each host of cfg's targets, as a run
// would (with cfg.DialContext, within cfg.Timeout), and closes it: whether
// the targets can be reached at all, before a run of thousands of
// refusals. With HTTP2 it also makes sure that each host speaks HTTP/2. A
// reset while connecting is an answer: the server's kernel completed the
// handshake, and the server hung up at once, before the connect returned;
// the run will count its resets.
func Reach(ctx context.Context, cfg Config) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	all, err := cfg.parseTargets()
	if err != nil {
		return err
	}
	var targets []*target
	for _, j := range cfg.Shard.Deal(len(all)) {
		targets = append(targets, all[j])
	}
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(cfg.Timeout, DefaultTimeout))
	defer cancel()
	reached := map[string]bool{}
	for _, t := range targets {
		addr := hostPort(t.url)
		if reached[addr] {
			continue
		}
		reached[addr] = true
		c, err := dial(ctx, "tcp", addr)
		if errors.Is(err, syscall.ECONNRESET) {
			continue
		}
		if err != nil {
			return err
		}
		if cfg.HTTP2 {
			err = reach2(ctx, &cfg, t, c)
		} else {
			err = c.Close()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// driver holds what the users of one Run share.
type driver struct {
	cfg *Config
	// targets are the requests the users make, each built once and
	// written once as HTTP/1.1 puts it on the wire; labels name the
	// report's per-URL rows, which targets[i].row indexes.
	targets []*target
	labels  []string
	// first is the first target of the whole run's list, requests their
	// number and digest their identity (Settings.RequestsDigest): with
	// Config.Shard, targets are the shard's share of them.
	first    *target
	requests int
	digest   string
	protocol string // Settings.Protocol
	// rows record each label's transactions apart, when there are
	// several; nil otherwise, and during the warm-up.
	rows []*recorder
	// tls is the TLS configuration of each https target's host, made
	// from tlsBase.
	tls     map[string]*tls.Config
	tlsBase *tls.Config
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	// h2 is the HTTP/2 side, when Config.HTTP2: nil otherwise.
	h2 *h2driver
	// users[i] is user (slot) i with its connection, which outlives a
	// phase, so that the connections the warm-up opened carry on into the
	// measured run.
	users []*user
	// inFlight counts the open loop's requests in flight; peak is its
	// highest.
	inFlight, peak atomic.Int64
	// start is when the measured run started, for progress.
	start atomic.Pointer[time.Time]
}

func newDriver(cfg *Config) (*driver, error) {
	all, err := cfg.parseTargets()
	if err != nil {
		return nil, err
	}
	d := &driver{cfg: cfg, first: all[0], requests: len(all), digest: digest(all), protocol: protocolOf(all, cfg.HTTP2), dial: cfg.DialContext}
	for _, j := range cfg.Shard.Deal(len(all)) {
		d.targets = append(d.targets, all[j])
	}
	d.labels = rowsOf(d.targets)
	if d.dial == nil {
		d.dial = (&net.Dialer{}).DialContext
	}
	d.tlsBase = cfg.TLSConfig
	if d.tlsBase == nil {
		d.tlsBase = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // see Config.TLSConfig
	}
	if cfg.HTTP2 {
		d.tlsBase = d.tlsBase.Clone()
		d.tlsBase.NextProtos = alpn2
	}
	d.tls = tlsConfigs(d.tlsBase, d.targets)
	if cfg.HTTP2 {
		d.h2 = newH2Driver(d)
	}
	d.users = make([]*user, cfg.shardUsers())
	for i := range d.users {
		d.users[i] = &user{d: d, buf: make([]byte, 16<<10)}
		d.users[i].lim.max = cfg.MaxHeaderBytes
		d.users[i].br = bufio.NewReader(&d.users[i].lim)
		d.users[i].bw = bufio.NewWriter(nil)
		d.users[i].place(i, len(d.users), cfg.Random)
		if d.h2 != nil {
			d.users[i].h2 = d.h2.groups[i/d.h2.streams]
		}
	}
	return d, nil
}

// settings returns what the run was asked to do, for its report: with
// Config.Shard, the whole run's.
func (d *driver) settings() Settings {
	s := Settings{
		Model:          d.cfg.Model(),
		Target:         Redact(d.first.url.String()),
		Requests:       d.requests,
		RequestsDigest: d.digest,
		Protocol:       d.protocol,
		KeepAlive:      d.cfg.KeepAlive || d.cfg.HTTP2,
		Timeout:        d.cfg.Timeout,
		Duration:       d.cfg.Duration,
		Reps:           d.cfg.Reps,
		MaxHeaderBytes: d.cfg.MaxHeaderBytes,
		Stages:         d.cfg.Stages,
	}
	if d.h2 != nil {
		s.Streams = d.h2.streams
	}
	if d.cfg.Shard.sharded() {
		s.Shards, s.Users, s.Rate = d.cfg.Shard.Count, d.cfg.Users, d.cfg.Rate
	}
	return s
}

// rate is the shard's intended rate, in requests a second: its share of
// Config.Rate, or of the stages' mean rate over the run.
func (d *driver) rate() float64 {
	if len(d.cfg.Stages) == 0 {
		return d.cfg.Rate / float64(d.cfg.Shard.count())
	}
	var requests float64
	for _, s := range d.cfg.Stages {
		requests += s.Rate * s.Duration.Seconds()
	}
	return requests / d.cfg.Duration.Seconds() / float64(d.cfg.Shard.count())
}

// close closes every connection still open.
func (d *driver) close() {
	for _, u := range d.users {
		u.hangUp()
	}
	if d.h2 != nil {
		d.h2.close()
	}
}

// phase runs the load for length (the closed loop: or until each user has
// made Reps repetitions) and returns its report, recorded into recs; with
// recs nil it is the warm-up, and records nothing.
func (d *driver) phase(ctx context.Context, length time.Duration, recs []*recorder) *Report {
	measured := recs != nil
	if !measured {
		recs = make([]*recorder, len(d.users))
		for i := range recs {
			recs[i] = newRecorder(d.cfg.Model())
		}
	}
	d.rows = d.newRows(measured)
	start := time.Now()
	if measured {
		d.start.Store(&start)
	}
	var loop openResult
	var elapsed time.Duration
	if d.cfg.Model() == OpenLoop {
		stages := d.cfg.stages()
		if !measured {
			stages = []Stage{{Rate: stages[0].Rate, Duration: length}}
		}
		loop = d.openLoop(ctx, start, newPlan(stages, d.cfg.Shard.index(), d.cfg.Shard.count()), measured, recs)
		elapsed = loop.ran
	} else {
		reps := d.cfg.Reps
		if !measured {
			reps = 0 // the warm-up lasts its length
		}
		d.closedLoop(ctx, start, length, reps, recs)
		elapsed = time.Since(start)
	}
	if !measured {
		return nil
	}
	m := collect(recs)
	m.Elapsed, m.Users, m.Rate, m.Drain = elapsed, len(d.users), d.rate(), loop.drain
	m.Settings = d.settings()
	m.Unsent, m.PeakInFlight = loop.unsent, int(d.peak.Load())
	m.Stages = loop.stages
	m.fill()
	d.describe(m)
	m.Parts = []Part{{
		ID: rand.Text(), Start: start.UTC().Round(0), End: time.Now().UTC().Round(0),
		Host: hostname(), Version: version(),
		Transactions: m.Transactions, Failed: m.Failed, Unsent: m.Unsent, Elapsed: m.Elapsed, P99: m.P99,
	}}
	if d.cfg.Shard.sharded() {
		m.Parts[0].Shard = d.cfg.Shard.Number
	}
	return m
}

// closedLoop runs every user in a closed loop until length has passed (0:
// no limit) or each user has made reps repetitions (0: no limit), or ctx
// ends.
func (d *driver) closedLoop(ctx context.Context, start time.Time, length time.Duration, reps int, recs []*recorder) {
	// The run ends at start + length exactly, so that E is never shorter
	// than length.
	if length > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, start.Add(length))
		defer cancel()
	}
	var wg sync.WaitGroup
	for i, u := range d.users {
		wg.Go(func() {
			u.begin(ctx, recs[i])
			defer u.stopWatching()
			for n := 0; reps == 0 || n < reps; n++ {
				if u.ended() {
					return
				}
				u.repetition(time.Now())
			}
		})
	}
	wg.Wait()
}

// An openResult is what an open loop's phase says of its schedule: how
// many of the requests due found no slot before the schedule stopped, how
// long the schedule ran (its length, or until ctx ended), how long the
// requests in flight at its end then took to finish, and, for a measured
// run of several stages, each stage's row.
type openResult struct {
	unsent     int
	ran, drain time.Duration
	stages     []StageReport
}

// A slotRequest is a request of the open loop's, handed to a free slot:
// when it is due, and its stage.
type slotRequest struct {
	at    time.Time
	stage int
}

// openLoop sends the requests of the shard's part of plan p from start,
// each on the first free user (slot). A slot that is free takes the next
// request before it is due and waits for its time itself, so that no
// handing over between goroutines stands between a request's time and its
// sending.
func (d *driver) openLoop(ctx context.Context, start time.Time, p *plan, measured bool, recs []*recorder) openResult {
	d.inFlight.Store(0)
	d.peak.Store(0)
	stageRecs := newStageRecs(p, measured)
	sent := make([]atomic.Int64, len(p.stages))
	due := make(chan slotRequest) // unbuffered: a send waits for a free slot
	var wg sync.WaitGroup
	for i, u := range d.users {
		wg.Go(func() {
			u.begin(ctx, recs[i])
			defer u.stopWatching()
			defer func() { u.stage = nil }()
			sleep := time.NewTimer(0)
			defer sleep.Stop()
			for req := range due {
				waitUntil(ctx, req.at, sleep)
				if ctx.Err() != nil {
					continue // interrupted: unsent, if it was due before
				}
				sent[req.stage].Add(1)
				if stageRecs != nil {
					u.stage = stageRecs[req.stage]
				}
				n := d.inFlight.Add(1)
				for p := d.peak.Load(); n > p && !d.peak.CompareAndSwap(p, n); p = d.peak.Load() {
				}
				u.repetition(req.at)
				d.inFlight.Add(-1)
			}
		})
	}
	timer := time.NewTimer(time.Until(start.Add(p.length)))
	defer timer.Stop()
	ran := p.length
	stopped := false
	stop := func() {
		ran, stopped = min(time.Since(start), p.length), true
	}
	stage := 0
	for m, n := int64(0), p.count(); m < n && !stopped; m++ {
		var at time.Duration
		at, stage = p.at(m, stage)
		select {
		case due <- slotRequest{at: start.Add(at), stage: stage}:
		case <-timer.C:
			stopped = true
		case <-ctx.Done():
			stop()
		}
	}
	if !stopped {
		// Every request has a slot: wait for the schedule's end, so that
		// E is its length.
		select {
		case <-timer.C:
		case <-ctx.Done():
			stop()
		}
	}
	close(due)
	wg.Wait()
	// Each request sent was due before the schedule stopped: a slot sends
	// only once its time has come, and only while ctx has not ended.
	r := openResult{ran: ran, drain: max(time.Since(start.Add(ran)), 0)}
	counts := make([]int64, len(sent))
	for s := range sent {
		counts[s] = sent[s].Load()
		r.unsent += int(p.dueIn(s, ran) - counts[s])
	}
	r.stages = stageReports(p, stageRecs, counts, ran, d.cfg.Shard.count())
	return r
}

// precise makes waitUntil wait its last stretch with the system's own
// sleep. Tests in fake time turn it off: the fake clock moves only for Go's
// timers.
var precise = true

// waitUntil blocks until t or the end of ctx. Go's timers fire up to a
// millisecond late when the process is idle (the poller sleeps in whole
// milliseconds), and the open loop would charge that lateness to every
// request as if the server had made it wait: so a timer waits until
// shortly before t, and the system's sleep, which wakes within tens of
// microseconds, the rest.
func waitUntil(ctx context.Context, t time.Time, timer *time.Timer) {
	const (
		timerLate = 2 * time.Millisecond
		spinFor   = 50 * time.Microsecond
	)
	for {
		d := time.Until(t)
		switch {
		case d <= 0:
			return
		case d > timerLate || !precise:
			if precise {
				d -= timerLate
			}
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		case d > spinFor:
			sleepPrecisely(d - spinFor)
		default:
			for time.Now().Before(t) {
				// The last microseconds: a sleep would wake later than t.
			}
			return
		}
	}
}

// progress calls cfg.Progress about once a second with the run so far,
// until the returned function is called, which returns once the calls have
// stopped.
func (d *driver) progress(ctx context.Context, recs []*recorder) (stop func()) {
	if d.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		last, lastAt := 0, time.Time{}
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-tick.C:
				start := d.start.Load()
				if start == nil {
					continue // still warming up
				}
				if lastAt.IsZero() {
					lastAt = *start
				}
				r := collect(recs)
				r.fill()
				p := Progress{
					Elapsed: now.Sub(*start), Length: d.cfg.Duration,
					Transactions: r.Transactions, Failed: r.Failed, P99: r.P99,
				}
				if s := now.Sub(lastAt).Seconds(); s > 0 {
					p.Rate = float64(r.Transactions-last) / s
				}
				last, lastAt = r.Transactions, now
				d.cfg.Progress(p)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
