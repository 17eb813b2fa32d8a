// gosiege against what a wary user worries about: a resolver that never
// answers, a redirect to a name elsewhere, credentials in the URL, too few
// file descriptors. No test resolves a name: each gives gosiege a resolver
// of its own.
//
//	go test -run 'Resolver|Redirect|Credentials|FileLimit|FDLimit' -v ./cmd/gosiege
package main

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/internal/cli"
)

// TestRunResolverNeverAnswers: refusing a name outside loopback waits for
// the resolver at most -timeout, not the resolver's own 10 s or more.
func TestRunResolverNeverAnswers(t *testing.T) {
	const timeout = 100 * time.Millisecond
	var asked atomic.Int64
	never := func(c *command) {
		c.lookup = func(ctx context.Context, _, _ string) ([]netip.Addr, error) {
			asked.Add(1)
			<-ctx.Done()
			return nil, ctx.Err()
		}
	}
	args := []string{"-r", "1", "-timeout", timeout.String(), "http://example.com/"}
	start := time.Now()

	code, stdout, stderr := gosiegeIn(t.Context(), never, args...)

	assert.Equal(t, cli.StatusUsage, code, "gosiege %v: exit status", args)
	assert.Empty(t, stdout, "gosiege %v: stdout", args)
	assert.Equal(t, "gosiege: resolve example.com: context deadline exceeded\n", stderr, "gosiege %v: stderr", args)
	assert.Equal(t, int64(1), asked.Load(), "gosiege %v: lookups", args)
	assert.Less(t, time.Since(start), 20*timeout, "gosiege %v: took far longer than its -timeout", args)
}

// TestRunRedirectElsewhere: a target named loop.test, which the resolver
// says is 127.0.0.1, redirects to another name. The redirect's hop is
// refused as "other" without a lookup: the resolver is asked once, for the
// target, however many transactions the run makes; and every connection
// goes to the target's server.
func TestRunRedirectElsewhere(t *testing.T) {
	url, conns := serveCounting(t, http.RedirectHandler("http://some-name.example/next", http.StatusFound))
	port := strings.TrimSuffix(url[strings.LastIndexByte(url, ':')+1:], "/")
	var asked []string
	resolver := func(c *command) {
		c.lookup = func(_ context.Context, _, host string) ([]netip.Addr, error) {
			asked = append(asked, host)
			if host == "loop.test" {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
	}
	args := []string{"-c", "2", "-r", "5", "-j", "http://loop.test:" + port + "/"}

	code, stdout, stderr := gosiegeIn(t.Context(), resolver, args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	got := decodeJSON(t, stdout)
	assert.Equal(t, 10.0, got["transactions"], "gosiege %v: hits, each a 302", args)
	assert.Equal(t, 10.0, got["failed_other"], "gosiege %v: the redirects' hops, refused", args)
	assert.Equal(t, []string{"loop.test"}, asked, "gosiege %v: names looked up", args)
	assert.Equal(t, int64(1+10), conns.Load(), "gosiege %v: connections: the pre-flight's and one per transaction", args)
}

// TestRunCredentials: the URL's userinfo goes as Basic authentication, as
// siege sends it, and its password is never printed.
func TestRunCredentials(t *testing.T) {
	var authorized atomic.Int64
	url, _ := serveCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && u == "user" && p == "s3cret" {
			authorized.Add(1)
		}
		w.Write([]byte("hello world"))
	}))
	withUser := strings.Replace(url, "http://", "http://user:s3cret@", 1)
	args := []string{"-c", "2", "-r", "3", withUser}

	code, stdout, stderr := gosiege(t.Context(), args...)

	require.Equal(t, cli.StatusOK, code, "gosiege %v: exit status; stderr:\n%s", args, stderr)
	assert.Equal(t, int64(6), authorized.Load(), "gosiege %v: requests with the URL's credentials", args)
	assert.Contains(t, stderr, "user:xxxxx@", "gosiege %v: stderr names the user, not the password", args)
	assert.NotContains(t, stdout+stderr, "s3cret", "gosiege %v: the password printed", args)
}

// TestRunFileLimit: a -c that the open-file limit cannot carry is refused
// before anything is sent, with the limit and how to raise it.
func TestRunFileLimit(t *testing.T) {
	url, conns := serveCounting(t, hello())
	limit := func(c *command) { c.fileLimit = func() (uint64, bool) { return 256, true } }
	tests := []struct {
		giveUsers string
		wantCode  int
		wantErr   string
	}{
		{giveUsers: "240", wantCode: cli.StatusOK},
		{giveUsers: "241", wantCode: cli.StatusUsage, wantErr: "gosiege: -c 241: the open-file limit (ulimit -n) is 256, too low for 241 users and 16 descriptors of gosiege's own: raise it (ulimit -n 257) or lower -c\n"},
	}
	for _, tt := range tests {
		args := []string{"-c", tt.giveUsers, "-r", "1", url}

		code, _, stderr := gosiegeIn(t.Context(), limit, args...)

		assert.Equal(t, tt.wantCode, code, "gosiege %v, limit 256: exit status; stderr:\n%s", args, stderr)
		if tt.wantErr != "" {
			assert.Equal(t, tt.wantErr, stderr, "gosiege %v, limit 256: stderr", args)
		}
	}
	assert.Equal(t, int64(1+240), conns.Load(), "connections: the run of 240 users, none for the one refused")
}

// TestRunFDLimitIsNotTheServers: when the process runs out of file
// descriptors, the failures are counted under their own name, and gosiege
// says once that they are its own, not the server's. The dialer here fails
// every third connection with EMFILE, as socket(2) does.
func TestRunFDLimitIsNotTheServers(t *testing.T) {
	url, _ := serveCounting(t, hello())
	var dials atomic.Int64
	args := []string{"-c", "1", "-r", "6", "-j", url}
	opts, err := parseArgs(args)
	require.NoError(t, err, "parseArgs(%v)", args)
	cfg := opts.config()
	cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1)%3 == 0 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &osSyscallError{syscall.EMFILE}}
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	var out, errOut strings.Builder
	s := session{command: testCommand(), stdout: &out, stderr: &errOut}

	rep, err := s.measure(t.Context(), opts, cfg)
	require.NoError(t, err, "measure(%v)", args)
	err = s.judge(rep, opts, false)

	assert.NoError(t, err, "judge")
	assert.Equal(t, 2, rep.Failures.FDLimit, "failures for want of file descriptors")
	assert.Zero(t, rep.Failures.Other+rep.Failures.Reset+rep.Failures.Refused, "failures blamed on the server: %+v", rep.Failures)
	assert.Equal(t, "gosiege: warning: 2 transactions failed because gosiege ran out of file descriptors: those failures are gosiege's, not the server's; raise ulimit -n or lower -c\n",
		errOut.String(), "judge: stderr")
}

// osSyscallError is what the net package wraps a socket(2) error in.
type osSyscallError struct{ errno syscall.Errno }

func (e *osSyscallError) Error() string { return "socket: " + e.errno.Error() }
func (e *osSyscallError) Unwrap() error { return e.errno }
