// The loopback check: what gosiege may load without -allow-remote. The
// tests call the check itself with IP literals, and give it a lookup of
// their own for names, so that no test resolves a public name or connects
// outside loopback.
//
//	go test -run 'Target|Loopback' -v ./cmd/gosiege
package main

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	"no-addresses.test":  nil,
	"v6-loopback.test":   addrs("::1"),
	"v4-in-v6-loop.test": addrs("::ffff:127.0.0.1"),
}

// TestCheckTarget: 127.0.0.0/8 and ::1 pass, whether written as a literal
// or resolved from a name; anything else is refused, the unspecified
// addresses too. A literal is decided without a lookup.
func TestCheckTarget(t *testing.T) {
	const remote = "outside loopback (127.0.0.0/8, ::1): give -allow-remote to load it"
	tests := []struct {
		giveHost  string
		wantErr   string // "" for a target gosiege may load
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
		{giveHost: "::ffff:192.0.2.1", wantErr: "::ffff:192.0.2.1 is " + remote},
		{giveHost: "fe80::1%lo", wantErr: "fe80::1%lo is " + remote},
		{giveHost: "localhost", wantAsked: []string{"localhost"}},
		{giveHost: "loop.test", wantAsked: []string{"loop.test"}},
		{giveHost: "v6-loopback.test", wantAsked: []string{"v6-loopback.test"}},
		{giveHost: "v4-in-v6-loop.test", wantAsked: []string{"v4-in-v6-loop.test"}},
		{giveHost: "mapped-away.test", wantErr: "mapped-away.test resolves to 192.0.2.7, which is " + remote, wantAsked: []string{"mapped-away.test"}},
		{giveHost: "db.test", wantErr: "db.test resolves to 192.0.2.1, which is " + remote, wantAsked: []string{"db.test"}},
		{giveHost: "no-addresses.test", wantErr: "resolve no-addresses.test: no address", wantAsked: []string{"no-addresses.test"}},
		{giveHost: "nx.test", wantErr: "resolve nx.test: lookup nx.test: no such host", wantAsked: []string{"nx.test"}},
	}
	for _, tt := range tests {
		t.Run("host="+tt.giveHost, func(t *testing.T) {
			lookup := &fakeLookup{hosts: names}

			err := checkTarget(t.Context(), tt.giveHost, lookup.LookupNetIP)

			assert.Equal(t, tt.wantErr, errString(err), "checkTarget(%q)", tt.giveHost)
			assert.Equal(t, tt.wantAsked, lookup.asked, "checkTarget(%q): names looked up", tt.giveHost)
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

// TestLoopbackOnly: the dialer's last check, on the address it is about to
// connect to, refuses what checkTarget refuses.
func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		giveAddress string
		wantErr     string
	}{
		{giveAddress: "127.0.0.1:80"},
		{giveAddress: "127.3.2.1:8080"},
		{giveAddress: "[::1]:443"},
		{giveAddress: "[::ffff:127.0.0.1]:80"},
		{giveAddress: "192.0.2.1:80", wantErr: "connect to 192.0.2.1:80: outside loopback"},
		{giveAddress: "0.0.0.0:80", wantErr: "connect to 0.0.0.0:80: outside loopback"},
		{giveAddress: "[2001:db8::1]:443", wantErr: "connect to [2001:db8::1]:443: outside loopback"},
		{giveAddress: "[::]:80", wantErr: "connect to [::]:80: outside loopback"},
		{giveAddress: "not an address", wantErr: "connect to not an address:"},
	}
	for _, tt := range tests {
		t.Run("address="+tt.giveAddress, func(t *testing.T) {
			err := loopbackDialer().Control("tcp", tt.giveAddress, nil)

			got := errString(err)
			assert.True(t, strings.HasPrefix(got, tt.wantErr), "loopbackDialer().Control(%q) = %q, want prefix %q", tt.giveAddress, got, tt.wantErr)
			assert.Equal(t, tt.wantErr == "", err == nil, "loopbackDialer().Control(%q) = %v", tt.giveAddress, err)
		})
	}
}

// TestLoopbackDialerConnects: the check lets a loopback connection through.
func TestLoopbackDialerConnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listen on a free port")
	t.Cleanup(func() { ln.Close() })

	c, err := loopbackDialer().DialContext(t.Context(), "tcp", ln.Addr().String())

	require.NoError(t, err, "loopbackDialer().DialContext(%s)", ln.Addr())
	assert.NoError(t, c.Close(), "close the connection to %s", ln.Addr())
}
