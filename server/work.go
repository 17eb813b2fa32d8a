package server

import (
	"crypto/sha256"
	"io"
	"net/http"
	"time"
)

// Body is what every workload answers: the article's Flask app returns
// 'hello world'.
const Body = "hello world"

// IOWait is the io workload's wait in the benchmarks: S, the time one
// request holds the server while a database would answer.
const IOWait = 10 * time.Millisecond

// CPURounds is how many times the cpu workload hashes: SHA-256 applied in a
// chain, each round hashing the digest of the one before, as a password
// hash (PBKDF2) does. 85,000 rounds take about 10 ms, IOWait, on the 2-core
// Xeon of the committed runs, so that io and cpu cost a request the same
// time, one waiting and one computing: 150,000 rounds took 17.6 ms there
// (BenchmarkServer's cpu rows at one user, less the 0.1 ms a transaction
// of hello takes). BenchmarkCPU measures it on any machine:
//
//	go test -run '^$' -bench CPU ./server
//
// A core without SHA instructions takes a few times longer, and so does
// the race detector. It is fixed work, not calibrated at run time, so that
// a slow or busy machine takes longer instead of doing less.
const CPURounds = 85_000

// Hello answers Body at once: the article's hello world.
func Hello() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		respond(w)
	})
}

// IO waits d, as a handler waits for its database, then answers Body. It
// uses no CPU meanwhile, so a server that serves many requests at once
// overlaps their waits. The wait ends early if the client goes away or the
// server closes, as a database call given the request's context would.
func IO(d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			respond(w)
		case <-r.Context().Done():
		}
	})
}

// Stall answers Body after wait, as IO does, except that the server
// stalls for pause out of every every, as a process stalls for a garbage
// collector or a lock: a request that arrives during a stall first waits
// for it to end. The stalls are counted from the handler's making.
func Stall(every, pause, wait time.Duration) http.Handler {
	start := time.Now()
	io := IO(wait)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if phase := time.Since(start) % every; phase < pause {
			t := time.NewTimer(pause - phase)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
		io.ServeHTTP(w, r)
	})
}

// CPU hashes rounds times (see CPURounds), then answers Body. Requests that
// compute cannot overlap beyond the machine's cores, whatever the server.
func CPU(rounds int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hashChain(rounds)
		respond(w)
	})
}

// hashChain applies SHA-256 n times, each time to the digest before. The
// chain cannot be cut short or run in parallel: each round needs the last.
func hashChain(n int) [sha256.Size]byte {
	var d [sha256.Size]byte
	for range n {
		d = sha256.Sum256(d[:])
	}
	return d
}

func respond(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// A failed write means the client has gone; nobody is left to tell.
	_, _ = io.WriteString(w, Body)
}
