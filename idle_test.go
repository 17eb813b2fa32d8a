// What a waiting connection costs: how many idle kept-alive connections a
// server holds, and how much memory and how many threads each one takes.
// The question gevent was made for, asked of the goroutine server, gevent,
// today's Python servers and nginx.
//
// BenchmarkIdle opens N connections to a server in a process of its own,
// sends one request on each, reads the answer and keeps them all open and
// idle, for N = 1,000, 5,000 and 10,000, and reads the server's resident
// memory and threads from /proc (Linux) at each N. Its figure is the slope:
// bytes per idle connection. The Go rows also say where the bytes go, from
// the runtime's own counts (runtime.MemStats), and beside net/http two
// hand-made servers, a goroutine per connection with buffers of net/http's
// size and of the least size, say what its buffers weigh.
//
//	go test -run '^$' -bench Idle -count 10 . | go tool benchstat -col /server -
//
// The tests prove the measurement on the goroutine server: memory grows
// with N, every connection counted as held stayed open for the whole hold,
// and none that the server closed is counted:
//
//	go test -run Idle -v .
package joinall_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/server"
)

// An idleLoad is how connections are opened and held: in steps of
// increasing counts, with the server's memory read at each step.
type idleLoad struct {
	steps   []int         // connections held at each step, increasing
	dialers int           // connections being opened at once
	timeout time.Duration // for one connection to be opened and answered
	open    time.Duration // for every step's opening, together
	settle  time.Duration // from a step's last answer to its reading
	hold    time.Duration // from the last step's reading to the check
}

// benchIdle is BenchmarkIdle's load. 64 connections are opened at once,
// well under the listen backlog of any of the servers (Werkzeug's 128),
// so that no connection attempt is dropped. A server that takes more than
// 60 s to answer 10,000 requests, or 10 s to answer one, is not holding
// them.
var benchIdle = idleLoad{
	steps:   []int{1_000, 5_000, 10_000},
	dialers: 64,
	timeout: 10 * time.Second,
	open:    60 * time.Second,
	settle:  100 * time.Millisecond,
	hold:    200 * time.Millisecond,
}

// An idlePoint is one step: the connections open at its reading, and
// what the server's processes held then.
type idlePoint struct {
	conns int
	usage usage
}

// An idleResult is what holdIdle measured. Every connection of the last
// step is counted once, as held, closed, failed or untried.
type idleResult struct {
	points  []idlePoint   // one per step made
	opening time.Duration // the time the steps spent opening connections
	held    int           // answered, and open until the end of the hold
	closed  int           // answered, then closed by the server, or told it would be
	failed  int           // not answered: refused, reset, timed out, or not tried in time
	untried int           // of the steps not made, as the server held none
	err     error         // why the first that failed did
}

// holdIdle opens l's connections to the server at addr (host:port), a
// step at a time, each with one request whose answer it reads, and keeps
// them open. After each step it waits l.settle and calls measure, when
// given, for the server's usage; a server that holds none of a step's
// connections will not hold more, and the steps stop there. After the
// last it waits l.hold and then checks every connection: one is held if
// nothing came from the server on it since its answer, neither bytes nor
// its end, which a reader blocked on each connection sees the moment it
// happens. It closes them all before it returns.
func holdIdle(ctx context.Context, addr string, l idleLoad, measure func() (usage, error)) (idleResult, error) {
	var (
		res                  idleResult
		mu                   sync.Mutex
		conns                []net.Conn // guarded by mu
		firstErr             error      // guarded by mu
		readers              sync.WaitGroup
		held, dropped        atomic.Int64
		answered, closed     atomic.Int64
		failed               atomic.Int64
		request              = []byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: joinall-idle\r\n\r\n")
		openCtx, cancelOpens = context.WithTimeout(ctx, l.open)
	)
	defer cancelOpens()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close() // the server sees its connections end here
		}
		readers.Wait()
	}()
	tried := 0
	for _, n := range l.steps {
		start := time.Now()
		var next atomic.Int64
		next.Store(int64(tried))
		var dialers sync.WaitGroup
		for range min(l.dialers, n-tried) {
			dialers.Go(func() {
				for next.Add(1) <= int64(n) {
					if openCtx.Err() != nil {
						failed.Add(1) // not tried in time
						continue
					}
					c, br, err := openIdle(openCtx, addr, request, l.timeout)
					switch {
					case err != nil:
						failed.Add(1)
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						continue
					case c == nil:
						closed.Add(1)
						continue
					}
					answered.Add(1)
					mu.Lock()
					conns = append(conns, c)
					mu.Unlock()
					readers.Go(func() {
						_, err := br.ReadByte()
						if errors.Is(err, os.ErrDeadlineExceeded) {
							held.Add(1)
						} else {
							dropped.Add(1) // the server closed it, or wrote
						}
					})
				}
			})
		}
		dialers.Wait()
		res.opening += time.Since(start)
		tried = n
		if err := sleep(l.settle)(ctx); err != nil {
			return res, err
		}
		p := idlePoint{conns: int(answered.Load() - dropped.Load())}
		if measure != nil {
			var err error
			if p.usage, err = measure(); err != nil {
				return res, err
			}
		}
		res.points = append(res.points, p)
		if p.conns == 0 {
			res.untried = l.steps[len(l.steps)-1] - n
			break
		}
	}
	if err := sleep(l.hold)(ctx); err != nil {
		return res, err
	}
	// The end of the hold: every reader still blocked returns now with
	// os.ErrDeadlineExceeded, and its connection was held throughout.
	mu.Lock()
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Unix(1, 0))
	}
	mu.Unlock()
	readers.Wait()
	res.held = int(held.Load())
	res.closed = int(closed.Load() + dropped.Load())
	res.failed = int(failed.Load())
	res.err = firstErr
	return res, nil
}

// openIdle connects to addr, sends request and reads the answer, which
// must be 200 and hello world, within timeout. It returns the connection,
// and the reader that holds what came after the answer (nothing, from a
// server that waits for the next request), or a nil connection, closed,
// when the server said it closes it.
func openIdle(ctx context.Context, addr string, request []byte, timeout time.Duration) (net.Conn, *bufio.Reader, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	deadline, _ := ctx.Deadline()
	br := bufio.NewReaderSize(c, 512)
	err = c.SetDeadline(deadline)
	if err == nil {
		_, err = c.Write(request)
	}
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(br, nil)
	}
	if err == nil {
		var body []byte
		body, err = io.ReadAll(io.LimitReader(resp.Body, 1024))
		err = errors.Join(err, resp.Body.Close())
		if err == nil && (resp.StatusCode != http.StatusOK || string(body) != server.Body) {
			err = fmt.Errorf("GET %s: %s %q, want 200 %q", addr, resp.Status, body, server.Body)
		}
	}
	if err == nil {
		err = c.SetDeadline(time.Time{})
	}
	if err != nil || resp.Close {
		return nil, nil, errors.Join(err, c.Close())
	}
	return c, br, nil
}

// slope is the least-squares slope of the points' resident bytes against
// their connections, in bytes per connection, and whether there are two
// points with different numbers of connections to draw it through.
func slope(points []idlePoint) (float64, bool) {
	var n, sx, sy, sxx, sxy float64
	for _, p := range points {
		if p.conns <= 0 {
			continue
		}
		x, y := float64(p.conns), float64(p.usage.rss)
		n, sx, sy, sxx, sxy = n+1, sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	d := n*sxx - sx*sx
	if n < 2 || d == 0 {
		return 0, false
	}
	return (n*sxy - sx*sy) / d, true
}

// idleServers are BenchmarkIdle's servers, each serving hello world.
func idleServers() []side {
	return []side{
		goSide("goroutine", "serve", "goroutine", "hello"),
		goSide("bufio-4096", "bufio", "4096"),
		goSide("bufio-16", "bufio", "16"),
		goSide("serial", "serve", "serial", "hello"),
		pythonSide("gevent", nil, "servers.py", "gevent", "hello"),
		gunicornSide().with("hello"),
		pythonSide("uvicorn", []string{"uvicorn", "uvloop", "starlette"}, "asgi.py", "hello"),
		pythonSide("flask-threaded", nil, "servers.py", "threaded", "hello"),
		nginxSide(),
	}
}

// BenchmarkIdle holds benchIdle's connections on each server, a fresh
// server per op, and reports, per op: ns/op, the time opening the
// connections took; held, closed and failed, the connections of the last
// step as holdIdle counts them, and untried (a server that cannot hold
// them says so here: the serial server and Werkzeug's, app.run(threaded=
// True), close each connection after its answer); rss-Nk-MB, the resident
// memory of the server's processes, summed, at each step made; B/conn,
// the slope of those points against the connections open at each;
// threads, the OS threads of the server's processes at the last step. For
// the Go rows, from the runtime's counts after a collection, the growth of
// goroutines (goroutines/conn), of goroutine stacks (stack-B/conn) and of
// the heap in use (heap-B/conn) from before the first connection to the
// last step, per connection open then.
//
// goroutine is package server's goroutine server, net/http. bufio-4096
// and bufio-16 are a goroutine per connection without net/http: the
// request read with http.ReadRequest from a bufio.Reader, the answer
// written through a bufio.Writer, both of 4096 bytes (net/http's size)
// or 16 (bufio's least); between them is what the buffers weigh.
// An op takes a few seconds, longer than -benchtime's 1s: each result is
// one op.
func BenchmarkIdle(b *testing.B) {
	fmt.Printf("connections: kept alive, one request each, then idle\nhold: %v\n", benchIdle.hold)
	for _, s := range idleServers() {
		b.Run("server="+s.name, func(b *testing.B) {
			if s.skip != nil {
				b.Skip(s.skip)
			}
			if err := measurable(); err != nil {
				b.Skipf("the server's memory is read from /proc: %v", err)
			}
			var (
				res          idleResult
				base, loaded memStats
				errs         []error
			)
			for b.Loop() {
				var err error
				res, base, loaded, err = idleOnce(b.Context(), s, benchIdle)
				errs = append(errs, err)
			}
			require.NoError(b, errors.Join(errs...), "server=%s", s.name)
			reportIdle(b, benchIdle, res, base, loaded)
		})
	}
}

// reportIdle reports an op's figures, as BenchmarkIdle says.
func reportIdle(b *testing.B, l idleLoad, res idleResult, base, loaded memStats) {
	b.ReportMetric(float64(res.opening.Nanoseconds()), "ns/op")
	b.ReportMetric(float64(res.held), "held")
	b.ReportMetric(float64(res.closed), "closed")
	b.ReportMetric(float64(res.failed), "failed")
	b.ReportMetric(float64(res.untried), "untried")
	for i, p := range res.points {
		b.ReportMetric(float64(p.usage.rss)/1e6, "rss-"+countName(l.steps[i])+"-MB")
	}
	if perConn, ok := slope(res.points); ok {
		b.ReportMetric(perConn, "B/conn")
	}
	last := res.points[len(res.points)-1]
	b.ReportMetric(float64(last.usage.threads), "threads")
	if n := float64(last.conns); loaded.Goroutines > 0 && n > 0 {
		b.ReportMetric(float64(loaded.Goroutines-base.Goroutines)/n, "goroutines/conn")
		b.ReportMetric((float64(loaded.StackInuse)-float64(base.StackInuse))/n, "stack-B/conn")
		b.ReportMetric((float64(loaded.HeapInuse)-float64(base.HeapInuse))/n, "heap-B/conn")
	}
}

// countName is n as a unit names it: 1k for 1,000.
func countName(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// idleOnce starts the server, checks that it answers hello world, holds
// l's connections on it, measuring the processes of its group, and stops
// it. For the Go side it also returns the runtime's counts before the
// first connection and at the last step; zero for the others.
func idleOnce(ctx context.Context, s side, l idleLoad) (idleResult, memStats, memStats, error) {
	var base, loaded memStats
	srv, err := startServer(ctx, s)
	if err != nil {
		return idleResult{}, base, loaded, err
	}
	goSide := s.isGo()
	err = helloCheck(ctx, srv.url)
	if err == nil && goSide {
		base, err = srv.memStats()
	}
	var res idleResult
	if err == nil {
		steps := 0
		measure := func() (usage, error) {
			u, err := groupUsage(srv.pid)
			if steps++; err == nil && goSide && steps == len(l.steps) {
				loaded, err = srv.memStats()
			}
			return u, err
		}
		addr := strings.TrimSuffix(strings.TrimPrefix(srv.url, "http://"), "/")
		res, err = holdIdle(ctx, addr, l, measure)
		if err == nil && res.held+res.closed == 0 {
			err = fmt.Errorf("%s answered none of %d connections: %w", s.name, res.failed, res.err)
		}
	}
	return res, base, loaded, errors.Join(err, srv.stop())
}

// memStats are the runtime's counts that the Go side answers "memstats"
// with, after a collection, so that the heap is what is live.
type memStats struct {
	StackInuse uint64 `json:"stack_inuse"` // goroutine stacks
	HeapInuse  uint64 `json:"heap_inuse"`  // heap spans in use
	Goroutines int    `json:"goroutines"`
}

// memStats asks a server of the Go side for its memStats.
func (s *started) memStats() (memStats, error) {
	var m memStats
	line, err := s.ask("memstats")
	if err == nil {
		err = json.Unmarshal([]byte(line), &m)
	}
	return m, err
}

// answerMemStats answers each line "memstats" on standard input with the
// process's memStats, one line of JSON on standard output, until standard
// input ends; a server of the Go side runs it beside serving.
func answerMemStats() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() != "memstats" {
			fmt.Fprintf(os.Stderr, "%q: want memstats\n", sc.Text())
			continue
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		err := json.NewEncoder(os.Stdout).Encode(memStats{StackInuse: m.StackInuse, HeapInuse: m.HeapInuse, Goroutines: runtime.NumGoroutine()})
		if err != nil {
			fmt.Fprintln(os.Stderr, "memstats:", err)
		}
	}
}

// bufioChild serves hello world on 127.0.0.1 as net/http would to a
// client that keeps its connection alive, with a goroutine per
// connection, but by hand: it reads each request with http.ReadRequest
// from a bufio.Reader of size bytes, and writes the answer through a
// bufio.Writer of size bytes. It prints its port and serves until SIGTERM.
func bufioChild(size int) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	answer := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s", len(server.Body), server.Body)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br, bw := bufio.NewReaderSize(c, size), bufio.NewWriterSize(c, size)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, err = io.Copy(io.Discard, req.Body)
					if err == nil {
						_, err = bw.WriteString(answer)
					}
					if err != nil || bw.Flush() != nil || req.Close {
						return
					}
				}
			}()
		}
	}()
	go answerMemStats()
	_, err = fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	if err == nil {
		<-ctx.Done()
	}
	// The connections end with the process.
	return errors.Join(err, ln.Close())
}

// nginxSide is nginx (Debian's nginx-light) serving hello world as
// testdata/nginx/hello.conf says, or why it cannot.
func nginxSide() side {
	path, err := exec.LookPath("nginx")
	if err != nil {
		path, err = exec.LookPath("/usr/sbin/nginx")
	}
	if err != nil {
		return side{name: "nginx", skip: errors.New("nginx is not installed (apt-get install nginx-light)")}
	}
	conf, err := template.ParseFiles(filepath.Join("testdata", "nginx", "hello.conf"))
	if err != nil {
		return side{name: "nginx", skip: err}
	}
	return side{
		name: "nginx",
		env:  []string{"NGINX=3;"}, // the socket it inherits: file descriptor 3
		inherit: func(dir string, port int) ([]string, error) {
			name := filepath.Join(dir, "nginx.conf")
			f, err := os.Create(name)
			if err != nil {
				return nil, err
			}
			err = conf.Execute(f, struct {
				Dir  string
				Port int
			}{dir, port})
			return []string{path, "-p", dir, "-c", name, "-e", "stderr"}, errors.Join(err, f.Close())
		},
	}
}

// TestIdleHolds is the measurement on the goroutine server, in a process
// of its own as in BenchmarkIdle, with fewer connections: every one is
// held for the whole hold, each by a goroutine of the server's, and the
// server's resident memory grows with them, by at least 2 KiB each (a
// goroutine's least stack) and at most 1 MiB.
func TestIdleHolds(t *testing.T) {
	if err := measurable(); err != nil {
		t.Skipf("the server's memory is read from /proc: %v", err)
	}
	srv, err := startServer(t.Context(), goSide("goroutine", "serve", "goroutine", "hello"))
	require.NoError(t, err, "start the goroutine server")
	defer func() { assert.NoError(t, srv.stop(), "stop the goroutine server") }()
	require.NoError(t, helloCheck(t.Context(), srv.url), "GET %s", srv.url)
	base, err := srv.memStats()
	require.NoError(t, err, "memstats before")
	l := idleLoad{steps: []int{200, 1000}, dialers: 32, timeout: 10 * time.Second, open: 30 * time.Second, settle: 100 * time.Millisecond, hold: 300 * time.Millisecond}
	var loaded memStats
	measure := func() (usage, error) {
		u, err := groupUsage(srv.pid)
		if err == nil {
			loaded, err = srv.memStats()
		}
		return u, err
	}

	res, err := holdIdle(t.Context(), strings.TrimSuffix(strings.TrimPrefix(srv.url, "http://"), "/"), l, measure)

	require.NoError(t, err, "holdIdle(%+v)", l)
	assert.Equal(t, idleResult{held: 1000}, idleResult{held: res.held, closed: res.closed, failed: res.failed}, "holdIdle(%+v): connections (first failure: %v)", l, res.err)
	require.Len(t, res.points, 2, "holdIdle(%+v): a point per step", l)
	assert.Equal(t, []int{200, 1000}, []int{res.points[0].conns, res.points[1].conns}, "holdIdle(%+v): connections open at each step", l)
	perConn, ok := slope(res.points)
	require.True(t, ok, "holdIdle(%+v): a slope through %+v", l, res.points)
	t.Logf("%.0f B/conn; rss %d -> %d; goroutines %d -> %d", perConn, res.points[0].usage.rss, res.points[1].usage.rss, base.Goroutines, loaded.Goroutines)
	assert.GreaterOrEqual(t, perConn, 2048.0, "resident bytes per idle connection")
	assert.LessOrEqual(t, perConn, float64(1<<20), "resident bytes per idle connection")
	assert.GreaterOrEqual(t, loaded.Goroutines-base.Goroutines, 1000, "the server's goroutines, with 1000 connections open")
}

// TestIdleCountsOnlyHeld: a connection is held only if the server kept it
// open from its answer to the end of the hold. Connections the server
// closed, at once or while they waited, and requests it never answered
// are counted as such, and holdIdle returns within its bounds whatever
// the server does. Each row asks for 30 connections, 10 then 20 more; a
// server that holds none of the first 10 is not asked for more.
func TestIdleCountsOnlyHeld(t *testing.T) {
	const conns = 30
	var n atomic.Int64
	tests := []struct {
		name        string
		giveHandler http.HandlerFunc
		giveIdle    time.Duration // the server's IdleTimeout; 0 for none
		wantHeld    int
		wantClosed  int
		wantFailed  int
		wantUntried int
	}{
		{name: "keeps_them", giveHandler: hello, wantHeld: conns},
		{
			name: "says_close",
			giveHandler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Connection", "close")
				hello(w, r)
			},
			wantClosed:  10,
			wantUntried: 20,
		},
		{
			// Every other request is answered with Connection: close.
			name: "closes_half",
			giveHandler: func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1)%2 == 0 {
					w.Header().Set("Connection", "close")
				}
				hello(w, r)
			},
			wantHeld:   conns / 2,
			wantClosed: conns / 2,
		},
		{
			// Shorter than the hold: every connection is closed while it
			// waits.
			name:        "closes_idle",
			giveHandler: hello,
			giveIdle:    100 * time.Millisecond,
			wantClosed:  conns,
		},
		{
			name:        "never_answers",
			giveHandler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			wantFailed:  10,
			wantUntried: 20,
		},
	}
	for _, tt := range tests {
		t.Run("server="+tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(tt.giveHandler)
			srv.Config.IdleTimeout = tt.giveIdle
			srv.Start()
			defer srv.Close()
			l := idleLoad{steps: []int{10, conns}, dialers: 8, timeout: 200 * time.Millisecond, open: 5 * time.Second, settle: 20 * time.Millisecond, hold: 300 * time.Millisecond}

			start := time.Now()
			res, err := holdIdle(t.Context(), srv.Listener.Addr().String(), l, nil)
			elapsed := time.Since(start)

			require.NoError(t, err, "holdIdle(%+v)", l)
			assert.Equal(t, []int{tt.wantHeld, tt.wantClosed, tt.wantFailed, tt.wantUntried}, []int{res.held, res.closed, res.failed, res.untried}, "holdIdle: held, closed, failed, untried")
			assert.Less(t, elapsed, l.open+l.timeout+2*(l.settle+l.hold), "holdIdle: elapsed")
		})
	}
}

func hello(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, server.Body) }
