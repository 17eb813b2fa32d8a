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
	"github.com/joinall/joinall/internal/nettest"
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

// TestRunInterruptedWhileResolving: Ctrl-C while the target's name is
// being resolved is an interruption, exit status 1, not a mistake on the
// command line.
func TestRunInterruptedWhileResolving(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	interrupt := func(c *command) {
		c.lookup = func(lctx context.Context, _, _ string) ([]netip.Addr, error) {
			cancel() // Ctrl-C, while the resolver is asked
			<-lctx.Done()
			return nil, lctx.Err()
		}
	}
	args := []string{"-r", "1", "http://example.com/"}

	code, stdout, stderr := gosiegeIn(ctx, interrupt, args...)

	assert.Equal(t, cli.StatusFailed, code, "gosiege %v, interrupted: exit status", args)
	assert.Empty(t, stdout, "gosiege %v: stdout", args)
	assert.Equal(t, "gosiege: interrupted before the run started\n", stderr, "gosiege %v: stderr", args)
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
	assert.Contains(t, stderr, "http://xxxxx@127.0.0.1:", "gosiege %v: stderr shows where the user information was", args)
	assert.NotContains(t, stdout+stderr, "s3cret", "gosiege %v: the password printed", args)
}

// TestRunSecretsNotPrinted: whatever a URL's user information holds, and
// whether or not the URL parses, no part of a password or of a user name
// given alone is printed: not in the line before the run, not in the
// report, not in an error, the standard library's included. A password
// with '/', '?' or '#' that is not %-escaped ends the host early; such a
// URL is refused, without quoting it.
func TestRunSecretsNotPrinted(t *testing.T) {
	url, _ := serveCounting(t, hello())
	hostPort := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	tests := []struct {
		name     string
		giveURL  string
		wantCode int
		secrets  []string // none may be printed
	}{
		{name: "slash", giveURL: "http://user:hun/ter2@" + hostPort + "/", wantCode: cli.StatusUsage, secrets: []string{"hun", "ter2"}},
		{name: "hash", giveURL: "http://user:hun#ter2@" + hostPort + "/", wantCode: cli.StatusUsage, secrets: []string{"hun", "ter2"}},
		{name: "question_mark", giveURL: "http://user:hun?ter2@" + hostPort + "/", wantCode: cli.StatusUsage, secrets: []string{"hun", "ter2"}},
		{name: "at", giveURL: "http://user:hun@ter2@" + hostPort + "/", wantCode: cli.StatusOK, secrets: []string{"hun", "ter2"}},
		{name: "escaped_slash", giveURL: "http://user:hun%2Fter2@" + hostPort + "/", wantCode: cli.StatusOK, secrets: []string{"hun", "ter2"}},
		{name: "bad_escape", giveURL: "http://user:hun%zzter2@" + hostPort + "/", wantCode: cli.StatusUsage, secrets: []string{"hun", "zz", "ter2"}},
		{name: "bare_token", giveURL: "http://ghp_t0ken@" + hostPort + "/", wantCode: cli.StatusOK, secrets: []string{"ghp_", "t0ken"}},
		{name: "bare_token_slash", giveURL: "http://ghp_t0/ken@" + hostPort + "/", wantCode: cli.StatusUsage, secrets: []string{"ghp_", "t0", "ken"}},
		{name: "bare_token_unreachable", giveURL: "http://ghp_t0ken@" + nettest.RefusedURL(t)[len("http://"):], wantCode: cli.StatusFailed, secrets: []string{"ghp_", "t0ken"}},
		{name: "bare_token_no_scheme", giveURL: "ghp_t0ken@" + hostPort + "/", wantCode: cli.StatusOK, secrets: []string{"ghp_", "t0ken"}},
		{name: "bad_host_after_token", giveURL: "http://ghp_t0ken@[::1/", wantCode: cli.StatusUsage, secrets: []string{"ghp_", "t0ken"}},
	}
	for _, tt := range tests {
		for _, layout := range []string{"text", "json"} {
			t.Run("url="+tt.name+"/layout="+layout, func(t *testing.T) {
				args := []string{"-c", "1", "-r", "1", tt.giveURL}
				if layout == "json" {
					args = append(args, "-j")
				}

				code, stdout, stderr := gosiege(t.Context(), args...)

				assert.Equal(t, tt.wantCode, code, "exit status; stderr:\n%s", stderr)
				for _, secret := range tt.secrets {
					assert.NotContains(t, stdout+stderr, secret, "printed a secret; stdout:\n%s\nstderr:\n%s", stdout, stderr)
				}
			})
		}
	}
	args := []string{"-r", "1", "http://ghp_t0ken@127.0.0.1:1/", "http://user:hun/ter2@127.0.0.1:1/"}
	code, _, stderr := gosiege(t.Context(), args...)
	assert.Equal(t, cli.StatusUsage, code, "gosiege with two URLs: exit status")
	assert.Equal(t, "gosiege: one URL only, got 2: http://xxxxx@127.0.0.1:1/ http://xxxxx@127.0.0.1:1/\n", stderr, "gosiege with two URLs: stderr")
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
