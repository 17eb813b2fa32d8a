// gosiege as its users meet it: run in-process with its arguments (and, to
// merge the reports of several processes, as processes of its own),
// against httptest servers on loopback, with every bad input answered by
// one line and exit status 2, and a resolver of the tests' own, so that no
// test resolves a name.
//
//	go test -v ./cmd/gosiege
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/internal/cli"
	"github.com/joinall/joinall/internal/nettest"
	"github.com/joinall/joinall/load"
)

// TestMain runs the tests; or, when the tests start this binary as
// GOSIEGE_MAIN=1 gosiege ARGS, gosiege itself; or, as
// GOSIEGE_SERVE_HELLO=1, a hello server for gosiege and other tools to load.
func TestMain(m *testing.M) {
	switch {
	case os.Getenv("GOSIEGE_MAIN") == "1":
		main()
	case os.Getenv("GOSIEGE_SERVE_HELLO") == "1":
		serveHello()
	}
	goleak.VerifyTestMain(m)
}

// testCommand is gosiege as a test runs it: stderr is no terminal, no name
// resolves, and there is no open-file limit.
func testCommand() command {
	return command{
		lookup: func(_ context.Context, _, host string) ([]netip.Addr, error) {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
		fileLimit: func() (uint64, bool) { return 0, false },
		lookupEnv: func(string) (string, bool) { return "", false },
	}
}

// gosiege runs gosiege with args, as its main does, and returns its exit
// status and outputs.
func gosiege(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	return gosiegeIn(ctx, func(*command) {}, args...)
}

// gosiegeIn is gosiege with what change changes of its process.
func gosiegeIn(ctx context.Context, change func(*command), args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	c := testCommand()
	change(&c)
	code = cli.Report(&errOut, "gosiege", c.run(ctx, args, &out, &errOut))
	return code, out.String(), errOut.String()
}

// serveCounting starts a loopback server with h that counts the
// connections it accepts, and closes it when the test ends.
func serveCounting(tb testing.TB, h http.Handler) (url string, conns *atomic.Int64) {
	tb.Helper()
	conns = new(atomic.Int64)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv.URL + "/", conns
}

func hello() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("hello world"))
	})
}

// TestRunEndToEnd: gosiege against a live loopback server, 2 users and 3
// repetitions each, its JSON report read back. Every count is exact: 6
// transactions, and the connections the server accepted are the
// pre-flight's one plus one per transaction (siege's default) or one per
// user (-keepalive).
func TestRunEndToEnd(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.Handler
		giveArgs   []string
		wantFields map[string]float64
		wantConns  int64
	}{
		{
			name:     "server=hello/keepalive=false",
			handler:  hello(),
			giveArgs: []string{"-c", "2", "-r", "3", "-j"},
			wantFields: map[string]float64{
				"transactions": 6, "availability": 100, "successful_transactions": 6,
				"failed_transactions": 0, "failed_status_5xx": 0,
			},
			wantConns: 1 + 6,
		},
		{
			name:     "server=hello/keepalive=true",
			handler:  hello(),
			giveArgs: []string{"-c", "2", "-r", "3", "-j", "-keepalive"},
			wantFields: map[string]float64{
				"transactions": 6, "availability": 100, "successful_transactions": 6,
				"failed_transactions": 0, "failed_status_5xx": 0,
			},
			wantConns: 1 + 2,
		},
		{
			// Every answer a 500: siege counts each as failed, not as a
			// hit; the server was reached, so the exit status is 0.
			name: "server=500/keepalive=false",
			handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "broken", http.StatusInternalServerError)
			}),
			giveArgs: []string{"-c", "2", "-r", "3", "-j"},
			wantFields: map[string]float64{
				"transactions": 0, "availability": 0, "successful_transactions": 0,
				"failed_transactions": 6, "failed_status_5xx": 6,
			},
			wantConns: 1 + 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, conns := serveCounting(t, tt.handler)
			args := slices.Concat(tt.giveArgs, []string{url})

			code, stdout, stderr := gosiege(t.Context(), args...)

			require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
			var got map[string]any
			require.NoError(t, json.Unmarshal([]byte(stdout), &got), "gosiege %v printed invalid JSON:\n%s", args, stdout)
			for field, want := range tt.wantFields {
				assert.Equal(t, want, got[field], "gosiege %v: %q", args, field)
			}
			assert.Equal(t, tt.wantConns, conns.Load(), "gosiege %v: connections the server accepted", args)
		})
	}
}

// TestRunText: without -j the report is siege's text, then the figures
// beyond siege, the model and the protocol first.
func TestRunText(t *testing.T) {
	url, _ := serveCounting(t, hello())
	args := []string{"-c", "2", "-r", "3", url}

	code, stdout, stderr := gosiege(t.Context(), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	assert.Contains(t, stdout, "Transactions:\t\t           6 hits\n", "gosiege %v", args)
	assert.Contains(t, stdout, "\nFailed transactions:\t           0\n", "gosiege %v", args)
	assert.Contains(t, stdout, "\n\nModel:\t\t\tclosed loop, 2 users\nProtocol:\t\tHTTP/1.1\nResponse time p50:\t", "gosiege %v: the figures beyond siege follow a blank line", args)
	assert.Contains(t, stderr, "2 concurrent users on "+url, "gosiege %v: the line before the run", args)
}

// serveInterrupting starts a hello server that takes work to answer and
// that, on its request number cancelAt, ends the context it returns, as
// Ctrl-C would end gosiege's.
func serveInterrupting(tb testing.TB, cancelAt int64, work time.Duration) (context.Context, string) {
	tb.Helper()
	ctx, cancel := context.WithCancel(tb.Context())
	tb.Cleanup(cancel)
	var n atomic.Int64
	url, _ := serveCounting(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == cancelAt {
			cancel()
		}
		time.Sleep(work)
		w.Write([]byte("hello world"))
	}))
	return ctx, url
}

// TestRunInterrupted: Ctrl-C (here, the context ending) stops the run and
// prints the report so far. The server cancels the run on its 5th request;
// each of the 2 users has at most one transaction in flight then, so at
// least 3 transactions completed and are in the report. -t 1m only bounds
// the test if the cancellation did not work.
func TestRunInterrupted(t *testing.T) {
	const cancelAt = 5
	ctx, url := serveInterrupting(t, cancelAt, 0)
	args := []string{"-c", "2", "-t", "1m", "-j", url}

	code, stdout, stderr := gosiege(ctx, args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v, interrupted: exit status; stderr:\n%s", args, stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), "gosiege %v printed invalid JSON:\n%s", args, stdout)
	assert.GreaterOrEqual(t, got["transactions"], float64(cancelAt-2), "gosiege %v, interrupted at request %d: transactions", args, cancelAt)
	assert.Less(t, got["elapsed_time"], 30.0, "gosiege %v, interrupted: elapsed_time, of a 1m run", args)
	assert.Contains(t, stderr, "interrupted after", "gosiege %v: stderr", args)
}

// TestRunOpenInterrupted: Ctrl-C in an open loop that the server cannot
// keep up with: the report counts as unsent the requests due before the
// interruption that found no free slot, so that hits, failures, cut and
// unsent add up to the requests due by then, 1000 a second from the start.
func TestRunOpenInterrupted(t *testing.T) {
	ctx, url := serveInterrupting(t, 5, 20*time.Millisecond)
	args := []string{"-c", "1", "-rate", "1000", "-t", "1m", "-keepalive", "-j", url}

	code, stdout, stderr := gosiege(ctx, args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v, interrupted: exit status; stderr:\n%s", args, stderr)
	got, err := load.ReadJSON(strings.NewReader(stdout))
	require.NoError(t, err, "gosiege %v: read its report", args)
	due := int((got.Elapsed + time.Millisecond - 1) / time.Millisecond) // request i is due at i ms
	assert.Positive(t, got.Unsent, "gosiege %v, interrupted: unsent", args)
	assert.Equal(t, due, got.Transactions+got.Failed+got.Cut+got.Unsent, "gosiege %v, interrupted after %v: hits + failed + cut + unsent", args, got.Elapsed)
}

// TestRunEveryTransactionCut: a server that holds every connection open
// until the run ends answers nothing: each user's one transaction is cut.
// The report says so, and so does the exit status.
func TestRunEveryTransactionCut(t *testing.T) {
	url, _ := serveCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	args := []string{"-c", "4", "-t", "300ms", "-j", url}

	code, stdout, stderr := gosiege(t.Context(), args...)

	assert.Equal(t, cli.StatusFailed, code, "gosiege %v: exit status", args)
	got := decodeJSON(t, stdout)
	assert.Equal(t, 4.0, got["cut"], "gosiege %v: cut", args)
	assert.Equal(t, 0.0, got["transactions"], "gosiege %v: hits", args)
	assert.Contains(t, stderr, "gosiege: every transaction (4) was cut by the end of the run: none completed within -t 300ms\n", "gosiege %v: stderr", args)
}

// TestRunBadInput: every bad flag, bad URL and target outside loopback is
// one line on stderr that names the problem, exit status 2, and nothing on
// stdout. None of these sends anything: the targets outside loopback are
// refused before a connection is tried (and are documentation addresses,
// 192.0.2.0/24 and 2001:db8::/32, that no network routes).
func TestRunBadInput(t *testing.T) {
	const url = "http://127.0.0.1:1/"
	tests := []struct {
		name     string
		giveArgs []string
		wantErr  string
	}{
		{name: "no URL", giveArgs: []string{"-r", "1"}, wantErr: "no URL"},
		{name: "two URLs", giveArgs: []string{"-r", "1", url, url}, wantErr: "one URL only, got 2"},
		{name: "unknown flag", giveArgs: []string{"-z", "1", "-r", "1", url}, wantErr: "flag provided but not defined: -z"},
		{name: "flag without value", giveArgs: []string{url, "-c"}, wantErr: "flag needs an argument: -c"},
		{name: "users not a number", giveArgs: []string{"-c", "many", "-r", "1", url}, wantErr: `invalid value "many" for flag -c`},
		{name: "no users", giveArgs: []string{"-c", "0", "-r", "1", url}, wantErr: "-c 0: need at least 1 user"},
		{name: "negative users", giveArgs: []string{"-c", "-3", "-r", "1", url}, wantErr: "-c -3: need at least 1 user"},
		{name: "negative reps", giveArgs: []string{"-r", "-1", url}, wantErr: "-r -1: must not be negative"},
		{name: "neither time nor reps", giveArgs: []string{"-c", "5", url}, wantErr: "neither -t nor -r"},
		{name: "time without unit", giveArgs: []string{"-t", "30", url}, wantErr: "30 has no unit"},
		{name: "time not a duration", giveArgs: []string{"-t", "10x", url}, wantErr: `invalid value "10x" for flag -t: not a duration`},
		{name: "time negative", giveArgs: []string{"-t", "-5s", url}, wantErr: "-5s: must be positive"},
		{name: "time zero", giveArgs: []string{"-t", "0S", url}, wantErr: "0s: must be positive"},
		{name: "time negative, siege's form", giveArgs: []string{"-t", "-1S", url}, wantErr: "-1s: must be positive"},
		{name: "timeout below 1ms", giveArgs: []string{"-r", "1", "-timeout", "500us", url}, wantErr: "-timeout 500µs: too small: at least 1ms"},
		{name: "timeout past a day", giveArgs: []string{"-r", "1", "-timeout", "25h", url}, wantErr: "-timeout 25h0m0s: at most 24h0m0s"},
		{name: "too many users", giveArgs: []string{"-c", "10001", "-r", "1", url}, wantErr: "-c 10001: at most 10000 users in one process"},
		{name: "rate without time", giveArgs: []string{"-rate", "100", "-r", "1", url}, wantErr: "-rate needs -t"},
		{name: "rate with reps", giveArgs: []string{"-rate", "100", "-t", "1s", "-r", "1", url}, wantErr: "-rate and -r"},
		{name: "rate negative", giveArgs: []string{"-rate", "-5", "-t", "1s", url}, wantErr: "-rate -5: out of range: the schedule counts nanoseconds, so the rate is from 1e-09/s"},
		// 0 is no rate: not the closed loop by another name.
		{name: "rate zero", giveArgs: []string{"-rate", "0", "-t", "1s", url}, wantErr: "-rate 0: out of range"},
		// One request in 317 years: the schedule's clock cannot count it.
		{name: "rate too small", giveArgs: []string{"-rate", "1e-10", "-t", "2s", url}, wantErr: "-rate 1e-10: out of range"},
		{name: "rate too large", giveArgs: []string{"-rate", "1e10", "-t", "1s", url}, wantErr: "-rate 1e+10: out of range"},
		{name: "rate not a number", giveArgs: []string{"-rate", "NaN", "-t", "1s", url}, wantErr: "-rate NaN: out of range"},
		// A run shorter than a millisecond measures the clock, not the
		// server: one request in 1 ns would be a rate of 10^9 a second.
		{name: "time below 1ms", giveArgs: []string{"-rate", "1e9", "-t", "1ns", url}, wantErr: "-t 1ns: too short: at least 1ms"},
		{name: "count without bench", giveArgs: []string{"-count", "3", "-r", "1", url}, wantErr: "-count without -bench"},
		{name: "bench name with a slash", giveArgs: []string{"-bench", "a/b", "-r", "1", url}, wantErr: `-bench "a/b": a name of printable characters without spaces or slashes`},
		// benchstat splits a result line at any space, and a control
		// character breaks the line.
		{name: "bench name with a control character", giveArgs: []string{"-bench", "a\x01b", "-r", "1", url}, wantErr: `-bench "a\x01b": a name of printable characters`},
		{name: "bench name with a no-break space", giveArgs: []string{"-bench", "a\u00a0b", "-r", "1", url}, wantErr: `-bench "a\u00a0b": a name of printable characters`},
		{name: "bench name with an em space", giveArgs: []string{"-bench", "a\u2003b", "-r", "1", url}, wantErr: `-bench "a\u2003b": a name of printable characters`},
		{name: "bench name with a zero-width space", giveArgs: []string{"-bench", "a\u200bb", "-r", "1", url}, wantErr: `-bench "a\u200bb": a name of printable characters`},
		{name: "bench name not UTF-8", giveArgs: []string{"-bench", "a\xffb", "-r", "1", url}, wantErr: `-bench "a\xffb": a name of printable characters`},
		{name: "header bound past 10 MB", giveArgs: []string{"-max-header", "20000000", "-r", "1", url}, wantErr: "-max-header 20000000: must be 1 to 10485760"},
		{name: "merge without files", giveArgs: []string{"-merge", "-j"}, wantErr: "-merge: no report files"},
		{name: "merge of a file that is not there", giveArgs: []string{"-merge", "no-such-report.json"}, wantErr: "-merge no-such-report.json: open no-such-report.json: no such file or directory"},
		{name: "two URLs with a password", giveArgs: []string{"-r", "1", "http://u:s3cret@127.0.0.1:1/", url}, wantErr: "one URL only, got 2: http://xxxxx@127.0.0.1:1/ " + url},
		{name: "a name outside loopback", giveArgs: []string{"-r", "1", "http://db.test/"}, wantErr: "resolve db.test: lookup db.test: no such host"},
		{name: "timeout zero", giveArgs: []string{"-r", "1", "-timeout", "0s", url}, wantErr: "flag -timeout: 0s: must be positive"},
		{name: "scheme ftp", giveArgs: []string{"-r", "1", "ftp://127.0.0.1/"}, wantErr: "scheme must be http or https"},
		{name: "no host", giveArgs: []string{"-r", "1", "http://"}, wantErr: "no host"},
		{name: "port only", giveArgs: []string{"-r", "1", "http://:8080/"}, wantErr: "no host"},
		{name: "empty URL", giveArgs: []string{"-r", "1", ""}, wantErr: "no host"},
		{name: "unclosed bracket", giveArgs: []string{"-r", "1", "http://[::1/"}, wantErr: `URL "http://[::1/": missing ']' in host`},
		{name: "bad escape", giveArgs: []string{"-r", "1", "http://127.0.0.1/%zz"}, wantErr: `invalid URL escape "%zz"`},
		{name: "port too big", giveArgs: []string{"-r", "1", "http://127.0.0.1:99999/"}, wantErr: `port "99999": must be 1 to 65535`},
		{name: "port zero", giveArgs: []string{"-r", "1", "http://127.0.0.1:0/"}, wantErr: `port "0": must be 1 to 65535`},
		{name: "port empty", giveArgs: []string{"-r", "1", "http://127.0.0.1:/"}, wantErr: `port "": must be 1 to 65535`},
		{name: "remote IPv4", giveArgs: []string{"-r", "1", "http://192.0.2.1:8080/"}, wantErr: "192.0.2.1 is outside loopback (127.0.0.0/8, ::1): give -allow-remote"},
		{name: "remote IPv6", giveArgs: []string{"-r", "1", "http://[2001:db8::1]/"}, wantErr: "2001:db8::1 is outside loopback"},
		{name: "remote IPv4 in IPv6", giveArgs: []string{"-r", "1", "http://[::ffff:192.0.2.1]/"}, wantErr: "192.0.2.1 is outside loopback (127.0.0.0/8, ::1): give -allow-remote to load it"},
		{name: "unspecified IPv4", giveArgs: []string{"-r", "1", "http://0.0.0.0:8080/"}, wantErr: "0.0.0.0 is outside loopback"},
		{name: "unspecified IPv6", giveArgs: []string{"-r", "1", "http://[::]:8080/"}, wantErr: ":: is outside loopback"},
		{name: "stage rate not a number", giveArgs: []string{"-rate", "x:1s", url}, wantErr: `invalid value "x:1s" for flag -rate: stage 1, "x:1s": "x" is not a number`},
		{name: "stage without a duration", giveArgs: []string{"-rate", "10:1s,20", url}, wantErr: `stage 2, "20": want RATE:DURATION, as 100:10s`},
		{name: "stage rate zero", giveArgs: []string{"-rate", "10:1s,0:1s", url}, wantErr: `stage 2, "0:1s": rate 0: out of range`},
		{name: "stage too short", giveArgs: []string{"-rate", "10:500us", url}, wantErr: `stage 1, "10:500us": 500µs: too short: at least 1ms`},
		{name: "stage duration without unit", giveArgs: []string{"-rate", "10:30", url}, wantErr: "30 has no unit"},
		{name: "stages and another -t", giveArgs: []string{"-rate", "10:1s,20:2s", "-t", "5s", url}, wantErr: "-t 5s and -rate's stages of 3s in all: leave -t out, or give their sum"},
		{name: "stages with reps", giveArgs: []string{"-rate", "10:1s", "-r", "1", url}, wantErr: "-rate and -r"},
		{name: "shard without N", giveArgs: []string{"-shard", "2", "-r", "1", url}, wantErr: "want I/N (shard I of N, from 1) or auto/N"},
		{name: "shard zero", giveArgs: []string{"-shard", "0/4", "-r", "1", url}, wantErr: `shard "0" of 4: a number from 1 to 4`},
		{name: "shard past N", giveArgs: []string{"-shard", "5/4", "-r", "1", url}, wantErr: `shard "5" of 4: a number from 1 to 4`},
		{name: "shards more than users", giveArgs: []string{"-c", "3", "-shard", "1/4", "-r", "1", url}, wantErr: "-shard 1/4: 3 users cannot be shared between 4 shards: each needs one"},
		{name: "shards more than connections", giveArgs: []string{"-http2", "-c", "3", "-streams", "10", "-shard", "1/4", "-r", "1", url}, wantErr: "-shard 1/4: 3 HTTP/2 connections cannot be shared between 4 shards"},
		{name: "shard auto outside a job", giveArgs: []string{"-c", "8", "-shard", "auto/4", "-r", "1", url}, wantErr: "-shard auto/4: JOB_COMPLETION_INDEX is not set: run in a Kubernetes Indexed Job, or give the shard's number (-shard 1/4)"},
		{name: "shard and bench", giveArgs: []string{"-c", "8", "-shard", "1/4", "-bench", "x", "-r", "1", url}, wantErr: "-shard and -bench"},
		{name: "start not a time", giveArgs: []string{"-start-at", "tomorrow", "-r", "1", url}, wantErr: "not an RFC 3339 time, as 2026-05-01T12:00:00Z"},
		{name: "start passed", giveArgs: []string{"-start-at", "2000-01-01T00:00:00Z", "-r", "1", url}, wantErr: "ago, more than 1s: this shard would start after the others"},
		{name: "start too far ahead", giveArgs: []string{"-start-at", "2999-01-01T00:00:00Z", "-r", "1", url}, wantErr: "ahead, more than 1h0m0s: is the date right?"},
	}
	for _, tt := range tests {
		t.Run("input="+tt.name, func(t *testing.T) {
			code, stdout, stderr := gosiege(t.Context(), tt.giveArgs...)

			assert.Equal(t, cli.StatusUsage, code, "gosiege %q: exit status", tt.giveArgs)
			assert.Empty(t, stdout, "gosiege %q: stdout", tt.giveArgs)
			assert.Contains(t, stderr, tt.wantErr, "gosiege %q: stderr", tt.giveArgs)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "gosiege %q: stderr has one line:\n%s", tt.giveArgs, stderr)
			assert.True(t, strings.HasPrefix(stderr, "gosiege: "), "gosiege %q: stderr names the command:\n%s", tt.giveArgs, stderr)
			assert.NotContains(t, stderr, "s3cret", "gosiege %q: stderr prints a password", tt.giveArgs)
		})
	}
}

// TestRunUnreachable: a loopback port where nothing listens is one line,
// exit status 1 (not a mistake on the command line), after the one
// pre-flight connection: no users start.
func TestRunUnreachable(t *testing.T) {
	url := nettest.RefusedURL(t)
	args := []string{"-c", "50", "-t", "10s", url}

	code, stdout, stderr := gosiege(t.Context(), args...)

	assert.Equal(t, cli.StatusFailed, code, "gosiege %v: exit status", args)
	assert.Empty(t, stdout, "gosiege %v: stdout", args)
	assert.Equal(t, "gosiege: cannot reach "+url+": dial tcp "+strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")+": connect: connection refused\n",
		stderr, "gosiege %v: stderr", args)
}

// TestRunResetOnAccept: a server whose every connection is reset as soon
// as it is accepted is there: each run reports the resets and exits 0,
// whether the first reset reached the pre-flight connection before its
// connect returned or after.
func TestRunResetOnAccept(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listen on a free port")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	args := []string{"-c", "2", "-r", "2", "-j", "http://" + ln.Addr().String() + "/"}
	var codes []int
	for range 20 {
		code, stdout, _ := gosiege(t.Context(), args...)
		codes = append(codes, code)
		if code == cli.StatusOK {
			got := decodeJSON(t, stdout)
			assert.Equal(t, 4.0, got["failed_reset"], "gosiege %v: resets", args)
		}
	}
	assert.Equal(t, slices.Repeat([]int{cli.StatusOK}, 20), codes, "gosiege %v, 20 times: exit statuses", args)
}

// TestRunHelp: -h prints the usage on stdout and exits 0, and the usage
// names every flag there is.
func TestRunHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		code, stdout, stderr := gosiege(t.Context(), arg)

		assert.Equal(t, cli.StatusOK, code, "gosiege %s: exit status", arg)
		assert.Equal(t, usage, stdout, "gosiege %s: stdout", arg)
		assert.Empty(t, stderr, "gosiege %s: stderr", arg)
	}
	var o options
	newFlagSet(&o).VisitAll(func(f *flag.Flag) {
		named := regexp.MustCompile(`-` + regexp.QuoteMeta(f.Name) + `\b`)
		assert.Regexp(t, named, usage, "usage: flag -%s (%s)", f.Name, f.Usage)
	})
}
