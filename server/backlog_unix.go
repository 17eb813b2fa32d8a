//go:build unix

package server

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// setBacklog listens on ln's socket again with backlog n. Go listens with the
// kernel's net.core.somaxconn and offers no other way; on Linux, listen(2) on
// a socket that is listening already just changes its backlog.
func setBacklog(ln net.Listener, n int) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return fmt.Errorf("%T has no file descriptor", ln)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var listenErr error
	err = rc.Control(func(fd uintptr) {
		listenErr = syscall.Listen(int(fd), n)
	})
	return errors.Join(err, listenErr)
}
