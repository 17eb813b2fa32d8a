// Package server gives the three server shapes of the article's serving
// experiment, each serving any http.Handler on loopback, all started by New:
//
//	the article                  here
//	-----------                  ----
//	app.run()                    Serial: one connection at a time
//	app.run(threaded=True)       Goroutine: one for each connection
//	gevent.pywsgi.WSGIServer     Goroutine: one for each connection
//	                             Pool: n workers behind a bounded queue
//
// Flask's threaded server starts a thread per request, without bound, as
// Goroutine starts a goroutine, and Python's GIL runs one of them at a
// time; gevent's starts a greenlet. Pool is the form in which threads are
// deployed, bounded, with a queue that says no when it is full: no server
// of the article's.
//
// They serve three workloads: Hello, the article's "hello world"; IO, a wait
// standing for a database call; CPU, a fixed computation of about the same
// cost.
//
// The shapes differ only in how many requests they serve at once and in what
// becomes of the requests they cannot serve yet. Serial serves one and leaves
// the rest to the kernel's accept queue, whose overflow drops connection
// attempts (docs/serving.md tells what that costs its users); Pool serves n,
// queues a bounded number and answers the rest 503 at once; Goroutine serves
// every connection it accepts. server_bench_test.go, at the module's root,
// measures them.
//
// Every Server shuts down gracefully: Shutdown completes the requests in
// flight, and Shutdown and Close return only after every handler has
// returned, so that no goroutine of the server outlives them.
package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// DefaultBacklog is the serial server's listen backlog unless Backlog says
// otherwise: Werkzeug's development server (the article's app.run()) listens
// with 128. Python's socketserver uses 5.
const DefaultBacklog = 128

// DefaultWorkers is Pool's size unless Workers says otherwise: a tenth of
// the 100 users of the benchmarks' busiest rows, so that it queues there.
const DefaultWorkers = 10

// DefaultQueue is how many requests Pool holds waiting for a worker unless
// Queue says otherwise: the bound DefaultBacklog puts on waiting
// connections, kept here by the server instead of the kernel.
const DefaultQueue = 128

// RetryAfter is the Retry-After, in seconds, of the 503 that Pool answers
// when its queue is full.
const RetryAfter = 1

// readHeaderTimeout bounds how long a connection may hold the server before
// its request has arrived. The serial server serves nobody else meanwhile, so
// without a bound one silent client would stop it for good.
const readHeaderTimeout = 10 * time.Second

// An Option changes where a server listens or how much it holds waiting.
type Option func(*config) error

type config struct {
	addr       string
	backlog    int  // 0: Go's default, the kernel's net.core.somaxconn
	backlogSet bool // whether Backlog gave it
	shape      Shape
	workers    int
	queue      int
	errorLog   *log.Logger
}

// Addr makes the server listen on addr instead of 127.0.0.1 on a free port.
func Addr(addr string) Option {
	return func(c *config) error {
		c.addr = addr
		return nil
	}
}

// Backlog sets the listen backlog: how many connections the kernel completes
// and holds until the server accepts them. Past that the kernel drops new
// connection attempts (their SYNs) unanswered, and each client tries again
// after 1 s, then 3 s, 7 s, ... On Linux the kernel holds one connection more
// than the backlog says. The serial server's default is DefaultBacklog; the
// others' is Go's, the kernel's net.core.somaxconn. Backlog needs a Unix
// system, where a listening socket can be listened on again with a new
// backlog.
func Backlog(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("server.Backlog(%d): need at least 1", n)
		}
		c.backlog, c.backlogSet = n, true
		return nil
	}
}

// Workers sets how many requests Pool serves at once (default
// DefaultWorkers). Only Pool has workers.
func Workers(n int) Option {
	return func(c *config) error {
		if c.shape != Pool {
			return fmt.Errorf("server.Workers: only the pool has workers, not %s", c.shape)
		}
		if n < 1 {
			return fmt.Errorf("server.Workers(%d): need at least 1", n)
		}
		c.workers = n
		return nil
	}
}

// Queue sets how many requests Pool holds waiting for a worker (default
// DefaultQueue). With 0 a request that finds every worker busy is answered
// 503 at once. Only Pool has a queue.
func Queue(n int) Option {
	return func(c *config) error {
		if c.shape != Pool {
			return fmt.Errorf("server.Queue: only the pool has a queue, not %s", c.shape)
		}
		if n < 0 {
			return fmt.Errorf("server.Queue(%d): need at least 0", n)
		}
		c.queue = n
		return nil
	}
}

// ErrorLog sets where the server logs what net/http logs: a handler's panic,
// a failed accept. The default is the log package's standard logger.
func ErrorLog(l *log.Logger) Option {
	return func(c *config) error {
		c.errorLog = l
		return nil
	}
}

// A Server is one of the three shapes serving a handler on a listener of
// its own, from the moment its constructor returns. Its methods are safe for
// concurrent use.
type Server struct {
	name   string
	url    string
	addr   net.Addr
	srv    *http.Server
	gate   gate
	served chan error // Serve's result
	stop   func()     // stops the pool's workers; nil for the others

	finishOnce sync.Once
	finishErr  error
}

// A Shape is one of the three ways to serve; see the package doc.
type Shape string

// The three shapes, as New takes them and as benchmark names give them
// (server=serial).
const (
	// Serial serves one connection at a time: it accepts a connection,
	// serves its one request, closes it, and only then accepts the next,
	// as the article's single-threaded app.run() does. Meanwhile new
	// connections wait in the kernel's accept queue, up to the backlog
	// (default DefaultBacklog); past it the kernel drops them, and their
	// clients wait 1 s, 3 s, ... to connect, or time out: users lost to a
	// full queue, not to a slow handler. A lock around the handler would
	// not show it, as Go's default backlog is large and every connection
	// would wait its turn.
	Serial Shape = "serial"
	// Pool serves with n workers (Workers, default DefaultWorkers), as a
	// thread pool does: each connection is read on a goroutine of its own,
	// and its request waits in a queue of bounded length (Queue, default
	// DefaultQueue) until one of the workers runs the handler. A request
	// that finds the queue full is answered at once with 503 Service
	// Unavailable and "Retry-After: 1" instead of being left to hang.
	Pool Shape = "pool"
	// Goroutine is net/http's own server: a goroutine for every
	// connection, each parked by the runtime whenever it waits on I/O. It
	// is the counterpart of gevent's WSGIServer, a greenlet per
	// connection; run with GOMAXPROCS=1 (go test -cpu 1) it is the closest
	// Go comes to gevent, one thread switching at I/O.
	Goroutine Shape = "goroutine"
)

// Shapes are the three shapes in the article's order: every table of
// servers, in tests, benchmarks and commands, is this list.
var Shapes = []Shape{Serial, Pool, Goroutine}

// ParseShape returns the shape named s, or an error that lists the names.
func ParseShape(s string) (Shape, error) {
	for _, shape := range Shapes {
		if string(shape) == s {
			return shape, nil
		}
	}
	return "", fmt.Errorf("server %q: want one of serial, pool, goroutine", s)
}

// New starts a server of the given shape serving h, listening from the
// moment it returns (on 127.0.0.1, a free port, unless Addr says
// otherwise).
func New(shape Shape, h http.Handler, opts ...Option) (*Server, error) {
	c := config{shape: shape, workers: DefaultWorkers, queue: DefaultQueue}
	if shape == Serial {
		c.backlog = DefaultBacklog
	}
	if _, err := ParseShape(string(shape)); err != nil {
		return nil, fmt.Errorf("server.New: %w", err)
	}
	ln, err := listen(&c, opts)
	if err != nil {
		return nil, fmt.Errorf("server.New(%s): %w", shape, err)
	}
	switch shape {
	case Serial:
		s := newServer(string(shape), h, &c)
		// With keep-alives off the server answers "Connection: close"
		// and closes the connection after one response, which lets
		// LimitListener accept the next one.
		s.srv.SetKeepAlivesEnabled(false)
		s.start(ln, netutil.LimitListener(ln, 1))
		return s, nil
	case Pool:
		p := newWorkers(c.workers, c.queue, h)
		s := newServer("pool-"+strconv.Itoa(c.workers), p, &c)
		s.stop = p.stop
		s.start(ln, ln)
		return s, nil
	}
	s := newServer(string(shape), h, &c)
	s.start(ln, ln)
	return s, nil
}

// Name identifies the server in test and benchmark output: "serial",
// "pool-10", "goroutine".
func (s *Server) Name() string { return s.name }

// URL is the server's base URL, "http://127.0.0.1:port" by default.
func (s *Server) URL() string { return s.url }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// Shutdown stops the server gracefully: it stops accepting connections,
// completes the requests in flight, and returns when every handler has
// returned. Connections still waiting in the kernel's accept queue are
// reset. If ctx ends first, Shutdown closes the connections left, as Close
// does, and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil && ctx.Err() != nil {
		err = errors.Join(err, s.srv.Close())
	}
	return errors.Join(ignoreClosed(err), s.finish())
}

// Close stops the server at once: it closes the listener and every
// connection, which cancels the contexts of the requests in flight, and
// returns when every handler has returned.
func (s *Server) Close() error {
	return errors.Join(ignoreClosed(s.srv.Close()), s.finish())
}

func newServer(name string, h http.Handler, c *config) *Server {
	s := &Server{name: name, served: make(chan error, 1)}
	s.srv = &http.Server{
		Handler:           s.gate.wrap(h),
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          c.errorLog,
	}
	return s
}

// start serves on serve, a listener that wraps ln or is ln.
func (s *Server) start(ln, serve net.Listener) {
	s.addr = ln.Addr()
	s.url = "http://" + ln.Addr().String()
	go func() { s.served <- s.srv.Serve(serve) }()
}

// finish waits, once, for Serve to return and then for every handler, and
// then stops the pool's workers, whom no handler needs any more.
func (s *Server) finish() error {
	s.finishOnce.Do(func() {
		err := <-s.served
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.gate.closeAndWait()
		if s.stop != nil {
			s.stop()
		}
		s.finishErr = err
	})
	return s.finishErr
}

// ignoreClosed drops the error of closing a listener that a concurrent
// Shutdown or Close has closed already.
func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// listen applies opts to c and listens as c says.
func listen(c *config, opts []Option) (net.Listener, error) {
	c.addr = "127.0.0.1:0"
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return nil, err
	}
	if c.backlog > 0 {
		err := setBacklog(ln, c.backlog)
		// Where the backlog cannot be set, a default one is only a wish.
		if errors.Is(err, errors.ErrUnsupported) && !c.backlogSet {
			err = nil
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("set backlog %d: %w", c.backlog, err), ln.Close())
		}
	}
	return ln, nil
}

// gate counts the handlers running and, once closed, lets no more in, so
// that a server can wait for the last of them.
type gate struct {
	mu      sync.Mutex
	running int
	closed  bool
	idle    chan struct{} // made by closeAndWait; closed when running drops to 0
}

func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.enter() {
			// Only a request read after Close cut its connection gets here,
			// so nobody is likely to read this answer.
			http.Error(w, "server closed", http.StatusServiceUnavailable)
			return
		}
		defer g.leave()
		h.ServeHTTP(w, r)
	})
}

func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.running++
	return true
}

func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running--
	if g.closed && g.running == 0 {
		close(g.idle)
	}
}

func (g *gate) closeAndWait() {
	g.mu.Lock()
	g.closed = true
	if g.running == 0 {
		g.mu.Unlock()
		return
	}
	g.idle = make(chan struct{})
	idle := g.idle
	g.mu.Unlock()
	<-idle
}
