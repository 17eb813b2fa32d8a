package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/joinall/joinall/load"
)

// jobIndex is the variable in which a Kubernetes Indexed Job gives each
// pod its index, from 0: -shard auto/N reads it.
const jobIndex = "JOB_COMPLETION_INDEX"

// The window of -start-at around the time gosiege checks it: a time that
// has passed by more than lateStart would start this shard after the
// others; one more than aheadStart away is more likely a mistyped date
// than a plan.
const (
	lateStart  = time.Second
	aheadStart = time.Hour
)

// parseStages reads -rate's stages: R:D,R:D,..., each R a rate a second
// and D a duration in -t's forms, at least 1ms.
func parseStages(v string) ([]load.Stage, error) {
	var stages []load.Stage
	for i, part := range strings.Split(v, ",") {
		r, d, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("stage %d, %q: want RATE:DURATION, as 100:10s", i+1, part)
		}
		rate, err := strconv.ParseFloat(r, 64)
		if err != nil {
			return nil, fmt.Errorf("stage %d, %q: %q is not a number", i+1, part, r)
		}
		if err := load.CheckRate(rate); err != nil {
			return nil, fmt.Errorf("stage %d, %q: rate %v: %w", i+1, part, rate, err)
		}
		dur, err := parseDuration(d)
		if err != nil {
			return nil, fmt.Errorf("stage %d, %q: %w", i+1, part, err)
		}
		if dur < time.Millisecond {
			return nil, fmt.Errorf("stage %d, %q: %v: too short: at least 1ms", i+1, part, dur)
		}
		stages = append(stages, load.Stage{Rate: rate, Duration: dur})
	}
	if len(stages) > load.MaxStages {
		return nil, fmt.Errorf("%d stages, more than %d", len(stages), load.MaxStages)
	}
	if (&load.Config{Stages: stages, URL: "http://127.0.0.1/", Users: 1}).Check() != nil {
		// The sums: longer than a Duration holds, or more requests than
		// one run schedules.
		return nil, (&load.Config{Stages: stages, URL: "http://127.0.0.1/", Users: 1}).Check()
	}
	return stages, nil
}

// rateText is -rate as a benchmark's name gives it: 2000, or the stages,
// 100:10s,1000:30s.
func (o *options) rateText() string {
	if o.stages == nil {
		return strconv.FormatFloat(o.rate, 'g', -1, 64)
	}
	var parts []string
	for _, s := range o.stages {
		parts = append(parts, strconv.FormatFloat(s.Rate, 'g', -1, 64)+":"+s.Duration.String())
	}
	return strings.Join(parts, ",")
}

// stagesLength is the stages' sum.
func stagesLength(stages []load.Stage) time.Duration {
	var d time.Duration
	for _, s := range stages {
		d += s.Duration
	}
	return d
}

// parseShard reads -shard I/N, I from 1 to N, or auto/N.
func parseShard(v string) (s load.Shard, auto bool, err error) {
	i, n, ok := strings.Cut(v, "/")
	count, nerr := strconv.Atoi(n)
	switch {
	case !ok || nerr != nil:
		return s, false, errors.New("want I/N (shard I of N, from 1) or auto/N")
	case count < 1 || count > load.MaxParts:
		return s, false, fmt.Errorf("%d shards: from 1 to %d", count, load.MaxParts)
	case i == "auto":
		return load.Shard{Count: count}, true, nil
	}
	number, err := strconv.Atoi(i)
	if err != nil || number < 1 || number > count {
		return s, false, fmt.Errorf("shard %q of %d: a number from 1 to %d", i, count, count)
	}
	return load.Shard{Number: number, Count: count}, false, nil
}

// shardText is -shard as given.
func (o *options) shardText() string {
	if o.shardAuto {
		return fmt.Sprintf("auto/%d", o.shard.Count)
	}
	return o.shard.String()
}

// resolveShard takes -shard auto/N's number from JOB_COMPLETION_INDEX, plus
// one.
func (o *options) resolveShard(lookupEnv func(string) (string, bool)) error {
	if !o.shardAuto {
		return nil
	}
	v, ok := lookupEnv(jobIndex)
	if !ok {
		return fmt.Errorf("-shard auto/%d: %s is not set: run in a Kubernetes Indexed Job, or give the shard's number (-shard 1/%d)", o.shard.Count, jobIndex, o.shard.Count)
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= o.shard.Count {
		return fmt.Errorf("-shard auto/%d: %s=%q: not an index from 0 to %d", o.shard.Count, jobIndex, v, o.shard.Count-1)
	}
	o.shard.Number = i + 1
	return nil
}

// checkStartAt checks -start-at against now: passed by at most lateStart,
// at most aheadStart away.
func (o *options) checkStartAt(now time.Time) error {
	switch at := o.startAt; {
	case at.IsZero():
		return nil
	case now.Sub(at) > lateStart:
		return fmt.Errorf("-start-at %s: %v ago, more than %v: this shard would start after the others; give a time ahead of every shard's start", at.Format(time.RFC3339Nano), now.Sub(at).Round(time.Millisecond), lateStart)
	case at.Sub(now) > aheadStart:
		return fmt.Errorf("-start-at %s: %v ahead, more than %v: is the date right?", at.Format(time.RFC3339Nano), at.Sub(now).Round(time.Second), aheadStart)
	}
	return nil
}

// waitStart waits until -start-at, or until ctx ends.
func (s session) waitStart(ctx context.Context, o options) error {
	if o.startAt.IsZero() {
		return nil
	}
	d := time.Until(o.startAt)
	if d <= 0 {
		return nil
	}
	fmt.Fprintf(s.stderr, "** gosiege: waiting %v, until %s, to start\n", d.Round(time.Millisecond), o.startAt.UTC().Format(time.RFC3339Nano))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// warnDealt warns when a URL list is dealt unevenly between the shards:
// the shards with fewer URLs then load each of theirs more often than one
// run would.
func (s session) warnDealt(o options) {
	n, c := len(o.requests), o.shard.Count
	if c < 2 || n < c || n%c == 0 {
		return
	}
	fmt.Fprintf(s.stderr, "gosiege: warning: %d URLs dealt between %d shards: this one loads %d of them; a shard with fewer loads each of its URLs more often than one run would (give a multiple of %d URLs for even shares)\n",
		n, c, len(o.shard.Deal(n)), c)
}
