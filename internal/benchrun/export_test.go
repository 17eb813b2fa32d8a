package benchrun

import (
	"io"
	"time"
)

// NewProgressClock is a Progress for a log, on a clock the test sets.
func NewProgressClock(w io.Writer, jobs []*Job, now func() time.Time) *Progress {
	p := NewProgress(w, false, jobs)
	p.now = now
	return p
}

// What Run tells a Progress, for tests that play a run without go test.
func (p *Progress) Begin(j *Job)            { p.start(j) }
func (p *Progress) Result(name string)      { p.result(name) }
func (p *Progress) End(j *Job, results int) { p.end(j, results) }
