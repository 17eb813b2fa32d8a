// The loopback guard: what gosiege may load without -allow-remote, and
// what it asks a resolver first. The tests give the guard a lookup of their
// own, which counts the names it is asked, so that no test resolves a name
// or connects outside loopback.
//
//	go test -v ./internal/loopback
package loopback_test

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/internal/loopback"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeLookup resolves from a table and records every name it was asked.
type fakeLookup struct {
	hosts map[string][]netip.Addr
	asked []string
}

func (f *fakeLookup) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.asked = append(f.asked, host)
	addrs, ok := f.hosts[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

func addrs(ss ...string) []netip.Addr {
	var as []netip.Addr
	for _, s := range ss {
		as = append(as, netip.MustParseAddr(s))
	}
	return as
}

// names is what the fake lookup knows. "localhost" is here too: a hosts
// file decides what it names, so it is resolved like any other name.
var names = map[string][]netip.Addr{
	"localhost":          addrs("127.0.0.1", "::1"),
	"loop.test":          addrs("127.0.0.53"),
	"mapped-away.test":   addrs("127.0.0.1", "192.0.2.7"), // one address outside is enough to refuse
	"db.test":            addrs("192.0.2.1"),
	"db-mapped.test":     addrs("::ffff:192.0.2.9"),
	"no-addresses.test":  nil,
	"v6-loopback.test":   addrs("::1"),
	"v4-in-v6-loop.test": addrs("::ffff:127.0.0.1"),
}

// TestNewGuard: 127.0.0.0/8 and ::1 pass, whether written as a literal or
// resolved from a name; anything else is refused, the unspecified
// addresses too, and an IPv4 address written in IPv6 is named in its IPv4
// form. A literal is decided without a lookup.
func TestNewGuard(t *testing.T) {
	const remote = "outside loopback (127.0.0.0/8, ::1)"
	tests := []struct {
		giveHost  string
		wantErr   string // "" for a target that may be loaded
		wantAsked []string
	}{
		{giveHost: "127.0.0.1"},
		{giveHost: "127.0.0.2"},
		{giveHost: "127.255.255.254"},
		{giveHost: "::1"},
		{giveHost: "::ffff:127.0.0.1"},
		{giveHost: "::1%lo"},
		{giveHost: "128.0.0.1", wantErr: "128.0.0.1 is " + remote},
		{giveHost: "126.255.255.255", wantErr: "126.255.255.255 is " + remote},
		{giveHost: "10.0.0.1", wantErr: "10.0.0.1 is " + remote},
		{giveHost: "192.0.2.1", wantErr: "192.0.2.1 is " + remote},
		{giveHost: "0.0.0.0", wantErr: "0.0.0.0 is " + remote},
		{giveHost: "::", wantErr: ":: is " + remote},
		{giveHost: "::2", wantErr: "::2 is " + remote},
		{giveHost: "2001:db8::1", wantErr: "2001:db8::1 is " + remote},
		{giveHost: "::ffff:192.0.2.1", wantErr: "192.0.2.1 is " + remote},
		{giveHost: "fe80::1%lo", wantErr: "fe80::1%lo is " + remote},
		{giveHost: "localhost", wantAsked: []string{"localhost"}},
		{giveHost: "loop.test", wantAsked: []string{"loop.test"}},
		{giveHost: "v6-loopback.test", wantAsked: []string{"v6-loopback.test"}},
		{giveHost: "v4-in-v6-loop.test", wantAsked: []string{"v4-in-v6-loop.test"}},
		{giveHost: "mapped-away.test", wantErr: "mapped-away.test resolves to 192.0.2.7, which is " + remote, wantAsked: []string{"mapped-away.test"}},
		{giveHost: "db.test", wantErr: "db.test resolves to 192.0.2.1, which is " + remote, wantAsked: []string{"db.test"}},
		{giveHost: "db-mapped.test", wantErr: "db-mapped.test resolves to 192.0.2.9, which is " + remote, wantAsked: []string{"db-mapped.test"}},
		{giveHost: "no-addresses.test", wantErr: "resolve no-addresses.test: no address", wantAsked: []string{"no-addresses.test"}},
		{giveHost: "nx.test", wantErr: "resolve nx.test: lookup nx.test: no such host", wantAsked: []string{"nx.test"}},
	}
	for _, tt := range tests {
		t.Run("host="+tt.giveHost, func(t *testing.T) {
			lookup := &fakeLookup{hosts: names}

			_, err := loopback.NewGuard(t.Context(), tt.giveHost, lookup.LookupNetIP)

			assert.Equal(t, tt.wantErr, errString(err), "NewGuard(%q)", tt.giveHost)
			assert.Equal(t, tt.wantAsked, lookup.asked, "NewGuard(%q): names looked up", tt.giveHost)
		})
	}
}

// errString is err's message, "" for nil, so that one table holds the
// targets that pass and those refused.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestNewGuardResolverNeverAnswers: a resolver that never answers holds
// the refusal only as long as the caller's context: gosiege gives it its
// -timeout.
func TestNewGuardResolverNeverAnswers(t *testing.T) {
	const timeout = 50 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	never := func(ctx context.Context, _, _ string) ([]netip.Addr, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	start := time.Now()

	_, err := loopback.NewGuard(ctx, "example.com", never)

	assert.ErrorIs(t, err, context.DeadlineExceeded, "NewGuard(example.com, a resolver that never answers)")
	assert.Less(t, time.Since(start), 20*timeout, "NewGuard(example.com): returned long after its %v", timeout)
}

// TestGuardDials: the guard connects to a loopback literal, and to the
// target's name at the addresses it resolved to once, asking no resolver
// again however many connections follow; a redirect's other name is refused
// without a lookup, and so is any address outside loopback.
func TestGuardDials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listen on a free port")
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := netip.MustParseAddrPort(ln.Addr().String()).Port()
	at := func(host string) string { return net.JoinHostPort(host, strconv.Itoa(int(port))) }
	lookup := &fakeLookup{hosts: map[string][]netip.Addr{"loop.test": addrs("127.0.0.1")}}
	guard, err := loopback.NewGuard(t.Context(), "loop.test", lookup.LookupNetIP)
	require.NoError(t, err, "NewGuard(loop.test)")

	tests := []struct {
		giveAddr string
		wantErr  string // a prefix; "" for a connection
	}{
		{giveAddr: at("loop.test")},
		{giveAddr: at("loop.test")},
		{giveAddr: at("127.0.0.1")},
		{giveAddr: at("some-name.example"), wantErr: "connect to some-name.example:"},
		{giveAddr: at("localhost"), wantErr: "connect to localhost:"},
		{giveAddr: at("192.0.2.1"), wantErr: "dial tcp 192.0.2.1:"},
		{giveAddr: at("::ffff:192.0.2.1"), wantErr: "dial tcp 192.0.2.1:"},
		{giveAddr: at("0.0.0.0"), wantErr: "dial tcp 0.0.0.0:"},
	}
	for _, tt := range tests {
		c, err := guard.DialContext(t.Context(), "tcp", tt.giveAddr)
		if tt.wantErr == "" {
			require.NoError(t, err, "DialContext(%s)", tt.giveAddr)
			require.NoError(t, c.Close(), "close the connection to %s", tt.giveAddr)
			continue
		}
		assert.ErrorIs(t, err, loopback.ErrRemote, "DialContext(%s)", tt.giveAddr)
		assert.ErrorContains(t, err, tt.wantErr, "DialContext(%s)", tt.giveAddr)
	}
	assert.Equal(t, []string{"loop.test"}, lookup.asked, "names looked up: the target's, once, whatever was dialled")
	assert.Eventually(t, func() bool { return accepted.Load() == 3 }, 5*time.Second, time.Millisecond, "connections accepted: the 3 on loopback")
}
