// Package load is a small HTTP load driver that reports what siege reports,
// with siege's exact definitions.
//
// C users each run a closed loop against one URL: send a request, read the
// whole response, record it, send the next, with no think time (siege -b).
// The run lasts a duration (siege -t) or a number of transactions per user
// (siege -r). Each transaction has a timeout; a warm-up can run first and is
// not counted. By default every transaction opens a new TCP connection and
// sends Connection: close, as siege does; with KeepAlive the users reuse
// their connections, as wrk, hey and vegeta do.
//
// # What a transaction is
//
// The clock starts before the connection is opened and stops after the body
// has been read to its end. Each transaction ends in one of siege's three
// buckets:
//
//  1. A socket failure: the connection was refused, reset or closed early,
//     the transaction timed out, or anything else kept a complete response
//     from arriving. Failed; no time and no bytes are recorded.
//  2. Status 408 or 500-509: time and bytes are recorded, but the
//     transaction is failed, not a hit.
//  3. Anything else: a hit. A redirect is followed as siege follows it, with
//     each hop a transaction of its own.
//
// The Report's twelve siege fields follow from the buckets as siege computes
// them; see Report.
//
// # Connections
//
// Each user owns its connection, as a siege user owns its socket, and keeps
// it (KeepAlive) or opens a new one for every transaction. net/http does all
// of HTTP: Request.Write puts the request on the wire and ReadResponse reads
// the answer; the driver only dials, closes, and sets the connection's
// deadline to the transaction's timeout. It does not go through an
// http.Transport, whose shared pool and three goroutines per request cost
// the driver more CPU than a hello server spends answering: on a machine
// whose cores the driver shares with the server, the driver's cost comes
// out of the server's rate.
//
// # Limits
//
// The driver is a closed loop: a user sends its next request only after the
// last one ended, so when the server stalls the users wait with it and the
// latency percentiles under-report what an open stream of arrivals would see
// (coordinated omission). siege behaves the same way. siege's failure
// threshold (it stops after 1024 failures) is not applied: a run ends only by
// its duration, its repetitions or its context.
package load

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// DefaultTimeout is siege's timeout, used when Config.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// maxHops bounds how many redirects one repetition follows, as
// net/http's client does by default.
const maxHops = 10

// Config is one load run: siege's flags as fields.
type Config struct {
	// URL is the target; http:// or https:// only.
	URL string
	// Users is C, the number of concurrent users, each in a closed loop
	// (siege -c). At least 1.
	Users int
	// Duration is the length of the measured run (siege -t). 0: run by Reps.
	Duration time.Duration
	// Reps is the number of repetitions per user (siege -r): each is one
	// transaction, or one per hop when the URL redirects. 0: run for
	// Duration. Both 0 is an error; when both are set, whichever ends first
	// ends the run.
	Reps int
	// KeepAlive keeps each user's connection open from one transaction to
	// the next: C users, C connections, as wrk -c C. false, siege's
	// default, opens a new connection for every transaction and sends
	// Connection: close.
	KeepAlive bool
	// Timeout bounds every transaction, from before the connection is
	// opened to the end of the body. 0 means DefaultTimeout, siege's 30 s.
	Timeout time.Duration
	// Warmup runs the users this long before the measured run; what
	// happens during it is not counted.
	Warmup time.Duration
	// TLSConfig is used for https URLs. nil: certificates are not verified,
	// as siege and wrk do not verify them; a load driver measures a server,
	// it does not authenticate it.
	TLSConfig *tls.Config
	// DialContext, if not nil, opens the connections instead of a
	// net.Dialer: to load a server over an in-memory pipe (as the tests do,
	// in fake time) or a Unix socket.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// validate reports the first thing wrong with cfg, and the parsed URL.
func (cfg *Config) validate() (*url.URL, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is in our message already
		}
		return nil, fmt.Errorf("load: URL %q: %w", cfg.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("load: URL %q: scheme must be http or https", cfg.URL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("load: URL %q: no host", cfg.URL)
	}
	switch {
	case cfg.Users < 1:
		return nil, fmt.Errorf("load: Users = %d: need at least 1", cfg.Users)
	case cfg.Duration < 0:
		return nil, fmt.Errorf("load: Duration = %v: must not be negative", cfg.Duration)
	case cfg.Reps < 0:
		return nil, fmt.Errorf("load: Reps = %d: must not be negative", cfg.Reps)
	case cfg.Duration == 0 && cfg.Reps == 0:
		return nil, errors.New("load: neither Duration nor Reps is set: the run would never end")
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("load: Timeout = %v: must not be negative", cfg.Timeout)
	case cfg.Warmup < 0:
		return nil, fmt.Errorf("load: Warmup = %v: must not be negative", cfg.Warmup)
	}
	return u, nil
}

// Run runs the load that cfg describes and returns siege's report of it.
//
// A bad configuration is an error before anything is sent. If ctx ends the
// run early, Run returns the report of what completed so far together with
// ctx's error, so that a command can print it on Ctrl-C. A transaction cut
// by the run's deadline or by ctx is not counted at all: it is neither a hit
// nor a failure. When Run returns, every goroutine and connection it opened
// is gone.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	target, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	d, err := newDriver(&cfg, target)
	if err != nil {
		return nil, err
	}
	defer d.close()

	if cfg.Warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, cfg.Warmup)
		d.phase(wctx, 0)
		cancel()
		if err := ctx.Err(); err != nil {
			return newReport(nil, 0), err
		}
	}

	// The run ends at start + Duration exactly, so that E is never shorter
	// than Duration.
	start := time.Now()
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if cfg.Duration > 0 {
		runCtx, cancel = context.WithDeadline(ctx, start.Add(cfg.Duration))
	}
	users := d.phase(runCtx, cfg.Reps)
	elapsed := time.Since(start)
	cancel()
	return newReport(users, elapsed), ctx.Err()
}

// driver holds what the users of one Run share, and each user's
// connection (see Connections in the package doc).
type driver struct {
	cfg    *Config
	target *url.URL
	tls    *tls.Config // nil for http
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	// req is the request for the target, which every user sends every
	// time; wire is req as net/http's Request.Write puts it on the wire,
	// written once.
	req  *http.Request
	wire []byte
	// slots[i] is user i's connection. It outlives a phase, so that the
	// connections the warm-up opened carry on into the measured run.
	slots []slot
}

// A slot is one user's connection, with the buffers that outlive it.
type slot struct {
	conn net.Conn // nil when the user has none open
	addr string   // what conn is connected to
	used bool     // whether a transaction has completed on conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

func newDriver(cfg *Config, target *url.URL) (*driver, error) {
	d := &driver{cfg: cfg, target: target, dial: cfg.DialContext, slots: make([]slot, cfg.Users)}
	d.req = &http.Request{
		Method:     http.MethodGet,
		URL:        target,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{"User-Agent": {"joinall-load/1"}},
		Host:       target.Host,
		// Without keep-alive: Connection: close, as siege sends it.
		Close: !cfg.KeepAlive,
	}
	var wire bytes.Buffer
	if err := d.req.Write(&wire); err != nil {
		return nil, fmt.Errorf("load: URL %q: %w", cfg.URL, err)
	}
	d.wire = wire.Bytes()
	if d.dial == nil {
		d.dial = (&net.Dialer{}).DialContext
	}
	if target.Scheme == "https" {
		if cfg.TLSConfig != nil {
			d.tls = cfg.TLSConfig.Clone()
		} else {
			d.tls = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // see Config.TLSConfig
		}
		if d.tls.ServerName == "" {
			d.tls.ServerName = target.Hostname()
		}
	}
	return d, nil
}

// close closes every connection still open.
func (d *driver) close() {
	for i := range d.slots {
		if c := d.slots[i].conn; c != nil {
			c.Close()
			d.slots[i].conn = nil
		}
	}
}

// phase runs cfg.Users users until ctx ends or each has made reps
// repetitions (reps 0: no limit), and returns what each recorded.
func (d *driver) phase(ctx context.Context, reps int) []*user {
	users := make([]*user, d.cfg.Users)
	var wg sync.WaitGroup
	for i := range users {
		u := d.newUser(ctx, &d.slots[i])
		users[i] = u
		wg.Go(func() { u.loop(reps) })
	}
	wg.Wait()
	return users
}

// A user is one closed loop and what it recorded. Each user records into its
// own fields, so the hot path shares no memory between users.
type user struct {
	d      *driver
	ctx    context.Context // the phase's: when it ends, the user stops
	end    time.Time       // ctx's deadline, if hasEnd
	hasEnd bool
	s      *slot  // the user's connection
	buf    []byte // body reads land here and are thrown away

	// unwatch stops cutting s.conn when ctx ends; see watch.
	unwatch func()

	hits, failed, successful int
	bytes                    int64
	total                    time.Duration   // T: the times of buckets 2 and 3
	times                    []time.Duration // each of those times, for percentiles
	failures                 Failures
}

func (d *driver) newUser(ctx context.Context, s *slot) *user {
	if s.br == nil {
		s.br = bufio.NewReader(nil)
		s.bw = bufio.NewWriter(nil)
	}
	u := &user{d: d, ctx: ctx, s: s, buf: make([]byte, 32<<10), times: make([]time.Duration, 0, 1024)}
	u.end, u.hasEnd = ctx.Deadline()
	return u
}

func (u *user) loop(reps int) {
	if u.s.conn != nil {
		u.watch() // a connection kept from the warm-up
	}
	defer u.stopWatching()
	for i := 0; reps == 0 || i < reps; i++ {
		if u.ended() {
			return
		}
		var hop *http.Request
		for n := 0; ; n++ {
			hop = u.transact(hop, n < maxHops)
			if hop == nil {
				break
			}
		}
	}
}

// ended reports whether the phase is over. ctx says so a moment late: its
// deadline is kept by a timer whose callback must be scheduled, while a
// socket's deadline (a dial's is ctx's) can expire first. Without looking at
// the clock, a dial at the end of a run would fail at once as a timeout, and
// the user would dial, fail and count again until the callback ran: on a
// busy machine, hundreds of false timeouts.
func (u *user) ended() bool {
	return u.ctx.Err() != nil || u.hasEnd && !time.Now().Before(u.end)
}

// transact makes one transaction, of the target or of hop when hop is not
// nil, and records it. When the response is a redirect to follow, it returns
// the request for the next hop.
func (u *user) transact(hop *http.Request, follow bool) *http.Request {
	req := u.d.req
	if hop != nil {
		req = hop
	}
	start := time.Now()
	resp, n, err := u.roundTrip(req, start.Add(u.d.cfg.Timeout))
	elapsed := time.Since(start)
	if err != nil {
		if u.ended() {
			return nil // cut by the end of the run: not counted
		}
		u.failed++
		u.failures.count(err)
		return nil
	}
	u.bytes += n
	u.total += elapsed
	u.times = append(u.times, elapsed)
	code := resp.StatusCode
	if failedStatus(code) {
		u.failed++
		if code == http.StatusRequestTimeout {
			u.failures.Other++
		} else {
			u.failures.Status5xx++
		}
		return nil
	}
	u.hits++
	if code < 400 || code == http.StatusUnauthorized || code == http.StatusProxyAuthRequired {
		u.successful++
	}
	if !follow || code < 300 || code > 399 {
		return nil
	}
	loc, err := resp.Location()
	if err != nil {
		return nil // a 3xx without a usable Location ends the repetition
	}
	next := u.d.req.Clone(context.Background())
	next.URL = loc
	next.Host = loc.Host
	return next
}

// roundTrip sends req and reads the whole response before deadline, on the
// user's connection or a new one, and returns the response and its body's
// length.
func (u *user) roundTrip(req *http.Request, deadline time.Time) (*http.Response, int64, error) {
	addr := hostPort(req.URL)
	for retried := false; ; retried = true {
		reused := u.s.conn != nil && u.s.addr == addr && u.s.used
		if err := u.connect(addr, deadline); err != nil {
			return nil, 0, err
		}
		resp, n, err := u.exchange(req, deadline)
		if err == nil {
			if resp.Close || !u.d.cfg.KeepAlive {
				u.hangUp()
			} else {
				u.s.used = true
			}
			return resp, n, nil
		}
		u.hangUp()
		// A server may close a kept-alive connection while it is idle
		// (its idle timeout, or it is stopping); the request then fails
		// before a byte of the answer arrives. net/http's Transport
		// retries such a request once on a new connection, and so does
		// the driver: the server did not fail this transaction.
		if reused && !retried && closedWhileIdle(err) && !u.ended() {
			continue
		}
		return nil, 0, err
	}
}

// connect makes sure the user has a connection to addr: it dials one, and
// shakes hands for https, unless it has one already.
func (u *user) connect(addr string, deadline time.Time) error {
	if u.s.conn != nil {
		if u.s.addr == addr {
			return nil
		}
		u.hangUp() // a redirect to another host
	}
	ctx, cancel := context.WithDeadline(u.ctx, deadline)
	defer cancel()
	c, err := u.d.dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if u.d.tls != nil {
		cfg := u.d.tls
		if host, _, _ := net.SplitHostPort(addr); host != u.d.target.Hostname() {
			cfg = cfg.Clone() // a redirect to another host
			cfg.ServerName = host
		}
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return err
		}
		c = tc
	}
	u.s.conn, u.s.addr, u.s.used = c, addr, false
	u.s.br.Reset(c)
	u.s.bw.Reset(c)
	u.watch()
	return nil
}

// exchange writes req on the user's connection and reads the response and
// its body, all before deadline.
func (u *user) exchange(req *http.Request, deadline time.Time) (*http.Response, int64, error) {
	c := u.s.conn
	if err := c.SetDeadline(deadline); err != nil {
		return nil, 0, err
	}
	// watch cuts the connection by setting a deadline in the past when
	// ctx ends; a deadline set after that would undo the cut, so look
	// again now that this one is set.
	if err := u.ctx.Err(); err != nil {
		return nil, 0, err
	}
	if err := u.send(req); err != nil {
		return nil, 0, &beforeResponseError{err}
	}
	if _, err := u.s.br.Peek(1); err != nil {
		return nil, 0, &beforeResponseError{err}
	}
	resp, err := http.ReadResponse(u.s.br, req)
	if err != nil {
		return nil, 0, err
	}
	n, err := u.drain(resp.Body)
	return resp, n, err
}

// send writes req on the user's connection: the target's request as
// Request.Write wrote it once, any other (a redirect's) with Request.Write.
func (u *user) send(req *http.Request) error {
	if req == u.d.req {
		_, err := u.s.conn.Write(u.d.wire)
		return err
	}
	if err := req.Write(u.s.bw); err != nil {
		return err
	}
	return u.s.bw.Flush()
}

// closedWhileIdle reports whether err shows a connection that the server
// had closed before the request: the request could not be written, or the
// connection ended before the first byte of an answer.
func closedWhileIdle(err error) bool {
	var early *beforeResponseError
	return errors.As(err, &early) &&
		(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE))
}

// A beforeResponseError is a failure before the first byte of the response.
type beforeResponseError struct{ err error }

func (e *beforeResponseError) Error() string { return e.err.Error() }
func (e *beforeResponseError) Unwrap() error { return e.err }

// aLongTimeAgo is a deadline that has passed: setting it makes every
// pending read and write on a connection fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// watch makes the end of the phase cut the user's connection: a transaction
// in flight fails at once, and the user sees that ctx has ended.
func (u *user) watch() {
	c := u.s.conn
	fired := make(chan struct{})
	stop := context.AfterFunc(u.ctx, func() {
		c.SetDeadline(aLongTimeAgo)
		close(fired)
	})
	u.unwatch = func() {
		if !stop() {
			<-fired // let the cut finish, so that no goroutine outlives Run
		}
	}
}

func (u *user) stopWatching() {
	if u.unwatch != nil {
		u.unwatch()
		u.unwatch = nil
	}
}

// hangUp closes the user's connection.
func (u *user) hangUp() {
	u.stopWatching()
	if u.s.conn != nil {
		u.s.conn.Close()
		u.s.conn = nil
	}
}

// hostPort is the address to dial for u: its host and port, the scheme's
// default port when it has none.
func hostPort(u *url.URL) string {
	if port := u.Port(); port != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// drain reads body to its end, counts its bytes and closes it.
func (u *user) drain(body io.ReadCloser) (int64, error) {
	var n int64
	for {
		m, err := body.Read(u.buf)
		n += int64(m)
		if err == io.EOF {
			return n, body.Close()
		}
		if err != nil {
			body.Close()
			return n, err
		}
	}
}

// failedStatus reports whether siege counts a response with this status as
// failed (bucket 2): 408 or 500-509.
func failedStatus(code int) bool {
	return code == http.StatusRequestTimeout || (code >= 500 && code <= 509)
}
