//go:build !unix

package server

import (
	"errors"
	"net"
)

// setBacklog cannot change the backlog of a listening socket here.
func setBacklog(net.Listener, int) error { return errors.ErrUnsupported }
