//go:build unix

package load

import (
	"errors"
	"syscall"
)

// peekOpen reports whether the socket of an idle connection is still open
// and has nothing to read: it peeks at it without waiting. ok is false when
// the socket could not be asked.
func peekOpen(sc syscall.Conn) (open, ok bool) {
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, false
	}
	var b [1]byte
	var perr error
	err = rc.Read(func(fd uintptr) bool {
		_, _, perr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait
	})
	if err != nil {
		return false, true
	}
	// Nothing to read yet: open. Bytes, the end of the stream (no error)
	// or a reset: not.
	return errors.Is(perr, syscall.EAGAIN) || errors.Is(perr, syscall.EWOULDBLOCK), true
}
