//go:build !linux

package joinall_test

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// Elsewhere than on Linux a server is its own process: a server that
// starts workers of its own may leave them, and nothing is measured from
// outside. See proc_linux_test.go.

func inGroup(cmd *exec.Cmd, quit syscall.Signal) {
	cmd.Cancel = func() error { return cmd.Process.Signal(quit) }
}

func endGroup(pgid int, wait time.Duration) error { return nil }

type usage struct {
	procs   int
	threads int
	rss     uint64
	cpu     time.Duration
}

func groupUsage(pgid int) (usage, error) { return usage{}, errUnmeasured }

func measurable() error { return errUnmeasured }

var errUnmeasured = fmt.Errorf("a process group's usage: %w", errors.ErrUnsupported)

func listenDrops() (int64, error) { return 0, errUnmeasured }
