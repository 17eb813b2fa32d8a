// Helpers the tests share: loopback servers that behave and misbehave, and
// an in-memory network for tests in fake time. The whole suite runs with
//
//	go test ./load
package load_test

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// helloBody is the article's page.
const helloBody = "hello world"

// hello serves the article's page: the server the driver is measured
// against.
func hello() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(helloBody))
	})
}

// serve starts a loopback server with h and closes it when the test ends.
func serve(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	return serveConns(tb, h, nil)
}

// serveConns is serve that also reports every change of a connection's
// state to connState, when not nil.
func serveConns(tb testing.TB, h http.Handler, connState func(http.ConnState)) *httptest.Server {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	if connState != nil {
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) { connState(s) }
	}
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv
}

// httptestTLS starts a loopback https server with h, closes it when the test
// ends, and returns its URL.
func httptestTLS(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	// With keep-alive, the transport may start a spare connection that
	// Run cancels mid-handshake when it closes; the server would log it.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv.URL
}

// closingURL returns the URL of a loopback server that accepts every
// connection and closes it at once, before reading anything.
func closingURL(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err, "listen on a free port")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		<-done
	})
	return "http://" + ln.Addr().String() + "/"
}

// pipeNet is an in-memory network for tests in fake time (testing/synctest):
// Dial makes a net.Pipe, keeps one end and hands the other to Accept. I/O on
// real sockets is not durably blocking inside a synctest bubble; a pipe is.
type pipeNet struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeNet() *pipeNet {
	return &pipeNet{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (p *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeNet) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

func (p *pipeNet) Addr() net.Addr { return pipeAddr{} }

// DialContext connects to the server that Accepts, as Config.DialContext.
// Once the network is closed, a dial is refused.
func (p *pipeNet) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case p.conns <- server:
		return client, nil
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	case <-p.done:
		client.Close()
		server.Close()
		return nil, syscall.ECONNREFUSED
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// servePipe serves h on an in-memory network and returns its dial function.
// Called inside a synctest bubble, everything it starts lives in the bubble
// and ends with the test.
func servePipe(tb testing.TB, h http.Handler) func(ctx context.Context, network, addr string) (net.Conn, error) {
	tb.Helper()
	p := newPipeNet()
	srv := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(p)
	}()
	tb.Cleanup(func() {
		srv.Close()
		<-done
	})
	return p.DialContext
}
