// The article's programs as a Go reader would write them, in the article's
// order: three sleeps in order and spawned, two at a time, a panic that
// stays in its task, three pages fetched in order and spawned, then the
// hello world that the article serves. Each prints what the article's
// program prints; go test checks the output.
//
//	go test -run Example -v .
package joinall_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/joinall/joinall"
)

// The examples run the article's program in real time. The article's daemon
// sleeps one second; here it sleeps 100 ms, so that the examples run fast,
// and the elapsed time is printed in whole sleeps, to the nearest. A sleep
// never ends early, so the output can change only if the machine is late by
// half a sleep, 50 ms.
const exampleSleep = 100 * time.Millisecond

// daemon is the article's: sleep, then print done.
func daemon(ctx context.Context) error {
	if err := sleep(exampleSleep)(ctx); err != nil {
		return err
	}
	fmt.Println("done")
	return nil
}

func runDaemons(strategy joinall.Strategy) {
	start := time.Now()
	strategy.Run(context.Background(), []joinall.Task{daemon, daemon, daemon})
	fmt.Printf("%s: %d x sleep\n", strategy.Name(), (time.Since(start)+exampleSleep/2)/exampleSleep)
}

// The article's first program: three daemons in order take three sleeps.
func ExampleSequential() {
	runDaemons(joinall.Sequential)
	// Output:
	// done
	// done
	// done
	// sequential: 3 x sleep
}

// Spawned and joined, the three sleeps overlap: one sleep in all.
func ExampleGoroutines() {
	runDaemons(joinall.Goroutines)
	// Output:
	// done
	// done
	// done
	// goroutines: 1 x sleep
}

// Two at a time: two sleeps, then one.
func ExamplePool() {
	runDaemons(joinall.Pool(2))
	// Output:
	// done
	// done
	// done
	// pool-2: 2 x sleep
}

// A panic in one task is that task's error; the others still run.
func ExamplePanicError() {
	errs := joinall.Goroutines.Run(context.Background(), []joinall.Task{
		func(context.Context) error { return nil },
		func(context.Context) error { panic("boom") },
	})
	fmt.Println(errs[0])
	fmt.Println(errs[1])
	// Output:
	// <nil>
	// task panicked: boom
}

// exampleFetcher returns a Fetcher whose client answers for the article's
// URLs from the fixture pages, without leaving the machine, after a tenth of
// the delays of TestFetchArticle, and which prints the article's lines.
func exampleFetcher() *joinall.Fetcher {
	pages, err := readPages(articleURLs)
	if err != nil {
		panic(err)
	}
	delays := make(map[string]time.Duration, len(articleDelays))
	for u, d := range articleDelays {
		delays[u] = d / 10
	}
	client, _ := mockClient(articleRoutes(pages, delays), 0)
	return &joinall.Fetcher{Client: client, Log: os.Stdout}
}

// The article's second program, in order: each page is requested and read
// before the next is requested.
func ExampleFetcher_FetchAll() {
	f := exampleFetcher()
	urls := []string{"https://baidu.com", "https://zhihu.com", "https://ele.me"}
	if _, _, err := f.FetchAll(context.Background(), joinall.Sequential, urls); err != nil {
		fmt.Println(err)
	}
	// Output:
	// GET: https://baidu.com
	// 111574 bytes received from https://baidu.com.
	// GET: https://zhihu.com
	// 11878 bytes received from https://zhihu.com.
	// GET: https://ele.me
	// 1356 bytes received from https://ele.me.
}

// Spawned and joined, the three requests go out at once and each page is
// printed when it arrives: here, as in the article, ele.me's small page
// first. Real time cannot promise that order, so this example checks only
// the lines; TestFetchArticle proves the order exactly, in fake time.
func ExampleFetcher_FetchAll_goroutines() {
	f := exampleFetcher()
	urls := []string{"https://baidu.com", "https://zhihu.com", "https://ele.me"}
	results, _, err := f.FetchAll(context.Background(), joinall.Goroutines, urls)
	if err != nil {
		fmt.Println(err)
	}
	for _, r := range results {
		if r.Err != nil {
			fmt.Println(r.Err)
		}
	}
	// Unordered output:
	// GET: https://baidu.com
	// GET: https://zhihu.com
	// GET: https://ele.me
	// 1356 bytes received from https://ele.me.
	// 111574 bytes received from https://baidu.com.
	// 11878 bytes received from https://zhihu.com.
}

// The article's Flask app in Go: a handler, and net/http's server, which
// serves each connection on a goroutine of its own, as gevent's WSGIServer
// serves each on a greenlet and app.run(threaded=True) on a thread.
// Outside a test, http.ListenAndServe("127.0.0.1:5000", mux) serves it.
func Example_helloWorld() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello world")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body), err)
	// Output: 200 OK hello world <nil>
}
