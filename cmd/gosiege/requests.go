package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/joinall/joinall/internal/loopback"
	"github.com/joinall/joinall/load"
)

// formType is siege's Content-Type for a body given inline, and for a body
// file whose extension says nothing.
const formType = "application/x-www-form-urlencoded"

// A request is one target of the run, with where it was given, for
// messages: "" for the URL on the command line, "urls.txt:3" for a line of
// a URL file.
type request struct {
	where  string
	url    *url.URL
	target load.Target
}

// in puts err in the context of the request's place.
func (r request) in(err error) error {
	if r.where == "" {
		return err
	}
	return fmt.Errorf("%s: %w", r.where, err)
}

// buildRequests makes the run's requests: the command line's URL with -m,
// -d and -D, or every line of -f's file; each with the headers of -H, -A
// and -T. It reads the files it names, and checks each request as the
// load would, so that nothing is sent for a bad one.
func (o *options) buildRequests() error {
	header, err := o.headers()
	if err != nil {
		return err
	}
	var lines []numberedLine
	if o.urlFile != "" {
		if lines, err = readURLFileNamed(o.urlFile); err != nil {
			return err
		}
	} else {
		l := o.line
		l.url = o.target.String()
		if o.method != "" {
			l.method = o.method
		}
		if o.bodySet {
			l.body, l.bodyFile, l.hasBody = o.body, o.bodyFile, true
		}
		lines = []numberedLine{{line: l}}
	}
	files := map[string][]byte{} // a body file read once, however many lines send it
	o.requests = make([]request, 0, len(lines))
	for _, l := range lines {
		r := request{}
		if o.urlFile != "" {
			r.where = fmt.Sprintf("%s:%d", o.urlFile, l.n)
		}
		if r.url, err = parseTarget(l.url); err != nil {
			return r.in(err)
		}
		r.target = load.Target{Method: l.method, URL: r.url.String(), Header: header.Clone()}
		if l.hasBody {
			contentType := formType
			r.target.Body = []byte(l.body)
			if l.bodyFile != "" {
				if r.target.Body, err = readBody(files, l.bodyFile); err != nil {
					return r.in(err)
				}
				if t := mime.TypeByExtension(filepath.Ext(l.bodyFile)); t != "" {
					contentType = t
				}
			}
			if r.target.Header.Get("Content-Type") == "" {
				r.target.Header.Set("Content-Type", contentType)
			}
		}
		one := load.Config{Targets: []load.Target{r.target}, Users: 1, Reps: 1}
		if err := one.Check(); err != nil {
			return r.in(err)
		}
		o.requests = append(o.requests, r)
	}
	return nil
}

// readBody returns the content of the body file at path, read once.
func readBody(files map[string][]byte, path string) ([]byte, error) {
	if b, ok := files[path]; ok {
		return b, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("body file: %w", err)
	}
	if fi.Size() > load.MaxBodyBytes {
		return nil, fmt.Errorf("body file %s: %d bytes, more than the %d a run holds", path, fi.Size(), load.MaxBodyBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("body file: %w", err)
	}
	files[path] = b
	return b, nil
}

// headers returns the headers of -H, -A and -T, checked.
func (o *options) headers() (http.Header, error) {
	h := http.Header{}
	for _, s := range o.moreHeaders {
		name, value, ok := strings.Cut(s, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok:
			return nil, fmt.Errorf("-H %q: want Name: value", s)
		case !httpguts.ValidHeaderFieldName(name):
			return nil, fmt.Errorf("-H %q: %q is not a header name", s, name)
		case !httpguts.ValidHeaderFieldValue(value):
			return nil, fmt.Errorf("-H %q: the value has a character a header cannot carry", s)
		}
		h.Add(name, value)
	}
	for _, f := range []struct{ flag, name, value string }{
		{"-A", "User-Agent", o.userAgent},
		{"-T", "Content-Type", o.contentType},
	} {
		switch {
		case f.value == "":
		case h.Get(f.name) != "":
			return nil, fmt.Errorf("%s and -H %s: give one", f.flag, f.name)
		default:
			h.Set(f.name, f.value)
		}
	}
	return h, nil
}

// guard returns a dialer that connects only to loopback, for the hosts of
// the requests: an IP literal is decided at once; each name is resolved
// once, now, within ctx, and passes only if every address is loopback. A
// host outside loopback is an error that names its request; nothing has
// been sent then.
func guard(ctx context.Context, reqs []request, lookup loopback.Lookup) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	guards := map[string]*loopback.Guard{}
	var first *loopback.Guard
	for _, r := range reqs {
		host := r.url.Hostname()
		if guards[host] != nil {
			continue
		}
		g, err := loopback.NewGuard(ctx, host, lookup)
		if err != nil {
			if errors.Is(err, loopback.ErrRemote) {
				err = fmt.Errorf("%w: give -allow-remote to load it", err)
			}
			return nil, r.in(err)
		}
		guards[host] = g
		if first == nil {
			first = g
		}
	}
	if len(guards) == 1 {
		return first.DialContext, nil
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err == nil && guards[host] != nil {
			return guards[host].DialContext(ctx, network, addr)
		}
		// Any guard dials a loopback IP literal as it is, and refuses
		// another name without resolving it.
		return first.DialContext(ctx, network, addr)
	}, nil
}

// what names the run's target in messages: the URL, or the URL file.
func (o *options) what() string {
	if o.urlFile != "" {
		return fmt.Sprintf("the %d URLs of %s", len(o.requests), o.urlFile)
	}
	if o.target == nil {
		return "the URL"
	}
	return load.Redact(o.target.String())
}

// checkRequests checks the flags that shape the requests against each
// other and against urls, the arguments that are not flags, after fs has
// parsed them.
func (o *options) checkRequests(fs *flag.FlagSet, urls []string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.bodySet = set["d"] || set["D"]
	switch {
	case o.urlFile != "" && len(urls) > 0:
		return fmt.Errorf("-f %s and a URL: give one, the URL file or the URL", o.urlFile)
	case o.internet && o.urlFile == "":
		return errors.New("-i picks each request's URL at random from a URL file: give -f")
	case o.urlFile != "" && (o.method != "" || o.bodySet):
		return errors.New("-m, -d and -D are for the URL on the command line: a URL file gives each line's method and body")
	case set["d"] && set["D"]:
		return errors.New("-d and -D: give one body")
	case o.bodySet && o.method == "":
		return errors.New("-d and -D need -m, the method that carries the body (-m POST); siege's -d, a delay between transactions, has no place here: gosiege never waits (siege -b)")
	case o.method != "" && !slices.Contains(methods, o.method):
		return fmt.Errorf("-m %q: not a method (%s); siege's -m, a mark in its log, has no place here", o.method, strings.Join(methods, ", "))
	case set["streams"] && o.streams < 1:
		return fmt.Errorf("-streams %d: need at least 1", o.streams)
	case set["streams"] && !o.http2:
		return errors.New("-streams without -http2: only HTTP/2 carries several streams on a connection")
	case o.streams > 1 && o.users*o.streams > maxUsers:
		return fmt.Errorf("-c %d -streams %d: %d users, at most %d in one process (spread a larger load across processes, and -merge their -j reports)", o.users, o.streams, o.users*o.streams, maxUsers)
	}
	return nil
}

// checkLine takes the URL on the command line in siege's URL-file form,
// 'URL POST a=1' (a URL alone is the common case), and returns its URL.
func (o *options) checkLine(arg string) (string, error) {
	l, err := parseLine(arg)
	if err != nil {
		return "", fmt.Errorf("URL %q: %w", load.Redact(arg), err)
	}
	if l.method != "" && (o.method != "" || o.bodySet) {
		return "", fmt.Errorf("URL %q names its method, and -m, -d or -D too: give one", load.Redact(arg))
	}
	raw := l.url
	l.url = ""
	o.line = l
	return raw, nil
}
