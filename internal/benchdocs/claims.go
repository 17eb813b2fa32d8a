package benchdocs

// The sentences that the docs state about benchmark results are made
// from the results themselves, and each is checked against what it
// asserts, so that a change in the data that breaks a claim fails a test
// instead of leaving a false sentence behind.
//
// A claim is about a benchstat table: the one that
//
//	go tool benchstat -filter Filter -col Col [-ignore Ignore] FILE...
//
// prints for one unit. A comparison claim sets two of its columns side
// by side in every row that has both (Other against Base: its direction,
// how many times, and whether benchstat's Mann-Whitney U-test finds the
// difference significant); a range claim places one column's median
// between two bounds. The sentence is written from the figures by a
// text/template, so it can only say what the data say; Want is what the
// claim asserts, and the check fails when the data no longer bear it out.

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"text/template"
)

// A Claim is one sentence of the docs about results, with what it asserts.
type Claim struct {
	ID     string // names the claim in page templates and failures
	Filter string // a benchstat -filter selecting the rows: ".name:Sleep /tasks:3"
	Col    string // the benchstat -col that makes the columns: "/variant"
	// Ignore is a benchstat -ignore, for a claim across files that
	// differ in a setting they record: "gomaxprocs,/gomaxprocs".
	Ignore string
	// Inputs are the runs the claim is about, by run suffix as a
	// Table's; nil means the main run alone. A claim about two runs
	// sets them side by side with Col ".file", whose columns are the
	// files' names (RawFile).
	Inputs []string
	Unit   string // the unit, as benchstat shows it (tidied): "sec/op", "peak-B"
	Base   string // the column compared against; empty for a range claim
	Other  string // the column the claim is about
	Want   Want   // what the claim asserts, for every row
	Say    string // the sentence: a text/template over Figures
	// NoUTest drops the check of significance from a comparison claim:
	// for samples too small for the U-test to find any difference (three
	// against three cannot reach p < 0.05), or for a claim of "about as
	// many", which asserts no difference. The claim then asserts the
	// ratio of the medians alone, and its sentence must say no more; it
	// may give the p-value.
	NoUTest bool
}

// Want bounds a figure: for a comparison claim, the ratio of Other's
// median to Base's; for a range claim, Other's median, in the unit's base
// (seconds for sec/op, bytes for peak-B).
type Want struct{ Min, Max float64 }

// Times asserts that Other is between lo and hi times Base.
func Times(lo, hi float64) Want { return Want{Min: lo, Max: hi} }

// AtLeastTimes asserts that Other is at least lo times Base.
func AtLeastTimes(lo float64) Want { return Want{Min: lo, Max: math.Inf(1)} }

// TimesLess asserts that Base is between lo and hi times Other: Other is
// "lo to hi times faster" when the unit is time.
func TimesLess(lo, hi float64) Want { return Want{Min: 1 / hi, Max: 1 / lo} }

// Between asserts that Other's median is between lo and hi.
func Between(lo, hi float64) Want { return Want{Min: lo, Max: hi} }

// Figures are what a claim's sentence is written from.
type Figures struct {
	Row          // the first row's figures, for claims about one row
	Rows  []Row  // every row's figures
	Times string // the range of Times over the rows: "3.0x", or "2.9x to 3.1x"
}

// Row is one table row's figures.
type Row struct {
	Name  string // the row's label: "Sleep/tasks=3/workers=2-2"
	Base  string // Base's median with its unit: "32.7 ms"
	Other string // Other's median with its unit: "10.9 ms"
	// BaseNum and OtherNum are the medians without a unit, for units
	// that read badly in prose: "10013" peak-goroutines.
	BaseNum, OtherNum string
	// BaseValue and OtherValue are the medians in the unit's base
	// (seconds for sec/op), as benchstat -format csv prints them.
	BaseValue, OtherValue float64
	Ratio                 float64
	Times                 string // how many times more or less Other is: "3.0x"
	Lower                 bool   // whether Other's median is below Base's
	P                     string // the U-test's result as benchstat prints it: "p=0.002 n=6"

	significant bool
}

// An Outcome is a claim evaluated on data: the sentence, and Err when the
// data no longer bear out what the claim asserts.
type Outcome struct {
	Text string
	Figures
	Err error
}

// Eval computes the claim's figures and sentence from inputs and checks
// them against Want. It returns an error, and no Outcome, only when the
// claim cannot be evaluated at all: no row of the data has its columns,
// or its template is broken.
func (c *Claim) Eval(inputs ...Input) (*Outcome, error) {
	table, err := statUnit(Args{Filter: c.Filter, Col: c.Col, Ignore: c.Ignore}, c.Unit, inputs...)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", c.ID, err)
	}
	other, okOther := table.col(c.Other)
	base, okBase := table.col(c.Base)
	if !okOther || (c.Base != "" && !okBase) {
		return nil, fmt.Errorf("claim %s: %s has no column %q or %q", c.ID, c.Col, c.Base, c.Other)
	}

	out := &Outcome{}
	var failures []string
	for _, rowKey := range table.rows {
		o, ok := table.cells[cellKey{rowKey, other}]
		if !ok {
			continue
		}
		row := Row{
			Name:  rowKey.StringValues(),
			Other: quantity(o.summary.Center, c.Unit), OtherNum: number(o.summary.Center), OtherValue: o.summary.Center,
		}
		value := o.summary.Center
		if c.Base != "" {
			cmp, ok := table.compare(rowKey, base, other)
			if !ok {
				continue
			}
			b := table.cells[cellKey{rowKey, base}]
			row.Base, row.BaseNum, row.BaseValue = quantity(b.summary.Center, c.Unit), number(b.summary.Center), b.summary.Center
			row.Ratio = o.summary.Center / b.summary.Center
			row.Lower = row.Ratio < 1
			row.Times = times(row.Ratio)
			row.P = cmp.String()
			row.significant = cmp.P < cmp.Alpha
			value = row.Ratio
		}
		out.Rows = append(out.Rows, row)
		if f := c.check(row, value); f != "" {
			failures = append(failures, f)
		}
	}
	if len(out.Rows) == 0 {
		return nil, fmt.Errorf("claim %s: no row of %q has both %q and %q", c.ID, c.Filter, c.Base, c.Other)
	}
	out.Row = out.Rows[0]
	if c.Base != "" {
		out.Figures.Times = span(out.Rows)
	}
	var text bytes.Buffer
	tmpl, err := template.New(c.ID).Option("missingkey=error").Parse(c.Say)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", c.ID, err)
	}
	if err := tmpl.Execute(&text, out.Figures); err != nil {
		return nil, fmt.Errorf("claim %s: %w", c.ID, err)
	}
	out.Text = strings.TrimSpace(text.String())
	if len(failures) > 0 {
		out.Err = fmt.Errorf("claim %s no longer holds: %s\n\tthe docs say: %s", c.ID, strings.Join(failures, "; "), out.Text)
	}
	return out, nil
}

// check returns why row breaks the claim, or "".
func (c *Claim) check(row Row, value float64) string {
	if c.Base == "" {
		if value < c.Want.Min || value > c.Want.Max {
			return fmt.Sprintf("%s: %s %s is %s, want %s to %s", row.Name, c.Other, c.Unit, row.Other,
				quantity(c.Want.Min, c.Unit), quantity(c.Want.Max, c.Unit))
		}
		return ""
	}
	var why []string
	if value < c.Want.Min || value > c.Want.Max {
		lessMore := "more"
		if row.Lower {
			lessMore = "less"
		}
		why = append(why, fmt.Sprintf("%s/%s is %.3g (%s %s), want %s", c.Other, c.Base, value, row.Times, lessMore, c.Want))
	}
	if !row.significant && !c.NoUTest {
		why = append(why, fmt.Sprintf("the difference is not significant (%s)", row.P))
	}
	if len(why) == 0 {
		return ""
	}
	return row.Name + ": " + strings.Join(why, ", ")
}

func (w Want) String() string {
	switch {
	case math.IsInf(w.Max, 1):
		return fmt.Sprintf("at least %.3g", w.Min)
	case w.Min <= 0:
		return fmt.Sprintf("at most %.3g", w.Max)
	}
	return fmt.Sprintf("%.3g to %.3g", w.Min, w.Max)
}

// times formats how many times larger or smaller a ratio is, to two
// significant figures: 0.333 and 3.0 are both "3.0x".
func times(ratio float64) string {
	if ratio < 1 {
		ratio = 1 / ratio
	}
	if ratio >= 10 {
		return fmt.Sprintf("%.0fx", ratio)
	}
	return fmt.Sprintf("%.1fx", ratio)
}

// span is the range of the rows' Times, from the ratio nearest 1 to the
// farthest.
func span(rows []Row) string {
	lo, hi := rows[0], rows[0]
	for _, r := range rows {
		if math.Abs(math.Log(r.Ratio)) < math.Abs(math.Log(lo.Ratio)) {
			lo = r
		}
		if math.Abs(math.Log(r.Ratio)) > math.Abs(math.Log(hi.Ratio)) {
			hi = r
		}
	}
	if lo.Times == hi.Times {
		return lo.Times
	}
	return strings.TrimSuffix(lo.Times, "x") + "x to " + hi.Times
}

// quantity formats a value of a benchstat (tidied) unit for prose, to
// three significant figures: seconds per op as a duration ("10.9 ms"),
// bytes in SI multiples, as the benchmarks report them ("156 MB"), and
// anything else as a number before its unit ("2010 trans/s"). A name
// before a hyphen is dropped: a peak-B of 1.56e8 is "156 MB".
func quantity(v float64, unit string) string {
	base, per, _ := strings.Cut(unit, "/")
	suffix := ""
	if per != "" && per != "op" {
		suffix = "/" + per
	}
	measure := base[strings.LastIndexByte(base, '-')+1:] // "peak-B" measures bytes
	type prefix struct {
		factor float64
		name   string
	}
	var prefixes []prefix
	switch measure {
	case "sec":
		prefixes = []prefix{{1, "s"}, {1e-3, "ms"}, {1e-6, "µs"}, {1e-9, "ns"}}
	case "B":
		prefixes = []prefix{{1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}, {1, "B"}}
	default:
		return number(v) + " " + unit
	}
	p := prefixes[len(prefixes)-1]
	for _, q := range prefixes {
		if math.Abs(v) >= q.factor {
			p = q
			break
		}
	}
	return number(v/p.factor) + " " + p.name + suffix
}

// number prints v to three significant figures, without an exponent:
// "2009", "99.7", "0.0123".
func number(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
