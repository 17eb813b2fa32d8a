package server

import (
	"net/http"
	"strconv"
	"sync"
)

// workers is Pool's handler: it queues each request for one of n worker
// goroutines and waits for the worker to have served it.
type workers struct {
	h    http.Handler
	jobs chan job // the queue: buffered, so a full one is seen at once
	quit chan struct{}
	wg   sync.WaitGroup
}

type job struct {
	w    http.ResponseWriter
	r    *http.Request
	done chan any // the handler's panic value, or nil once it has returned
}

// errGoexit is what a request's goroutine panics with when the handler
// called runtime.Goexit on a worker: http.ErrAbortHandler, which net/http
// takes as "abort this response" and does not log.
var errGoexit = http.ErrAbortHandler

func newWorkers(n, queue int, h http.Handler) *workers {
	p := &workers{h: h, jobs: make(chan job, queue), quit: make(chan struct{})}
	for range n {
		p.wg.Go(p.work)
	}
	return p
}

// ServeHTTP runs on the connection's goroutine. The worker writes to w while
// this goroutine waits on done, so only one goroutine uses w at a time, and
// the channel orders the two.
func (p *workers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j := job{w: w, r: r, done: make(chan any, 1)}
	select {
	case p.jobs <- j:
	default:
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
		http.Error(w, "every worker is busy and the queue is full", http.StatusServiceUnavailable)
		return
	}
	// A panic on a worker would end the process, as net/http recovers only
	// on the connection's goroutine: carry it over and panic here.
	if v := <-j.done; v != nil {
		panic(v)
	}
}

func (p *workers) work() {
	for {
		select {
		case j := <-p.jobs:
			p.serve(j)
		case <-p.quit:
			return
		}
	}
}

func (p *workers) serve(j job) {
	returned := false
	defer func() {
		if returned {
			j.done <- nil
			return
		}
		v := recover()
		if v == nil {
			// The handler called runtime.Goexit, which ends this worker
			// whatever happens here: start another in its place, before
			// done lets the server believe it can stop the workers.
			p.wg.Go(p.work)
			v = errGoexit
		}
		j.done <- v
	}()
	p.h.ServeHTTP(j.w, j.r)
	returned = true
}

// stop ends the workers once no handler needs them any more.
func (p *workers) stop() {
	close(p.quit)
	p.wg.Wait()
}
