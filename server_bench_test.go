// The article's third experiment: Flask's hello world served one request at
// a time, by threads and by gevent's WSGIServer, and measured with siege.
// Here the three shapes are package server's Serial, Pool and Goroutine, the
// workloads are hello, io (a 10 ms wait, a database call) and cpu (10 ms of
// hashing), and siege is package load, which reports siege's fields with
// siege's definitions.
//
// The tests prove what queueing predicts, against real loopback sockets and
// with bounds that hold on a slow, busy machine:
//
//	go test -run Queueing -v .
//
// The benchmarks measure every shape under every workload, in a closed loop
// as siege loads it (Server), in an open loop at fixed offered rates
// (Offered), and a stalling server both ways (Stall):
//
//	go test -run '^$' -bench 'Server|Offered|Stall' .
//	go test -run '^$' -bench 'Offered' -count 10 | go tool benchstat -filter .unit:p99-ms -col /server -
//	go test -run '^$' -bench 'Server/.*/work=io/users=100' -count 6 | go tool benchstat -col /server -
//
// and, at GOMAXPROCS=1, the goroutine server as close to gevent as Go comes,
// one thread switching at I/O:
//
//	go test -run '^$' -bench 'Server/server=goroutine/work=io' -cpu 1,2 .
package joinall_test

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
	"github.com/joinall/joinall/server"
)

// serve starts a server of the given shape and closes it when the test or
// benchmark ends. The shapes keep their defaults: Serial its backlog of
// 128, Werkzeug's; Pool its 10 workers and queue of 128; Goroutine Go's
// backlog, the kernel's net.core.somaxconn.
func serve(tb testing.TB, shape server.Shape, h http.Handler, opts ...server.Option) *server.Server {
	tb.Helper()
	s, err := server.New(shape, h, opts...)
	require.NoError(tb, err, "server.New(%s)", shape)
	tb.Cleanup(func() { assert.NoError(tb, s.Close(), "%s.Close", s.Name()) })
	return s
}

// TestQueueingThroughput: a request of the io workload holds its server for
// S without using a CPU, so each shape's throughput at C users follows from
// how many requests it serves at once. The serial server serves one: at most
// 1/S transactions per second. Pool(n) serves n: at most n/S. The goroutine
// server serves all C: at most C/S, the most C closed-loop users can ask for
// when each transaction takes S. The upper bounds are exact (a timer never
// fires early and no request of the run starts before it); each shape must
// also reach half of its bound, which only serving that many at once can
// do.
//
// The benchmarks' setting is S = 10 ms, C/S = 10,000 transactions/s. This
// test uses S = 50 ms, C/S = 2,000/s, and keeps connections alive: under the
// race detector on a busy 2-core machine the driver and the server together
// make about 4,600 keep-alive and 2,700 new-connection transactions/s at
// most, too few for half of 10,000 but four times half of 2,000.
// BenchmarkServer measures S = 10 ms, with a new connection per
// transaction.
func TestQueueingThroughput(t *testing.T) {
	const (
		users   = 100
		wait    = 50 * time.Millisecond // S
		workers = 4
		s       = float64(wait) / float64(time.Second)
	)
	tests := []struct {
		shape   server.Shape
		opts    []server.Option
		wantMax float64 // transactions/s
	}{
		{shape: server.Serial, wantMax: 1 / s},
		{shape: server.Pool, opts: []server.Option{server.Workers(workers)}, wantMax: workers / s},
		{shape: server.Goroutine, wantMax: users / s},
	}
	for _, tt := range tests {
		// Not parallel: the rows would share the process's Ps, and the
		// goroutine server's thousands of transactions a second would delay
		// the serial server's few.
		t.Run("server="+string(tt.shape), func(t *testing.T) {
			srv := serve(t, tt.shape, server.IO(wait), tt.opts...)
			cfg := load.Config{
				URL:       srv.URL(),
				Users:     users,
				Duration:  time.Second,
				KeepAlive: true,
				// Far longer than the run: a request still queued when it
				// ends is cut, not failed.
				Timeout: 10 * time.Second,
			}

			r, err := load.Run(t.Context(), cfg)

			require.NoError(t, err, "load.Run(%+v)", cfg)
			t.Logf("%s, io S=%v, %d users: %.1f trans/s, bound %.1f; concurrency %.1f", srv.Name(), wait, users, r.TransactionRate, tt.wantMax, r.Concurrency)
			assert.Zero(t, r.Failed, "%s, io S=%v, %d users: failed transactions (%+v)", srv.Name(), wait, users, r.Failures)
			assert.LessOrEqual(t, r.TransactionRate, tt.wantMax, "%s, io S=%v, %d users: trans/s above its bound", srv.Name(), wait, users)
			assert.GreaterOrEqual(t, r.TransactionRate, tt.wantMax/2, "%s, io S=%v, %d users: trans/s below half its bound", srv.Name(), wait, users)
		})
	}
}

// TestQueueingAvailability is why the article's single-threaded server lost
// 14 % of its transactions. 200 users connect at once to a server that
// serves a request of the io workload in 10 ms, one at a time, 100 a
// second. Its listen backlog of 128, Werkzeug's, holds 129 connections in
// the kernel's accept queue while it serves one; the kernel drops the other
// users' connection attempts unanswered, and a client sends its SYN again
// only after 1 s. Clients that give up after 900 ms, as the driver's hello
// clients do, fail: those whose SYN was dropped, and those queued behind
// more than 90 others. The goroutine server accepts every connection as it
// comes and serves them all at once, and keeps 100 %.
func TestQueueingAvailability(t *testing.T) {
	const users = 200
	tests := []struct {
		shape            server.Shape
		wantAvailability [2]float64 // at least, at most: percent
	}{
		// Far below 100 on any machine: in the first second alone, at
		// least 70 dropped SYNs and 39 queued too long fail, against at
		// most 100 served.
		{shape: server.Serial, wantAvailability: [2]float64{0, 80}},
		{shape: server.Goroutine, wantAvailability: [2]float64{100, 100}},
	}
	for _, tt := range tests {
		// Not parallel, so that the goroutine server's burst of 200 users
		// has the machine to itself.
		t.Run("server="+string(tt.shape), func(t *testing.T) {
			srv := serve(t, tt.shape, server.IO(server.IOWait))
			cfg := load.Config{
				URL:      srv.URL(),
				Users:    users,
				Duration: 1500 * time.Millisecond,
				// Shorter than the 1 s after which a dropped SYN is sent
				// again, and far longer than a transaction takes otherwise.
				Timeout: 900 * time.Millisecond,
			}

			r, err := load.Run(t.Context(), cfg)

			require.NoError(t, err, "load.Run(%+v)", cfg)
			t.Logf("%s, io, %d users: %d transactions, %d failed, availability %.2f %%, longest %v", srv.Name(), users, r.Transactions, r.Failed, r.Availability, r.Longest)
			assert.GreaterOrEqual(t, r.Availability, tt.wantAvailability[0], "%s, io, %d users: availability", srv.Name(), users)
			assert.LessOrEqual(t, r.Availability, tt.wantAvailability[1], "%s, io, %d users: availability", srv.Name(), users)
			assert.Equal(t, r.Failed, r.Failures.Timeouts(), "%s, io, %d users: every failure is a timeout (%+v)", srv.Name(), users, r.Failures)
		})
	}
}

// TestOfferedLoad is how a server looks to users who arrive on their own,
// as the open loop sends them (load.Config.Rate): a request of the io
// workload holds its server for S = 20 ms here, so that a busy machine
// keeps up with the rates. Below capacity (n/S for n requests served at
// once) the median is near S; past it, the queue grows for as long as the
// run lasts, and the 99th percentile with it, by an order of magnitude in
// a second, or the requests fail. The knee sits where n/S says: the serial
// server (n = 1, 50 a second) and a pool of 4 (200 a second) are flat at
// half their capacity and walled at twice it, and the goroutine server is
// flat at 400 a second, past the others' capacity. Flat and walled are
// told apart by ratios to S and to each other, which a busy machine, that
// delays every request alike, keeps.
func TestOfferedLoad(t *testing.T) {
	const wait = 20 * time.Millisecond // S
	run := func(t *testing.T, shape server.Shape, rate float64, opts ...server.Option) *load.Report {
		t.Helper()
		srv := serve(t, shape, server.IO(wait), opts...)
		cfg := load.Config{URL: srv.URL(), Users: 200, Rate: rate, Duration: time.Second, Timeout: 5 * time.Second}
		r, err := load.Run(t.Context(), cfg)
		require.NoError(t, err, "load.Run(%+v)", cfg)
		t.Logf("%s at %g/s: p50 %v, p99 %v, service p99 %v, availability %.1f %%, unsent %d", srv.Name(), rate, r.P50, r.P99, r.Service.P99, r.Availability, r.Unsent)
		return r
	}
	walled := func(r *load.Report) bool { return r.P99 >= 10*wait || r.Availability < 100 || r.Unsent > 0 }
	tests := []struct {
		shape    server.Shape
		opts     []server.Option
		capacity float64 // n/S
	}{
		{shape: server.Serial, capacity: 50},
		{shape: server.Pool, opts: []server.Option{server.Workers(4)}, capacity: 200},
	}
	var serialWall *load.Report
	for _, tt := range tests {
		t.Run(fmt.Sprintf("server=%s", tt.shape), func(t *testing.T) {
			flat := run(t, tt.shape, tt.capacity/2, tt.opts...)
			wall := run(t, tt.shape, tt.capacity*2, tt.opts...)

			assert.GreaterOrEqual(t, flat.P50, wait, "at half its capacity: p50 at least S")
			assert.Equal(t, 100.0, flat.Availability, "at half its capacity: availability")
			assert.False(t, walled(flat), "at half its capacity: p99 %v, availability %.1f %%, unsent %d: a wall", flat.P99, flat.Availability, flat.Unsent)
			assert.True(t, walled(wall), "at twice its capacity: p99 %v (S = %v), availability %.1f %%, unsent %d: no wall", wall.P99, wait, wall.Availability, wall.Unsent)
			if wall.Availability == 100 && wall.Unsent == 0 {
				assert.Greater(t, wall.P99, 5*flat.P99, "p99 at twice its capacity against at half")
			}
			if tt.shape == server.Serial {
				serialWall = wall
			}
		})
	}
	t.Run("server=goroutine", func(t *testing.T) {
		r := run(t, server.Goroutine, 400)

		assert.GreaterOrEqual(t, r.P50, wait, "p50 at least S")
		assert.Equal(t, 100.0, r.Availability, "availability")
		assert.False(t, walled(r), "p99 %v, availability %.1f %%, unsent %d: a wall", r.P99, r.Availability, r.Unsent)
		if serialWall != nil {
			assert.Less(t, 5*r.P99, serialWall.P99, "p99 at 400/s against the serial server's at 100/s")
		}
	})
}

// TestClosedLoopHidesStall is coordinated omission, measured: a server
// that stalls for 100 ms of every second, and answers in 5 ms otherwise.
// Five users in a closed loop wait out each stall with it, so that only
// their five requests a second see it, under 1 % of about 900: their 99th
// percentile hardly moves. Requests arriving on their own at the same mean
// rate keep coming during the stall, and about a tenth of them wait for
// it: the open loop's 99th percentile, counted from each request's
// intended send, is the stall.
func TestClosedLoopHidesStall(t *testing.T) {
	srv := serve(t, server.Goroutine, server.Stall(time.Second, 100*time.Millisecond, 5*time.Millisecond))
	closed := load.Config{URL: srv.URL(), Users: 5, Duration: 2500 * time.Millisecond, KeepAlive: true, Timeout: 5 * time.Second}

	c, err := load.Run(t.Context(), closed)
	require.NoError(t, err, "load.Run(%+v)", closed)
	open := load.Config{URL: srv.URL(), Users: 200, Rate: c.TransactionRate, Duration: 2500 * time.Millisecond, KeepAlive: true, Timeout: 5 * time.Second}
	o, err := load.Run(t.Context(), open)
	require.NoError(t, err, "load.Run(%+v)", open)

	t.Logf("closed loop: %.0f trans/s, p99 %v; open loop: %.0f trans/s, p99 %v (service p99 %v)", c.TransactionRate, c.P99, o.TransactionRate, o.P99, o.Service.P99)
	assert.Greater(t, o.P99, 50*time.Millisecond, "open loop's p99: the stall")
	assert.Greater(t, o.P99, 2*c.P99, "closed loop's p99 %v against the open loop's %v: the closed loop under-reports", c.P99, o.P99)
}

// BenchmarkServer measures every shape under every workload with siege's
// fields (load.Report.Metrics), named server=S/work=W/users=C so that
// benchstat -col /server sets the shapes side by side. One op is one 1 s
// run of the closed-loop driver against a fresh server, with a new
// connection per transaction as siege makes them, and every figure per op
// is per transaction: ns/op is the inverse of trans/s. Clients give up
// after 900 ms on hello, just before a SYN that a full backlog dropped is
// sent again, and after 5 s on io and cpu, where the serial server queues
// 100 users' 10 ms requests for a second.
func BenchmarkServer(b *testing.B) {
	workloads := []struct {
		name    string
		handler http.Handler
		timeout time.Duration
		users   []int
	}{
		// 200 is the article's setting. One user measures what a request
		// costs; io shows its scaling at 100, where the pool of 10 queues;
		// cpu is bound by the cores from 10 users on.
		{name: "hello", handler: server.Hello(), timeout: 900 * time.Millisecond, users: []int{1, 10, 200}},
		{name: "io", handler: server.IO(server.IOWait), timeout: 5 * time.Second, users: []int{1, 100}},
		{name: "cpu", handler: server.CPU(server.CPURounds), timeout: 5 * time.Second, users: []int{1, 10}},
	}
	for _, w := range workloads {
		for _, users := range w.users {
			// The three shapes of a row run one after another, so that
			// they meet the same machine.
			for _, shape := range server.Shapes {
				b.Run(fmt.Sprintf("server=%s/work=%s/users=%d", shape, w.name, users), func(b *testing.B) {
					benchRuns(b, func() (*server.Server, error) { return server.New(shape, w.handler) }, load.Config{
						Users:    users,
						Duration: time.Second,
						Timeout:  w.timeout,
					})
				})
			}
		}
	}
}

// BenchmarkOffered is each shape as users who arrive on their own see it:
// an open loop (load.Config.Rate) offers the io workload a fixed rate, below,
// at and past the shape's capacity (serial 1/S = 100/s, a pool of 10 n/S =
// 1,000/s, the goroutine server whatever the machine allows), for 1 s per
// op, with at most 200 requests in flight and a new connection for each.
// Its p50-ms and p99-ms run from each request's intended send; the
// benchmark reports them with the rate achieved, avail-% and unsent.
func BenchmarkOffered(b *testing.B) {
	rates := map[server.Shape][]float64{
		server.Serial:    {50, 100, 200},
		server.Pool:      {500, 1000, 2000},
		server.Goroutine: {1000, 3000, 10000},
	}
	for _, shape := range server.Shapes {
		for _, rate := range rates[shape] {
			b.Run(fmt.Sprintf("server=%s/work=io/rate=%g", shape, rate), func(b *testing.B) {
				benchRuns(b, func() (*server.Server, error) { return server.New(shape, server.IO(server.IOWait)) }, load.Config{
					Users: 200, Rate: rate, Duration: time.Second, Timeout: 5 * time.Second,
				})
			})
		}
	}
}

// BenchmarkStall is what a closed loop cannot see: a server that stalls
// for 100 ms of every second and answers in 5 ms otherwise, loaded by 5
// users in a closed loop (model=closed), then by an open loop at the rate
// the closed loop achieved (model=open), each for 2 s on kept-alive
// connections. The closed loop's users wait out each stall, so few of its
// requests see one; the open loop's requests keep arriving and wait for
// it, and their p99-ms, from the intended send, is the stall.
func BenchmarkStall(b *testing.B) {
	stall := func() (*server.Server, error) {
		return server.New(server.Goroutine, server.Stall(time.Second, 100*time.Millisecond, 5*time.Millisecond))
	}
	cfg := load.Config{Users: 5, Duration: 2 * time.Second, KeepAlive: true, Timeout: 5 * time.Second}
	var rate float64 // the closed loop's, which the open loop offers
	b.Run("work=stall/model=closed", func(b *testing.B) {
		rate = meanRate(benchRuns(b, stall, cfg))
	})
	b.Run("work=stall/model=open", func(b *testing.B) {
		open := cfg
		open.Users, open.Rate = 200, rate
		benchRuns(b, stall, open)
	})
}

// meanRate is the mean transaction rate of the reports.
func meanRate(reports []*load.Report) float64 {
	sum := 0.0
	for _, r := range reports {
		sum += r.TransactionRate
	}
	return sum / float64(max(len(reports), 1))
}

// benchRuns runs cfg once per iteration against a server of its own, and
// reports the mean over the runs of each of the report's metrics
// (load.Report.Metrics) and of the connection attempts the kernel dropped
// from the server's full accept queue (listen-drops; Linux only), with the
// process's allocations, the driver's and the server's, per transaction.
// It returns the runs' reports.
func benchRuns(b *testing.B, newServer func() (*server.Server, error), cfg load.Config) []*load.Report {
	b.Helper()
	var (
		reports               []*load.Report
		errs                  []error
		hits                  int
		mallocs, allocedBytes uint64
		before, after         runtime.MemStats
		drops                 float64 // connection attempts the kernel dropped
		dropsRead             int     // runs whose drops could be read
	)
	b.ReportAllocs()
	for b.Loop() {
		srv, err := newServer()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfg.URL = srv.URL()
		dropsBefore, dropsErr := listenDrops()
		runtime.ReadMemStats(&before)
		r, err := load.Run(b.Context(), cfg)
		runtime.ReadMemStats(&after)
		dropsAfter, dropsErr2 := listenDrops()
		errs = append(errs, err, srv.Close())
		if r != nil {
			reports = append(reports, r)
			hits += r.Transactions
		}
		if dropsErr == nil && dropsErr2 == nil {
			drops += float64(dropsAfter - dropsBefore)
			dropsRead++
		}
		mallocs += after.Mallocs - before.Mallocs
		allocedBytes += after.TotalAlloc - before.TotalAlloc
	}
	require.NoError(b, errors.Join(errs...), "load.Run(%+v)", cfg)
	sums := map[string]float64{}
	var units []string
	for _, r := range reports {
		for _, m := range r.Metrics() {
			if _, ok := sums[m.Unit]; !ok {
				units = append(units, m.Unit)
			}
			sums[m.Unit] += m.Value
		}
	}
	for _, unit := range units {
		b.ReportMetric(sums[unit]/float64(len(reports)), unit)
	}
	if dropsRead > 0 {
		b.ReportMetric(drops/float64(dropsRead), "listen-drops")
	}
	// Per transaction. With no transaction they are 0, which makes the
	// testing package leave them out.
	if hits > 0 {
		b.ReportMetric(float64(allocedBytes)/float64(hits), "B/op")
		b.ReportMetric(float64(mallocs)/float64(hits), "allocs/op")
	}
	return reports
}
