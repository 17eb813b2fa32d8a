// The driver against servers built to misbehave, over real loopback sockets:
// every transaction lands in siege's right bucket and the right kind of
// failure, hits and failures add up to the attempts, and the report's
// fields follow from the counts by siege's formulas.
//
//	go test -run 'Misbehav|Stopped|Connection|Cancel|Deadline|Leak|Config' -v ./load
//
// Real sockets run in real time, so these tests assert counts exactly and
// times only as bounds; the exact times are in exact_test.go.
package load_test

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/internal/nettest"
	"github.com/joinall/joinall/load"
)

// status answers code with body.
func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}

// hijack takes the connection from the server and hands it to f, which
// misbehaves on it and closes it.
func hijack(f func(c *net.TCPConn)) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err) // a test server that cannot misbehave is a broken test
		}
		f(c.(*net.TCPConn))
	}
}

// partial is a response that promises 100 bytes of body and sends 10.
const partial = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"

// hang waits until the client goes away.
func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// TestRunMisbehavingServers: one row per way a server can go wrong, each run
// with 2 users x 3 repetitions = 6 attempts, with and without keep-alive.
func TestRunMisbehavingServers(t *testing.T) {
	const (
		users, reps = 2, 3
		attempts    = users * reps
		// short is the timeout of the rows that must time out: short so
		// that the suite stays fast, and long enough that a busy machine
		// (2 cores, the race detector, every row at once) makes each
		// connection within it, so that a timeout after connecting is
		// not taken for one while connecting, as a client that was not
		// scheduled for 50 ms made it. The other rows keep siege's 30 s,
		// so that a busy machine never times them out.
		short = 250 * time.Millisecond
	)
	notFound := "404 page not found\n" // what http.NotFound writes
	tests := []struct {
		name        string
		giveServer  func(testing.TB) string // starts the server and returns its URL
		giveTimeout time.Duration
		wantHits    int
		wantOK      int // Successful
		wantFailed  load.Failures
		wantBytes   int64
		wantTimed   bool // whether transactions have a time (buckets 2 and 3)
	}{
		{name: "ok", giveServer: served(hello()), wantHits: 6, wantOK: 6, wantBytes: 6 * 11, wantTimed: true},
		// A 404 is a hit (siege's bucket 3) but not successful.
		{name: "404", giveServer: served(http.NotFoundHandler()), wantHits: 6, wantOK: 0, wantBytes: 6 * int64(len(notFound)), wantTimed: true},
		// 401 and 407 count as successful in siege.
		{name: "401", giveServer: served(status(http.StatusUnauthorized, "who?")), wantHits: 6, wantOK: 6, wantBytes: 6 * 4, wantTimed: true},
		// Bucket 2: failed, but time and bytes are recorded.
		{name: "500", giveServer: served(status(http.StatusInternalServerError, "oops")), wantFailed: load.Failures{Status5xx: 6}, wantBytes: 6 * 4, wantTimed: true},
		{name: "503", giveServer: served(status(http.StatusServiceUnavailable, "busy")), wantFailed: load.Failures{Status5xx: 6}, wantBytes: 6 * 4, wantTimed: true},
		// 408 is a failing status too, counted under Other (see Failures).
		{name: "408", giveServer: served(status(http.StatusRequestTimeout, "late")), wantFailed: load.Failures{Other: 6}, wantBytes: 6 * 4, wantTimed: true},
		// siege's failing range ends at 509: a 510 is a hit.
		{name: "510", giveServer: served(status(http.StatusNotExtended, "ext")), wantHits: 6, wantOK: 0, wantBytes: 6 * 3, wantTimed: true},
		{
			// A 100 Continue and a 103 Early Hints before the answer:
			// skipped, as net/http's Transport skips them, and the body
			// read; the next request does not take a left-over answer.
			name: "1xx_before_200",
			giveServer: served(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusContinue)
				w.Header().Set("Link", "</style.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				w.Write([]byte(helloBody))
			})),
			wantHits: 6, wantOK: 6, wantBytes: 6 * 11, wantTimed: true,
		},
		{
			// The credentials of the URL go as Basic authentication, as
			// siege sends them; without them the server says 401, which
			// would be a hit but not successful.
			name:       "credentials_in_url",
			giveServer: withUserinfo("user", "s3cret", served(basicAuth("user", "s3cret", hello()))),
			wantHits:   6, wantOK: 6, wantBytes: 6 * 11, wantTimed: true,
		},
		{
			// Every third request the server reads and then resets (RST).
			// The reset is the server's failure whether or not the
			// connection was kept alive: the driver does not send it
			// again. The server sees 6 requests; the 3rd and 6th fail.
			name: "resets_every_third_after_reading",
			// A server, and so a count of requests, for each run: the
			// runs with and without keep-alive go on in parallel.
			giveServer: func(tb testing.TB) string {
				return serve(tb, everyThird(hijack(func(c *net.TCPConn) {
					c.SetLinger(0)
					c.Close()
				}), hello())).URL
			},
			wantHits: 4, wantOK: 4, wantBytes: 4 * 11, wantTimed: true,
			wantFailed: load.Failures{Reset: 2},
		},
		// Bucket 1 from here on: no time, no bytes.
		{name: "refuses_connections", giveServer: nettest.RefusedURL, wantFailed: load.Failures{Refused: 6}},
		{name: "closes_on_accept", giveServer: closingURL, wantFailed: load.Failures{Reset: 6}},
		{
			name: "closes_before_response",
			giveServer: served(hijack(func(c *net.TCPConn) {
				c.Close()
			})),
			wantFailed: load.Failures{Reset: 6},
		},
		{
			name: "closes_mid_body",
			giveServer: served(hijack(func(c *net.TCPConn) {
				c.Write([]byte(partial))
				c.Close()
			})),
			wantFailed: load.Failures{Reset: 6},
		},
		{
			// SO_LINGER 0: the close sends RST, not FIN.
			name: "resets_mid_body",
			giveServer: served(hijack(func(c *net.TCPConn) {
				c.Write([]byte(partial))
				c.SetLinger(0)
				c.Close()
			})),
			wantFailed: load.Failures{Reset: 6},
		},
		// The SYN is dropped: the connection is never made.
		{name: "drops_syn", giveServer: droppingURL, giveTimeout: short, wantFailed: load.Failures{ConnectTimeout: 6}},
		{name: "hangs_past_timeout", giveServer: served(http.HandlerFunc(hang)), giveTimeout: short, wantFailed: load.Failures{Timeout: 6}},
		{
			// The headers come a byte every 10 ms and never end: the
			// deadline passes in the middle of a header's name, where the
			// parser, given a line without its colon, reports a malformed
			// header rather than the timeout.
			name: "trickles_headers_past_timeout",
			giveServer: served(hijack(func(c *net.TCPConn) {
				c.Write([]byte("HTTP/1.1 200 OK\r\nX-Slow: 1\r\n"))
				for range 100 {
					time.Sleep(10 * time.Millisecond)
					if _, err := c.Write([]byte("X")); err != nil {
						break
					}
				}
				c.Close()
			})),
			giveTimeout: short,
			wantFailed:  load.Failures{Timeout: 6},
		},
		{
			// One header line that never ends, 16 MB of it: the driver
			// stops reading at 1 MB.
			name:       "huge_header",
			giveServer: served(hijack(endless("HTTP/1.1 200 OK\r\nX-Big: ", "a"))),
			wantFailed: load.Failures{HeaderTooLarge: 6},
		},
		{
			// Small headers without end, 16 MB of them.
			name:       "many_headers",
			giveServer: served(hijack(endless("HTTP/1.1 200 OK\r\n", "X-N: 1\r\n"))),
			wantFailed: load.Failures{HeaderTooLarge: 6},
		},
		{
			// https to a server that speaks plain HTTP: its answer to the
			// TLS handshake is not TLS.
			name: "https_to_plain_http",
			giveServer: func(tb testing.TB) string {
				return strings.Replace(serve(tb, hello()).URL, "http://", "https://", 1)
			},
			wantFailed: load.Failures{Protocol: 6},
		},
		{name: "garbage_status_line", giveServer: served(hijack(raw("SPDY/3 200 OK\r\n\r\n"))), wantFailed: load.Failures{Protocol: 6}},
		{name: "status_000", giveServer: served(hijack(raw("HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n"))), wantFailed: load.Failures{Protocol: 6}},
		{name: "status_099", giveServer: served(hijack(raw("HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n"))), wantFailed: load.Failures{Protocol: 6}},
		{
			// 101 answers a request to switch protocols, which the driver
			// never makes.
			name:       "switching_protocols_unasked",
			giveServer: served(hijack(raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"))),
			wantFailed: load.Failures{Protocol: 6},
		},
		{
			// net/http's Transport gives up after 5 informational
			// responses; so does the driver.
			name:       "endless_1xx",
			giveServer: served(hijack(endless("", "HTTP/1.1 103 Early Hints\r\n\r\n"))),
			wantFailed: load.Failures{Protocol: 6},
		},
		{
			name: "hangs_mid_body",
			giveServer: served(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100")
				w.Write([]byte("0123456789"))
				http.NewResponseController(w).Flush()
				hang(w, r)
			})),
			giveTimeout: short,
			wantFailed:  load.Failures{Timeout: 6},
		},
		{
			// 3 pieces 5 ms apart: slow, but well within the timeout.
			name:       "slow_body",
			giveServer: served(slowBody(3, 5*time.Millisecond)),
			wantHits:   6,
			wantOK:     6,
			wantBytes:  6 * 3 * int64(len(helloBody)),
			wantTimed:  true,
		},
		{
			// 3 pieces 200 ms apart: the body would take 400 ms; the
			// transaction times out at 250 ms.
			name:        "slow_body_past_timeout",
			giveServer:  served(slowBody(3, 200*time.Millisecond)),
			giveTimeout: short,
			wantFailed:  load.Failures{Timeout: 6},
		},
	}
	for _, tt := range tests {
		for _, keepAlive := range keepAlives {
			t.Run("case="+tt.name+"/keepalive="+strconv.FormatBool(keepAlive), func(t *testing.T) {
				t.Parallel()
				cfg := load.Config{URL: tt.giveServer(t), Users: users, Reps: reps, KeepAlive: keepAlive, Timeout: tt.giveTimeout}

				got, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run(%s)", tt.name)
				call := "Run(" + tt.name + ", keepalive=" + strconv.FormatBool(keepAlive) + ")"
				assert.Equal(t, tt.wantHits, got.Transactions, "%s: hits", call)
				assert.Equal(t, tt.wantOK, got.Successful, "%s: successful", call)
				assert.Equal(t, tt.wantFailed, got.Failures, "%s: failures by kind", call)
				assert.Equal(t, tt.wantFailed.Total(), got.Failed, "%s: failed", call)
				assert.Equal(t, tt.wantBytes, got.Bytes, "%s: body bytes", call)
				assert.Equal(t, attempts, got.Transactions+got.Failed, "%s: hits + failed = attempts", call)
				// Buckets 2 and 3 record a time, bucket 1 none.
				assert.Equal(t, tt.wantTimed, got.Shortest > 0, "%s: a shortest time recorded", call)
				assert.Equal(t, tt.wantTimed, got.Longest > 0, "%s: a longest time recorded", call)
				// Each user waits out its timeouts one after another.
				assert.GreaterOrEqual(t, got.Elapsed, reps*tt.giveTimeout, "%s: elapsed", call)
				assertFormulas(t, got, call)
			})
		}
	}
}

// served returns a function that serves h on loopback for the test and
// returns the server's URL.
func served(h http.Handler) func(testing.TB) string {
	return func(tb testing.TB) string {
		tb.Helper()
		return serve(tb, h).URL
	}
}

// raw writes response on the connection and closes it.
func raw(response string) func(c *net.TCPConn) {
	return func(c *net.TCPConn) {
		c.Write([]byte(response))
		c.Close()
	}
}

// endless writes head, then piece again and again, 16 MB in all or until
// the client goes away, then closes the connection.
func endless(head, piece string) func(c *net.TCPConn) {
	return func(c *net.TCPConn) {
		defer c.Close()
		if _, err := c.Write([]byte(head)); err != nil {
			return
		}
		chunk := []byte(strings.Repeat(piece, 64<<10/len(piece)))
		for sent := 0; sent < 16<<20; sent += len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
}

// everyThird serves every third request with third, the others with h. The
// count is the handler's own: a row builds one for each server.
func everyThird(third, h http.Handler) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 0 {
			third.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// basicAuth serves h to requests with these credentials, 401 to others.
func basicAuth(user, password string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "who?", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// withUserinfo puts user and password into the URL that server returns.
func withUserinfo(user, password string, server func(testing.TB) string) func(testing.TB) string {
	return func(tb testing.TB) string {
		tb.Helper()
		u, err := url.Parse(server(tb))
		require.NoError(tb, err, "parse the server's URL")
		u.User = url.UserPassword(user, password)
		return u.String()
	}
}

// slowBody writes hello world n times, flushing each piece and pausing d
// between pieces.
func slowBody(n int, d time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(n*len(helloBody)))
		for i := range n {
			if i > 0 {
				select {
				case <-time.After(d):
				case <-r.Context().Done():
					return
				}
			}
			w.Write([]byte(helloBody))
			http.NewResponseController(w).Flush()
		}
	}
}

// assertFormulas checks that the derived fields follow from the counts by
// siege's formulas (SIEGE.md), whatever the counts are.
func assertFormulas(t *testing.T, r *load.Report, call string) {
	t.Helper()
	h, f, e := float64(r.Transactions), float64(r.Failed), r.Elapsed.Seconds()
	require.Positive(t, e, "%s: elapsed", call)
	wantAvail := 0.0
	if h > 0 {
		wantAvail = h / (h + f) * 100
	}
	assert.InDelta(t, wantAvail, r.Availability, 1e-9, "%s: Availability = H / (H + F) x 100", call)
	assert.InDelta(t, float64(r.Bytes)/(1<<20), r.DataTransferred, 1e-12, "%s: DataTransferred = B / 2^20", call)
	assert.InDelta(t, h/e, r.TransactionRate, 1e-9*max(1, h/e), "%s: TransactionRate = H / E", call)
	assert.InDelta(t, float64(r.Bytes)/(1<<20)/e, r.Throughput, 1e-9, "%s: Throughput = B / (E x 2^20)", call)
	assert.Equal(t, r.Failures.Total(), r.Failed, "%s: the kinds of failure add up to Failed", call)
	assert.LessOrEqual(t, r.Successful, r.Transactions, "%s: successful are hits", call)
	if r.Transactions > 0 {
		// Little's law, up to ResponseTime's rounding down to whole
		// nanoseconds: the two differ by less than rate x 1 ns.
		assert.InDelta(t, r.TransactionRate*r.ResponseTime.Seconds(), r.Concurrency, r.TransactionRate*1e-9+1e-12, "%s: Concurrency = rate x response time", call)
	}
	assert.LessOrEqual(t, r.Shortest, r.P50, "%s: shortest <= p50", call)
	assert.LessOrEqual(t, r.P50, r.P90, "%s: p50 <= p90", call)
	assert.LessOrEqual(t, r.P90, r.P99, "%s: p90 <= p99", call)
	assert.LessOrEqual(t, r.P99, r.Longest, "%s: p99 <= longest", call)
}

// TestRunServerStoppedMidRun: the server stops after it has served 10
// transactions; the rest are refused or find their connection closed. Every
// attempt is still counted once, as a hit or as a failure.
func TestRunServerStoppedMidRun(t *testing.T) {
	const users, reps, stopAfter = 4, 10, 10
	for _, keepAlive := range keepAlives {
		t.Run("keepalive="+strconv.FormatBool(keepAlive), func(t *testing.T) {
			t.Parallel()
			var served atomic.Int64
			stopped := make(chan struct{})
			var srv *http.Server
			srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(helloBody))
				if served.Add(1) == stopAfter {
					// Close closes the listener and every connection,
					// this one included once the handler returns.
					go func() {
						srv.Close()
						close(stopped)
					}()
				}
			})}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err, "listen")
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close(); <-stopped })

			got, err := load.Run(t.Context(), load.Config{URL: "http://" + ln.Addr().String() + "/", Users: users, Reps: reps, KeepAlive: keepAlive})

			require.NoError(t, err, "Run")
			call := "Run(server stopped after 10, keepalive=" + strconv.FormatBool(keepAlive) + ")"
			assert.Equal(t, users*reps, got.Transactions+got.Failed, "%s: hits + failed = attempts", call)
			assert.GreaterOrEqual(t, got.Transactions, 1, "%s: hits before the stop", call)
			assert.LessOrEqual(t, int64(got.Transactions), served.Load(), "%s: no more hits than the server served", call)
			assert.Positive(t, got.Failed, "%s: failures after the stop", call)
			assert.Equal(t, got.Failed, got.Failures.Refused+got.Failures.Reset, "%s: every failure refused or reset: %+v", call, got.Failures)
			assert.Equal(t, int64(got.Transactions)*int64(len(helloBody)), got.Bytes, "%s: bytes of the hits", call)
			assertFormulas(t, got, call)
		})
	}
}

// TestRunConnectionPerTransaction: without keep-alive every transaction is
// a new TCP connection that says Connection: close (siege's default); with
// keep-alive the users keep theirs, at most one each.
func TestRunConnectionPerTransaction(t *testing.T) {
	const users, reps = 5, 20
	tests := []struct {
		keepAlive                  bool
		wantMinConns, wantMaxConns int64
		wantCloses                 int64 // requests that say Connection: close
	}{
		{keepAlive: false, wantMinConns: users * reps, wantMaxConns: users * reps, wantCloses: users * reps},
		{keepAlive: true, wantMinConns: 1, wantMaxConns: users, wantCloses: 0},
	}
	for _, tt := range tests {
		t.Run("keepalive="+strconv.FormatBool(tt.keepAlive), func(t *testing.T) {
			t.Parallel()
			var conns, closes atomic.Int64
			srv := serveConns(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Close {
					closes.Add(1)
				}
				w.Write([]byte(helloBody))
			}), func(s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			})

			got, err := load.Run(t.Context(), load.Config{URL: srv.URL, Users: users, Reps: reps, KeepAlive: tt.keepAlive})

			require.NoError(t, err, "Run(keepalive=%v)", tt.keepAlive)
			assert.Equal(t, users*reps, got.Transactions, "Run(keepalive=%v): hits", tt.keepAlive)
			assert.GreaterOrEqual(t, conns.Load(), tt.wantMinConns, "Run(keepalive=%v): connections for %d transactions", tt.keepAlive, users*reps)
			assert.LessOrEqual(t, conns.Load(), tt.wantMaxConns, "Run(keepalive=%v): connections for %d transactions", tt.keepAlive, users*reps)
			assert.Equal(t, tt.wantCloses, closes.Load(), "Run(keepalive=%v): requests with Connection: close", tt.keepAlive)
		})
	}
}

// TestRunHTTPS: an https URL works, certificates unverified as in siege.
func TestRunHTTPS(t *testing.T) {
	for _, keepAlive := range keepAlives {
		t.Run("keepalive="+strconv.FormatBool(keepAlive), func(t *testing.T) {
			t.Parallel()
			srv := httptestTLS(t, hello())

			got, err := load.Run(t.Context(), load.Config{URL: srv, Users: 2, Reps: 3, KeepAlive: keepAlive})

			require.NoError(t, err, "Run(https)")
			assert.Equal(t, 6, got.Transactions, "Run(https, keepalive=%v): hits", keepAlive)
		})
	}
}

// TestRunDeadlineCutsInFlight: the run ends at its deadline although every
// request hangs and the timeout is siege's 30 s: in-flight transactions are
// cancelled, and not counted. Without the cut, Run would take 30 s.
func TestRunDeadlineCutsInFlight(t *testing.T) {
	for _, keepAlive := range keepAlives {
		t.Run("keepalive="+strconv.FormatBool(keepAlive), func(t *testing.T) {
			t.Parallel()
			srv := serve(t, http.HandlerFunc(hang))

			got, err := load.Run(t.Context(), load.Config{URL: srv.URL, Users: 3, Duration: 50 * time.Millisecond, KeepAlive: keepAlive})

			require.NoError(t, err, "Run(hang, 50ms)")
			assert.Less(t, got.Elapsed, load.DefaultTimeout/2, "Run(hang, 50ms): elapsed, far below the 30 s timeout")
			assert.GreaterOrEqual(t, got.Elapsed, 50*time.Millisecond, "Run(hang, 50ms): elapsed")
			assert.Zero(t, got.Transactions, "Run(hang, 50ms): hits")
			assert.Zero(t, got.Failed, "Run(hang, 50ms): cut transactions are not failures")
			assert.Equal(t, 3, got.Cut, "Run(hang, 50ms): cut transactions, one a user")
		})
	}
}

// TestRunCancel: when ctx ends mid-run, Run returns what completed so far
// with ctx's error, as a command prints a report on Ctrl-C. One user, so
// that the 21st request, which cancels, is sent only after the 20th has
// been read and recorded: the count is exact.
func TestRunCancel(t *testing.T) {
	for _, keepAlive := range keepAlives {
		t.Run("keepalive="+strconv.FormatBool(keepAlive), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var served atomic.Int64
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if served.Add(1) > 20 {
					cancel()
					hang(w, r)
					return
				}
				w.Write([]byte(helloBody))
			}))

			got, err := load.Run(ctx, load.Config{URL: srv.URL, Users: 1, Duration: time.Minute, KeepAlive: keepAlive})

			assert.ErrorIs(t, err, context.Canceled, "Run(cancelled after 20)")
			require.NotNil(t, got, "Run(cancelled after 20): the report so far")
			assert.Equal(t, 20, got.Transactions, "Run(cancelled after 20): hits")
			assert.Zero(t, got.Failed, "Run(cancelled after 20): cut transactions are not failures")
			assert.Equal(t, int64(20*len(helloBody)), got.Bytes, "Run(cancelled after 20): bytes")
		})
	}
}

// TestRunCancelledBeforeStart: a ctx that has already ended sends nothing.
func TestRunCancelledBeforeStart(t *testing.T) {
	var served atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	got, err := load.Run(ctx, load.Config{URL: srv.URL, Users: 2, Reps: 5, Warmup: time.Second})

	assert.ErrorIs(t, err, context.Canceled, "Run(cancelled ctx)")
	require.NotNil(t, got, "Run(cancelled ctx): a report")
	assert.Zero(t, got.Transactions+got.Failed, "Run(cancelled ctx): attempts")
	assert.Zero(t, served.Load(), "Run(cancelled ctx): requests served")
}

// TestRunLeavesNothingBehind: when Run returns, the goroutines of its users
// and of its transport have ended and every connection is closed, also
// after timeouts and cuts. Not parallel, so that goleak sees only this
// test's goroutines.
func TestRunLeavesNothingBehind(t *testing.T) {
	tests := []struct {
		name     string
		give     load.Config // URL and KeepAlive set by the test
		giveHang bool        // whether the server hangs instead of answering
	}{
		{name: "reps", give: load.Config{Users: 10, Reps: 20}},
		{name: "duration", give: load.Config{Users: 10, Duration: 50 * time.Millisecond}},
		{name: "timeouts", give: load.Config{Users: 3, Reps: 2, Timeout: 20 * time.Millisecond}, giveHang: true},
		{name: "cut", give: load.Config{Users: 3, Duration: 30 * time.Millisecond, Warmup: 20 * time.Millisecond}, giveHang: true},
	}
	for _, tt := range tests {
		for _, keepAlive := range keepAlives {
			t.Run("case="+tt.name+"/keepalive="+strconv.FormatBool(keepAlive), func(t *testing.T) {
				var open atomic.Int64
				srv := serveConns(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if tt.giveHang {
						hang(w, r)
						return
					}
					w.Write([]byte(helloBody))
				}), func(s http.ConnState) {
					switch s {
					case http.StateNew:
						open.Add(1)
					case http.StateClosed, http.StateHijacked:
						open.Add(-1)
					}
				})
				ignore := goleak.IgnoreCurrent() // the server's own goroutines
				cfg := tt.give
				cfg.URL = srv.URL
				cfg.KeepAlive = keepAlive

				_, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run(%s)", tt.name)
				// The server notices a closed connection when its read
				// fails, a moment after the client closed it: poll.
				assert.Eventually(t, func() bool { return open.Load() == 0 }, 5*time.Second, time.Millisecond,
					"Run(%s, keepalive=%v): connections still open on the server", tt.name, keepAlive)
				goleak.VerifyNone(t, ignore)
			})
		}
	}
}

// rateBounds is what a rate out of range is told.
const rateBounds = "out of range: the schedule counts nanoseconds, so the rate is from 1e-09/s (one request in 31.7 years: longer does not fit a time.Duration) to 1e+09/s (one a nanosecond)"

// TestReach: the one connection before a run tells a target that is not
// there (refused, or a name that the dialer refuses) from one that is: a
// server whose kernel completed the handshake and that reset the
// connection at once is there, whether the reset reaches the dialer
// before its connect returns or after.
func TestReach(t *testing.T) {
	srv := serve(t, hello())
	tests := []struct {
		name     string
		giveDial error // what the dial returns; nil: a real dial to srv
		wantErr  bool
	}{
		{name: "answers"},
		{name: "reset_while_connecting", giveDial: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNRESET)}},
		{name: "refused", giveDial: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, wantErr: true},
		{name: "unreachable", giveDial: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run("dial="+tt.name, func(t *testing.T) {
			cfg := load.Config{URL: srv.URL, Users: 1, Reps: 1}
			if tt.giveDial != nil {
				cfg.DialContext = func(context.Context, string, string) (net.Conn, error) { return nil, tt.giveDial }
			}

			err := load.Reach(t.Context(), cfg)

			assert.Equal(t, tt.wantErr, err != nil, "Reach: %v", err)
		})
	}
}

// TestRunBadConfig: a configuration that cannot run is an error before
// anything is sent.
func TestRunBadConfig(t *testing.T) {
	var served atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	tests := []struct {
		name string
		give load.Config
		want string
	}{
		{name: "no_users", give: load.Config{URL: srv.URL, Users: 0, Reps: 1}, want: "load: Users = 0: need at least 1"},
		{name: "negative_users", give: load.Config{URL: srv.URL, Users: -3, Reps: 1}, want: "load: Users = -3: need at least 1"},
		{name: "no_end", give: load.Config{URL: srv.URL, Users: 1}, want: "load: neither Duration nor Reps is set: the run would never end"},
		{name: "negative_duration", give: load.Config{URL: srv.URL, Users: 1, Duration: -time.Second}, want: "load: Duration = -1s: must not be negative"},
		{name: "negative_reps", give: load.Config{URL: srv.URL, Users: 1, Reps: -1}, want: "load: Reps = -1: must not be negative"},
		{name: "negative_timeout", give: load.Config{URL: srv.URL, Users: 1, Reps: 1, Timeout: -1}, want: "load: Timeout = -1ns: must be between 0 and 24h0m0s"},
		{name: "timeout_past_a_day", give: load.Config{URL: srv.URL, Users: 1, Reps: 1, Timeout: 25 * time.Hour}, want: "load: Timeout = 25h0m0s: must be between 0 and 24h0m0s"},
		{name: "negative_rate", give: load.Config{URL: srv.URL, Users: 1, Duration: time.Second, Rate: -1}, want: "load: Rate = -1: " + rateBounds},
		// The interval between two requests, 1e10 s, is more than the
		// 292 years a time.Duration holds.
		{name: "rate_too_small", give: load.Config{URL: srv.URL, Users: 1, Duration: time.Second, Rate: 1e-10}, want: "load: Rate = 1e-10: " + rateBounds},
		// Two requests would be due in the same nanosecond.
		{name: "rate_too_large", give: load.Config{URL: srv.URL, Users: 1, Duration: time.Second, Rate: 2e9}, want: "load: Rate = 2e+09: " + rateBounds},
		{name: "rate_nan", give: load.Config{URL: srv.URL, Users: 1, Duration: time.Second, Rate: math.NaN()}, want: "load: Rate = NaN: " + rateBounds},
		// 1e9 a second for 10^7 s is 10^16 requests, more than a float64
		// counts exactly.
		{name: "schedule_too_long", give: load.Config{URL: srv.URL, Users: 1, Duration: 1e7 * time.Second, Rate: 1e9}, want: "load: Rate = 1e+09, Duration = 2777h46m40s: 1e+16 requests, more than the 2^53 (9.007e+15) that one run schedules"},
		{name: "rate_by_reps", give: load.Config{URL: srv.URL, Users: 1, Reps: 5, Rate: 10}, want: "load: Rate needs Duration and no Reps: the open loop runs on a schedule for a duration"},
		{name: "header_bound_past_10MB", give: load.Config{URL: srv.URL, Users: 1, Reps: 1, MaxHeaderBytes: 11 << 20}, want: "load: MaxHeaderBytes = 11534336: must be between 0 and 10485760"},
		{name: "password_not_printed", give: load.Config{URL: "ftp://user:s3cret@127.0.0.1/", Users: 1, Reps: 1}, want: `load: URL "ftp://xxxxx@127.0.0.1/": scheme must be http or https`},
		{name: "negative_warmup", give: load.Config{URL: srv.URL, Users: 1, Reps: 1, Warmup: -1}, want: "load: Warmup = -1ns: must not be negative"},
		{name: "ftp", give: load.Config{URL: "ftp://127.0.0.1/", Users: 1, Reps: 1}, want: `load: URL "ftp://127.0.0.1/": scheme must be http or https`},
		{name: "no_scheme", give: load.Config{URL: "127.0.0.1:8080/", Users: 1, Reps: 1}, want: `load: URL "127.0.0.1:8080/": first path segment in URL cannot contain colon`},
		{name: "no_host", give: load.Config{URL: "http:///path", Users: 1, Reps: 1}, want: `load: URL "http:///path": no host`},
		{name: "empty", give: load.Config{Users: 1, Reps: 1}, want: `load: URL "": scheme must be http or https`},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			got, err := load.Run(t.Context(), tt.give)

			assert.EqualError(t, err, tt.want, "Run(%+v)", tt.give)
			assert.Nil(t, got, "Run(%+v): no report", tt.give)
		})
	}
	assert.Zero(t, served.Load(), "requests sent by bad configurations")
}

// TestRunEndsWithoutFalseFailures: a healthy server, many users dialling
// when the run's deadline passes. A dial's socket deadline can expire a
// moment before the run's context says it has ended; those dials are cut,
// not failed, and a user must not go on dialling and failing in that
// moment. Without keep-alive, so that many dials are in flight at the end.
func TestRunEndsWithoutFalseFailures(t *testing.T) {
	srv := serve(t, hello())
	for i := range 3 {
		got, err := load.Run(t.Context(), load.Config{URL: srv.URL, Users: 50, Duration: 200 * time.Millisecond})

		require.NoError(t, err, "Run(hello, 50 users, 200ms) #%d", i)
		assert.Positive(t, got.Transactions, "Run(hello, 50 users, 200ms) #%d: hits", i)
		assert.Equal(t, load.Failures{}, got.Failures, "Run(hello, 50 users, 200ms) #%d: failures", i)
	}
}

// TestRunResetsAfterReading: a server that reads 30 % of the requests and
// then resets the connection (every request whose count ends in 4, 7 or 0,
// so that the resets fall on kept-alive connections already used). A reset
// after the request was read is a reset, with keep-alive or without, at a
// rate above -c requests a second and below it, where each slot's
// connection idles more than a second between requests: no request is sent
// twice, and availability is the 70 % of a run without keep-alive.
func TestRunResetsAfterReading(t *testing.T) {
	tests := []struct {
		name               string
		giveUsers          int
		giveRate           float64
		giveLength         time.Duration
		wantMin, wantReads int64 // requests the server reads: at least, at most
	}{
		// 3 slots at 2.5 a second: each idles 1.2 s between requests.
		{name: "below_c", giveUsers: 3, giveRate: 2.5, giveLength: 4 * time.Second, wantMin: 9, wantReads: 10},
		{name: "above_c", giveUsers: 2, giveRate: 50, giveLength: time.Second, wantMin: 45, wantReads: 50},
	}
	for _, tt := range tests {
		for _, keepAlive := range keepAlives {
			t.Run("rate="+tt.name+"/keepalive="+strconv.FormatBool(keepAlive), func(t *testing.T) {
				t.Parallel()
				var reads, resets atomic.Int64
				srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if n := reads.Add(1); n%10 == 4 || n%10 == 7 || n%10 == 0 {
						resets.Add(1)
						hijack(func(c *net.TCPConn) {
							c.SetLinger(0)
							c.Close()
						})(w, r)
						return
					}
					w.Write([]byte(helloBody))
				}))
				cfg := load.Config{URL: srv.URL, Users: tt.giveUsers, Rate: tt.giveRate, Duration: tt.giveLength, KeepAlive: keepAlive}

				got, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run(%+v)", cfg)
				call := "Run(" + tt.name + ", keepalive=" + strconv.FormatBool(keepAlive) + ")"
				assert.Equal(t, reads.Load(), int64(got.Transactions+got.Failed), "%s: requests read by the server, each sent once: hits + failed", call)
				assert.Equal(t, load.Failures{Reset: int(resets.Load())}, got.Failures, "%s: failures: the server's resets", call)
				assert.GreaterOrEqual(t, reads.Load(), tt.wantMin, "%s: requests read", call)
				assert.LessOrEqual(t, reads.Load(), tt.wantReads, "%s: requests read", call)
				assert.InDelta(t, 70, got.Availability, 5, "%s: availability, as without keep-alive", call)
			})
		}
	}
}

// TestRunKeepAliveIdleLongerThanTimeout: a kept-alive connection that
// idles longer than the transactions' timeout between requests is still
// used: the deadline of the last transaction, long passed, does not make
// it look closed. One slot, 2 requests a second for 1.5 s, a timeout of
// 250 ms, which a hello answer on a busy machine stays well within.
func TestRunKeepAliveIdleLongerThanTimeout(t *testing.T) {
	var conns atomic.Int64
	srv := serveConns(t, hello(), func(s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	})
	cfg := load.Config{URL: srv.URL, Users: 1, Rate: 2, Duration: 1500 * time.Millisecond, Timeout: 250 * time.Millisecond, KeepAlive: true}

	got, err := load.Run(t.Context(), cfg)

	require.NoError(t, err, "Run(%+v)", cfg)
	assert.Equal(t, 3, got.Transactions, "Run(idle 500 ms, timeout 250 ms): hits")
	assert.Equal(t, int64(1), conns.Load(), "Run(idle 500 ms, timeout 250 ms): connections")
}

// TestRunNoRetryAfterTimeout: a transaction that times out on a kept-alive
// connection is failed, not sent again, unlike one whose connection the
// server had closed while idle (closes_idle_connection above). The server
// answers the first request on each connection and hangs on the second.
// Each user: hit, timeout, hit on a new connection; the server sees each of
// the 6 requests once.
func TestRunNoRetryAfterTimeout(t *testing.T) {
	var requests atomic.Int64
	var mu sync.Mutex
	seen := map[string]bool{} // remote addresses that have had a request
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		mu.Lock()
		again := seen[r.RemoteAddr]
		seen[r.RemoteAddr] = true
		mu.Unlock()
		if again {
			hang(w, r)
			return
		}
		w.Write([]byte(helloBody))
	}))

	got, err := load.Run(t.Context(), load.Config{URL: srv.URL, Users: 2, Reps: 3, KeepAlive: true, Timeout: 50 * time.Millisecond})

	require.NoError(t, err, "Run(hangs on reused connections)")
	assert.Equal(t, 4, got.Transactions, "Run(hangs on reused connections): hits")
	assert.Equal(t, load.Failures{Timeout: 2}, got.Failures, "Run(hangs on reused connections): failures")
	assert.Equal(t, int64(6), requests.Load(), "Run(hangs on reused connections): requests the server saw")
}
