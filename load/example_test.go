// Examples of the driver: what pkg.go.dev shows first.
//
//	go test -run Example -v ./load
package load_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"time"

	"github.com/joinall/joinall/load"
)

// Ten users, five transactions each, against a server that answers every
// third request with 503: siege's counts, exact.
func ExampleRun() {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("hello world"))
	}))
	defer srv.Close()

	rep, err := load.Run(context.Background(), load.Config{URL: srv.URL, Users: 10, Reps: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d hits, %d failed (%d of them 5xx), availability %.2f %%, %d bytes\n",
		rep.Transactions, rep.Failed, rep.Failures.Status5xx, rep.Availability, rep.Bytes)
	// Output:
	// 34 hits, 16 failed (16 of them 5xx), availability 68.00 %, 374 bytes
}

// A report prints as siege prints it, then what siege does not give; here,
// the article's single-threaded Flask server under siege (its elapsed time
// is hits / rate; the article gives no percentiles, and its failures were
// connections that its server's full listen backlog never let through).
func ExampleReport_WriteText() {
	rep := load.Report{
		Transactions: 6862, Availability: 86.12, Elapsed: 34690 * time.Millisecond,
		DataTransferred: 0.08, ResponseTime: 200 * time.Millisecond, TransactionRate: 197.81,
		Concurrency: 39.71, Successful: 6862, Failed: 1106,
		Longest: 7530 * time.Millisecond, Shortest: 0,
		Failures: load.Failures{ConnectTimeout: 1106}, Users: 200,
	}
	rep.WriteText(os.Stdout)
	// Output:
	// Transactions:		        6862 hits
	// Availability:		       86.12 %
	// Elapsed time:		       34.69 secs
	// Data transferred:	        0.08 MB
	// Response time:		        0.20 secs
	// Transaction rate:	      197.81 trans/sec
	// Throughput:		        0.00 MB/sec
	// Concurrency:		       39.71
	// Successful transactions:        6862
	// Failed transactions:	        1106
	// Longest transaction:	        7.53
	// Shortest transaction:	        0.00
	//
	// Model:			closed loop, 200 users
	// Response time p50:	       0.000 ms
	// Response time p90:	       0.000 ms
	// Response time p99:	       0.000 ms
	// Response time p99.9:	       0.000 ms
	// Cut at the end:		           0
	// Failed, refused:	           0
	// Failed, conn timeout:	        1106
	// Failed, timeout:	           0
	// Failed, reset:		           0
	// Failed, status 5xx:	           0
	// Failed, header size:	           0
	// Failed, protocol:	           0
	// Failed, fd limit:	           0
	// Failed, other:		           0
}
