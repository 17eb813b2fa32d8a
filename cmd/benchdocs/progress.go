package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress prints a line per result: how many results of how many are
// in, across every job of a run, which job and benchmark, which of its
// -count runs, and the time so far.
type progress struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	jobs  []*job
	total int // the results expected of every job; 0 when not known

	i    int            // the running job
	runs map[string]int // its results so far by name
	done int            // the results of every job so far
}

func newProgress(w io.Writer, jobs []*job) *progress {
	p := &progress{w: w, now: time.Now, jobs: jobs}
	p.start = p.now()
	for _, j := range jobs {
		if j.expect == nil {
			p.total = 0
			break
		}
		p.total += len(j.expect) * j.count
	}
	return p
}

func (p *progress) begin(i int) {
	p.i, p.runs = i, map[string]int{}
	fmt.Fprintf(p.w, "%s: %s\n", p.jobs[i].label, strings.Join(p.jobs[i].argv, " "))
}

func (p *progress) result(name string) {
	j := p.jobs[p.i]
	p.done++
	p.runs[name]++
	count := fmt.Sprintf("[%d/?]", p.done)
	if p.total > 0 {
		total := max(p.total, p.done)
		count = fmt.Sprintf("[%d/%d %d%%]", p.done, total, 100*p.done/total)
	}
	fmt.Fprintf(p.w, "%s %s · %s %d/%d · %s elapsed\n", count, j.label, name, p.runs[name], j.count, p.now().Sub(p.start).Round(time.Second))
}

func (p *progress) end() {
	n := 0
	for _, k := range p.runs {
		n += k
	}
	fmt.Fprintf(p.w, "%s: %d results, %s so far\n", p.jobs[p.i].label, n, p.now().Sub(p.start).Round(time.Second))
}
