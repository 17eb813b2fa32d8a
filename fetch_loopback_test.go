// The article's second experiment over real sockets: the fetches of
// fetch_test.go against one loopback httptest server per page, in real time,
// where only bounds are asserted, and the benchmark that measures them.
//
//	go test -run 'FetchLoopback' -v .
//	go test -run '^$' -bench 'Fetch' .
//	go test -run '^$' -bench 'Fetch/urls=3/' -count 10 | go tool benchstat -col /variant -
package joinall_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/joinall/joinall"
	"github.com/joinall/joinall/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// servePage starts a loopback server that answers every request with page,
// after latency, and counts the requests it answers.
func servePage(tb testing.TB, page []byte, latency time.Duration) (string, *atomic.Int64) {
	tb.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		timer := time.NewTimer(latency)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		}
		// An explicit length, or net/http would send a page this large
		// chunked, with no Content-Length for the client to check.
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page) // a failed write shows up as the client's error
	}))
	tb.Cleanup(srv.Close)
	return srv.URL, &hits
}

// loopbackClient returns a client for loopback servers that keeps up to
// conns idle connections per server, so that a batch of conns concurrent
// fetches reuses its connections instead of dialing new ones, and closes
// them at cleanup. Its timeout bounds every request in time.
func loopbackClient(tb testing.TB, conns int) *http.Client {
	tb.Helper()
	// MaxIdleConns is left at 0, no limit: only the per-server limit binds.
	transport := &http.Transport{MaxIdleConnsPerHost: conns}
	tb.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: 10 * time.Second}
}

// TestFetchLoopback runs the experiment over real sockets, in real time,
// against one httptest server per page, each answering after the same
// latency. Real time allows only bounds, with room for a slow, busy machine:
// in order takes at least the sum of the latencies, by construction;
// spawned and joined takes less than half of it, which a strategy that ran
// in order could never do.
func TestFetchLoopback(t *testing.T) {
	const latency = 400 * time.Millisecond
	const sum = 3 * latency
	tests := map[string]struct {
		wantAtLeast time.Duration // what the schedule makes unavoidable
		wantUnder   time.Duration // what only overlapping fetches achieve
	}{
		"sequential": {wantAtLeast: sum, wantUnder: math.MaxInt64},
		"goroutines": {wantAtLeast: latency, wantUnder: sum / 2},
		"pool":       {wantAtLeast: 2 * latency, wantUnder: sum},
	}
	pages := articlePages(t)
	for _, v := range strategies(testWorkers) {
		t.Run("strategy="+v.name, func(t *testing.T) {
			t.Parallel()
			tt, found := tests[v.name]
			require.True(t, found, "no want for this strategy")
			urls := make([]string, len(articleURLs))
			hits := make([]*atomic.Int64, len(articleURLs))
			for i, u := range articleURLs {
				urls[i], hits[i] = servePage(t, pages[u], latency)
			}
			f := &joinall.Fetcher{Client: loopbackClient(t, len(urls))}

			start := time.Now()
			results, completed, err := f.FetchAll(t.Context(), v.strategy, urls)
			elapsed := time.Since(start)

			require.NoError(t, err, "FetchAll")
			for i, r := range results {
				assert.NoError(t, r.Err, "FetchAll: %s", articleURLs[i])
				assert.Equal(t, 200, r.Status, "FetchAll: %s's status", articleURLs[i])
				assert.Equal(t, int64(len(pages[articleURLs[i]])), r.Bytes, "FetchAll: %s's bytes", articleURLs[i])
				assert.Equal(t, int64(1), hits[i].Load(), "FetchAll: requests to %s's server", articleURLs[i])
			}
			assert.ElementsMatch(t, []int{0, 1, 2}, completed, "FetchAll: every fetch ended once")
			assert.GreaterOrEqual(t, elapsed, tt.wantAtLeast, "FetchAll: elapsed")
			assert.Less(t, elapsed, tt.wantUnder, "FetchAll: elapsed")
		})
	}
}

// serveCutShort starts a loopback server that announces page's length and
// sends only its first n bytes. net/http then closes the connection, having
// sent less than it announced, as a server that died mid-page would.
func serveCutShort(tb testing.TB, page []byte, n int) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		_, _ = w.Write(page[:n])
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// TestFetchLoopbackFailures: on real sockets, the failures the hermetic
// rows imitate are reported the same way: a refused connection matches
// syscall.ECONNREFUSED and a body cut short matches io.ErrUnexpectedEOF,
// each against its own URL, while the other URL still arrives whole.
func TestFetchLoopbackFailures(t *testing.T) {
	pages := articlePages(t)
	tests := []struct {
		name      string
		giveURL   func(testing.TB) string // the URL that fails
		want      string
		wantBytes int64
	}{
		{name: "refused", giveURL: nettest.RefusedURL, want: refused, wantBytes: 0},
		{
			name:      "cut_short",
			giveURL:   func(tb testing.TB) string { return serveCutShort(tb, pages[baidu], 65_536) },
			want:      cutShort,
			wantBytes: 65_536,
		},
	}
	for _, tt := range tests {
		for _, v := range strategies(testWorkers) {
			t.Run("case="+tt.name+"/strategy="+v.name, func(t *testing.T) {
				t.Parallel()
				good, hits := servePage(t, pages[eleme], 0)
				urls := []string{tt.giveURL(t), good}
				f := &joinall.Fetcher{Client: loopbackClient(t, len(urls))}

				results, completed, err := f.FetchAll(t.Context(), v.strategy, urls)

				require.NoError(t, err, "FetchAll")
				require.Len(t, results, 2, "FetchAll: one result per URL")
				assert.Equal(t, []string{tt.want, fetched}, []string{outcome(results[0].Err), outcome(results[1].Err)}, "FetchAll: outcomes")
				assert.ErrorContains(t, results[0].Err, "fetch "+urls[0]+": ", "FetchAll: the error names its URL")
				assert.Equal(t, []int64{tt.wantBytes, 1_356}, []int64{results[0].Bytes, results[1].Bytes}, "FetchAll: bytes")
				assert.Equal(t, int64(1), hits.Load(), "FetchAll: requests to the good server")
				assert.ElementsMatch(t, []int{0, 1}, completed, "FetchAll: every fetch ended once")
			})
		}
	}
}

// BenchmarkFetch runs the experiment in real time against one loopback
// httptest server per fixture page, each answering after the same latency;
// a batch of urls cycles through the three pages. The client keeps an idle
// connection for every concurrent fetch, and a first batch before the timed
// loop opens them, so that the benchmark measures fetching, not dialing.
//
// Every row carries the pool's size (workers), so that benchstat -col
// /variant puts the variants of a row side by side; the other variants
// ignore it. pages/s is pages fetched per second of the run.
func BenchmarkFetch(b *testing.B) {
	const latency = 10 * time.Millisecond
	pages := articlePages(b)
	tests := []struct{ urls, workers int }{
		{urls: 3, workers: 2}, // the article's
		{urls: 100, workers: 10},
	}
	for _, tt := range tests {
		for _, v := range strategies(tt.workers) {
			b.Run(fmt.Sprintf("urls=%d/latency=%s/workers=%d/variant=%s", tt.urls, latency, tt.workers, v.name), func(b *testing.B) {
				servers := make([]string, len(articleURLs))
				for i, u := range articleURLs {
					servers[i], _ = servePage(b, pages[u], latency)
				}
				urls := make([]string, tt.urls)
				for i := range urls {
					urls[i] = servers[i%len(servers)]
				}
				f := &joinall.Fetcher{Client: loopbackClient(b, tt.urls)}
				ctx := context.Background()
				if err := fetchAll(ctx, f, v.strategy, urls); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := fetchAll(ctx, f, v.strategy, urls); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*tt.urls)/b.Elapsed().Seconds(), "pages/s")
			})
		}
	}
}

// fetchAll is FetchAll with every error in one.
func fetchAll(ctx context.Context, f *joinall.Fetcher, strategy joinall.Strategy, urls []string) error {
	results, _, err := f.FetchAll(ctx, strategy, urls)
	errs := []error{err}
	for _, r := range results {
		errs = append(errs, r.Err)
	}
	return errors.Join(errs...)
}
