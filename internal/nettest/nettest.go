// Package nettest holds loopback helpers that the tests of several packages
// share, so that each is written once.
package nettest

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// RefusedURL returns the URL of a loopback port where nothing listens: it
// listens on a free port and closes it at once, so a connection to it is
// refused.
func RefusedURL(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err, "listen on a free port")
	addr := ln.Addr().String()
	require.NoError(tb, ln.Close(), "close the listener on %s", addr)
	return "http://" + addr + "/"
}
