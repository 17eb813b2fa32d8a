package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/joinall/joinall/load"
)

// defaultUsers is siege's default -c.
const defaultUsers = 25

// usage is what -h prints. Every flag that newFlagSet defines is in it (a
// test checks), each with siege's default beside it.
const usage = `Usage: gosiege [flags] URL

gosiege loads URL (http or https; "host:port/path" means http) as siege
does: C users, each in a closed loop, send a request, read the whole
answer, and send the next at once. It prints siege's report, then what
siege does not give: response time percentiles and failures by kind.
Ctrl-C ends the run and prints the report so far.

Flags (siege's spelling works too: -c 50, -t 10S, -r 100, -b, -j; so do
the long names -concurrent, -time, -reps, -benchmark, -json-output):

  -c N          concurrent users, each in a closed loop (default 25, as
                siege's)
  -t D          run for D: siege's 30S, 10M, 1H (seconds, minutes, hours)
                or Go's 30s, 1m30s, 500ms. A bare number is refused: siege
                reads it as minutes, which nobody means twice.
  -r N          repetitions per user: each is one transaction, or one per
                hop of a redirect. With -t too, whichever ends first ends
                the run. gosiege needs -t or -r; siege without either runs
                until Ctrl-C.
  -b            benchmark mode: no delay between a user's transactions.
                Always so here (siege 4's default delay is 0 too); accepted
                so that siege's command lines work.
  -j            print the report as siege -j prints it, as JSON, with the
                percentiles and failures by kind as more fields of the same
                object
  -keepalive    keep each user's connection open from one transaction to
                the next, as wrk and hey do. Without it (siege's default,
                and here) every transaction opens a new connection and
                sends Connection: close.
  -timeout D    bound on each transaction, from before its connection is
                opened to the end of its body; same forms as -t (default
                30s, as siege's)
  -allow-remote load a target outside loopback (127.0.0.0/8, ::1). Without
                it gosiege refuses before sending anything: a load tool
                should not be a denial-of-service tool by accident. siege
                has no such check.

Exit status: 0 when the report was printed, after the whole run or after
Ctrl-C; 2 for a bad flag, a bad URL, a target outside loopback or a server
that cannot be reached (one line on stderr says which); 1 otherwise.
`

// options is one invocation of gosiege, parsed and checked.
type options struct {
	target      *url.URL
	users       int
	duration    time.Duration // 0: run by reps
	reps        int           // 0: run by duration
	benchmark   bool          // accepted, and always so
	json        bool
	keepAlive   bool
	timeout     time.Duration
	allowRemote bool
}

// newFlagSet defines gosiege's flags on o, with their defaults.
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("gosiege", flag.ContinueOnError)
	// parseArgs prints errors on one line itself; -h prints usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}

	o.users = defaultUsers
	o.timeout = load.DefaultTimeout
	for _, name := range []string{"c", "concurrent"} {
		fs.IntVar(&o.users, name, o.users, "concurrent users")
	}
	for _, name := range []string{"t", "time"} {
		fs.Var(durationFlag{&o.duration}, name, "duration of the run")
	}
	for _, name := range []string{"r", "reps"} {
		fs.IntVar(&o.reps, name, 0, "repetitions per user")
	}
	for _, name := range []string{"b", "benchmark"} {
		fs.BoolVar(&o.benchmark, name, false, "no delay between transactions (always so)")
	}
	for _, name := range []string{"j", "json-output"} {
		fs.BoolVar(&o.json, name, false, "print the report as JSON")
	}
	fs.BoolVar(&o.keepAlive, "keepalive", false, "keep connections open between transactions")
	fs.Var(durationFlag{&o.timeout}, "timeout", "bound on each transaction")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "load a target outside loopback")
	return fs
}

// parseArgs parses gosiege's command line: flags and one URL, in any order,
// as siege takes them. It returns flag.ErrHelp for -h.
func parseArgs(args []string) (options, error) {
	var o options
	fs := newFlagSet(&o)
	// The flag package stops at the first argument that is not a flag;
	// siege users write the URL first as often as last.
	var urls []string
	for {
		if err := fs.Parse(args); err != nil {
			return options{}, err
		}
		if fs.NArg() == 0 {
			break
		}
		urls = append(urls, fs.Arg(0))
		args = fs.Args()[1:]
	}

	switch {
	case len(urls) == 0:
		return options{}, errors.New("no URL: usage: gosiege [flags] URL (gosiege -h for the flags)")
	case len(urls) > 1:
		return options{}, fmt.Errorf("one URL only, got %d: %s", len(urls), strings.Join(urls, " "))
	case o.users < 1:
		return options{}, fmt.Errorf("-c %d: need at least 1 user", o.users)
	case o.reps < 0:
		return options{}, fmt.Errorf("-r %d: must not be negative", o.reps)
	case o.duration == 0 && o.reps == 0:
		return options{}, errors.New("neither -t nor -r: give a duration (-t 10S) or repetitions per user (-r 100)")
	}
	target, err := parseTarget(urls[0])
	if err != nil {
		return options{}, err
	}
	o.target = target
	return o, nil
}

// parseTarget parses the URL to load. Like siege, it reads a URL without a
// scheme as http.
func parseTarget(raw string) (*url.URL, error) {
	s := raw
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is in our message already
		}
		return nil, fmt.Errorf("URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: scheme must be http or https", raw)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("URL %q: no host", raw)
	}
	// url.Parse takes any digits for a port, and none at all after a colon.
	if port := u.Port(); port != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("URL %q: port %q: must be 1 to 65535", raw, port)
		}
	}
	return u, nil
}

// describe says what the run will do, for the line gosiege prints before it
// starts.
func (o *options) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d concurrent users on %s", o.users, o.target)
	if o.duration > 0 {
		fmt.Fprintf(&b, " for %v", o.duration)
	}
	if o.reps > 0 {
		if o.duration > 0 {
			b.WriteString(" or")
		}
		fmt.Fprintf(&b, " for %d repetitions each", o.reps)
	}
	if o.keepAlive {
		b.WriteString(", each on one kept-alive connection")
	} else {
		b.WriteString(", a new connection per transaction")
	}
	return b.String()
}

// durationFlag is a flag.Value for a positive duration in siege's forms or
// Go's.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

// parseDuration reads a positive duration in siege's forms (a whole number
// and S, M or H: 30S, 10M, 1H) or Go's (30s, 1m30s, 500ms). siege's lower
// case forms are Go's, and mean the same. A bare number is refused: siege
// reads "-t 30" as 30 minutes, which a Go user would not guess.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if strings.Trim(s, "0123456789") == "" {
		return 0, fmt.Errorf("%s has no unit: write %sS, %sM or %sH (siege reads a bare number as minutes)", s, s, s, s)
	}
	if head, unit := s[:len(s)-1], s[len(s)-1]; strings.ContainsRune("SMH", rune(unit)) &&
		head != "" && strings.Trim(head, "0123456789") == "" {
		s = head + strings.ToLower(string(unit))
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("not a duration: use siege's 30S, 10M, 1H or Go's 30s, 1m30s")
	}
	if d <= 0 {
		return 0, fmt.Errorf("%v: must be positive", d)
	}
	return d, nil
}
