package joinall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// A Page is what one fetch received: the article's request(url), measured.
type Page struct {
	URL     string        // the URL as given
	Status  int           // the response's status code; 0 if no response came
	Bytes   int64         // body bytes read
	Elapsed time.Duration // from sending the request to the end of the body, or to the failure
}

// A Result is one URL's outcome in a batch: the Page it received, and why it
// failed, if it did. Err is nil only when the whole body of a 2xx response
// was read.
type Result struct {
	Page
	Err error
}

// ErrNoURLs is returned by FetchAll for an empty list of URLs.
var ErrNoURLs = errors.New("no URLs to fetch")

// ErrInvalidURL is matched by the error for a URL that cannot be fetched: one
// that does not parse, has no host, or has a scheme other than http or https.
var ErrInvalidURL = errors.New("invalid URL")

// A StatusError is a response whose status code is not 2xx. Its body was
// still read, so that the connection can be reused.
type StatusError struct {
	Code int // the response's status code, as 404
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("status %d %s", e.Code, http.StatusText(e.Code))
}

// A Fetcher fetches pages with an HTTP client and, if Log is set, prints the
// article's lines as it goes. A Fetcher may be used by many goroutines at
// once; it must not be copied after first use.
type Fetcher struct {
	// Client sends the requests; nil means http.DefaultClient. Its Timeout,
	// if any, bounds each fetch, body included.
	Client *http.Client

	// Log, if not nil, receives the article's lines: "GET: <url>" when a
	// request starts and "<n> bytes received from <url>." when its whole
	// body has been read. A failed fetch prints no second line. Lines are
	// written whole, one at a time, so that concurrent fetches never
	// interleave within a line.
	Log io.Writer

	mu sync.Mutex // serialises writes to Log
}

// Fetch gets rawURL with a GET request and reads its whole body.
//
// The Page it returns holds what was received even when the fetch fails:
// the status, if a response came, and the bytes read before the failure.
// Every error names the URL. A status other than 2xx is a *StatusError; a
// body shorter than the response's Content-Length matches
// io.ErrUnexpectedEOF, as net/http reports a connection closed early. The
// body is always read to its end and closed, so that the client can reuse
// the connection.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Page, error) {
	if err := validate(rawURL); err != nil {
		return Page{URL: rawURL}, err
	}
	return f.fetch(ctx, rawURL)
}

// FetchAll fetches every URL in urls with strategy, one task per URL, and
// waits for all of them: the article's in_order and in_concur, depending on
// the strategy. It returns three things:
//
//   - results: one Result per URL, results[i] for urls[i], whatever order
//     the fetches ended in. Each holds the Page received and the fetch's
//     Err, nil only for a whole 2xx body.
//   - completed: the indexes of the URLs in the order their fetches ended,
//     successful or not; for those that succeeded, the order of the
//     article's "received" lines. Spawned, it follows how long each site
//     takes to answer.
//   - err: not nil only for bad input (no URLs, a URL that Fetch would
//     refuse, or a nil strategy), and then nothing is fetched, results and
//     completed are nil, and err lists every bad URL. A failed fetch is not
//     an err: it is in its Result.
//
// Each URL given is fetched exactly once (a URL given twice is fetched
// twice). One failure does not stop the others. Once ctx is cancelled,
// fetches that have not started do not start: their Err matches
// ErrNotStarted and ctx.Err(), and their index is not in completed.
func (f *Fetcher) FetchAll(ctx context.Context, strategy Strategy, urls []string) (results []Result, completed []int, err error) {
	if strategy == nil {
		return nil, nil, errors.New("fetch: nil strategy")
	}
	if len(urls) == 0 {
		return nil, nil, fmt.Errorf("fetch: %w", ErrNoURLs)
	}
	var bad []error
	for _, u := range urls {
		if err := validate(u); err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) > 0 {
		return nil, nil, errors.Join(bad...)
	}

	results = make([]Result, len(urls))
	completed = make([]int, 0, len(urls))
	var mu sync.Mutex
	tasks := make([]Task, len(urls))
	for i, u := range urls {
		results[i].URL = u
		tasks[i] = func(ctx context.Context) error {
			// Deferred, so that a fetch that ends in a panic is still
			// recorded as ended.
			defer func() {
				mu.Lock()
				completed = append(completed, i)
				mu.Unlock()
			}()
			// Each task writes only its own slot: no lock needed.
			results[i].Page, results[i].Err = f.fetch(ctx, u)
			return results[i].Err
		}
	}
	errs := strategy.Run(ctx, tasks)
	for i, err := range errs {
		// A fetch's own errors already name the URL and are in results;
		// what is left came from the strategy: not started, or a panic.
		if results[i].Err == nil && err != nil {
			results[i].Err = fmt.Errorf("fetch %s: %w", urls[i], err)
		}
	}
	return results, completed, nil
}

// validate refuses a URL before any request is made, with an error that
// says why.
func validate(rawURL string) error {
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		return fmt.Errorf("fetch %s: %w: %w", rawURL, ErrInvalidURL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("fetch %s: %w: scheme %q is not http or https", rawURL, ErrInvalidURL, u.Scheme)
	case u.Host == "":
		return fmt.Errorf("fetch %s: %w: no host", rawURL, ErrInvalidURL)
	}
	return nil
}

// fetch is Fetch without the validation, which FetchAll does for the whole
// list before the first request.
func (f *Fetcher) fetch(ctx context.Context, rawURL string) (page Page, err error) {
	page.URL = rawURL
	defer func() {
		if err != nil {
			err = fmt.Errorf("fetch %s: %w", rawURL, err)
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return page, err
	}
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}

	f.logf("GET: %s\n", rawURL)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		page.Elapsed = time.Since(start)
		// client.Do's *url.Error repeats the method and the URL, which
		// the wrapping above already gives; keep only the cause, unless
		// the error is about the URL of a redirect.
		var uerr *url.Error
		if errors.As(err, &uerr) && uerr.URL == rawURL {
			err = uerr.Err
		}
		return page, err
	}
	page.Status = resp.StatusCode
	// Read to the end whatever the status, so that the connection goes
	// back to the client's pool instead of being closed.
	page.Bytes, err = io.Copy(io.Discard, resp.Body)
	closeErr := resp.Body.Close()
	page.Elapsed = time.Since(start)
	switch {
	case err != nil:
		return page, err
	// net/http itself reports a body cut short by the connection closing,
	// but it trusts any other RoundTripper (a test's mock, a cache) to keep
	// its word: check what was read against what was announced.
	case resp.ContentLength >= 0 && page.Bytes < resp.ContentLength:
		return page, fmt.Errorf("read %d of %d bytes: %w", page.Bytes, resp.ContentLength, io.ErrUnexpectedEOF)
	case closeErr != nil:
		return page, closeErr
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return page, &StatusError{Code: resp.StatusCode}
	}
	f.logf("%d bytes received from %s.\n", page.Bytes, rawURL)
	return page, nil
}

func (f *Fetcher) logf(format string, args ...any) {
	if f.Log == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// The log is a convenience for the reader: a failing writer must not
	// fail the fetch, so its error is deliberately ignored.
	_, _ = fmt.Fprintf(f.Log, format, args...)
}
