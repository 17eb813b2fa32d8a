//go:build unix

package load_test

import (
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// droppingURL returns the URL of a loopback server whose accept queue is
// full and stays full: it listens with a backlog of 0, which holds one
// connection, never accepts, and has one connection waiting. The kernel
// drops every further SYN unanswered, as it drops them for a server whose
// backlog overflows, so that a connection attempt never completes.
func droppingURL(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err, "listen on a free port")
	tb.Cleanup(func() { ln.Close() })
	rc, err := ln.(*net.TCPListener).SyscallConn()
	require.NoError(tb, err, "the listener's socket")
	var listenErr error
	require.NoError(tb, rc.Control(func(fd uintptr) { listenErr = syscall.Listen(int(fd), 0) }), "control the listener's socket")
	require.NoError(tb, listenErr, "listen again with a backlog of 0")
	waiting, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(tb, err, "fill the accept queue")
	tb.Cleanup(func() { waiting.Close() })
	return "http://" + ln.Addr().String() + "/"
}
