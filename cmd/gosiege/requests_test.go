// gosiege's requests as its users write them: headers, methods and bodies
// on the command line; siege's URL file, taken in turn or at random, each
// URL checked before anything is sent; HTTP/2 in cleartext and over TLS.
//
//	go test -run 'Request|URLFile|HTTP2' -v ./cmd/gosiege
package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/internal/cli"
	"github.com/joinall/joinall/load"
)

// A received request is what the server saw of one.
type received struct {
	Method, Path, Body, ContentType, UserAgent, Token string
}

// recorder serves hello world and keeps what it received.
type recorder struct {
	mu   sync.Mutex
	seen []received
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body) // a cut body shows in the comparison
	rec.mu.Lock()
	rec.seen = append(rec.seen, received{
		Method: r.Method, Path: r.URL.Path, Body: string(body),
		ContentType: r.Header.Get("Content-Type"), UserAgent: r.UserAgent(), Token: r.Header.Get("X-Token"),
	})
	rec.mu.Unlock()
	w.Write([]byte("hello world"))
}

func (rec *recorder) received() []received {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.seen)
}

// writeTemp writes content to a file named name in dir and returns its
// path.
func writeTemp(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	require.NoError(tb, os.WriteFile(p, []byte(content), 0o644), "write %s", p)
	return p
}

// TestRunRequestFlags: what -m, -d, -D, -H, -A and -T send, as the server
// receives it. One user, one repetition each.
func TestRunRequestFlags(t *testing.T) {
	dir := t.TempDir()
	jsonFile := writeTemp(t, dir, "body.json", `{"id": 7}`)
	tests := []struct {
		name     string
		giveArgs []string // before -c 1 -r 1 URL
		want     received // Path "/"
	}{
		{name: "get", want: received{Method: "GET", UserAgent: "joinall-load/1"}},
		{
			name:     "post_inline_siege_type",
			giveArgs: []string{"-m", "POST", "-d", "a=1&b=2"},
			want:     received{Method: "POST", Body: "a=1&b=2", ContentType: "application/x-www-form-urlencoded", UserAgent: "joinall-load/1"},
		},
		{
			name:     "put_file_type_of_extension",
			giveArgs: []string{"-m", "PUT", "-D", jsonFile},
			want:     received{Method: "PUT", Body: `{"id": 7}`, ContentType: "application/json", UserAgent: "joinall-load/1"},
		},
		{
			name:     "content_type_and_headers",
			giveArgs: []string{"-method", "PATCH", "-d", "x", "--content-type", "text/plain", "-H", "X-Token: abc", "-A", "probe/1"},
			want:     received{Method: "PATCH", Body: "x", ContentType: "text/plain", UserAgent: "probe/1", Token: "abc"},
		},
		{
			name:     "header_content_type",
			giveArgs: []string{"-m", "POST", "-d", "<a/>", "--header", "Content-Type: application/xml"},
			want:     received{Method: "POST", Body: "<a/>", ContentType: "application/xml", UserAgent: "joinall-load/1"},
		},
		{
			name:     "delete",
			giveArgs: []string{"-m", "DELETE", "-H", "user-agent: lower/1"},
			want:     received{Method: "DELETE", UserAgent: "lower/1"},
		},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			t.Parallel()
			var rec recorder
			url, _ := serveCounting(t, &rec)
			args := slices.Concat(tt.giveArgs, []string{"-c", "1", "-r", "1", url})

			code, _, stderr := gosiege(t.Context(), args...)

			require.Equal(t, cli.StatusOK, code, "gosiege %q: exit status; stderr:\n%s", args, stderr)
			want := tt.want
			want.Path = "/"
			assert.Equal(t, []received{want}, rec.received(), "gosiege %q: what the server received", args)
		})
	}
}

// TestRunURLLine: the URL on the command line in siege's form, 'URL POST
// body', as siege takes it.
func TestRunURLLine(t *testing.T) {
	var rec recorder
	url, _ := serveCounting(t, &rec)
	args := []string{"-c", "1", "-r", "2", url + "login POST user=a"}

	code, _, stderr := gosiege(t.Context(), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %q: exit status; stderr:\n%s", args, stderr)
	want := received{Method: "POST", Path: "/login", Body: "user=a", ContentType: "application/x-www-form-urlencoded", UserAgent: "joinall-load/1"}
	assert.Equal(t, []received{want, want}, rec.received(), "gosiege %q: what the server received", args)
	assert.Contains(t, stderr, "on POST "+url+"login", "gosiege %q: the line before the run", args)
}

// urlFile is a URL file with each of siege's forms, comments, blank lines
// and variables; $(PORT) is the server's port, from the environment.
const urlFile = `# the API, as siege reads it

HOST = 127.0.0.1:$(PORT)
http://${HOST}/items
   http://$(HOST)/items POST name=bolt&size=5
# a body from a file: its path follows "<"
http://$(HOST)/items PUT <$(BODY)

http://$(HOST)/items/7 DELETE
`

// TestRunURLFile: every line of the file is sent as written, in turn, the
// report has a row for each method and URL, and -merge keeps the rows.
// 2 users x 8 repetitions over 4 lines: each line 4 times.
func TestRunURLFile(t *testing.T) {
	var rec recorder
	url, _ := serveCounting(t, &rec)
	dir := t.TempDir()
	t.Setenv("PORT", strings.TrimSuffix(url[strings.LastIndexByte(url, ':')+1:], "/"))
	t.Setenv("BODY", writeTemp(t, dir, "item.json", `{"name":"nut"}`))
	file := writeTemp(t, dir, "urls.txt", urlFile)
	args := []string{"-c", "2", "-r", "8", "-keepalive", "-f", file, "-j"}

	code, stdout, stderr := gosiege(t.Context(), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	counts := map[received]int{}
	for _, r := range rec.received() {
		counts[r]++
	}
	assert.Equal(t, map[received]int{
		{Method: "GET", Path: "/items", UserAgent: "joinall-load/1"}:                                                                              4,
		{Method: "POST", Path: "/items", Body: "name=bolt&size=5", ContentType: "application/x-www-form-urlencoded", UserAgent: "joinall-load/1"}: 4,
		{Method: "PUT", Path: "/items", Body: `{"name":"nut"}`, ContentType: "application/json", UserAgent: "joinall-load/1"}:                     4,
		{Method: "DELETE", Path: "/items/7", UserAgent: "joinall-load/1"}:                                                                         4,
	}, counts, "gosiege %v: what the server received", args)
	assert.Contains(t, stderr, "on the 4 URLs of "+file+", each user taking them in turn", "gosiege %v: the line before the run", args)
	got, err := load.ReadJSON(strings.NewReader(stdout))
	require.NoError(t, err, "gosiege %v: read the report", args)
	var rows []string
	for _, row := range got.URLs {
		rows = append(rows, row.URL)
		assert.Equal(t, 4, row.Transactions, "gosiege %v: row %s: hits", args, row.URL)
	}
	base := strings.TrimSuffix(url, "/")
	assert.Equal(t, []string{"GET " + base + "/items", "POST " + base + "/items", "PUT " + base + "/items", "DELETE " + base + "/items/7"}, rows, "gosiege %v: rows", args)

	report := writeTemp(t, dir, "run.json", stdout)
	code, again, stderr := gosiege(t.Context(), args...)
	require.Equal(t, cli.StatusOK, code, "gosiege %v, again: exit status; stderr:\n%s", args, stderr)
	code, merged, stderr := gosiege(t.Context(), "-merge", report, writeTemp(t, dir, "again.json", again))
	require.Equal(t, cli.StatusOK, code, "gosiege -merge: exit status; stderr:\n%s", stderr)
	assert.Contains(t, merged, "\nPer URL:\t\t       trans       failed       p50 ms       p99 ms  method and URL\n", "gosiege -merge: the rows' head")
	assert.Regexp(t, `\n\t\t\t {11}8 {12}0 +[0-9.]+ +[0-9.]+  DELETE `+regexpQuote(base)+`/items/7\n`, merged, "gosiege -merge: a row, its counts summed")
}

func regexpQuote(s string) string { return strings.NewReplacer(".", `\.`, "/", `\/`).Replace(s) }

// TestRunURLFileInternet: with -i every URL of the file is taken (3 URLs,
// 300 requests: that one is never taken has odds of 3 x (2/3)^300).
func TestRunURLFileInternet(t *testing.T) {
	var rec recorder
	url, _ := serveCounting(t, &rec)
	file := writeTemp(t, t.TempDir(), "urls.txt", url+"a\n"+url+"b\n"+url+"c\n")
	args := []string{"-c", "3", "-r", "100", "-keepalive", "-i", "-f", file, "-j"}

	code, stdout, stderr := gosiege(t.Context(), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	paths := map[string]int{}
	for _, r := range rec.received() {
		paths[r.Path]++
	}
	assert.Len(t, paths, 3, "gosiege %v: the URLs taken: %v", args, paths)
	got := decodeJSON(t, stdout)
	assert.Equal(t, 300.0, got["transactions"], "gosiege %v: hits", args)
	assert.Contains(t, stderr, "each request's picked at random", "gosiege %v: the line before the run", args)
}

// TestRunURLFileRefused: a file with a bad line, or a URL outside
// loopback, is one line on stderr that names the file and the line, exit
// status 2; nothing reaches the server, not even the pre-flight
// connection.
func TestRunURLFileRefused(t *testing.T) {
	url, conns := serveCounting(t, hello())
	dir := t.TempDir()
	good := "# good lines first\n" + url + "a\n" + url + "b POST x=1\n\n"
	tests := []struct {
		name    string
		give    string
		wantErr string // after "gosiege: FILE"
	}{
		{name: "not_a_method", give: good + url + "c FETCH x=1\n", wantErr: `:5: "FETCH" after the URL is not a method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)`},
		{name: "lower_case_method", give: good + url + "c post x=1\n", wantErr: `:5: "post" after the URL is not a method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)`},
		{name: "variable_set_nowhere", give: good + "http://$(NOWHERE_SET)/\n", wantErr: ":5: $(NOWHERE_SET) is not set: set it in the file (NOWHERE_SET = VALUE) before this line, or in the environment"},
		{name: "body_file_missing", give: good + url + "c POST <" + filepath.Join(dir, "missing.json") + "\n", wantErr: ":5: body file: stat " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{name: "no_file_name", give: good + url + "c POST <\n", wantErr: `:5: "<" without a file name`},
		{name: "bad_url", give: good + "ftp://127.0.0.1/\n", wantErr: `:5: URL "ftp://127.0.0.1/": scheme must be http or https`},
		{name: "outside_loopback", give: good + "http://192.0.2.7:8080/\n", wantErr: ":5: 192.0.2.7 is outside loopback (127.0.0.0/8, ::1): give -allow-remote to load it"},
		{name: "name_outside_loopback", give: good + "http://db.test/\n", wantErr: ":5: resolve db.test: lookup db.test: no such host"},
		{name: "only_comments", give: "# nothing\n\n", wantErr: ": no URL in it"},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			file := writeTemp(t, dir, tt.name+".txt", tt.give)
			args := []string{"-c", "2", "-r", "1", "-f", file}

			code, stdout, stderr := gosiege(t.Context(), args...)

			assert.Equal(t, cli.StatusUsage, code, "gosiege %v: exit status", args)
			assert.Empty(t, stdout, "gosiege %v: stdout", args)
			assert.Equal(t, "gosiege: "+file+tt.wantErr+"\n", stderr, "gosiege %v: stderr", args)
		})
	}
	assert.Zero(t, conns.Load(), "connections the server accepted")
}

// TestRunRequestFlagsRefused: flags that cannot make a request together
// are one line and exit status 2, before anything is sent.
func TestRunRequestFlagsRefused(t *testing.T) {
	url, conns := serveCounting(t, hello())
	file := writeTemp(t, t.TempDir(), "urls.txt", url+"\n")
	tests := []struct {
		name     string
		giveArgs []string
		wantErr  string
	}{
		{name: "body_without_method", giveArgs: []string{"-d", "1", url}, wantErr: "-d and -D need -m, the method that carries the body (-m POST); siege's -d, a delay between transactions, has no place here"},
		{name: "siege_mark", giveArgs: []string{"-m", "run 1", url}, wantErr: `-m "run 1": not a method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS); siege's -m, a mark in its log, has no place here`},
		{name: "two_bodies", giveArgs: []string{"-m", "POST", "-d", "a", "-D", file, url}, wantErr: "-d and -D: give one body"},
		{name: "file_and_url", giveArgs: []string{"-f", file, url}, wantErr: "-f " + file + " and a URL: give one"},
		{name: "internet_without_file", giveArgs: []string{"-i", url}, wantErr: "-i picks each request's URL at random from a URL file: give -f"},
		{name: "method_with_file", giveArgs: []string{"-m", "POST", "-f", file}, wantErr: "-m, -d and -D are for the URL on the command line"},
		{name: "line_and_method", giveArgs: []string{"-m", "PUT", url + " POST a=1"}, wantErr: "names its method, and -m, -d or -D too: give one"},
		{name: "header_without_colon", giveArgs: []string{"-H", "X-Token abc", url}, wantErr: `-H "X-Token abc": want Name: value`},
		{name: "header_bad_name", giveArgs: []string{"-H", "X Token: abc", url}, wantErr: `-H "X Token: abc": "X Token" is not a header name`},
		{name: "framing_header", giveArgs: []string{"-H", "Content-Length: 5", url}, wantErr: "header Content-Length is the driver's to set"},
		{name: "type_twice", giveArgs: []string{"-T", "a/b", "-H", "Content-Type: c/d", url}, wantErr: "-T and -H Content-Type: give one"},
		{name: "agent_twice", giveArgs: []string{"-A", "a", "-H", "User-Agent: b", url}, wantErr: "-A and -H User-Agent: give one"},
		{name: "streams_without_http2", giveArgs: []string{"-streams", "4", url}, wantErr: "-streams without -http2"},
		{name: "streams_zero", giveArgs: []string{"-http2", "-streams", "0", url}, wantErr: "-streams 0: need at least 1"},
		{name: "too_many_streams", giveArgs: []string{"-http2", "-c", "100", "-streams", "101", url}, wantErr: "-c 100 -streams 101: 10100 users, at most 10000 in one process"},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			args := append([]string{"-r", "1"}, tt.giveArgs...)

			code, stdout, stderr := gosiege(t.Context(), args...)

			assert.Equal(t, cli.StatusUsage, code, "gosiege %q: exit status", args)
			assert.Empty(t, stdout, "gosiege %q: stdout", args)
			assert.Contains(t, stderr, tt.wantErr, "gosiege %q: stderr", args)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "gosiege %q: stderr has one line:\n%s", args, stderr)
		})
	}
	assert.Zero(t, conns.Load(), "connections the server accepted")
}

// serveHTTP2 starts a loopback server that speaks HTTP/2, in cleartext
// (h2c, prior knowledge) or over TLS, counting the connections it accepts.
func serveHTTP2(tb testing.TB, tls bool, h http.Handler) (url string, conns *atomic.Int64) {
	tb.Helper()
	conns = new(atomic.Int64)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	// A run's end cuts streams; the server would log them.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Config.Protocols = new(http.Protocols)
		srv.Config.Protocols.SetUnencryptedHTTP2(true)
		srv.Start()
	}
	tb.Cleanup(srv.Close)
	return srv.URL + "/", conns
}

// TestRunHTTP2: -http2 -c 2 -streams 3 is 6 users on 2 connections, after
// the pre-flight's, and the report names the protocol.
func TestRunHTTP2(t *testing.T) {
	tests := []struct {
		name         string
		tls          bool
		wantProtocol string
		wantText     string
	}{
		{name: "h2c", wantProtocol: "h2c", wantText: "\nProtocol:\t\tHTTP/2 in cleartext (h2c, prior knowledge), 3 users a connection\n"},
		{name: "h2", tls: true, wantProtocol: "h2", wantText: "\nProtocol:\t\tHTTP/2 over TLS (h2), 3 users a connection\n"},
	}
	for _, tt := range tests {
		t.Run("protocol="+tt.name, func(t *testing.T) {
			t.Parallel()
			url, conns := serveHTTP2(t, tt.tls, hello())
			args := []string{"-http2", "-c", "2", "-streams", "3", "-r", "5", url}

			code, stdout, stderr := gosiege(t.Context(), append(args, "-j")...)

			require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
			got := decodeJSON(t, stdout)
			assert.Equal(t, 30.0, got["transactions"], "gosiege %v: hits", args)
			assert.Equal(t, tt.wantProtocol, got["protocol"], "gosiege %v: protocol", args)
			assert.Equal(t, 3.0, got["settings"].(map[string]any)["streams"], "gosiege %v: streams", args)
			assert.Equal(t, int64(1+2), conns.Load(), "gosiege %v: connections: the pre-flight's and the run's 2", args)
			assert.Contains(t, stderr, "6 concurrent users on "+url+" for 5 repetitions each, over HTTP/2: 2 connections of 3 streams", "gosiege %v: the line before the run", args)

			code, stdout, stderr = gosiege(t.Context(), args...)

			require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
			assert.Contains(t, stdout, tt.wantText, "gosiege %v: the text report", args)
		})
	}
}

// TestRunHTTP2NotSpoken: -http2 to a server that speaks only HTTP/1.1 is
// one line before the run, exit status 1.
func TestRunHTTP2NotSpoken(t *testing.T) {
	url, conns := serveCounting(t, hello())
	args := []string{"-http2", "-c", "5", "-r", "5", url}

	code, stdout, stderr := gosiege(t.Context(), args...)

	assert.Equal(t, cli.StatusFailed, code, "gosiege %v: exit status", args)
	assert.Empty(t, stdout, "gosiege %v: stdout", args)
	assert.Contains(t, stderr, "gosiege: cannot reach "+url+": ", "gosiege %v: stderr", args)
	assert.Contains(t, stderr, "does not answer in HTTP/2 without TLS (h2c, prior knowledge)", "gosiege %v: stderr", args)
	assert.Equal(t, int64(1), conns.Load(), "gosiege %v: connections: the pre-flight's alone", args)
}

// TestRunURLFileResolvesOnce: the hosts of a URL file are each resolved
// once, whatever the number of lines that name them.
func TestRunURLFileResolvesOnce(t *testing.T) {
	url, _ := serveCounting(t, hello())
	port := strings.TrimSuffix(url[strings.LastIndexByte(url, ':')+1:], "/")
	var asked []string
	resolver := func(c *command) {
		c.lookup = func(_ context.Context, _, host string) ([]netip.Addr, error) {
			asked = append(asked, host)
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
	}
	lines := "http://a.test:" + port + "/1\nhttp://b.test:" + port + "/2\nhttp://a.test:" + port + "/3\nhttp://127.0.0.1:" + port + "/4\n"
	file := writeTemp(t, t.TempDir(), "urls.txt", lines)
	args := []string{"-c", "2", "-r", "8", "-f", file, "-j"}

	code, stdout, stderr := gosiegeIn(t.Context(), resolver, args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	assert.Equal(t, 16.0, decodeJSON(t, stdout)["transactions"], "gosiege %v: hits", args)
	assert.Equal(t, []string{"a.test", "b.test"}, asked, "gosiege %v: names looked up", args)
}

// TestRunMergeRefusesMixedProtocols: reports of HTTP/1.1 and of HTTP/2, or
// of HTTP/2 with different streams a connection, do not merge: the
// protocol and the streams are settings of a run.
func TestRunMergeRefusesMixedProtocols(t *testing.T) {
	dir := t.TempDir()
	// One server that speaks HTTP/1.1 and h2c, so that only the protocol
	// differs.
	srv := httptest.NewUnstartedServer(hello())
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	write := func(name string, args ...string) string {
		code, stdout, stderr := gosiege(t.Context(), append(args, "-c", "1", "-r", "2", "-j", srv.URL)...)
		require.Equal(t, cli.StatusOK, code, "gosiege %v: stderr:\n%s", args, stderr)
		return writeTemp(t, dir, name, stdout)
	}
	http1 := write("http1.json", "-keepalive")
	one := write("h2c-1.json", "-http2")
	two := write("h2c-2.json", "-http2", "-streams", "2")
	tests := []struct {
		name    string
		give    []string
		wantErr string
	}{
		{name: "http1_h2c", give: []string{http1, one}, wantErr: `-merge ` + one + `: its settings differ from the first report's: protocol "h2c", not "http/1.1"`},
		{name: "streams", give: []string{one, two}, wantErr: `-merge ` + two + `: its settings differ from the first report's: streams 2, not 1`},
	}
	for _, tt := range tests {
		args := append([]string{"-merge"}, tt.give...)

		code, stdout, stderr := gosiege(t.Context(), args...)

		assert.Equal(t, cli.StatusUsage, code, "gosiege %v: exit status", args)
		assert.Empty(t, stdout, "gosiege %v: stdout", args)
		assert.Equal(t, "gosiege: "+tt.wantErr+"\n", stderr, "gosiege %v: stderr", args)
	}
}
