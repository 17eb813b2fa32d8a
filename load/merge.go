package load

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// MaxParts bounds the parts of one merge, and of one report: what a merge
// keeps of each part (its identity and times) is what grows with their
// number.
const MaxParts = 10_000

// Merge returns the report that one run of all the reports' users together
// would have given, as a Merger makes it, or why no run could have.
func Merge(reports ...*Report) (*Report, error) {
	var m Merger
	for i, r := range reports {
		if err := m.Add(r); err != nil {
			return nil, fmt.Errorf("load: merge report %d: %w", i+1, err)
		}
	}
	return m.Report()
}

// A Merger merges the reports of the parts of one run, split across
// processes or machines, one report at a time, so that its memory does not
// grow with their number (beyond a few dozen bytes a part, MaxParts at
// most): every count and sum is the sum of theirs, the elapsed time the
// longest, and every rate, mean and percentile follows from the merged
// sums and the merged histograms, as one run of all the reports' users
// would have given them. Averaging percentiles would not be a merge. The
// zero Merger is ready to use.
type Merger struct {
	m     *Report
	first Settings
	ids   map[string]bool
	urls  map[string]int // the place of each method and URL in m.URLs
	// shards are the shards merged so far, by number, for a run of
	// shards; lastStart and firstEnd the parts that started last and
	// ended first, between which every part ran.
	shards              map[int]bool
	lastStart, firstEnd Part
}

// Add adds the report of one part of the run, or of several merged
// before, after checking that a run could have made it, and that it
// belongs with the reports added before: the same settings (see Settings),
// no part that another report has already, and sums that do not overflow;
// for a run of shards, no shard that another report has already, and
// parts that ran at the same time, each starting before any ended. A
// report that is refused changes nothing.
func (g *Merger) Add(r *Report) error {
	if err := r.check(); err != nil {
		return err
	}
	if g.m == nil {
		g.m = &Report{latency: newHistogram(), Settings: r.Settings}
		g.first = r.Settings
		g.ids = map[string]bool{}
		g.urls = map[string]int{}
		g.shards = map[int]bool{}
		g.lastStart, g.firstEnd = r.Parts[0], r.Parts[0]
	} else if diff := r.Settings.differ(g.first); diff != "" {
		return fmt.Errorf("its settings differ from the first report's: %s", diff)
	}
	for _, p := range r.Parts {
		if g.ids[p.ID] {
			return fmt.Errorf("the same run as an earlier report (part %s)", p.ID)
		}
		if g.shards[p.Shard] {
			return fmt.Errorf("shard %d/%d twice: a run of another of its reports", p.Shard, r.Settings.Shards)
		}
	}
	lastStart, firstEnd := g.lastStart, g.firstEnd
	for _, p := range r.Parts {
		if p.Start.After(lastStart.Start) {
			lastStart = p
		}
		if p.End.Before(firstEnd.End) {
			firstEnd = p
		}
	}
	if r.Settings.Shards > 0 && lastStart.Start.After(firstEnd.End) {
		return fmt.Errorf("the shards did not run at the same time: shard %d/%d (%s) ran from %s to %s, and shard %d/%d (%s) started at %s",
			firstEnd.Shard, r.Settings.Shards, firstEnd.Host, stamp(firstEnd.Start), stamp(firstEnd.End),
			lastStart.Shard, r.Settings.Shards, lastStart.Host, stamp(lastStart.Start))
	}
	if len(g.ids)+len(r.Parts) > MaxParts {
		return fmt.Errorf("more than %d parts in one merge", MaxParts)
	}
	if len(g.m.URLs)+newURLs(r, g.urls) > MaxURLs {
		return fmt.Errorf("more than %d methods and URLs in one merge", MaxURLs)
	}
	if err := g.m.fits(r); err != nil {
		return err
	}
	for _, p := range r.Parts {
		g.ids[p.ID] = true
		if r.Settings.Shards > 0 {
			g.shards[p.Shard] = true
		}
	}
	g.lastStart, g.firstEnd = lastStart, firstEnd
	g.m.Parts = append(g.m.Parts, r.Parts...)
	g.m.add(r)
	g.m.addURLs(r, g.urls)
	g.m.addStages(r)
	return nil
}

// stamp is a part's time as a merge's messages show it: RFC 3339, to the
// millisecond.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// Report returns the merged report of the reports added so far; for a run
// of shards, only once every shard is there, with the whole run's rate.
func (g *Merger) Report() (*Report, error) {
	if g.m == nil {
		return nil, errors.New("load: merge: no report")
	}
	if n := g.first.Shards; n > 0 && len(g.shards) < n {
		var missing []string
		for i := 1; i <= n && len(missing) < 10; i++ {
			if !g.shards[i] {
				missing = append(missing, Shard{Number: i, Count: n}.String())
			}
		}
		more := ""
		if k := n - len(g.shards) - len(missing); k > 0 {
			more = fmt.Sprintf(" and %d more", k)
		}
		return nil, fmt.Errorf("load: merge: shard %s%s missing: a run of %d shards merges only whole", strings.Join(missing, ", "), more, n)
	}
	r := *g.m
	if r.Settings.Shards > 0 {
		// The shards' shares add up to the whole, which the settings
		// say exactly; their sum in floating point may not.
		r.Rate = r.Settings.Rate
		if len(r.Stages) > 0 {
			r.Rate = 0
			for _, s := range r.Settings.Stages {
				r.Rate += s.Rate * s.Duration.Seconds()
			}
			r.Rate /= r.Settings.Duration.Seconds()
		}
	}
	r.Stages = make([]StageReport, len(g.m.Stages))
	for i, s := range g.m.Stages {
		s.latency = s.latency.Clone()
		if r.Settings.Shards > 0 {
			s.Rate = r.Settings.Stages[i].Rate
		}
		s.fill()
		r.Stages[i] = s
	}
	if len(r.Stages) == 0 {
		r.Stages = nil
	}
	r.Parts = append([]Part(nil), g.m.Parts...)
	r.latency = g.m.latency.Clone()
	if g.m.service != nil {
		r.service = g.m.service.Clone()
	}
	r.URLs = make([]URLReport, len(g.m.URLs))
	for i, u := range g.m.URLs {
		u.latency = u.latency.Clone()
		u.fill()
		r.URLs[i] = u
	}
	r.fill()
	return &r, nil
}

// collect returns the report of what recs recorded: its counts, sums and
// histograms. The caller sets what the recorders do not know (Elapsed,
// Users, ...) and fills in the rest. The counts of one run fit an int.
func collect(recs []*recorder) *Report {
	m := &Report{latency: newHistogram()}
	for _, rec := range recs {
		m.add(rec.snapshot())
	}
	return m
}

// add adds r's counts, sums and histograms to m's.
func (m *Report) add(r *Report) {
	timed := m.latency.TotalCount()
	m.Transactions += r.Transactions
	m.Failed += r.Failed
	m.Successful += r.Successful
	m.Bytes += r.Bytes
	m.total += r.total
	m.Failures.add(r.Failures)
	m.Users += r.Users
	m.Rate += r.Rate
	m.Unsent += r.Unsent
	m.Cut += r.Cut
	m.PeakInFlight += r.PeakInFlight
	m.Elapsed = max(m.Elapsed, r.Elapsed)
	m.Drain = max(m.Drain, r.Drain)
	m.Longest = max(m.Longest, r.Longest)
	m.Service.Max = max(m.Service.Max, r.Service.Max)
	if r.latency != nil && r.latency.TotalCount() > 0 {
		if timed == 0 || r.Shortest < m.Shortest {
			m.Shortest = r.Shortest
		}
		m.latency.Merge(r.latency)
	}
	if r.service != nil {
		if m.service == nil {
			m.service = newHistogram()
		}
		m.service.Merge(r.service)
	}
}

// fits reports whether r's counts and sums can be added to m's without
// overflowing.
func (m *Report) fits(r *Report) error {
	sums := []struct {
		name string
		a, b int64
	}{
		{"transactions", int64(m.Transactions), int64(r.Transactions)},
		{"failed_transactions", int64(m.Failed), int64(r.Failed)},
		{"transactions and failed_transactions", int64(m.Transactions) + int64(m.Failed), int64(r.Transactions) + int64(r.Failed)},
		{"successful_transactions", int64(m.Successful), int64(r.Successful)},
		{"bytes", m.Bytes, r.Bytes},
		{"time_total_ns", int64(m.total), int64(r.total)},
		{"users", int64(m.Users), int64(r.Users)},
		{"unsent", int64(m.Unsent), int64(r.Unsent)},
		{"cut", int64(m.Cut), int64(r.Cut)},
		{"peak_in_flight", int64(m.PeakInFlight), int64(r.PeakInFlight)},
	}
	for _, k := range failureKinds {
		sums = append(sums, struct {
			name string
			a, b int64
		}{k.key, int64(*k.count(&m.Failures)), int64(*k.count(&r.Failures))})
	}
	for _, s := range sums {
		if s.b > math.MaxInt64-s.a { // both are at least 0: check says so
			return fmt.Errorf("%s: the sum overflows", s.name)
		}
	}
	if math.IsInf(m.Rate+r.Rate, 0) {
		return errors.New("rate: the sum overflows")
	}
	return nil
}

// differ says how s differs from t, the first setting that does: "" when
// they are the same.
func (s Settings) differ(t Settings) string {
	switch {
	case s.Model != t.Model:
		return fmt.Sprintf("model %v, not %v", s.Model, t.Model)
	case s.Target != t.Target:
		return fmt.Sprintf("target %q, not %q", s.Target, t.Target)
	case s.KeepAlive != t.KeepAlive:
		return fmt.Sprintf("keepalive %t, not %t", s.KeepAlive, t.KeepAlive)
	case s.Timeout != t.Timeout:
		return fmt.Sprintf("timeout %v, not %v", s.Timeout, t.Timeout)
	case s.Duration != t.Duration:
		return fmt.Sprintf("duration %v, not %v", s.Duration, t.Duration)
	case s.Reps != t.Reps:
		return fmt.Sprintf("reps %d, not %d", s.Reps, t.Reps)
	case s.MaxHeaderBytes != t.MaxHeaderBytes:
		return fmt.Sprintf("max_header_bytes %d, not %d", s.MaxHeaderBytes, t.MaxHeaderBytes)
	case s.Requests != t.Requests || s.RequestsDigest != t.RequestsDigest:
		return fmt.Sprintf("a list of %d requests (sha256 %.12s), not %d (sha256 %.12s)", s.Requests, s.RequestsDigest, t.Requests, t.RequestsDigest)
	case s.Protocol != t.Protocol:
		return fmt.Sprintf("protocol %q, not %q", s.Protocol, t.Protocol)
	case s.Streams != t.Streams:
		return fmt.Sprintf("streams %d, not %d", s.Streams, t.Streams)
	case !slices.Equal(s.Stages, t.Stages):
		return fmt.Sprintf("stages %s, not %s", stagesText(s.Stages), stagesText(t.Stages))
	case s.Shards != t.Shards:
		return fmt.Sprintf("a run of %d shards, not %d", s.Shards, t.Shards)
	case s.Users != t.Users:
		return fmt.Sprintf("users %d in all, not %d", s.Users, t.Users)
	case s.Rate != t.Rate:
		return fmt.Sprintf("rate %s/s in all, not %s/s", number(s.Rate), number(t.Rate))
	}
	return ""
}

// check reports the first thing in r that no run could have made: its
// settings, counts below 0, figures that contradict each other, and
// histograms that do not hold the report's times.
func (r *Report) check() error {
	if err := r.Settings.check(); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if err := checkParts(r.Parts); err != nil {
		return err
	}
	counts := []struct {
		name string
		v    int64
	}{
		{"transactions", int64(r.Transactions)}, {"failed_transactions", int64(r.Failed)},
		{"successful_transactions", int64(r.Successful)}, {"bytes", r.Bytes},
		{"unsent", int64(r.Unsent)}, {"cut", int64(r.Cut)}, {"peak_in_flight", int64(r.PeakInFlight)},
		{"elapsed_ns", int64(r.Elapsed)}, {"time_total_ns", int64(r.total)},
		{"shortest_ns", int64(r.Shortest)}, {"longest_ns", int64(r.Longest)},
		{"drain_ns", int64(r.Drain)}, {"service_max_ns", int64(r.Service.Max)},
	}
	for _, k := range failureKinds {
		counts = append(counts, struct {
			name string
			v    int64
		}{k.key, int64(*k.count(&r.Failures))})
	}
	for _, c := range counts {
		if c.v < 0 {
			return fmt.Errorf("%s: %d, below 0", c.name, c.v)
		}
	}
	kinds := int64(0)
	for _, k := range failureKinds {
		v := int64(*k.count(&r.Failures))
		if v > math.MaxInt64-kinds {
			return errors.New("failures by kind: the sum overflows")
		}
		kinds += v
	}
	if kinds != int64(r.Failed) {
		return fmt.Errorf("failures by kind add up to %d, not failed_transactions %d", kinds, r.Failed)
	}
	switch {
	case r.Users < 1:
		return fmt.Errorf("users: %d, not at least 1", r.Users)
	case r.Successful > r.Transactions:
		return fmt.Errorf("successful_transactions %d above transactions %d", r.Successful, r.Transactions)
	case int64(r.Transactions) > math.MaxInt64-int64(r.Failed):
		return errors.New("transactions and failed_transactions: the sum overflows")
	case r.Shortest > r.Longest:
		return errors.New("shortest_ns above longest_ns")
	}
	if err := r.checkModel(); err != nil {
		return err
	}
	if err := r.checkHistograms(); err != nil {
		return err
	}
	if err := r.checkURLs(); err != nil {
		return err
	}
	if err := r.checkStages(); err != nil {
		return err
	}
	if err := r.checkShards(); err != nil {
		return err
	}
	return r.checkPartFigures()
}

// checkModel checks what the model says of the report.
func (r *Report) checkModel() error {
	if r.Settings.Model == ClosedLoop {
		switch {
		case r.Rate != 0:
			return fmt.Errorf("rate %v in a closed loop", r.Rate)
		case r.Unsent != 0 || r.PeakInFlight != 0 || r.Drain != 0 || r.service != nil:
			return errors.New("figures of the open loop in a closed loop")
		}
		return nil
	}
	switch {
	case !(r.Rate > 0) || math.IsInf(r.Rate, 0):
		return fmt.Errorf("rate %v in an open loop: not a positive number", r.Rate)
	case r.service == nil:
		return errors.New("no service_histogram in an open loop")
	case r.Elapsed > r.Settings.Duration:
		return fmt.Errorf("elapsed_ns %d longer than the open loop's duration %v", r.Elapsed, r.Settings.Duration)
	}
	// Each part sent at most rate x elapsed requests and one more (its
	// first, at the start): its unsent and cut are fewer. A ramp's stages
	// are checked each at its own rate.
	if due := r.Rate*r.Elapsed.Seconds() + float64(len(r.Parts)); len(r.Stages) == 0 && float64(r.Unsent)+float64(r.Cut) > due {
		return fmt.Errorf("unsent %d and cut %d, more than the %.0f requests due at %s/s for %v", r.Unsent, r.Cut, due, number(r.Rate), r.Elapsed)
	}
	return nil
}

// checkHistograms checks that the histograms hold the report's times: the
// hits' and the failing statuses', each no shorter than the shortest and
// no longer than the longest.
func (r *Report) checkHistograms() error {
	if r.latency == nil {
		return errors.New("no histogram")
	}
	n := r.latency.TotalCount()
	if n < int64(r.Transactions) || n > int64(r.Transactions)+int64(r.Failed) {
		return fmt.Errorf("the histogram holds %d times for %d transactions and %d failures", n, r.Transactions, r.Failed)
	}
	if n == 0 {
		if r.Longest != 0 || r.total != 0 {
			return errors.New("times without a histogram of them")
		}
		return nil
	}
	if r.latency.Max() < int64((r.Longest+histUnit-1)/histUnit) || r.latency.Min() > int64((r.Shortest+histUnit-1)/histUnit) {
		return errors.New("the histogram does not hold the shortest and longest times")
	}
	// T is between n times the shortest and n times the longest.
	if t, nn := r.total.Seconds(), float64(n); t < nn*r.Shortest.Seconds()*(1-1e-9) || t > nn*r.Longest.Seconds()*(1+1e-9) {
		return fmt.Errorf("time_total_ns %d outside %d times from shortest to longest", r.total, n)
	}
	if r.service != nil && r.service.TotalCount() != n {
		return fmt.Errorf("the service histogram holds %d times, the histogram %d", r.service.TotalCount(), n)
	}
	return nil
}

// check reports the first setting that no run could have had.
func (s Settings) check() error {
	switch {
	case s.Model != ClosedLoop && s.Model != OpenLoop:
		return fmt.Errorf("model %v", s.Model)
	case s.Target == "" || Redact(s.Target) != s.Target:
		return fmt.Errorf("target %q: not a URL without user information", Redact(s.Target))
	case s.Timeout <= 0 || s.Timeout > MaxTimeout:
		return fmt.Errorf("timeout %v: not from 1ns to %v", s.Timeout, MaxTimeout)
	case s.Duration < 0 || s.Reps < 0 || s.Duration == 0 && s.Reps == 0:
		return fmt.Errorf("duration %v and reps %d: a run ends by one of them", s.Duration, s.Reps)
	case s.Model == OpenLoop && (s.Duration == 0 || s.Reps != 0):
		return errors.New("an open loop runs for a duration, not by reps")
	case s.MaxHeaderBytes < 1 || s.MaxHeaderBytes > MaxHeaderBytesLimit:
		return fmt.Errorf("max_header_bytes %d: not from 1 to %d", s.MaxHeaderBytes, MaxHeaderBytesLimit)
	case s.Requests < 1:
		return fmt.Errorf("requests %d: not at least 1", s.Requests)
	case !isDigest(s.RequestsDigest):
		return fmt.Errorf("requests_sha256 %q: not 64 hex digits", s.RequestsDigest)
	case !slices.Contains(protocols, s.Protocol):
		return fmt.Errorf("protocol %q: not one of %q", s.Protocol, protocols)
	case s.Streams < 0 || s.Streams > 0 && s.Protocol == HTTP1:
		return fmt.Errorf("streams %d over %s", s.Streams, s.Protocol)
	}
	if _, err := ParseURL(s.Target); err != nil {
		return err
	}
	if err := s.checkStages(); err != nil {
		return err
	}
	return s.checkShardSettings()
}

// checkStages checks a ramp's stages, as Config.Check checks them.
func (s Settings) checkStages() error {
	if len(s.Stages) == 0 {
		return nil
	}
	if s.Model != OpenLoop {
		return errors.New("stages of a closed loop")
	}
	cfg := Config{Stages: s.Stages, Duration: s.Duration}
	if err := cfg.checkStages(); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "load: "))
	}
	if cfg.length() != s.Duration {
		return fmt.Errorf("stages of %v in all, for a duration of %v", cfg.length(), s.Duration)
	}
	return nil
}

// stagesText names stages in a message: "[100/s for 10s 1000/s for 30s]".
func stagesText(stages []Stage) string {
	if len(stages) == 0 {
		return "none"
	}
	return fmt.Sprint(stages)
}

// checkParts checks that a report is of at least one part, and of each
// once, with a start before its end, and a host and version that print as
// one line.
func checkParts(parts []Part) error {
	if len(parts) == 0 || len(parts) > MaxParts {
		return fmt.Errorf("%d parts: not from 1 to %d", len(parts), MaxParts)
	}
	seen := make(map[string]bool, len(parts))
	for _, p := range parts {
		switch {
		case p.ID == "" || len(p.ID) > 64 || !printable(p.ID):
			return fmt.Errorf("part %q: an identity of 1 to 64 printable characters", p.ID)
		case seen[p.ID]:
			return fmt.Errorf("part %s twice", p.ID)
		case p.Start.IsZero() || p.End.Before(p.Start):
			return fmt.Errorf("part %s: start %v, end %v", p.ID, p.Start, p.End)
		case len(p.Host) > maxHostLen || !printable(p.Host):
			return fmt.Errorf("part %s: host %q: not %d printable characters at most", p.ID, truncate(p.Host, maxHostLen), maxHostLen)
		case len(p.Version) > maxVersionLen || !printable(p.Version):
			return fmt.Errorf("part %s: version %q: not %d printable characters at most", p.ID, truncate(p.Version, maxVersionLen), maxVersionLen)
		case p.Transactions < 0 || p.Failed < 0 || p.Unsent < 0 || p.Elapsed < 0 || p.P99 < 0:
			return fmt.Errorf("part %s: figures below 0", p.ID)
		}
		seen[p.ID] = true
	}
	return nil
}

// printable reports whether s is UTF-8 without control characters.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// checkPartFigures checks the parts' figures against the report's: a
// report of one part has the part's own figures, and a merged report the
// sums of its parts' transactions, failures and unsent; no part ran longer
// than the report or has a p99 beyond its longest time.
func (r *Report) checkPartFigures() error {
	var hits, failed, unsent int64
	for _, p := range r.Parts {
		if p.Elapsed > r.Elapsed || p.P99 > r.Longest {
			return fmt.Errorf("part %s: elapsed_ns %d or response_time_p99_ns %d beyond the report's", p.ID, p.Elapsed, p.P99)
		}
		hits += int64(p.Transactions)
		failed += int64(p.Failed)
		unsent += int64(p.Unsent)
	}
	if hits != int64(r.Transactions) || failed != int64(r.Failed) || unsent != int64(r.Unsent) {
		return fmt.Errorf("the parts hold %d transactions, %d failures and %d unsent, the report %d, %d and %d",
			hits, failed, unsent, r.Transactions, r.Failed, r.Unsent)
	}
	if len(r.Parts) == 1 {
		p := r.Parts[0]
		if p.Elapsed != r.Elapsed || p.P99 != percentile(r.latency, 99, r.Longest) {
			return fmt.Errorf("part %s: elapsed_ns %d and response_time_p99_ns %d, not the report's", p.ID, p.Elapsed, p.P99)
		}
	}
	return nil
}

// decodeHistogram decodes a histogram that WriteJSON wrote, only if it has
// the driver's geometry: it reads the geometry from the encoding's header
// before the counts, so that a histogram of another geometry, of millions
// of buckets, is refused before it takes any memory. One of the driver's
// holds at most 28,672 buckets, about 344 KB.
func decodeHistogram(s string) (*hdrhistogram.PackedHistogram, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(b) < 8 || int32(binary.BigEndian.Uint32(b))&^0xf0 != hdrhistogram.V2CompressedEncodingCookieBase {
		return nil, errors.New("not a compressed V2 histogram")
	}
	z, err := zlib.NewReader(bytes.NewReader(b[8:]))
	if err != nil {
		return nil, err
	}
	var h struct {
		Cookie, PayloadLength, NormalizingIndexOffset, Digits int32
		Lowest, Highest                                       int64
		Ratio                                                 float64
	}
	if err := binary.Read(io.LimitReader(z, 40), binary.BigEndian, &h); err != nil {
		return nil, fmt.Errorf("its header: %w", err)
	}
	want := newHistogram()
	if int64(h.Digits) != want.SignificantFigures() || h.Lowest != want.LowestTrackableValue() || h.Highest != want.HighestTrackableValue() {
		return nil, fmt.Errorf("%d significant digits from %d to %d, not the driver's %d from %d to %d",
			h.Digits, h.Lowest, h.Highest, want.SignificantFigures(), want.LowestTrackableValue(), want.HighestTrackableValue())
	}
	return hdrhistogram.DecodePacked([]byte(s))
}

// protocols are the values Settings.Protocol may have.
var protocols = []string{HTTP1, H2, H2C, H2 + ", " + H2C, H2C + ", " + H2}

// isDigest reports whether s is a SHA-256 in lower-case hex.
func isDigest(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
