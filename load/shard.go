package load

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// A Shard is one of the processes (or machines) that share one run, each
// with its share, so that their reports merge into the run's (see
// Config.Shard and the package doc).
type Shard struct {
	// Number is the shard's, from 1 to Count.
	Number int
	// Count is how many shards share the run; 0 or 1 is the whole run in
	// one process.
	Count int
}

// String returns "2/4", as gosiege -shard takes it.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Number, s.Count) }

// sharded reports whether the run is shared between processes.
func (s Shard) sharded() bool { return s.Count > 1 }

// index and count are the shard's number from 0, and the shards: 0 of 1
// for the whole run.
func (s Shard) index() int {
	if !s.sharded() {
		return 0
	}
	return s.Number - 1
}

func (s Shard) count() int { return max(s.Count, 1) }

// Share returns the shard's share of n things: n/Count, and one more for
// each of the first n mod Count shards, so that the shares add up to n
// exactly: 10 users over 3 shards are 4, 3 and 3.
func (s Shard) Share(n int) int {
	c, i := s.count(), s.index()
	q := n / c
	if i < n%c {
		q++
	}
	return q
}

// Deal returns the shard's share of a list of n things, by their places:
// those whose place is the shard's number (from 0) modulo Count, as cards
// are dealt. A list shorter than Count is not dealt: every shard has it
// whole.
func (s Shard) Deal(n int) []int {
	c, i := s.count(), s.index()
	var out []int
	for j := range n {
		if n < c || j%c == i {
			out = append(out, j)
		}
	}
	return out
}

// checkShard reports what is wrong with cfg's Shard.
func (cfg *Config) checkShard() error {
	s := cfg.Shard
	unit := cfg.userUnit()
	switch {
	case s.Count < 0 || s.Count > MaxParts:
		return fmt.Errorf("load: Shard %v: Count must be from 0 to %d", s, MaxParts)
	case !s.sharded() && s.Number != 0 && s.Number != s.Count:
		return fmt.Errorf("load: Shard %v: Number must be from 1 to Count", s)
	case s.sharded() && (s.Number < 1 || s.Number > s.Count):
		return fmt.Errorf("load: Shard %v: Number must be from 1 to Count", s)
	case s.sharded() && cfg.Users/unit < s.Count:
		if unit > 1 {
			return fmt.Errorf("load: Shard %v: %d HTTP/2 connections cannot be shared between %d shards: each needs one", s, cfg.Users/unit, s.Count)
		}
		return fmt.Errorf("load: Shard %v: %d users cannot be shared between %d shards: each needs one", s, cfg.Users, s.Count)
	}
	return nil
}

// userUnit is what a shard's share of the users is counted in: users, or
// over HTTP/2 connections of Streams users each.
func (cfg *Config) userUnit() int {
	if cfg.HTTP2 {
		return max(cfg.Streams, 1)
	}
	return 1
}

// shardUsers is the shard's share of cfg.Users.
func (cfg *Config) shardUsers() int {
	unit := cfg.userUnit()
	return cfg.Shard.Share(cfg.Users/unit) * unit
}

// maxHostLen and maxVersionLen bound what a Part says of its machine and
// its build, as a report records them and a merge reads them.
const (
	maxHostLen    = 255 // a DNS name's longest
	maxVersionLen = 128
)

// hostname is the name of the machine a part runs on, for its report: the
// kernel's, or "" when it has none.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || len(h) > maxHostLen {
		return ""
	}
	return h
}

// modulePath is the module of this package, whose version a report names.
const modulePath = "github.com/joinall/joinall"

// version names the build of this package that made a part, for its
// report: the module's version as the go command recorded it, and, for a
// build from a checkout, the commit it was built from ("(devel)
// 0123456789ab", "-dirty" when the checkout had changes).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if info.Main.Path != modulePath {
		v = "unknown"
		for _, dep := range info.Deps {
			if dep.Path == modulePath {
				v = dep.Version
			}
		}
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" && info.Main.Path == modulePath {
		v += " " + rev[:min(len(rev), 12)] + dirty
	}
	return truncate(v, maxVersionLen)
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// checkShards checks what Settings say of the shards against the parts of
// a report: each part's shard number between 1 and Settings.Shards when
// the run was shared, 0 when it was not; and the report's users, the sum
// of its shards' shares.
func (r *Report) checkShards() error {
	n := r.Settings.Shards
	if n == 0 {
		for _, p := range r.Parts {
			if p.Shard != 0 {
				return fmt.Errorf("part %s: shard %d of a run that was not shared", p.ID, p.Shard)
			}
		}
		return nil
	}
	users := 0
	seen := make(map[int]bool, len(r.Parts))
	for _, p := range r.Parts {
		switch {
		case p.Shard < 1 || p.Shard > n:
			return fmt.Errorf("part %s: shard %d: not from 1 to %d", p.ID, p.Shard, n)
		case seen[p.Shard]:
			return fmt.Errorf("shard %d/%d twice", p.Shard, n)
		}
		seen[p.Shard] = true
		users += Shard{Number: p.Shard, Count: n}.Share(r.Settings.Users/r.Settings.userUnit()) * r.Settings.userUnit()
	}
	if users != r.Users {
		return fmt.Errorf("users %d: the shares of its shards of %d are %d", r.Users, r.Settings.Users, users)
	}
	return nil
}

// userUnit is Config.userUnit, for a run's settings.
func (s Settings) userUnit() int {
	if s.Streams > 0 {
		return s.Streams
	}
	return 1
}

// checkShardSettings checks what Settings say of a shared run.
func (s Settings) checkShardSettings() error {
	switch {
	case s.Shards < 0 || s.Shards == 1 || s.Shards > MaxParts:
		return fmt.Errorf("shards %d: not 0 (a run in one process) or from 2 to %d", s.Shards, MaxParts)
	case s.Shards == 0 && (s.Users != 0 || s.Rate != 0):
		return errors.New("users and rate of the whole run in a run that was not shared")
	case s.Shards > 0 && s.Users/s.userUnit() < s.Shards:
		return fmt.Errorf("users %d shared between %d shards", s.Users, s.Shards)
	case s.Shards > 0 && s.Model == OpenLoop && len(s.Stages) == 0 && CheckRate(s.Rate) != nil:
		return fmt.Errorf("rate %v: %w", s.Rate, CheckRate(s.Rate))
	case s.Shards > 0 && (s.Model == ClosedLoop || len(s.Stages) > 0) && s.Rate != 0:
		return fmt.Errorf("rate %v of a run without one constant rate", s.Rate)
	}
	return nil
}

// partName names a part for the rows of a merged report: its shard, or
// its identity's first letters.
func (r *Report) partName(p Part) string {
	if r.Settings.Shards > 0 {
		return Shard{Number: p.Shard, Count: r.Settings.Shards}.String()
	}
	return strings.ToLower(p.ID[:min(len(p.ID), 8)])
}

// WriteParts writes a row for each part of the report, in the text
// layout's columns: its rate achieved, transactions, failures, unsent and
// p99, when it started after the first part (by each machine's clock),
// and which it was: its shard (or its identity's first letters), host and
// version. Printed before a merged report, the rows show a part whose
// generator could not keep up: its unsent and its p99 stand out.
func (r *Report) WriteParts(w io.Writer) error {
	if len(r.Parts) == 0 {
		return nil
	}
	first := r.Parts[0].Start
	for _, p := range r.Parts {
		if p.Start.Before(first) {
			first = p.Start
		}
	}
	bw := bufio.NewWriter(w)
	head := "Per part:"
	if r.Settings.Shards > 0 {
		head = "Per shard:"
	}
	fmt.Fprintf(bw, "%s%s%12s %12s %12s %12s %12s %12s  %s\n", head, tabsTo(len(head), 24),
		"trans/sec", "trans", "failed", "unsent", "p99 ms", "start s", "part, host, version")
	for _, p := range r.Parts {
		fmt.Fprintf(bw, "%s%12.2f %12d %12d %12d %12.3f %+12.3f  %s %s %s\n", tabsTo(0, 24),
			p.TransactionRate(), p.Transactions, p.Failed, p.Unsent, ms(p.P99), p.Start.Sub(first).Seconds(),
			r.partName(p), cmp.Or(p.Host, "-"), cmp.Or(p.Version, "-"))
	}
	return bw.Flush()
}
