// Requests as the user writes them: methods, headers and bodies arriving at
// the server as given, in every way the driver speaks (HTTP/1.1 with a new
// connection per transaction or kept alive, HTTP/2 in cleartext and over
// TLS); a list of targets taken in turn or at random, each counted in a row
// of its own.
//
//	go test -run 'Targets|Redirect|Rows|Random' -v ./load
package load_test

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

// A mode is a way the driver speaks to a server: the server that speaks it
// (reporting every change of a connection's state to connState, when not
// nil), the configuration that asks for it, and the protocol the report
// names.
type mode struct {
	name     string
	start    func(tb testing.TB, h http.Handler, connState func(http.ConnState)) *httptest.Server
	config   func(cfg *load.Config)
	protocol string
}

// modes is every way the driver speaks; each table of this file runs
// against all of them.
var modes = []mode{
	{name: "http1", start: serveConns, config: func(*load.Config) {}, protocol: load.HTTP1},
	{name: "http1-keepalive", start: serveConns, config: func(cfg *load.Config) { cfg.KeepAlive = true }, protocol: load.HTTP1},
	{name: "h2c", start: serveH2C, config: func(cfg *load.Config) { cfg.HTTP2 = true }, protocol: load.H2C},
	{name: "h2", start: serveH2, config: func(cfg *load.Config) { cfg.HTTP2 = true }, protocol: load.H2},
}

// serve starts a loopback server with h that speaks the mode, and closes it
// when the test ends.
func (m mode) serve(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	return m.start(tb, h, nil)
}

// serveH2C starts a loopback server that speaks HTTP/2 in cleartext with
// prior knowledge, and HTTP/1.1 not at all.
func serveH2C(tb testing.TB, h http.Handler, connState func(http.ConnState)) *httptest.Server {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	if connState != nil {
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) { connState(s) }
	}
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv
}

// serveH2 starts a loopback https server that offers HTTP/2 with ALPN.
func serveH2(tb testing.TB, h http.Handler, connState func(http.ConnState)) *httptest.Server {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	// A run's end cuts handshakes and streams; the server would log them.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if connState != nil {
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) { connState(s) }
	}
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv
}

// A captured request is what the server received.
type captured struct {
	Method, Path, Host, Body string
	ContentLength            int64
	ContentType, UserAgent   string
	Token                    string
	Accept                   []string
}

// capture answers every request with helloBody and keeps what it received,
// in order.
type capture struct {
	mu   sync.Mutex
	seen []captured
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body) // a cut body shows in the comparison
	c.mu.Lock()
	c.seen = append(c.seen, captured{
		Method: r.Method, Path: r.URL.Path, Host: r.Host, Body: string(body),
		ContentLength: r.ContentLength, ContentType: r.Header.Get("Content-Type"),
		UserAgent: r.UserAgent(), Token: r.Header.Get("X-Token"), Accept: r.Header.Values("Accept"),
	})
	c.mu.Unlock()
	w.Write([]byte(helloBody))
}

func (c *capture) requests() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seen)
}

// TestRunTargetsArriveAsSent: one user takes each target once, in order;
// the server receives each method, header and body as given, in every
// mode. The driver's User-Agent is replaced where a target names one, and
// a Host header sets the request's host.
func TestRunTargetsArriveAsSent(t *testing.T) {
	tests := []struct {
		give load.Target // URL is the path; the server's address goes before it
		want captured    // Host "" means the server's address
	}{
		{
			give: load.Target{URL: "/get", Header: http.Header{"X-Token": {"abc"}, "Accept": {"text/plain", "application/json"}}},
			want: captured{Method: "GET", Path: "/get", UserAgent: "joinall-load/1", Token: "abc", Accept: []string{"text/plain", "application/json"}},
		},
		{
			give: load.Target{Method: "POST", URL: "/post", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"a":1}`)},
			want: captured{Method: "POST", Path: "/post", Body: `{"a":1}`, ContentLength: 7, ContentType: "application/json", UserAgent: "joinall-load/1"},
		},
		{
			give: load.Target{Method: "PUT", URL: "/put", Header: http.Header{"user-agent": {"custom/2"}}, Body: []byte("x=1&y=2")},
			want: captured{Method: "PUT", Path: "/put", Body: "x=1&y=2", ContentLength: 7, UserAgent: "custom/2"},
		},
		{
			// A POST without a body says so: Content-Length: 0.
			give: load.Target{Method: "POST", URL: "/empty"},
			want: captured{Method: "POST", Path: "/empty", UserAgent: "joinall-load/1"},
		},
		{
			give: load.Target{Method: "DELETE", URL: "/delete", Header: http.Header{"Host": {"api.example"}}},
			want: captured{Method: "DELETE", Path: "/delete", Host: "api.example", UserAgent: "joinall-load/1"},
		},
		{
			// The server answers a HEAD with the length of a body it
			// does not send: the driver must not wait for it.
			give: load.Target{Method: "HEAD", URL: "/head"},
			want: captured{Method: "HEAD", Path: "/head", UserAgent: "joinall-load/1"},
		},
		{
			give: load.Target{Method: "PATCH", URL: "/patch?q=1", Body: []byte("\x00binary\xff")},
			want: captured{Method: "PATCH", Path: "/patch", Body: "\x00binary\xff", ContentLength: 8, UserAgent: "joinall-load/1"},
		},
	}
	for _, m := range modes {
		t.Run("mode="+m.name, func(t *testing.T) {
			t.Parallel()
			var c capture
			srv := m.serve(t, &c)
			cfg := load.Config{Users: 1, Reps: len(tests), Timeout: 10 * time.Second}
			m.config(&cfg)
			var want []captured
			for _, tt := range tests {
				target := tt.give
				target.URL = srv.URL + target.URL
				cfg.Targets = append(cfg.Targets, target)
				w := tt.want
				if w.Host == "" {
					w.Host = strings.TrimPrefix(strings.TrimPrefix(srv.URL, "http://"), "https://")
				}
				want = append(want, w)
			}

			got, err := load.Run(t.Context(), cfg)

			require.NoError(t, err, "Run(%d targets)", len(tests))
			assert.Equal(t, want, c.requests(), "what the server received")
			assert.Equal(t, len(tests), got.Transactions, "hits")
			assert.Equal(t, load.Failures{}, got.Failures, "failures")
			assert.Equal(t, m.protocol, got.Settings.Protocol, "protocol")
			require.Len(t, got.URLs, len(tests), "rows: one per method and URL")
			for i, row := range got.URLs {
				assert.Equal(t, 1, row.Transactions, "row %s: hits", row.URL)
				assert.Equal(t, cmp.Or(tests[i].give.Method, "GET")+" "+srv.URL+tests[i].give.URL, row.URL, "row %d", i)
			}
		})
	}
}

// TestRunRedirectMethods: a POST with a body, redirected, becomes a GET
// without one after 301, 302 and 303, and stays a POST with its body after
// 307 and 308, as net/http's client follows redirects; in every mode.
func TestRunRedirectMethods(t *testing.T) {
	tests := []struct {
		code       int
		wantMethod string
		wantBody   string
	}{
		{code: http.StatusMovedPermanently, wantMethod: "GET"},
		{code: http.StatusFound, wantMethod: "GET"},
		{code: http.StatusSeeOther, wantMethod: "GET"},
		{code: http.StatusTemporaryRedirect, wantMethod: "POST", wantBody: "a=1"},
		{code: http.StatusPermanentRedirect, wantMethod: "POST", wantBody: "a=1"},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("mode=%s/code=%d", m.name, tt.code), func(t *testing.T) {
				t.Parallel()
				var c capture
				srv := m.serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/from" {
						io.Copy(io.Discard, r.Body)
						http.Redirect(w, r, "/to", tt.code)
						return
					}
					c.ServeHTTP(w, r)
				}))
				cfg := load.Config{Users: 1, Reps: 1, Targets: []load.Target{{
					Method: "POST", URL: srv.URL + "/from", Body: []byte("a=1"),
					Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				}}}
				m.config(&cfg)

				got, err := load.Run(t.Context(), cfg)

				require.NoError(t, err, "Run(POST, redirected by %d)", tt.code)
				assert.Equal(t, 2, got.Transactions, "hits: the redirect and its hop")
				require.Len(t, c.requests(), 1, "requests at the redirect's end")
				hop := c.requests()[0]
				assert.Equal(t, tt.wantMethod, hop.Method, "the hop's method")
				assert.Equal(t, tt.wantBody, hop.Body, "the hop's body")
				assert.Equal(t, int64(len(tt.wantBody)), hop.ContentLength, "the hop's Content-Length")
			})
		}
	}
}

// urlsRun is a run over three targets, in fake time, whose every count is
// known: 2 users x 6 repetitions, each user taking the targets in turn from
// its own place (user 0 at /a, user 1 at /b), so that each target is taken
// 4 times. /c answers 500 after 2 ms, the others 200 after 1 ms.
func urlsRun(t *testing.T) *load.Report {
	t.Helper()
	var r *load.Report
	synctest.Test(t, func(t *testing.T) {
		dial := servePipe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/c" {
				slowly(2*time.Millisecond, http.StatusInternalServerError, "oops")(w, r)
				return
			}
			slowly(time.Millisecond, http.StatusOK, helloBody)(w, r)
		}))
		var err error
		r, err = load.Run(t.Context(), load.Config{
			Users: 2, Reps: 6, KeepAlive: true, DialContext: dial,
			Targets: []load.Target{
				{URL: "http://pipe.test/a"},
				{URL: "http://user:s3cret@pipe.test/b"},
				{Method: "POST", URL: "http://pipe.test/c", Body: []byte("x")},
			},
		})
		require.NoError(t, err, "Run(3 targets)")
	})
	return r
}

// TestRunRows: a row per method and URL, exact, adding up to the report;
// no row prints a password.
func TestRunRows(t *testing.T) {
	got := urlsRun(t)

	ms := time.Millisecond
	assert.Equal(t, []load.URLReport{
		{URL: "GET http://pipe.test/a", Transactions: 4, P50: ms, P99: ms},
		{URL: "GET http://pipe.test/b", Transactions: 4, P50: ms, P99: ms},
		{URL: "POST http://pipe.test/c", Failed: 4, P50: 2 * ms, P99: 2 * ms},
	}, exportedURLs(got.URLs), "rows")
	assert.Equal(t, 8, got.Transactions, "hits")
	assert.Equal(t, 4, got.Failed, "failed")
}

// exportedURLs is the rows as a user of the package sees them.
func exportedURLs(rows []load.URLReport) []load.URLReport {
	out := make([]load.URLReport, len(rows))
	for i, r := range rows {
		out[i] = load.URLReport{URL: r.URL, Transactions: r.Transactions, Failed: r.Failed, P50: r.P50, P99: r.P99}
	}
	return out
}

// TestRunRowsShared: targets of the same method and URL share a row,
// whatever their bodies; a run of one row prints none.
func TestRunRowsShared(t *testing.T) {
	srv := serve(t, hello())
	cfg := load.Config{Users: 2, Reps: 3, Targets: []load.Target{
		{Method: "POST", URL: srv.URL + "/login", Body: []byte("user=a")},
		{Method: "POST", URL: srv.URL + "/login", Body: []byte("user=b")},
	}}

	got, err := load.Run(t.Context(), cfg)

	require.NoError(t, err, "Run(2 targets, 1 URL)")
	require.Len(t, got.URLs, 1, "rows")
	assert.Equal(t, 6, got.URLs[0].Transactions, "the row's hits")
	var text bytes.Buffer
	require.NoError(t, got.WriteText(&text), "WriteText")
	assert.NotContains(t, text.String(), "Per URL", "the text of a one-row run")
}

// TestRunRandom: with Random every target is taken (3 targets, 240
// repetitions: that one is never taken has odds of 3 x (2/3)^240), and the
// counts add up; a user takes them in no fixed order, so that the rows
// differ from a turn-taking run's equal thirds.
func TestRunRandom(t *testing.T) {
	srv := serve(t, hello())
	cfg := load.Config{Users: 4, Reps: 60, KeepAlive: true, Random: true, Targets: []load.Target{
		{URL: srv.URL + "/a"}, {URL: srv.URL + "/b"}, {URL: srv.URL + "/c"},
	}}

	got, err := load.Run(t.Context(), cfg)

	require.NoError(t, err, "Run(Random)")
	require.Len(t, got.URLs, 3, "rows")
	sum := 0
	for _, row := range got.URLs {
		assert.Positive(t, row.Transactions, "row %s: hits", row.URL)
		sum += row.Transactions
	}
	assert.Equal(t, 240, sum, "the rows' hits add up")
	assert.Equal(t, 240, got.Transactions, "hits")
}

// TestRunBadTargets: targets that cannot be sent are an error before
// anything is sent, naming the target.
func TestRunBadTargets(t *testing.T) {
	var c capture
	srv := serve(t, &c)
	tests := []struct {
		name string
		give load.Config
		want string
	}{
		{name: "url_and_targets", give: load.Config{URL: srv.URL, Targets: []load.Target{{URL: srv.URL}}}, want: "load: both URL and Targets are set: give one"},
		{name: "connect", give: load.Config{Targets: []load.Target{{Method: "CONNECT", URL: srv.URL}}}, want: "method CONNECT opens a tunnel"},
		{name: "method_not_a_token", give: load.Config{Targets: []load.Target{{Method: "GE T", URL: srv.URL}}}, want: `method "GE T" is not a token`},
		{name: "header_name", give: load.Config{Targets: []load.Target{{URL: srv.URL, Header: http.Header{"X Bad": {"1"}}}}}, want: `header name "X Bad" is not a token`},
		{name: "header_value", give: load.Config{Targets: []load.Target{{URL: srv.URL, Header: http.Header{"X-Bad": {"a\r\nb"}}}}}, want: `header X-Bad: value "a\r\nb" has a character a header cannot carry`},
		{name: "content_length", give: load.Config{Targets: []load.Target{{URL: srv.URL, Header: http.Header{"Content-Length": {"3"}}}}}, want: "header Content-Length is the driver's to set"},
		{name: "connection", give: load.Config{Targets: []load.Target{{URL: srv.URL, Header: http.Header{"connection": {"close"}}}}}, want: "header Connection is the driver's to set"},
		{name: "second_target", give: load.Config{Targets: []load.Target{{URL: srv.URL}, {URL: "ftp://127.0.0.1/"}}}, want: `load: Targets[1]: URL "ftp://127.0.0.1/": scheme must be http or https`},
		{name: "streams_without_http2", give: load.Config{URL: srv.URL, Streams: 2}, want: "load: Streams = 2 without HTTP2"},
		{name: "users_not_a_multiple", give: load.Config{URL: srv.URL, Users: 3, HTTP2: true, Streams: 2}, want: "load: Users = 3 is not a multiple of Streams = 2"},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			cfg := tt.give
			cfg.Users = max(cfg.Users, 1)
			cfg.Reps = 1

			got, err := load.Run(t.Context(), cfg)

			assert.ErrorContains(t, err, tt.want, "Run(%s)", tt.name)
			assert.Nil(t, got, "Run(%s): no report", tt.name)
		})
	}
	assert.Empty(t, c.requests(), "requests sent by bad targets")
}
