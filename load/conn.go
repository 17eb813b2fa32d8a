package load

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"time"
)

// A user is one closed loop, or one slot of the open loop: its connection,
// with the buffers that outlive it, and what it records.
type user struct {
	d *driver

	conn     net.Conn // nil when the user has none open
	addr     string   // what conn is connected to
	used     bool     // whether a transaction has completed on conn
	lastUsed time.Time
	lim      limitReader // what br reads conn through
	br       *bufio.Reader
	bw       *bufio.Writer
	buf      []byte // body reads land here and are thrown away

	// Where the user is in the list of targets, or its random source
	// (Config.Random); see next.
	pos int
	rnd *rand.Rand
	// h2 is the group of HTTP/2 connections the user shares, with
	// Config.HTTP2.
	h2 *h2group
	// stage records the open loop's stage of the request in hand, when
	// the run has several; nil otherwise.
	stage *recorder

	// The phase's: when ctx ends, the user stops; end is its deadline, if
	// hasEnd.
	ctx    context.Context
	end    time.Time
	hasEnd bool
	rec    *recorder

	// unwatch stops cutting conn when ctx ends; see watch.
	unwatch func()
}

// begin starts a phase for the user: ctx ends it, rec records it.
func (u *user) begin(ctx context.Context, rec *recorder) {
	u.ctx, u.rec = ctx, rec
	u.end, u.hasEnd = ctx.Deadline()
	if u.conn != nil {
		u.watch() // a connection kept from the warm-up
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

// repetition makes one request of the user's next target, intended at
// intended, and follows its redirects, each hop a transaction of its own.
func (u *user) repetition(intended time.Time) {
	t := u.next()
	var hop *http.Request
	for n := 0; ; n++ {
		hop = u.transact(t, hop, n < maxHops, intended)
		if hop == nil {
			return
		}
		intended = time.Time{} // a hop is sent at once: nothing to correct
	}
}

// transact makes one transaction, of the target t or of hop when hop is
// not nil, and records it: its response time from intended (its start when
// intended is zero), its service time from its start. When the response is
// a redirect to follow, it returns the request for the next hop.
func (u *user) transact(t *target, hop *http.Request, follow bool, intended time.Time) *http.Request {
	req := cmp.Or(hop, t.req)
	start := time.Now()
	if intended.IsZero() {
		intended = start
	}
	deadline := start.Add(u.d.cfg.Timeout)
	a, err := u.roundTrip(t, req, start, deadline)
	end := time.Now()
	if err != nil {
		if u.ended() {
			u.cut() // by the end of the run: neither hit nor failure
			return nil
		}
		u.failed(t, classify(err, !end.Before(deadline)))
		return nil
	}
	u.lastUsed = end
	u.timed(t, end.Sub(intended), end.Sub(start), a.bytes, a.code)
	if !follow || a.location == nil {
		return nil // not a redirect, or one without a usable Location
	}
	return t.hop(req, a.code, a.location)
}

// An answer is what a transaction received: the final response's status,
// whether the server closes the connection after it, its body's length,
// and, for a redirect, where it points.
type answer struct {
	code     int
	close    bool
	bytes    int64
	location *url.URL // a 3xx's usable Location; nil otherwise
}

// roundTrip sends req, at start, and reads the whole response before
// deadline, on the user's connection or a new one. A kept-alive connection
// found closed before the request could be sent is replaced, by the rule
// in the package doc.
func (u *user) roundTrip(t *target, req *http.Request, start, deadline time.Time) (answer, error) {
	if u.h2 != nil {
		return u.roundTrip2(t, req, deadline)
	}
	addr := hostPort(req.URL)
	for retried := false; ; retried = true {
		if u.conn != nil && u.used && start.Sub(u.lastUsed) >= checkIdle && !u.idleOpen() {
			u.hangUp() // the server closed it while idle: nothing was sent on it
		}
		reused := u.conn != nil && u.addr == addr && u.used
		if err := u.connect(req.URL.Scheme, addr, deadline); err != nil {
			return answer{}, err
		}
		a, err := u.exchange(t, req, deadline)
		if err == nil {
			if a.close || !u.d.cfg.KeepAlive {
				u.hangUp()
			} else {
				u.used = true
			}
			return a, nil
		}
		u.hangUp()
		var unsent *writeError
		if reused && !retried && errors.As(err, &unsent) && !u.ended() {
			continue
		}
		return answer{}, err
	}
}

// idleOpen reports whether the user's kept-alive connection can carry
// another request: nothing has come on it since its last answer, neither
// bytes nor the server's close.
func (u *user) idleOpen() bool {
	if u.br.Buffered() > 0 {
		return false // bytes that no request asked for
	}
	c := u.conn
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn() // a close comes below the TLS records
	}
	if sc, ok := c.(syscall.Conn); ok {
		// The last transaction's deadline may have passed while the
		// connection idled; the next sets its own.
		if err := c.SetReadDeadline(time.Time{}); err != nil {
			return false
		}
		if open, ok := peekOpen(sc); ok {
			return open
		}
	}
	// A connection without a socket of its own (an in-memory pipe): a
	// read whose deadline has passed reports a close that has come, and
	// times out otherwise.
	if err := u.conn.SetReadDeadline(aLongTimeAgo); err != nil {
		return false
	}
	_, err := u.br.Peek(1)
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// A connectError is a failure to make the connection: nothing reached a
// server.
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// A writeError is a failure to write the request.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// connect makes sure the user has a connection to addr: it dials one, and
// shakes hands for https, unless it has one already.
func (u *user) connect(scheme, addr string, deadline time.Time) error {
	if u.conn != nil {
		if u.addr == addr {
			return nil
		}
		u.hangUp() // a redirect to another host
	}
	ctx, cancel := context.WithDeadline(u.ctx, deadline)
	defer cancel()
	c, err := u.d.dial(ctx, "tcp", addr)
	if err != nil {
		return &connectError{err}
	}
	if scheme == "https" {
		tc := tls.Client(c, u.d.tlsFor(addr))
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = c.Close() // the handshake's error is the one to report
			return err
		}
		c = tc
	}
	u.conn, u.addr, u.used = c, addr, false
	u.lim.r = c
	u.br.Reset(&u.lim)
	u.bw.Reset(c)
	u.watch()
	return nil
}

// exchange writes req, the target t's or a hop of it, on the user's
// connection and reads the answer, all before deadline.
func (u *user) exchange(t *target, req *http.Request, deadline time.Time) (answer, error) {
	if err := u.conn.SetDeadline(deadline); err != nil {
		return answer{}, &writeError{err} // nothing sent
	}
	// watch cuts the connection by setting a deadline in the past when
	// ctx ends; a deadline set after that would undo the cut, so look
	// again now that this one is set.
	if err := u.ctx.Err(); err != nil {
		return answer{}, err
	}
	if err := u.send(t, req); err != nil {
		return answer{}, &writeError{err}
	}
	return u.readAnswer(req)
}

// readAnswer reads the final response to req and its body, with its head
// (and those of any 1xx responses before it) bounded by MaxHeaderBytes. A
// common response whose head has arrived whole is read by quickHead, the
// body counted and thrown away; any other by http.ReadResponse.
func (u *user) readAnswer(req *http.Request) (answer, error) {
	u.lim.n = u.lim.max
	defer func() { u.lim.n, u.lim.scanning = math.MaxInt64, false }() // the body is not bounded, only drained
	if _, err := u.br.Peek(1); err != nil {
		return answer{}, err
	}
	buffered, _ := u.br.Peek(u.br.Buffered()) // what is buffered, without a read
	// The answer to a HEAD has a Content-Length but no body: net/http
	// knows, quickHead does not.
	if h, ok := quickHead(buffered); ok && req.Method != http.MethodHead {
		if _, err := u.br.Discard(h.size); err != nil {
			return answer{}, err
		}
		u.lim.n = math.MaxInt64
		n, err := u.br.Discard(int(h.length))
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the body was cut short
		}
		return answer{code: h.code, close: h.close, bytes: int64(n)}, err
	}
	resp, err := u.readResponse(req)
	if err != nil {
		return answer{}, err
	}
	u.lim.scanning = false
	a := answer{code: resp.StatusCode, close: resp.Close}
	if a.code >= 300 && a.code <= 399 {
		if loc, err := resp.Location(); err == nil {
			a.location = loc
		}
	}
	u.lim.n = math.MaxInt64
	a.bytes, err = u.drain(resp.Body)
	return a, err
}

// readResponse reads the final response to req with net/http, skipping
// 1xx responses before it.
func (u *user) readResponse(req *http.Request) (*http.Response, error) {
	for informational := 0; ; informational++ {
		if err := u.chargeHead(); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(u.br, req)
		switch {
		// The parser may meet the bound in the middle of a line and
		// complain of the line rather than of the bound: the count
		// decides.
		case err != nil && u.lim.n <= 0:
			return nil, fmt.Errorf("%w: more than %d bytes", errHeaderTooLarge, u.lim.max)
		case err != nil && !isIOError(err):
			return nil, fmt.Errorf("%w: %w", errProtocol, err)
		case err != nil:
			return nil, err
		}
		switch code := resp.StatusCode; {
		case code == http.StatusSwitchingProtocols:
			return nil, fmt.Errorf("%w: 101 Switching Protocols, not asked for", errProtocol)
		case code < 100:
			return nil, fmt.Errorf("%w: status %03d", errProtocol, code)
		case code < 200:
			if informational == max1xx {
				return nil, fmt.Errorf("%w: more than %d 1xx responses", errProtocol, max1xx)
			}
			continue // 100 Continue, 103 Early Hints: the answer is still to come
		}
		return resp, nil
	}
}

// isIOError reports whether err came from the connection rather than from
// what was read on it.
func isIOError(err error) bool {
	var nerr net.Error
	var errno syscall.Errno
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, errHeaderTooLarge) || errors.As(err, &nerr) || errors.As(err, &errno)
}

// send writes req on the user's connection: the target t's request as
// Request.Write wrote it once, any other (a redirect's) with Request.Write.
func (u *user) send(t *target, req *http.Request) error {
	if req == t.req {
		_, err := u.conn.Write(t.wire)
		return err
	}
	if err := req.Write(u.bw); err != nil {
		return err
	}
	return u.bw.Flush()
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
			_ = body.Close() // the read's error is the one to report
			return n, err
		}
	}
}

// aLongTimeAgo is a deadline that has passed: setting it makes every
// pending read and write on a connection fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// watch makes the end of the phase cut the user's connection: a transaction
// in flight fails at once, and the user sees that ctx has ended.
func (u *user) watch() {
	c := u.conn
	fired := make(chan struct{})
	stop := context.AfterFunc(u.ctx, func() {
		// A connection that cannot take a deadline is closed by hangUp
		// soon after; nothing is lost.
		_ = c.SetDeadline(aLongTimeAgo)
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
	if u.conn != nil {
		// The connection is done with, whatever its close says.
		_ = u.conn.Close()
		u.conn = nil
	}
}

// A limitReader reads r and fails with errHeaderTooLarge once n bytes have
// been read: net/http's Transport bounds a response's headers so. While a
// head that net/http parses passes (scanning), its lines are charged too,
// by what parsing them costs (see headScan).
type limitReader struct {
	r        io.Reader
	n        int64 // what may still be read
	max      int64 // what a response's headers may take
	scanning bool  // whether the head's lines are charged as they pass
	scan     headScan
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errHeaderTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.scanning {
		l.n -= l.scan.charge(p[:n])
		l.scanning = !l.scan.done
	}
	return n, err
}

// The cost of a head's lines, beyond their bytes, as net/http's parser
// allocates for them: each line costs about 100 to 170 bytes of its own (a
// key, a value, a slot in the header map), and a line longer than the
// reader's buffer (4 KB) is gathered by appending, about 6 bytes for each
// of its own. Charged so, a head of MaxHeaderBytes allocates at most about
// 3 x MaxHeaderBytes, however many lines it has and however long.
const (
	lineCost       = 128     // charged for each line
	longLine       = 4 << 10 // a line's bytes past this are charged
	longLineFactor = 3       // times each, in all
)

// A headScan charges the lines of a response's head as its bytes pass, up
// to its end, a blank line: none of the body's bytes.
type headScan struct {
	lineLen int  // bytes of the current line so far, before its \n
	onlyCR  bool // whether the current line so far is "\r"
	done    bool // whether the head's blank line has passed
}

// charge returns what the lines in b cost beyond their bytes.
func (s *headScan) charge(b []byte) (cost int64) {
	for len(b) > 0 && !s.done {
		i := bytes.IndexByte(b, '\n')
		part := b
		if i >= 0 {
			part = b[:i]
		}
		n := s.lineLen + len(part)
		if n > longLine {
			cost += int64(n-max(s.lineLen, longLine)) * (longLineFactor - 1)
		}
		if len(part) > 0 {
			s.onlyCR = n == 1 && part[0] == '\r'
		}
		if i < 0 {
			s.lineLen = n
			return cost
		}
		if n == 0 || n == 1 && s.onlyCR {
			s.done = true // the blank line that ends the head
			return cost
		}
		cost += lineCost
		s.lineLen, s.onlyCR = 0, false
		b = b[i+1:]
	}
	return cost
}

// chargeHead starts charging the lines of the head that net/http is about
// to parse, at the start of what br holds: those it holds already, and
// those still to come as they pass.
func (u *user) chargeHead() error {
	u.lim.scan = headScan{}
	buffered, _ := u.br.Peek(u.br.Buffered()) // what is buffered, without a read
	u.lim.n -= u.lim.scan.charge(buffered)
	u.lim.scanning = !u.lim.scan.done
	if u.lim.n < 0 {
		return fmt.Errorf("%w: more than %d bytes", errHeaderTooLarge, u.lim.max)
	}
	return nil
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
