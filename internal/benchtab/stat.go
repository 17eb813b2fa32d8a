// Package benchtab gives the docs benchstat's tables in two forms: their
// text, printed by the pinned go tool benchstat itself (Benchstat), and
// their numbers, for the sentences and plots that are written from them
// (Stat): each cell's median and confidence interval, and the U-test
// between two cells of a row.
//
// Stat is a small layer over golang.org/x/perf's public packages, the
// ones benchstat is built on: benchfmt reads the files, benchproc's
// -filter, -table, -row and -col projections group the results, and
// benchmath summarises and compares the samples with the assumption
// benchstat makes (AssumeNothing: the median, a distribution-free
// interval and the Mann-Whitney U-test, unless a file says otherwise).
// Its tests check that its figures are the ones go tool benchstat prints.
package benchtab

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// Confidence is the level of the intervals: benchstat's default.
const Confidence = 0.95

// Args are the benchstat flags that shape its tables. An empty field
// means benchstat's default.
type Args struct {
	Filter string // -filter, default "*"
	Table  string // -table, default ".config"
	Row    string // -row, default ".fullname"
	Col    string // -col, default ".file"
	Ignore string // -ignore, default ""
	// Format is benchstat's -format: "" or "text", or "csv", which
	// prints each median in full, for tests. Stat ignores it.
	Format string
}

// An Input is one benchmark file: its contents, and the name benchstat
// knows it by (the path given on its command line, its .file key).
type Input struct {
	Name string
	Data []byte
}

// Tables are the tables benchstat would print, in its order: one per
// distinct -table key and unit.
type Tables struct {
	Tables []*Table
}

// A Table holds the results of one unit that share a -table key.
type Table struct {
	// Unit is the unit as benchstat shows it, tidied: "sec/op" for ns/op,
	// "peak-B" for peak-MB.
	Unit string
	// Assumption is what benchstat assumes of the unit's distribution.
	Assumption benchmath.Assumption
	// Rows and Cols are the -row and -col keys, in the order in which
	// the inputs first show them, as benchstat orders them.
	Rows, Cols []benchproc.Key
	Cells      map[TableKey]*Cell
}

// A TableKey names a cell by its row and column.
type TableKey struct{ Row, Col benchproc.Key }

// A Cell is the values of one row and column, summarised.
type Cell struct {
	Sample  *benchmath.Sample
	Summary benchmath.Summary // Center is the median under AssumeNothing
}

// Compare is benchstat's test of the difference between two cells of a
// row, other against base ("p=0.002 n=6"), and whether the table has both.
func (t *Table) Compare(row, base, other benchproc.Key) (benchmath.Comparison, bool) {
	b, okb := t.Cells[TableKey{Row: row, Col: base}]
	o, oko := t.Cells[TableKey{Row: row, Col: other}]
	if !okb || !oko {
		return benchmath.Comparison{}, false
	}
	return t.Assumption.Compare(b.Sample, o.Sample), true
}

// Col returns the key of the column whose values read name ("pool"),
// as benchstat labels it.
func (t *Table) Col(name string) (benchproc.Key, bool) {
	for _, k := range t.Cols {
		if k.StringValues() == name {
			return k, true
		}
	}
	return benchproc.Key{}, false
}

// Stat groups the inputs' results as go tool benchstat does with args,
// and summarises each cell as it does, at its default confidence (0.95)
// and α (0.05).
func Stat(args Args, inputs ...Input) (*Tables, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("benchstat: no input")
	}
	filter, err := benchproc.NewFilter(or(args.Filter, "*"))
	if err != nil {
		return nil, fmt.Errorf("parsing -filter: %w", err)
	}
	// The projections are parsed in benchstat's order, with one parser:
	// .config in -table means the configuration keys that no other
	// projection, -ignore included, names.
	var parser benchproc.ProjectionParser
	tableBy, unitField, err := parser.ParseWithUnit(or(args.Table, ".config"), filter)
	if err != nil {
		return nil, fmt.Errorf("parsing -table: %w", err)
	}
	rowBy, err := parser.Parse(or(args.Row, ".fullname"), filter)
	if err != nil {
		return nil, fmt.Errorf("parsing -row: %w", err)
	}
	colBy, err := parser.Parse(or(args.Col, ".file"), filter)
	if err != nil {
		return nil, fmt.Errorf("parsing -col: %w", err)
	}
	if _, err := parser.Parse(args.Ignore, filter); err != nil {
		return nil, fmt.Errorf("parsing -ignore: %w", err)
	}

	type group struct {
		rows, cols map[benchproc.Key]bool
		values     map[TableKey][]float64
	}
	groups := map[benchproc.Key]*group{}
	var reader benchfmt.Reader
	for _, in := range inputs {
		// Reset as benchfmt.Files does, so that .file is the input's name.
		reader.Reset(bytes.NewReader(in.Data), in.Name, ".file", in.Name)
		for reader.Scan() {
			switch rec := reader.Result().(type) {
			case *benchfmt.SyntaxError:
				return nil, rec
			case *benchfmt.Result:
				if ok, _ := filter.Apply(rec); !ok {
					continue
				}
				cell := TableKey{Row: rowBy.Project(rec), Col: colBy.Project(rec)}
				// One table key per value of the result: the unit is
				// the key's last field.
				for i, tk := range tableBy.ProjectValues(rec) {
					g := groups[tk]
					if g == nil {
						g = &group{rows: map[benchproc.Key]bool{}, cols: map[benchproc.Key]bool{}, values: map[TableKey][]float64{}}
						groups[tk] = g
					}
					g.rows[cell.Row], g.cols[cell.Col] = true, true
					g.values[cell] = append(g.values[cell], rec.Values[i].Value)
				}
			}
		}
		if err := reader.Err(); err != nil {
			return nil, err
		}
	}
	// The units' metadata (a line "Unit ns/op assume=exact") that the
	// reader gathered over every input, as benchfmt.Files gathers it.
	units := reader.Units()

	thresholds := benchmath.DefaultThresholds
	out := &Tables{}
	for _, tk := range sortedKeys(groups) {
		g := groups[tk]
		unit := tk.Get(unitField)
		t := &Table{
			Unit:       unit,
			Assumption: units.GetAssumption(unit),
			Rows:       sortedKeys(g.rows),
			Cols:       sortedKeys(g.cols),
			Cells:      map[TableKey]*Cell{},
		}
		for k, values := range g.values {
			s := benchmath.NewSample(values, &thresholds)
			t.Cells[k] = &Cell{Sample: s, Summary: t.Assumption.Summary(s, Confidence)}
		}
		out.Tables = append(out.Tables, t)
	}
	return out, nil
}

// Unit returns the one table of the unit, or an error when there is
// none or more than one (results of the unit that differ in their
// configuration).
func (ts *Tables) Unit(unit string) (*Table, error) {
	var found *Table
	for _, t := range ts.Tables {
		if t.Unit != unit {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("the results make more than one %s table; narrow the filter", unit)
		}
		found = t
	}
	if found == nil {
		return nil, fmt.Errorf("no %s results", unit)
	}
	return found, nil
}

// sortedKeys returns m's keys in benchproc's order: the order in which
// they were first observed.
func sortedKeys[V any](m map[benchproc.Key]V) []benchproc.Key {
	keys := make([]benchproc.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)
	return keys
}

// Flags returns the benchstat flags that args stand for.
func (a Args) Flags() []string {
	var flags []string
	for _, f := range []struct{ flag, value string }{
		{"-filter", a.Filter}, {"-table", a.Table}, {"-row", a.Row}, {"-col", a.Col}, {"-ignore", a.Ignore},
		{"-format", a.Format},
	} {
		if f.value != "" {
			flags = append(flags, f.flag, f.value)
		}
	}
	return flags
}

// Command returns the benchstat command line that prints the tables of
// args over the files named names, for a reader to paste into a shell.
func (a Args) Command(names ...string) string {
	words := []string{"go", "tool", "benchstat"}
	for _, w := range append(a.Flags(), names...) {
		words = append(words, shellQuote(w))
	}
	return strings.Join(words, " ")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters that are safe bare.
func shellQuote(s string) string {
	safe := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,=:@%+", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !safe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
