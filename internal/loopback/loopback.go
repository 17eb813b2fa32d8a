// Package loopback keeps the experiment's load and servers on this machine.
// It says what loopback is (127.0.0.0/8 and ::1, an IPv4 address written in
// IPv6 being its IPv4 address), and gives gosiege a Guard: a dialer that
// connects only there and asks a resolver about the target's own name, once,
// and about no other.
package loopback

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrRemote is the cause of every refusal of an address outside loopback.
var ErrRemote = errors.New("outside loopback (127.0.0.0/8, ::1)")

// Is reports whether a is in 127.0.0.0/8 or is ::1. The unspecified
// addresses 0.0.0.0 and ::, which a dial sends to this machine, are not
// loopback: the rule is the ranges, not where the packets happen to go.
func Is(a netip.Addr) bool {
	return a.Unmap().WithZone("").IsLoopback()
}

// A Lookup resolves a name, as net.Resolver.LookupNetIP does.
type Lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)

// A Guard dials only loopback addresses, for a load whose target is host.
type Guard struct {
	host  string
	addrs []netip.Addr // what host resolved to; nil when it is an IP literal
}

// NewGuard decides, before anything is sent to the target, whether host,
// the target's host without its port, may be loaded: an IP literal is
// decided as it is, without a lookup; a name (localhost too, which a hosts
// file defines) is resolved with lookup, once, within ctx, and passes only
// if every address it resolves to is loopback, since a dial may use any of
// them.
func NewGuard(ctx context.Context, host string, lookup Lookup) (*Guard, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if !Is(a) {
			return nil, fmt.Errorf("%s is %w", a.Unmap(), ErrRemote)
		}
		return &Guard{host: host}, nil
	}
	addrs, err := lookup(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no address", host)
	}
	for _, a := range addrs {
		if !Is(a) {
			return nil, fmt.Errorf("%s resolves to %s, which is %w", host, a.Unmap(), ErrRemote)
		}
	}
	return &Guard{host: host, addrs: addrs}, nil
}

// DialContext connects to addr, "host:port", only on loopback. A loopback
// IP literal is dialled as it is; the target's name, at the addresses it
// resolved to for NewGuard, without asking a resolver again; any other name
// (a redirect's) is refused without a lookup, and so is any address outside
// loopback. The dialer checks each address once more just before it
// connects.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	targets := g.addrs
	if a, err := netip.ParseAddr(host); err == nil {
		targets = []netip.Addr{a}
	} else if host != g.host {
		return nil, fmt.Errorf("connect to %s: a name other than the target's %s is not resolved: %w", addr, g.host, ErrRemote)
	}
	d := net.Dialer{Control: control}
	var errs []error
	for _, a := range targets {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}

// control is a net.Dialer's Control: it refuses a connection unless address
// is loopback. A dialer calls it for each address just before the first
// packet.
func control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", address, err)
	}
	if !Is(ap.Addr()) {
		return fmt.Errorf("connect to %s: %w", address, ErrRemote)
	}
	return nil
}
