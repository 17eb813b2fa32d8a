// Package claims makes the sentences that the docs state about benchmark
// results from the results themselves, and checks each against what it
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
// claim asserts, and Check fails when the data no longer bear it out.
package claims

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"text/template"

	"github.com/joinall/joinall/internal/benchtab"
)

// A Claim is one sentence of the docs about results, with what it asserts.
type Claim struct {
	ID     string // names the claim in page templates and failures
	Filter string // a benchstat -filter selecting the rows: ".name:Sleep /tasks:3"
	Col    string // the benchstat -col that makes the columns: "/variant"
	// Ignore is a benchstat -ignore, for a claim across files that
	// differ in a setting they record: "gomaxprocs,/gomaxprocs".
	Ignore string
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
	Claim *Claim
	Text  string
	Figures
	Err error
}

// Eval computes the claim's figures and sentence from inputs and checks
// them against Want. It returns an error, and no Outcome, only when the
// claim cannot be evaluated at all: no row of the data has its columns,
// or its template is broken.
func (c *Claim) Eval(inputs ...benchtab.Input) (*Outcome, error) {
	tables, err := benchtab.Stat(benchtab.Args{Filter: c.Filter, Col: c.Col, Ignore: c.Ignore}, inputs...)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", c.ID, err)
	}
	table, err := tables.Unit(c.Unit)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w (-filter %q)", c.ID, err, c.Filter)
	}
	other, okOther := table.Col(c.Other)
	base, okBase := table.Col(c.Base)
	if !okOther || (c.Base != "" && !okBase) {
		return nil, fmt.Errorf("claim %s: %s has no column %q or %q", c.ID, c.Col, c.Base, c.Other)
	}

	out := &Outcome{Claim: c}
	var failures []string
	for _, rowKey := range table.Rows {
		o, ok := table.Cells[benchtab.TableKey{Row: rowKey, Col: other}]
		if !ok {
			continue
		}
		row := Row{
			Name:  rowKey.StringValues(),
			Other: Quantity(o.Summary.Center, c.Unit), OtherNum: number(o.Summary.Center), OtherValue: o.Summary.Center,
		}
		value := o.Summary.Center
		if c.Base != "" {
			cmp, ok := table.Compare(rowKey, base, other)
			if !ok {
				continue
			}
			b := table.Cells[benchtab.TableKey{Row: rowKey, Col: base}]
			row.Base, row.BaseNum, row.BaseValue = Quantity(b.Summary.Center, c.Unit), number(b.Summary.Center), b.Summary.Center
			row.Ratio = o.Summary.Center / b.Summary.Center
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
				Quantity(c.Want.Min, c.Unit), Quantity(c.Want.Max, c.Unit))
		}
		return ""
	}
	var why []string
	if value < c.Want.Min || value > c.Want.Max {
		why = append(why, fmt.Sprintf("%s/%s is %.3g (%s %s), want %s", c.Other, c.Base, value, row.Times, lessMore(row.Lower), c.Want))
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

func lessMore(lower bool) string {
	if lower {
		return "less"
	}
	return "more"
}

// times formats how many times larger or smaller a ratio is, to two
// significant figures: 0.333 and 3.0 are both "3.0x".
func times(ratio float64) string {
	if ratio < 1 {
		ratio = 1 / ratio
	}
	return sig2(ratio) + "x"
}

func sig2(v float64) string {
	switch {
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

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
