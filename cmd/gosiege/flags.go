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
	"unicode"
	"unicode/utf8"

	"github.com/joinall/joinall/load"
)

// defaultUsers is siege's default -c.
const defaultUsers = 25

// maxUsers is the most -c takes. Each user costs about 35 KB (its buffers,
// its goroutine, its histogram and its socket), so 10,000 users are about
// 350 MB of this process, and new connections from one address to one
// server port run out of the ~28,000 ephemeral ports at a few thousand a
// second. siege stops at 255 by default, to protect the machine it runs
// on; a load larger than 10,000 users belongs to several processes, merged
// with -merge.
const maxUsers = 10_000

// fdReserve is how many file descriptors gosiege needs besides one per
// user: standard streams, the poller, the pre-flight connection, a few to
// spare.
const fdReserve = 16

// usage is what -h prints. Every flag that newFlagSet defines is in it (a
// test checks), each with siege's default beside it.
const usage = `Usage: gosiege [flags] URL
       gosiege [flags] -f URLFILE
       gosiege -merge [-j] REPORT.json...

gosiege loads URL (http or https; "host:port/path" means http) as siege
does: C users, each in a closed loop, send a request, read the whole
answer, and send the next at once. It prints siege's report, then what
siege does not give: the model of the load, response time percentiles,
the transactions that the end of the run cut (not counted), and failures
by kind. Ctrl-C ends the run and prints the report so far. A
user name and password in URL (http://user:pass@host/) go as Basic
authentication and are never printed; %-escape their '/', '?' and '#'.

With -rate R it is an open loop instead: R requests a second in all, on a
fixed schedule whether or not earlier ones are answered, at most C in
flight. Response times then run from each request's intended send, so a
stall is charged to every request it delayed (closed loops hide it: the
users wait with the server); service times, from the actual send, are
given beside them, and requests that found no free slot are counted as
unsent.

Flags (siege's spelling works too: -c 50, -t 10S, -r 100, -b, -j; so do
the long names -concurrent, -time, -reps, -benchmark, -json-output):

  -c N          concurrent users, each in a closed loop; with -rate, the
                most requests in flight (default 25, as siege's; at most
                10000, and as many as the open-file limit allows); with
                -http2, connections, each of -streams users
  -t D          run for D: siege's 30S, 10M, 1H (seconds, minutes, hours)
                or Go's 30s, 1m30s, 500ms; at least 1ms. A bare number is
                refused: siege reads it as minutes, which nobody means twice.
  -r N          repetitions per user: each is one transaction, or one per
                hop of a redirect. With -t too, whichever ends first ends
                the run. gosiege needs -t or -r; siege without either runs
                until Ctrl-C. Not with -rate.
  -rate R       an open loop of R requests a second (as wrk2 -R, vegeta
                -rate), from 1e-9 (one in 31.7 years) to 1e9 (one a
                nanosecond, the schedule's clock); needs -t. siege has none.
  -rate R:D,R:D,...
                a ramp: an open loop whose rate changes in stages, each R
                requests a second for D (-t's forms, at least 1ms each; 100
                stages at most): -rate 100:10s,1000:30s,100:10s. The stages
                keep one schedule, each starting when the last ends, and the
                report adds a line per stage: its rate intended and
                achieved, its transactions, failures, unsent, p50 and p99.
                -t may be left out; given, it must be the stages' sum.
  -b            benchmark mode: no delay between a user's transactions.
                Always so here (siege 4's default delay is 0 too); accepted
                so that siege's command lines work.
  -j            print the report as siege -j prints it, as JSON, with the
                figures beyond siege, the run's settings and identity, the
                exact sums and the histograms as more fields of the same
                object (what -merge reads)
  -keepalive    keep each user's connection open from one transaction to
                the next, as wrk and hey do. Without it (siege's default,
                and here) every transaction opens a new connection and
                sends Connection: close.
  -timeout D    bound on each transaction, from before its connection is
                opened to the end of its body; same forms as -t, from 1ms
                to 24h (default 30s, as siege's)
  -max-header N bound on a response's headers, in bytes (default 1048576,
                net/http's; at most 10485760), each line counting 128 bytes
                more and a line's bytes past its first 4 KB three times,
                what parsing them costs: so a user holds at most about 3 N
                of headers in memory, however many lines they have
  -q            no progress line. Without it, a run of more than 2 s shows
                one on standard error when that is a terminal.
  -count N      with -bench: run N times (default 1)
  -bench NAME   print Go benchmark lines, BenchmarkLoad/NAME/users=C (with
                -http2, BenchmarkLoad/NAME/conns=C/streams=S), one per run
                (NAME printable, without spaces or slashes), after key:
                value lines of the configuration, in place of the report:
                go tool benchstat old.txt new.txt then
                compares two versions of a server, with p-values
  -merge        read the reports that gosiege -j wrote (a load split across
                processes or machines, by -shard or by hand with each its
                share of -c and -rate) and print them as one run's, after a
                line per part (its shard, host, rate achieved, unsent and
                p99: a generator that could not keep up shows there):
                counts summed, unsent too, and percentiles, per URL and per
                stage too, from the merged histograms. It refuses, with the
                file and the reason, a report that no run could have made
                (counts below 0, kinds of failure or rows that do not add
                up, a histogram of another geometry), sums that overflow,
                the same run twice, reports whose settings differ (model,
                the requests, -keepalive, -timeout, -t, -r, -rate's
                stages, -max-header, -http2, -streams, -shard's N, -c and
                -rate of a shared run), a shard twice or missing, and shards
                that did not run at the same time. It reads one report
                at a time, at most 4 MiB of each and 10000 runs in all,
                and only histograms of its own geometry (28672 buckets at
                most), so that its memory is bounded whatever it is given:
                a few MiB for runs of one URL, and at most about 350 MB
                for runs of 1000 URLs whose every histogram is full.
  -allow-remote load a target outside loopback (127.0.0.0/8, ::1). Without
                it gosiege refuses before sending anything to the target.
                A target given as an IP address is decided at once and
                nothing is sent; a name is first resolved, once, with the
                system's resolver (which may ask a DNS server on the
                network), bounded by -timeout, and refused unless every
                address is loopback. A redirect to another name is refused
                without resolving it. siege has no such check.

Requests (siege's spellings, and hey's and oha's where siege has none):

  -H 'Name: value'
                a request header; give it again for more (siege -H,
                -header). A Host header sets the request's host; the
                headers that frame a message (Content-Length, Connection,
                Transfer-Encoding, ...) are gosiege's to set.
  -A TEXT       the User-Agent header (siege -A, -user-agent; default
                joinall-load/1)
  -T TYPE       the Content-Type of every request with a body (siege -T,
                -content-type). Without it, siege's: a body given inline is
                application/x-www-form-urlencoded; a body file's follows its
                extension (.json: application/json), or is that one when
                the extension says nothing.
  -m METHOD     the request's method (-method; hey's and oha's -m): GET,
                HEAD, POST, PUT, PATCH, DELETE or OPTIONS. siege has none,
                and its -m, a mark in its log, is refused as a method.
  -d BODY       the request's body (hey's and oha's -d). It needs -m:
                siege's -d is a delay, and a siege command line must be
                refused, not send its delay as a body.
  -D FILE       the request's body, read from FILE (hey's and oha's -D);
                needs -m too
  -f FILE       siege's URL file (siege -f, -file), in place of the URL:
                one request a line, which each user takes in turn, from
                its own place in the list (siege's order), or at random
                with -i. A line is
                    URL
                    URL METHOD
                    URL METHOD body, the rest of the line
                    URL METHOD </path/to/a/body/file
                with METHOD one of -m's. A line whose first character is #
                is a comment, blank lines are skipped, and NAME = VALUE sets
                a variable that later lines use as $(NAME) or ${NAME}; one
                the file does not set is the environment's. A word that is
                not a method, a variable set nowhere, a body file that
                cannot be read: each is refused with its line, before
                anything is sent. Every URL's host passes the loopback
                check first. The URL on the command line takes the same
                forms: 'URL POST a=1'. The report adds a line per method
                and URL: its transactions, failures, p50 and p99.
  -i            with -f, each request picks its URL at random, each URL as
                likely (siege -i, -internet)

Many machines (siege has none of these; see docs/distributed.md):

  -shard I/N    run shard I (1 to N) of a run shared by N processes or
                machines, each with the same other flags: it takes its share
                of -c (10 over 3 shards: 4, 3, 3; over -http2, of the
                connections), of -rate (requests I, I+N, I+2N, ... of the
                run's schedule, stage after stage, so that the shards'
                schedules together are the run's), and of -f's URLs when
                there are at least N (dealt: URL J goes to shard J mod N +
                1). Its -j report gives the whole run's settings, its shard,
                host, version, start and end; -merge then takes all N.
  -shard auto/N the shard's number from JOB_COMPLETION_INDEX (0 to N-1), as
                a Kubernetes Indexed Job sets it, plus one
  -start-at T   wait until T, an RFC 3339 time (2026-05-01T12:00:00Z), before
                the measured run (after the connection that checks the
                target): a start barrier for the shards. Refused if T has
                passed by more than 1s (this shard would start late and not
                run with the others) or is more than 1h ahead (a mistyped
                date would hold the process for days).

HTTP/2 (h2load's and oha's model):

  -http2        speak HTTP/2: h2 over TLS, chosen with ALPN, to an https
                URL; h2c, in cleartext with prior knowledge, to an http URL.
                A server that does not speak it is one line before the run.
                Connections stay open (-keepalive is implied): -c is the
                number of connections, each carrying -streams users, one
                stream each at a time: C x S users in all, as h2load's -c
                and -m, oha's -c and -p. With -rate, at most C x S
                requests are in flight. The report's Protocol line says
                which was spoken.
  -streams S    users (streams) on each HTTP/2 connection (default 1)

Exit status: 0 when the report was printed, after the whole run or after
Ctrl-C; 2 for a bad flag, a bad URL or report file, a target outside
loopback, or a -c the open-file limit cannot carry (one line on stderr
says which); 1 otherwise: a server that cannot be reached, or a run in
which no transaction completed before the end cut it.
`

// options is one invocation of gosiege, parsed and checked.
type options struct {
	target      *url.URL
	users       int
	rate        float64       // 0: the closed loop
	rateSet     bool          // whether -rate was given: -rate 0 is refused
	duration    time.Duration // 0: run by reps
	reps        int           // 0: run by duration
	noDelay     bool          // siege's -b: no delay between transactions; always so
	json        bool
	keepAlive   bool
	timeout     time.Duration
	maxHeader   int64
	quiet       bool
	count       int
	benchName   string   // -bench NAME: print benchmark lines; "": print the report
	merge       bool     // -merge
	reports     []string // the report files of -merge
	allowRemote bool

	// The requests: -H, -A, -T, -m, -d, -D, -f, -i; and HTTP/2.
	moreHeaders []string // each -H, as given
	userAgent   string
	contentType string
	method      string
	body        string // -d
	bodyFile    string // -D
	bodySet     bool   // whether -d or -D was given
	urlFile     string // -f
	internet    bool   // -i
	http2       bool
	streams     int  // -streams; 0 means 1
	line        line // the method and body that the URL argument names itself
	// requests are the run's targets, built from all of the above by
	// buildRequests.
	requests []request

	// Ramps and shards: -rate's stages, -shard and -start-at.
	stages    []load.Stage // -rate R:D,...; nil for one rate
	shard     load.Shard   // -shard I/N; Number 0 with auto
	shardAuto bool         // -shard auto/N
	startAt   time.Time    // -start-at; zero: at once
}

// newFlagSet defines gosiege's flags on o, with their defaults.
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("gosiege", flag.ContinueOnError)
	// parseArgs prints errors on one line itself; -h prints usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}

	o.users = defaultUsers
	o.timeout = load.DefaultTimeout
	o.maxHeader = load.DefaultMaxHeaderBytes
	o.count = 1
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
		fs.BoolVar(&o.noDelay, name, false, "no delay between transactions (always so)")
	}
	for _, name := range []string{"j", "json-output"} {
		fs.BoolVar(&o.json, name, false, "print the report as JSON")
	}
	fs.Func("rate", "an open loop of R requests a second, or stages R:D,...", func(v string) error {
		o.rateSet = true
		if strings.Contains(v, ":") {
			stages, err := parseStages(v)
			o.stages = stages
			return err
		}
		r, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return errors.New("not a number, nor stages R:D,R:D,...")
		}
		o.rate = r
		return nil
	})
	fs.Func("shard", "run shard I of N (I/N), or auto/N", func(v string) error {
		s, auto, err := parseShard(v)
		o.shard, o.shardAuto = s, auto
		return err
	})
	fs.Func("start-at", "start the measured run at an RFC 3339 time", func(v string) error {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return errors.New("not an RFC 3339 time, as 2026-05-01T12:00:00Z")
		}
		o.startAt = t
		return nil
	})
	fs.BoolVar(&o.keepAlive, "keepalive", false, "keep connections open between transactions")
	fs.Var(durationFlag{&o.timeout}, "timeout", "bound on each transaction")
	fs.Int64Var(&o.maxHeader, "max-header", o.maxHeader, "bound on a response's headers")
	fs.BoolVar(&o.quiet, "q", false, "no progress line")
	fs.IntVar(&o.count, "count", o.count, "runs, with -bench")
	fs.StringVar(&o.benchName, "bench", "", "print Go benchmark lines named NAME")
	fs.BoolVar(&o.merge, "merge", false, "merge reports that gosiege -j wrote")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "load a target outside loopback")
	for _, name := range []string{"H", "header"} {
		fs.Func(name, "a request header, Name: value", func(s string) error {
			o.moreHeaders = append(o.moreHeaders, s)
			return nil
		})
	}
	for _, name := range []string{"A", "user-agent"} {
		fs.StringVar(&o.userAgent, name, "", "the User-Agent header")
	}
	for _, name := range []string{"T", "content-type"} {
		fs.StringVar(&o.contentType, name, "", "the Content-Type of requests with a body")
	}
	for _, name := range []string{"m", "method"} {
		fs.StringVar(&o.method, name, "", "the request's method")
	}
	fs.StringVar(&o.body, "d", "", "the request's body")
	fs.StringVar(&o.bodyFile, "D", "", "a file that holds the request's body")
	for _, name := range []string{"f", "file"} {
		fs.StringVar(&o.urlFile, name, "", "siege's URL file")
	}
	for _, name := range []string{"i", "internet"} {
		fs.BoolVar(&o.internet, name, false, "pick each request's URL at random")
	}
	fs.BoolVar(&o.http2, "http2", false, "speak HTTP/2")
	fs.IntVar(&o.streams, "streams", 0, "users on each HTTP/2 connection")
	return fs
}

// parseArgs parses gosiege's command line: flags and one URL (or, with
// -merge, report files), in any order, as siege takes them. It returns
// flag.ErrHelp for -h.
func parseArgs(args []string) (options, error) {
	var o options
	fs := newFlagSet(&o)
	// The flag package stops at the first argument that is not a flag;
	// siege users write the URL first as often as last.
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return options{}, err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if o.merge {
		if len(rest) == 0 {
			return options{}, errors.New("-merge: no report files: usage: gosiege -merge [-j] REPORT.json...")
		}
		o.reports = rest
		return o, nil
	}

	if err := o.checkRequests(fs, rest); err != nil {
		return options{}, err
	}
	if o.stages != nil {
		// -t is the stages' sum: it may be left out.
		if o.duration > 0 && o.duration != stagesLength(o.stages) {
			return options{}, fmt.Errorf("-t %v and -rate's stages of %v in all: leave -t out, or give their sum", o.duration, stagesLength(o.stages))
		}
		o.duration = stagesLength(o.stages)
	}
	switch {
	case len(rest) == 0 && o.urlFile == "":
		return options{}, errors.New("no URL: usage: gosiege [flags] URL (gosiege -h for the flags)")
	case len(rest) > 1:
		return options{}, fmt.Errorf("one URL only, got %d: %s", len(rest), strings.Join(redactAll(rest), " "))
	case o.users < 1:
		return options{}, fmt.Errorf("-c %d: need at least 1 user", o.users)
	case (o.users+max(o.shard.Count, 1)-1)/max(o.shard.Count, 1) > maxUsers:
		return options{}, fmt.Errorf("-c %d: at most %d users in one process (spread a larger load across processes with -shard, and -merge their -j reports)", o.users, maxUsers)
	case o.reps < 0:
		return options{}, fmt.Errorf("-r %d: must not be negative", o.reps)
	case o.rateSet && o.stages == nil && load.CheckRate(o.rate) != nil:
		return options{}, fmt.Errorf("-rate %v: %w", o.rate, load.CheckRate(o.rate))
	case o.duration > 0 && o.duration < time.Millisecond:
		return options{}, fmt.Errorf("-t %v: too short: at least 1ms", o.duration)
	case o.shard.Count > 1 && o.users < o.shard.Count:
		return options{}, fmt.Errorf("-shard %s: %d %s cannot be shared between %d shards: each needs one", o.shardText(), o.users, map[bool]string{false: "users", true: "HTTP/2 connections"}[o.http2], o.shard.Count)
	case o.shard.Count > 1 && o.benchName != "":
		return options{}, errors.New("-shard and -bench: a shard's run is a part of the run: -merge the shards' -j reports")
	case o.model() == load.OpenLoop && o.duration == 0:
		return options{}, errors.New("-rate needs -t: the open loop runs on a schedule for a duration")
	case o.model() == load.OpenLoop && o.reps > 0:
		return options{}, errors.New("-rate and -r: the open loop runs for a duration, not by repetitions")
	case o.duration == 0 && o.reps == 0:
		return options{}, errors.New("neither -t nor -r: give a duration (-t 10S) or repetitions per user (-r 100)")
	case o.timeout < time.Millisecond:
		return options{}, fmt.Errorf("-timeout %v: too small: at least 1ms", o.timeout)
	case o.timeout > load.MaxTimeout:
		return options{}, fmt.Errorf("-timeout %v: at most %v", o.timeout, load.MaxTimeout)
	case o.maxHeader < 1 || o.maxHeader > load.MaxHeaderBytesLimit:
		return options{}, fmt.Errorf("-max-header %d: must be 1 to %d", o.maxHeader, load.MaxHeaderBytesLimit)
	case o.count < 1:
		return options{}, fmt.Errorf("-count %d: need at least 1", o.count)
	case o.count > 1 && o.benchName == "":
		return options{}, errors.New("-count without -bench: several runs print as benchmark lines, for benchstat")
	case !benchNameOK(o.benchName):
		return options{}, fmt.Errorf("-bench %+q: a name of printable characters without spaces or slashes", o.benchName)
	}
	if o.urlFile != "" {
		return o, nil
	}
	raw, err := o.checkLine(rest[0])
	if err != nil {
		return options{}, err
	}
	target, err := parseTarget(raw)
	if err != nil {
		return options{}, err
	}
	o.target = target
	return o, nil
}

// benchNameOK reports whether name can be part of a benchmark's name as
// benchstat reads it: UTF-8, printable, with no space of any kind (a
// result line splits at each) and no slash (which separates the name's
// parts).
func benchNameOK(name string) bool {
	if !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) || r == '/' {
			return false
		}
	}
	return true
}

// parseTarget parses the URL to load. Like siege, it reads a URL without a
// scheme as http. No message it returns prints a secret (see
// load.ParseURL).
func parseTarget(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	return load.ParseURL(raw)
}

func redactAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = load.Redact(s)
	}
	return out
}

// model is the run's model.
func (o *options) model() load.Model {
	cfg := o.config()
	return cfg.Model()
}

// config is what the run is: the load's configuration for package load.
// With -http2, -c is the connections, each with -streams users.
func (o *options) config() load.Config {
	cfg := load.Config{
		Users:          o.users,
		Rate:           o.rate,
		Stages:         o.stages,
		Shard:          o.shard,
		Duration:       o.duration,
		Reps:           o.reps,
		KeepAlive:      o.keepAlive,
		Timeout:        o.timeout,
		MaxHeaderBytes: o.maxHeader,
		Random:         o.internet,
		HTTP2:          o.http2,
	}
	if o.http2 {
		cfg.Streams = max(o.streams, 1)
		cfg.Users *= cfg.Streams
	}
	for _, r := range o.requests {
		cfg.Targets = append(cfg.Targets, r.target)
	}
	if len(cfg.Targets) == 0 && o.target != nil {
		cfg.URL = o.target.String() // requests not built: a GET of the URL
	}
	return cfg
}

// describe says what the run will do, for the line gosiege prints before it
// starts.
func (o *options) describe() string {
	var b strings.Builder
	on := o.what()
	if m := o.line.method + o.method; m != "" {
		on = m + " " + on
	}
	if o.urlFile != "" {
		on += map[bool]string{false: ", each user taking them in turn", true: ", each request's picked at random"}[o.internet]
	}
	users := o.users * max(o.streams, 1)
	switch {
	case o.stages != nil:
		var stages []string
		for _, s := range o.stages {
			stages = append(stages, s.String())
		}
		fmt.Fprintf(&b, "open loop of %s on %s, at most %d in flight", strings.Join(stages, ", then "), on, users)
	case o.model() == load.OpenLoop:
		fmt.Fprintf(&b, "open loop of %g requests a second on %s, at most %d in flight", o.rate, on, users)
	default:
		fmt.Fprintf(&b, "%d concurrent users on %s", users, on)
	}
	if o.duration > 0 && o.stages == nil {
		fmt.Fprintf(&b, " for %v", o.duration)
	}
	if o.reps > 0 {
		if o.duration > 0 {
			b.WriteString(" or")
		}
		fmt.Fprintf(&b, " for %d repetitions each", o.reps)
	}
	switch {
	case o.http2:
		fmt.Fprintf(&b, ", over HTTP/2: %d connections of %d streams", o.users, max(o.streams, 1))
	case o.keepAlive:
		b.WriteString(", each on one kept-alive connection")
	default:
		b.WriteString(", a new connection per transaction")
	}
	if o.shard.Count > 1 {
		fmt.Fprintf(&b, "; this is shard %s, with %d of the users", o.shard, o.shard.Share(o.users)*max(o.streams, 1))
		if o.model() == load.OpenLoop {
			fmt.Fprintf(&b, " and requests %d, %d, %d, ... of the schedule", o.shard.Number, o.shard.Number+o.shard.Count, o.shard.Number+2*o.shard.Count)
		}
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
	digits := strings.TrimPrefix(s, "-")
	if strings.Trim(digits, "0123456789") == "" {
		return 0, fmt.Errorf("%s has no unit: write %sS, %sM or %sH (siege reads a bare number as minutes)", s, s, s, s)
	}
	if head, unit := s[:len(s)-1], s[len(s)-1]; strings.ContainsRune("SMH", rune(unit)) &&
		strings.TrimPrefix(head, "-") != "" && strings.Trim(strings.TrimPrefix(head, "-"), "0123456789") == "" {
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
