package benchrun

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress reports on a writer (the terminal's standard error) which
// benchmark is running, how many results of how many are in, the time so
// far and an estimate of the time left, across every job of a run.
//
// On a terminal it redraws one line, every second and at each result;
// elsewhere (a log) it prints a line per result.
type Progress struct {
	w   io.Writer
	tty bool
	now func() time.Time

	mu       sync.Mutex
	begin    time.Time
	jobs     []*Job
	jobIndex int // the running job's index in jobs, or -1
	done     int // results in from every job
	jobDone  int // results in from the running job
	last     string
	rowStart time.Time
	took     map[string][]time.Duration // each result's time, by job and name
	measured time.Duration              // total time of results that had an estimate
	guessed  time.Duration              // and the total of those estimates
	all      time.Duration              // total time of every result
	stop     chan struct{}
	stopped  sync.WaitGroup
}

// NewProgress returns a Progress for the jobs, which will run in order.
func NewProgress(w io.Writer, tty bool, jobs []*Job) *Progress {
	return &Progress{w: w, tty: tty, now: time.Now, jobs: jobs, jobIndex: -1, took: map[string][]time.Duration{}}
}

// Start starts the clock, and on a terminal the redrawing.
func (p *Progress) Start() {
	p.mu.Lock()
	p.begin = p.now()
	p.mu.Unlock()
	if !p.tty {
		return
	}
	p.stop = make(chan struct{})
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				p.mu.Lock()
				p.draw()
				p.mu.Unlock()
			}
		}
	}()
}

// Stop stops the redrawing and ends the progress line.
func (p *Progress) Stop() {
	if p.stop != nil {
		close(p.stop)
		p.stopped.Wait()
		p.stop = nil
	}
}

// Printf prints a line of its own, above the progress line.
func (p *Progress) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
	p.draw()
}

func (p *Progress) start(j *Job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, job := range p.jobs {
		if job == j {
			p.jobIndex = i
		}
	}
	p.jobDone = 0
	p.last = ""
	p.rowStart = p.now()
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	what := j.What
	if j.Func == nil {
		what = strings.Join(j.Command(), " ")
	}
	fmt.Fprintf(p.w, "%s: %s\n", j.Label, what)
	p.draw()
}

func (p *Progress) result(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	d := now.Sub(p.rowStart)
	p.rowStart = now
	j := p.jobs[p.jobIndex]
	// The first result of a job also waited for go test to build the
	// test binary: it would skew the scale of every estimate.
	if p.jobDone > 0 && p.jobDone < len(j.Expect) && j.Expect[p.jobDone].Est > 0 {
		p.measured += d
		p.guessed += j.Expect[p.jobDone].Est
	}
	key := j.Label + " " + name
	p.took[key] = append(p.took[key], d)
	p.all += d
	p.done++
	p.jobDone++
	p.last = name
	if !p.tty {
		fmt.Fprintln(p.w, p.line())
		return
	}
	p.draw()
}

func (p *Progress) end(j *Job, results int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, "%s: %d results, %s so far\n", j.Label, results, round(p.now().Sub(p.begin)))
	p.jobIndex = -1
}

// draw redraws the progress line on a terminal. The caller holds p.mu.
func (p *Progress) draw() {
	if p.tty && p.jobIndex >= 0 {
		fmt.Fprint(p.w, "\r\x1b[K"+p.line())
	}
}

// line is the progress line: [done/total] job, the benchmark now running
// and which of its -count runs, time so far, estimate left. The caller
// holds p.mu.
func (p *Progress) line() string {
	j := p.jobs[p.jobIndex]
	total, known := 0, true
	for _, job := range p.jobs {
		total += len(job.Expect)
		known = known && len(job.Expect) > 0
	}
	var b strings.Builder
	if known {
		total = max(total, p.done)
		fmt.Fprintf(&b, "[%d/%d %d%%] ", p.done, total, 100*p.done/max(total, 1))
	} else {
		fmt.Fprintf(&b, "[%d/?] ", p.done)
	}
	b.WriteString(j.Label)
	running := p.last
	if p.jobDone < len(j.Expect) {
		running = j.Expect[p.jobDone].Name
	}
	if running != "" {
		run := len(p.took[j.Label+" "+running]) + 1
		if running == p.last && p.jobDone >= len(j.Expect) {
			run-- // the job has no expectations left: show the last result
		}
		fmt.Fprintf(&b, " · %s %d/%d", strings.TrimPrefix(running, "Benchmark"), run, runs(j, running))
	}
	fmt.Fprintf(&b, " · %s elapsed", round(p.now().Sub(p.begin)))
	if left, ok := p.left(); ok {
		fmt.Fprintf(&b, " · ~%s left", round(left))
	}
	return b.String()
}

// runs is how many results of the benchmark named name the job is
// expected to print: as many as its expectations say, or -count.
func runs(j *Job, name string) int {
	n := 0
	for _, r := range j.Expect {
		if r.Name == name {
			n++
		}
	}
	if n == 0 {
		return j.Count
	}
	return n
}

// left estimates the time the run still needs: each expected result takes
// what the same benchmark took in this run, or failing that its own
// estimate scaled by how the estimates have compared with this run so
// far, or failing that the average result of this run. The caller holds
// p.mu.
func (p *Progress) left() (time.Duration, bool) {
	if p.jobIndex < 0 || p.done == 0 {
		return 0, false
	}
	scale := 1.0
	if p.guessed > 0 {
		scale = float64(p.measured) / float64(p.guessed)
	}
	average := p.all / time.Duration(p.done)
	var left time.Duration
	first := true
	for i := p.jobIndex; i < len(p.jobs); i++ {
		j := p.jobs[i]
		rows := j.Expect
		if i == p.jobIndex {
			rows = rows[min(p.jobDone, len(rows)):]
		}
		if len(j.Expect) == 0 {
			return 0, false
		}
		for _, r := range rows {
			var est time.Duration
			if took := p.took[j.Label+" "+r.Name]; len(took) > 0 {
				est = mean(took)
			} else if r.Est > 0 {
				est = time.Duration(float64(r.Est) * scale)
			} else {
				est = average
			}
			if first {
				// The running benchmark has been at it for a while.
				est = max(est-p.now().Sub(p.rowStart), 0)
				first = false
			}
			left += est
		}
	}
	return left, true
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func round(d time.Duration) time.Duration {
	return d.Round(time.Second)
}
