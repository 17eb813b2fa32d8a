// joinall-serve run in-process: each server shape with each workload
// answers on loopback and stops when its context ends; bad flags are one
// line and exit status 2.
//
//	go test -v ./cmd/joinall-serve
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/internal/cli"
	"github.com/joinall/joinall/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// status runs joinall-serve as its main does, and returns its exit status.
func status(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cli.Report(stderr, "joinall-serve", run(ctx, args, stdout, stderr))
}

// TestRunServes: every shape with every workload prints its URL, answers
// hello world there, and exits 0 once stopped.
func TestRunServes(t *testing.T) {
	for _, srv := range server.Shapes {
		for _, work := range works {
			t.Run("server="+string(srv)+"/work="+work, func(t *testing.T) {
				args := []string{"-server", string(srv), "-work", work, "-wait", "1ms"}
				ctx, stop := context.WithCancel(t.Context())
				defer stop()
				out, outW := io.Pipe()
				var stderr bytes.Buffer
				code := make(chan int, 1)
				go func() {
					code <- status(ctx, args, outW, &stderr)
					outW.Close() // a run that failed before its URL ends the read below
				}()

				line, err := bufio.NewReader(out).ReadString('\n')
				require.NoError(t, err, "joinall-serve %v: read its URL", args)
				url := strings.TrimSpace(line)
				status, body := get(t, url)
				stop()

				assert.Equal(t, http.StatusOK, status, "GET %s from joinall-serve %v", url, args)
				assert.Equal(t, "hello world", body, "GET %s from joinall-serve %v", url, args)
				assert.Equal(t, cli.StatusOK, <-code, "joinall-serve %v: exit status; stderr:\n%s", args, stderr.String())
			})
		}
	}
}

// get fetches url on a connection of its own, closed afterwards.
func get(tb testing.TB, url string) (status int, body string) {
	tb.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	require.NoError(tb, err, "GET %s", url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(tb, err, "read the body of GET %s", url)
	return resp.StatusCode, string(b)
}

// TestRunBadFlags: each is one line naming the problem, exit status 2, and
// nothing listens: an address outside loopback is refused before any.
func TestRunBadFlags(t *testing.T) {
	const wantLoopback = "want a loopback address (127.0.0.0/8, ::1, localhost) and a port"
	tests := []struct {
		name     string
		giveArgs []string
		wantErr  string
	}{
		{name: "unknown server", giveArgs: []string{"-server", "threaded"}, wantErr: `-server "threaded": want one of serial, pool, goroutine`},
		{name: "unknown work", giveArgs: []string{"-work", "db"}, wantErr: `-work "db": want one of hello, io, cpu`},
		{name: "no workers", giveArgs: []string{"-server", "pool", "-workers", "0"}, wantErr: "-workers 0: need at least 1"},
		{name: "no wait", giveArgs: []string{"-work", "io", "-wait", "0s"}, wantErr: "-wait 0s: must be positive"},
		{name: "unknown flag", giveArgs: []string{"-port", "8080"}, wantErr: "flag provided but not defined: -port"},
		{name: "argument", giveArgs: []string{"serial"}, wantErr: `unexpected argument "serial": joinall-serve takes flags only`},
		{name: "every interface", giveArgs: []string{"-addr", ":8080"}, wantErr: `-addr ":8080": ` + wantLoopback},
		{name: "unspecified", giveArgs: []string{"-addr", "0.0.0.0:0"}, wantErr: `-addr "0.0.0.0:0": ` + wantLoopback},
		{name: "remote", giveArgs: []string{"-addr", "192.0.2.1:0"}, wantErr: `-addr "192.0.2.1:0": ` + wantLoopback},
		{name: "no port", giveArgs: []string{"-addr", "127.0.0.1"}, wantErr: `-addr "127.0.0.1": address 127.0.0.1: missing port in address`},
	}
	for _, tt := range tests {
		t.Run("flags="+tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer

			code := status(t.Context(), tt.giveArgs, &stdout, &stderr)

			assert.Equal(t, cli.StatusUsage, code, "joinall-serve %q: exit status", tt.giveArgs)
			assert.Empty(t, stdout.String(), "joinall-serve %q: stdout", tt.giveArgs)
			assert.Equal(t, "joinall-serve: "+tt.wantErr, firstLine(stderr.String()), "joinall-serve %q: stderr", tt.giveArgs)
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "joinall-serve %q: stderr has one line:\n%s", tt.giveArgs, stderr.String())
		})
	}
}

// TestRunAddressInUse: a port taken already is one line and exit status 1.
func TestRunAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listen on a free port")
	t.Cleanup(func() { ln.Close() })
	args := []string{"-addr", ln.Addr().String()}
	var stdout, stderr bytes.Buffer

	code := status(t.Context(), args, &stdout, &stderr)

	assert.Equal(t, cli.StatusFailed, code, "joinall-serve %v: exit status", args)
	assert.Empty(t, stdout.String(), "joinall-serve %v: stdout", args)
	assert.Contains(t, stderr.String(), "address already in use", "joinall-serve %v: stderr", args)
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestRunHelp: -h prints the usage on stdout and exits 0, and the usage
// names every flag there is.
func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer

	code := status(t.Context(), []string{"-h"}, &stdout, &stderr)

	assert.Equal(t, cli.StatusOK, code, "joinall-serve -h: exit status")
	assert.Equal(t, usage, stdout.String(), "joinall-serve -h: stdout")
	var o options
	newFlagSet(&o).VisitAll(func(f *flag.Flag) {
		assert.Contains(t, usage, "-"+f.Name+" ", "usage: flag -%s (%s)", f.Name, f.Usage)
	})
}
