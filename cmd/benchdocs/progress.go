package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress reports, across every job of a run, the result just in (which
// benchmark, which of its -count runs), how many results of how many are
// in, the time so far and an estimate of the time left. On a terminal it
// redraws one line, every second and at each result; elsewhere (a log)
// it prints a line per result.
type progress struct {
	w     io.Writer
	tty   bool
	now   func() time.Time
	start time.Time
	jobs  []*job
	total int // the results expected of every job; 0 when not known

	mu      sync.Mutex
	job     *job           // the running job, or nil
	i, n    int            // its index, and its results so far
	runs    map[string]int // its results so far by name
	done    int            // the results of every job so far
	last    string         // the last result's name
	guessed time.Duration  // the estimates of the results so far
	at      time.Duration  // when the last result came, since start

	quit, stopped chan struct{}
}

func newProgress(w io.Writer, jobs []*job) *progress {
	p := &progress{w: w, tty: isTerminal(w), now: time.Now, jobs: jobs}
	p.start = p.now()
	for _, j := range jobs {
		if j.expect == nil {
			p.total = 0
			break
		}
		p.total += len(j.expect)
	}
	if p.tty {
		p.quit, p.stopped = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(p.stopped)
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-p.quit:
					return
				case <-tick.C:
					p.mu.Lock()
					p.draw()
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

// stop ends the redrawing.
func (p *progress) stop() {
	if p.quit != nil {
		close(p.quit)
		<-p.stopped
	}
}

func (p *progress) begin(j *job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.job, p.n, p.runs, p.last = j, 0, map[string]int{}, ""
	for i := range p.jobs {
		if p.jobs[i] == j {
			p.i = i
		}
	}
	p.println(j.label + ": " + strings.Join(j.argv, " "))
	p.draw()
}

func (p *progress) result(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n < len(p.job.expect) {
		p.guessed += p.job.expect[p.n].est
	}
	p.n++
	p.done++
	p.runs[name]++
	p.last = name
	p.at = p.now().Sub(p.start)
	if p.tty {
		p.draw()
	} else {
		p.println(p.line())
	}
}

func (p *progress) end(j *job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.job = nil
	p.println(fmt.Sprintf("%s: %d results, %s so far", j.label, p.n, p.now().Sub(p.start).Round(time.Second)))
}

// println prints a line of its own, in place of the progress line on a
// terminal. The caller holds p.mu.
func (p *progress) println(s string) {
	if p.tty {
		s = "\r\x1b[K" + s
	}
	fmt.Fprintln(p.w, s)
}

// draw redraws the progress line on a terminal. The caller holds p.mu.
func (p *progress) draw() {
	if p.tty && p.job != nil {
		fmt.Fprint(p.w, "\r\x1b[K"+p.line())
	}
}

// line is the progress line: [done/total] the job, the last result and
// which of its runs it was, the time so far and the estimate of the time
// left. The caller holds p.mu.
func (p *progress) line() string {
	var b strings.Builder
	if p.total > 0 {
		total := max(p.total, p.done)
		fmt.Fprintf(&b, "[%d/%d %d%%] %s", p.done, total, 100*p.done/total, p.job.label)
	} else {
		fmt.Fprintf(&b, "[%d/?] %s", p.done, p.job.label)
	}
	if p.last != "" {
		fmt.Fprintf(&b, " · %s %d/%d", p.last, p.runs[p.last], p.job.count)
	}
	elapsed := p.now().Sub(p.start)
	fmt.Fprintf(&b, " · %s elapsed", elapsed.Round(time.Second))
	if p.total > 0 && p.guessed > 0 {
		// The estimates of the results still expected, scaled by how those
		// so far compare with the time they took, less the time the next
		// one has run.
		var rest time.Duration
		for i, j := range p.jobs[p.i:] {
			rows := j.expect
			if i == 0 {
				rows = rows[min(p.n, len(rows)):]
			}
			for _, x := range rows {
				rest += x.est
			}
		}
		left := time.Duration(float64(rest)*float64(p.at)/float64(p.guessed)) - (elapsed - p.at)
		fmt.Fprintf(&b, " · ~%s left", max(left, 0).Round(time.Second))
	}
	return b.String()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
