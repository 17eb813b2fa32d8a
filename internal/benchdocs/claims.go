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
// by side in every row that has both (Other against Base) and asserts
// three things: the direction, a band for how many times Other is Base,
// and a difference that benchstat's Mann-Whitney U-test finds
// significant (p < 0.05) at the number of runs recorded. A range claim
// places one column's median between two bounds. The sentence is written
// from the figures by a text/template, so it can only say what the data
// say.
//
// A claim the page depends on fails loudly when the data stop bearing it
// out. A claim the page can do without (it has an Else) is replaced by
// its Else, which states the U-test's verdict instead: "no significant
// difference (p=0.912 n=10)". Either way no ratio is ever stated as a
// finding when p >= 0.05: the figures that state one are blanked.

import (
	"bytes"
	"cmp"
	"errors"
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
	// BaseUnit, when set, compares Other's Unit against Base's BaseUnit
	// in the same rows: corrected against service time.
	BaseUnit string
	Other    string // the column the claim is about
	// Want is what the claim asserts of every row. For a comparison it
	// bounds Other/Base on one side of 1: a direction and a size.
	Want Want
	Say  string // the sentence: a text/template over Figures
	// Else, when set, makes the claim one the page can do without: where
	// the data do not bear it out, the page says Else instead, and must
	// state .Verdict in it. Where a column is missing (a tool that is not
	// installed), the claim says nothing, and Render notes why.
	Else string
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
	Times string // the range of Times over the rows: "3.0x", or "2.9x to 3.1x"; empty unless every row is significant
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
	// Times is how many times more or less Other is: "3.0x"; empty when
	// the difference is not significant.
	Times string
	Lower bool   // whether Other's median is below Base's
	P     string // the U-test's result as benchstat prints it: "p=0.002 n=6"
	// Verdict is what the data say, whatever the claim asserts: "1.2x
	// lower (p=0.001 n=10)", or "no significant difference (p=0.912
	// n=10)"; for a range claim, Other.
	Verdict string

	significant bool
}

// An Outcome is a claim evaluated on data: the sentence, and Err when the
// data no longer bear out a claim that the page depends on.
type Outcome struct {
	Text string
	Figures
	Err error
	// Held says whether the data bear the claim out; when they do not,
	// Text is the claim's Else, or says that the claim fails.
	Held bool
	// Unsaid, when set, is why an optional claim says nothing.
	Unsaid string
}

// Eval computes the claim's figures and sentence from inputs and checks
// them against Want. It returns an error, and no Outcome, only when the
// claim cannot be evaluated at all: a claim the page depends on has no
// row with its columns, or the claim is malformed.
func (c *Claim) Eval(inputs ...Input) (*Outcome, error) {
	if c.Base != "" && c.Want.Min < 1 && c.Want.Max > 1 {
		return nil, fmt.Errorf("claim %s: want %s includes 1: a comparison asserts a direction", c.ID, c.Want)
	}
	rows, err := c.rows(inputs)
	if errors.Is(err, errUnmeasured) && c.Else != "" {
		return &Outcome{Unsaid: err.Error()}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", c.ID, err)
	}
	out := &Outcome{Held: true}
	var failures []string
	for _, row := range rows {
		if f := c.check(row); f != "" {
			failures = append(failures, f)
			out.Held = false
		}
	}
	// A ratio is a finding only where the U-test finds a difference.
	for i := range rows {
		if c.Base != "" && !rows[i].significant {
			rows[i].Times = ""
		}
	}
	out.Rows, out.Row = rows, rows[0]
	if c.Base != "" {
		out.Figures.Times = span(rows)
	}
	say := c.Say
	if !out.Held && c.Else != "" {
		say = c.Else
	}
	if out.Text, err = execute(c.ID, say, out.Figures); err != nil {
		return nil, err
	}
	switch {
	case out.Held:
	case c.Else != "" && !strings.Contains(out.Text, out.Verdict):
		return nil, fmt.Errorf("claim %s: its Else must state .Verdict (%q): %q", c.ID, out.Verdict, out.Text)
	case c.Else == "":
		out.Err = fmt.Errorf("claim %s no longer holds: %s\n\tits sentence would say: %s", c.ID, strings.Join(failures, "; "), out.Text)
		out.Text = fmt.Sprintf("**Claim %s does not hold on this run: %s.**", c.ID, strings.Join(failures, "; "))
	}
	return out, nil
}

// rows are the claim's rows of figures in the inputs.
func (c *Claim) rows(inputs []Input) ([]Row, error) {
	tables, err := stat(Args{Filter: c.Filter, Col: c.Col, Ignore: c.Ignore}, inputs...)
	if err != nil {
		return nil, err
	}
	table, err := pick(tables, c.Unit, c.Filter)
	if err != nil {
		return nil, err
	}
	baseTable := table
	if c.BaseUnit != "" {
		if baseTable, err = pick(tables, c.BaseUnit, c.Filter); err != nil {
			return nil, err
		}
	}
	other, okOther := table.col(c.Other)
	base, okBase := baseTable.col(c.Base)
	if !okOther || (c.Base != "" && !okBase) {
		return nil, fmt.Errorf("%w: %s has no column %q or %q", errUnmeasured, c.Col, c.Base, c.Other)
	}
	var rows []Row
	for _, rowKey := range table.rows {
		o, ok := table.cells[cellKey{rowKey, other}]
		if !ok {
			continue
		}
		row := Row{
			Name:  rowKey.StringValues(),
			Other: quantity(o.summary.Center, c.Unit), OtherNum: number(o.summary.Center), OtherValue: o.summary.Center,
		}
		row.Verdict = row.Other
		if c.Base != "" {
			b, ok := baseTable.cells[cellKey{rowKey, base}]
			if !ok {
				continue
			}
			test := table.assumption.Compare(b.sample, o.sample)
			row.Base, row.BaseNum, row.BaseValue = quantity(b.summary.Center, cmp.Or(c.BaseUnit, c.Unit)), number(b.summary.Center), b.summary.Center
			row.Ratio = o.summary.Center / b.summary.Center
			row.Lower = row.Ratio < 1
			row.Times = times(row.Ratio)
			row.P = test.String()
			row.significant = test.P < test.Alpha
			row.Verdict = "no significant difference (" + row.P + ")"
			if row.significant {
				row.Verdict = fmt.Sprintf("%s %s (%s)", row.Times, map[bool]string{true: "lower", false: "higher"}[row.Lower], row.P)
			}
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no row of %q has both %q and %q", errUnmeasured, c.Filter, c.Base, c.Other)
	}
	return rows, nil
}

// errUnmeasured is a claim's column that the data lack: a tool that was
// not installed.
var errUnmeasured = errors.New("not measured")

// check returns why row breaks the claim, or "".
func (c *Claim) check(row Row) string {
	if c.Base == "" {
		if row.OtherValue < c.Want.Min || row.OtherValue > c.Want.Max {
			return fmt.Sprintf("%s: %s %s is %s, want %s to %s", row.Name, c.Other, c.Unit, row.Other,
				quantity(c.Want.Min, c.Unit), quantity(c.Want.Max, c.Unit))
		}
		return ""
	}
	var why []string
	if row.Ratio < c.Want.Min || row.Ratio > c.Want.Max {
		why = append(why, fmt.Sprintf("%s/%s is %.3g (%s %s), want %s", c.Other, c.Base, row.Ratio, row.Times,
			map[bool]string{true: "less", false: "more"}[row.Lower], c.Want))
	}
	if !row.significant {
		why = append(why, fmt.Sprintf("the difference is not significant (%s)", row.P))
	}
	if len(why) == 0 {
		return ""
	}
	return row.Name + ": " + strings.Join(why, ", ")
}

// execute writes a claim's sentence from its figures.
func execute(id, say string, f Figures) (string, error) {
	var text bytes.Buffer
	tmpl, err := template.New(id).Option("missingkey=error").Parse(say)
	if err == nil {
		err = tmpl.Execute(&text, f)
	}
	if err != nil {
		return "", fmt.Errorf("claim %s: %w", id, err)
	}
	return strings.TrimSpace(text.String()), nil
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
// farthest; empty when a row's difference is not significant.
func span(rows []Row) string {
	lo, hi := rows[0], rows[0]
	for _, r := range rows {
		if r.Times == "" {
			return ""
		}
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
// three significant figures, in the units benchstat's table beside it
// uses: seconds per op as a duration ("10.9 ms"), bytes with the binary
// prefixes benchstat prints ("8.62 MiB" where it prints 8.616Mi),
// milliseconds always as milliseconds ("0.193 ms" where it prints 192.7m
// p99-ms), and anything else as a number before its unit ("2010
// trans/s"). A name before a hyphen is dropped: a peak-B of 9.03e6 is
// "8.62 MiB".
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
		prefixes = []prefix{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}, {1, "B"}}
	case "ms", "MiB", "%":
		return number(v) + " " + measure + suffix
	case "us":
		return number(v) + " µs" + suffix
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
