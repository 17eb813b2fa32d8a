package benchdocs

// benchstat's tables in two forms: their text, printed by the pinned go
// tool benchstat itself (benchstat), and their numbers, for the sentences
// and plots that are written from them (stat): each cell's median and
// confidence interval, and the U-test between two cells of a row.
//
// stat is a small layer over golang.org/x/perf's public packages, the
// ones benchstat is built on: benchfmt reads the files, benchproc's
// -filter, -table, -row and -col projections group the results, and
// benchmath summarises and compares the samples with the assumption
// benchstat makes (AssumeNothing: the median, a distribution-free
// interval and the Mann-Whitney U-test, unless a file says otherwise).
// Its tests check that its figures are the ones go tool benchstat prints.

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// confidence is the level of the intervals: benchstat's default.
const confidence = 0.95

// Args are the benchstat flags that shape its tables. An empty field
// means benchstat's default.
type Args struct {
	Filter string // -filter, default "*"
	Row    string // -row, default ".fullname"
	Col    string // -col, default ".file"
	Ignore string // -ignore, default ""
}

// An Input is one benchmark file: its contents, and the name benchstat
// knows it by (the path given on its command line, its .file key).
type Input struct {
	Name string
	Data []byte
}

// A statTable holds the results of one unit that share a -table key
// (benchstat's default, .config).
type statTable struct {
	// unit is the unit as benchstat shows it, tidied: "sec/op" for
	// ns/op, "peak-B" for peak-MB.
	unit       string
	assumption benchmath.Assumption
	// rows and cols are the -row and -col keys, in the order in which
	// the inputs first show them, as benchstat orders them.
	rows, cols []benchproc.Key
	cells      map[cellKey]*cell
}

type cellKey struct{ row, col benchproc.Key }

// A cell is the values of one row and column, summarised.
type cell struct {
	sample  *benchmath.Sample
	summary benchmath.Summary // Center is the median under AssumeNothing
}

// compare is benchstat's test of the difference between two cells of a
// row, other against base ("p=0.002 n=6"), and whether the table has both.
func (t *statTable) compare(row, base, other benchproc.Key) (benchmath.Comparison, bool) {
	b, okb := t.cells[cellKey{row, base}]
	o, oko := t.cells[cellKey{row, other}]
	if !okb || !oko {
		return benchmath.Comparison{}, false
	}
	return t.assumption.Compare(b.sample, o.sample), true
}

// col returns the key of the column whose values read name ("pool"), as
// benchstat labels it.
func (t *statTable) col(name string) (benchproc.Key, bool) {
	i := slices.IndexFunc(t.cols, func(k benchproc.Key) bool { return k.StringValues() == name })
	if i < 0 {
		return benchproc.Key{}, false
	}
	return t.cols[i], true
}

// stat groups the inputs' results as go tool benchstat does with args,
// and summarises each cell as it does, at its default confidence and α,
// into its tables in its order: one per distinct -table key and unit.
func stat(args Args, inputs ...Input) ([]*statTable, error) {
	if len(inputs) == 0 {
		return nil, errors.New("benchstat: no input")
	}
	filter, err := benchproc.NewFilter(cmp.Or(args.Filter, "*"))
	if err != nil {
		return nil, fmt.Errorf("parsing -filter: %w", err)
	}
	// The projections are parsed in benchstat's order, with one parser:
	// .config in -table means the configuration keys that no other
	// projection, -ignore included, names.
	var parser benchproc.ProjectionParser
	tableBy, unitField, err := parser.ParseWithUnit(".config", filter)
	if err != nil {
		return nil, fmt.Errorf("parsing -table: %w", err)
	}
	rowBy, err := parser.Parse(cmp.Or(args.Row, ".fullname"), filter)
	if err != nil {
		return nil, fmt.Errorf("parsing -row: %w", err)
	}
	colBy, err := parser.Parse(cmp.Or(args.Col, ".file"), filter)
	if err != nil {
		return nil, fmt.Errorf("parsing -col: %w", err)
	}
	if _, err := parser.Parse(args.Ignore, filter); err != nil {
		return nil, fmt.Errorf("parsing -ignore: %w", err)
	}

	type group struct {
		rows, cols map[benchproc.Key]bool
		values     map[cellKey][]float64
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
				k := cellKey{rowBy.Project(rec), colBy.Project(rec)}
				// One table key per value of the result: the unit is
				// the key's last field.
				for i, tk := range tableBy.ProjectValues(rec) {
					g := groups[tk]
					if g == nil {
						g = &group{rows: map[benchproc.Key]bool{}, cols: map[benchproc.Key]bool{}, values: map[cellKey][]float64{}}
						groups[tk] = g
					}
					g.rows[k.row], g.cols[k.col] = true, true
					g.values[k] = append(g.values[k], rec.Values[i].Value)
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
	var out []*statTable
	for _, tk := range sortedKeys(groups) {
		g := groups[tk]
		t := &statTable{
			unit:       tk.Get(unitField),
			assumption: units.GetAssumption(tk.Get(unitField)),
			rows:       sortedKeys(g.rows),
			cols:       sortedKeys(g.cols),
			cells:      map[cellKey]*cell{},
		}
		for k, values := range g.values {
			s := benchmath.NewSample(values, &thresholds)
			t.cells[k] = &cell{sample: s, summary: t.assumption.Summary(s, confidence)}
		}
		out = append(out, t)
	}
	return out, nil
}

// statUnit is stat's one table of the unit, or an error when there is
// none or more than one (results of the unit that differ in their
// configuration).
func statUnit(args Args, unit string, inputs ...Input) (*statTable, error) {
	tables, err := stat(args, inputs...)
	if err != nil {
		return nil, err
	}
	return pick(tables, unit, args.Filter)
}

// pick is the one table of unit among tables, made with filter.
func pick(tables []*statTable, unit, filter string) (*statTable, error) {
	var found *statTable
	for _, t := range tables {
		if t.unit != unit {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("the results make more than one %s table; narrow the filter", unit)
		}
		found = t
	}
	if found == nil {
		return nil, fmt.Errorf("no %s results (-filter %q)", unit, filter)
	}
	return found, nil
}

// sortedKeys returns m's keys in benchproc's order: the order in which
// they were first observed.
func sortedKeys[V any](m map[benchproc.Key]V) []benchproc.Key {
	keys := slices.Collect(maps.Keys(m))
	benchproc.SortKeys(keys)
	return keys
}

// flags returns the benchstat flags that args stand for.
func (a Args) flags() []string {
	var flags []string
	for _, f := range []struct{ flag, value string }{
		{"-filter", a.Filter}, {"-row", a.Row}, {"-col", a.Col}, {"-ignore", a.Ignore},
	} {
		if f.value != "" {
			flags = append(flags, f.flag, f.value)
		}
	}
	return flags
}

// command returns the benchstat command line that prints the tables of
// args over the files named names, for a reader to paste into a shell.
func (a Args) command(names ...string) string {
	words := []string{"go", "tool", "benchstat"}
	for _, w := range append(a.flags(), names...) {
		words = append(words, shellQuote(w))
	}
	return strings.Join(words, " ")
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

// benchstatTool is the binary of the benchstat that the module of the
// working directory pins (a tool in go.mod): go tool -n builds it into
// the build cache, if it is not there yet, and prints its path without
// running it. Running that binary directly saves the go command's
// start-up, a tenth of a second, on each of the dozens of tables a
// rendering prints.
var benchstatTool = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "tool", "-n", "benchstat").Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(exit.Stderr))
	}
	if err != nil {
		return "", fmt.Errorf("go tool -n benchstat: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
})

// benchstat runs the pinned benchstat on the files, named relative to dir
// and run from dir, so that the names it prints are the ones a reader
// types, and returns what it prints: the same bytes on every machine.
//
// benchstat reports a bad flag or a malformed file on its standard error
// and still exits 0; anything on its standard error is an error here.
func benchstat(dir string, a Args, files ...string) (string, error) {
	if len(files) == 0 {
		return "", errors.New("benchstat: no input")
	}
	tool, err := benchstatTool()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(tool, append(a.flags(), files...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		err = errors.Join(err, errors.New(msg))
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", a.command(files...), err)
	}
	return string(out), nil
}
