// Package cli is what the module's commands share: their shape, run(ctx,
// args, stdout, stderr) error; a usage error for a mistake on the command
// line; and how an error becomes one line on standard error and an exit
// status: 0 for none, 2 for a usage error, 1 for any other.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	StatusOK     = 0
	StatusFailed = 1 // something went wrong that is not a mistake on the command line
	StatusUsage  = 2 // a mistake on the command line
)

// A UsageError is a mistake on the command line: a bad flag, argument or
// input file. It exits with StatusUsage.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage returns err as a usage error; nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// Usagef formats a usage error as fmt.Errorf formats an error.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Status returns the exit status of a command that ended with err.
func Status(err error) int {
	var usage *UsageError
	switch {
	case err == nil:
		return StatusOK
	case errors.As(err, &usage):
		return StatusUsage
	}
	return StatusFailed
}

// Report prints err, if not nil, as one line on stderr, after the command's
// name, and returns the exit status. An error of several lines (an
// errors.Join) is printed on one, its lines joined with "; ".
func Report(stderr io.Writer, name string, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", name, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return Status(err)
}

// A Run is a command: it runs with its arguments (without the program's
// name) until it is done or ctx ends, and returns what went wrong.
type Run func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Main runs a command as a program and exits with its status. Its context
// ends at the first Ctrl-C (or SIGTERM); once it has, the signal's default
// comes back, so that a second Ctrl-C ends the process even if something
// hangs.
func Main(name string, run Run) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(Report(os.Stderr, name, err))
}
