// The open loop, exact: in fake time (testing/synctest), over an in-memory
// network, requests go out on their schedule whether or not the server
// keeps up; each is timed from its intended send (corrected) and from its
// actual send (service); what cannot be sent is counted, not lost; and a
// kept-alive connection that the server closed while idle is retried, while
// any other failure on it counts.
//
//	go test -run 'Open|KeepAliveRetry' -v ./load
package load_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

// TestRunOpenKeepsUp: 100 requests a second for 2 s to a server that
// answers each in 1 ms, with 2 slots: all 200 are sent on time, the rate
// achieved is the rate intended, and corrected and service times agree.
func TestRunOpenKeepsUp(t *testing.T) {
	const ms = time.Millisecond
	for _, keepAlive := range keepAlives {
		t.Run("keepalive="+boolString(keepAlive), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := load.Config{
					URL: "http://pipe.test/", Users: 2, Rate: 100, Duration: 2 * time.Second,
					KeepAlive: keepAlive, DialContext: servePipe(t, slowly(ms, http.StatusOK, helloBody)),
				}

				got, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run(%+v)", cfg)
				assert.Equal(t, 200, got.Transactions, "hits")
				assert.Zero(t, got.Unsent, "unsent")
				assert.Equal(t, 100.0, got.TransactionRate, "rate achieved, intended 100/s")
				assert.Equal(t, 2*time.Second, got.Elapsed, "elapsed: the schedule's length")
				assert.Zero(t, got.Drain, "drain: the last request, sent at 1.99 s, ends at 1.991 s, before the end")
				assert.Equal(t, 1, got.PeakInFlight, "peak in flight: each ends before the next is due")
				assert.Equal(t, load.Percentiles{P50: ms, P90: ms, P99: ms, P999: ms, Max: ms}, got.Service, "service times")
				assert.Equal(t, [4]time.Duration{ms, ms, ms, ms}, [4]time.Duration{got.P50, got.P90, got.P99, got.P999}, "corrected times")
				assert.Equal(t, "open loop, 100/s for 2s, at most 2 in flight", got.Describe(), "Describe")
			})
		})
	}
}

// TestRunOpenStall: 100 requests a second for 2 s, one slot, a server that
// answers in 1 ms but stalls from 0.5 s to 1.5 s. The request sent at 0.5 s
// is answered at 1.5 s; the 100 due meanwhile wait for the slot and go one
// after another from 1.5 s, so the queue drains by about 1.61 s. Service
// times see one long request; corrected times see every request the stall
// delayed, each charged from its intended send.
func TestRunOpenStall(t *testing.T) {
	const (
		ms           = time.Millisecond
		rate         = 100
		length       = 2 * time.Second
		service      = ms
		stall, until = 500 * ms, 1500 * ms
	)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if at := time.Since(start); at >= stall && at < until {
				time.Sleep(until - at)
			}
			time.Sleep(service)
			w.Write([]byte(helloBody))
		})
		cfg := load.Config{URL: "http://pipe.test/", Users: 1, Rate: rate, Duration: length, KeepAlive: true, DialContext: servePipe(t, h)}

		got, err := load.Run(t.Context(), cfg)

		// One slot: request i is due at i x 10 ms and starts when it is
		// due or when the one before it has ended, whichever is later.
		var corrected, services []time.Duration
		var total time.Duration
		free := time.Duration(0)
		for i := range int(rate * length.Seconds()) {
			due := time.Duration(i) * time.Second / rate
			sent := max(due, free)
			end := sent + service
			if sent >= stall && sent < until {
				end = until + service
			}
			free = end
			corrected = append(corrected, end-due)
			services = append(services, end-sent)
			total += end - due
		}
		slices.Sort(corrected)
		slices.Sort(services)
		require.NoError(t, err, "Run(stall)")
		assert.Equal(t, 200, got.Transactions, "hits: every request sent, however late")
		assert.Zero(t, got.Unsent, "unsent: the queue drained before the end")
		assert.Equal(t, total/200, got.ResponseTime, "mean corrected time: T / H, exact")
		assert.Equal(t, corrected[199], got.Longest, "longest: the request sent at 0.5 s, 1 s")
		assert.Equal(t, time.Second+service, got.Longest, "longest")
		for _, p := range []struct {
			name      string
			got, want time.Duration
		}{
			{"p50", got.P50, corrected[99]}, {"p90", got.P90, corrected[179]},
			{"p99", got.P99, corrected[197]}, {"p99.9", got.P999, corrected[199]},
		} {
			assert.InDelta(t, p.want, p.got, float64(p.want)/1000, "corrected %s: within the histogram's 0.1 %%", p.name)
		}
		// The stall delayed half the requests: corrected p50 and up see it.
		assert.Greater(t, got.P90, 500*ms, "corrected p90: the stall, charged to the requests it delayed")
		// Only the one request in flight saw the stall from its send.
		assert.Equal(t, load.Percentiles{P50: service, P90: service, P99: service, P999: time.Second + service, Max: time.Second + service}, got.Service, "service times")
		assert.Equal(t, services[197], got.Service.P99, "service p99: what siege's closed loop would report")
	})
}

// TestRunOpenAccounting: nothing disappears. 100 requests a second for 2 s
// to a server that takes 30 ms, with one slot: request k starts at 30k ms,
// so the 67 that start before 2 s are sent (the last ends at 2.01 s, 10 ms
// after the schedule) and the other 133 are unsent. hits + failed + unsent
// = 200 = R x D. Request k waits 20k ms and is served in 30: corrected
// times from 30 ms to 1.35 s, mean 0.69 s.
func TestRunOpenAccounting(t *testing.T) {
	const ms = time.Millisecond
	synctest.Test(t, func(t *testing.T) {
		cfg := load.Config{
			URL: "http://pipe.test/", Users: 1, Rate: 100, Duration: 2 * time.Second,
			DialContext: servePipe(t, slowly(30*ms, http.StatusOK, helloBody)),
		}

		got, err := load.Run(t.Context(), cfg)

		require.NoError(t, err, "Run(accounting)")
		assert.Equal(t, 67, got.Transactions, "hits")
		assert.Equal(t, 133, got.Unsent, "unsent")
		assert.Equal(t, 200, got.Transactions+got.Failed+got.Unsent, "hits + failed + unsent = R x D")
		assert.Equal(t, 33.5, got.TransactionRate, "rate achieved: 67 in 2 s")
		assert.Equal(t, 10*ms, got.Drain, "drain: the request sent at 1.98 s ends at 2.01 s")
		assert.Equal(t, 690*ms, got.ResponseTime, "mean corrected time")
		assert.Equal(t, 1350*ms, got.Longest, "longest corrected time: request 66, due at 0.66 s, ends at 2.01 s")
		assert.Equal(t, 30*ms, got.Service.Max, "longest service time")
		assert.Equal(t, 30*ms, got.Shortest, "shortest corrected time: request 0")
		assert.Equal(t, 1, got.PeakInFlight, "peak in flight: one slot")
	})
}

// tcpLike makes a pipe's end behave as a TCP socket does after its peer
// closed: a deadline can still be set, a write succeeds (the kernel takes
// it) and the read that follows ends at once with EOF.
type tcpLike struct{ net.Conn }

func (c tcpLike) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if errors.Is(err, io.ErrClosedPipe) {
		return len(p), nil
	}
	return n, err
}

func (c tcpLike) SetDeadline(t time.Time) error {
	if err := c.Conn.SetDeadline(t); !errors.Is(err, io.ErrClosedPipe) {
		return err
	}
	return nil
}

// TestRunKeepAliveRetry: a request is sent again, on a new connection,
// only when it was never sent: its kept-alive connection turned out closed
// before it could be. After the request was written, any failure counts,
// a close that may have come after the server read it among them. One
// slot sends a request every idle interval, three in all, to a server that
// closes connections idle longer than its timeout, or that closes the
// connection of one request after reading it.
func TestRunKeepAliveRetry(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name        string
		giveIdle    time.Duration // between requests
		giveTimeout time.Duration // the server's idle timeout
		giveCloseAt int64         // the request the server reads and then closes the connection of
		wantHits    int
		wantFailed  load.Failures
		wantServed  int64 // requests the server read
	}{
		// Idle 2 s, closed at 1.5 s: each connection is found closed
		// before the next request, which goes on a new one.
		{name: "idle_2s_server_timeout_1.5s", giveIdle: 2 * time.Second, giveTimeout: 1500 * ms, wantHits: 3, wantServed: 3},
		// The same after a shorter idle: whether the server's idle
		// timeout is 250 ms or 1.5 s, the close is seen before sending.
		{name: "idle_500ms_server_timeout_250ms", giveIdle: 500 * ms, giveTimeout: 250 * ms, wantHits: 3, wantServed: 3},
		// Nothing closes: every request on one connection.
		{name: "idle_2s_no_timeout", giveIdle: 2 * time.Second, wantHits: 3, wantServed: 3},
		// The 2nd request is read, then its connection closed: the
		// server may have acted on it, so it is a failure, not sent
		// again, however long the connection had been idle. The 3rd
		// goes on a new connection.
		{name: "idle_2s_closed_after_reading", giveIdle: 2 * time.Second, giveCloseAt: 2, wantHits: 2, wantFailed: load.Failures{Reset: 1}, wantServed: 3},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var requests atomic.Int64
				p := newPipeNet()
				srv := &http.Server{IdleTimeout: tt.giveTimeout, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if requests.Add(1) == tt.giveCloseAt {
						c, _, err := http.NewResponseController(w).Hijack()
						if err != nil {
							panic(err) // a test server that cannot misbehave is a broken test
						}
						c.Close()
						return
					}
					w.Write([]byte(helloBody))
				})}
				go srv.Serve(p)
				t.Cleanup(func() { srv.Close() })
				cfg := load.Config{
					URL: "http://pipe.test/", Users: 1, KeepAlive: true,
					Rate: float64(time.Second) / float64(tt.giveIdle), Duration: 3 * tt.giveIdle,
					DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
						c, err := p.DialContext(ctx, network, addr)
						if err != nil {
							return nil, err
						}
						return tcpLike{c}, nil
					},
				}

				got, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run(%s)", tt.name)
				assert.Equal(t, tt.wantHits, got.Transactions, "Run(%s): hits", tt.name)
				assert.Equal(t, tt.wantFailed, got.Failures, "Run(%s): failures", tt.name)
				assert.Equal(t, tt.wantServed, requests.Load(), "Run(%s): requests the server read", tt.name)
			})
		})
	}
}

// TestRunProgress: while the run lasts, the hook is called once a second
// with the run so far. 2 users in a closed loop, each transaction 7 ms, so
// that none ends on a whole second: by 1 s each user has made 142
// (994 ms), by 2 s 285, by 3 s 428, and by the end, 3.4 s, 485.
func TestRunProgress(t *testing.T) {
	const ms = time.Millisecond
	synctest.Test(t, func(t *testing.T) {
		var got []load.Progress
		cfg := load.Config{
			URL: "http://pipe.test/", Users: 2, Duration: 3400 * ms, KeepAlive: true,
			DialContext: servePipe(t, slowly(7*ms, http.StatusOK, helloBody)),
			Progress:    func(p load.Progress) { got = append(got, p) },
		}

		r, err := load.Run(t.Context(), cfg)

		require.NoError(t, err, "Run(progress)")
		want := []load.Progress{
			{Elapsed: time.Second, Length: 3400 * ms, Transactions: 284, Rate: 284, P99: 7 * ms},
			{Elapsed: 2 * time.Second, Length: 3400 * ms, Transactions: 570, Rate: 286, P99: 7 * ms},
			{Elapsed: 3 * time.Second, Length: 3400 * ms, Transactions: 856, Rate: 286, P99: 7 * ms},
		}
		assert.Equal(t, want, got, "Progress calls")
		assert.Equal(t, 970, r.Transactions, "hits, after the last call")
	})
}

// TestRunOpenInterrupted: Ctrl-C (the context ending) in an open loop that
// the server cannot keep up with. One slot, 100 requests a second, a
// server that takes 100 ms: requests go at 0, 0.1, ..., 1.0 s, and the run
// is interrupted at 1.05 s. The 105 requests due by then (0 to 1.04 s) are
// the 10 answered, the one in flight, which the interruption cut, and 94
// that never found the slot free: unsent. Nothing due after 1.05 s counts.
func TestRunOpenInterrupted(t *testing.T) {
	const ms = time.Millisecond
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(1050*ms, cancel)
		cfg := load.Config{
			URL: "http://pipe.test/", Users: 1, Rate: 100, Duration: 10 * time.Second, KeepAlive: true,
			DialContext: servePipe(t, slowly(100*ms, http.StatusOK, helloBody)),
		}

		got, err := load.Run(ctx, cfg)

		require.ErrorIs(t, err, context.Canceled, "Run(interrupted at 1.05 s)")
		assert.Equal(t, 10, got.Transactions, "hits")
		assert.Equal(t, 1, got.Cut, "cut: the request in flight at 1.05 s")
		assert.Equal(t, 94, got.Unsent, "unsent: due by 1.05 s, never sent")
		assert.Equal(t, 105, got.Transactions+got.Failed+got.Cut+got.Unsent, "hits + failed + cut + unsent = the requests due by 1.05 s")
		assert.Equal(t, 1050*ms, got.Elapsed, "elapsed: until the interruption")
	})
}

// TestRunOpenRateBounds: at the smallest and the largest rate accepted the
// run ends within its length and the bound on draining the requests in
// flight (their timeout), whatever the schedule holds, and every request
// due is counted once: hits + failed + unsent = R x D. The smallest, 1e-9
// a second, sends one request, at the start; the largest, 1e9 a second,
// has 2 x 10^8 requests due in 200 ms, nearly all of them unsent.
func TestRunOpenRateBounds(t *testing.T) {
	const length, timeout = 200 * time.Millisecond, time.Second
	tests := []struct {
		giveRate  float64
		wantCount int
	}{
		{giveRate: load.MinRate, wantCount: 1},
		{giveRate: load.MaxRate, wantCount: 2e8},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rate=%g", tt.giveRate), func(t *testing.T) {
			t.Parallel()
			var served atomic.Int64
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				served.Add(1)
				w.Write([]byte(helloBody))
			}))
			cfg := load.Config{URL: srv.URL, Users: 2, Rate: tt.giveRate, Duration: length, Timeout: timeout, KeepAlive: true}
			start := time.Now()

			got, err := load.Run(t.Context(), cfg)

			took := time.Since(start)
			require.NoError(t, err, "Run(%+v)", cfg)
			assert.Less(t, took, length+timeout+time.Second, "Run(rate %g): wall time, against %v and a drain of at most %v", tt.giveRate, length, timeout)
			assert.Equal(t, tt.wantCount, got.Transactions+got.Failed+got.Unsent, "Run(rate %g): hits + failed + unsent", tt.giveRate)
			assert.Equal(t, int64(got.Transactions), served.Load(), "Run(rate %g): hits, each served once", tt.giveRate)
			assert.Zero(t, got.Cut, "Run(rate %g): cut: the requests in flight at the end are waited for", tt.giveRate)
		})
	}
}
