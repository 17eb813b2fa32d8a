package load

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// MaxStages bounds the stages of a ramp (Config.Stages): each has a row,
// with a histogram, in the report.
const MaxStages = 100

// A Stage is a stretch of an open loop at one rate: Rate requests a second
// for Duration.
type Stage struct {
	Rate     float64       `json:"rate"`
	Duration time.Duration `json:"duration_ns"`
}

// String returns "100/s for 10s".
func (s Stage) String() string { return fmt.Sprintf("%s/s for %v", number(s.Rate), s.Duration) }

// stages returns the open loop's stages: Stages, or the one of Rate for
// Duration; none for the closed loop.
func (cfg *Config) stages() []Stage {
	switch {
	case len(cfg.Stages) > 0:
		return cfg.Stages
	case cfg.Rate != 0:
		return []Stage{{Rate: cfg.Rate, Duration: cfg.Duration}}
	}
	return nil
}

// length is the run's length: Duration, or with Stages their sum.
func (cfg *Config) length() time.Duration {
	if len(cfg.Stages) == 0 {
		return cfg.Duration
	}
	var d time.Duration
	for _, s := range cfg.Stages {
		d += s.Duration // checkStages has checked that the sum fits
	}
	return d
}

// checkStages reports what is wrong with cfg's stages: each a rate that
// the schedule can keep for a positive duration, MaxStages at most, their
// lengths and their requests few enough to be counted exactly, and
// Duration 0 or their sum.
func (cfg *Config) checkStages() error {
	if len(cfg.Stages) == 0 {
		return nil
	}
	switch {
	case cfg.Rate != 0:
		return errors.New("load: both Rate and Stages are set: give one")
	case len(cfg.Stages) > MaxStages:
		return fmt.Errorf("load: %d Stages, more than %d", len(cfg.Stages), MaxStages)
	}
	var length time.Duration
	var requests float64
	for i, s := range cfg.Stages {
		switch {
		case CheckRate(s.Rate) != nil:
			return fmt.Errorf("load: Stages[%d]: Rate = %v: %w", i, s.Rate, CheckRate(s.Rate))
		case s.Duration <= 0:
			return fmt.Errorf("load: Stages[%d]: Duration = %v: must be positive", i, s.Duration)
		case s.Duration > math.MaxInt64-length:
			return fmt.Errorf("load: Stages: longer in all than %v", time.Duration(math.MaxInt64))
		}
		length += s.Duration
		requests += s.Rate * s.Duration.Seconds()
	}
	switch {
	case requests > maxScheduled:
		return fmt.Errorf("load: Stages: %.4g requests, more than the 2^53 (%.4g) that one run schedules", requests, float64(maxScheduled))
	case cfg.Duration != 0 && cfg.Duration != length:
		return fmt.Errorf("load: Duration = %v with Stages of %v in all: give 0 or their sum", cfg.Duration, length)
	}
	return nil
}

// A StageReport is one stage's share of an open loop's report, counted as
// the Report counts its own; its response times run from each request's
// intended send (corrected), as the Report's do.
type StageReport struct {
	// Rate is the stage's intended rate, in requests a second (for a
	// shard, its share), and Duration its length.
	Rate     float64
	Duration time.Duration
	// Elapsed is how much of the stage ran: Duration, unless the run was
	// interrupted before its end.
	Elapsed time.Duration
	// Transactions, Failed, Unsent and Cut count the requests that the
	// schedule intended in the stage, a redirect's hops with the request
	// that led to them: over the stages, they add up to the report's.
	Transactions, Failed, Unsent, Cut int
	// TransactionRate is the rate achieved: Transactions / Elapsed.
	TransactionRate float64
	// P50 to P999 are percentiles of the stage's response times, and
	// Longest the longest, as the Report's are of all.
	P50, P90, P99, P999, Longest time.Duration

	latency *hdrhistogram.PackedHistogram
}

// newStageRecs returns the recorders of a measured phase's stages, one
// for each when there are several; nil for one, whose figures are the
// report's own.
func newStageRecs(p *plan, measured bool) []*recorder {
	if !measured || len(p.stages) < 2 {
		return nil
	}
	recs := make([]*recorder, len(p.stages))
	for i := range recs {
		recs[i] = newRecorder(ClosedLoop)
	}
	return recs
}

// stageReports returns the stages' rows of a phase that ran for ran: what
// recs recorded, and how many of each stage's requests were unsent.
func stageReports(p *plan, recs []*recorder, sent []int64, ran time.Duration, shards int) []StageReport {
	if recs == nil {
		return nil
	}
	out := make([]StageReport, len(recs))
	for s, rec := range recs {
		r := rec.snapshot()
		st := &p.stages[s]
		out[s] = StageReport{
			Rate: 1e9 / st.step / float64(shards), Duration: st.length, Elapsed: p.elapsedIn(s, ran),
			Transactions: r.Transactions, Failed: r.Failed, Cut: r.Cut,
			Unsent:  int(p.dueIn(s, ran) - sent[s]),
			Longest: r.Longest, latency: r.latency,
		}
		out[s].fill()
	}
	return out
}

func (s *StageReport) fill() {
	s.TransactionRate = 0
	if e := s.Elapsed.Seconds(); e > 0 {
		s.TransactionRate = float64(s.Transactions) / e
	}
	if s.latency != nil {
		s.P50 = percentile(s.latency, 50, s.Longest)
		s.P90 = percentile(s.latency, 90, s.Longest)
		s.P99 = percentile(s.latency, 99, s.Longest)
		s.P999 = percentile(s.latency, 99.9, s.Longest)
	}
}

// checkStages checks that r's stages could be a run's: one for each of
// its settings' stages, of their lengths, with counts that are not below 0
// and add up to the report's, histograms that hold each stage's times, and
// no more unsent and cut than the stage intended.
func (r *Report) checkStages() error {
	want := r.Settings.Stages
	if len(r.Stages) != len(want) {
		return fmt.Errorf("%d stages for the %d of the settings", len(r.Stages), len(want))
	}
	var hits, failed, unsent, cut int64
	for i, s := range r.Stages {
		name := fmt.Sprintf("stages[%d]", i)
		switch {
		case s.Duration != want[i].Duration:
			return fmt.Errorf("%s: duration %v, not the settings' %v", name, s.Duration, want[i].Duration)
		case s.Transactions < 0 || s.Failed < 0 || s.Unsent < 0 || s.Cut < 0 || s.Longest < 0:
			return fmt.Errorf("%s: counts below 0", name)
		case !(s.Rate > 0 && s.Rate <= want[i].Rate*(1+1e-9)):
			return fmt.Errorf("%s: rate %v: not above 0 and at most the settings' %v", name, s.Rate, want[i].Rate)
		case s.Elapsed < 0 || s.Elapsed > s.Duration:
			return fmt.Errorf("%s: elapsed_ns %d: not from 0 to its duration", name, s.Elapsed)
		case s.Longest > r.Longest:
			return fmt.Errorf("%s: longest_ns %d above the report's %d", name, s.Longest, r.Longest)
		case s.latency == nil:
			return fmt.Errorf("%s has no histogram", name)
		}
		if n := s.latency.TotalCount(); n < int64(s.Transactions) || n > int64(s.Transactions)+int64(s.Failed) {
			return fmt.Errorf("%s: the histogram holds %d times for %d transactions and %d failures", name, n, s.Transactions, s.Failed)
		}
		if s.latency.TotalCount() > 0 && s.latency.Max() < int64((s.Longest+histUnit-1)/histUnit) {
			return fmt.Errorf("%s: the histogram does not hold the longest time", name)
		}
		if due := s.Rate*s.Elapsed.Seconds() + float64(len(r.Parts)); float64(s.Unsent)+float64(s.Cut) > due {
			return fmt.Errorf("%s: unsent %d and cut %d, more than the %.0f requests due at %s/s for %v", name, s.Unsent, s.Cut, due, number(s.Rate), s.Elapsed)
		}
		hits += int64(s.Transactions)
		failed += int64(s.Failed)
		unsent += int64(s.Unsent)
		cut += int64(s.Cut)
	}
	if len(r.Stages) > 0 && (hits != int64(r.Transactions) || failed != int64(r.Failed) || unsent != int64(r.Unsent) || cut != int64(r.Cut)) {
		return fmt.Errorf("the stages hold %d transactions, %d failures, %d unsent and %d cut, the report %d, %d, %d and %d",
			hits, failed, unsent, cut, r.Transactions, r.Failed, r.Unsent, r.Cut)
	}
	return nil
}

// addStages adds r's stages to m's, stage by stage; the merge has checked
// that both have the same.
func (m *Report) addStages(r *Report) {
	if m.Stages == nil && len(r.Stages) > 0 {
		m.Stages = make([]StageReport, len(r.Stages))
		for i, s := range r.Stages {
			m.Stages[i] = StageReport{Duration: s.Duration, latency: newHistogram()}
		}
	}
	for i, s := range r.Stages {
		t := &m.Stages[i]
		t.Rate += s.Rate
		t.Elapsed = max(t.Elapsed, s.Elapsed)
		t.Transactions += s.Transactions
		t.Failed += s.Failed
		t.Unsent += s.Unsent
		t.Cut += s.Cut
		t.Longest = max(t.Longest, s.Longest)
		t.latency.Merge(s.latency)
	}
}

// describeStages says what the stages' rates and lengths are: "100/s for
// 10s, then 1000/s for 30s".
func (r *Report) describeStages() string {
	var b strings.Builder
	for i, s := range r.Stages {
		if i > 0 {
			b.WriteString(", then ")
		}
		b.WriteString(Stage{Rate: s.Rate, Duration: s.Duration}.String())
	}
	return b.String()
}

// writeStagesText writes the stages' rows after the report, when there
// are several: the intended and the achieved rate, the counts and the
// percentiles in columns, the stage's time last.
func (r *Report) writeStagesText(bw *bufio.Writer) {
	if len(r.Stages) < 2 {
		return
	}
	fmt.Fprintf(bw, "\nPer stage:%s%12s %12s %12s %12s %12s %12s %12s  %s\n", tabsTo(10, 24),
		"rate", "trans/sec", "trans", "failed", "unsent", "p50 ms", "p99 ms", "from")
	var at time.Duration
	for _, s := range r.Stages {
		fmt.Fprintf(bw, "%s%12s %12.2f %12d %12d %12d %12.3f %12.3f  %v for %v\n", tabsTo(0, 24),
			number(s.Rate)+"/s", s.TransactionRate, s.Transactions, s.Failed, s.Unsent, ms(s.P50), ms(s.P99), at, s.Duration)
		at += s.Duration
	}
}

// jsonStage is a stage's row in the JSON layout, with what a merge needs:
// the exact counts and times, and the histogram.
type jsonStage struct {
	Rate         float64 `json:"rate"`
	DurationNS   int64   `json:"duration_ns"`
	ElapsedNS    int64   `json:"elapsed_ns"`
	Transactions int     `json:"transactions"`
	Failed       int     `json:"failed_transactions"`
	Unsent       int     `json:"unsent"`
	Cut          int     `json:"cut"`
	Achieved     float64 `json:"transaction_rate"`
	P50          float64 `json:"response_time_p50"`
	P90          float64 `json:"response_time_p90"`
	P99          float64 `json:"response_time_p99"`
	P999         float64 `json:"response_time_p999"`
	LongestNS    int64   `json:"longest_ns"`
	Histogram    string  `json:"histogram"`
}

// stagesJSON returns the stages as the JSON array that WriteJSON writes,
// one stage a line.
func (r *Report) stagesJSON() (string, error) {
	rows := make([]any, len(r.Stages))
	for i, s := range r.Stages {
		j := jsonStage{
			Rate: s.Rate, DurationNS: s.Duration.Nanoseconds(), ElapsedNS: s.Elapsed.Nanoseconds(),
			Transactions: s.Transactions, Failed: s.Failed, Unsent: s.Unsent, Cut: s.Cut,
			Achieved: math.Round(s.TransactionRate*100) / 100,
			P50:      seconds(s.P50), P90: seconds(s.P90), P99: seconds(s.P99), P999: seconds(s.P999),
			LongestNS: s.Longest.Nanoseconds(),
		}
		if s.latency != nil {
			enc, err := s.latency.Encode()
			if err != nil {
				return "", fmt.Errorf("load: encode the histogram of stage %d: %w", i, err)
			}
			j.Histogram = string(enc)
		}
		rows[i] = j
	}
	return jsonLines(rows)
}

// readStages makes the stages of a report read back from their JSON: at
// most MaxStages, each histogram of the driver's geometry; checkStages
// checks them.
func readStages(rows []jsonStage) ([]StageReport, error) {
	if len(rows) > MaxStages {
		return nil, fmt.Errorf("stages: %d, more than %d", len(rows), MaxStages)
	}
	var out []StageReport
	for i, j := range rows {
		s := StageReport{
			Rate: j.Rate, Duration: time.Duration(j.DurationNS), Elapsed: time.Duration(j.ElapsedNS),
			Transactions: j.Transactions, Failed: j.Failed, Unsent: j.Unsent, Cut: j.Cut,
			Longest: time.Duration(j.LongestNS),
		}
		if j.Histogram != "" {
			h, err := decodeHistogram(j.Histogram)
			if err != nil {
				return nil, fmt.Errorf("stages[%d]: histogram: %w", i, err)
			}
			s.latency = h
		}
		s.fill()
		out = append(out, s)
	}
	return out, nil
}
