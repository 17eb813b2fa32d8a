package joinall

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"golang.org/x/sync/errgroup"
)

// A Task is one unit of work in a batch: the article's daemon() or request(url).
// It should return soon after ctx is cancelled.
type Task func(ctx context.Context) error

// A Strategy runs a batch of tasks and waits for all of them.
//
// Every Strategy in this package keeps the same promises:
//
//   - Run returns one error per task, errs[i] for tasks[i], in the order the
//     tasks were given, whatever order they finished in.
//   - A task that panics reports a *PanicError; the other tasks still run.
//   - Once ctx is cancelled, tasks that have not started do not start and
//     report an error that matches both ErrNotStarted and ctx.Err() under
//     errors.Is; tasks already running see the cancelled ctx.
//   - Run returns only after every task it started has returned: no
//     goroutine outlives the call.
type Strategy interface {
	Run(ctx context.Context, tasks []Task) []error
	// Name identifies the strategy in test and benchmark output:
	// "sequential", "goroutines", "pool-4".
	Name() string
}

// ErrNotStarted is reported for a task that did not start because the
// context was cancelled first.
var ErrNotStarted = errors.New("not started")

// ErrGoexit is reported for a task that called runtime.Goexit (as
// testing.T.FailNow does) instead of returning.
var ErrGoexit = errors.New("task called runtime.Goexit")

// A PanicError is a task's panic, turned into that task's error.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack, for debugging
}

func (e *PanicError) Error() string { return fmt.Sprintf("task panicked: %v", e.Value) }

// Unwrap returns the panic value when it is an error, so that errors.Is
// sees through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Sequential runs the tasks one after another on the caller's goroutine, as
// the article's plain loop of daemon() calls does.
//
// Because the tasks run on the caller's goroutine, a task that calls
// runtime.Goexit ends the caller, as it would in any plain loop.
var Sequential Strategy = sequential{}

// Goroutines starts every task on its own goroutine at once and waits for
// all of them: gevent.spawn for each, then gevent.joinall.
var Goroutines Strategy = goroutines{}

// Pool runs the tasks with at most n running at a time, starting them in the
// order given: gevent.pool.Pool(n). It is built on errgroup.Group.SetLimit.
// Pool panics if n < 1: a pool with no workers would never finish.
func Pool(n int) Strategy {
	if n < 1 {
		panic(fmt.Sprintf("joinall.Pool(%d): a pool needs at least 1 worker", n))
	}
	return pool{n: n}
}

type sequential struct{}

func (sequential) Name() string { return "sequential" }

func (sequential) Run(ctx context.Context, tasks []Task) []error {
	errs := make([]error, len(tasks))
	for i, task := range tasks {
		start(ctx, task, &errs[i])
	}
	return errs
}

type goroutines struct{}

func (goroutines) Name() string { return "goroutines" }

func (goroutines) Run(ctx context.Context, tasks []Task) []error {
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	for i, task := range tasks {
		if ctx.Err() != nil {
			notStarted(ctx, errs[i:])
			break
		}
		// One closure per task, not wg.Go's two: at a million tasks the
		// second allocation is a measurable part of what a task costs.
		wg.Add(1)
		go func() {
			defer wg.Done()
			start(ctx, task, &errs[i])
		}()
	}
	wg.Wait()
	return errs
}

type pool struct{ n int }

func (p pool) Name() string { return fmt.Sprintf("pool-%d", p.n) }

func (p pool) Run(ctx context.Context, tasks []Task) []error {
	errs := make([]error, len(tasks))
	var g errgroup.Group
	g.SetLimit(p.n)
	for i, task := range tasks {
		if ctx.Err() != nil {
			notStarted(ctx, errs[i:])
			break
		}
		// Go blocks until one of the n workers is free, so by the time the
		// task's goroutine runs, ctx may have been cancelled: start checks.
		g.Go(func() error {
			start(ctx, task, &errs[i])
			return nil
		})
	}
	// Every function given to g.Go returns nil: each task's own error is
	// in errs, and one task's failure must not cancel the others.
	_ = g.Wait()
	return errs
}

// notStarted reports every task in errs as not started.
func notStarted(ctx context.Context, errs []error) {
	err := errNotStarted(ctx)
	for i := range errs {
		errs[i] = err
	}
}

func errNotStarted(ctx context.Context) error {
	return fmt.Errorf("%w: %w", ErrNotStarted, ctx.Err())
}

// start runs task unless ctx is already done, and stores its outcome in
// *out. It writes through a pointer, from a deferred function, because a
// task that calls runtime.Goexit never returns: the deferred function is the
// only code that still runs.
func start(ctx context.Context, task Task, out *error) {
	if ctx.Err() != nil {
		*out = errNotStarted(ctx)
		return
	}
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			*out = &PanicError{Value: v, Stack: debug.Stack()}
			return
		}
		*out = ErrGoexit
	}()
	// errs is zeroed, so a task that succeeds leaves its slot untouched: at
	// a million tasks, storing a million nils costs page faults and
	// cache-line traffic between the goroutines' Ps.
	if err := task(ctx); err != nil {
		*out = err
	}
	returned = true
}
