// What the driver itself costs: how many transactions a second it drives
// against a hello server in the same process, with siege's new connection
// per transaction and with keep-alive.
//
//	go test -run '^$' -bench Run -benchtime 2s -count 6 ./load | go tool benchstat -col /keepalive -
//
// Client and server share this machine's cores, so trans/s is a floor for
// the driver, not its ceiling. cmd/gosiege's BenchmarkInstrument sets it
// beside wrk and others with the server in a process of its own.
package load_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/joinall/joinall/load"
)

// BenchmarkRun runs one load of users x 100 repetitions per operation.
// Beside time it reports trans/s as the driver measures it (hits over its
// elapsed time, summed over the runs), ns/trans of wall time, allocs/trans
// (client and server together: the server runs in this process) and failed,
// which should stay 0.
func BenchmarkRun(b *testing.B) {
	const reps = 100
	for _, users := range []int{50} {
		for _, keepAlive := range []bool{false, true} {
			b.Run(fmt.Sprintf("users=%d/keepalive=%v", users, keepAlive), func(b *testing.B) {
				srv := serve(b, hello())
				cfg := load.Config{URL: srv.URL, Users: users, Reps: reps, KeepAlive: keepAlive}
				ctx := b.Context()
				var hits, failed int
				var elapsed time.Duration
				var before, after runtime.MemStats
				b.ReportAllocs()
				runtime.ReadMemStats(&before)
				for b.Loop() {
					r, err := load.Run(ctx, cfg)
					if err != nil {
						b.Fatalf("Run(%+v): %v", cfg, err)
					}
					hits += r.Transactions
					failed += r.Failed
					elapsed += r.Elapsed
				}
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(hits)/elapsed.Seconds(), "trans/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(hits+failed), "ns/trans")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(hits+failed), "allocs/trans")
				b.ReportMetric(float64(failed), "failed")
			})
		}
	}
}
