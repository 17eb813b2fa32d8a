// Package joinall is executable documentation of concurrency: a Go port of a
// well-known article about Python's gevent, whose every claim is proved by a
// test and whose every number is measured by a benchmark.
//
// The name is gevent's joinall: spawn many, wait for all.
//
// # From gevent to Go
//
//	gevent                           Go
//	------                           --
//	gevent.spawn(f)                  go f()
//	gevent.joinall(greenlets)        sync.WaitGroup.Wait, errgroup.Group.Wait
//	gevent.pool.Pool(n)              errgroup.Group.SetLimit(n)
//	monkey.patch_all()               nothing: the runtime parks a goroutine
//	                                 on every blocking call
//	gevent.pywsgi.WSGIServer         net/http.Server
//
// This package gives the three ways to run a batch of tasks behind one
// interface, Strategy: [Sequential] (the article's plain loop), [Goroutines]
// (spawn all, join all) and [Pool] (at most n at a time). The experiments
// live in the test files beside it:
//
//	sleep_test.go         time.sleep x3, in order and spawned
//	fetch_test.go         urllib2.urlopen x3, in order and spawned
//	server_bench_test.go  Flask, threaded Flask and gevent's WSGIServer under siege
//	gevent_bench_test.go  the article's own servers beside ours; greenlets beside goroutines
//
// Run the tests with
//
//	go test ./...
//
// and the benchmarks, the article's numbers measured here, with
//
//	go test -run '^$' -bench .
//
// which runs each benchmark once. The pages under docs/ give medians of
// ten runs, which -count 10 and go tool benchstat give, or cmd/benchdocs.
package joinall
