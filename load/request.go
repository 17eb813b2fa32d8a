package load

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// A Target is one request of a run's list (Config.Targets): a method, a
// URL, headers and a body, sent as given every time a user picks it.
type Target struct {
	// Method is the request's method; "" means GET. CONNECT, which opens
	// a tunnel rather than asking for an answer, is refused.
	Method string
	// URL is http:// or https:// only. Userinfo, as in
	// http://user:pass@host/, is sent as Basic authentication, as siege
	// sends it.
	URL string
	// Header is sent with every request to the target. A name given
	// here replaces the driver's own (User-Agent); a Host header sets the
	// request's host; the headers that frame a message on the wire
	// (Content-Length, Transfer-Encoding, Connection and the other
	// hop-by-hop ones) are the driver's, and are refused.
	Header http.Header
	// Body is sent with every request, with its Content-Length. It is
	// held in memory once, as the request is: a request costs no
	// allocation for having a body.
	Body []byte
}

// MaxBodyBytes bounds the bodies of a run's targets, all together: each is
// held in memory with its request.
const MaxBodyBytes = 256 << 20

// framing lists the headers that the driver writes itself, or that would
// change how a message is framed on the wire: a Target may not set them.
var framing = []string{"Connection", "Content-Length", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// A target is a Target made ready to send: its request built, and written
// once as HTTP/1.1 puts it on the wire.
type target struct {
	url  *url.URL // with its userinfo, which req sends as a header
	req  *http.Request
	wire []byte // req as Request.Write writes it, body included
	body []byte
	// row is the target's line in the report's per-URL rows: targets
	// with the same method and URL share one.
	row int
}

// label names a request in the report: its method and URL, without
// userinfo, so that no credential is ever printed.
func label(method string, u *url.URL) string {
	v := *u
	v.User = nil
	return method + " " + v.String()
}

// targets returns the run's list of requests: Targets, or the single GET
// of URL.
func (cfg *Config) targets() ([]Target, error) {
	switch {
	case len(cfg.Targets) > 0 && cfg.URL != "":
		return nil, errors.New("load: both URL and Targets are set: give one")
	case len(cfg.Targets) > 0:
		return cfg.Targets, nil
	}
	return []Target{{URL: cfg.URL}}, nil
}

// parseTargets checks the run's targets and builds their requests; when
// there are several, each error names the target by its place in the list.
func (cfg *Config) parseTargets() ([]*target, error) {
	list, err := cfg.targets()
	if err != nil {
		return nil, err
	}
	out := make([]*target, len(list))
	bodies := 0
	for i, t := range list {
		tt, err := newTarget(t, cfg.KeepAlive || cfg.HTTP2)
		if err != nil {
			if len(list) > 1 {
				err = fmt.Errorf("load: Targets[%d]: %w", i, err)
			} else {
				err = fmt.Errorf("load: %w", err)
			}
			return nil, err
		}
		if bodies += len(t.Body); bodies > MaxBodyBytes {
			return nil, fmt.Errorf("load: Targets: the bodies take more than %d bytes in all", MaxBodyBytes)
		}
		out[i] = tt
	}
	if n := len(rowsOf(out)); n > MaxURLs {
		return nil, fmt.Errorf("load: Targets: %d methods and URLs, more than the %d rows a report holds", n, MaxURLs)
	}
	return out, nil
}

// rowsOf gives each target its row, those with the same method and URL
// one, and returns the rows' labels, in the order the targets first name
// them.
func rowsOf(targets []*target) []string {
	var labels []string
	rows := map[string]int{}
	for _, t := range targets {
		l := label(t.req.Method, t.url)
		row, ok := rows[l]
		if !ok {
			row = len(labels)
			rows[l] = row
			labels = append(labels, l)
		}
		t.row = row
	}
	return labels
}

// newTarget checks t and builds its request; keepAlive says whether the
// request leaves its connection open (without it: Connection: close).
func newTarget(t Target, keepAlive bool) (*target, error) {
	u, err := ParseURL(t.URL)
	if err != nil {
		return nil, err
	}
	method := cmp.Or(t.Method, http.MethodGet)
	switch {
	case strings.IndexFunc(method, func(r rune) bool { return !httpguts.IsTokenRune(r) }) >= 0:
		return nil, fmt.Errorf("URL %q: method %q is not a token", Redact(u.String()), method)
	case method == http.MethodConnect:
		return nil, fmt.Errorf("URL %q: method CONNECT opens a tunnel; it is not a request to load", Redact(u.String()))
	}
	host := *u
	host.User = nil
	req := &http.Request{
		Method:     method,
		URL:        &host,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{"User-Agent": {"joinall-load/1"}},
		Host:       u.Host,
		// Without keep-alive: Connection: close, as siege sends it.
		Close: !keepAlive,
	}
	if u.User != nil {
		password, _ := u.User.Password()
		req.SetBasicAuth(u.User.Username(), password)
	}
	for name, values := range t.Header {
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, fmt.Errorf("URL %q: header name %q is not a token", Redact(u.String()), name)
		}
		name = http.CanonicalHeaderKey(name)
		for _, f := range framing {
			if name == f {
				return nil, fmt.Errorf("URL %q: header %s is the driver's to set", Redact(u.String()), name)
			}
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, fmt.Errorf("URL %q: header %s: value %q has a character a header cannot carry", Redact(u.String()), name, v)
			}
		}
		if name == "Host" {
			if len(values) != 1 || values[0] == "" {
				return nil, fmt.Errorf("URL %q: header Host: need one value, got %q", Redact(u.String()), values)
			}
			req.Host = values[0]
			continue
		}
		req.Header[name] = append([]string(nil), values...)
	}
	tt := &target{url: u, req: req, body: t.Body}
	// Request.Write consumes the body: the target keeps its bytes, and a
	// hop of a redirect that resends them reads them again.
	tt.withBody(req)
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		return nil, fmt.Errorf("URL %q: %w", Redact(u.String()), err)
	}
	req.Body, req.GetBody = nil, nil
	tt.wire = wire.Bytes()
	return tt, nil
}

// withBody gives req, a request of t's or a hop of one, t's body to send.
func (t *target) withBody(req *http.Request) {
	if len(t.body) == 0 {
		req.ContentLength = 0
		return
	}
	req.ContentLength = int64(len(t.body))
	req.Body = io.NopCloser(bytes.NewReader(t.body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(t.body)), nil }
}

// hop returns the request for the next hop of a redirect: prev, the
// request that got the answer, sent to loc. As net/http's client follows
// one, a 301, 302 or 303 becomes a GET without a body (a HEAD stays a
// HEAD), and a 307 or 308 keeps its method and body; credentials go to the
// target's own host alone.
func (t *target) hop(prev *http.Request, code int, loc *url.URL) *http.Request {
	next := prev.Clone(context.Background())
	next.URL, next.Host = loc, loc.Host
	next.Body, next.GetBody = nil, nil
	switch {
	case code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect:
		if prev.ContentLength > 0 {
			t.withBody(next)
		}
	case next.Method != http.MethodHead:
		next.Method, next.ContentLength = http.MethodGet, 0
		next.Header.Del("Content-Type")
	}
	if loc.Host != t.url.Host {
		next.Header.Del("Authorization")
	}
	return next
}

// next returns the target of the user's next repetition: the only one; or
// the next of the list, from where the user is in it; or, with
// Config.Random, one at random.
func (u *user) next() *target {
	ts := u.d.targets
	switch {
	case len(ts) == 1:
		return ts[0]
	case u.rnd != nil:
		return ts[u.rnd.IntN(len(ts))]
	}
	t := ts[u.pos]
	if u.pos++; u.pos == len(ts) {
		u.pos = 0
	}
	return t
}

// place puts user i of n at its start in the list of targets: spread over
// the list as siege spreads its users over its URL file, or, with random,
// with a random source of its own.
func (u *user) place(i, n int, random bool) {
	if len(u.d.targets) < 2 {
		return
	}
	if random {
		u.rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		return
	}
	u.pos = i * len(u.d.targets) / n
}

// tlsFor returns the TLS configuration for a connection to addr: its
// target's host's, or, for a host that only a redirect led to, one made for
// it.
func (d *driver) tlsFor(addr string) *tls.Config {
	host, _, _ := net.SplitHostPort(addr)
	if c, ok := d.tls[host]; ok {
		return c
	}
	c := d.tlsBase.Clone()
	c.ServerName = host
	return c
}

// tlsConfigs returns the TLS configuration for each host of the targets:
// base, with the host as its ServerName unless base names one.
func tlsConfigs(base *tls.Config, targets []*target) map[string]*tls.Config {
	out := map[string]*tls.Config{}
	for _, t := range targets {
		host := t.url.Hostname()
		if t.url.Scheme != "https" || out[host] != nil {
			continue
		}
		c := base.Clone()
		if c.ServerName == "" {
			c.ServerName = host
		}
		out[host] = c
	}
	return out
}

// timed records a transaction of t that got a response, in the user's
// recorder and, when the run has several rows or stages, in t's row and
// the stage's.
func (u *user) timed(t *target, response, service time.Duration, bytes int64, code int) {
	u.rec.timed(response, service, bytes, code)
	if rows := u.d.rows; rows != nil {
		rows[t.row].timed(response, service, bytes, code)
	}
	if u.stage != nil {
		u.stage.timed(response, service, bytes, code)
	}
}

// failed records a failed transaction of t, as timed does.
func (u *user) failed(t *target, kind failure) {
	u.rec.fail(kind)
	if rows := u.d.rows; rows != nil {
		rows[t.row].fail(kind)
	}
	if u.stage != nil {
		u.stage.fail(kind)
	}
}

// cut records a transaction that the end of the run cut, in the user's
// recorder and the stage's.
func (u *user) cut() {
	u.rec.cut()
	if u.stage != nil {
		u.stage.cut()
	}
}

// secretHeaders are the headers whose values digest leaves out: they carry
// credentials.
var secretHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization"}

// digest identifies the list of targets for Settings.RequestsDigest: the
// SHA-256 of each request's method, URL as Redact shows it, host, headers
// (their names, and their values but secretHeaders') and body, each field
// prefixed with its length so that no two lists write the same bytes.
func digest(targets []*target) string {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	for _, t := range targets {
		field(t.req.Method)
		field(Redact(t.url.String()))
		field(t.req.Host)
		for _, name := range slices.Sorted(maps.Keys(t.req.Header)) {
			field(name)
			values := t.req.Header[name]
			if slices.Contains(secretHeaders, name) {
				values = nil
			}
			field(strings.Join(values, "\n"))
		}
		field(string(t.body))
	}
	return hex.EncodeToString(h.Sum(nil))
}
