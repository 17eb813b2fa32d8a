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
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
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
	// KeepAlive reuses connections. false, siege's default, opens a new
	// connection for every transaction and sends Connection: close.
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
	d := newDriver(&cfg, target)
	defer d.close()

	if cfg.Warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, cfg.Warmup)
		d.phase(wctx, 0)
		cancel()
		if err := ctx.Err(); err != nil {
			return newReport(nil, 0), err
		}
	}

	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if cfg.Duration > 0 {
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
	}
	start := time.Now()
	users := d.phase(runCtx, cfg.Reps)
	elapsed := time.Since(start)
	cancel()
	return newReport(users, elapsed), ctx.Err()
}

// driver holds what the users of one Run share: the transport and the
// target. The users call the transport directly, not through an
// http.Client: they follow redirects themselves, each hop its own
// transaction as siege counts them, and a Client would only add a copy of
// every request and its headers.
type driver struct {
	cfg    *Config
	target *url.URL
	tr     *http.Transport
	// conns counts connections dialled and not yet closed, so that Run can
	// wait until the transport has closed every one: its goroutines end
	// with them.
	conns sync.WaitGroup
}

func newDriver(cfg *Config, target *url.URL) *driver {
	d := &driver{cfg: cfg, target: target}
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tlsConfig := cfg.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // see Config.TLSConfig
	}
	d.tr = &http.Transport{
		// No proxy from the environment: the load goes to the URL given.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			d.conns.Add(1)
			c, err := dial(ctx, network, addr)
			if err != nil {
				d.conns.Done()
				return nil, err
			}
			return &trackedConn{Conn: c, done: d.conns.Done}, nil
		},
		TLSClientConfig: tlsConfig,
		// siege speaks HTTP/1.1; so does this driver, over TLS too.
		ForceAttemptHTTP2: false,
		DisableKeepAlives: !cfg.KeepAlive,
		// Go keeps 2 idle connections per host unless told otherwise; with
		// C users each needs its own, or the driver silently opens new ones.
		MaxIdleConns:        cfg.Users,
		MaxIdleConnsPerHost: cfg.Users,
		// And with keep-alive, C users hold C connections, no more: a
		// user that asks for a connection a moment before its previous
		// one is back in the idle pool waits for it instead of dialling
		// a spare.
		MaxConnsPerHost: maxConns(cfg),
		// Body bytes are counted as they come over the wire, so no
		// transparent gzip.
		DisableCompression: true,
	}
	return d
}

func maxConns(cfg *Config) int {
	if cfg.KeepAlive {
		return cfg.Users
	}
	return 0 // no limit: each closed connection leaves the count a moment late
}

// close closes every connection and waits until the transport has closed
// them all. CloseIdleConnections also makes the transport close any
// connection that becomes idle later (a dial that finishes after its request
// was cancelled) and cancels dials in progress, so the wait ends.
func (d *driver) close() {
	d.tr.CloseIdleConnections()
	d.conns.Wait()
}

// trackedConn reports its first Close.
type trackedConn struct {
	net.Conn
	once sync.Once
	done func()
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.done)
	return err
}

// phase runs cfg.Users users until ctx ends or each has made reps
// repetitions (reps 0: no limit), and returns what each recorded.
func (d *driver) phase(ctx context.Context, reps int) []*user {
	users := make([]*user, d.cfg.Users)
	var wg sync.WaitGroup
	for i := range users {
		u := d.newUser(ctx)
		users[i] = u
		wg.Go(func() { u.loop(reps) })
	}
	wg.Wait()
	return users
}

// errTimeout is the cause with which a transaction's timer cancels it.
var errTimeout = errors.New("load: transaction timed out")

// A user is one closed loop and what it recorded. Each user records into its
// own fields, so the hot path shares no memory between users.
//
// A transaction needs a context that its timeout cancels. A new
// context.WithTimeout and a new request carrying it for every transaction
// cost several allocations each time; instead a user keeps one cancellable
// context, one request that carries it and one timer that cancels it, and
// re-arms the timer for each transaction. Only a transaction that times out
// uses them up, and the next one makes new ones.
type user struct {
	d   *driver
	ctx context.Context // the phase's: when it ends, the user stops
	buf []byte          // body reads land here and are thrown away

	tctx   context.Context // the current transaction context, child of ctx
	cancel context.CancelCauseFunc
	timer  *time.Timer   // cancels tctx with errTimeout when it fires
	req    *http.Request // GET the target, with tctx
	target *http.Request // GET the target, without a context

	hits, failed, successful int
	bytes                    int64
	total                    time.Duration   // T: the times of buckets 2 and 3
	times                    []time.Duration // each of those times, for percentiles
	failures                 Failures
}

func (d *driver) newUser(ctx context.Context) *user {
	target := &http.Request{
		Method:     http.MethodGet,
		URL:        d.target,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{"User-Agent": {"joinall-load/1"}},
		Host:       d.target.Host,
	}
	return &user{d: d, ctx: ctx, target: target, buf: make([]byte, 32<<10), times: make([]time.Duration, 0, 1024)}
}

func (u *user) loop(reps int) {
	defer u.disarm()
	for i := 0; reps == 0 || i < reps; i++ {
		if u.ctx.Err() != nil {
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

// arm starts the timer of a transaction and returns its context.
func (u *user) arm() context.Context {
	if u.tctx != nil {
		u.timer.Reset(u.d.cfg.Timeout)
		return u.tctx
	}
	tctx, cancel := context.WithCancelCause(u.ctx)
	u.tctx, u.cancel = tctx, cancel
	u.req = u.target.WithContext(tctx)
	u.timer = time.AfterFunc(u.d.cfg.Timeout, func() { cancel(errTimeout) })
	return tctx
}

// stop stops the timer of a transaction that has ended, and reports whether
// the transaction timed out. When the timer has fired (or is firing), its
// context is used up: the next transaction makes a new one.
func (u *user) stop() (timedOut bool) {
	if u.timer.Stop() {
		return false
	}
	u.cancel(errTimeout) // the timer fired: make sure the cause is set before looking
	timedOut = context.Cause(u.tctx) == errTimeout
	u.tctx = nil
	return timedOut
}

// disarm releases the user's last transaction context.
func (u *user) disarm() {
	if u.tctx != nil {
		u.timer.Stop()
		u.cancel(nil)
		u.tctx = nil
	}
}

// transact makes one transaction, of the target or of hop when hop is not
// nil, and records it. When the response is a redirect to follow, it returns
// the request for the next hop.
func (u *user) transact(hop *http.Request, follow bool) *http.Request {
	tctx := u.arm()
	req := u.req
	if hop != nil {
		req = hop.WithContext(tctx)
	}
	start := time.Now()
	resp, err := u.d.tr.RoundTrip(req)
	var n int64
	if err == nil {
		n, err = u.drain(resp.Body)
	}
	elapsed := time.Since(start)
	timedOut := u.stop()
	if err != nil {
		if u.ctx.Err() != nil && !timedOut {
			return nil // cut by the end of the run: not counted
		}
		u.failed++
		if timedOut {
			u.failures.Timeout++
		} else {
			u.failures.count(err)
		}
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
	next := u.target.Clone(context.Background())
	next.URL = loc
	next.Host = loc.Host
	return next
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
