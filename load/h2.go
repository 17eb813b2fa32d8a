package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
)

// HTTP/2 (Config.HTTP2) goes through golang.org/x/net/http2's ClientConn,
// one per connection that the driver dials itself: through
// Config.DialContext (the loopback guard), within the transaction's
// timeout, with TLS and ALPN for https. The driver, not a pool, decides how
// many connections there are: Users / Streams groups of users, each group
// with one connection to each host it loads, each user one stream at a
// time on its group's. net/http's own HTTP/2 (http.Transport with
// Protocols) pools connections by host as it sees fit, so that it cannot
// give C connections of S streams; and its ClientConn API needs Go 1.26,
// which this module does not require.
//
// A transaction is the same as over HTTP/1.1: its time runs from before a
// connection is dialled, when its group has none to the host, to the end of
// the body. A stream that the server resets, or a connection that goes away
// under it, is a reset; an answer over its header bound, which the client
// announces in its SETTINGS (SETTINGS_MAX_HEADER_LIST_SIZE, counting each
// field as its name, value and 32 bytes), is too large, except that
// x/net/http2 ends the connection, as for any broken frame, on a field
// longer than the bound or a block more than twice its size: those count as
// protocol failures. Nothing is retried.

// alpn2 is what the driver offers in a TLS handshake for HTTP/2: h2, and
// HTTP/1.1 as well, so that a server without HTTP/2 completes the handshake
// and the driver can say so, where a server offered h2 alone would end it
// with an alert that does not.
var alpn2 = []string{http2.NextProtoTLS, "http/1.1"}

// h2driver is the HTTP/2 side of a driver.
type h2driver struct {
	t       *http2.Transport
	streams int // users a group
	groups  []*h2group
}

func newH2Driver(d *driver) *h2driver {
	h := &h2driver{t: newH2Transport(d.cfg), streams: max(d.cfg.Streams, 1)}
	h.groups = make([]*h2group, d.cfg.shardUsers()/h.streams)
	for i := range h.groups {
		h.groups[i] = &h2group{d: d, conns: map[string]*h2conn{}}
	}
	return h
}

// newH2Transport is the transport whose ClientConns carry a run's streams.
func newH2Transport(cfg *Config) *http2.Transport {
	return &http2.Transport{
		// The driver asks for no compression over HTTP/1.1 either: bytes
		// are counted as the server sends them.
		DisableCompression: true,
		AllowHTTP:          true,
		MaxHeaderListSize:  uint32(min(max(cfg.MaxHeaderBytes, 1), math.MaxUint32)),
	}
}

// close closes every connection, and waits, a second at most, for their
// readers to end.
func (h *h2driver) close() {
	var all []*trackedConn
	for _, g := range h.groups {
		all = append(all, g.close()...)
	}
	wait := time.NewTimer(time.Second)
	defer wait.Stop()
	for _, c := range all {
		select {
		case <-c.done:
		case <-wait.C:
			return
		}
	}
}

// An h2group is the connections that Streams users share: one to each host
// they load.
type h2group struct {
	d     *driver
	mu    sync.Mutex
	conns map[string]*h2conn // by address
	// retired are connections replaced after they failed, whose readers
	// may still be ending.
	retired []*trackedConn
}

// An h2conn is one HTTP/2 connection.
type h2conn struct {
	cc *http2.ClientConn
	nc *trackedConn
}

// client returns the group's connection to u's host, dialling one within
// ctx when the group has none, or has one that is closing or closed.
func (g *h2group) client(ctx context.Context, u *url.URL) (*http2.ClientConn, error) {
	addr := hostPort(u)
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.conns[addr]; ok {
		if st := c.cc.State(); !st.Closed && !st.Closing {
			return c.cc, nil
		}
		_ = c.cc.Close() // it has failed already: its error is a stream's
		g.retire(c.nc)
		delete(g.conns, addr)
	}
	c, err := dial2(ctx, g.d.dial, g.d.h2.t, g.d.tlsFor(addr), u.Scheme, addr)
	if err != nil {
		return nil, err
	}
	g.conns[addr] = c
	return c.cc, nil
}

// retire keeps c until its reader has ended, and forgets those that have.
func (g *h2group) retire(c *trackedConn) {
	kept := g.retired[:0]
	for _, r := range append(g.retired, c) {
		select {
		case <-r.done:
		default:
			kept = append(kept, r)
		}
	}
	g.retired = kept
}

// close closes the group's connections and returns them all, the retired
// too, to wait for.
func (g *h2group) close() []*trackedConn {
	g.mu.Lock()
	defer g.mu.Unlock()
	all := g.retired
	for addr, c := range g.conns {
		_ = c.cc.Close() // the run is over: nothing to report
		all = append(all, c.nc)
		delete(g.conns, addr)
	}
	g.retired = nil
	return all
}

// dial2 opens an HTTP/2 connection to addr: over TLS, where the server
// must choose h2 with ALPN, for https; in cleartext with prior knowledge
// for http.
func dial2(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error),
	t *http2.Transport, cfg *tls.Config, scheme, addr string) (*h2conn, error) {
	c, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, &connectError{err}
	}
	return handshake2(ctx, c, t, cfg, scheme)
}

// handshake2 makes c, a new connection, an HTTP/2 one; it closes c if it
// cannot.
func handshake2(ctx context.Context, c net.Conn, t *http2.Transport, cfg *tls.Config, scheme string) (*h2conn, error) {
	if scheme == "https" {
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = c.Close() // the handshake's error is the one to report
			return nil, err
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != http2.NextProtoTLS {
			_ = c.Close() // the protocol is the one to report
			return nil, fmt.Errorf("%w: the server chose %q, not HTTP/2 (h2), in the TLS handshake (ALPN)", errProtocol, p)
		}
		c = tc
	}
	nc := &trackedConn{Conn: c, done: make(chan struct{})}
	cc, err := t.NewClientConn(nc)
	if err != nil {
		// NewClientConn has closed the connection.
		return nil, err
	}
	return &h2conn{cc: cc, nc: nc}, nil
}

// A trackedConn says when the HTTP/2 client's reader is done with it. The
// reader closes the connection as its last act, and a ClientConn's Close
// closes it too: the second close, whichever comes first, is the reader's
// end.
type trackedConn struct {
	net.Conn
	closes atomic.Int32
	done   chan struct{}
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	if c.closes.Add(1) == 2 {
		close(c.done)
	}
	return err
}

// roundTrip2 sends req, the target t's or a hop of it, as a stream on the
// user's group's connection to its host, and reads the whole answer before
// deadline.
func (u *user) roundTrip2(t *target, req *http.Request, deadline time.Time) (answer, error) {
	ctx, cancel := context.WithDeadline(u.ctx, deadline)
	defer cancel()
	cc, err := u.h2.client(ctx, req.URL)
	if err != nil {
		return answer{}, err
	}
	r := req.WithContext(ctx)
	r.Close = false // the connection carries other streams
	if req == t.req {
		t.withBody(r)
	}
	resp, err := cc.RoundTrip(r)
	if err != nil {
		return answer{}, streamFailure(err)
	}
	a := answer{code: resp.StatusCode}
	if a.code >= 300 && a.code <= 399 {
		if loc, err := resp.Location(); err == nil {
			a.location = loc
		}
	}
	a.bytes, err = u.drain(resp.Body)
	if err != nil {
		return a, streamFailure(err)
	}
	return a, nil
}

// errReset is the cause of an HTTP/2 stream's failure that a reset of an
// HTTP/1.1 connection would have been: the server reset the stream, or the
// connection ended under it.
var errReset = errors.New("stream reset")

// streamFailure gives an HTTP/2 failure the cause by which classify counts
// it.
func streamFailure(err error) error {
	var (
		stream http2.StreamError
		away   http2.GoAwayError
		conn   http2.ConnectionError
	)
	switch {
	// A stream error is the server's reset when it was received from
	// it; any other is one the client found in what the server sent, and
	// its cause's words say which, since the client's own errors are not
	// exported.
	case errors.As(err, &stream) && stream.Cause != nil &&
		stream.Cause.Error() == "http2: response header list larger than advertised limit":
		return fmt.Errorf("%w: %w", errHeaderTooLarge, err)
	case errors.As(err, &stream) && (stream.Cause == nil || stream.Cause.Error() == "received from peer"),
		errors.As(err, &away):
		return fmt.Errorf("%w: %w", errReset, err)
	case errors.As(err, &stream), errors.As(err, &conn):
		return fmt.Errorf("%w: %w", errProtocol, err)
	}
	switch msg := err.Error(); {
	case msg == "http2: client connection lost", msg == "http2: client conn is closed",
		msg == "http2: client conn not usable", msg == "http2: client connection force closed via ClientConn.Close",
		msg == "http2: Transport received Server's graceful shutdown GOAWAY":
		return fmt.Errorf("%w: %w", errReset, err)
	}
	return err
}

// checkHTTP2 reports what is wrong with cfg's HTTP/2 settings.
func (cfg *Config) checkHTTP2() error {
	switch {
	case cfg.Streams < 0:
		return fmt.Errorf("load: Streams = %d: must not be negative", cfg.Streams)
	case cfg.Streams > 0 && !cfg.HTTP2:
		return fmt.Errorf("load: Streams = %d without HTTP2: only HTTP/2 carries several streams on a connection", cfg.Streams)
	case cfg.HTTP2 && cfg.Users > 0 && cfg.Users%max(cfg.Streams, 1) != 0:
		return fmt.Errorf("load: Users = %d is not a multiple of Streams = %d: every HTTP/2 connection carries as many users", cfg.Users, cfg.Streams)
	}
	return nil
}

// reach2 makes c, a new connection to t's host, an HTTP/2 one and pings
// the server over it: whether it speaks HTTP/2 at all. It closes c.
func reach2(ctx context.Context, cfg *Config, t *target, c net.Conn) error {
	base := cfg.TLSConfig
	if base == nil {
		base = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // see Config.TLSConfig
	}
	tlsCfg := base.Clone()
	tlsCfg.NextProtos = alpn2
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = t.url.Hostname()
	}
	tr := newH2Transport(&Config{MaxHeaderBytes: DefaultMaxHeaderBytes})
	h, err := handshake2(ctx, c, tr, tlsCfg, t.url.Scheme)
	if err != nil {
		return err
	}
	defer func() {
		_ = h.cc.Close() // the ping's answer is what counts
		select {
		case <-h.nc.done:
		case <-time.After(time.Second):
		}
	}()
	if err := h.cc.Ping(ctx); err != nil {
		return fmt.Errorf("%s does not answer in HTTP/2%s: %w", hostPort(t.url), map[bool]string{true: " without TLS (h2c, prior knowledge)"}[t.url.Scheme == "http"], err)
	}
	return nil
}
