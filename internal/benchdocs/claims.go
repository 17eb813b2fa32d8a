package benchdocs

// A claim is a result that a page states, as data: the figures under it
// and what they must show, declared at the head of the page's template, a
// line a claim, in a comment that does not render:
//
//	{{/* claims
//	three filter:".name:Sleep /tasks:3" col:"/variant" unit:"sec/op" base:"sequential" other:"goroutines" want:"less 2.5 3.5"
//	*/}}
//
// Its words are the page's too, a template of the claim's Outcome where
// the page says it:
//
//	{{claim "three" "Three sleeps take {{.Base}} in order and {{.Other}} spawned: {{.Factor}} faster ({{.P}})."}}
//
// The figures are those of the table that go tool benchstat -filter
// Filter -col Col [-ignore Ignore] prints for Unit. A comparison, of one
// row, holds when Other/Base is inside Want, on one side of 1 (a direction
// and a size), and the U-test finds the difference significant (p < 0.05)
// at the recorded n; a range claim, when Other's median is inside Want in
// every row. Where the data do not bear out a claim that the page depends
// on, the page says so in its place and Output.Broken has its sentence,
// which fails the tests; a page that can do without it gives a second
// sentence, which states the verdict:
//
//	{{claim "crowd-p99" "...{{.Factor}} lower ({{.P}})." "...: {{.Verdict}}."}}

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// A Claim is a result, as data; its sentence is in its page. The keys of
// its line in the page are its fields' names in lower case.
type Claim struct {
	ID       string // {{claim "ID" ...}}
	Filter   string // ".name:Sleep /tasks:3"
	Col      string // "/variant"
	Ignore   string // for files that differ in a setting: "gomaxprocs,/gomaxprocs"
	Inputs   []string
	Unit     string // as benchstat shows it (tidied): "sec/op", "peak-B"
	Base     string // the column compared against; empty for a range claim
	BaseUnit string // Base's unit, where not Unit: a service p99 against a corrected one
	Other    string
	// Want is "more LO HI" (Other is LO to HI times Base), "less LO HI"
	// (Base is LO to HI times Other: "faster" when the unit is time) or
	// "between LO HI" (Other's median, in the unit's base, seconds for
	// sec/op); a bound is a number, inf, or a duration: "10ms".
	Want Want
}

// Want bounds a comparison's ratio, Other/Base, or a range claim's
// median of Other, in the unit's base (seconds for sec/op).
type Want struct{ Min, Max float64 }

// claimsBlock is the comment at the head of a page that declares its claims.
var claimsBlock = regexp.MustCompile(`(?s)^\{\{/\* claims\n(.*?)\*/\}\}\n`)

// claimKey is a key of a claim's line, before its quoted value.
var claimKey = regexp.MustCompile(`(\S+):"`)

// ParseClaims returns the claims that the page template src declares.
func ParseClaims(src []byte) ([]Claim, error) {
	m := claimsBlock.FindSubmatch(src)
	if m == nil {
		return nil, nil
	}
	var claims []Claim
	for _, line := range strings.Split(strings.TrimSpace(string(m[1])), "\n") {
		id, spec, _ := strings.Cut(strings.TrimSpace(line), " ")
		tag := reflect.StructTag(strings.TrimSpace(spec))
		var err error
		for _, k := range claimKey.FindAllStringSubmatch(string(tag), -1) {
			if !slices.Contains([]string{"filter", "col", "ignore", "inputs", "unit", "base", "baseunit", "other", "want"}, k[1]) {
				err = fmt.Errorf("no key %q", k[1])
			}
		}
		get := func(key string) string { v, _ := tag.Lookup(key); return v }
		c := Claim{ID: id, Filter: get("filter"), Col: get("col"), Ignore: get("ignore"),
			Unit: get("unit"), Base: get("base"), BaseUnit: get("baseunit"), Other: get("other")}
		if in := strings.Fields(get("inputs")); len(in) > 0 {
			c.Inputs = in
		}
		want, wanted := strings.Fields(get("want")), false
		if err == nil && len(want) == 3 {
			var lo, hi float64
			if lo, err = bound(want[1]); err == nil {
				hi, err = bound(want[2])
			}
			c.Want, wanted = map[string]Want{"more": {lo, hi}, "less": {1 / hi, 1 / lo}, "between": {lo, hi}}[want[0]]
		}
		if err == nil && (c.Filter == "" || c.Unit == "" || c.Other == "" || !wanted) {
			err = errors.New(`want ID filter:"..." unit:"..." other:"..." want:"more|less|between LO HI", and perhaps col, ignore, inputs, base, baseunit`)
		}
		if err != nil {
			return nil, fmt.Errorf("claims: %q: %w", line, err)
		}
		claims = append(claims, c)
	}
	return claims, nil
}

// bound reads a claim's bound: a number, inf, or a duration in seconds.
func bound(s string) (float64, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, nil
	}
	d, err := time.ParseDuration(s)
	return d.Seconds(), err
}

func (w Want) String() string { return fmt.Sprintf("%.3g to %.3g", w.Min, w.Max) }

// An Outcome is a claim evaluated on data: what its sentences are written
// from.
type Outcome struct {
	Row         // a comparison's one row, or a range claim's first
	Rows []Row  // every row
	Held bool   // whether the data bear the claim out
	Why  string // where they do not, why: the rows that break it
}

// A Row is one row of a claim's table.
type Row struct {
	Name                  string  // "Sleep/tasks=3/workers=2-2"
	Base, Other           string  // the medians with their unit: "32.7 ms"
	BaseNum, OtherNum     string  // without it, for units that read badly in prose: "10013"
	BaseValue, OtherValue float64 // in the unit's base, as benchstat -format csv prints them
	Ratio                 float64 // Other/Base
	Factor                string  // how many times more or less Other is than Base, "3.0x"; empty unless significant
	P                     string  // the U-test, as benchstat prints it: "p=0.002 n=6"
	N                     int     // the results of the side with fewer
	// Verdict is what the data say, whatever the claim wants: "1.2x lower
	// (p=0.001 n=10)", "the U-test cannot tell them apart at n=10
	// (p=0.481)"; for a range claim, Other.
	Verdict string
}

// errUnmeasured is a claim's column that the data lack: a tool that was
// not installed.
var errUnmeasured = errors.New("not measured")

// Eval evaluates the claim on inputs. It fails where the claim is
// malformed, or the data lack its columns (errUnmeasured).
func (c *Claim) Eval(inputs ...Input) (*Outcome, error) {
	rows, err := c.rows(inputs)
	if err == nil && c.Base != "" && c.Want.Min < 1 && c.Want.Max > 1 {
		err = fmt.Errorf("want %s includes 1: a comparison wants a direction", c.Want)
	}
	if err == nil && c.Base != "" && len(rows) > 1 {
		err = fmt.Errorf("%d rows: a comparison is of one row; narrow the filter", len(rows))
	}
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", c.ID, err)
	}
	var why []string
	for _, row := range rows {
		if f := c.check(row); f != "" {
			why = append(why, f)
		}
	}
	return &Outcome{Row: rows[0], Rows: rows, Held: len(why) == 0, Why: strings.Join(why, "; ")}, nil
}

// rows are the claim's rows in the inputs.
func (c *Claim) rows(inputs []Input) ([]Row, error) {
	// One stat for both units, so that their rows share keys.
	tables, err := stat(Args{Filter: c.Filter, Col: c.Col, Ignore: c.Ignore}, inputs...)
	var table, baseTable *statTable
	if err == nil {
		table, err = pick(tables, c.Unit, c.Filter)
	}
	if err == nil {
		baseTable, err = pick(tables, cmp.Or(c.BaseUnit, c.Unit), c.Filter)
	}
	if err != nil {
		return nil, err
	}
	other, okOther := table.col(c.Other)
	base, okBase := baseTable.col(c.Base)
	if !okOther || (c.Base != "" && !okBase) {
		return nil, fmt.Errorf("%w: %s has no column %q or %q", errUnmeasured, c.Col, c.Base, c.Other)
	}
	var rows []Row
	for _, key := range table.rows {
		o, ok := table.cells[cellKey{key, other}]
		b, okBase := baseTable.cells[cellKey{key, base}]
		if !ok || (c.Base != "" && !okBase) {
			continue
		}
		row := Row{Name: key.StringValues(), Other: quantity(o.summary.Center, c.Unit), OtherNum: number(o.summary.Center),
			OtherValue: o.summary.Center, N: len(o.sample.Values)}
		row.Verdict = row.Other
		if c.Base != "" {
			test := table.assumption.Compare(b.sample, o.sample)
			row.Base, row.BaseNum, row.BaseValue = quantity(b.summary.Center, cmp.Or(c.BaseUnit, c.Unit)), number(b.summary.Center), b.summary.Center
			row.Ratio, row.N, row.P = o.summary.Center/b.summary.Center, min(row.N, len(b.sample.Values)), test.String()
			n := row.P[strings.LastIndex(row.P, "n="):] // "n=10", or "n=10+9"
			row.Verdict = fmt.Sprintf("the U-test cannot tell them apart at %s (p=%.3f)", n, test.P)
			if test.P < test.Alpha {
				// A ratio is a finding only where the U-test finds a difference.
				row.Factor = factor(row.Ratio)
				row.Verdict = fmt.Sprintf("%s %s (%s)", row.Factor, direction(row.Ratio, "lower", "higher"), row.P)
			}
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no row of %q has both %q and %q", errUnmeasured, c.Filter, c.Base, c.Other)
	}
	return rows, nil
}

// check returns why row breaks the claim, or "".
func (c *Claim) check(row Row) string {
	var why []string
	switch {
	case c.Base == "" && (row.OtherValue < c.Want.Min || row.OtherValue > c.Want.Max):
		why = append(why, fmt.Sprintf("%s %s is %s, want %s to %s", c.Other, c.Unit, row.Other,
			quantity(c.Want.Min, c.Unit), quantity(c.Want.Max, c.Unit)))
	case c.Base != "" && (row.Ratio < c.Want.Min || row.Ratio > c.Want.Max):
		why = append(why, fmt.Sprintf("%s/%s is %.3g (%s %s), want %s", c.Other, c.Base, row.Ratio,
			factor(row.Ratio), direction(row.Ratio, "less", "more"), c.Want))
	}
	if c.Base != "" && row.Factor == "" {
		why = append(why, fmt.Sprintf("the difference is not significant (%s)", row.P))
	}
	if len(why) == 0 {
		return ""
	}
	return row.Name + ": " + strings.Join(why, ", ")
}

func direction(ratio float64, lower, higher string) string {
	if ratio < 1 {
		return lower
	}
	return higher
}

// factor formats how many times larger or smaller a ratio is, to two
// significant figures: 0.333 and 3.0 are both "3.0x".
func factor(ratio float64) string {
	if ratio = math.Max(ratio, 1/ratio); ratio >= 10 {
		return fmt.Sprintf("%.0fx", ratio)
	}
	return fmt.Sprintf("%.1fx", ratio)
}

// quantity formats a value of a benchstat unit as the table beside it
// reads, to three figures: "10.9 ms" for sec/op, "8.62 MiB" for a peak-B
// of 8.616Mi, "0.193 ms" for a 192.7m p99-ms, "2010 trans/s".
func quantity(v float64, unit string) string {
	base, per, _ := strings.Cut(unit, "/")
	if per = "/" + per; per == "/op" || per == "/" {
		per = ""
	}
	var step float64
	var names []string // the prefixed units, from the smallest
	switch measure := base[strings.LastIndexByte(base, '-')+1:]; measure {
	case "sec":
		step, names, v = 1000, []string{"ns", "µs", "ms", "s"}, v*1e9
	case "B":
		step, names = 1024, []string{"B", "KiB", "MiB", "GiB"}
	case "ms", "MiB", "%", "us":
		return number(v) + " " + strings.Replace(measure, "us", "µs", 1) + per
	default:
		return number(v) + " " + unit
	}
	i := 0
	for ; i < len(names)-1 && math.Abs(v) >= step; i++ {
		v /= step
	}
	return number(v) + " " + names[i] + per
}

// number prints v to three significant figures, without an exponent:
// "2009", "99.7", "0.0123"; a whole number, as a count is, whole: "71".
func number(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100, v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// claim is a page's {{claim "ID" "sentence" "otherwise"}}: the sentence
// where the data bear the claim out; where not, the otherwise sentence,
// which must state the verdict, or, where the page gave none, a line that
// says the claim does not hold, and the sentence goes into out.Broken.
// Where a tool was not measured, a claim with an otherwise sentence is
// empty: {{with claim ...}}{{.}}{{else}}not measured{{end}}.
func (c *committed) claim(id string, sentences ...string) (string, error) {
	i := slices.IndexFunc(c.claims, func(cl Claim) bool { return cl.ID == id })
	if i < 0 || len(sentences) < 1 || len(sentences) > 2 {
		return "", fmt.Errorf("claim %q: want a claim the page declares, its sentence, and perhaps another for where it does not hold", id)
	}
	inputs, err := c.inputs(c.claims[i].Inputs)
	var o *Outcome
	if err == nil {
		o, err = c.claims[i].Eval(inputs...)
	}
	if errors.Is(err, errUnmeasured) && len(sentences) == 2 {
		c.out.Notes = append(c.out.Notes, fmt.Sprintf("%s: claim %s says nothing: %v", c.e.Name, id, err))
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("claim %s: %w", id, err)
	}
	c.enough("claim "+id, slices.MinFunc(o.Rows, func(a, b Row) int { return cmp.Compare(a.N, b.N) }).N, inputs)
	var texts []string
	for _, s := range sentences {
		t, err := template.New(id).Option("missingkey=error").Parse(s)
		var b strings.Builder
		if err == nil {
			err = t.Execute(&b, o)
		}
		if err != nil {
			return "", fmt.Errorf("claim %s: %w", id, err)
		}
		texts = append(texts, b.String())
	}
	switch {
	case len(texts) == 2 && !strings.Contains(texts[1], o.Verdict):
		return "", fmt.Errorf("claim %s: its second sentence must state {{.Verdict}} (%q): %q", id, o.Verdict, texts[1])
	case o.Held:
		return texts[0], nil
	case len(texts) == 2:
		return texts[1], nil
	}
	c.out.Broken = append(c.out.Broken, fmt.Errorf("%s: claim %s no longer holds: %s\n\tits sentence would say: %q", c.e.Name, id, o.Why, texts[0]))
	return fmt.Sprintf("**Claim %s does not hold on this run: %s.**", id, o.Why), nil
}
