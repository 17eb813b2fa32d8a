// Running the driver by hand, to set it beside wrk against one hello server.
// Both tests do nothing unless given their flags (after -args), and both
// stay on this machine: the server listens on loopback and the driver only
// loads a loopback URL, for a bounded time.
//
// In one shell, a hello server for 2 minutes:
//
//	go test ./load -run '^TestManualServe$' -v -args -serve 127.0.0.1:8080 -serve.for 2m
//
// In another, the driver and wrk, side by side, 50 keep-alive connections:
//
//	go test ./load -run '^TestManualRun$' -v -args -url http://127.0.0.1:8080/ -c 50 -t 5s -keepalive
//	wrk -t 2 -c 50 -d 5s http://127.0.0.1:8080/
package load_test

import (
	"context"
	"flag"
	"net"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

var (
	manualURL       = flag.String("url", "", "TestManualRun: the loopback URL to load")
	manualUsers     = flag.Int("c", 50, "TestManualRun: concurrent users")
	manualDuration  = flag.Duration("t", 5*time.Second, "TestManualRun: duration (at most 1m)")
	manualReps      = flag.Int("r", 0, "TestManualRun: repetitions per user (0: by duration)")
	manualKeepAlive = flag.Bool("keepalive", false, "TestManualRun: reuse connections")
	manualTimeout   = flag.Duration("timeout", 0, "TestManualRun: per-transaction timeout (0: 30s)")
	manualWarmup    = flag.Duration("warmup", time.Second, "TestManualRun: warm-up, not counted")
	manualJSON      = flag.Bool("j", false, "TestManualRun: print siege's JSON instead of its text")

	manualServe    = flag.String("serve", "", "TestManualServe: loopback address to serve hello world on")
	manualServeFor = flag.Duration("serve.for", time.Minute, "TestManualServe: how long to serve (at most 10m)")
)

// TestManualRun runs the driver against -url and prints siege's report, and
// the percentiles and failures beyond it.
func TestManualRun(t *testing.T) {
	if *manualURL == "" {
		t.Skip("runs only by hand: -args -url http://127.0.0.1:PORT/ [-c 50 -t 5s -keepalive]")
	}
	u, err := url.Parse(*manualURL)
	require.NoError(t, err, "-url %q", *manualURL)
	requireLoopback(t, u.Hostname())
	require.LessOrEqual(t, *manualDuration, time.Minute, "-t: keep a run by hand short")

	rep, err := load.Run(context.Background(), load.Config{
		URL:       *manualURL,
		Users:     *manualUsers,
		Duration:  *manualDuration,
		Reps:      *manualReps,
		KeepAlive: *manualKeepAlive,
		Timeout:   *manualTimeout,
		Warmup:    *manualWarmup,
	})
	require.NoError(t, err, "load.Run")
	if *manualJSON {
		require.NoError(t, rep.WriteJSON(os.Stdout))
	} else {
		require.NoError(t, rep.WriteText(os.Stdout))
	}
	t.Logf("p50 %v, p90 %v, p99 %v; failures %+v", rep.P50, rep.P90, rep.P99, rep.Failures)
}

// TestManualServe serves hello world on -serve with net/http's goroutine
// per connection, for -serve.for.
func TestManualServe(t *testing.T) {
	if *manualServe == "" {
		t.Skip("runs only by hand: -args -serve 127.0.0.1:PORT [-serve.for 1m]")
	}
	host, _, err := net.SplitHostPort(*manualServe)
	require.NoError(t, err, "-serve %q", *manualServe)
	requireLoopback(t, host)
	require.LessOrEqual(t, *manualServeFor, 10*time.Minute, "-serve.for: keep a server by hand bounded")

	ln, err := net.Listen("tcp", *manualServe)
	require.NoError(t, err, "listen on %s", *manualServe)
	srv := &http.Server{Handler: hello()}
	go srv.Serve(ln)
	t.Logf("serving hello world on http://%s/ for %v", ln.Addr(), *manualServeFor)
	time.Sleep(*manualServeFor)
	require.NoError(t, srv.Close(), "close the server")
}

// requireLoopback stops the test unless host is a loopback address or
// localhost: this project's load goes nowhere else.
func requireLoopback(tb testing.TB, host string) {
	tb.Helper()
	if host == "localhost" {
		return
	}
	ip := net.ParseIP(host)
	require.True(tb, ip != nil && ip.IsLoopback(), "host %q: only loopback addresses may be loaded", host)
}
