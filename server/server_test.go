// The servers' promises, proved for every shape against real loopback
// sockets: each serves any handler, serves as many requests at once as its
// shape says, holds what it cannot serve where its shape says (the kernel's
// accept queue, a bounded queue answered 503 when full), survives a panicking
// handler, and shuts down gracefully. The workloads' timing is exact, in fake
// time.
//
//	go test -v ./server
package server_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start starts a server of the shape and closes it when the test ends.
// Every table below runs against each of server.Shapes.
func start(tb testing.TB, shape server.Shape, h http.Handler, opts ...server.Option) *server.Server {
	tb.Helper()
	s, err := server.New(shape, h, opts...)
	require.NoError(tb, err, "server.New(%s)", shape)
	tb.Cleanup(func() { assert.NoError(tb, s.Close(), "%s.Close", s.Name()) })
	return s
}

// newClient is a client that opens a new connection for every request, as
// siege does, so that no idle connection outlives the test.
func newClient(tb testing.TB) *http.Client {
	tb.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

type result struct {
	status     int
	body       string
	header     http.Header
	connection bool // whether the server said it closes the connection
	err        error
}

func get(client *http.Client, url string) result {
	resp, err := client.Get(url)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: string(body), header: resp.Header, connection: resp.Close, err: err}
}

// held is a handler that holds every request until released, counting how
// many it holds at once.
type held struct {
	running atomic.Int32
	max     atomic.Int32
	release chan struct{}
}

func newHeld() *held { return &held{release: make(chan struct{})} }

func (h *held) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := h.running.Add(1)
	defer h.running.Add(-1)
	for m := h.max.Load(); n > m && !h.max.CompareAndSwap(m, n); m = h.max.Load() {
	}
	select {
	case <-h.release:
		_, _ = io.WriteString(w, server.Body)
	case <-r.Context().Done():
	}
}

// waitRunning waits until h holds n requests; it fails the test if that
// takes more than 10 s, far longer than any machine needs.
func (h *held) waitRunning(tb testing.TB, n int32) {
	tb.Helper()
	require.Eventually(tb, func() bool { return h.running.Load() == n }, 10*time.Second, time.Millisecond,
		"handler never held %d requests; holds %d", n, h.running.Load())
}

func TestServersServe(t *testing.T) {
	for _, shape := range server.Shapes {
		t.Run("server="+string(shape), func(t *testing.T) {
			t.Parallel()
			s := start(t, shape, server.Hello())
			client := newClient(t)

			assert.True(t, strings.HasPrefix(s.URL(), "http://127.0.0.1:"), "%s.URL() = %s, want loopback by default", s.Name(), s.URL())
			for i := range 3 {
				got := get(client, s.URL())
				require.NoError(t, got.err, "GET %s #%d", s.URL(), i)
				assert.Equal(t, http.StatusOK, got.status, "GET %s #%d: status", s.URL(), i)
				assert.Equal(t, server.Body, got.body, "GET %s #%d: body", s.URL(), i)
			}
		})
	}
}

func TestServerNames(t *testing.T) {
	var got []string
	for _, shape := range server.Shapes {
		s := start(t, shape, server.Hello())
		got = append(got, s.Name())
	}
	assert.Equal(t, []string{"serial", "pool-10", "goroutine"}, got)
}

// TestServersConcurrency: each shape serves as many requests at once as it
// says, no more: the serial one 1, the pool its workers, the goroutine one
// every request. The handler holds the requests until as many as the shape
// allows are in; then a pause gives any extra request time to get in too,
// which would fail the test.
func TestServersConcurrency(t *testing.T) {
	const clients = server.DefaultWorkers + 2
	wantMax := map[server.Shape]int32{server.Serial: 1, server.Pool: server.DefaultWorkers, server.Goroutine: clients}
	for _, shape := range server.Shapes {
		t.Run("server="+string(shape), func(t *testing.T) {
			t.Parallel()
			h := newHeld()
			s := start(t, shape, h)
			client := newClient(t)

			var wg sync.WaitGroup
			results := make([]result, clients)
			for i := range clients {
				wg.Go(func() { results[i] = get(client, s.URL()) })
			}
			h.waitRunning(t, wantMax[shape])
			time.Sleep(50 * time.Millisecond)
			assert.Equal(t, wantMax[shape], h.running.Load(), "%s: requests served at once, with %d clients", s.Name(), clients)
			close(h.release)
			wg.Wait()

			assert.Equal(t, wantMax[shape], h.max.Load(), "%s: most requests served at once", s.Name())
			for i, got := range results {
				require.NoError(t, got.err, "%s: GET #%d", s.Name(), i)
				assert.Equal(t, http.StatusOK, got.status, "%s: GET #%d: status", s.Name(), i)
			}
		})
	}
}

// TestSerialClosesEachConnection: the serial server serves one request per
// connection and says so, even to a client that would keep it alive, so
// that the next connection can be accepted.
func TestSerialClosesEachConnection(t *testing.T) {
	var mu sync.Mutex
	var remotes []string
	s := start(t, server.Serial, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remotes = append(remotes, r.RemoteAddr)
		mu.Unlock()
	}))
	tr := &http.Transport{} // keep-alive
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	for i := range 3 {
		got := get(client, s.URL())
		require.NoError(t, got.err, "GET %s #%d", s.URL(), i)
		assert.True(t, got.connection, "GET %s #%d: response says Connection: close", s.URL(), i)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, remotes, 3, "requests served")
	assert.NotEqual(t, remotes[0], remotes[1], "requests 0 and 1 came on one connection")
	assert.NotEqual(t, remotes[1], remotes[2], "requests 1 and 2 came on one connection")
}

// TestBacklogOverflow is why the article's single-threaded server lost
// transactions. While the serial server serves one request, the kernel
// completes the handshakes of the next connections and holds them in the
// accept queue, one more than the backlog on Linux; after those it drops
// the connection attempts unanswered, and the client's connect times out.
// (It would send its SYN again after 1 s and 3 s, to a queue still full.)
func TestBacklogOverflow(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the accept queue's length is Linux's")
	}
	t.Parallel()
	const (
		backlog = 2
		dials   = backlog + 2
		// A loopback handshake takes microseconds; this leaves room for a
		// busy machine to schedule the dialing goroutine.
		dialTimeout = time.Second
	)
	h := newHeld()
	s := start(t, server.Serial, h, server.Backlog(backlog))
	client := newClient(t)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(h.release)
	wg.Go(func() { get(client, s.URL()) })
	h.waitRunning(t, 1)

	connected := 0
	dialer := net.Dialer{Timeout: dialTimeout}
	for i := range dials {
		conn, err := dialer.Dial("tcp", s.Addr().String())
		if err != nil {
			var ne net.Error
			require.ErrorAs(t, err, &ne, "dial #%d", i)
			require.True(t, ne.Timeout(), "dial #%d: want a timeout, got %v", i, err)
			continue
		}
		connected++
		defer conn.Close()
	}
	assert.Equal(t, backlog+1, connected, "%s with backlog %d, serving one request: connections of %d dials", s.Name(), backlog, dials)
}

// TestPoolQueueFull: with every worker busy and the queue full, Pool answers
// at once 503 with Retry-After; the queued requests are served when the
// workers are free. Each row's arithmetic: workers + queue requests are
// served, the rest get 503.
func TestPoolQueueFull(t *testing.T) {
	tests := []struct {
		workers, queue, requests int
		wantOK, want503          int
	}{
		{workers: 1, queue: 0, requests: 3, wantOK: 1, want503: 2},
		{workers: 1, queue: 1, requests: 4, wantOK: 2, want503: 2},
		{workers: 2, queue: 3, requests: 8, wantOK: 5, want503: 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("workers=%d/queue=%d/requests=%d", tt.workers, tt.queue, tt.requests), func(t *testing.T) {
			t.Parallel()
			h := newHeld()
			s := start(t, server.Pool, h, server.Workers(tt.workers), server.Queue(tt.queue))
			client := newClient(t)

			var wg sync.WaitGroup
			results := make([]result, tt.requests)
			// The first requests take every worker, so that which of the
			// others are queued and which refused depends only on the queue.
			for i := range tt.workers {
				wg.Go(func() { results[i] = get(client, s.URL()) })
			}
			h.waitRunning(t, int32(tt.workers))
			var refused atomic.Int32
			for i := tt.workers; i < tt.requests; i++ {
				wg.Go(func() {
					results[i] = get(client, s.URL())
					if results[i].status == http.StatusServiceUnavailable {
						refused.Add(1)
					}
				})
			}
			// The 503s come while the workers are still busy: at once.
			require.Eventually(t, func() bool { return refused.Load() == int32(tt.want503) }, 10*time.Second, time.Millisecond,
				"New(pool, Workers(%d), Queue(%d)), %d requests: 503s before any worker is free", tt.workers, tt.queue, tt.requests)
			close(h.release)
			wg.Wait()

			gotOK, got503 := 0, 0
			for i, got := range results {
				require.NoError(t, got.err, "GET #%d", i)
				switch got.status {
				case http.StatusOK:
					gotOK++
				case http.StatusServiceUnavailable:
					got503++
					assert.Equal(t, "1", got.header.Get("Retry-After"), "GET #%d: 503's Retry-After", i)
				default:
					t.Errorf("GET #%d: status %d", i, got.status)
				}
			}
			assert.Equal(t, tt.wantOK, gotOK, "New(pool, Workers(%d), Queue(%d)), %d requests: served", tt.workers, tt.queue, tt.requests)
			assert.Equal(t, tt.want503, got503, "New(pool, Workers(%d), Queue(%d)), %d requests: 503", tt.workers, tt.queue, tt.requests)
		})
	}
}

// TestServersSurvivePanics: a handler that panics loses its response, not
// the server. On the pool the panic happens on a worker, where nothing
// would recover it, and a runtime.Goexit (t.FailNow in a handler) would end
// the worker: the pool carries both over to net/http's own recovery and
// keeps its workers.
func TestServersSurvivePanics(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", server.Hello())
	mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("/abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("/goexit", func(http.ResponseWriter, *http.Request) { runtime.Goexit() })
	for _, shape := range server.Shapes {
		t.Run("server="+string(shape), func(t *testing.T) {
			t.Parallel()
			// net/http logs each panic with its stack: not news here.
			s := start(t, shape, mux, server.ErrorLog(log.New(io.Discard, "", 0)))
			client := newClient(t)

			// More bad requests than the pool has workers: if each cost a
			// worker, the last GET would find none.
			for i := range server.DefaultWorkers + 1 {
				for _, path := range []string{"/panic", "/abort", "/goexit"} {
					got := get(client, s.URL()+path)
					assert.Error(t, got.err, "%s: GET %s #%d: the connection is cut", s.Name(), path, i)
				}
			}
			got := get(client, s.URL())
			require.NoError(t, got.err, "%s: GET / after the panics", s.Name())
			assert.Equal(t, server.Body, got.body, "%s: GET / after the panics", s.Name())
		})
	}
}

// TestShutdownCompletesInFlight: Shutdown stops accepting at once, but the
// request in flight is served to the end, and Shutdown returns after it.
func TestShutdownCompletesInFlight(t *testing.T) {
	for _, shape := range server.Shapes {
		t.Run("server="+string(shape), func(t *testing.T) {
			t.Parallel()
			h := newHeld()
			s := start(t, shape, h)
			client := newClient(t)

			inFlight := make(chan result, 1)
			go func() { inFlight <- get(client, s.URL()) }()
			h.waitRunning(t, 1)
			shutdown := make(chan error, 1)
			go func() { shutdown <- s.Shutdown(context.Background()) }()

			// Shutdown has begun once the listener is closed: new
			// connections are refused while the request is held.
			require.Eventually(t, func() bool {
				conn, err := net.Dial("tcp", s.Addr().String())
				if err == nil {
					conn.Close()
				}
				return err != nil
			}, 10*time.Second, time.Millisecond, "%s: still accepting after Shutdown", s.Name())
			select {
			case err := <-shutdown:
				t.Fatalf("%s.Shutdown returned %v with a request in flight", s.Name(), err)
			default:
			}
			close(h.release)

			got := <-inFlight
			require.NoError(t, got.err, "%s: the request in flight", s.Name())
			assert.Equal(t, http.StatusOK, got.status, "%s: the request in flight: status", s.Name())
			assert.Equal(t, server.Body, got.body, "%s: the request in flight: body", s.Name())
			assert.NoError(t, <-shutdown, "%s.Shutdown", s.Name())
			assert.Equal(t, int32(0), h.running.Load(), "%s: handlers running after Shutdown", s.Name())
		})
	}
}

// TestShutdownDeadline: a request that outlasts Shutdown's context is cut,
// its handler's context cancelled, and Shutdown returns the context's error
// after the handler has returned.
func TestShutdownDeadline(t *testing.T) {
	for _, shape := range server.Shapes {
		t.Run("server="+string(shape), func(t *testing.T) {
			t.Parallel()
			h := newHeld() // never released: only the cancelled context ends it
			s := start(t, shape, h)
			client := newClient(t)

			inFlight := make(chan result, 1)
			go func() { inFlight <- get(client, s.URL()) }()
			h.waitRunning(t, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()

			err := s.Shutdown(ctx)

			assert.ErrorIs(t, err, context.DeadlineExceeded, "%s.Shutdown with a held request", s.Name())
			assert.Equal(t, int32(0), h.running.Load(), "%s: handlers running after Shutdown returned", s.Name())
			assert.Error(t, (<-inFlight).err, "%s: the request cut by Shutdown", s.Name())
		})
	}
}

// TestCloseCutsInFlight: Close does not wait for requests to complete, only
// for their handlers to see their context cancelled and return.
func TestCloseCutsInFlight(t *testing.T) {
	for _, shape := range server.Shapes {
		t.Run("server="+string(shape), func(t *testing.T) {
			t.Parallel()
			h := newHeld()
			s := start(t, shape, h)
			client := newClient(t)

			inFlight := make(chan result, 1)
			go func() { inFlight <- get(client, s.URL()) }()
			h.waitRunning(t, 1)

			require.NoError(t, s.Close(), "%s.Close", s.Name())

			assert.Equal(t, int32(0), h.running.Load(), "%s: handlers running after Close returned", s.Name())
			assert.Error(t, (<-inFlight).err, "%s: the request cut by Close", s.Name())
			assert.NoError(t, s.Shutdown(context.Background()), "%s.Shutdown after Close", s.Name())
		})
	}
}

func TestOptionErrors(t *testing.T) {
	hello := server.Hello()
	tests := []struct {
		name      string
		giveShape server.Shape
		giveOpts  []server.Option
		wantErr   string
	}{
		{name: "unknown_shape", giveShape: "threads", wantErr: `server.New: server "threads": want one of serial, pool, goroutine`},
		{name: "workers_0", giveShape: server.Pool, giveOpts: []server.Option{server.Workers(0)}, wantErr: "server.New(pool): server.Workers(0): need at least 1"},
		{name: "workers_on_serial", giveShape: server.Serial, giveOpts: []server.Option{server.Workers(2)}, wantErr: "server.New(serial): server.Workers: only the pool has workers, not serial"},
		{name: "backlog_0", giveShape: server.Serial, giveOpts: []server.Option{server.Backlog(0)}, wantErr: "server.New(serial): server.Backlog(0): need at least 1"},
		{name: "queue_-1", giveShape: server.Pool, giveOpts: []server.Option{server.Queue(-1)}, wantErr: "server.New(pool): server.Queue(-1): need at least 0"},
		{name: "queue_on_serial", giveShape: server.Serial, giveOpts: []server.Option{server.Queue(1)}, wantErr: "server.New(serial): server.Queue: only the pool has a queue, not serial"},
		{name: "queue_on_goroutine", giveShape: server.Goroutine, giveOpts: []server.Option{server.Queue(1)}, wantErr: "server.New(goroutine): server.Queue: only the pool has a queue, not goroutine"},
		{name: "bad_addr", giveShape: server.Goroutine, giveOpts: []server.Option{server.Addr("127.0.0.1:-1")}, wantErr: "server.New(goroutine): listen tcp: address -1: invalid port"},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			s, err := server.New(tt.giveShape, hello, tt.giveOpts...)
			assert.Nil(t, s, "server.New(%s, %d options): server", tt.giveShape, len(tt.giveOpts))
			assert.EqualError(t, err, tt.wantErr, "server.New(%s, %d options)", tt.giveShape, len(tt.giveOpts))
		})
	}
}

// TestAddr: a server listens where Addr says, here IPv6 loopback where the
// machine has it.
func TestAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	require.NoError(t, ln.Close(), "close probe listener")
	s := start(t, server.Goroutine, server.Hello(), server.Addr("[::1]:0"))
	assert.True(t, strings.HasPrefix(s.URL(), "http://[::1]:"), "New(goroutine, Addr([::1]:0)).URL() = %s", s.URL())
	got := get(newClient(t), s.URL())
	require.NoError(t, got.err, "GET %s", s.URL())
	assert.Equal(t, server.Body, got.body, "GET %s", s.URL())
}

// TestWorkloads: each workload answers the article's body; the io one after
// exactly its wait, in fake time, and at once when the client goes away;
// the stalling one after its wait, and first the rest of a stall.
func TestWorkloads(t *testing.T) {
	const wait = 10 * time.Millisecond
	tests := []struct {
		name        string
		give        func() http.Handler // made in the test's fake time
		giveAt      time.Duration       // when the request comes, after the handler's making
		giveCancel  time.Duration       // cancel the request's context after this; 0: never
		wantElapsed time.Duration
		wantBody    string
	}{
		{name: "hello", give: func() http.Handler { return server.Hello() }, wantElapsed: 0, wantBody: server.Body},
		{name: "io", give: func() http.Handler { return server.IO(wait) }, wantElapsed: wait, wantBody: server.Body},
		{name: "io_client_gone", give: func() http.Handler { return server.IO(wait) }, giveCancel: 3 * time.Millisecond, wantElapsed: 3 * time.Millisecond, wantBody: ""},
		// Stalls of 100 ms every second: at 50 ms the stall has 50 ms
		// left, then the wait of 10 ms; at 150 ms none.
		{name: "stall_during", give: func() http.Handler { return server.Stall(time.Second, 100*time.Millisecond, wait) }, giveAt: 50 * time.Millisecond, wantElapsed: 60 * time.Millisecond, wantBody: server.Body},
		{name: "stall_between", give: func() http.Handler { return server.Stall(time.Second, 100*time.Millisecond, wait) }, giveAt: 150 * time.Millisecond, wantElapsed: wait, wantBody: server.Body},
		{name: "stall_next_second", give: func() http.Handler { return server.Stall(time.Second, 100*time.Millisecond, wait) }, giveAt: 1020 * time.Millisecond, wantElapsed: 90 * time.Millisecond, wantBody: server.Body},
		// Computing takes no fake time: what it costs in real time is
		// measured by the benchmarks.
		{name: "cpu", give: func() http.Handler { return server.CPU(1000) }, wantElapsed: 0, wantBody: server.Body},
	}
	for _, tt := range tests {
		t.Run("work="+tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.giveCancel > 0 {
					time.AfterFunc(tt.giveCancel, cancel)
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/", nil)
				require.NoError(t, err, "NewRequest")
				rec := httptest.NewRecorder()

				h := tt.give()
				time.Sleep(tt.giveAt)
				start := time.Now()
				h.ServeHTTP(rec, req)

				assert.Equal(t, tt.wantElapsed, time.Since(start), "%s: elapsed", tt.name)
				assert.Equal(t, tt.wantBody, rec.Body.String(), "%s: body", tt.name)
			})
		})
	}
}

// BenchmarkCPU is the cpu workload's computation as a handler serves it,
// without a connection: ns/op is what CPURounds costs a request on this
// machine (about 10 ms where it was chosen).
func BenchmarkCPU(b *testing.B) {
	h := server.CPU(server.CPURounds)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
