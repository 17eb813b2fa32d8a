// The article's second experiment: request(url) prints "GET: <url>", reads
// the page and prints "<n> bytes received from <url>." for three sites. In
// order it takes 0.80 s; spawned and joined, 0.32 s, and the "received" lines
// come back in another order than the "GET" lines: ele.me's page first.
// Which page finishes first is decided by how long each site takes to
// answer, not by the page's size: the delays here are the ones the
// article's run implies (ele.me 200 ms, baidu 280 ms, zhihu 320 ms), so
// the order is the article's because the delays are.
//
// Nothing here leaves the machine. The exact claims (elapsed time, finishing
// order, byte counts, one request per URL, every failure reported against
// its own URL) are proved in fake time (testing/synctest) against httpmock,
// a mock transport that answers for the article's URLs:
//
//	go test -run 'Fetch' -v .
//
// fetch_loopback_test.go runs the same experiment over real loopback
// sockets, and benchmarks it.
package joinall_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall"
)

// The article's three URLs, in the order it fetched them.
const (
	baidu = "https://baidu.com"
	zhihu = "https://zhihu.com"
	eleme = "https://ele.me"
)

var articleURLs = []string{baidu, zhihu, eleme}

// articleDelays make the article's numbers exact. In order: 0.28 + 0.32 +
// 0.20 = 0.80 s. Spawned and joined: the longest, 0.32 s, with ele.me done
// first, then baidu, then zhihu, the order the article printed.
var articleDelays = map[string]time.Duration{
	baidu: 280 * time.Millisecond,
	zhihu: 320 * time.Millisecond,
	eleme: 200 * time.Millisecond,
}

// articleBytes is what the article received from each URL in order, and
// the size of the fixture page that stands in for it. (Its concurrent run
// got 111,562 bytes from baidu: a live page changes between requests; a
// fixture does not.)
var articleBytes = map[string]int64{baidu: 111_574, zhihu: 11_878, eleme: 1_356}

// readPages returns the fixture page that stands in for each of urls, read
// from testdata/pages/<host>.html.
func readPages(urls []string) (map[string][]byte, error) {
	pages := make(map[string][]byte, len(urls))
	for _, u := range urls {
		parsed, err := url.Parse(u)
		if err != nil {
			return nil, err
		}
		if pages[u], err = os.ReadFile(filepath.Join("testdata", "pages", parsed.Host+".html")); err != nil {
			return nil, err
		}
	}
	return pages, nil
}

func articlePages(tb testing.TB) map[string][]byte {
	tb.Helper()
	pages, err := readPages(articleURLs)
	require.NoError(tb, err, "reading the fixture pages")
	return pages
}

// respond answers with status, body and a Content-Length header of
// contentLength, as a server would; a contentLength larger than the body
// is a body cut short.
func respond(status int, body []byte, contentLength int) httpmock.Responder {
	resp := httpmock.NewBytesResponse(status, body)
	resp.ContentLength = int64(contentLength)
	resp.Header.Set("Content-Length", strconv.Itoa(contentLength))
	resp.Header.Set("Content-Type", "text/html; charset=utf-8")
	return httpmock.ResponderFromResponse(resp)
}

// articleRoutes answers for each of the article's URLs with its page, after
// its delay.
func articleRoutes(pages map[string][]byte, delays map[string]time.Duration) map[string]httpmock.Responder {
	routes := make(map[string]httpmock.Responder, len(pages))
	for u, page := range pages {
		routes[u] = respond(http.StatusOK, page, len(page)).Delay(delays[u])
	}
	return routes
}

// mockClient returns a client with its own mock transport, so that tests
// running in parallel never share responders or call counts. timeout is the
// client's Timeout; 0 means none.
func mockClient(routes map[string]httpmock.Responder, timeout time.Duration) (*http.Client, *httpmock.MockTransport) {
	transport := httpmock.NewMockTransport()
	for u, r := range routes {
		transport.RegisterResponder(http.MethodGet, u, r)
	}
	return &http.Client{Transport: transport, Timeout: timeout}, transport
}

// callCounts is what GetCallCountInfo reports for a transport that answers
// for the article's URLs when articleURLs[i] was requested n[i] times: it
// lists every registered route, requested or not.
func callCounts(n ...int) map[string]int {
	counts := make(map[string]int, len(articleURLs))
	for i, u := range articleURLs {
		counts[http.MethodGet+" "+u] = n[i]
	}
	return counts
}

// urlsAt returns the URLs at indexes, in their order.
func urlsAt(urls []string, indexes []int) []string {
	got := make([]string, len(indexes))
	for i, index := range indexes {
		got[i] = urls[index]
	}
	return got
}

// linesWith returns the lines of log that contain substr, in order.
func linesWith(log, substr string) []string {
	var lines []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, substr) {
			lines = append(lines, strings.TrimSuffix(line, "\n"))
		}
	}
	return lines
}

func TestFetchFixturePages(t *testing.T) {
	for u, page := range articlePages(t) {
		assert.Len(t, page, int(articleBytes[u]), "the fixture page for %s has the article's size", u)
	}
}

// TestFetchArticle is the article's claim, exact: in fake time, each
// strategy takes precisely what its schedule says, the pages finish in the
// order their delays say, every byte is counted and every URL is requested
// once. A strategy that quietly ran in order would take the sum of the
// delays and finish in the order given; one that lost or repeated a fetch
// would miscount.
func TestFetchArticle(t *testing.T) {
	const ms = time.Millisecond
	pages := articlePages(t)
	tests := []struct {
		name          string
		giveDelays    map[string]time.Duration
		wantElapsed   map[string]time.Duration // by strategy
		wantCompleted map[string][]string      // the finishing order, by Strategy.Name
	}{
		{
			name:       "article",
			giveDelays: articleDelays, // baidu 280, zhihu 320, ele.me 200
			wantElapsed: map[string]time.Duration{
				"sequential": 800 * ms, // 280 + 320 + 200: the article's 0.80 s
				"goroutines": 320 * ms, // the longest: the article's 0.32 s
				// baidu and zhihu start at 0; ele.me takes baidu's worker
				// at 280 and ends at 280 + 200.
				"pool": 480 * ms,
			},
			wantCompleted: map[string][]string{
				"sequential": {baidu, zhihu, eleme},
				"goroutines": {eleme, baidu, zhihu}, // 200, 280, 320: the article's order
				"pool":       {baidu, zhihu, eleme}, // 280, 320, 480
			},
		},
		{
			// The article's finishing order, last URL first, is also the
			// order in which Go's scheduler tends to start three fresh
			// goroutines: this row's order is no start order, so a
			// finishing order recorded at the start of each fetch fails.
			name:       "middle_last",
			giveDelays: map[string]time.Duration{baidu: 100 * ms, zhihu: 300 * ms, eleme: 150 * ms},
			wantElapsed: map[string]time.Duration{
				"sequential": 550 * ms, // 100 + 300 + 150
				"goroutines": 300 * ms,
				"pool":       300 * ms, // ele.me takes baidu's worker at 100 and ends at 250
			},
			wantCompleted: map[string][]string{
				"sequential": {baidu, zhihu, eleme},
				"goroutines": {baidu, eleme, zhihu}, // 100, 150, 300
				"pool":       {baidu, eleme, zhihu}, // 100, 250, 300
			},
		},
	}
	for _, tt := range tests {
		for _, v := range strategies(testWorkers) {
			t.Run("case="+tt.name+"/strategy="+v.name, func(t *testing.T) {
				t.Parallel()
				require.Contains(t, tt.wantElapsed, v.name, "the row has no wantElapsed for this strategy")
				require.Contains(t, tt.wantCompleted, v.name, "the row has no wantCompleted for this strategy")
				// Every strategy measures each page alone, from its request
				// to the end of its body: its delay, whatever ran beside it.
				wantResults := make([]joinall.Result, len(articleURLs))
				for i, u := range articleURLs {
					wantResults[i].Page = joinall.Page{URL: u, Status: 200, Bytes: articleBytes[u], Elapsed: tt.giveDelays[u]}
				}
				var wantReceived []string
				for _, u := range tt.wantCompleted[v.name] {
					wantReceived = append(wantReceived, fmt.Sprintf("%d bytes received from %s.", articleBytes[u], u))
				}
				synctest.Test(t, func(t *testing.T) {
					client, transport := mockClient(articleRoutes(pages, tt.giveDelays), 0)
					var log bytes.Buffer
					f := &joinall.Fetcher{Client: client, Log: &log}

					start := time.Now()
					results, completed, err := f.FetchAll(t.Context(), v.strategy, articleURLs)
					elapsed := time.Since(start)

					require.NoError(t, err, "FetchAll")
					assert.Equal(t, tt.wantElapsed[v.name], elapsed, "FetchAll: elapsed")
					assert.Equal(t, tt.wantCompleted[v.name], urlsAt(articleURLs, completed), "FetchAll: finishing order")
					assert.Equal(t, wantResults, results, "FetchAll: results")
					assert.Equal(t, callCounts(1, 1, 1), transport.GetCallCountInfo(), "FetchAll: requests per URL")
					// The log: one GET line per URL, in whatever order the
					// fetches started, and the "received" lines in the
					// order the pages finished, as the article printed.
					assert.ElementsMatch(t, []string{"GET: " + baidu, "GET: " + zhihu, "GET: " + eleme}, linesWith(log.String(), "GET: "), "FetchAll: GET lines")
					assert.Equal(t, wantReceived, linesWith(log.String(), "received"), "FetchAll: received lines")
				})
			})
		}
	}
}

// TestFetchOne: Fetch on its own prints the article's two lines and
// returns what it received.
func TestFetchOne(t *testing.T) {
	pages := articlePages(t)
	synctest.Test(t, func(t *testing.T) {
		client, transport := mockClient(articleRoutes(pages, articleDelays), 0)
		var log bytes.Buffer
		f := &joinall.Fetcher{Client: client, Log: &log}

		page, err := f.Fetch(t.Context(), zhihu)

		require.NoError(t, err, "Fetch(%s)", zhihu)
		assert.Equal(t, joinall.Page{URL: zhihu, Status: 200, Bytes: 11_878, Elapsed: 320 * time.Millisecond}, page, "Fetch(%s)", zhihu)
		assert.Equal(t, "GET: https://zhihu.com\n11878 bytes received from https://zhihu.com.\n", log.String(), "Fetch(%s): log", zhihu)
		assert.Equal(t, callCounts(0, 1, 0), transport.GetCallCountInfo(), "Fetch(%s): requests", zhihu)
	})
}

// Outcomes of one fetch, in one word each, so that a table row can list a
// batch's outcomes side by side.
const (
	fetched    = "ok"
	notStarted = "not started"
	refused    = "refused"
	cutShort   = "cut short"
	deadline   = "deadline" // the client's Timeout or the context's deadline
)

func outcome(err error) string {
	var status *joinall.StatusError
	switch {
	case err == nil:
		return fetched
	case errors.Is(err, joinall.ErrNotStarted):
		return notStarted
	case errors.As(err, &status):
		return fmt.Sprintf("status %d", status.Code)
	case errors.Is(err, syscall.ECONNREFUSED):
		return refused
	case errors.Is(err, io.ErrUnexpectedEOF):
		return cutShort
	case errors.Is(err, context.DeadlineExceeded):
		return deadline
	default:
		return err.Error()
	}
}

// errRefused is what dialing a port nobody listens on returns.
var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}

// TestFetchFailures: when some fetches fail, each URL's outcome is reported
// against that URL with the right error, the other URLs still complete, and
// nothing is lost or requested twice, whatever the strategy.
func TestFetchFailures(t *testing.T) {
	const ms = time.Millisecond
	pages := articlePages(t)
	notFound := []byte("404 page not found\n")
	serverError := []byte("500 internal server error\n")
	tests := []struct {
		name        string
		giveRoutes  map[string]httpmock.Responder // replacing the article's for these URLs
		giveTimeout time.Duration                 // the client's; 0 means none
		want        []string                      // each URL's outcome
		wantStatus  []int
		wantBytes   []int64
		wantElapsed map[string]time.Duration // by strategy
	}{
		{
			// The same schedule as the article's, with zhihu's 404 page
			// read to its end (so that its connection could be reused).
			name:        "not_found",
			giveRoutes:  map[string]httpmock.Responder{zhihu: respond(404, notFound, len(notFound)).Delay(320 * ms)},
			want:        []string{fetched, "status 404", fetched},
			wantStatus:  []int{200, 404, 200},
			wantBytes:   []int64{111_574, int64(len(notFound)), 1_356},
			wantElapsed: map[string]time.Duration{"sequential": 800 * ms, "goroutines": 320 * ms, "pool": 480 * ms},
		},
		{
			name:        "server_error",
			giveRoutes:  map[string]httpmock.Responder{baidu: respond(500, serverError, len(serverError)).Delay(280 * ms)},
			want:        []string{"status 500", fetched, fetched},
			wantStatus:  []int{500, 200, 200},
			wantBytes:   []int64{int64(len(serverError)), 11_878, 1_356},
			wantElapsed: map[string]time.Duration{"sequential": 800 * ms, "goroutines": 320 * ms, "pool": 480 * ms},
		},
		{
			// ele.me refuses at once. sequential: 280 + 320 + 0;
			// pool: ele.me starts at 280 and fails there, zhihu ends at 320.
			name:        "connection_refused",
			giveRoutes:  map[string]httpmock.Responder{eleme: httpmock.NewErrorResponder(errRefused)},
			want:        []string{fetched, fetched, refused},
			wantStatus:  []int{200, 200, 0},
			wantBytes:   []int64{111_574, 11_878, 0},
			wantElapsed: map[string]time.Duration{"sequential": 600 * ms, "goroutines": 320 * ms, "pool": 320 * ms},
		},
		{
			// A 300 ms timeout cuts zhihu's 320 ms short and spares the
			// others. sequential: 280 + 300 + 200; pool: ele.me still
			// starts at 280 and ends at 480.
			name:        "slower_than_timeout",
			giveTimeout: 300 * ms,
			want:        []string{fetched, deadline, fetched},
			wantStatus:  []int{200, 0, 200},
			wantBytes:   []int64{111_574, 0, 1_356},
			wantElapsed: map[string]time.Duration{"sequential": 780 * ms, "goroutines": 300 * ms, "pool": 480 * ms},
		},
		{
			// baidu announces its 111,574 bytes and sends 65,536: a 200
			// whose body is cut short is a failure, not a smaller page.
			name:        "body_cut_short",
			giveRoutes:  map[string]httpmock.Responder{baidu: respond(200, pages[baidu][:65_536], len(pages[baidu])).Delay(280 * ms)},
			want:        []string{cutShort, fetched, fetched},
			wantStatus:  []int{200, 200, 200},
			wantBytes:   []int64{65_536, 11_878, 1_356},
			wantElapsed: map[string]time.Duration{"sequential": 800 * ms, "goroutines": 320 * ms, "pool": 480 * ms},
		},
		{
			name: "everything_fails",
			giveRoutes: map[string]httpmock.Responder{
				baidu: httpmock.NewErrorResponder(errRefused),
				zhihu: respond(500, serverError, len(serverError)),
				eleme: respond(200, pages[eleme][:100], len(pages[eleme])),
			},
			want:        []string{refused, "status 500", cutShort},
			wantStatus:  []int{0, 500, 200},
			wantBytes:   []int64{0, int64(len(serverError)), 100},
			wantElapsed: map[string]time.Duration{"sequential": 0, "goroutines": 0, "pool": 0},
		},
	}
	for _, tt := range tests {
		for _, v := range strategies(testWorkers) {
			t.Run("case="+tt.name+"/strategy="+v.name, func(t *testing.T) {
				t.Parallel()
				wantElapsed, found := tt.wantElapsed[v.name]
				require.True(t, found, "the row has no want for this strategy")
				synctest.Test(t, func(t *testing.T) {
					routes := articleRoutes(pages, articleDelays)
					for u, r := range tt.giveRoutes {
						routes[u] = r
					}
					client, transport := mockClient(routes, tt.giveTimeout)
					f := &joinall.Fetcher{Client: client}

					start := time.Now()
					results, completed, err := f.FetchAll(t.Context(), v.strategy, articleURLs)
					elapsed := time.Since(start)

					require.NoError(t, err, "FetchAll")
					require.Len(t, results, len(articleURLs), "FetchAll: one result per URL")
					got := make([]string, len(results))
					gotStatus := make([]int, len(results))
					gotBytes := make([]int64, len(results))
					for i, r := range results {
						got[i], gotStatus[i], gotBytes[i] = outcome(r.Err), r.Status, r.Bytes
						assert.Equal(t, articleURLs[i], r.URL, "FetchAll: result %d's URL", i)
						if r.Err != nil {
							assert.True(t, strings.HasPrefix(r.Err.Error(), "fetch "+r.URL+": "), "FetchAll: error %q names its URL", r.Err)
						}
					}
					assert.Equal(t, tt.want, got, "FetchAll: outcomes")
					assert.Equal(t, tt.wantStatus, gotStatus, "FetchAll: statuses")
					assert.Equal(t, tt.wantBytes, gotBytes, "FetchAll: bytes")
					assert.Equal(t, wantElapsed, elapsed, "FetchAll: elapsed")
					assert.ElementsMatch(t, []int{0, 1, 2}, completed, "FetchAll: every fetch ended once")
					assert.Equal(t, callCounts(1, 1, 1), transport.GetCallCountInfo(), "FetchAll: requests per URL")
				})
			})
		}
	}
}

// TestFetchCancel: when the parent context ends, fetches already running
// see it, and fetches not yet started are never requested.
func TestFetchCancel(t *testing.T) {
	const ms = time.Millisecond
	pages := articlePages(t)
	tests := []struct {
		name        string
		giveTimeout time.Duration // the parent context's
		wantElapsed time.Duration
		want        map[string][]string // each URL's outcome, by Strategy.Name
	}{
		{
			// The deadline is at 300 ms.
			// sequential: baidu ends at 280; zhihu is running; ele.me waits.
			// goroutines: ele.me (200) and baidu (280) have ended.
			// pool: ele.me took baidu's worker at 280 and is running.
			name:        "deadline_mid_run",
			giveTimeout: 300 * ms,
			wantElapsed: 300 * ms,
			want: map[string][]string{
				"sequential": {fetched, deadline, notStarted},
				"goroutines": {fetched, deadline, fetched},
				"pool":       {fetched, deadline, deadline},
			},
		},
		{
			name:        "deadline_before_run",
			giveTimeout: 0,
			wantElapsed: 0,
			want: map[string][]string{
				"sequential": {notStarted, notStarted, notStarted},
				"goroutines": {notStarted, notStarted, notStarted},
				"pool":       {notStarted, notStarted, notStarted},
			},
		},
	}
	for _, tt := range tests {
		for _, v := range strategies(testWorkers) {
			t.Run("case="+tt.name+"/strategy="+v.name, func(t *testing.T) {
				t.Parallel()
				want, found := tt.want[v.name]
				require.True(t, found, "the row has no want for this strategy")
				synctest.Test(t, func(t *testing.T) {
					client, transport := mockClient(articleRoutes(pages, articleDelays), 0)
					f := &joinall.Fetcher{Client: client}
					ctx, cancel := context.WithTimeout(t.Context(), tt.giveTimeout)
					defer cancel()

					start := time.Now()
					results, completed, err := f.FetchAll(ctx, v.strategy, articleURLs)
					elapsed := time.Since(start)

					require.NoError(t, err, "FetchAll")
					got := make([]string, len(results))
					for i, r := range results {
						got[i] = outcome(r.Err)
					}
					var started []int
					requests := make([]int, len(want))
					for i, o := range want {
						if o != notStarted {
							started = append(started, i)
							requests[i] = 1
						}
					}
					assert.Equal(t, want, got, "FetchAll: outcomes")
					assert.Equal(t, tt.wantElapsed, elapsed, "FetchAll: elapsed")
					assert.ElementsMatch(t, started, completed, "FetchAll: ended fetches")
					assert.Equal(t, callCounts(requests...), transport.GetCallCountInfo(), "FetchAll: requests per URL")
				})
			})
		}
	}
}

// TestFetchAllBadInput: bad input is refused with an error that says what is
// wrong, before any request is made, and nothing panics.
func TestFetchAllBadInput(t *testing.T) {
	tests := []struct {
		name    string
		give    []string
		wantErr error
		wantMsg string
	}{
		{name: "nil", give: nil, wantErr: joinall.ErrNoURLs, wantMsg: "fetch: no URLs to fetch"},
		{name: "empty", give: []string{}, wantErr: joinall.ErrNoURLs, wantMsg: "fetch: no URLs to fetch"},
		{
			name:    "malformed",
			give:    []string{"http://[::1"},
			wantErr: joinall.ErrInvalidURL,
			wantMsg: `fetch http://[::1: invalid URL: parse "http://[::1": missing ']' in host`,
		},
		{
			name:    "no_scheme",
			give:    []string{"baidu.com"},
			wantErr: joinall.ErrInvalidURL,
			wantMsg: `fetch baidu.com: invalid URL: scheme "" is not http or https`,
		},
		{
			name:    "ftp",
			give:    []string{"ftp://ftp.example.com/file"},
			wantErr: joinall.ErrInvalidURL,
			wantMsg: `fetch ftp://ftp.example.com/file: invalid URL: scheme "ftp" is not http or https`,
		},
		{
			name:    "no_host",
			give:    []string{"http://"},
			wantErr: joinall.ErrInvalidURL,
			wantMsg: `fetch http://: invalid URL: no host`,
		},
		{
			// One bad URL stops the whole batch before its first request:
			// none of the good ones is fetched.
			name:    "bad_among_good",
			give:    []string{baidu, "file:///etc/passwd", eleme, "zhihu.com"},
			wantErr: joinall.ErrInvalidURL,
			wantMsg: "fetch file:///etc/passwd: invalid URL: scheme \"file\" is not http or https\n" +
				`fetch zhihu.com: invalid URL: scheme "" is not http or https`,
		},
	}
	pages := articlePages(t)
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			client, transport := mockClient(articleRoutes(pages, nil), 0)
			f := &joinall.Fetcher{Client: client}

			results, completed, err := f.FetchAll(t.Context(), joinall.Goroutines, tt.give)

			assert.ErrorIs(t, err, tt.wantErr, "FetchAll(%q)", tt.give)
			assert.EqualError(t, err, tt.wantMsg, "FetchAll(%q)", tt.give)
			assert.Nil(t, results, "FetchAll(%q): results", tt.give)
			assert.Nil(t, completed, "FetchAll(%q): completed", tt.give)
			assert.Zero(t, transport.GetTotalCallCount(), "FetchAll(%q): requests", tt.give)
		})
	}

	t.Run("case=nil_strategy", func(t *testing.T) {
		f := &joinall.Fetcher{}
		_, _, err := f.FetchAll(t.Context(), nil, articleURLs)
		assert.EqualError(t, err, "fetch: nil strategy", "FetchAll(nil strategy)")
	})
}

// TestFetchBadURL: Fetch refuses what FetchAll refuses, with the same error.
func TestFetchBadURL(t *testing.T) {
	tests := []struct {
		give    string
		wantMsg string
	}{
		{give: "http://[::1", wantMsg: `fetch http://[::1: invalid URL: parse "http://[::1": missing ']' in host`},
		{give: "mailto:someone@example.com", wantMsg: `fetch mailto:someone@example.com: invalid URL: scheme "mailto" is not http or https`},
		{give: "https:///path", wantMsg: `fetch https:///path: invalid URL: no host`},
		{give: "", wantMsg: `fetch : invalid URL: scheme "" is not http or https`},
	}
	client, transport := mockClient(nil, 0)
	f := &joinall.Fetcher{Client: client}
	for _, tt := range tests {
		page, err := f.Fetch(t.Context(), tt.give)

		assert.ErrorIs(t, err, joinall.ErrInvalidURL, "Fetch(%q)", tt.give)
		assert.EqualError(t, err, tt.wantMsg, "Fetch(%q)", tt.give)
		assert.Equal(t, joinall.Page{URL: tt.give}, page, "Fetch(%q)", tt.give)
	}
	assert.Zero(t, transport.GetTotalCallCount(), "Fetch of bad URLs: requests")
}
