// HTTP/2: users share connections, Streams to each; the report names the
// protocol; a server that does not speak it is found before a run; its
// failures are counted as HTTP/1.1's are; and nothing is left behind.
//
//	go test -run 'HTTP2' -v ./load
package load_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/load"
)

// h2Modes is the modes that speak HTTP/2.
func h2Modes() []mode {
	var out []mode
	for _, m := range modes {
		if m.protocol != load.HTTP1 {
			out = append(out, m)
		}
	}
	return out
}

// newConns returns a ConnState hook that counts the connections a server
// accepts.
func newConns() (*atomic.Int64, func(http.ConnState)) {
	var n atomic.Int64
	return &n, func(s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
}

// TestRunHTTP2Connections: Users / Streams connections, each carrying its
// users' streams, whatever the number of transactions; the report says
// which protocol, and how many users a connection.
func TestRunHTTP2Connections(t *testing.T) {
	tests := []struct {
		users, streams int
		wantConns      int64
	}{
		{users: 6, streams: 3, wantConns: 2},
		{users: 4, streams: 1, wantConns: 4},
		{users: 8, streams: 8, wantConns: 1},
	}
	for _, m := range h2Modes() {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("mode=%s/users=%d/streams=%d", m.name, tt.users, tt.streams), func(t *testing.T) {
				t.Parallel()
				conns, connState := newConns()
				srv := m.start(t, hello(), connState)
				cfg := load.Config{URL: srv.URL, Users: tt.users, Streams: tt.streams, Reps: 20}
				m.config(&cfg)

				got, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run")
				assert.Equal(t, tt.users*20, got.Transactions, "hits")
				assert.Equal(t, tt.wantConns, conns.Load(), "connections the server accepted")
				assert.Equal(t, m.protocol, got.Settings.Protocol, "protocol")
				assert.Equal(t, tt.streams, got.Settings.Streams, "users a connection")
			})
		}
	}
}

// TestReachHTTP2: Reach finds, before a run, a server that speaks HTTP/2
// and one that does not: an HTTP/1.1 server asked for h2c, an https server
// that offers only HTTP/1.1 with ALPN.
func TestReachHTTP2(t *testing.T) {
	tests := []struct {
		name    string
		serve   func(tb testing.TB, h http.Handler, connState func(http.ConnState)) *httptest.Server
		wantErr string // "" for none
	}{
		{name: "h2c", serve: serveH2C},
		{name: "h2", serve: serveH2},
		{name: "http1_asked_for_h2c", serve: serveConns, wantErr: "does not answer in HTTP/2 without TLS (h2c, prior knowledge)"},
		{name: "https_without_h2", serve: func(tb testing.TB, h http.Handler, _ func(http.ConnState)) *httptest.Server {
			srv := httptest.NewUnstartedServer(h)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			tb.Cleanup(srv.Close)
			return srv
		}, wantErr: `the server chose "http/1.1", not HTTP/2 (h2), in the TLS handshake (ALPN)`},
	}
	for _, tt := range tests {
		t.Run("server="+tt.name, func(t *testing.T) {
			srv := tt.serve(t, hello(), nil)

			err := load.Reach(t.Context(), load.Config{URL: srv.URL, Users: 1, Reps: 1, HTTP2: true})

			if tt.wantErr == "" {
				assert.NoError(t, err, "Reach(%s)", tt.name)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr, "Reach(%s)", tt.name)
		})
	}
}

// TestRunHTTP2Failures: a stream the server resets is a reset, a stream
// that does not answer in time a timeout, an answer past the header bound
// too large, as over HTTP/1.1; 2 users x 3 repetitions each. (A field
// longer than the bound, or a block more than twice its size, ends the
// connection in x/net/http2 as a broken frame does: those count as
// protocol failures.)
func TestRunHTTP2Failures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		give    load.Config // URL, Users, Reps and HTTP2 set by the test
		want    load.Failures
	}{
		{
			name:    "reset",
			handler: func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) },
			want:    load.Failures{Reset: 6},
		},
		{
			// The connection is never made, as when a SYN is dropped.
			name:    "connect_timeout",
			handler: hang,
			give: load.Config{Timeout: 20 * time.Millisecond, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}},
			want: load.Failures{ConnectTimeout: 6},
		},
		{
			name:    "timeout",
			handler: hang,
			// 250 ms, not less: a busy machine can take tens of
			// milliseconds to make the connection, which would be a
			// connect timeout.
			give: load.Config{Timeout: 250 * time.Millisecond},
			want: load.Failures{Timeout: 6},
		},
		{
			name: "header_too_large",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				// 3 fields of 6 + 400 + 32 bytes: 1314, over 1024.
				for _, name := range []string{"X-Big1", "X-Big2", "X-Big3"} {
					w.Header().Set(name, strings.Repeat("x", 400))
				}
				w.Write([]byte(helloBody))
			},
			give: load.Config{MaxHeaderBytes: 1024},
			want: load.Failures{HeaderTooLarge: 6},
		},
		{
			name: "status_500",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "oops", http.StatusInternalServerError)
			},
			want: load.Failures{Status5xx: 6},
		},
	}
	for _, m := range h2Modes() {
		for _, tt := range tests {
			t.Run("mode="+m.name+"/case="+tt.name, func(t *testing.T) {
				t.Parallel()
				srv := m.serve(t, tt.handler)
				cfg := tt.give
				cfg.URL, cfg.Users, cfg.Streams, cfg.Reps = srv.URL, 2, 2, 3
				m.config(&cfg)

				got, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run(%s)", tt.name)
				assert.Equal(t, tt.want, got.Failures, "failures")
				assert.Zero(t, got.Transactions, "hits")
			})
		}
	}
}

// TestRunHTTP2LeavesNothingBehind: when Run returns, the HTTP/2
// connections are closed and their readers have ended, after a run to its
// end and after one that cuts streams in flight. Not parallel, so that
// goleak sees only this test's goroutines.
func TestRunHTTP2LeavesNothingBehind(t *testing.T) {
	tests := []struct {
		name     string
		give     load.Config
		giveHang bool
	}{
		{name: "reps", give: load.Config{Users: 4, Streams: 2, Reps: 20}},
		{name: "cut", give: load.Config{Users: 4, Streams: 2, Duration: 30 * time.Millisecond, Warmup: 20 * time.Millisecond}, giveHang: true},
	}
	for _, m := range h2Modes() {
		for _, tt := range tests {
			t.Run("mode="+m.name+"/case="+tt.name, func(t *testing.T) {
				srv := m.serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if tt.giveHang {
						hang(w, r)
						return
					}
					w.Write([]byte(helloBody))
				}))
				ignore := goleak.IgnoreCurrent() // the server's own goroutines
				cfg := tt.give
				cfg.URL = srv.URL
				m.config(&cfg)

				_, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run(%s)", tt.name)
				goleak.VerifyNone(t, ignore)
			})
		}
	}
}
