package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// errRemote is the cause of every refusal of an address outside loopback.
var errRemote = errors.New("outside loopback (127.0.0.0/8, ::1): give -allow-remote to load it")

// isLoopback reports whether a is in 127.0.0.0/8 or is ::1. An IPv4 address
// written in IPv6 (::ffff:127.0.0.1) is its IPv4 address; the unspecified
// addresses 0.0.0.0 and ::, which a dial sends to this machine, are not
// loopback: the rule is the ranges, not where the packets happen to go.
func isLoopback(a netip.Addr) bool {
	return a.Unmap().WithZone("").IsLoopback()
}

// checkTarget decides, before anything is sent, whether gosiege may load
// host, the host of the URL without its port: an IP literal is decided as it
// is; a name (localhost too) is resolved with lookup and passes only if
// every address it resolves to is loopback, since a dial may use any of
// them.
//
// The function does no I/O of its own: tests call it with IP literals, and
// with a lookup of their own for names, so that no test resolves a public
// name.
func checkTarget(ctx context.Context, host string, lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)) error {
	if a, err := netip.ParseAddr(host); err == nil {
		if !isLoopback(a) {
			return fmt.Errorf("%s is %w", host, errRemote)
		}
		return nil
	}
	addrs, err := lookup(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("resolve %s: no address", host)
	}
	for _, a := range addrs {
		if !isLoopback(a) {
			return fmt.Errorf("%s resolves to %s, which is %w", host, a, errRemote)
		}
	}
	return nil
}

// loopbackDialer returns a dialer that connects only to loopback
// addresses: see loopbackOnly.
func loopbackDialer() *net.Dialer {
	return &net.Dialer{Control: loopbackOnly}
}

// loopbackOnly is a net.Dialer's Control: it refuses a connection unless
// address is loopback. A dialer calls it for each address it is about to
// connect to, after any name has been resolved and before the first packet,
// so that a name resolving differently than it did for checkTarget, or a
// redirect to another host, fails its transaction instead of sending load
// elsewhere.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", address, err)
	}
	if !isLoopback(ap.Addr()) {
		return fmt.Errorf("connect to %s: %w", address, errRemote)
	}
	return nil
}

// preflight opens one connection to target and closes it, within timeout.
func preflight(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error), target *url.URL, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := dial(ctx, "tcp", hostPort(target))
	if err != nil {
		return err
	}
	return c.Close()
}

// hostPort is the address to dial for u: its host and port, or the
// scheme's default port when it has none, as package load dials it.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
